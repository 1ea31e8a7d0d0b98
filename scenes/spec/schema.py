"""The stimulus-set spec: a strict schema (pydantic) and the loader of spec files.

Every key is checked: unknown keys and out-of-range values are errors that name the file and
the field (``spec.yaml: experiment.relative_distance.start: must be greater than 0 (got -1.0)``);
every float must be finite.  A spec may ``include:`` other YAML files (a path relative to the
including file, or the name of a built-in preset); the including file's keys override the
included ones, mappings merge key by key, lists are replaced whole.  Reading the files (limits,
includes, merge) is :mod:`scenes.spec.files`; the shared field types are :mod:`scenes.spec.types`;
the world section (road, sun, variants, photo backgrounds) is :mod:`scenes.spec.world`; the
experiment kinds are :mod:`scenes.spec.experiments`.
"""
from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, model_validator

from scenes.geometry import Camera, kitti_like_camera
from scenes.errors import SpecError
from scenes.spec.experiments import EXPERIMENT_KINDS, CameraPoseSpec, Experiment, RobustnessSpec
from scenes.spec.search import SearchSpec
from scenes.spec.files import (PRESETS_DIR, deep_merge, load_raw_spec, preset_names,  # noqa: F401 (re-exported)
                               resolve_spec_path)
from scenes.spec.types import POSE_BOUNDS, Description, Name, Strict
from scenes.spec.world import BackgroundSpec, RoadSpec, SunSpec, VariantSpec, WorldSpec  # noqa: F401 (re-exported)


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
    height_m: float = Field(1.65, ge=POSE_BOUNDS["height_m"][0], le=POSE_BOUNDS["height_m"][1],
                            description="camera height above the road, m")
    pitch_deg: float = Field(0.0, ge=POSE_BOUNDS["pitch_deg"][0], le=POSE_BOUNDS["pitch_deg"][1],
                             description="downward tilt, degrees")
    roll_deg: float = Field(0.0, ge=POSE_BOUNDS["roll_deg"][0], le=POSE_BOUNDS["roll_deg"][1],
                            description="roll, degrees")

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
    ``world.background.photos`` is taken from the folder of the file that declares it
    (scenes/spec/files.py)."""
    path = resolve_spec_path(name_or_path)
    return parse_spec(load_raw_spec(path), str(path))
