"""Model names -> lazily imported factories (in the style of lm-evaluation-harness).

A registry entry maps a name to a ``"module:attribute"`` string; nothing is imported until
the model is loaded, so listing models never imports torch or a network's code.  The target
is a factory ``f(context: ModelContext) -> DepthModel``.

How a name is resolved, first match wins:

1. a registered name (:data:`MODELS`, or ``registry=``), exactly;
2. ``<prefix>:<target>[?options]`` with a known adapter prefix (:data:`ADAPTER_FAMILIES`):
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

   The attribute may be dotted (``pkg.mod:Class.factory``).  ``module`` is either a module
   name, imported from the user's ``PYTHONPATH`` or installed packages (never from the working
   directory), or a file path (``./mine.py:predict``, ``/abs/mine.py:predict``) loaded by file;
   see :func:`scenes.registry.import_target`, the one loader of user code.

Anything else is an :class:`UnknownModelError` with "did you mean" suggestions (also for a
misspelt prefix such as ``monodepht2:`` when no module of that name exists).

Both tables are :class:`scenes.registry.Registry` objects (lazy ``"module:attr"`` entries,
type-checked when loaded): :data:`MODELS` and :data:`ADAPTER_FAMILIES`, whose entries are
:class:`~evaluator.models.family.AdapterFamily` objects (the adapter modules themselves).
"""
from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Union

from scenes.errors import DepthprobeError, first_line
from scenes.registry import Registry, check_target, did_you_mean, import_target
from evaluator.errors import ModelLoadError, UnknownModelError
from evaluator.models.base import DepthModel, ModelContext, check_contract
from evaluator.models.callable_model import CallableModel
from evaluator.models.family import AdapterFamily
from evaluator.models.spec import AdapterSpec, parse_spec

#: Built-in models: name -> factory ``f(context) -> DepthModel``, registered as "module:factory".
#: To extend, ``MODELS.copy()`` and register, then pass it as ``registry=``.
MODELS: Registry[Any] = Registry("model", unknown_error=UnknownModelError, load_error=ModelLoadError, entries={
    "flat-road": "evaluator.models.flat_road:make_flat_road",
    "ref-fixed-camera": "evaluator.models.reference:make_ref_fixed_camera",
    "ref-varied-camera": "evaluator.models.reference:make_ref_varied_camera",
})
#: Read-only view of :data:`MODELS`: name -> "module:factory".
BUILTIN_MODELS: Mapping[str, Any] = MODELS.targets()

#: Adapter families: ``<prefix>:…`` -> an :class:`~evaluator.models.family.AdapterFamily`
#: (here the adapter modules themselves, imported on first use; they import no torch).
#: To extend, ``ADAPTER_FAMILIES.copy()`` and register, then pass it as ``prefixes=``.
ADAPTER_FAMILIES: Registry[AdapterFamily] = Registry(
    "adapter prefix", base=AdapterFamily, unknown_error=UnknownModelError, load_error=ModelLoadError,
    entries={"hf": "evaluator.models.huggingface", "monodepth2": "evaluator.models.monodepth2",
             "hub": "evaluator.models.torch_hub"})
#: Read-only view of :data:`ADAPTER_FAMILIES`: prefix -> import path of the family.
MODEL_PREFIXES: Mapping[str, Any] = ADAPTER_FAMILIES.targets()

#: What ``registry=`` / ``prefixes=`` take: a Registry, or a plain mapping name -> target.
Entries = Union[Registry[Any], Mapping[str, Any]]


def available_models(registry: Entries = MODELS) -> list[str]:
    """Registered model names, sorted."""
    return _models(registry).names()


def prefix_forms(prefixes: Entries = ADAPTER_FAMILIES) -> dict[str, str]:
    """Prefix -> how its names are written (``"hf:<hub-id-or-folder>"``), from each family's
    ``TARGET_FORM``; ``"<prefix>:…"`` for a family that cannot be loaded.  Imports the adapter
    modules (which import no torch)."""
    families = _families(prefixes)
    return {prefix: _form(families, prefix) for prefix in families}


def check_model_name(name: str, registry: Entries = MODELS, prefixes: Entries = ADAPTER_FAMILIES) -> None:
    """Raise now for a name :func:`load_model` could never load.

    Cheap (imports no torch and no network code), so callers can reject a typo before
    verifying a large set: unknown names, misspelt prefixes, and for adapter names bad options
    and missing folders or files.  (To check a name and load it later without resolving it
    again, use :func:`resolve_model_name`.)

    :param registry: name -> model factory (default: :data:`MODELS`); a Registry or a mapping.
    :param prefixes: adapter prefix -> family (default: :data:`ADAPTER_FAMILIES`); likewise.
    :raises UnknownModelError: unknown name (with "did you mean" suggestions).
    :raises ModelLoadError: an adapter name with a bad option (``ModelOptionError``) or a
        missing folder or file (``ModelSourceError``).
    """
    resolve_model_name(name, registry, prefixes)


def load_model(name: str, context: ModelContext, registry: Entries = MODELS,
               prefixes: Entries = ADAPTER_FAMILIES) -> DepthModel:
    """Build the model called ``name`` for a stimulus set.

    :param name: a registered name (see :func:`available_models`), an adapter name
        (``hf:…``, ``monodepth2:…``, ``hub:…``) or ``module:attribute`` (module docstring).
    :param context: canonical camera and requested device.
    :param registry: name -> ``"module:factory"`` (default: :data:`MODELS`); a Registry or a mapping.
    :param prefixes: adapter prefix -> family (default: :data:`ADAPTER_FAMILIES`); likewise.
    :raises UnknownModelError: unknown name (with "did you mean" suggestions).
    :raises ModelLoadError: import failure, missing attribute, or a factory that fails or
        returns something that is not a valid :class:`DepthModel` (one line naming both);
        for adapters, its subclasses ``ModelSourceError`` (missing folder or file, not a
        depth model, ...) and ``ModelOptionError`` (bad option).
    """
    return resolve_model_name(name, registry, prefixes)(context)


def resolve_model_name(name: str, registry: Entries = MODELS,
                       prefixes: Entries = ADAPTER_FAMILIES) -> Callable[[ModelContext], DepthModel]:
    """Resolve and check ``name`` once, cheaply (as :func:`check_model_name`); what builds it.

    An adapter name's spec is parsed and checked here, once; nothing is imported from a
    registered factory or a ``module:attribute`` target until the builder is called.

    :returns: ``build(context) -> DepthModel`` (raising as :func:`load_model` does).
    :raises UnknownModelError, ModelLoadError: as :func:`check_model_name`.
    """
    models, families = _models(registry), _families(prefixes)
    if name in models:
        return partial(_build_registered, models, name)
    prefix = _adapter_prefix(name, families)
    if prefix is not None:
        family, spec = _adapter(name, prefix, families)
        family.check_spec(spec)
        return partial(_build_adapter, family, spec)
    if ":" not in name:
        raise UnknownModelError(_unknown_message(name, models, families))
    _check_prefix_typo(name, families)
    check_target(name, f"model {name!r}", ModelLoadError)
    return partial(_build_user, name)


def _build_registered(models: Registry[Any], name: str, context: ModelContext) -> DepthModel:
    """The registered model ``name``, built by its factory."""
    factory = models.get(name)
    target = models.targets()[name]
    label = f"model {name!r} ({target})" if isinstance(target, str) else f"model {name!r}"
    return _build(factory, context, label=label, call_plain=True)


def _build_adapter(family: AdapterFamily, spec: AdapterSpec, context: ModelContext) -> DepthModel:
    """The adapter model of a parsed and checked spec."""
    return _checked_model(f"model {spec.name!r}", lambda: family.load_spec(spec, context), DepthprobeError)


def _build_user(name: str, context: ModelContext) -> DepthModel:
    """The user's model ``module:attribute``."""
    obj = resolve_target(name, model_name=name)
    return _build(obj, context, label=f"model {name!r}", call_plain=False, wrap_name=name)


def resolve_target(target: str, model_name: str) -> Any:
    """Import ``"module:attr.sub"`` (or load ``"path/file.py:attr.sub"``) and return the attribute.

    :raises ModelLoadError: one line naming the module and the attribute that failed.
    """
    if ":" not in target:
        raise ModelLoadError(f"model {model_name!r}: expected 'module:callable', got {target!r}")
    return import_target(target, f"model {model_name!r}", ModelLoadError)


def _models(registry: Entries) -> Registry[Any]:
    """``registry`` as a Registry of models (a plain mapping gets :data:`MODELS`' settings)."""
    return registry if isinstance(registry, Registry) else MODELS.copy(entries=registry)


def _families(prefixes: Entries) -> Registry[AdapterFamily]:
    """``prefixes`` as a Registry of families (a plain mapping gets the built-in settings)."""
    return prefixes if isinstance(prefixes, Registry) else ADAPTER_FAMILIES.copy(entries=prefixes)


def _adapter_prefix(name: str, families: Registry[AdapterFamily]) -> str | None:
    """The adapter prefix ``name`` starts with (``<prefix>:``), or None."""
    head, sep, _ = name.partition(":")
    return head if sep and head in families else None


def _adapter(name: str, prefix: str, families: Registry[AdapterFamily]) -> tuple[AdapterFamily, AdapterSpec]:
    """(adapter family, parsed spec) for an adapter name."""
    try:
        family = families.get(prefix)
    except ModelLoadError as exc:
        raise ModelLoadError(f"model {name!r}: {exc}") from None
    return family, parse_spec(name, prefix)


def _form(families: Registry[AdapterFamily], prefix: str) -> str:
    """How names of the family ``prefix`` are written, for messages."""
    try:
        return f"{prefix}:{families.get(prefix).TARGET_FORM}"
    except DepthprobeError:
        return f"{prefix}:…"


def _check_prefix_typo(name: str, families: Registry[AdapterFamily]) -> None:
    """UnknownModelError for ``monodepht2:x`` and the like: a head that is no importable module
    but is close to an adapter prefix.  Cheap: ``find_spec`` of a top-level name imports nothing."""
    head = name.partition(":")[0]
    if not head.isidentifier():
        return
    close = families.suggest(head, n=1, cutoff=0.6)
    if not close or importlib.util.find_spec(head) is not None:
        return
    raise UnknownModelError(f"unknown model {name!r}: {head!r} is neither an adapter prefix nor a module; "
                            f"did you mean '{close[0]}:'? ({_form(families, close[0])})")


def _unknown_message(name: str, models: Registry[Any], families: Registry[AdapterFamily]) -> str:
    known = models.names()
    forms = ", ".join(repr(form) for form in prefix_forms(families).values())
    return (f"unknown model {name!r}; {did_you_mean(name, known)}known models: {', '.join(known)}; "
            f"or give your own as 'module:callable'" + (f" or an adapter: {forms}" if forms else ""))


def _build(obj: Any, context: ModelContext, label: str, call_plain: bool,
           wrap_name: str | None = None) -> DepthModel:
    """Turn a resolved target into a checked DepthModel (see the module docstring)."""
    def build() -> Any:
        if isinstance(obj, type) and issubclass(obj, DepthModel):
            return obj.from_context(context)
        if isinstance(obj, DepthModel):
            return obj
        if callable(obj) and call_plain:
            return obj(context)
        if callable(obj):
            return CallableModel(obj, name=wrap_name or label)
        raise TypeError(f"{type(obj).__name__} object is not callable")
    return _checked_model(label, build, ModelLoadError)


def _checked_model(label: str, build: Callable[[], Any], passes: type[Exception]) -> DepthModel:
    """``build()`` checked against the model contract; any failure but ``passes`` (raised as is)
    becomes one ModelLoadError line naming ``label``."""
    try:
        model = build()
        check_contract(model, label)
    except passes:
        raise
    except SystemExit as exc:  # a model must not end the command (least of all with exit 0)
        raise ModelLoadError(f"{label}: cannot be built (it called sys.exit({exc.code!r}))") from None
    except Exception as exc:
        raise ModelLoadError(f"{label}: cannot be built ({type(exc).__name__}: {first_line(exc)})") from None
    return model
