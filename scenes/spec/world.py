"""The world section of a spec: the road, the sun, the world variants, and photographs as
backgrounds (``world.background``, scenes/design/photos.py)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from scenes.spec.types import Name, Roadside, Strict

#: The variant of a world that names none (WorldSpec.variants' default): beside world.background,
#: the only variants a spec may give (the same as leaving them out).
DEFAULT_VARIANT_NAME = "open"
#: Largest lateral taper of the painted lines (1/m): at 0.05 the lines' lateral factor 1 + t y
#: stays positive over the 20 m of road behind the camera (scenes.design.world.ROAD_BEHIND_M).
MAX_MARKING_TAPER_PER_M = 0.05


class SunSpec(Strict):
    """Sun direction and strength."""

    elevation_deg: float = Field(40.0, ge=2.0, le=90.0, description="sun elevation above the horizon, degrees")
    azimuth_deg: float = Field(150.0, ge=-180.0, le=180.0,
                               description="compass direction the sun shines FROM, degrees, 0 = ahead (+y), 90 = right (+x)")
    strength: float = Field(3.5, ge=0.0, le=20.0, description="sun irradiance, W/m^2 (Blender units)")


class RoadSpec(Strict):
    """The road: straight, level, at z = 0."""

    lanes: int = Field(2, ge=1, le=6, description="number of lanes")
    lane_width_m: float = Field(3.5, ge=2.5, le=5.0, description="lane width, m")
    ego_lane: int = Field(0, ge=0, description="lane the camera drives in, counted from the left (0)")


class VariantSpec(Strict):
    """One world variant: what stands beside the road, and optionally its own sun, sky and road.

    Variants multiply the design; each frame records its variant's levels.  Fields left out
    take the values of ``world``.
    """

    name: Name
    roadside: Roadside = "open"
    sun: SunSpec | None = Field(None, description="this variant's sun (default: world.sun)")
    overcast: bool = Field(False, description="no direct sun: a brighter, greyer sky lights the scene")
    lanes: int | None = Field(None, ge=1, le=6, description="number of lanes (default: world.road.lanes)")
    parked_cars: int = Field(0, ge=0, le=40, description="cars parked beside the road (world, not stimulus objects)")
    photo: str | None = Field(None, description="set by world.background: the photo (its id) this variant is")
    # The two fields below are left out of the spec's dump (and hash) at their defaults, so specs
    # that do not set them hash as before.  The perspective kind sets them on derived variants.
    marking_taper_per_m: float = Field(
        0.0, ge=-MAX_MARKING_TAPER_PER_M, le=MAX_MARKING_TAPER_PER_M, exclude_if=lambda v: v == 0.0,
        description="painted lines' lateral taper t, 1/m: a marking point at (x, y) is painted at (x (1 + t y), y), "
                    "so the lines' image vanishing point lies f H t px above the horizon; 0 = parallel lines")
    world_of: Name | None = Field(None, exclude_if=lambda v: v is None,
                                  description="variant whose roadside draws (trees, buildings, parked cars) this "
                                              "one repeats (default: its own name)")

    @property
    def world_seed_name(self) -> str:
        """The name the roadside draws are seeded from: ``world_of`` or the variant's own name."""
        return self.world_of or self.name


class BackgroundSpec(Strict):
    """Real photographs as backgrounds (scenes/photos/backgrounds.py reads the folder): each object is
    rendered into a photo's calibrated camera over a shadow-catching road plane and composited
    over it; the photo is the frame's counterfactual.  The photos take the place of world
    variants."""

    photos: str = Field(..., min_length=1,
                        description="folder of photos and their calibration (relative to the spec file's folder)")
    assign: Literal["seeded", "each"] = Field(
        "seeded", description="seeded: each render on one photo, drawn from the seed (balanced); "
                              "each: the whole design on every photo")
    kitti_camera: Literal["02", "03"] = Field("02", description="KITTI layout: which colour camera's calibration")


class WorldSpec(Strict):
    """Road world shared by all frames; ``variants`` multiply the design."""

    road: RoadSpec = RoadSpec()
    sun: SunSpec = SunSpec()
    variants: list[VariantSpec] = Field(default_factory=lambda: [VariantSpec(name=DEFAULT_VARIANT_NAME)],
                                        min_length=1)
    background: BackgroundSpec | None = Field(None, description="render into real photographs instead of road worlds")

    @model_validator(mode="after")
    def _photos_are_the_variants(self) -> "WorldSpec":
        for i, variant in enumerate(self.variants):
            if variant.photo is not None and self.background is None:
                raise ValueError(f"world.variants.{i}.photo: set by world.background; leave it out")
        default = [VariantSpec(name=DEFAULT_VARIANT_NAME)]
        if self.background is not None and self.variants != default and not all(v.photo for v in self.variants):
            raise ValueError("world.variants: with world.background the photos are the variants; leave variants "
                             f"out (or give only the default [{{name: {DEFAULT_VARIANT_NAME}}}])")
        return self

    @field_validator("variants")
    @classmethod
    def _unique_variant_names(cls, value: list[VariantSpec]) -> list[VariantSpec]:
        names = [v.name for v in value]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique (got {names})")
        return value

    @model_validator(mode="after")
    def _ego_lane_exists(self) -> "WorldSpec":
        for where, lanes in [("world.road.lanes", self.road.lanes)] + [
                (f"world.variants.{i}.lanes", v.lanes) for i, v in enumerate(self.variants) if v.lanes is not None]:
            if self.road.ego_lane >= lanes:
                raise ValueError(f"{where}: {lanes} lane(s) leave no lane {self.road.ego_lane} "
                                 "for the camera (world.road.ego_lane counts from 0)")
        return self
