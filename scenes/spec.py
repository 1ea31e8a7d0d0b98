"""The stimulus-set spec: a strict schema (pydantic) and a YAML loader with ``include:``.

Every key is checked: unknown keys and out-of-range values are errors that name the field
(``experiment.relative_distance.start: must be greater than 0 (got -1.0)``).  A spec may
``include:`` other YAML files (a path relative to the including file, or the name of a
built-in preset); the including file's keys override the included ones, mappings merge
key by key, lists are replaced whole.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scenes.camera import Camera, kitti_like_camera
from scenes.errors import SpecError
from scenes.registry import Registry

PRESETS_DIR = Path(__file__).parent / "presets"
#: Name pattern for ids that become parts of file names.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_]*$"


class Strict(BaseModel):
    """Base of every spec section: unknown keys are errors; values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


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

    name: str = Field(pattern=NAME_PATTERN)
    roadside: Literal["open", "buildings", "trees", "fence"] = "open"
    sun: SunSpec | None = Field(None, description="this variant's sun (default: world.sun)")
    overcast: bool = Field(False, description="no direct sun: a brighter, greyer sky lights the scene")
    lanes: int | None = Field(None, ge=1, le=6, description="number of lanes (default: world.road.lanes)")
    parked_cars: int = Field(0, ge=0, le=40, description="cars parked beside the road (world, not stimulus objects)")


class WorldSpec(Strict):
    """Road world shared by all frames; ``variants`` multiply the design."""

    road: RoadSpec = RoadSpec()
    sun: SunSpec = SunSpec()
    variants: list[VariantSpec] = Field(default_factory=lambda: [VariantSpec(name="open")], min_length=1)

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


class LevelRange(Strict):
    """Evenly spaced levels ``start, start + step, ..., stop`` (stop included), any sign."""

    start: float
    stop: float
    step: float = Field(gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> "LevelRange":
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) must not be below start ({self.start})")
        if (self.stop - self.start) / self.step > 10_000:
            raise ValueError("more than 10000 levels")
        return self

    def values(self) -> list[float]:
        """The levels, rounded to 6 decimals so that ids are stable."""
        n = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
        return [round(self.start + i * self.step, 6) for i in range(n)]


class PositiveRange(LevelRange):
    """Levels that must all be > 0 (relative distances, heights)."""

    start: float = Field(gt=0.0)
    stop: float = Field(gt=0.0)


class NonNegativeRange(LevelRange):
    """Levels that must all be >= 0 (elevations)."""

    start: float = Field(ge=0.0)
    stop: float = Field(ge=0.0, le=20.0)


#: Field types shared by the experiment kinds (units and ranges in one place).
AssetId = Annotated[str, Field(description="asset id from the catalog")]
DistanceM = Annotated[float, Field(gt=0.0, le=500.0, description="forward distance to the nearest footprint point, m")]
LateralM = Annotated[float, Field(ge=-50.0, le=50.0, description="footprint centre, metres right of the camera")]
YawDeg = Annotated[float, Field(ge=-180.0, le=180.0, description="heading, degrees; 0 = facing away from the camera")]

Condition = Literal["position_and_size", "position_only", "size_only"]


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
    assets: list[str] = Field(min_length=1, description="asset ids from the catalog")
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


UnitValue = Annotated[float, Field(ge=0.0, le=1.0)]


class BandSweep(Strict):
    """The study's bottom-edge sweep: a flat band across the object's base, thickness x brightness."""

    thickness_px: list[Annotated[float, Field(ge=0.0, le=100.0)]] = Field(
        min_length=1, description="band heights, pixels of this spec's image at the reference distance Z0")
    value: list[UnitValue] = Field(min_length=1, description="band brightness, 0 = black ... 1 = white")
    silhouette: bool = Field(True, description="show the object as a flat-coloured silhouette (as in the study)")
    silhouette_value: UnitValue = Field(0.55, description="brightness of the silhouette, 0 ... 1")


class ColourSweep(Strict):
    """Object colour: hue swept at a fixed value, and value swept at a fixed hue (HSV, display space)."""

    hue_deg: list[Annotated[float, Field(ge=0.0, lt=360.0)]] = Field(min_length=1, description="hues, degrees")
    value: list[UnitValue] = Field(min_length=1, description="values (brightness) at the fixed hue")
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
    relative_distance: list[Annotated[float, Field(gt=0.0, le=100.0)]] = Field(min_length=1, description="levels of d")
    shadow: bool = Field(True, description="include the shadow on/off sweep")
    band: BandSweep | None = None
    colour: ColourSweep | None = None


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
    assets: list[str] = Field(min_length=1, description="asset ids to draw from, uniformly")
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
                  ("scale", self.scale, 0.05, 20), ("elevation_m", self.elevation_m, 0, 20),
                  ("camera_height_m", self.camera_height_m, 0.2, 20), ("pitch_deg", self.pitch_deg, -30, 30)]
        for name, interval, low, high in checks:
            if interval is not None and (interval.min < low or interval.max > high):
                raise ValueError(f"experiment.{name}: must lie in [{low}, {high}] (got {interval.min} ... {interval.max})")
        return self


Transform = Literal["none", "grayscale", "false_colours", "semantic_colours", "class_average"]


class ImageTransformsSpec(Strict):
    """Whole-image colour changes (paper experiment 5) applied to rendered frames.

    Each placement (asset x relative distance x variant) is rendered once; every transform is a
    frame of its own with the same depth and masks.  ``none`` frames are the reference frames.
    """

    kind: Literal["image_transforms"]
    assets: list[str] = Field(min_length=1, description="asset ids from the catalog, one per frame")
    base_distance_m: DistanceM  # Z0
    lateral_m: LateralM = 0.0
    relative_distance: list[Annotated[float, Field(gt=0.0, le=100.0)]] = Field(min_length=1, description="levels of d")
    transforms: list[Transform] = Field(min_length=1)

    @field_validator("transforms")
    @classmethod
    def _has_reference(cls, value: list[str]) -> list[str]:
        if "none" not in value:
            raise ValueError("must include 'none' (the untransformed reference frames)")
        if len(set(value)) != len(value):
            raise ValueError(f"transforms must be unique (got {value})")
        return value


def kind_tag(model: type[Strict]) -> str:
    """The ``kind:`` tag of an experiment spec model: the one value of its ``kind`` Literal."""
    field = model.model_fields.get("kind")
    values = get_args(field.annotation) if field is not None else ()
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{model.__name__}: an experiment spec needs a field kind: Literal['<tag>']")
    return values[0]


#: The experiment kinds: ``kind:`` tag -> spec model.  This is where a kind is declared: its tag
#: is read from the model's ``kind`` Literal; the ``experiment:`` union below is built from it,
#: and :data:`scenes.design.EXPANDERS` must have an expander for exactly these kinds (checked
#: when scenes.design is imported).
EXPERIMENT_KINDS: Registry[type[Strict]] = Registry(
    "experiment kind", subclass_of=Strict, unknown_error=SpecError, load_error=SpecError,
    entries={kind_tag(model): model for model in (
        PositionVsSizeSpec, ElevationSpec, CameraPoseSpec, NovelObjectsSpec, GroundContactSpec,
        ImageTransformsSpec, RandomScenesSpec)})
Experiment = Annotated[Union[tuple(EXPERIMENT_KINDS.values())], Field(discriminator="kind")]


class ChecksSpec(Strict):
    """What the exact-geometry preview (``validate --preview``) accepts."""

    allow_issues: bool = Field(False, description="accept frames with preview issues instead of rejecting the design")
    occlusion_threshold: float = Field(0.9, gt=0.0, le=1.0,
                                       description="an object must keep at least this fraction of its pixels visible")


class StimulusSpec(Strict):
    """A whole stimulus-set spec (one YAML file, after includes are resolved)."""

    name: str = Field(pattern=NAME_PATTERN)
    version: int = Field(ge=1)
    seed: int = Field(ge=0, le=2**63 - 1)
    description: str = ""
    camera: CameraSpec = CameraSpec()
    render: RenderSpec = RenderSpec()
    world: WorldSpec = WorldSpec()
    checks: ChecksSpec = ChecksSpec()
    experiment: Experiment

    @model_validator(mode="after")
    def _pose_levels_include_canonical(self) -> "StimulusSpec":
        exp = self.experiment
        if isinstance(exp, CameraPoseSpec):
            canonical = getattr(self.camera, exp.vary)
            if not any(abs(v - canonical) < 1e-9 for v in exp.level_values()):
                raise ValueError(f"experiment.levels: must include the canonical camera's {exp.vary} = {canonical} "
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
    cam = spec.camera
    factor = min(1.0, QUICK_MAX_WIDTH_PX / cam.width)
    width, height = int(round(cam.width * factor)), int(round(cam.height * factor))
    scaled = {k: (getattr(cam, k) + 0.5) * factor - 0.5 if k in ("cx", "cy") else getattr(cam, k) * factor
              for k in ("fx", "fy", "cx", "cy") if getattr(cam, k) is not None}
    camera = cam.model_copy(update={"width": width, "height": height, **scaled})
    render = spec.render.model_copy(update={"samples": min(spec.render.samples, QUICK_MAX_SAMPLES)})
    return spec.model_copy(update={"camera": camera, "render": render})


# ----------------------------------------------------------------------------- loading


def preset_names() -> list[str]:
    """Names of the built-in presets (YAML files in scenes/presets, without ``_`` prefix)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml") if not p.stem.startswith("_"))


def resolve_spec_path(name_or_path: str | Path) -> Path:
    """A spec file path, or the file of a built-in preset named ``name_or_path``."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise SpecError(f"{path}: no such spec file")
        return path
    preset = PRESETS_DIR / f"{name_or_path}.yaml"
    if preset.is_file():
        return preset
    close = difflib.get_close_matches(str(name_or_path), preset_names(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; presets: {', '.join(preset_names())}"
    raise SpecError(f"{name_or_path}: neither a spec file nor a built-in preset{hint}")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a spec must be a mapping of keys to values")
    return data


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_raw_spec(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a spec file and resolve its ``include:`` chain into one mapping."""
    path = path.resolve()
    if path in _seen:
        raise SpecError(f"{path}: include cycle ({' -> '.join(p.name for p in _seen + (path,))})")
    data = _read_yaml(path)
    includes = data.pop("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise SpecError(f"{path}: include: must be a file name or a list of file names")
    merged: dict[str, Any] = {}
    for item in includes:
        candidate = path.parent / item
        target = candidate if candidate.is_file() else PRESETS_DIR / item
        if not target.is_file():
            raise SpecError(f"{path}: include: no such file {item!r}")
        merged = deep_merge(merged, load_raw_spec(target, _seen + (path,)))
    return deep_merge(merged, data)


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


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line naming the first invalid field: ``file: a.b.c: message (got value)``."""
    first = error.errors()[0]
    loc = tuple(p for p in first["loc"] if p not in EXPERIMENT_KINDS)
    field = ".".join(str(p) for p in loc)
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(tuple(first["loc"]))
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return f"{source}: {field or '(top level)'}: unknown key{hint}"
    if kind == "missing":
        return f"{source}: {field}: required key is missing"
    message = first["msg"]
    message = message[len("Value error, "):] if message.startswith("Value error, ") else message
    if not field:  # a whole-spec check: its message names the fields
        return f"{source}: {message}"
    got = first.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
    return f"{source}: {field}: {message[0].lower() + message[1:]}{shown}"


def parse_spec(data: dict[str, Any], source: str = "spec") -> StimulusSpec:
    """Validate a resolved mapping; raise SpecError with one line naming the field."""
    try:
        return StimulusSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(source, exc)) from None


def load_spec(name_or_path: str | Path) -> StimulusSpec:
    """Load, resolve includes and validate a spec file or built-in preset name."""
    path = resolve_spec_path(name_or_path)
    return parse_spec(load_raw_spec(path), str(path))
