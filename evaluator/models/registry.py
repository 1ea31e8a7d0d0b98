"""Model names -> lazily imported factories (in the style of lm-evaluation-harness).

A registry entry maps a name to a ``"module:attribute"`` string; nothing is imported until
the model is loaded, so listing models never imports torch or a network's code.  The target
is a factory ``f(context: ModelContext) -> DepthModel``.

How a name is resolved, first match wins:

1. a registered name (:data:`BUILTIN_MODELS`, or ``registry=``), exactly;
2. ``<prefix>:<target>[?options]`` with a known adapter prefix (:data:`MODEL_PREFIXES`):
   ``hf:<hub-id-or-folder>`` (Hugging Face), ``monodepth2:<folder>``,
   ``hub:<folder>:<entrypoint>`` (local torch.hub); see :mod:`evaluator.models.spec` for
   the options.  (So a module called ``hf``, ``hub`` or ``monodepth2`` cannot be given as
   ``module:callable``; name it by its package path instead.)
3. any other name containing ``":"`` is a user model ``module:attribute``:

   * a :class:`DepthModel` subclass -> ``cls.from_context(context)``;
   * a :class:`DepthModel` instance -> used as is;
   * any other callable -> wrapped by :class:`~evaluator.models.callable_model.CallableModel`
     (uint8 (N, H, W, 3) in, metric depth (N, H, W) out; an ``output_kind`` attribute may say
     ``"disparity"`` or ``"relative_inverse_depth"``).

   The attribute may be dotted (``pkg.mod:Class.factory``).  The module is imported with the
   normal ``sys.path`` (the current directory is on it under ``python -m``).

Anything else is an :class:`UnknownModelError` with "did you mean" suggestions (also for a
misspelt prefix such as ``monodepht2:`` when no module of that name exists).
"""
from __future__ import annotations

import difflib
import importlib
import importlib.util
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from scenes.errors import DepthprobeError
from evaluator.errors import ModelLoadError, UnknownModelError
from evaluator.models.base import DepthModel, ModelContext, check_contract
from evaluator.models.callable_model import CallableModel

#: Built-in models: name -> "module:factory".  Read-only; pass ``registry=`` to extend.
BUILTIN_MODELS: Mapping[str, str] = MappingProxyType({
    "flat-road": "evaluator.models.flat_road:make_flat_road",
    "ref-fixed-camera": "evaluator.models.reference:make_ref_fixed_camera",
    "ref-varied-camera": "evaluator.models.reference:make_ref_varied_camera",
})


#: Adapter prefixes: ``<prefix>:…`` -> the adapter module.  Each module defines
#: ``check_spec(spec)`` (cheap checks of options and files; imports no torch) and
#: ``load_spec(spec, context) -> DepthModel``; ``spec`` is an
#: :class:`~evaluator.models.spec.AdapterSpec`.  Read-only; pass ``prefixes=`` to extend.
MODEL_PREFIXES: Mapping[str, str] = MappingProxyType({
    "hf": "evaluator.models.huggingface",
    "monodepth2": "evaluator.models.monodepth2",
    "hub": "evaluator.models.torch_hub",
})
#: How each prefix is written, for messages.
PREFIX_FORMS: Mapping[str, str] = MappingProxyType({
    "hf": "hf:<hub-id-or-folder>",
    "monodepth2": "monodepth2:<folder>",
    "hub": "hub:<folder>:<entrypoint>",
})


def available_models(registry: Mapping[str, str] = BUILTIN_MODELS) -> list[str]:
    """Registered model names, sorted."""
    return sorted(registry)


def check_model_name(name: str, registry: Mapping[str, str] = BUILTIN_MODELS,
                     prefixes: Mapping[str, str] = MODEL_PREFIXES) -> None:
    """Raise now for a name :func:`load_model` could never load.

    Cheap (imports no torch and no network code), so callers can reject a typo before
    verifying a large set: unknown names, misspelt prefixes, and for adapter names bad options
    and missing folders or files.

    :raises UnknownModelError: unknown name (with "did you mean" suggestions).
    :raises ModelLoadError: an adapter name with a bad option (``ModelOptionError``) or a
        missing folder or file (``ModelSourceError``).
    """
    if name in registry:
        return
    prefix = _adapter_prefix(name, prefixes)
    if prefix is not None:
        module, spec = _adapter(name, prefix, prefixes)
        module.check_spec(spec)
        return
    if ":" not in name:
        raise UnknownModelError(_unknown_message(name, registry, prefixes))
    _check_prefix_typo(name, prefixes)


def load_model(name: str, context: ModelContext, registry: Mapping[str, str] = BUILTIN_MODELS,
               prefixes: Mapping[str, str] = MODEL_PREFIXES) -> DepthModel:
    """Build the model called ``name`` for a stimulus set.

    :param name: a registered name (see :func:`available_models`), an adapter name
        (``hf:…``, ``monodepth2:…``, ``hub:…``) or ``module:attribute`` (module docstring).
    :param context: canonical camera and requested device.
    :param registry: name -> ``"module:factory"`` (default: the built-in models).
    :param prefixes: adapter prefix -> module (default: :data:`MODEL_PREFIXES`).
    :raises UnknownModelError: unknown name (with "did you mean" suggestions).
    :raises ModelLoadError: import failure, missing attribute, or a factory that fails or
        returns something that is not a valid :class:`DepthModel` (one line naming both);
        for adapters, its subclasses ``ModelSourceError`` (missing folder or file, not a
        depth model, ...) and ``ModelOptionError`` (bad option).
    """
    if name in registry:
        target = registry[name]
        factory = resolve_target(target, model_name=name)
        return _build(factory, context, label=f"model {name!r} ({target})", call_plain=True)
    prefix = _adapter_prefix(name, prefixes)
    if prefix is not None:
        return _load_adapter(name, prefix, context, prefixes)
    check_model_name(name, registry, prefixes)
    obj = resolve_target(name, model_name=name)
    return _build(obj, context, label=f"model {name!r}", call_plain=False, wrap_name=name)


def _adapter_prefix(name: str, prefixes: Mapping[str, str]) -> str | None:
    """The adapter prefix ``name`` starts with (``<prefix>:``), or None."""
    head, sep, _ = name.partition(":")
    return head if sep and head in prefixes else None


def _adapter(name: str, prefix: str, prefixes: Mapping[str, str]) -> tuple[Any, Any]:
    """(adapter module, parsed spec) for an adapter name."""
    from evaluator.models.spec import parse_spec

    module_name = prefixes[prefix]
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ModelLoadError(f"model {name!r}: cannot import adapter module {module_name!r} "
                             f"({type(exc).__name__}: {_first_line(exc)})") from None
    return module, parse_spec(name, prefix)


def _load_adapter(name: str, prefix: str, context: ModelContext, prefixes: Mapping[str, str]) -> DepthModel:
    module, spec = _adapter(name, prefix, prefixes)
    module.check_spec(spec)
    label = f"model {name!r}"
    try:
        model = module.load_spec(spec, context)
        check_contract(model, label)
    except DepthprobeError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"{label}: cannot be built ({type(exc).__name__}: {_first_line(exc)})") from None
    return model


def _check_prefix_typo(name: str, prefixes: Mapping[str, str]) -> None:
    """UnknownModelError for ``monodepht2:x`` and the like: a head that is no importable module
    but is close to an adapter prefix.  Cheap: ``find_spec`` of a top-level name imports nothing."""
    head = name.partition(":")[0]
    if not head.isidentifier():
        return
    close = difflib.get_close_matches(head, list(prefixes), n=1, cutoff=0.6)
    if not close or importlib.util.find_spec(head) is not None:
        return
    raise UnknownModelError(f"unknown model {name!r}: {head!r} is neither an adapter prefix nor a module; "
                            f"did you mean '{close[0]}:'? ({PREFIX_FORMS.get(close[0], close[0] + ':…')})")


def _unknown_message(name: str, registry: Mapping[str, str],
                     prefixes: Mapping[str, str] = MODEL_PREFIXES) -> str:
    known = available_models(registry)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    forms = ", ".join(repr(PREFIX_FORMS.get(p, f"{p}:…")) for p in prefixes)
    return (f"unknown model {name!r}; {hint}known models: {', '.join(known)}; "
            f"or give your own as 'module:callable'" + (f" or an adapter: {forms}" if forms else ""))


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
