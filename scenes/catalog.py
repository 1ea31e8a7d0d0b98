"""The asset catalog (assets/catalog.yaml): what each object is and how big it is.

The size cue uses the catalog's usual height of an object's *class* (``z_size = f *
usual_height_m / height_px``), not the object's own height: a network that uses familiar size
can only know the class's usual size.
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scenes.errors import CatalogError, SpecError

CATALOG_PATH = Path(__file__).resolve().parent.parent / "assets" / "catalog.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ObjectClass(_Strict):
    """A class of objects: its usual physical height and its semantic label."""

    usual_height_m: float = Field(gt=0.0, le=50.0)
    semantic: Literal["vehicle", "person", "other_object"]


class Asset(_Strict):
    """One mesh with its physical size (metres; length along y, width along x, height along z)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    object_class: str = Field(alias="class")
    familiarity: Literal["familiar", "novel"]
    length_m: float = Field(gt=0.0)
    width_m: float = Field(gt=0.0)
    height_m: float = Field(gt=0.0)
    file: str
    source: str
    licence: str


class Catalog(_Strict):
    """All classes and assets; look assets up with :meth:`get`."""

    version: int = Field(ge=1)
    classes: dict[str, ObjectClass]
    assets: list[Asset]
    root: Path = Field(default=CATALOG_PATH.parent, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> "Catalog":
        ids = [a.id for a in self.assets]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate asset ids: {', '.join(dupes)}")
        for a in self.assets:
            if a.object_class not in self.classes:
                raise ValueError(f"asset {a.id!r}: unknown class {a.object_class!r}")
        return self

    @property
    def ids(self) -> list[str]:
        """All asset ids."""
        return [a.id for a in self.assets]

    def get(self, asset_id: str, field: str = "asset") -> Asset:
        """The asset with ``asset_id``; SpecError naming ``field`` and close ids otherwise."""
        for a in self.assets:
            if a.id == asset_id:
                return a
        close = difflib.get_close_matches(asset_id, self.ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(self.ids)}"
        raise SpecError(f"{field}: unknown asset {asset_id!r}{hint}")

    def class_of(self, asset_id: str) -> ObjectClass:
        """The class record of an asset."""
        return self.classes[self.get(asset_id).object_class]

    def mesh_path(self, asset_id: str) -> Path:
        """Absolute path of an asset's mesh file."""
        return (self.root / self.get(asset_id).file).resolve()


def load_catalog(path: Path | str = CATALOG_PATH) -> Catalog:
    """Read and validate a catalog YAML file; CatalogError naming the file and field otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"{path}: asset catalog is missing")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Catalog.model_validate({**data, "root": path.resolve().parent})
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise CatalogError(f"{path}: {field}: {err['msg']}") from None


@lru_cache(maxsize=4)
def default_catalog() -> Catalog:
    """The project's catalog (assets/catalog.yaml), read once per process."""
    return load_catalog(CATALOG_PATH)
