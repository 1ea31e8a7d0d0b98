"""Adapter model names (``hf:…``, ``monodepth2:…``, ``hub:…``): parsing, options, errors.

An adapter name is ``<prefix>:<target>[?<key>=<value>,<key>=<value>…]``:

* ``hf:<hub-id-or-folder>`` -- a Hugging Face depth-estimation model
  (:mod:`evaluator.models.huggingface`);
* ``monodepth2:<folder>`` -- a Monodepth2 checkpoint folder with ``encoder.pth`` and
  ``depth.pth`` (:mod:`evaluator.models.monodepth2`);
* ``hub:<folder>:<entrypoint>`` -- an entrypoint of a local torch.hub folder (one holding a
  ``hubconf.py``) (:mod:`evaluator.models.torch_hub`).

Options after ``?`` are separated by ``,`` (or ``&``); which keys an adapter takes is listed in
its module docstring.  Options every adapter takes:

* ``kind=metric_depth|disparity|relative_inverse_depth`` -- override the declared output kind;
* ``size=<height>x<width>`` -- the network input size in pixels, at most 8192 a side (overrides what the adapter
  reads from the checkpoint or processor);
* ``amp=true|false`` -- mixed precision (float16 autocast) on CUDA; default true, never used on CPU.

Example: ``hf:depth-anything/Depth-Anything-V2-Small-hf?kind=relative_inverse_depth,amp=false``.

This module imports neither torch nor any network code, so names can be checked (options,
folders, files) before a large stimulus set is read.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from scenes.registry import did_you_mean
from evaluator.errors import ModelLoadError
from evaluator.models.base import MAX_INPUT_SIDE_PX, Normalisation, OutputKind, IMAGENET_NORMALISATION

T = TypeVar("T")

#: Separates the target from the options.
OPTIONS_SEPARATOR = "?"
#: Options common to every adapter (see the module docstring).
COMMON_OPTIONS = frozenset({"kind", "size", "amp"})

#: Named normalisations for the ``norm=`` option: ImageNet statistics, (x - 0.5) / 0.5, none.
NAMED_NORMALISATIONS: Mapping[str, Normalisation | None] = {
    "imagenet": IMAGENET_NORMALISATION,
    "half": Normalisation((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "none": None,
}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ModelSourceError(ModelLoadError):
    """The files or id an adapter loads from are missing or not what it expects.

    Examples: a missing folder, a folder without ``encoder.pth``, a Hugging Face config that is
    not a depth-estimation model, a hub folder without the named entrypoint.  One line naming
    the path or id.
    """


class ModelOptionError(ModelLoadError):
    """An adapter option (after ``?`` in a model name) is unknown or has a bad value."""


@dataclass(frozen=True)
class AdapterSpec:
    """A parsed adapter model name (see the module docstring).

    :param name: the model name as given (what results call the model).
    :param prefix: ``hf``, ``monodepth2`` or ``hub``.
    :param target: the part between the prefix and the options (id, folder, ``folder:entrypoint``).
    :param options: raw option strings, key -> value.
    """

    name: str
    prefix: str
    target: str
    options: Mapping[str, str] = field(default_factory=dict)

    def check_options(self, allowed: Iterable[str]) -> None:
        """Raise :class:`ModelOptionError` for a key not in ``allowed`` (with a suggestion) or a
        bad value of a common option (``kind``, ``size``, ``amp``)."""
        allowed = sorted(set(allowed))
        for key in self.options:
            if key not in allowed:
                hint = did_you_mean(key, allowed, n=1, cutoff=0.6)
                raise ModelOptionError(f"model {self.name!r}: unknown option {key!r}; {hint}"
                                       f"{self.prefix}: takes {', '.join(allowed)}")
        _ = (self.output_kind, self.input_size, self.mixed_precision)  # parsing validates

    def get(self, key: str, parse: Callable[[str], T], default: T) -> T:
        """The option ``key`` parsed by ``parse``, or ``default`` when absent.

        :raises ModelOptionError: ``parse`` rejects the value (one line naming key and value).
        """
        if key not in self.options:
            return default
        raw = self.options[key]
        try:
            return parse(raw)
        except ValueError as exc:
            raise ModelOptionError(f"model {self.name!r}: option {key}={raw!r}: {exc}") from None

    @property
    def output_kind(self) -> OutputKind | None:
        """The ``kind=`` option, or None."""
        return self.get("kind", parse_kind, None)

    @property
    def input_size(self) -> tuple[int, int] | None:
        """The ``size=`` option as (height, width), or None."""
        return self.get("size", parse_size, None)

    @property
    def mixed_precision(self) -> bool:
        """The ``amp=`` option (default True; only ever used on CUDA)."""
        return self.get("amp", parse_bool, True)


def parse_spec(name: str, prefix: str) -> AdapterSpec:
    """Split ``<prefix>:<target>[?options]`` (``name`` must start with ``prefix + ':'``).

    :raises ModelOptionError: malformed options (an item without ``=``, a repeated key).
    :raises ModelSourceError: empty target.
    """
    rest = name[len(prefix) + 1:]
    target, sep, raw = rest.partition(OPTIONS_SEPARATOR)
    options: dict[str, str] = {}
    if sep:
        for item in raw.replace("&", ",").split(","):
            if not item.strip():
                continue
            key, eq, value = item.partition("=")
            key = key.strip()
            if not eq or not key:
                raise ModelOptionError(f"model {name!r}: option {item!r} is not key=value")
            if key in options:
                raise ModelOptionError(f"model {name!r}: option {key!r} given twice")
            options[key] = value.strip()
    if not target.strip():
        raise ModelSourceError(f"model {name!r}: nothing after '{prefix}:'")
    return AdapterSpec(name=name, prefix=prefix, target=target.strip(), options=options)


def parse_bool(text: str) -> bool:
    """``true/false/yes/no/on/off/1/0`` (any case) -> bool."""
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("expected true or false")


def parse_kind(text: str) -> OutputKind:
    """An :class:`OutputKind` value -> the kind."""
    try:
        return OutputKind(text.strip())
    except ValueError:
        raise ValueError("expected one of " + ", ".join(k.value for k in OutputKind)) from None


def parse_size(text: str) -> tuple[int, int]:
    """``<height>x<width>`` in pixels (each 1 .. :data:`~evaluator.models.base.MAX_INPUT_SIDE_PX`)
    -> (height, width)."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        height, width = (int(p) for p in parts)
    except ValueError:
        raise ValueError("expected <height>x<width> in pixels, e.g. 192x640") from None
    if height < 1 or width < 1:
        raise ValueError("height and width must be >= 1 pixel")
    if max(height, width) > MAX_INPUT_SIDE_PX:
        raise ValueError(f"height and width must be at most {MAX_INPUT_SIDE_PX} px")
    return height, width


def parse_positive_float(text: str) -> float:
    """A finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if not (value > 0 and value != float("inf")):
        raise ValueError("expected a finite number > 0")
    return value


def parse_normalisation(text: str) -> Normalisation | None:
    """``imagenet``, ``half`` ((x - 0.5) / 0.5) or ``none`` -> the normalisation."""
    key = text.strip().lower()
    if key not in NAMED_NORMALISATIONS:
        raise ValueError("expected one of " + ", ".join(NAMED_NORMALISATIONS))
    return NAMED_NORMALISATIONS[key]


def looks_like_path(target: str) -> bool:
    """True when ``target`` is meant as a file-system path rather than a hub id.

    Hub ids are ``name`` or ``owner/name``; anything starting with ``/``, ``.``, ``~`` or
    holding a backslash, a drive colon or more than one ``/`` is a path.
    """
    return (target.startswith(("/", ".", "~")) or "\\" in target or ":" in target
            or target.count("/") > 1 or Path(os.path.expanduser(target)).exists())


def existing_folder(spec: AdapterSpec, folder: str, what: str) -> Path:
    """``folder`` (``~`` expanded) as a Path, or :class:`ModelSourceError` naming it."""
    path = Path(os.path.expanduser(folder))
    if not path.exists():
        raise ModelSourceError(f"model {spec.name!r}: {what} folder {str(path)!r} does not exist")
    if not path.is_dir():
        raise ModelSourceError(f"model {spec.name!r}: {what} {str(path)!r} is not a folder")
    return path


def required_file(spec: AdapterSpec, folder: Path, filename: str, what: str) -> Path:
    """``folder / filename``, or :class:`ModelSourceError` naming the missing file."""
    path = folder / filename
    if not path.is_file():
        raise ModelSourceError(f"model {spec.name!r}: {what} folder {str(folder)!r} has no {filename}")
    return path


