"""The experiment kinds of a spec (its ``experiment:`` section): one pydantic model per kind, the
level ranges they share, and the registry :data:`EXPERIMENT_KINDS` that declares them.

Each model names its kind in a ``kind: Literal["<tag>"]`` field; :data:`Experiment` is the
discriminated union the whole spec (:mod:`scenes.spec.schema`) validates ``experiment:`` with.
Distances are metres, angles degrees; the bounds of each field are in its type
(:mod:`scenes.spec.types`).  Pydantic models; the names of the corruptions come from
:mod:`scenes.images`.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Union, get_args

from pydantic import Field, field_validator, model_validator

from scenes.errors import SpecError
from scenes.images import CORRUPTION_NAMES
from scenes.registry import Registry
from scenes.spec.perspective import PerspectiveSpec
from scenes.spec.depth_order import DepthOrderSpec
from scenes.spec.types import (PLACEMENT_BOUNDS, POSE_BOUNDS, AssetId, Condition, Distinct, DistanceM, Interval,
                               LateralM, RelativeDistance, Strict, Transform, UnitValue, YawDeg, with_reference)
from scenes.spec.texture import TextureSpec

#: Levels of a range are rounded to this many decimals (so that ids and seeds are stable).
LEVEL_DECIMALS = 6


#: Most levels of one range (one factor); whole designs are limited by scenes.design.plans.MAX_FRAMES.
MAX_RANGE_LEVELS = 10_001


def _unique(what: str, value: list[str]) -> list[str]:
    """``value`` if no entry repeats; ValueError ``<what> must be unique (got [...])`` otherwise."""
    if len(set(value)) != len(value):
        raise ValueError(f"{what} must be unique (got {value})")
    return value


class LevelRange(Strict):
    """Evenly spaced levels ``start, start + step, ..., stop`` (stop included), any sign.

    At most MAX_RANGE_LEVELS levels, each rounded to LEVEL_DECIMALS decimals; levels that the
    rounding would make equal (a step below 1e-6) are an error.
    """

    start: float
    stop: float
    step: float = Field(gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> "LevelRange":
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) must not be below start ({self.start})")
        if (self.stop - self.start) / self.step > MAX_RANGE_LEVELS - 1:
            raise ValueError(f"more than {MAX_RANGE_LEVELS - 1} levels")
        values = self.values()
        if len(set(values)) != len(values):
            raise ValueError(f"step ({self.step}) is below the 1e-{LEVEL_DECIMALS} resolution of levels: "
                             "rounded levels repeat")
        return self

    def count(self) -> int:
        """The number of levels (without computing them)."""
        return int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1

    def values(self) -> list[float]:
        """The levels, rounded to LEVEL_DECIMALS decimals so that ids are stable."""
        return [round(self.start + i * self.step, LEVEL_DECIMALS) for i in range(self.count())]


class PositiveRange(LevelRange):
    """Levels that must all be > 0 (relative distances, heights)."""

    start: float = Field(gt=0.0)
    stop: float = Field(gt=0.0)


class NonNegativeRange(LevelRange):
    """Levels that must all be >= 0 (elevations)."""

    start: float = Field(ge=0.0)
    stop: float = Field(ge=0.0, le=20.0)


class PositionVsSizeSpec(Strict):
    """Paper experiment 1 in 3D: vertical position versus apparent size.

    * ``position_and_size``: the object at distance d·Z0 (what happens when it moves away);
    * ``position_only``: at d·Z0 and scaled by d (same angular size, contact point higher);
    * ``size_only``: at Z0 and scaled by 1/d (smaller, contact point unchanged).

    Distance is the forward distance (m) from the camera to the nearest point of the object's
    footprint; the lateral position is that of the footprint centre.
    """

    kind: Literal["position_vs_size"]
    asset: AssetId
    base_distance_m: DistanceM  # Z0
    lateral_m: LateralM = 0.0
    yaw_deg: YawDeg = 0.0
    relative_distance: PositiveRange = Field(description="levels of d")
    conditions: list[Condition] = Field(min_length=1)
    reference_condition: Condition = Field("position_and_size", description="natural condition")

    @field_validator("conditions")
    @classmethod
    def _unique_conditions(cls, value: list[str]) -> list[str]:
        return _unique("conditions", value)

    @model_validator(mode="after")
    def _has_reference(self) -> "PositionVsSizeSpec":
        if self.reference_condition not in self.conditions:
            raise ValueError(f"conditions must include the reference_condition {self.reference_condition!r} "
                             "(its frames are the reference frames)")
        return self


class ElevationSpec(Strict):
    """The object raised above the road at a fixed distance: its contact row moves up while its
    size and true distance stay (its shadow detaches from it).

    ``distance_m`` is the forward distance to the nearest point of its footprint, metres.
    """

    kind: Literal["elevation"]
    asset: AssetId
    distance_m: DistanceM
    lateral_m: LateralM = 0.0
    yaw_deg: YawDeg = 0.0
    elevation_m: NonNegativeRange = Field(description="height of the object's lowest point above the road, m")

    @field_validator("elevation_m")
    @classmethod
    def _has_reference(cls, value: NonNegativeRange) -> NonNegativeRange:
        if value.start != 0.0:
            raise ValueError(f"must start at 0 (the frames on the road are the reference frames; "
                             f"got start {value.start})")
        return value


class PlacedObject(Strict):
    """An object standing on the road at a fixed place (same in every frame)."""

    asset: AssetId
    distance_m: DistanceM
    lateral_m: LateralM = 0.0
    yaw_deg: YawDeg = 0.0


class CameraPoseSpec(Strict):
    """The camera's pitch, roll or height changes; the objects stay where they are on the road.

    The levels must include the canonical value (the spec's ``camera`` value): those frames are
    the reference frames on which scale alignment is fitted.
    """

    kind: Literal["camera_pose"]
    vary: Literal["pitch_deg", "roll_deg", "height_m"]
    levels: LevelRange | list[float] = Field(
        description="levels of the varied pose value (degrees or metres): a range or an explicit list")
    objects: list[PlacedObject] = Field(min_length=1, max_length=50)

    def level_values(self) -> list[float]:
        """The levels in order, rounded to 6 decimals."""
        if isinstance(self.levels, LevelRange):
            return self.levels.values()
        return [round(float(v), LEVEL_DECIMALS) for v in self.levels]

    @model_validator(mode="after")
    def _levels_in_bounds(self) -> "CameraPoseSpec":
        low, high = POSE_BOUNDS[self.vary]
        values = self.level_values()
        if not values or len(set(values)) != len(values):
            raise ValueError(f"levels of {self.vary} must be a non-empty list of distinct values (got {values})")
        if min(values) < low or max(values) > high:
            raise ValueError(f"levels of {self.vary} must lie in [{low}, {high}] (got {min(values)} ... {max(values)})")
        return self


class NovelObjectsSpec(Strict):
    """Familiar and novel objects at relative distances d·Z0 (paper experiment 4), one per frame."""

    kind: Literal["novel_objects"]
    assets: list[AssetId] = Field(min_length=1, description="asset ids from the catalog")
    base_distance_m: DistanceM  # Z0
    lateral_m: LateralM = 0.0
    yaw_deg: YawDeg = 0.0
    relative_distance: PositiveRange = Field(description="levels of d")

    @field_validator("assets")
    @classmethod
    def _unique_assets(cls, value: list[str]) -> list[str]:
        return _unique("assets", value)


class BandSweep(Strict):
    """The study's bottom-edge sweep: a flat band across the object's base, thickness x brightness."""

    thickness_px: Annotated[list[Annotated[float, Field(ge=0.0, le=100.0)]], Distinct] = Field(
        min_length=1, description="band heights, pixels of this spec's image at the reference distance Z0")
    value: Annotated[list[UnitValue], Distinct] = Field(min_length=1,
                                                        description="band brightness, 0 = black ... 1 = white")
    silhouette: bool = Field(True, description="show the object as a flat-coloured silhouette (as in the study)")
    silhouette_value: UnitValue = Field(0.55, description="brightness of the silhouette, 0 ... 1")


class ColourSweep(Strict):
    """Object colour: hue swept at a fixed value, and value swept at a fixed hue (HSV, display space)."""

    hue_deg: Annotated[list[Annotated[float, Field(ge=0.0, lt=360.0)]], Distinct] = Field(
        min_length=1, description="hues, degrees")
    value: Annotated[list[UnitValue], Distinct] = Field(min_length=1,
                                                        description="values (brightness) at the fixed hue")
    fixed_value: UnitValue = 0.6
    fixed_hue_deg: float = Field(0.0, ge=0.0, lt=360.0)
    saturation: UnitValue = 0.8


class GroundContactSpec(Strict):
    """Shadow, contact edge and colour of an object (paper experiment 4), at relative distances d·Z0.

    Sub-sweeps, each optional: shadow on/off; a flat band at the base swept in thickness and
    brightness (on a flat-coloured silhouette unless ``silhouette: false``); paint colour swept in
    hue and in value.  Frames with the shadow on and no manipulation are the reference frames.
    """

    kind: Literal["ground_contact"]
    asset: AssetId
    base_distance_m: DistanceM  # Z0
    lateral_m: LateralM = 0.0
    yaw_deg: YawDeg = 0.0
    relative_distance: Annotated[list[RelativeDistance], Distinct] = Field(min_length=1, description="levels of d")
    shadow: bool = Field(True, description="include the shadow on/off sweep")
    band: BandSweep | None = None
    colour: ColourSweep | None = None

    @model_validator(mode="after")
    def _has_a_sweep(self) -> "GroundContactSpec":
        if not self.shadow and self.band is None and self.colour is None:
            raise ValueError("no frames: set shadow: true, or give a band or a colour sweep")
        return self


#: Allowed range of the number of objects of a random frame, and of an object's scale (relative to
#: its catalog size).
RANDOM_OBJECTS_BOUNDS = (0, 50)
RANDOM_SCALE_BOUNDS = (0.05, 20.0)


class RandomScenesSpec(Strict):
    """Random scenes for training networks: objects and camera drawn per frame.

    Every frame draws, with its own generator (seeded from the set's seed and its id): the
    variant, the camera height and pitch, the number of objects, and per object its asset,
    forward distance, lateral position, heading, scale (relative to its catalog size) and
    elevation.  Draws that put an object out of the image, behind the camera, or overlapping
    another object are redrawn (up to ``max_attempts`` times per object; then fewer objects).
    """

    kind: Literal["random_scenes"]
    n_frames: int = Field(ge=1, le=1_000_000)
    assets: list[AssetId] = Field(min_length=1, description="asset ids to draw from, uniformly")
    objects_per_frame: Interval = Field(description="number of objects (integers between min and max)")
    distance_m: Interval = Field(description="forward distance to the nearest footprint point, m")
    lateral_m: Interval = Field(description="footprint centre, metres right of the camera")
    yaw_deg: Interval = Interval(min=0.0, max=0.0)
    scale: Interval = Field(Interval(min=1.0, max=1.0), description="size relative to the catalog size")
    elevated_fraction: UnitValue = Field(0.0, description="fraction of objects raised above the road")
    elevation_m: Interval = Field(Interval(min=0.0, max=0.0), description="height of raised objects, m")
    camera_height_m: Interval | None = Field(None, description="default: the spec camera's height")
    pitch_deg: Interval | None = Field(None, description="default: the spec camera's pitch")
    max_attempts: int = Field(30, ge=1, le=1000)

    @model_validator(mode="after")
    def _ranges(self) -> "RandomScenesSpec":
        place = PLACEMENT_BOUNDS
        bounds = {"objects_per_frame": RANDOM_OBJECTS_BOUNDS, "distance_m": place["distance_m"],
                  "lateral_m": place["lateral_m"], "yaw_deg": place["yaw_deg"], "scale": RANDOM_SCALE_BOUNDS,
                  "elevation_m": place["elevation_m"], "camera_height_m": POSE_BOUNDS["height_m"],
                  "pitch_deg": POSE_BOUNDS["pitch_deg"]}
        for name, (low, high) in bounds.items():  # in this order: the first one out of bounds is reported
            interval = getattr(self, name)
            if interval is not None and (interval.min < low or interval.max > high):
                raise ValueError(f"experiment.{name}: must lie in [{low:g}, {high:g}] "
                                 f"(got {interval.min} ... {interval.max})")
        return self


class ImageTransformsSpec(Strict):
    """Whole-image colour changes (paper experiment 5) applied to rendered frames.

    Each placement (asset x relative distance x variant) is rendered once; every transform is a
    frame of its own with the same depth and masks.  ``none`` frames are the reference frames.
    """

    kind: Literal["image_transforms"]
    assets: Annotated[list[AssetId], Distinct] = Field(min_length=1,
                                                       description="asset ids from the catalog, one per frame")
    base_distance_m: DistanceM  # Z0
    lateral_m: LateralM = 0.0
    relative_distance: Annotated[list[RelativeDistance], Distinct] = Field(min_length=1, description="levels of d")
    transforms: list[Transform] = Field(min_length=1)

    @field_validator("transforms")
    @classmethod
    def _has_reference(cls, value: list[str]) -> list[str]:
        return _unique("transforms", with_reference(value, "none", "the untransformed reference frames"))


#: Experiment kinds a ``robustness`` experiment may corrupt (its ``base``): every kind whose frames
#: are not already image transforms.
RobustnessBase = Annotated[Union[PositionVsSizeSpec, ElevationSpec, CameraPoseSpec, NovelObjectsSpec,
                                 GroundContactSpec, RandomScenesSpec], Field(discriminator="kind")]
CorruptionName = Literal[CORRUPTION_NAMES]  # type: ignore[valid-type]
Severity = Annotated[int, Field(ge=1, le=5, description="corruption severity, 1 (mild) ... 5 (strong)")]


class RobustnessSpec(Strict):
    """Common image corruptions (ImageNet-C, RoboDepth) of another experiment's frames.

    Every frame of the ``base`` experiment is rendered once and written clean (``corruption``
    ``clean``, ``severity`` 0) and under every corruption at every severity
    (:mod:`scenes.images.corruptions`), with the same depth and masks.  The clean frames of the base's
    reference frames are the reference frames.
    """

    kind: Literal["robustness"]
    base: RobustnessBase
    corruptions: Annotated[list[CorruptionName], Distinct] = Field(
        default_factory=lambda: list(CORRUPTION_NAMES), min_length=1,
        description="corruptions to apply (default: all of scenes.images.corruptions.CORRUPTIONS)")
    severities: Annotated[list[Severity], Distinct] = Field(default_factory=lambda: [1, 2, 3, 4, 5], min_length=1)


def kind_tag(model: type[Strict]) -> str:
    """The ``kind:`` tag of an experiment spec model: the one value of its ``kind`` Literal."""
    field = model.model_fields.get("kind")
    values = get_args(field.annotation) if field is not None else ()
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{model.__name__}: an experiment spec needs a field kind: Literal['<tag>']")
    return values[0]


#: The experiment kinds: ``kind:`` tag -> spec model.  This is where a kind is declared: its tag
#: is read from the model's ``kind`` Literal; the ``experiment:`` union below is built from it,
#: and :data:`scenes.design.kinds.EXPANDERS` must have an expander for exactly these kinds (checked
#: when scenes.design.kinds is imported).
from scenes.spec.shading import ShadingSpec  # noqa: E402  (a kind in its own module)

EXPERIMENT_KINDS: Registry[type[Strict]] = Registry(
    "experiment kind", subclass_of=Strict, unknown_error=SpecError, load_error=SpecError,
    entries={kind_tag(model): model for model in (
        PositionVsSizeSpec, ElevationSpec, CameraPoseSpec, NovelObjectsSpec, GroundContactSpec,
        ImageTransformsSpec, RandomScenesSpec, RobustnessSpec,
        PerspectiveSpec, TextureSpec, ShadingSpec, DepthOrderSpec)})
Experiment = Annotated[Union[tuple(EXPERIMENT_KINDS.values())], Field(discriminator="kind")]
