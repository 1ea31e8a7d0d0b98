"""Model names -> lazily imported factories (in the style of lm-evaluation-harness).

A registry entry maps a name to a ``"module:attribute"`` string; nothing is imported until
the model is loaded, so listing models never imports torch or a network's code.  The target
is a factory ``f(context: ModelContext) -> DepthModel``.

A name that is not registered but contains ``":"`` is a user model ``module:attribute``:

* a :class:`DepthModel` subclass -> ``cls.from_context(context)``;
* a :class:`DepthModel` instance -> used as is;
* any other callable -> wrapped by :class:`~evaluator.models.callable_model.CallableModel`
  (uint8 (N, H, W, 3) in, metric depth (N, H, W) out; an ``output_kind`` attribute may say
  ``"disparity"`` or ``"relative_inverse_depth"``).

The attribute may be dotted (``pkg.mod:Class.factory``).  The module is imported with the
normal ``sys.path`` (the current directory is on it under ``python -m``).
"""
from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from evaluator.errors import ModelLoadError, UnknownModelError
from evaluator.models.base import DepthModel, ModelContext, check_contract
from evaluator.models.callable_model import CallableModel

#: Built-in models: name -> "module:factory".  Read-only; pass ``registry=`` to extend.
BUILTIN_MODELS: Mapping[str, str] = MappingProxyType({
    "flat-road": "evaluator.models.flat_road:make_flat_road",
})


def available_models(registry: Mapping[str, str] = BUILTIN_MODELS) -> list[str]:
    """Registered model names, sorted."""
    return sorted(registry)


def check_model_name(name: str, registry: Mapping[str, str] = BUILTIN_MODELS) -> None:
    """Raise :class:`UnknownModelError` now for a name :func:`load_model` could never load.

    Cheap (imports nothing), so callers can reject a typo before verifying a large set.
    """
    if name not in registry and ":" not in name:
        raise UnknownModelError(_unknown_message(name, registry))


def load_model(name: str, context: ModelContext,
               registry: Mapping[str, str] = BUILTIN_MODELS) -> DepthModel:
    """Build the model called ``name`` for a stimulus set.

    :param name: a registered name (see :func:`available_models`) or ``module:attribute``.
    :param context: canonical camera and requested device.
    :param registry: name -> ``"module:factory"`` (default: the built-in models).
    :raises UnknownModelError: unknown name without ``":"`` (with "did you mean" suggestions).
    :raises ModelLoadError: import failure, missing attribute, or a factory that fails or
        returns something that is not a valid :class:`DepthModel` (one line naming both).
    """
    if name in registry:
        target = registry[name]
        factory = resolve_target(target, model_name=name)
        return _build(factory, context, label=f"model {name!r} ({target})", call_plain=True)
    check_model_name(name, registry)
    obj = resolve_target(name, model_name=name)
    return _build(obj, context, label=f"model {name!r}", call_plain=False, wrap_name=name)


def _unknown_message(name: str, registry: Mapping[str, str]) -> str:
    known = available_models(registry)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    return (f"unknown model {name!r}; {hint}known models: {', '.join(known)}; "
            "or give your own as 'module:callable'")


def resolve_target(target: str, model_name: str) -> Any:
    """Import ``"module:attr.sub"`` and return the attribute.

    :raises ModelLoadError: one line naming the module and the attribute that failed.
    """
    module_name, _, attr_path = target.partition(":")
    if not module_name or not attr_path:
        raise ModelLoadError(f"model {model_name!r}: expected 'module:callable', got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of user code is reported the same way
        raise ModelLoadError(f"model {model_name!r}: cannot import module {module_name!r} "
                             f"({type(exc).__name__}: {_first_line(exc)})") from None
    obj: Any = module
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            raise ModelLoadError(f"model {model_name!r}: module {module_name!r} has no attribute "
                                 f"{attr_path!r} (missing {part!r})")
        obj = getattr(obj, part)
    return obj


def _build(obj: Any, context: ModelContext, label: str, call_plain: bool,
           wrap_name: str | None = None) -> DepthModel:
    """Turn a resolved target into a checked DepthModel (see the module docstring)."""
    try:
        if isinstance(obj, type) and issubclass(obj, DepthModel):
            model = obj.from_context(context)
        elif isinstance(obj, DepthModel):
            model = obj
        elif callable(obj) and call_plain:
            model = obj(context)
        elif callable(obj):
            model = CallableModel(obj, name=wrap_name or label)
        else:
            raise TypeError(f"{type(obj).__name__} object is not callable")
        check_contract(model, label)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"{label}: cannot be built ({type(exc).__name__}: {_first_line(exc)})") from None
    return model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"
