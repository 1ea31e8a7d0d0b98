"""Asset parameters: the common base class and the loader of ``parameters.yaml``.

The per-asset numbers (sizes, wheelbases, poses, ...) are data: they live in
``parameters.yaml`` next to this module, one entry per asset in catalog order. An
entry's ``kind`` names its parameter class (a frozen dataclass); every other key is
a field of that class, nested dataclasses as mappings, tuples as lists. Values are
checked against the field types (a float field takes a number, a tuple its length)
and turned into frozen dataclasses and tuples, so the loaded tables are immutable.
Units are in the key names: ``_m`` metres, ``_deg`` degrees, ``_ratio`` a fraction.
"""

from __future__ import annotations

import dataclasses
import pathlib
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

import trimesh
import yaml

PARAMETERS_PATH = pathlib.Path(__file__).with_name("parameters.yaml")


@dataclasses.dataclass(frozen=True, kw_only=True)
class AssetParams:
    """What every asset has: its id, catalog class and exact bounding box (metres).

    ``colours`` overrides the default base colour (linear RGB, 0..1) of some parts.
    """

    asset_id: str
    object_class: str
    length_m: float  # along y (front to back)
    width_m: float  # along x
    height_m: float  # along z
    colours: tuple[tuple[str, tuple[float, float, float]], ...] = ()

    #: True if the parts are built exactly to size; False if they are stretched to it (see fit_to_size).
    exact: ClassVar[bool] = False

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        """All solids of the asset, grouped by part name, in the order they are written."""
        raise NotImplementedError


def _convert(value: Any, hint: Any, where: str) -> Any:
    """``value`` (as read from YAML) checked against the type ``hint`` and made immutable."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return build(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, where)
    if origin is tuple:
        return _convert_tuple(value, args, where)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ValueError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


def _convert_tuple(value: Any, args: tuple[Any, ...], where: str) -> tuple[Any, ...]:
    """A YAML list (or a mapping, read as its (key, value) pairs) as a tuple of the given item types."""
    if isinstance(value, Mapping):
        value = list(value.items())
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{where}: expected a list, got {value!r}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(item, args[0], f"{where}[{i}]") for i, item in enumerate(value))
    if len(value) != len(args):
        raise ValueError(f"{where}: expected {len(args)} items, got {len(value)}")
    return tuple(_convert(item, arg, f"{where}[{i}]") for i, (item, arg) in enumerate(zip(value, args)))


def build(cls: type, entry: Any, where: str) -> Any:
    """An instance of the dataclass ``cls`` from a YAML mapping of its fields (unknown keys are errors)."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a mapping for {cls.__name__}, got {entry!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = set(entry) - fields
    if unknown:
        raise ValueError(f"{where}: {cls.__name__} has no field(s) {sorted(unknown)}")
    return cls(**{key: _convert(value, hints[key], f"{where}.{key}") for key, value in entry.items()})


def load_assets(
    kinds: Mapping[str, type[AssetParams]], path: pathlib.Path = PARAMETERS_PATH
) -> tuple[AssetParams, ...]:
    """The assets listed in ``path`` (a YAML file), in file order; ``kinds`` maps an entry's kind to its class."""
    entries = yaml.safe_load(path.read_text())["assets"]
    assets = []
    for i, entry in enumerate(entries):
        fields = dict(entry)
        kind = fields.pop("kind", None)
        if kind not in kinds:
            raise ValueError(f"{path.name}: asset {i} has kind {kind!r}; known kinds: {sorted(kinds)}")
        assets.append(build(kinds[kind], fields, f"{path.name}: {fields.get('asset_id', i)}"))
    ids = [a.asset_id for a in assets]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: duplicate asset ids")
    return tuple(assets)
