"""Field types shared by the spec sections (scenes/spec/schema.py, experiments.py, world.py and
search.py): names, distances, levels, intervals, the bounds of the camera pose and of a placement.

Units and ranges live here once.  Names become parts of frame ids, and frame ids become file
names (``rgb/<id>.png``), so every name in a spec is one constrained type, :data:`Name`.
Pure Python (pydantic only).
"""
from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    import numpy as np

#: Longest name (spec, variant, asset id), characters.  A frame id joins a few names and levels
#: (``position_and_size-d1.00-<variant>``), and file systems allow 255 bytes per file name:
#: 64-character names keep every id, with its ``.png``/``.npy`` suffix, well inside that.
MAX_NAME_CHARS = 64
#: A name: lower-case letters, digits and ``_``, starting with a letter or digit.  Lower case
#: only, so that two names never map to one file on a case-insensitive file system (macOS,
#: Windows); no ``-`` (it separates the parts of a frame id), no ``/`` or ``.`` (paths).
NAME_PATTERN = rf"^[a-z0-9][a-z0-9_]{{0,{MAX_NAME_CHARS - 1}}}$"
_NAME_RE = re.compile(NAME_PATTERN)
#: Longest free-text ``description`` of a spec, characters (it is copied into every manifest).
MAX_DESCRIPTION_CHARS = 4000


def check_name(value: str) -> str:
    """``value`` if it is a valid :data:`Name`; ValueError (one line, for the field) otherwise."""
    if not _NAME_RE.match(value):
        raise ValueError(f"must be 1 to {MAX_NAME_CHARS} characters a-z, 0-9 or _, starting with a letter "
                         "or digit (names become parts of file names)")
    return value


T = TypeVar("T", bound=Hashable)


def check_distinct(values: Sequence[T]) -> Sequence[T]:
    """``values`` if no value repeats (each value is a level in frame ids); ValueError naming the repeats."""
    seen: set[T] = set()
    repeated = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    if repeated:
        raise ValueError(f"values must be distinct (repeated: {', '.join(str(v) for v in repeated[:5])})")
    return values


#: A name that becomes part of file names: spec name, variant name, asset id.
Name = Annotated[str, AfterValidator(check_name)]
#: Free text (a spec's description), at most MAX_DESCRIPTION_CHARS characters.
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION_CHARS)]
AssetId = Annotated[Name, Field(description="asset id from the catalog")]
DistanceM = Annotated[float, Field(gt=0.0, le=500.0, description="forward distance to the nearest footprint point, m")]
LateralM = Annotated[float, Field(ge=-50.0, le=50.0, description="footprint centre, metres right of the camera")]
YawDeg = Annotated[float, Field(ge=-180.0, le=180.0, description="heading, degrees; 0 = facing away from the camera")]
UnitValue = Annotated[float, Field(ge=0.0, le=1.0)]
#: Relative distances d (multiples of Z0) given as a list: > 0, at most 100.
RelativeDistance = Annotated[float, Field(gt=0.0, le=100.0)]
#: Marks a list of levels whose values must be distinct: ``Annotated[list[float], Distinct]``.
Distinct = AfterValidator(check_distinct)


def with_reference(value: list, level: Hashable, why: str = "its frames are the reference frames") -> list:
    """``value`` (a field's list of levels) if it holds ``level``; ValueError ``must include <level>
    (<why>)`` otherwise: the one check of a kind's reference level (condition, mapping, scale, ...)."""
    if level not in value:
        shown = format(level, "g") if isinstance(level, float) else repr(level)
        raise ValueError(f"must include {shown} ({why})")
    return value


Condition = Literal["position_and_size", "position_only", "size_only"]
Transform = Literal["none", "grayscale", "false_colours", "semantic_colours", "class_average"]


class Strict(BaseModel):
    """Base of every spec section: unknown keys are errors; values are checked on assignment;
    every float must be finite (NaN and infinity are errors), for every field of every section."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True, allow_inf_nan=False)


#: Allowed range of each camera-pose value: pitch and roll in degrees (> 0 tilts down; > 0 turns
#: counter-clockwise), height of the optical centre above the road in metres.  The bounds of the
#: ``camera`` section, of camera_pose levels, of random scenes' cameras and of the search.
POSE_BOUNDS = {"pitch_deg": (-30.0, 30.0), "roll_deg": (-45.0, 45.0), "height_m": (0.2, 20.0)}
#: Allowed range of where an object is drawn or searched: forward distance to its footprint's
#: nearest point (m; 0.5 m keeps it beyond Blender's 0.1 m clip start), footprint centre right of
#: the camera (m), heading (degrees), height of its lowest point above the road (m).
PLACEMENT_BOUNDS = {"distance_m": (0.5, 500.0), "lateral_m": (-50.0, 50.0), "yaw_deg": (-180.0, 180.0),
                    "elevation_m": (0.0, 20.0)}
#: What stands beside the road in a world variant (``VariantSpec.roadside``; a searchable factor).
Roadside = Literal["open", "buildings", "trees", "fence"]


class Interval(Strict):
    """A closed interval [min, max] of one factor, in the factor's unit (``min == max``: one value).

    A random scene draws uniformly from it (:meth:`sample`); the search searches it.
    """

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "Interval":
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must not be below min ({self.min})")
        return self

    @property
    def fixed(self) -> bool:
        """True when the interval is one value (nothing to draw or search)."""
        return self.max == self.min

    def sample(self, rng: "np.random.Generator") -> float:
        """One uniform draw from the interval with the caller's generator (``min`` when fixed)."""
        return float(rng.uniform(self.min, self.max)) if self.max > self.min else float(self.min)
