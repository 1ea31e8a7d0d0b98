"""Expansion of the linear-perspective kind (scenes/spec/perspective.py): the false-vanishing-point
frames (painted lines tapered per level, one car at each distance) and the dolly-zoom frames.

Vanishing point of the painted lines: a marking point (x, y) is painted at (x (1 + t y), y)
(generator/markings.py); all lines meet at the ground point (0, -1/t, 0), which the camera at
height H sees in the direction (0, 1, H t), i.e. ``atan(H t)`` above the horizon.  So a shift of
``a`` degrees is the taper ``t = tan(a) / H`` (1/m), and the frames table records the shift in
pixels of the frame's image, ``horizon_row - vp_row`` (``fy tan(a)`` for a level camera).

Each level is its own world variant, ``<variant>_vpu<a>`` (above) or ``<variant>_vpd<a>``
(below); it repeats its base variant's roadside draws (``world_of``), so only the paint moves.
Shift 0 keeps the base variant itself (the same world as every other kind).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from scenes.catalog import Catalog
from scenes.errors import SpecError
from scenes.geometry import Camera
from scenes.spec import MAX_MARKING_TAPER_PER_M, PerspectiveSpec, StimulusSpec, VariantSpec
from scenes.design.frames import FramePlan, level_text, plain_frame, standing

#: The ``block`` factor of the two halves of the design.
VANISHING_POINT, DOLLY_ZOOM = "vanishing_point", "dolly_zoom"


def marking_taper(shift_deg: float, camera: Camera) -> float:
    """Lateral taper t (1/m) that puts the painted lines' vanishing point ``shift_deg`` above the horizon."""
    taper = math.tan(math.radians(shift_deg)) / camera.height_m
    if abs(taper) > MAX_MARKING_TAPER_PER_M:
        raise SpecError(f"experiment.vp_shift_deg: {shift_deg:g} degrees at camera height {camera.height_m:g} m "
                        f"needs a taper of {taper:.3f} / m, beyond +-{MAX_MARKING_TAPER_PER_M} / m")
    return taper


def vp_shift_px(shift_deg: float, camera: Camera) -> float:
    """Rows (px) the painted vanishing point lies above the true horizon in ``camera``'s image."""
    direction = np.array([[0.0, 1.0, math.tan(math.radians(shift_deg))]])
    _, v, _ = camera.project(camera.position + 1000.0 * direction)
    return float(camera.horizon_row() - v[0])


def painted_variant(variant: VariantSpec, shift_deg: float, camera: Camera) -> VariantSpec:
    """The world variant of one shift level: ``variant`` with tapered paint (itself at 0)."""
    if shift_deg == 0.0:
        return variant
    side = "u" if shift_deg > 0 else "d"
    name = f"{variant.name}_vp{side}{level_text(abs(shift_deg), 'g').replace('.', '_')}"
    return variant.model_copy(update={"name": name, "marking_taper_per_m": marking_taper(shift_deg, camera),
                                      "world_of": variant.world_seed_name})


def perspective_frames(spec: StimulusSpec, exp: PerspectiveSpec, catalog: Catalog) -> list[FramePlan]:
    """Per variant: every shift x distance (``vp<shift>-z<distance>-<variant>``), then every dolly
    ratio x distance (``dolly<r>-z<distance>-<variant>``)."""
    asset = catalog.get(exp.asset, field="experiment.asset")
    camera = spec.camera.to_camera()
    frames = []
    for variant in spec.world.variants:
        for shift in exp.vp_shift_deg:
            painted = painted_variant(variant, shift, camera)
            for distance in exp.distances_m:
                factors = {"block": VANISHING_POINT, "vp_shift_deg": shift, "vp_shift_px": vp_shift_px(shift, camera),
                           "marking_taper_per_m": painted.marking_taper_per_m, "dolly_ratio": 1.0,
                           "base_distance_m": distance, "world_variant": variant.name}
                obj = standing(asset, 1, distance, exp.lateral_m, exp.yaw_deg)
                frame_id = f"vp{level_text(shift, '+.2f')}-z{level_text(distance, 'g')}-{variant.name}"
                frames.append(plain_frame(spec, frame_id, painted, camera, (obj,), factors, is_reference=shift == 0.0))
        for ratio in exp.dolly_ratio:
            zoomed = replace(camera, fx=camera.fx * ratio, fy=camera.fy * ratio)
            for distance in exp.dolly_distances_m:
                factors = {"block": DOLLY_ZOOM, "vp_shift_deg": 0.0, "vp_shift_px": 0.0, "marking_taper_per_m": 0.0,
                           "dolly_ratio": ratio, "base_distance_m": distance, "world_variant": variant.name}
                obj = standing(asset, 1, ratio * distance, exp.lateral_m, exp.yaw_deg)
                frame_id = f"dolly{level_text(ratio)}-z{level_text(distance, 'g')}-{variant.name}"
                frames.append(plain_frame(spec, frame_id, variant, zoomed, (obj,), factors, is_reference=ratio == 1.0))
    return frames


def perspective_count(spec: StimulusSpec, exp: PerspectiveSpec) -> int:
    """Frames of the design: variants x (shifts x distances + dolly ratios x dolly distances)."""
    return len(spec.world.variants) * (len(exp.vp_shift_deg) * len(exp.distances_m)
                                       + len(exp.dolly_ratio) * len(exp.dolly_distances_m))
