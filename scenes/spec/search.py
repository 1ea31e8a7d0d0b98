"""The ``search:`` section of a spec: the factors ``depthprobe search`` may vary, and their ranges.

A search trial is one frame with one object on the road: its asset (categorical), its forward
distance, lateral position, heading, elevation and paint hue; the camera's pitch, roll and
height; the sun's elevation and azimuth; the roadside (categorical).  Each continuous factor is
a range ``{min: ..., max: ...}`` (``min == max`` fixes it); a factor left out keeps the spec's
value (camera: ``camera``; sun and roadside: the first world variant; lateral, yaw and elevation
0; hue: the mesh's own paint).  ``assets`` and ``distance_m`` are required: they make the object.

Example::

    search:
      assets: [car_sedan, car_suv]
      distance_m: {min: 6, max: 40}
      pitch_deg: {min: -3, max: 3}
      roadside: [open, trees]

Pure Python (pydantic); the section is the field ``StimulusSpec.search`` of :mod:`scenes.spec.schema`
(optional: a spec without it keeps its hash).  The search itself is ``depthprobe/search/``.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scenes.spec.types import AssetId, Distinct, UnitValue

#: The roadside kinds (as ``VariantSpec.roadside`` of scenes/spec/schema.py; a test keeps them equal).
Roadside = Literal["open", "buildings", "trees", "fence"]
#: Continuous factors: name -> (lowest, highest) allowed value, in the factor's unit.
SEARCH_BOUNDS: dict[str, tuple[float, float]] = {
    "distance_m": (0.5, 500.0), "lateral_m": (-50.0, 50.0), "yaw_deg": (-180.0, 180.0),
    "elevation_m": (0.0, 20.0), "hue_deg": (0.0, 360.0), "pitch_deg": (-30.0, 30.0),
    "roll_deg": (-45.0, 45.0), "height_m": (0.2, 20.0), "sun_elevation_deg": (2.0, 90.0),
    "sun_azimuth_deg": (-180.0, 180.0)}
#: Categorical factors: the trial parameter's name -> the section's field.
CATEGORICAL_FIELDS = {"asset": "assets", "roadside": "roadside"}


class _SearchStrict(BaseModel):
    """Same rules as ``scenes.spec.schema.Strict`` (unknown keys are errors, finite floats, frozen);
    its own base so that this module need not import scenes.spec.schema, which imports it."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True, allow_inf_nan=False)


class SearchRange(_SearchStrict):
    """A continuous factor's range, ``min`` ... ``max`` (``min == max``: fixed at that value)."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "SearchRange":
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must not be below min ({self.min})")
        return self

    @property
    def fixed(self) -> bool:
        """True when the range is one value (nothing to search)."""
        return self.max == self.min


class SearchSpec(_SearchStrict):
    """What ``depthprobe search`` varies (see the module docstring); units are in the names."""

    assets: Annotated[list[AssetId], Distinct] = Field(min_length=1, description="asset ids to choose from")
    distance_m: SearchRange = Field(description="forward distance to the nearest footprint point, m")
    lateral_m: SearchRange | None = Field(None, description="footprint centre, metres right of the camera")
    yaw_deg: SearchRange | None = Field(None, description="heading, degrees; 0 = facing away from the camera")
    elevation_m: SearchRange | None = Field(None, description="height of the object's lowest point, m")
    hue_deg: SearchRange | None = Field(None, description="paint hue (HSV, display space), degrees")
    pitch_deg: SearchRange | None = Field(None, description="camera pitch, degrees (> 0 tilts down)")
    roll_deg: SearchRange | None = Field(None, description="camera roll, degrees")
    height_m: SearchRange | None = Field(None, description="camera height above the road, m")
    sun_elevation_deg: SearchRange | None = Field(None, description="sun elevation, degrees")
    sun_azimuth_deg: SearchRange | None = Field(None, description="where the sun shines from, degrees, 0 = ahead")
    roadside: Annotated[list[Roadside], Distinct] | None = Field(None, min_length=1,
                                                                 description="roadside kinds to choose from")
    paint_saturation: UnitValue = Field(0.8, description="paint saturation when hue_deg is searched")
    paint_value: UnitValue = Field(0.6, description="paint value (brightness) when hue_deg is searched")

    @field_validator(*SEARCH_BOUNDS)
    @classmethod
    def _in_bounds(cls, value: SearchRange | None, info: ValidationInfo) -> SearchRange | None:
        low, high = SEARCH_BOUNDS[info.field_name]
        if value is not None and (value.min < low or value.max > high):
            raise ValueError(f"must lie in [{low:g}, {high:g}] (got {value.min:g} ... {value.max:g})")
        return value

    def ranges(self) -> dict[str, SearchRange]:
        """The continuous factors the section names (fixed ones included), in a stable order."""
        return {name: getattr(self, name) for name in SEARCH_BOUNDS if getattr(self, name) is not None}

    def choices(self) -> dict[str, list[str]]:
        """The categorical factors the section names: parameter name -> its choices."""
        return {param: list(getattr(self, fld)) for param, fld in CATEGORICAL_FIELDS.items()
                if getattr(self, fld) is not None}
