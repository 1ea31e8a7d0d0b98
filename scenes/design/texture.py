"""The ``texture`` experiment's expansion (scenes/spec/texture.py): the road frames (one road
texture under each mapping, a car at d·Z0), the detail frames (the car's paint checker at each
frequency scale, one distance) and the conflict pairs.

Each road mapping gets a world of its own: its frames' variant is the spec's variant renamed
``<variant>_<mapping>`` (the renderer builds one world per variant name; the geometry is the
same).  Frame ids: ``road_<mapping>-d<d>-<variant>``, ``detail-s<scale>-<variant>``,
``conflict_<coarse|fine>_near-<variant>``.  (The parts' types are ``TextureSpec``'s fields: ``road``,
``detail``, ``detail.conflict``; typed ``Any`` here, as scenes/spec's facade exports only the kind.)
Reference frames: the world mapping's road frames
and the detail frames at scale 1.  Every object row carries ``part``, ``road_mapping``,
``detail_scale`` (NaN: the file's paint), ``pair`` and ``role`` so that the analysis
(evaluator/analyses/texture.py) reads everything from the objects table.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from scenes.catalog import Asset, Catalog
from scenes.errors import SpecError
from scenes.geometry import Camera
from scenes.spec import StimulusSpec, TextureSpec, VariantSpec
from scenes.design.frames import Appearance, FramePlan, RoadTexture, level_text, plain_frame, standing

#: Object factors every texture row has (a row of another part keeps these values).
FACTOR_DEFAULTS: dict[str, Any] = {"part": "", "road_mapping": "none", "relative_distance": float("nan"),
                                   "detail_scale": float("nan"), "pair": "none", "role": "single"}
#: The two assignments of the conflict pair: pair level -> (near car's scale, far car's scale) keys.
PAIRS = {"coarse_near": ("coarse_scale", "fine_scale"), "fine_near": ("fine_scale", "coarse_scale")}


def mapping_variant(variant: VariantSpec, mapping: str) -> VariantSpec:
    """The world of ``variant`` with the road texture of ``mapping``: its own name (its own world), the
    same roadside draws as ``variant`` (``world_of``), so only the road's texture differs between mappings."""
    return variant.model_copy(update={"name": f"{variant.name}_{mapping}", "world_of": variant.world_seed_name})


def _factors(**levels: Any) -> dict[str, Any]:
    return {**FACTOR_DEFAULTS, **levels}


def _road_frames(spec: StimulusSpec, exp: TextureSpec, road: Any, asset: Asset, camera: Camera,
                 variant: VariantSpec) -> list[FramePlan]:
    frames = []
    for mapping in road.mappings:
        texture = RoadTexture(mapping, road.cell_m, road.reference_depth_m, camera)
        world = mapping_variant(variant, mapping)
        for d in road.relative_distance:
            factors = _factors(part="road", road_mapping=mapping, relative_distance=d)
            obj = standing(asset, 1, d * road.base_distance_m, exp.lateral_m, exp.yaw_deg, factors=factors)
            frame = plain_frame(spec, f"road_{mapping}-d{level_text(d)}-{variant.name}", world, camera, (obj,),
                                {**factors, "base_variant": variant.name},
                                is_reference=mapping == TextureSpec.REFERENCE_MAPPING)
            frames.append(replace(frame, road_texture=texture))
    return frames


def _painted(asset: Asset, object_id: int, distance_m: float, lateral_m: float, yaw_deg: float,
             detail: Any, scale: float, factors: dict[str, Any]):
    obj = standing(asset, object_id, distance_m, lateral_m, yaw_deg, factors=factors)
    return replace(obj, appearance=Appearance(detail_squares_per_m=detail.base_squares_per_m * scale))


def _detail_frames(spec: StimulusSpec, exp: TextureSpec, detail: Any, asset: Asset, camera: Camera,
                   variant: VariantSpec) -> list[FramePlan]:
    frames = []
    for scale in detail.detail_scale:
        factors = _factors(part="detail", detail_scale=scale)
        obj = _painted(asset, 1, detail.distance_m, detail.lateral_m, exp.yaw_deg, detail, scale, factors)
        frames.append(plain_frame(spec, f"detail-s{level_text(scale, 'g')}-{variant.name}", variant, camera, (obj,),
                                  {**factors, "base_variant": variant.name},
                                  is_reference=scale == TextureSpec.REFERENCE_DETAIL))
    if detail.conflict is not None:
        frames.extend(_conflict_frames(spec, exp, detail, detail.conflict, asset, camera, variant))
    return frames


def _conflict_frames(spec: StimulusSpec, exp: TextureSpec, detail: Any, pair: Any, asset: Asset,
                     camera: Camera, variant: VariantSpec) -> list[FramePlan]:
    frames = []
    for name, (near_key, far_key) in PAIRS.items():
        near_scale, far_scale = getattr(pair, near_key), getattr(pair, far_key)
        objects = (
            _painted(asset, 1, pair.near_m, pair.near_lateral_m, exp.yaw_deg, detail, near_scale,
                     _factors(part="conflict", detail_scale=near_scale, pair=name, role="near")),
            _painted(asset, 2, pair.far_m, pair.far_lateral_m, exp.yaw_deg, detail, far_scale,
                     _factors(part="conflict", detail_scale=far_scale, pair=name, role="far")))
        frames.append(plain_frame(spec, f"conflict_{name}-{variant.name}", variant, camera, objects,
                                  _factors(part="conflict", pair=name, base_variant=variant.name),
                                  is_reference=False))
    return frames


def expand_texture(spec: StimulusSpec, exp: TextureSpec, catalog: Catalog) -> list[FramePlan]:
    """Every frame of a texture experiment: per variant, the road frames, then the detail frames.

    :raises SpecError: the road part on photographs (``world.background``: no rendered road to texture)."""
    if exp.road is not None and spec.world.background is not None:
        raise SpecError("experiment.road: the road texture needs a rendered road; on photographs "
                        "(world.background) give only the detail part (road: null)")
    asset = catalog.get(exp.asset, field="experiment.asset")
    camera = spec.camera.to_camera()
    frames = []
    for variant in spec.world.variants:
        if exp.road is not None:
            frames.extend(_road_frames(spec, exp, exp.road, asset, camera, variant))
        if exp.detail is not None:
            frames.extend(_detail_frames(spec, exp, exp.detail, asset, camera, variant))
    return frames


def count_texture(spec: StimulusSpec, exp: TextureSpec) -> int:
    """Frames of :func:`expand_texture`, from the lengths of the levels."""
    per_variant = len(exp.road.mappings) * len(exp.road.relative_distance) if exp.road is not None else 0
    if exp.detail is not None:
        per_variant += len(exp.detail.detail_scale) + (len(PAIRS) if exp.detail.conflict is not None else 0)
    return len(spec.world.variants) * per_variant
