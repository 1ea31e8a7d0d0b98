"""The depth-order (interposition) experiment kind: two objects whose image regions overlap, drawn
in their physical order or with the far one drawn over the near one.

Object A (``near_asset``, object id 1) stands ``near_distance_m`` ahead, object B (``far_asset``,
object id 2) ``distance_ratio`` times as far, at ``far_lateral_m``.  A is moved sideways so that
it hides the requested ``overlap`` -- a fraction of B's image area -- in the consistent render.
Conditions:

* ``consistent``: A occludes B (a normal render);
* ``reversed``: B is drawn over A (same scene, same lighting and shadows; only which surface is
  drawn where they overlap changes: the T-junctions reverse);
* ``far_alone``: B without A (for depth bleeding; one frame per distance ratio and variant).

Distances in metres (forward distance to the nearest footprint point), fractions in [0, 1].
Pydantic only.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from scenes.spec.types import AssetId, Distinct, DistanceM, LateralM, Strict, UnitValue, YawDeg, with_reference

DepthOrderCondition = Literal["consistent", "reversed", "far_alone"]
#: Largest overlap level: beyond 0.6 of B hidden, too little of B stays visible to estimate it.
MAX_OVERLAP = 0.6
#: Most distance ratios of B to A (far / near, > 1: B is the farther one).
MAX_DISTANCE_RATIO = 10.0
Overlap = Annotated[float, Field(ge=0.0, le=MAX_OVERLAP,
                                 description="fraction of B's image area hidden by A in the consistent render")]
DistanceRatio = Annotated[float, Field(gt=1.0, le=MAX_DISTANCE_RATIO, description="B's distance / A's distance")]


class DepthOrderSpec(Strict):
    """Interposition: ordering two objects whose images overlap, with the occlusion consistent with
    their depths or reversed (see the module docstring)."""

    kind: Literal["depth_order"]
    near_asset: AssetId = Field(description="object A, the near one (object id 1)")
    far_asset: AssetId = Field(description="object B, the far one (object id 2)")
    near_distance_m: DistanceM = Field(description="A's forward distance to its nearest footprint point, m")
    distance_ratio: Annotated[list[DistanceRatio], Distinct] = Field(
        min_length=1, description="levels of B's distance as a multiple of A's (> 1, at most 10)")
    far_lateral_m: LateralM = Field(0.0, description="B's footprint centre, metres right of the camera")
    near_side: Literal["left", "right"] = Field("left", description="the side of B on which A stands")
    yaw_deg: YawDeg = 0.0
    far_paint_rgb: tuple[UnitValue, UnitValue, UnitValue] | None = Field(
        None, description="B's paint colour, display sRGB 0 ... 1 (None: the mesh file's), so that the "
                          "two cars' outlines meet in a visible edge")
    overlap: Annotated[list[Overlap], Distinct] = Field(min_length=1, description="levels of the overlap, 0 ... 0.6")
    conditions: list[DepthOrderCondition] = Field(
        default_factory=lambda: ["consistent", "reversed", "far_alone"], min_length=1,
        description="consistent (reference frames), reversed, far_alone")

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"must be unique (got {value})")
        return with_reference(value, "consistent")
