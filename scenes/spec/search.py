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

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from scenes.spec.types import PLACEMENT_BOUNDS, POSE_BOUNDS, AssetId, Distinct, Interval, Roadside, Strict, UnitValue

#: Continuous factors: name -> (lowest, highest) allowed value, in the factor's unit: the object's
#: placement and the camera pose within the spec's own bounds (scenes/spec/types.py), the paint
#: hue in degrees, and the sun as ``SunSpec`` (scenes/spec/world.py) allows it.  The order is the
#: order of :meth:`SearchSpec.ranges`.
SEARCH_BOUNDS: dict[str, tuple[float, float]] = {
    **PLACEMENT_BOUNDS, "hue_deg": (0.0, 360.0), **POSE_BOUNDS, "sun_elevation_deg": (2.0, 90.0),
    "sun_azimuth_deg": (-180.0, 180.0)}
#: Categorical factors: the trial parameter's name -> the section's field.
CATEGORICAL_FIELDS = {"asset": "assets", "roadside": "roadside"}


class SearchRange(Interval):
    """A continuous factor's range, ``min`` ... ``max`` (``min == max``: fixed at that value)."""


class SearchSpec(Strict):
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
