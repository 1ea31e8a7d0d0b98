"""The stimulus-set spec: a strict schema (pydantic) and the loader of spec files.

Every key is checked: unknown keys and out-of-range values are errors that name the file and
the field (``spec.yaml: experiment.relative_distance.start: must be greater than 0 (got -1.0)``);
every float must be finite.  A spec may ``include:`` other YAML files (a path relative to the
including file, or the name of a built-in preset); the including file's keys override the
included ones, mappings merge key by key, lists are replaced whole.  Reading the files (limits,
includes, merge) is :mod:`scenes.spec.files`; the shared field types are :mod:`scenes.spec.types`;
the world section (road, sun, variants, photo backgrounds) is :mod:`scenes.spec.world`.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

from scenes.geometry import Camera, kitti_like_camera
from scenes.images import CORRUPTION_NAMES
from scenes.errors import SpecError
from scenes.registry import Registry
from scenes.spec.search import SearchSpec
from scenes.spec.files import (PRESETS_DIR, deep_merge, load_raw_spec, preset_names,  # noqa: F401 (re-exported)
                               resolve_spec_path)
from scenes.spec.types import (NAME_PATTERN, AssetId, Condition, Description, Distinct,  # noqa: F401
                               DistanceM, LateralM, Name, RelativeDistance, Strict, Transform, UnitValue, YawDeg)
from scenes.spec.world import BackgroundSpec, RoadSpec, SunSpec, VariantSpec, WorldSpec  # noqa: F401 (re-exported)

#: Levels of a range are rounded to this many decimals (so that ids and seeds are stable).
LEVEL_DECIMALS = 6


class CameraSpec(Strict):
    """The camera: image size in pixels, intrinsics, and pose above the road.

    Intrinsics left out default to the KITTI camera scaled to ``width`` (square pixels).
    """

    width: int = Field(640, ge=16, le=8192, description="image width, pixels")
    height: int = Field(192, ge=16, le=8192, description="image height, pixels")
    fx: float | None = Field(None, gt=0, description="focal length x, pixels")
    fy: float | None = Field(None, gt=0, description="focal length y, pixels")
    cx: float | None = Field(None, description="principal point column, pixels")
    cy: float | None = Field(None, description="principal point row, pixels")
    height_m: float = Field(1.65, ge=0.2, le=20.0, description="camera height above the road, m")
    pitch_deg: float = Field(0.0, ge=-30.0, le=30.0, description="downward tilt, degrees")
    roll_deg: float = Field(0.0, ge=-45.0, le=45.0, description="roll, degrees")

    def to_camera(self, **pose: float) -> Camera:
        """The scenes Camera of this spec; ``pose`` overrides height_m, pitch_deg or roll_deg."""
        base = kitti_like_camera(self.width, self.height)
        return Camera(self.width, self.height,
                      self.fx if self.fx is not None else base.fx,
                      self.fy if self.fy is not None else (self.fx if self.fx is not None else base.fy),
                      self.cx if self.cx is not None else base.cx,
                      self.cy if self.cy is not None else base.cy,
                      pose.get("height_m", self.height_m), pose.get("pitch_deg", self.pitch_deg),
                      pose.get("roll_deg", self.roll_deg))


class RenderSpec(Strict):
    """Cycles settings."""

    samples: int = Field(16, ge=1, le=4096, description="path-tracing samples per pixel")
    denoise: bool = Field(False, description="apply OpenImageDenoise to RGB")
    counterfactual: bool = Field(False, description="also render each frame without its objects")


#: Most levels of one range (one factor); whole designs are limited by scenes.design.plans.MAX_FRAMES.
MAX_RANGE_LEVELS = 10_001


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
        if len(set(value)) != len(value):
            raise ValueError(f"conditions must be unique (got {value})")
        return value

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


#: Allowed range of each camera-pose factor (same bounds as CameraSpec).
POSE_BOUNDS = {"pitch_deg": (-30.0, 30.0), "roll_deg": (-45.0, 45.0), "height_m": (0.2, 20.0)}


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
        return [round(float(v), 6) for v in self.levels]

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
        if len(set(value)) != len(value):
            raise ValueError(f"assets must be unique (got {value})")
        return value


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


class Interval(Strict):
    """A uniform distribution on [min, max] (min == max: a constant)."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "Interval":
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must not be below min ({self.min})")
        return self

    def sample(self, rng: "np.random.Generator") -> float:
        """One draw from the interval with the caller's generator."""
        return float(rng.uniform(self.min, self.max)) if self.max > self.min else float(self.min)


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
        checks = [("objects_per_frame", self.objects_per_frame, 0, 50), ("distance_m", self.distance_m, 0.5, 500),
                  ("lateral_m", self.lateral_m, -50, 50), ("yaw_deg", self.yaw_deg, -180, 180),
                  ("scale", self.scale, 0.05, 20), ("elevation_m", self.elevation_m, 0, 20),
                  ("camera_height_m", self.camera_height_m, 0.2, 20), ("pitch_deg", self.pitch_deg, -30, 30)]
        for name, interval, low, high in checks:
            if interval is not None and (interval.min < low or interval.max > high):
                raise ValueError(f"experiment.{name}: must lie in [{low}, {high}] (got {interval.min} ... {interval.max})")
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
        if "none" not in value:
            raise ValueError("must include 'none' (the untransformed reference frames)")
        if len(set(value)) != len(value):
            raise ValueError(f"transforms must be unique (got {value})")
        return value


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
#: and :data:`scenes.design.plans.EXPANDERS` must have an expander for exactly these kinds (checked
#: when scenes.design.plans is imported).
EXPERIMENT_KINDS: Registry[type[Strict]] = Registry(
    "experiment kind", subclass_of=Strict, unknown_error=SpecError, load_error=SpecError,
    entries={kind_tag(model): model for model in (
        PositionVsSizeSpec, ElevationSpec, CameraPoseSpec, NovelObjectsSpec, GroundContactSpec,
        ImageTransformsSpec, RandomScenesSpec, RobustnessSpec)})
Experiment = Annotated[Union[tuple(EXPERIMENT_KINDS.values())], Field(discriminator="kind")]


class ChecksSpec(Strict):
    """What the exact-geometry preview (``validate --preview``) accepts."""

    allow_issues: bool = Field(False, description="accept frames with preview issues instead of rejecting the design")
    occlusion_threshold: float = Field(0.9, gt=0.0, le=1.0,
                                       description="an object must keep at least this fraction of its pixels visible")


class StimulusSpec(Strict):
    """A whole stimulus-set spec (one YAML file, after includes are resolved)."""

    name: Name
    version: int = Field(ge=1, le=1_000_000)
    seed: int = Field(ge=0, le=2**63 - 1)
    description: Description = ""
    camera: CameraSpec = CameraSpec()
    render: RenderSpec = RenderSpec()
    world: WorldSpec = WorldSpec()
    checks: ChecksSpec = ChecksSpec()
    experiment: Experiment
    #: What ``depthprobe search`` varies (scenes/spec/search.py); left out of the dump (and so of
    #: the hash) when absent, so specs without it keep their hashes.
    search: SearchSpec | None = Field(None, exclude_if=lambda value: value is None,
                                      description="searchable factors and ranges (depthprobe search)")
    #: Where the spec was read from (file path), for error messages; not part of the spec or its hash.
    _source: str = PrivateAttr("spec")

    @property
    def source(self) -> str:
        """The file the spec was loaded from (``"spec"`` when it was built in memory)."""
        return self._source

    @model_validator(mode="after")
    def _pose_levels_include_canonical(self) -> "StimulusSpec":
        nested = isinstance(self.experiment, RobustnessSpec)
        exp, where = (self.experiment.base, "experiment.base") if nested else (self.experiment, "experiment")
        if isinstance(exp, CameraPoseSpec):
            canonical = getattr(self.camera, exp.vary)
            if not any(abs(v - canonical) < 1e-9 for v in exp.level_values()):
                raise ValueError(f"{where}.levels: must include the canonical camera's {exp.vary} = {canonical} "
                                 "(those frames are the reference frames)")
        return self

    def spec_hash(self) -> str:
        """SHA-256 of the resolved spec's canonical JSON (same spec -> same hash)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


#: ``--quick`` limits: image width (pixels) and samples per pixel, for smoke tests.
QUICK_MAX_WIDTH_PX = 320
QUICK_MAX_SAMPLES = 8


def quick_spec(spec: StimulusSpec) -> StimulusSpec:
    """The same design rendered small and fast: at most 320 px wide and 8 samples."""
    return scaled_spec(spec, min(spec.camera.width, QUICK_MAX_WIDTH_PX), min(spec.render.samples, QUICK_MAX_SAMPLES))


def scaled_spec(spec: StimulusSpec, width_px: int, samples: int) -> StimulusSpec:
    """The same design rendered ``width_px`` wide (the height and intrinsics scaled with it, the
    field of view kept) with ``samples`` Cycles samples per pixel."""
    cam = spec.camera
    factor = width_px / cam.width
    width, height = int(round(cam.width * factor)), max(1, int(round(cam.height * factor)))
    scaled = {k: (getattr(cam, k) + 0.5) * factor - 0.5 if k in ("cx", "cy") else getattr(cam, k) * factor
              for k in ("fx", "fy", "cx", "cy") if getattr(cam, k) is not None}
    camera = cam.model_copy(update={"width": width, "height": height, **scaled})
    render = spec.render.model_copy(update={"samples": samples})
    return spec.model_copy(update={"camera": camera, "render": render})


# ----------------------------------------------------------------------------- loading


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed in the mapping that holds the key ``loc[-1]`` (for "did you mean")."""
    current: Any = StimulusSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if part in EXPERIMENT_KINDS:
            current = EXPERIMENT_KINDS.get(part)
            continue
        field = current.model_fields.get(part) if current is not None else None
        current = _model_in(field.annotation) if field is not None else None
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside an annotation like ``X``, ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


#: Error types of a union's branch that the input's type does not fit (the other branch's error
#: says more: ``levels: [0, "x"]`` is a list, so the ``LevelRange`` branch's "not a mapping" is noise).
_BRANCH_MISMATCH = {"model_type", "model_attributes_type", "dict_type", "list_type"}
#: Longest input value shown in an error message, characters.
MAX_SHOWN_VALUE_CHARS = 80


def _is_branch_label(part: Any) -> bool:
    """Whether an error location part names a union branch (``LevelRange``, ``list[float]``,
    ``function-after[...]``), not a field or a key."""
    return isinstance(part, str) and ("[" in part or part in _model_names(Strict))


def _model_names(model: type[BaseModel]) -> set[str]:
    """Class names of ``model`` and all its subclasses."""
    return {model.__name__}.union(*(_model_names(sub) for sub in model.__subclasses__()))


def _shown(value: Any) -> str:
    """`` (got <value>)`` with the value cut to MAX_SHOWN_VALUE_CHARS; nothing for lists and mappings."""
    if isinstance(value, (dict, list)):
        return ""
    text = repr(value)
    return f" (got {text if len(text) <= MAX_SHOWN_VALUE_CHARS else text[:MAX_SHOWN_VALUE_CHARS - 3] + '...'})"


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line naming the first invalid field: ``file: a.b.c: message (got value)``."""
    errors = error.errors()
    first = next((e for e in errors if e["type"] not in _BRANCH_MISMATCH
                  or not any(_is_branch_label(p) for p in e["loc"])), errors[0])
    tagged = tuple(p for p in first["loc"] if not _is_branch_label(p))
    loc = tuple(p for p in tagged if p not in EXPERIMENT_KINDS)
    field = ".".join(str(p) for p in loc)
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(tagged)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return f"{source}: {field or '(top level)'}: unknown key{hint}"
    if kind == "missing":
        return f"{source}: {field}: required key is missing"
    message = first["msg"]
    message = message[len("Value error, "):] if message.startswith("Value error, ") else message
    if not field:  # a whole-spec check: its message names the fields
        return f"{source}: {message}"
    return f"{source}: {field}: {message[0].lower() + message[1:]}{_shown(first.get('input'))}"


def parse_spec(data: dict[str, Any], source: str = "spec") -> StimulusSpec:
    """Validate a resolved mapping; raise SpecError with one line naming ``source`` and the field.

    The spec remembers ``source`` (:attr:`StimulusSpec.source`) for the errors of its expansion.
    """
    try:
        spec = StimulusSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(source, exc)) from None
    except (ArithmeticError, RecursionError) as exc:  # a validator met a value it cannot compute with
        raise SpecError(f"{source}: a value cannot be used ({type(exc).__name__}: {exc})") from None
    spec._source = source
    return spec


def load_spec(name_or_path: str | Path) -> StimulusSpec:
    """Load, resolve includes and validate a spec file or built-in preset name.  A relative
    ``world.background.photos`` is taken relative to the spec file's folder."""
    path = resolve_spec_path(name_or_path)
    raw = load_raw_spec(path)
    background = raw.get("world", {}).get("background") if isinstance(raw.get("world"), dict) else None
    if isinstance(background, dict) and isinstance(background.get("photos"), str):
        photos = Path(background["photos"]).expanduser()
        background["photos"] = str(photos if photos.is_absolute() else (path.parent / photos).resolve())
    return parse_spec(raw, str(path))
