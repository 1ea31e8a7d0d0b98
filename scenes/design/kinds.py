"""The experiment kinds' expansion: one expander per kind (spec -> its frame plans) and one
frame count per kind (how many frames, without building them), each in a registry that must
cover exactly the kinds of :data:`scenes.spec.experiments.EXPERIMENT_KINDS` (checked when this
module is imported).  :func:`scenes.design.plans.expand` runs them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import product
from typing import Any

import numpy as np

from scenes.geometry import Camera, srgb_to_linear
from scenes.catalog import Asset, Catalog
from scenes.errors import SpecError
from scenes.registry import Registry
from scenes.images import CORRUPTIONS, transform_id
from scenes.spec import (EXPERIMENT_KINDS, CameraPoseSpec, ElevationSpec, GroundContactSpec,
                         ImageTransformsSpec, LevelRange, NovelObjectsSpec, PerspectiveSpec,
                         PositionVsSizeSpec, RandomScenesSpec, RobustnessSpec, ShadingSpec,
                         StimulusSpec, TextureSpec, VariantSpec, kind_tag)
from scenes.design.perspective import perspective_count, perspective_frames
from scenes.design.shading import shading_count, shading_frames
from scenes.spec import DepthOrderSpec
from scenes.design.depth_order import count_depth_order, expand_depth_order
from scenes.design.frames import (MIN_OBJECT_DEPTH_M, Appearance, FramePlan, ObjectPlacement, derive_seed,
                                  frame_rng, hsv_to_linear_rgb, level_text, plain_frame, standing)
from scenes.design.texture import count_texture, expand_texture


def _position_vs_size(spec: StimulusSpec, exp: PositionVsSizeSpec, catalog: Catalog) -> list[FramePlan]:
    asset = catalog.get(exp.asset, field="experiment.asset")
    camera = spec.camera.to_camera()
    frames = []
    for variant, condition, d in product(spec.world.variants, exp.conditions, exp.relative_distance.values()):
        distance, scale = {
            "position_and_size": (d * exp.base_distance_m, 1.0),
            "position_only": (d * exp.base_distance_m, d),
            "size_only": (exp.base_distance_m, 1.0 / d),
        }[condition]
        factors = {"condition": condition, "relative_distance": d}
        obj = standing(asset, 1, distance, exp.lateral_m, exp.yaw_deg, scale, factors=factors)
        frame_id = f"{condition}-d{level_text(d)}-{variant.name}"
        frames.append(plain_frame(spec, frame_id, variant, camera, (obj,), factors,
                             is_reference=condition == exp.reference_condition))
    return frames


def _elevation(spec: StimulusSpec, exp: ElevationSpec, catalog: Catalog) -> list[FramePlan]:
    asset = catalog.get(exp.asset, field="experiment.asset")
    camera = spec.camera.to_camera()
    frames = []
    for variant, elevation in product(spec.world.variants, exp.elevation_m.values()):
        factors = {"elevation_m": elevation}
        obj = standing(asset, 1, exp.distance_m, exp.lateral_m, exp.yaw_deg, elevation_m=elevation, factors=factors)
        frame_id = f"elevation{level_text(elevation)}-{variant.name}"
        frames.append(plain_frame(spec, frame_id, variant, camera, (obj,), factors, is_reference=elevation == 0.0))
    return frames


def _camera_pose(spec: StimulusSpec, exp: CameraPoseSpec, catalog: Catalog) -> list[FramePlan]:
    assets = [catalog.get(o.asset, field=f"experiment.objects.{i}.asset") for i, o in enumerate(exp.objects)]
    objects = tuple(standing(a, i + 1, o.distance_m, o.lateral_m, o.yaw_deg, factors={"distance_m": o.distance_m})
                    for i, (a, o) in enumerate(zip(assets, exp.objects)))
    canonical = getattr(spec.camera, exp.vary)
    frames = []
    for variant in spec.world.variants:
        for level in exp.level_values():
            camera = spec.camera.to_camera(**{exp.vary: level})
            frame_id = f"{exp.vary}{level_text(level, '+.2f')}-{variant.name}"
            frames.append(plain_frame(spec, frame_id, variant, camera, objects, {"vary": exp.vary, "level": level},
                                 is_reference=abs(level - canonical) < 1e-9))
    return frames


def _catalog_assets(catalog: Catalog, ids: Sequence[str]) -> list[Asset]:
    """The catalog entries of ``experiment.assets`` (an unknown id: SpecError naming its index)."""
    return [catalog.get(a, field=f"experiment.assets.{i}") for i, a in enumerate(ids)]


def _novel_objects(spec: StimulusSpec, exp: NovelObjectsSpec, catalog: Catalog) -> list[FramePlan]:
    camera = spec.camera.to_camera()
    frames = []
    for variant, asset, d in product(spec.world.variants, _catalog_assets(catalog, exp.assets),
                                     exp.relative_distance.values()):
        factors = {"relative_distance": d}
        obj = standing(asset, 1, d * exp.base_distance_m, exp.lateral_m, exp.yaw_deg, factors=factors)
        frame_id = f"{asset.id}-d{level_text(d)}-{variant.name}"
        frames.append(plain_frame(spec, frame_id, variant, camera, (obj,), {"asset": asset.id, **factors}, is_reference=True))
    return frames


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
    sweeps = _ground_contact_levels(exp, camera.fy)
    for variant, (condition, levels, appearance), d in product(spec.world.variants, sweeps, exp.relative_distance):
        factors = {**_GROUND_CONTACT_DEFAULTS, "condition": condition, **levels, "relative_distance": d}
        obj = standing(asset, 1, d * exp.base_distance_m, exp.lateral_m, exp.yaw_deg, factors=factors)
        frame_id = f"{condition}-d{level_text(d)}-{variant.name}"
        frames.append(plain_frame(spec, frame_id, variant, camera, (replace(obj, appearance=appearance),),
                             {"condition": condition, "relative_distance": d},
                             is_reference=condition == "shadow_on" or not exp.shadow))
    return frames


def _image_transforms(spec: StimulusSpec, exp: ImageTransformsSpec, catalog: Catalog) -> list[FramePlan]:
    camera = spec.camera.to_camera()
    frames = []
    for variant, asset, d in product(spec.world.variants, _catalog_assets(catalog, exp.assets), exp.relative_distance):
        obj = standing(asset, 1, d * exp.base_distance_m, exp.lateral_m, 0.0, factors={"relative_distance": d})
        render_key = f"{asset.id}-d{level_text(d)}-{variant.name}"
        for transform in exp.transforms:
            frame_id = f"{transform}-{render_key}"
            frames.append(FramePlan(frame_id, derive_seed(spec.seed, render_key), variant, camera, (obj,),
                                    {"transform": transform, "asset": asset.id, "relative_distance": d,
                                     "variant": variant.name},
                                    is_reference=transform == "none", transform=transform, render_key=render_key))
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
            obj = standing(asset, object_id, exp.distance_m.sample(rng), exp.lateral_m.sample(rng),
                            exp.yaw_deg.sample(rng), exp.scale.sample(rng),
                            exp.elevation_m.sample(rng) if raised else 0.0)
            if _fits(obj, asset, camera, placed):
                placed.append((replace(obj, factors={"elevated": raised}), asset))
                break
    return camera, tuple(p for p, _ in placed), pose


def _random_scenes(spec: StimulusSpec, exp: RandomScenesSpec, catalog: Catalog) -> list[FramePlan]:
    assets = _catalog_assets(catalog, exp.assets)
    frames = []
    for index in range(exp.n_frames):
        key = f"scene{index:06d}"
        rng = frame_rng(derive_seed(spec.seed, key))
        variant = spec.world.variants[int(rng.integers(len(spec.world.variants)))]
        camera, objects, pose = _random_frame(spec, exp, assets, key, rng)
        frame_id = f"{key}-{variant.name}"
        frames.append(plain_frame(spec, frame_id, variant, camera, objects, {"scene": index},
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
    it must cover exactly the kinds of :data:`scenes.spec.experiments.EXPERIMENT_KINDS` (TypeError otherwise)."""
    registry: Registry[Callable] = Registry("experiment kind", base=Callable, unknown_error=SpecError,
                                            load_error=SpecError,
                                            entries={kind_tag(model): f for model, f in by_model.items()})
    if set(registry) != set(EXPERIMENT_KINDS) or any(EXPERIMENT_KINDS.get(kind_tag(m)) is not m for m in by_model):
        raise TypeError(f"scenes.design.kinds: {what} for {registry.names()} but experiment kinds "
                        f"{EXPERIMENT_KINDS.names()} in scenes.spec.experiments")
    return registry


def _expanders(by_model: dict[type, Expander]) -> Registry[Expander]:
    """The expander registry (see :func:`_per_kind`; TypeError at import when it drifts from the kinds)."""
    return _per_kind("expanders", by_model)


#: Experiment kind -> its expander (the kinds themselves are declared in scenes.spec.experiments).
EXPANDERS = _expanders({
    PositionVsSizeSpec: _position_vs_size, ElevationSpec: _elevation, CameraPoseSpec: _camera_pose,
    NovelObjectsSpec: _novel_objects, GroundContactSpec: _ground_contact, ImageTransformsSpec: _image_transforms,
    RandomScenesSpec: _random_scenes, RobustnessSpec: _robustness,
    PerspectiveSpec: perspective_frames, TextureSpec: expand_texture, ShadingSpec: shading_frames,
    DepthOrderSpec: expand_depth_order})


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
                                       * (1 + len(exp.corruptions) * len(exp.severities))),
    PerspectiveSpec: perspective_count, TextureSpec: count_texture, ShadingSpec: shading_count,
    DepthOrderSpec: count_depth_order})
