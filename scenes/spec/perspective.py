"""The linear-perspective experiment kind (``kind: perspective``): a false vanishing point painted
on the flat road (forced perspective, the Ponzo road) and a dolly zoom.

* **False vanishing point.**  The road's edge lines and dashed lane lines are painted so that
  they converge or diverge on the ground (generator/markings.py): their image vanishing point
  lies ``vp_shift_deg`` above (> 0) or below (< 0) the true horizon, seen from the camera's
  centre, while road, verges and camera stay flat and level.  One car stands between the lines at
  each of ``distances_m``; every distance at every level (the Ponzo comparison: the same car at
  the same distance between lines that converge more or less).
* **Dolly zoom.**  The car stands at ``dolly_ratio`` x each of ``dolly_distances_m`` and the focal
  length is multiplied by the same ratio, so its image size and contact row stay the same while
  its true distance grows (the camera moves back along the road; the road is uniform along y, so
  moving the car ahead is the same view).

Angles in degrees, distances in metres.  The frames with parallel lines (shift 0) and the dolly
frames at ratio 1 are the reference frames (the spec's camera and road).
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from scenes.spec.types import AssetId, Distinct, LateralM, Strict, YawDeg, with_reference

#: Largest vanishing-point shift (degrees above or below the horizon): at 1.65 m camera height a
#: 4.5 degree shift is a lateral taper of 0.048 / m, inside the world's MAX_MARKING_TAPER_PER_M.
MAX_VP_SHIFT_DEG = 4.5
#: Distances of the car: beyond Blender's clip start, and near enough to be more than a few pixels.
PerspectiveDistanceM = Annotated[float, Field(ge=2.0, le=80.0)]
VpShiftDeg = Annotated[float, Field(ge=-MAX_VP_SHIFT_DEG, le=MAX_VP_SHIFT_DEG)]
DollyRatio = Annotated[float, Field(ge=1.0, le=6.0)]


class PerspectiveSpec(Strict):
    """False vanishing point (painted converging/diverging lines) and dolly zoom, one car per frame."""

    kind: Literal["perspective"]
    asset: AssetId = Field(description="the car, an asset id from the catalog")
    lateral_m: LateralM = Field(0.0, description="footprint centre, metres right of the camera (0: between the lines)")
    yaw_deg: YawDeg = 0.0
    vp_shift_deg: Annotated[list[VpShiftDeg], Distinct] = Field(
        min_length=1, description="elevation of the painted lines' vanishing point above the true horizon, degrees "
                                  f"(> 0 above: diverging lines; < 0 below: converging), within +-{MAX_VP_SHIFT_DEG}; "
                                  "must include 0")
    distances_m: Annotated[list[PerspectiveDistanceM], Distinct] = Field(
        min_length=1, description="forward distances of the car between the painted lines, m (2 ... 80)")
    dolly_ratio: Annotated[list[DollyRatio], Distinct] = Field(
        default_factory=list, description="dolly-zoom factors r (1 ... 6): distance and focal length times r; "
                                          "empty = no dolly frames; must include 1 otherwise")
    dolly_distances_m: Annotated[list[PerspectiveDistanceM], Distinct] = Field(
        default_factory=lambda: [10.0], description="the car's distance at r = 1 in the dolly frames, m")

    @field_validator("vp_shift_deg")
    @classmethod
    def _vp_reference(cls, value: list[float]) -> list[float]:
        return with_reference(value, 0.0, "parallel lines: the reference frames")

    @field_validator("dolly_ratio")
    @classmethod
    def _dolly_reference(cls, value: list[float]) -> list[float]:
        return with_reference(value, 1.0, "the spec's camera: the reference frames") if value else value
