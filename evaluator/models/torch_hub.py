"""Entrypoints of a local torch.hub folder as depth models: ``hub:<folder>:<entrypoint>[?options]``.

The folder holds a ``hubconf.py`` (a clone of a hub repository such as MiDaS, or your own).
The model is ``torch.hub.load(folder, entrypoint, source="local", pretrained=False)`` -- from
the local folder only, never downloaded; ``pretrained=true`` passes ``pretrained=True`` for
entrypoints that load weights you have put in place yourself (e.g. the torch hub cache).
Entrypoints without a ``pretrained`` parameter are called without it.

The module it returns takes normalised RGB (N, 3, h, w) and returns (N, h, w) or (N, 1, h, w).
What it declares, each from the option, else an attribute of the returned module, else the
default:

* output kind: ``kind=`` / ``module.output_kind`` / ``relative_inverse_depth`` (MiDaS-like);
* input size: ``size=<h>x<w>`` / ``module.input_size`` / the images' own size (no resizing);
* normalisation: ``norm=imagenet|half|none`` / ``module.normalisation`` (a
  :class:`~evaluator.models.base.Normalisation` or a ``(mean, std)`` pair) / none ([0, 1] RGB).

For MiDaS v3 DPT models say ``size=384x384,norm=half``; for MiDaS small ``size=256x256,norm=imagenet``.
Options: ``kind``, ``size``, ``amp`` (see :mod:`evaluator.models.spec`), ``norm``, ``pretrained``.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from evaluator.models.base import ModelContext, Normalisation, OutputKind
from scenes.errors import first_line
from scenes.registry import load_module
from evaluator.models.spec import (COMMON_OPTIONS, AdapterSpec, ModelSourceError, existing_folder,
                                   parse_bool, parse_normalisation, required_file)
from evaluator.models.torch_adapter import TorchAdapterModel

if TYPE_CHECKING:
    import torch

PREFIX = "hub"
#: How a name of this family is written after ``hub:`` (this module is an
#: :class:`~evaluator.models.family.AdapterFamily`).
TARGET_FORM = "<folder>:<entrypoint>"
OPTIONS = COMMON_OPTIONS | {"norm", "pretrained"}
DEFAULT_KIND = OutputKind.RELATIVE_INVERSE_DEPTH
_UNSET = object()


class TorchHubModel(TorchAdapterModel):
    """A module from a local hub folder, run with the declared size and normalisation."""

    def __init__(self, module: "torch.nn.Module", name: str, output_kind: OutputKind, device: str,
                 input_size: tuple[int, int] | None, normalisation: Normalisation | None,
                 mixed_precision: bool = True, details: dict | None = None) -> None:
        super().__init__(name, output_kind, device, input_size, normalisation,
                         mixed_precision=mixed_precision, details=details)
        self.module = module.to(device).eval()

    def run_network(self, x: "torch.Tensor") -> "torch.Tensor":
        return self.module(x)

    @classmethod
    def from_folder(cls, folder: str, entrypoint: str, *, device: str | None = None,
                    output_kind: OutputKind | str | None = None,
                    input_size: tuple[int, int] | None = None, normalisation: Any = _UNSET,
                    pretrained: bool = False, mixed_precision: bool = True,
                    name: str | None = None) -> "TorchHubModel":
        """Load ``entrypoint`` of the hub folder ``folder`` (see the module docstring).

        :param normalisation: a :class:`Normalisation`, ``None`` for [0, 1] RGB, or unset to
            take the module's attribute.
        :raises ModelSourceError: no folder, no ``hubconf.py``, no such entrypoint, or an
            entrypoint that fails or returns no ``torch.nn.Module``.
        """
        spec = AdapterSpec(name=name or f"{PREFIX}:{folder}:{entrypoint}", prefix=PREFIX,
                           target=f"{folder}:{entrypoint}", options={})
        return _load(spec, device, output_kind, input_size, normalisation, pretrained, mixed_precision)


def split_target(spec: AdapterSpec) -> tuple[str, str]:
    """``<folder>:<entrypoint>`` -> (folder, entrypoint) (split at the last ``:``)."""
    folder, sep, entrypoint = spec.target.rpartition(":")
    if not sep or not folder or not entrypoint.strip() or "/" in entrypoint or "\\" in entrypoint:
        raise ModelSourceError(f"model {spec.name!r}: expected 'hub:<folder>:<entrypoint>'")
    return folder, entrypoint.strip()


def check_spec(spec: AdapterSpec) -> None:
    """Cheap checks (no torch): options, folder and ``hubconf.py``."""
    spec.check_options(OPTIONS)
    spec.get("norm", parse_normalisation, None)
    spec.get("pretrained", parse_bool, False)
    folder, _ = split_target(spec)
    required_file(spec, existing_folder(spec, folder, "torch.hub"), "hubconf.py", "torch.hub")


def load_spec(spec: AdapterSpec, context: ModelContext) -> TorchHubModel:
    """Registry entry for ``hub:<folder>:<entrypoint>``."""
    check_spec(spec)
    norm = spec.get("norm", parse_normalisation, _UNSET)
    return _load(spec, context.device, spec.output_kind, spec.input_size, norm,
                 spec.get("pretrained", parse_bool, False), spec.mixed_precision)


def _load(spec: AdapterSpec, device: str | None, kind: OutputKind | str | None,
          size: tuple[int, int] | None, norm: Any, pretrained: bool, mixed_precision: bool) -> TorchHubModel:
    import torch

    from evaluator.models.device import resolve_device

    folder, entrypoint = split_target(spec)
    path = existing_folder(spec, folder, "torch.hub")
    required_file(spec, path, "hubconf.py", "torch.hub")
    entrypoints = list_entrypoints(path)
    if entrypoint not in entrypoints:
        raise ModelSourceError(f"model {spec.name!r}: {path / 'hubconf.py'} has no entrypoint {entrypoint!r}; "
                               f"it has {', '.join(sorted(entrypoints)) or 'none'}")
    kwargs = {}
    if _takes_pretrained(entrypoints[entrypoint]):
        kwargs["pretrained"] = pretrained
    elif pretrained:
        raise ModelSourceError(f"model {spec.name!r}: entrypoint {entrypoint!r} takes no 'pretrained' argument")
    try:
        module = torch.hub.load(str(path), entrypoint, source="local", **kwargs)
    except Exception as exc:
        raise ModelSourceError(f"model {spec.name!r}: entrypoint {entrypoint!r} failed "
                               f"({type(exc).__name__}: {first_line(exc)})") from None
    if not isinstance(module, torch.nn.Module):
        raise ModelSourceError(f"model {spec.name!r}: entrypoint {entrypoint!r} returned "
                               f"{type(module).__name__}, not a torch.nn.Module")

    try:
        kind = OutputKind(kind if kind is not None else getattr(module, "output_kind", DEFAULT_KIND))
        if size is None and getattr(module, "input_size", None) is not None:
            size = (int(module.input_size[0]), int(module.input_size[1]))
        if norm is _UNSET:
            norm = _as_normalisation(getattr(module, "normalisation", None))
    except (TypeError, ValueError, IndexError) as exc:
        raise ModelSourceError(f"model {spec.name!r}: module of entrypoint {entrypoint!r} declares "
                               f"an invalid attribute ({first_line(exc)})") from None
    details = {"adapter": PREFIX, "source": str(path), "entrypoint": entrypoint,
               "architecture": type(module).__name__, "pretrained": bool(pretrained)}
    return TorchHubModel(module, spec.name, kind, resolve_device(device), size, norm,
                         mixed_precision=mixed_precision, details=details)


def list_entrypoints(folder: str | Path) -> dict[str, Any]:
    """Public callables of ``folder/hubconf.py``, name -> callable (loaded by file with ``folder`` on
    ``sys.path`` while it runs, as torch.hub does; ``torch.hub.list`` itself only reads GitHub
    repositories).

    :raises ModelSourceError: the file cannot be loaded or raises (``sys.exit`` included) on import.
    """
    module = load_module(str(Path(folder) / "hubconf.py"), f"torch.hub folder {str(folder)!r}",
                         ModelSourceError, folder_on_path=True)
    return {name: value for name, value in vars(module).items()
            if not name.startswith("_") and callable(value) and not isinstance(value, ModuleType)}


def _takes_pretrained(entry: Any) -> bool:
    """Whether ``entry`` accepts a ``pretrained`` keyword (by name or through ``**kwargs``)."""
    try:
        parameters = inspect.signature(entry).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "pretrained" or p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters)


def _as_normalisation(value: Any) -> Normalisation | None:
    """A module's ``normalisation`` attribute -> Normalisation (accepts a (mean, std) pair)."""
    if value is None or isinstance(value, Normalisation):
        return value
    mean, std = value
    return Normalisation(tuple(float(m) for m in mean), tuple(float(s) for s in std))
