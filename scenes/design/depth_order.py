"""The depth-order experiment's expansion (``kind: depth_order``, scenes/spec/depth_order.py).

For every world variant and distance ratio r: object B (id 2) stands r x ``near_distance_m``
ahead at ``far_lateral_m``; object A (id 1) stands ``near_distance_m`` ahead, moved sideways
(to ``near_side``) until it hides the requested fraction of B's image area.  That offset comes
from the exact projected geometry: each catalog mesh placed and projected with the frame's
camera (scenes.geometry.Camera), its silhouette taken as the convex hull of its projected
vertices, and the hidden fraction ``area(hull A & hull B) / area(hull B)`` (convex polygon
clipping, exact) solved for by bisection on A's lateral position (it falls monotonically as A
moves out).  The hull is the silhouette of a convex body; for the catalog's cars it is slightly
larger than the true mask, so the rendered overlap (the analysis measures it from the masks) is
close to, not equal to, the requested one.

Frames (ids ``<condition>-r<ratio>-o<overlap>-<variant>``; ``far_alone-r<ratio>-<variant>``):

* ``consistent`` (reference frames): A and B, A occluding B;
* ``reversed``: the same scene with B drawn over A (``FramePlan.drawn_over = (2,)``), rendered
  with the consistent frame's seed (derived from ``pair-r<ratio>-o<overlap>-<variant>``), so the
  two differ only where the order does;
* ``far_alone``: B alone (one per ratio and variant: it does not depend on the overlap).

Frame factors: ``condition``, ``distance_ratio``, ``overlap`` (requested; NaN for far_alone),
``drawn_front`` (``near``, ``far``; ``none`` for far_alone); object factor ``role``
(``near``/``far``).  Metres, fractions in [0, 1].
"""
from __future__ import annotations

from dataclasses import replace
from itertools import product

import numpy as np
from scipy.spatial import ConvexHull

from scenes.catalog import Asset, Catalog
from scenes.design.frames import (Appearance, FramePlan, ObjectPlacement, derive_seed, level_text, nearest_footprint_offset, plain_frame,
                                  standing)
from scenes.design.meshes import load_asset_mesh
from scenes.errors import SpecError
from scenes.geometry import Camera, srgb_to_linear
from scenes.spec import DepthOrderSpec, StimulusSpec

#: Object ids of the near (A) and far (B) object.
NEAR_ID, FAR_ID = 1, 2
#: Bisection steps on A's lateral offset: 2^-40 of the search interval (well below a micrometre).
BISECTION_STEPS = 40


def polygon_area(poly: np.ndarray) -> float:
    """Area (px^2) of a simple polygon (K, 2) by the shoelace formula (0 for fewer than 3 vertices)."""
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def clip_convex(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """The intersection of two convex polygons (counter-clockwise vertices (K, 2)), by
    Sutherland-Hodgman clipping of ``subject`` against each edge of ``clip``."""
    out = subject
    for a, b in zip(clip, np.roll(clip, -1, axis=0)):
        if len(out) == 0:
            break
        edge = b - a
        side = edge[0] * (out[:, 1] - a[1]) - edge[1] * (out[:, 0] - a[0])  # >= 0: inside (left of edge)
        kept = []
        for i in range(len(out)):
            p, q, sp, sq = out[i], out[(i + 1) % len(out)], side[i], side[(i + 1) % len(out)]
            if sp >= 0:
                kept.append(p)
            if (sp >= 0) != (sq >= 0):
                kept.append(p + (q - p) * (sp / (sp - sq)))
        out = np.array(kept).reshape(-1, 2)
    return out


def silhouette(placement: ObjectPlacement, vertices: np.ndarray, camera: Camera) -> np.ndarray:
    """Convex hull (K, 2) of the placed mesh's projected vertices, counter-clockwise, pixels."""
    u, v, _ = camera.project(placement.to_world(vertices))
    points = np.stack([u, v], axis=1)
    return points[ConvexHull(points).vertices]


def hidden_fraction(near: np.ndarray, far: np.ndarray) -> float:
    """Share of the far silhouette's area inside the near one (0 ... 1)."""
    return polygon_area(clip_convex(far, near)) / polygon_area(far)


def near_lateral(exp: DepthOrderSpec, catalog: Catalog, ratio: float, overlap: float, camera: Camera) -> float:
    """A's footprint centre (m right of the camera) that hides ``overlap`` of B's silhouette.

    :raises SpecError: (``experiment.overlap``) A cannot hide that much of B even when aligned with it.
    """
    near_asset, far_asset = (catalog.get(exp.near_asset, field="experiment.near_asset"),
                             catalog.get(exp.far_asset, field="experiment.far_asset"))
    far = silhouette(_far(far_asset, exp, ratio), _vertices(catalog, far_asset), camera)
    near_vertices = _vertices(catalog, near_asset)
    sign = -1.0 if exp.near_side == "left" else 1.0

    def hidden(offset: float) -> float:
        placement = standing(near_asset, NEAR_ID, exp.near_distance_m, exp.far_lateral_m + sign * offset, exp.yaw_deg)
        return hidden_fraction(silhouette(placement, near_vertices, camera), far)

    if hidden(0.0) < overlap:
        raise SpecError(f"experiment.overlap: {overlap} of {exp.far_asset!r} cannot be hidden by {exp.near_asset!r} "
                        f"at distance ratio {ratio} (at most {hidden(0.0):.3f})")
    low, high = 0.0, max(near_asset.width_m, near_asset.length_m) + far_asset.width_m
    while hidden(high) > 0.0:
        high *= 2.0
    for _ in range(BISECTION_STEPS):  # invariant: hidden(low) >= overlap > or = hidden(high)
        mid = (low + high) / 2
        low, high = (mid, high) if hidden(mid) > overlap else (low, mid)
    return exp.far_lateral_m + sign * high


def _vertices(catalog: Catalog, asset: Asset) -> np.ndarray:
    return load_asset_mesh(catalog.mesh_path(asset.id)).vertices


def _far(asset: Asset, exp: DepthOrderSpec, ratio: float) -> ObjectPlacement:
    placement = standing(asset, FAR_ID, ratio * exp.near_distance_m, exp.far_lateral_m, exp.yaw_deg,
                         factors={"role": "far"})
    if exp.far_paint_rgb is None:
        return placement
    paint = tuple(float(c) for c in srgb_to_linear(np.asarray(exp.far_paint_rgb, dtype=float)))
    return replace(placement, appearance=Appearance(paint_rgb=paint))


def expand_depth_order(spec: StimulusSpec, exp: DepthOrderSpec, catalog: Catalog) -> list[FramePlan]:
    """The frames of a depth-order design (see the module docstring), variants outermost."""
    near_asset = catalog.get(exp.near_asset, field="experiment.near_asset")
    far_asset = catalog.get(exp.far_asset, field="experiment.far_asset")
    camera = spec.camera.to_camera()
    pair_conditions = [c for c in exp.conditions if c != "far_alone"]
    frames = []
    for ratio in exp.distance_ratio:
        _check_apart(exp, near_asset, ratio)
    for variant, ratio in product(spec.world.variants, exp.distance_ratio):
        far = _far(far_asset, exp, ratio)
        nears = {overlap: standing(near_asset, NEAR_ID, exp.near_distance_m,
                                   near_lateral(exp, catalog, ratio, overlap, camera), exp.yaw_deg,
                                   factors={"role": "near"}) for overlap in exp.overlap}
        for condition, overlap in product(pair_conditions, exp.overlap):  # conditions outer: a --limit shows both
            front = "near" if condition == "consistent" else "far"
            factors = {"condition": condition, "distance_ratio": ratio, "overlap": overlap, "drawn_front": front}
            frame_id = f"{condition}-r{level_text(ratio)}-o{level_text(overlap)}-{variant.name}"
            plan = plain_frame(spec, frame_id, variant, camera, (nears[overlap], far), factors,
                               is_reference=condition == "consistent")
            # one seed for the pair: the same noise, so the frames differ only where the order does
            pair_key = f"pair-r{level_text(ratio)}-o{level_text(overlap)}-{variant.name}"
            plan = replace(plan, seed=derive_seed(spec.seed, pair_key))
            frames.append(plan if condition == "consistent" else replace(plan, drawn_over=(FAR_ID,)))
        if "far_alone" in exp.conditions:
            factors = {"condition": "far_alone", "distance_ratio": ratio, "overlap": float("nan"), "drawn_front": "none"}
            frames.append(plain_frame(spec, f"far_alone-r{level_text(ratio)}-{variant.name}", variant, camera,
                                      (far,), factors, is_reference=False))
    return frames


def _check_apart(exp: DepthOrderSpec, near_asset: Asset, ratio: float) -> None:
    """SpecError (``experiment.distance_ratio``) when B would start before A's footprint ends."""
    near = standing(near_asset, NEAR_ID, exp.near_distance_m, 0.0, exp.yaw_deg)
    near_end = near.y_m + nearest_footprint_offset(near_asset, exp.yaw_deg, 1.0)
    if ratio * exp.near_distance_m <= near_end:
        raise SpecError(f"experiment.distance_ratio: {ratio} puts {exp.far_asset!r} at {ratio * exp.near_distance_m:.2f} m, "
                        f"inside the footprint of {exp.near_asset!r} (which reaches {near_end:.2f} m)")


def count_depth_order(spec: StimulusSpec, exp: DepthOrderSpec) -> int:
    """Frames of a depth-order design, without expanding it."""
    pairs = len([c for c in exp.conditions if c != "far_alone"]) * len(exp.overlap)
    return len(spec.world.variants) * len(exp.distance_ratio) * (pairs + ("far_alone" in exp.conditions))
