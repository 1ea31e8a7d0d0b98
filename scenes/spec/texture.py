"""The ``texture`` experiment kind: texture density gradient on the road and texture detail on objects.

Two parts, each optional but not both absent:

* ``road``: the road's cobble texture mapped three ways on the same geometry -- ``world`` (fixed
  to the road plane: its image density rises towards the horizon, the true gradient),
  ``screen`` (fixed to the image: constant density, no gradient) and ``reversed`` (density
  falling with distance: the gradient runs the wrong way) -- with a car at relative distances
  d·Z0 under each mapping.
* ``detail``: a car whose paint carries a checker texture in object coordinates, its spatial
  frequency scaled by ``detail_scale`` at a fixed distance, and a conflict pair (a near and a far
  car side by side with coarse and fine detail, in both assignments).

Distances in metres, frequencies in squares per metre of the object's surface.  Pydantic only.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from scenes.spec.types import AssetId, Distinct, DistanceM, LateralM, Strict, YawDeg, with_reference

#: The road texture's mappings (``RoadTextureSpec.mappings``): see the module docstring.
RoadMapping = Literal["world", "screen", "reversed"]
#: The mapping whose frames are the reference frames (the natural road).
REFERENCE_MAPPING = "world"
#: The object detail level of the natural car (the reference frames of the detail part).
REFERENCE_DETAIL = 1.0
#: A detail scale: multiplies the paint checker's frequency (> 0; 1 = the reference detail).
DetailScale = Annotated[float, Field(gt=0.0, le=64.0)]


class RoadTextureSpec(Strict):
    """The road part: one road texture under several mappings, a car at d·Z0 under each."""

    mappings: Annotated[list[RoadMapping], Distinct] = Field(
        default_factory=lambda: ["world", "screen", "reversed"], min_length=1,
        description="road texture mappings; must include 'world' (the reference frames)")
    cell_m: float = Field(0.6, ge=0.05, le=5.0,
                          description="cobble cell size of the road texture on the road plane (world mapping), m")
    reference_depth_m: DistanceM = Field(
        10.0, description="z-depth (m) at which the screen and reversed mappings have the world mapping's "
                          "image density")
    base_distance_m: DistanceM = Field(8.0, description="Z0: the car's distance at d = 1, m")
    relative_distance: Annotated[list[Annotated[float, Field(gt=0.0, le=100.0)]], Distinct] = Field(
        default_factory=lambda: [1.0, 1.5, 2.0, 2.5, 3.0], min_length=1, description="levels of d (Z0 multiples)")

    @field_validator("mappings")
    @classmethod
    def _has_world(cls, value: list[str]) -> list[str]:
        return with_reference(value, REFERENCE_MAPPING)


class ConflictSpec(Strict):
    """Two cars side by side, a near and a far one, with coarse and fine paint detail; rendered in
    both assignments (near coarse + far fine, and near fine + far coarse)."""

    near_m: DistanceM = Field(10.0, description="the near car's distance, m")
    far_m: DistanceM = Field(20.0, description="the far car's distance, m")
    near_lateral_m: LateralM = Field(-1.9, description="the near car's footprint centre, m right of the camera")
    far_lateral_m: LateralM = Field(1.9, description="the far car's footprint centre, m right of the camera")
    coarse_scale: DetailScale = Field(0.25, description="detail scale of the coarse car")
    fine_scale: DetailScale = Field(4.0, description="detail scale of the fine car")

    @model_validator(mode="after")
    def _ordered(self) -> "ConflictSpec":
        if self.far_m <= self.near_m:
            raise ValueError(f"far_m ({self.far_m}) must be beyond near_m ({self.near_m})")
        if self.fine_scale <= self.coarse_scale:
            raise ValueError(f"fine_scale ({self.fine_scale}) must be above coarse_scale ({self.coarse_scale})")
        return self


class DetailSpec(Strict):
    """The detail part: the car's paint checker frequency scaled at one distance, plus the conflict pair."""

    distance_m: DistanceM = Field(15.0, description="the car's distance in the detail frames, m")
    lateral_m: LateralM = 0.0
    base_squares_per_m: float = Field(4.0, ge=0.1, le=100.0,
                                      description="checker squares per metre of paint at detail scale 1")
    detail_scale: Annotated[list[DetailScale], Distinct] = Field(
        default_factory=lambda: [0.25, 0.5, 1.0, 2.0, 4.0], min_length=2,
        description="frequency multipliers of the paint checker; must include 1 (the reference)")
    conflict: ConflictSpec | None = Field(ConflictSpec(), description="the conflict pair (null: none)")

    @field_validator("detail_scale")
    @classmethod
    def _has_reference(cls, value: list[float]) -> list[float]:
        return with_reference(value, REFERENCE_DETAIL, "the reference detail")


class TextureSpec(Strict):
    """Texture gradient on the road and texture detail on objects (cue experiment ``texture``)."""

    #: The mapping whose road frames, and the detail scale whose detail frames, are the reference frames.
    REFERENCE_MAPPING: ClassVar[str] = REFERENCE_MAPPING
    REFERENCE_DETAIL: ClassVar[float] = REFERENCE_DETAIL

    kind: Literal["texture"]
    asset: AssetId = Field(description="the car (catalog id); its 'paint' part carries the detail texture")
    lateral_m: LateralM = Field(0.0, description="the car's footprint centre in the road frames, m right")
    yaw_deg: YawDeg = 0.0
    road: RoadTextureSpec | None = RoadTextureSpec()
    detail: DetailSpec | None = DetailSpec()

    @model_validator(mode="after")
    def _has_a_part(self) -> "TextureSpec":
        if self.road is None and self.detail is None:
            raise ValueError("no frames: give road, detail or both")
        return self
