"""Expansion of a spec into frames: factor levels, object placements, stable ids and seeds.

A frame's id is built from its factor levels (``position_only-d1.50-trees``), so it does not
change when other levels are added; its seed is derived from the set's seed and its id, so any
frame, shard or resumed run renders exactly as in a full run.  A level is written with two
decimals, or with as many as it needs when two would round it (:func:`level_text`), so distinct
levels always give distinct ids.  :func:`expand` counts a design's frames before building them
(one count per experiment kind, :data:`FRAME_COUNTS`) and refuses more than :data:`MAX_FRAMES`.
"""
from __future__ import annotations

import colorsys
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from scenes.geometry import Camera, srgb_to_linear
from scenes.catalog import Asset, Catalog
from scenes.errors import SpecError
from scenes.registry import Registry
from scenes.images import CORRUPTIONS, transform_id
from scenes.spec import (EXPERIMENT_KINDS, CameraPoseSpec, ElevationSpec, GroundContactSpec,
                         ImageTransformsSpec, LevelRange, NovelObjectsSpec,
                         PositionVsSizeSpec, RandomScenesSpec, RobustnessSpec,
                         StimulusSpec, VariantSpec, WorldSpec, kind_tag)

#: Nearest distance (m) from the camera at which an object may start (Blender's clip_start is 0.1 m).
MIN_OBJECT_DEPTH_M = 0.5
#: Most frames a design may have unless the caller raises it (``--max-frames``): 100 times the
#: largest preset (the 2000-frame training sets).  Expanding a frame takes 0.3 ms (fixed
#: placements) to 2.3 ms (random scenes) and keeps about 2 kB per plan, so 200 000 frames are
#: checked in 1 to 8 minutes and 0.4 GB; rendering them takes about 3.5 days on 2 CPU cores
#: (640x192, 16 samples).  Far larger designs are almost always a mistake in a range or a list.
MAX_FRAMES = 200_000


def level_text(value: float, spec: str = ".2f") -> str:
    """A factor level as written in frame ids: ``format(value, spec)`` when that reads back as
    exactly ``value`` (``1.50``, ``+0.50``, ``15``), else the shortest text that does
    (``1.004``, ``+0.001``, ``3.0000001``).

    Every level is written the same way whatever the other levels are, and two distinct levels
    never share a text (each text reads back as its own value).

    :param spec: the format used when it is exact: ``".2f"``, ``"+.2f"`` (signed) or ``"g"``.
    """
    text = format(value, spec)
    if float(text) == value:
        return text
    shortest = repr(float(value))
    return "+" + shortest if spec.startswith("+") and not shortest.startswith("-") else shortest


def derive_seed(set_seed: int, key: str) -> int:
    """A 63-bit seed from the set's seed and a key (frame id, ``world:<variant>``)."""
    digest = hashlib.sha256(f"{set_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def frame_rng(seed: int) -> np.random.Generator:
    """The explicit random generator for everything sampled in one frame."""
    return np.random.default_rng(seed)


@dataclass(frozen=True)
class Appearance:
    """How an object looks, apart from its mesh (defaults: as the mesh file says, with a shadow).

    :param shadow: whether it casts a shadow.
    :param paint_rgb: linear RGB (0..1) replacing its ``paint`` part colour; None keeps the file's.
    :param flat_rgb: linear RGB (0..1) of an unshaded, flat-coloured silhouette (every part
        emits this colour, no shading); None = normal shading.
    :param band_thickness_m: height (m) of a flat-coloured band across its nearest face at its
        base (the study's "bottom edge"); 0 = no band.
    :param band_value: brightness (0 black ... 1 white) of the band.
    """

    shadow: bool = True
    paint_rgb: tuple[float, float, float] | None = None
    flat_rgb: tuple[float, float, float] | None = None
    band_thickness_m: float = 0.0
    band_value: float = 0.0


@dataclass(frozen=True)
class ObjectPlacement:
    """One object in one frame.

    :param object_id: its value in the instance mask, 1 ... 65535.
    :param asset: catalog id.
    :param x_m: footprint centre, metres right of the camera.
    :param y_m: footprint centre, metres ahead of the camera.
    :param yaw_deg: heading, degrees; 0 = its front faces away from the camera (+y), > 0 turns left.
    :param scale: uniform scale factor applied to the catalog mesh (> 0).
    :param elevation_m: height of its lowest point above the road, metres (>= 0).
    :param factors: factor levels that concern this object (condition, relative_distance, ...).
    """

    object_id: int
    asset: str
    x_m: float
    y_m: float
    yaw_deg: float = 0.0
    scale: float = 1.0
    elevation_m: float = 0.0
    factors: dict[str, Any] = field(default_factory=dict)
    appearance: Appearance = Appearance()

    def box_corners(self, asset: Asset) -> np.ndarray:
        """The 8 corners (8, 3) of its bounding box in world coordinates, metres."""
        hx, hy, h = asset.width_m / 2, asset.length_m / 2, asset.height_m
        local = np.array([[sx * hx, sy * hy, sz * h] for sx in (-1, 1) for sy in (-1, 1) for sz in (0, 1)])
        return self.to_world(local)

    def to_world(self, local: np.ndarray) -> np.ndarray:
        """Asset-frame points (N, 3), metres, to world coordinates (scale, yaw, then move)."""
        c, s = np.cos(np.radians(self.yaw_deg)), np.sin(np.radians(self.yaw_deg))
        rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        return (np.asarray(local, float) * self.scale) @ rot.T + [self.x_m, self.y_m, self.elevation_m]


@dataclass(frozen=True)
class FramePlan:
    """Everything needed to render one frame and describe it in the frames table."""

    frame_id: str
    seed: int
    variant: VariantSpec
    camera: Camera
    objects: tuple[ObjectPlacement, ...]
    factors: dict[str, Any]
    is_reference: bool
    transform: str = "none"
    render_key: str = ""
    #: Seed of the image transform's random draws (corruptions; 0 for the deterministic ones).
    transform_seed: int = 0

    @property
    def render_id(self) -> str:
        """Frames with the same render id share one render (they differ only by image transform)."""
        return self.render_key or self.frame_id


def nearest_footprint_offset(asset: Asset, yaw_deg: float, scale: float) -> float:
    """Forward distance (m) from the footprint centre back to its nearest point, for a yaw."""
    c, s = abs(np.cos(np.radians(yaw_deg))), abs(np.sin(np.radians(yaw_deg)))
    return scale * (asset.length_m / 2 * c + asset.width_m / 2 * s)


def _position_vs_size(spec: StimulusSpec, exp: PositionVsSizeSpec, catalog: Catalog) -> list[FramePlan]:
    asset = catalog.get(exp.asset, field="experiment.asset")
    camera = spec.camera.to_camera()
    frames = []
    for variant in spec.world.variants:
        for condition in exp.conditions:
            for d in exp.relative_distance.values():
                distance, scale = {
                    "position_and_size": (d * exp.base_distance_m, 1.0),
                    "position_only": (d * exp.base_distance_m, d),
                    "size_only": (exp.base_distance_m, 1.0 / d),
                }[condition]
                factors = {"condition": condition, "relative_distance": d}
                obj = _standing(asset, 1, distance, exp.lateral_m, exp.yaw_deg, scale, factors=factors)
                frame_id = f"{condition}-d{level_text(d)}-{variant.name}"
                frames.append(FramePlan(frame_id, derive_seed(spec.seed, frame_id), variant, camera, (obj,),
                                        {**factors, "variant": variant.name},
                                        is_reference=condition == exp.reference_condition))
    return frames


def _standing(asset: Asset, object_id: int, distance_m: float, lateral_m: float, yaw_deg: float,
              scale: float = 1.0, elevation_m: float = 0.0, factors: dict[str, Any] | None = None) -> ObjectPlacement:
    """An object whose footprint's nearest point is ``distance_m`` ahead of the camera."""
    y = distance_m + nearest_footprint_offset(asset, yaw_deg, scale)
    return ObjectPlacement(object_id, asset.id, lateral_m, y, yaw_deg, scale, elevation_m, dict(factors or {}))


def _elevation(spec: StimulusSpec, exp: ElevationSpec, catalog: Catalog) -> list[FramePlan]:
    asset = catalog.get(exp.asset, field="experiment.asset")
    camera = spec.camera.to_camera()
    frames = []
    for variant in spec.world.variants:
        for elevation in exp.elevation_m.values():
            factors = {"elevation_m": elevation}
            obj = _standing(asset, 1, exp.distance_m, exp.lateral_m, exp.yaw_deg, elevation_m=elevation,
                            factors=factors)
            frame_id = f"elevation{level_text(elevation)}-{variant.name}"
            frames.append(FramePlan(frame_id, derive_seed(spec.seed, frame_id), variant, camera, (obj,),
                                    {**factors, "variant": variant.name}, is_reference=elevation == 0.0))
    return frames


def _camera_pose(spec: StimulusSpec, exp: CameraPoseSpec, catalog: Catalog) -> list[FramePlan]:
    assets = [catalog.get(o.asset, field=f"experiment.objects.{i}.asset") for i, o in enumerate(exp.objects)]
    objects = tuple(_standing(a, i + 1, o.distance_m, o.lateral_m, o.yaw_deg, factors={"distance_m": o.distance_m})
                    for i, (a, o) in enumerate(zip(assets, exp.objects)))
    canonical = getattr(spec.camera, exp.vary)
    frames = []
    for variant in spec.world.variants:
        for level in exp.level_values():
            camera = spec.camera.to_camera(**{exp.vary: level})
            frame_id = f"{exp.vary}{level_text(level, '+.2f')}-{variant.name}"
            frames.append(FramePlan(frame_id, derive_seed(spec.seed, frame_id), variant, camera, objects,
                                    {"vary": exp.vary, "level": level, "variant": variant.name},
                                    is_reference=abs(level - canonical) < 1e-9))
    return frames


def _novel_objects(spec: StimulusSpec, exp: NovelObjectsSpec, catalog: Catalog) -> list[FramePlan]:
    assets = [catalog.get(a, field=f"experiment.assets.{i}") for i, a in enumerate(exp.assets)]
    camera = spec.camera.to_camera()
    frames = []
    for variant in spec.world.variants:
        for asset in assets:
            for d in exp.relative_distance.values():
                factors = {"relative_distance": d}
                obj = _standing(asset, 1, d * exp.base_distance_m, exp.lateral_m, exp.yaw_deg, factors=factors)
                frame_id = f"{asset.id}-d{level_text(d)}-{variant.name}"
                frames.append(FramePlan(frame_id, derive_seed(spec.seed, frame_id), variant, camera, (obj,),
                                        {"asset": asset.id, **factors, "variant": variant.name}, is_reference=True))
    return frames


def hsv_to_linear_rgb(hue_deg: float, saturation: float, value: float) -> tuple[float, float, float]:
    """An HSV colour given in display space as linear RGB for the renderer."""
    r, g, b = srgb_to_linear(colorsys.hsv_to_rgb(hue_deg / 360.0, saturation, value))
    return (float(r), float(g), float(b))


#: Object-table values of the ground-contact factors when a sweep does not set them.
_GROUND_CONTACT_DEFAULTS = {"shadow": True, "band_thickness_px": 0.0, "band_value": float("nan"),
                            "silhouette": False, "paint_hue_deg": float("nan"), "paint_value": float("nan")}


def _ground_contact_levels(exp: GroundContactSpec, fy: float) -> list[tuple[str, dict[str, Any], Appearance]]:
    """(condition id, factor levels, appearance) of every manipulation of the ground-contact sweeps."""
    levels = []
    if exp.shadow:
        for on in (True, False):
            levels.append((f"shadow_{'on' if on else 'off'}", {"sweep": "shadow", "shadow": on}, Appearance(shadow=on)))
    if exp.band is not None:
        grey = float(srgb_to_linear(exp.band.silhouette_value))
        flat = (grey, grey, grey) if exp.band.silhouette else None
        for t in exp.band.thickness_px:
            for v in exp.band.value:
                thickness_m = t * exp.base_distance_m / fy
                levels.append((f"band_t{level_text(t, 'g')}_v{level_text(v)}",
                               {"sweep": "band", "band_thickness_px": t, "band_value": v,
                                "silhouette": exp.band.silhouette},
                               Appearance(flat_rgb=flat, band_thickness_m=thickness_m, band_value=v)))
    if exp.colour is not None:
        c = exp.colour
        for h in c.hue_deg:
            levels.append((f"hue{level_text(h, 'g')}",
                           {"sweep": "hue", "paint_hue_deg": h, "paint_value": c.fixed_value},
                           Appearance(paint_rgb=hsv_to_linear_rgb(h, c.saturation, c.fixed_value))))
        for v in c.value:
            levels.append((f"value{level_text(v)}",
                           {"sweep": "value", "paint_hue_deg": c.fixed_hue_deg, "paint_value": v},
                           Appearance(paint_rgb=hsv_to_linear_rgb(c.fixed_hue_deg, c.saturation, v))))
    return levels


def _ground_contact(spec: StimulusSpec, exp: GroundContactSpec, catalog: Catalog) -> list[FramePlan]:
    asset = catalog.get(exp.asset, field="experiment.asset")
    camera = spec.camera.to_camera()
    frames = []
    for variant in spec.world.variants:
        for condition, levels, appearance in _ground_contact_levels(exp, camera.fy):
            for d in exp.relative_distance:
                factors = {**_GROUND_CONTACT_DEFAULTS, "condition": condition, **levels, "relative_distance": d}
                obj = _standing(asset, 1, d * exp.base_distance_m, exp.lateral_m, exp.yaw_deg, factors=factors)
                obj = replace(obj, appearance=appearance)
                frame_id = f"{condition}-d{level_text(d)}-{variant.name}"
                frames.append(FramePlan(frame_id, derive_seed(spec.seed, frame_id), variant, camera, (obj,),
                                        {"condition": condition, "relative_distance": d, "variant": variant.name},
                                        is_reference=condition == "shadow_on" or not exp.shadow))
    return frames


def _image_transforms(spec: StimulusSpec, exp: ImageTransformsSpec, catalog: Catalog) -> list[FramePlan]:
    assets = [catalog.get(a, field=f"experiment.assets.{i}") for i, a in enumerate(exp.assets)]
    camera = spec.camera.to_camera()
    frames = []
    for variant in spec.world.variants:
        for asset in assets:
            for d in exp.relative_distance:
                obj = _standing(asset, 1, d * exp.base_distance_m, exp.lateral_m, 0.0, factors={"relative_distance": d})
                render_key = f"{asset.id}-d{level_text(d)}-{variant.name}"
                for transform in exp.transforms:
                    frame_id = f"{transform}-{render_key}"
                    frames.append(FramePlan(frame_id, derive_seed(spec.seed, render_key), variant, camera, (obj,),
                                            {"transform": transform, "asset": asset.id, "relative_distance": d,
                                             "variant": variant.name},
                                            is_reference=transform == "none", transform=transform,
                                            render_key=render_key))
    return frames


#: The ``corruption`` level of the uncorrupted frames of a robustness experiment (severity 0).
CLEAN = "clean"


def _robustness(spec: StimulusSpec, exp: RobustnessSpec, catalog: Catalog) -> list[FramePlan]:
    """Every frame of the base experiment, clean and under each corruption and severity.

    All of them keep the base frame's seed (Cycles renders it once: same ``render_id``); a
    corrupted frame's own seed, ``derive_seed(spec.seed, frame_id)``, drives the corruption's
    random draws (``transform_seed``).  Ids: ``clean-<base id>``, ``<corruption>-s<k>-<base id>``.
    """
    frames = []
    for base in EXPANDERS.get(exp.base.kind)(spec, exp.base, catalog):
        levels = [(CLEAN, 0)] + [(name, k) for name in exp.corruptions for k in exp.severities]
        for name, severity in levels:
            frame_id = f"{CLEAN}-{base.frame_id}" if severity == 0 else f"{name}-s{severity}-{base.frame_id}"
            factors = {**base.factors, "corruption": name, "severity": severity,
                       "corruption_family": CORRUPTIONS[name].family if severity else CLEAN,
                       "base_frame_id": base.frame_id}
            frames.append(replace(base, frame_id=frame_id, factors=factors,
                                  is_reference=base.is_reference and severity == 0,
                                  transform=transform_id(name, severity) if severity else "none",
                                  render_key=base.render_id,
                                  transform_seed=derive_seed(spec.seed, frame_id) if severity else 0))
    return frames


def _fits(obj: ObjectPlacement, asset: Asset, camera: Camera, placed: list[tuple[ObjectPlacement, Asset]]) -> bool:
    """True when the object's box is in front of the camera, inside the image, and clear of the others."""
    corners = obj.box_corners(asset)
    u, v, z = camera.project(corners)
    if np.any(z < MIN_OBJECT_DEPTH_M) or u.min() < -0.5 or u.max() > camera.width - 0.5:
        return False
    if v.min() < -0.5 or v.max() > camera.height - 0.5:
        return False
    return not any(footprints_overlap(obj, asset, other, other_asset) for other, other_asset in placed)


def footprints_overlap(a: ObjectPlacement, asset_a: Asset, b: ObjectPlacement, asset_b: Asset,
                       margin_m: float = 0.3) -> bool:
    """Whether two objects' ground footprints (axis-aligned bounds, plus a margin in m) overlap."""
    ca, cb = a.box_corners(asset_a), b.box_corners(asset_b)
    return bool(np.all(ca[:, :2].min(0) - margin_m < cb[:, :2].max(0)) and
                np.all(cb[:, :2].min(0) - margin_m < ca[:, :2].max(0)))


def _random_frame(spec: StimulusSpec, exp: RandomScenesSpec, assets: list[Asset], frame_id: str,
                  rng: np.random.Generator) -> tuple[Camera, tuple[ObjectPlacement, ...], dict[str, Any]]:
    pose = {"height_m": exp.camera_height_m.sample(rng) if exp.camera_height_m else spec.camera.height_m,
            "pitch_deg": exp.pitch_deg.sample(rng) if exp.pitch_deg else spec.camera.pitch_deg}
    camera = spec.camera.to_camera(**pose)
    wanted = int(rng.integers(int(exp.objects_per_frame.min), int(exp.objects_per_frame.max) + 1))
    placed: list[tuple[ObjectPlacement, Asset]] = []
    for object_id in range(1, wanted + 1):
        for _ in range(exp.max_attempts):
            asset = assets[int(rng.integers(len(assets)))]
            raised = rng.random() < exp.elevated_fraction
            obj = _standing(asset, object_id, exp.distance_m.sample(rng), exp.lateral_m.sample(rng),
                            exp.yaw_deg.sample(rng), exp.scale.sample(rng),
                            exp.elevation_m.sample(rng) if raised else 0.0)
            if _fits(obj, asset, camera, placed):
                placed.append((replace(obj, factors={"elevated": raised}), asset))
                break
    return camera, tuple(p for p, _ in placed), pose


def _random_scenes(spec: StimulusSpec, exp: RandomScenesSpec, catalog: Catalog) -> list[FramePlan]:
    assets = [catalog.get(a, field=f"experiment.assets.{i}") for i, a in enumerate(exp.assets)]
    frames = []
    for index in range(exp.n_frames):
        key = f"scene{index:06d}"
        rng = frame_rng(derive_seed(spec.seed, key))
        variant = spec.world.variants[int(rng.integers(len(spec.world.variants)))]
        camera, objects, pose = _random_frame(spec, exp, assets, key, rng)
        frame_id = f"{key}-{variant.name}"
        frames.append(FramePlan(frame_id, derive_seed(spec.seed, frame_id), variant, camera, objects,
                                {"scene": index, "variant": variant.name},
                                is_reference=pose["height_m"] == spec.camera.height_m
                                and pose["pitch_deg"] == spec.camera.pitch_deg))
    return frames


#: An expander: (spec, its experiment, catalog) -> the frames of that experiment kind.
Expander = Callable[[StimulusSpec, Any, Catalog], list[FramePlan]]
#: A frame count: (spec, its experiment) -> how many frames its expander would make, computed
#: from the lengths of the levels without building any frame.
FrameCount = Callable[[StimulusSpec, Any], int]


def _per_kind(what: str, by_model: dict[type, Callable]) -> Registry[Callable]:
    """A registry of ``what`` (expanders, frame counts), keyed by the kind tag of each spec model;
    it must cover exactly the kinds of :data:`scenes.spec.schema.EXPERIMENT_KINDS` (TypeError otherwise)."""
    registry: Registry[Callable] = Registry("experiment kind", base=Callable, unknown_error=SpecError,
                                            load_error=SpecError,
                                            entries={kind_tag(model): f for model, f in by_model.items()})
    if set(registry) != set(EXPERIMENT_KINDS) or any(EXPERIMENT_KINDS.get(kind_tag(m)) is not m for m in by_model):
        raise TypeError(f"scenes.design.plans: {what} for {registry.names()} but experiment kinds "
                        f"{EXPERIMENT_KINDS.names()} in scenes.spec.schema")
    return registry


def _expanders(by_model: dict[type, Expander]) -> Registry[Expander]:
    """The expander registry (see :func:`_per_kind`; TypeError at import when it drifts from the kinds)."""
    return _per_kind("expanders", by_model)


#: Experiment kind -> its expander (the kinds themselves are declared in scenes.spec.schema).
EXPANDERS = _expanders({
    PositionVsSizeSpec: _position_vs_size, ElevationSpec: _elevation, CameraPoseSpec: _camera_pose,
    NovelObjectsSpec: _novel_objects, GroundContactSpec: _ground_contact, ImageTransformsSpec: _image_transforms,
    RandomScenesSpec: _random_scenes, RobustnessSpec: _robustness})


def _ground_contact_count(spec: StimulusSpec, exp: GroundContactSpec) -> int:
    sweeps = (2 if exp.shadow else 0) + (len(exp.band.thickness_px) * len(exp.band.value) if exp.band else 0)
    sweeps += len(exp.colour.hue_deg) + len(exp.colour.value) if exp.colour else 0
    return len(spec.world.variants) * sweeps * len(exp.relative_distance)


def _camera_pose_count(spec: StimulusSpec, exp: CameraPoseSpec) -> int:
    levels = exp.levels.count() if isinstance(exp.levels, LevelRange) else len(exp.levels)
    return len(spec.world.variants) * levels


#: Experiment kind -> its frame count, beside its expander (each must equal ``len(expander(...))``).
FRAME_COUNTS: Registry[FrameCount] = _per_kind("frame counts", {
    PositionVsSizeSpec: lambda spec, exp: (len(spec.world.variants) * len(exp.conditions)
                                           * exp.relative_distance.count()),
    ElevationSpec: lambda spec, exp: len(spec.world.variants) * exp.elevation_m.count(),
    CameraPoseSpec: _camera_pose_count,
    NovelObjectsSpec: lambda spec, exp: len(spec.world.variants) * len(exp.assets) * exp.relative_distance.count(),
    GroundContactSpec: _ground_contact_count,
    ImageTransformsSpec: lambda spec, exp: (len(spec.world.variants) * len(exp.assets) * len(exp.relative_distance)
                                            * len(exp.transforms)),
    RandomScenesSpec: lambda spec, exp: exp.n_frames,
    RobustnessSpec: lambda spec, exp: (FRAME_COUNTS.get(exp.base.kind)(spec, exp.base)
                                       * (1 + len(exp.corruptions) * len(exp.severities)))})


def frame_count(spec: StimulusSpec) -> int:
    """The number of frames of a spec's design, computed without expanding it."""
    return FRAME_COUNTS.get(spec.experiment.kind)(spec, spec.experiment)


def check_frame_count(spec: StimulusSpec, max_frames: int = MAX_FRAMES) -> int:
    """The design's frame count; SpecError when it is 0 or above ``max_frames``."""
    count = frame_count(spec)
    if count == 0:
        raise SpecError("experiment: the design has no frames")
    if count > max_frames:
        raise SpecError(f"experiment: the design has {count:,} frames, more than the limit of {max_frames:,} "
                        f"(scenes.design.plans.MAX_FRAMES is {MAX_FRAMES:,}; validate and generate take --max-frames N)")
    return count


def check_unique_ids(frames: list[FramePlan]) -> None:
    """SpecError when two frames share an id (they would overwrite each other's files)."""
    repeated = [frame_id for frame_id, n in Counter(f.frame_id for f in frames).items() if n > 1]
    if repeated:
        raise SpecError(f"experiment: {len(repeated)} frame id(s) repeat (first {repeated[0]!r}): their frames "
                        "would overwrite each other; make the levels, names and assets distinct")


def expand(spec: StimulusSpec, catalog: Catalog, max_frames: int = MAX_FRAMES) -> list[FramePlan]:
    """All frames of a spec, in a stable order, after checking their count, ids and geometry.

    :param max_frames: most frames accepted, counted before any frame is built (default
        :data:`MAX_FRAMES`).
    :raises SpecError: one line that starts with the spec's file (:attr:`StimulusSpec.source`):
        no frames or more than ``max_frames``, repeated frame ids, an unknown asset, objects
        behind the camera or out of the image.
    """
    expander = EXPANDERS.get(spec.experiment.kind)

    def expand_design(design: StimulusSpec) -> list[FramePlan]:
        check_frame_count(design, max_frames)
        return expander(design, design.experiment, catalog)

    try:
        if spec.world.background is None:
            frames = expand_design(spec)
        else:
            from scenes.design.photos import expand_on_photos  # reads the photo folder

            frames = expand_on_photos(spec, expand_design, derive_seed(spec.seed, "photos"))
        check_unique_ids(frames)
        check_geometry(frames, catalog)
    except SpecError as exc:
        if str(exc).startswith(f"{spec.source}:"):
            raise
        raise SpecError(f"{spec.source}: {exc}") from None
    return frames


def check_geometry(frames: list[FramePlan], catalog: Catalog) -> None:
    """Reject frames whose objects lie behind the camera or leave the image (box corners).

    Raises SpecError naming the experiment fields that place objects and the first bad frame.
    """
    for plan in frames:
        for obj in plan.objects:
            corners = obj.box_corners(catalog.get(obj.asset))
            u, v, z = plan.camera.project(corners)
            if np.any(z < MIN_OBJECT_DEPTH_M):
                raise SpecError(
                    f"experiment.base_distance_m: object {obj.asset!r} in frame {plan.frame_id!r} reaches "
                    f"{z.min():.2f} m from the camera (behind it or closer than {MIN_OBJECT_DEPTH_M} m)")
            cam = plan.camera
            if u.min() < -0.5 or u.max() > cam.width - 0.5 or v.min() < -0.5 or v.max() > cam.height - 0.5:
                raise SpecError(
                    f"experiment (base_distance_m, lateral_m, relative_distance): object {obj.asset!r} in frame "
                    f"{plan.frame_id!r} leaves the {cam.width}x{cam.height} image (its box spans columns "
                    f"{u.min():.0f}..{u.max():.0f}, rows {v.min():.0f}..{v.max():.0f})")


def variant_levels(variant: VariantSpec, world: WorldSpec) -> dict[str, Any]:
    """The world levels a frame of ``variant`` is rendered with (for the frames table)."""
    sun = variant.sun or world.sun
    levels = {"roadside": variant.roadside, "lanes": variant.lanes or world.road.lanes,
              "overcast": variant.overcast, "parked_cars": variant.parked_cars,
              "sun_elevation_deg": sun.elevation_deg, "sun_azimuth_deg": sun.azimuth_deg}
    if variant.photo is not None:
        levels["photo_id"] = variant.photo
    return levels


def frame_record(plan: FramePlan, experiment: str, canonical: Camera, world: WorldSpec) -> dict[str, Any]:
    """The frames-table row of a plan (factor levels, world levels, camera, horizon) before rendering."""
    cam = plan.camera
    return {
        "frame_id": plan.frame_id, "experiment": experiment, **plan.factors,
        **variant_levels(plan.variant, world), "seed": plan.seed, "n_objects": len(plan.objects),
        "width": cam.width, "height": cam.height, "fx": cam.fx, "fy": cam.fy, "cx": cam.cx, "cy": cam.cy,
        "camera_height_m": cam.height_m, "pitch_deg": cam.pitch_deg, "roll_deg": cam.roll_deg,
        "horizon_row": cam.horizon_row(), "canonical_horizon_row": canonical.horizon_row(),
        "canonical_camera_height_m": canonical.height_m, "is_reference": plan.is_reference,
    }


def select_frames(frames: list[FramePlan], limit: int | None) -> list[FramePlan]:
    """At most ``limit`` frames spread evenly over the design (every level range is touched).

    The choice depends only on the design, so a limited run is reproducible and resumable.
    """
    if limit is None or limit >= len(frames):
        return frames
    if limit < 1:
        raise SpecError(f"--limit: must be at least 1 (got {limit})")
    picks = np.unique(np.round(np.linspace(0, len(frames) - 1, limit)).astype(int))
    return [frames[i] for i in picks]


def object_record(plan: FramePlan, placement: ObjectPlacement, catalog: Catalog) -> dict[str, Any]:
    """The objects-table columns of a placement that are known before rendering.

    Every factor level of the frame (condition, variant, transform, ...) and of the object, and
    the camera pose, so that the objects table alone carries everything a fit needs.
    """
    asset = catalog.get(placement.asset)
    return {
        **plan.factors,
        "frame_id": plan.frame_id, "object_id": placement.object_id, "asset": asset.id,
        "object_class": asset.object_class, "familiarity": asset.familiarity,
        "camera_height_m": plan.camera.height_m, "pitch_deg": plan.camera.pitch_deg, "roll_deg": plan.camera.roll_deg,
        **placement.factors,
        "scale": placement.scale, "elevation_m": placement.elevation_m,
        "x_m": placement.x_m, "y_m": placement.y_m, "yaw_deg": placement.yaw_deg,
        "class_height_m": catalog.classes[asset.object_class].usual_height_m,
        "object_height_m": asset.height_m * placement.scale,
    }
