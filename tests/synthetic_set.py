"""A small stimulus set written without Blender, for evaluator tests.

Design: the position-versus-size experiment of PAPER.md section 1 in 3D.  One flat,
fronto-parallel rectangle per frame (class height 1.5 m, width 1.8 m, centred at x = 0)
stands on a flat road seen by a KITTI-like camera; for relative distance d = 1.0 ... 3.0:

* ``position_and_size``: at d * Z0, natural size (the reference condition);
* ``position_only``: at d * Z0, scaled by d (same apparent size, contact point higher);
* ``size_only``: at Z0, scaled by 1 / d (contact point fixed, smaller).

Layers: depth = road z-depth (``Camera.road_depth_map``; +inf for sky) with the rectangle's
constant z-depth over its pixels; semantic road below the horizon, sky above, vehicle on the
object; instance 1 on the object.  RGB: sky, road and object in flat colours, and the frame's
index encoded in a 2x2 block at the top-left (see :func:`frame_index`) so a planted model can
tell which frame it sees.  The objects table is computed from the rasterised mask exactly as the
generator defines the columns (contact row = lowest mask row, z_vertical = f H0 / (contact_row
- horizon_row0), z_size = f h_class / height_px).

:func:`write_frames` writes any list of :class:`FrameSpec` (camera with pitch, roll and height;
several boxes, raised, coloured, with a shadow band; counterfactual layers) by ray casting; the
builders :func:`pose_specs`, :func:`obstacle_specs` and :func:`position_vs_size_specs` make the
camera-pose, obstacle and multi-variant position-vs-size designs of the analysis tests.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from scenes.camera import Camera, kitti_like_camera
from scenes.stimulus_set import SEMANTIC_CLASSES, write_layer, write_manifest, write_tables

CAMERA = kitti_like_camera(width=320, height=96)
Z0_M = 10.0
CLASS_HEIGHT_M = 1.5
OBJECT_WIDTH_M = 1.8
DISTANCES = tuple(round(1.0 + 0.1 * i, 1) for i in range(21))
CONDITIONS = ("position_and_size", "position_only", "size_only")
REFERENCE_CONDITION = "position_and_size"

SKY_RGB = (135, 180, 235)
ROAD_RGB = (90, 90, 90)
OBJECT_RGB = (200, 40, 40)
INDEX_BLOCK = (slice(0, 2), slice(0, 2))


def placement(condition: str, d: float, z0_m: float = Z0_M) -> tuple[float, float]:
    """(distance Z in metres, scale factor) of the object for a condition and relative distance."""
    if condition == "position_and_size":
        return d * z0_m, 1.0
    if condition == "position_only":
        return d * z0_m, d
    if condition == "size_only":
        return z0_m, 1.0 / d
    raise ValueError(f"unknown condition {condition!r}")


def rasterise(camera: Camera, z_m: float, height_m: float, width_m: float, x_m: float = 0.0) -> np.ndarray:
    """Mask (H, W) of a fronto-parallel rectangle standing on the road at z-depth ``z_m``.

    Pixel centres at integer coordinates; a pixel belongs to the rectangle when its centre does.
    Valid for a level camera (no pitch, no roll).
    """
    v_bottom = camera.cy + camera.fy * camera.height_m / z_m
    v_top = camera.cy + camera.fy * (camera.height_m - height_m) / z_m
    u_left = camera.cx + camera.fx * (x_m - width_m / 2) / z_m
    u_right = camera.cx + camera.fx * (x_m + width_m / 2) / z_m
    rows = np.arange(camera.height)[:, None]
    cols = np.arange(camera.width)[None, :]
    return (rows >= v_top) & (rows <= v_bottom) & (cols >= u_left) & (cols <= u_right)


def cues_from_mask(mask: np.ndarray, camera: Camera = CAMERA,
                   class_height_m: float = CLASS_HEIGHT_M) -> dict[str, float]:
    """Image measurements and cue-implied distances of one object mask (canonical camera)."""
    rows, cols = np.nonzero(mask)
    contact_row, top_row = int(rows.max()), int(rows.min())
    height_px = contact_row - top_row + 1
    horizon = camera.horizon_row()
    z_vertical = camera.fy * camera.height_m / (contact_row - horizon) if contact_row > horizon else math.inf
    return {"contact_row": contact_row, "top_row": top_row, "height_px": height_px,
            "width_px": int(cols.max() - cols.min() + 1), "visible_px": int(mask.sum()),
            "z_vertical": float(z_vertical), "z_size": float(camera.fy * class_height_m / height_px)}


def encode_index(image: np.ndarray, index: int) -> None:
    """Write ``index`` (0 ... 65535) into the top-left 2x2 block of an RGB image, in place."""
    image[INDEX_BLOCK] = (index % 256, index // 256, 255)


def frame_index(image: np.ndarray) -> int:
    """The index :func:`encode_index` wrote."""
    r, g, _ = image[0, 0].astype(int)
    return int(r + 256 * g)


def object_mask(image: np.ndarray) -> np.ndarray:
    """Pixels of an RGB image painted in the object colour."""
    return np.all(image == np.array(OBJECT_RGB, dtype=np.uint8), axis=-1)


def render_frame(camera: Camera, z_m: float, scale: float, index: int) -> dict[str, np.ndarray]:
    """RGB, depth, instances and semantic layers of one frame."""
    road_depth = camera.road_depth_map()
    mask = rasterise(camera, z_m, CLASS_HEIGHT_M * scale, OBJECT_WIDTH_M * scale)
    sky = ~np.isfinite(road_depth)
    rgb = np.where(sky[..., None], np.array(SKY_RGB, np.uint8), np.array(ROAD_RGB, np.uint8))
    rgb[mask] = OBJECT_RGB
    encode_index(rgb, index)
    depth = road_depth.copy()
    depth[mask] = z_m
    semantic = np.where(sky, SEMANTIC_CLASSES["sky"], SEMANTIC_CLASSES["road"]).astype(np.uint8)
    semantic[mask] = SEMANTIC_CLASSES["vehicle"]
    instances = mask.astype(np.uint16)
    return {"rgb": rgb, "depth": depth.astype(np.float32), "instances": instances,
            "semantic": semantic, "mask": mask}


def camera_dict(camera: Camera) -> dict[str, float]:
    """The manifest's ``canonical_camera`` entry for ``camera``."""
    return {"width": camera.width, "height": camera.height, "fx": camera.fx, "fy": camera.fy,
            "cx": camera.cx, "cy": camera.cy, "height_m": camera.height_m,
            "pitch_deg": camera.pitch_deg, "roll_deg": camera.roll_deg}


def write_synthetic_set(root: Path, conditions: tuple[str, ...] = CONDITIONS,
                        distances: tuple[float, ...] = DISTANCES, camera: Camera = CAMERA,
                        hash_files: bool = True) -> Path:
    """Write the set to ``root`` (created) and return ``root``.

    :param hash_files: record each per-frame file's SHA-256 in the manifest (as the generator
        does); False leaves the manifest without hashes, so damage shows only on decoding.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    frames, objects, files = [], [], {}
    for index, (condition, d) in enumerate((c, d) for c in conditions for d in distances):
        fid = f"{condition}_d{d:.1f}"
        z_m, scale = placement(condition, d)
        layers = render_frame(camera, z_m, scale, index)
        for layer in ("rgb", "depth", "instances", "semantic"):
            rel, digest = write_layer(root, layer, fid, layers[layer])
            files[rel] = digest
        frames.append(_frame_row(camera, fid, condition, d, index))
        objects.append(_object_row(fid, condition, d, z_m, scale, cues_from_mask(layers["mask"], camera)))
    write_tables(root, pd.DataFrame(frames), pd.DataFrame(objects))
    write_manifest(root, {"spec_hash": "synthetic-0001", "seed": 0, "canonical_camera": camera_dict(camera),
                          "files": files if hash_files else {},
                          "counts": {"frames": len(frames), "objects": len(objects)}})
    return root


def _frame_row(camera: Camera, fid: str, condition: str, d: float, index: int) -> dict:
    return {"frame_id": fid, "experiment": "position_vs_size", "condition": condition,
            "variant": "default", "relative_distance": d, "seed": index,
            "width": camera.width, "height": camera.height, "fx": camera.fx, "fy": camera.fy,
            "cx": camera.cx, "cy": camera.cy, "camera_height_m": camera.height_m,
            "pitch_deg": camera.pitch_deg, "roll_deg": camera.roll_deg,
            "horizon_row": camera.horizon_row(), "is_reference": condition == REFERENCE_CONDITION,
            "has_counterfactual": False}


def _object_row(fid: str, condition: str, d: float, z_m: float, scale: float, cues: dict) -> dict:
    return {"frame_id": fid, "object_id": 1, "asset": "flat_box", "object_class": "car",
            "condition": condition, "relative_distance": d, "scale": scale, "elevation_m": 0.0,
            "x_m": 0.0, "y_m": z_m, "z_true": z_m, "z_contact": z_m, **cues,
            "class_height_m": CLASS_HEIGHT_M}


# --------------------------------------------------------------------------------------------
# General frames: any camera pose, several boxes (raised, coloured, with a shadow band),
# counterfactual layers.  Used by the analysis tests (pose, obstacles, curves).
#
# A box is a fronto-parallel rectangle (the plane world y = z_m, facing the camera) from
# elevation_m to elevation_m + height_m above the road; pixels are ray-cast through their
# centres with the frame's camera (pitch, roll, height), so masks and depths are exact for any
# pose; the nearest box wins a pixel.  A box with ``shadow`` gets a dark band on the road in
# the SHADOW_ROWS rows below its lowest mask row (paint: still road in semantic and depth).
# --------------------------------------------------------------------------------------------

from dataclasses import dataclass, field, replace  # noqa: E402

SHADOW_RGB = (15, 15, 15)
SHADOW_ROWS = 2
#: Colours that are not objects (sky, road, shadow paint).
BACKGROUND_RGB = (SKY_RGB, ROAD_RGB, SHADOW_RGB)


@dataclass(frozen=True)
class Box:
    """A fronto-parallel rectangle on (or above) the road, metres; ``rgb`` its flat colour."""

    z_m: float
    height_m: float = CLASS_HEIGHT_M
    width_m: float = OBJECT_WIDTH_M
    x_m: float = 0.0
    elevation_m: float = 0.0
    rgb: tuple[int, int, int] = OBJECT_RGB
    shadow: bool = False
    columns: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FrameSpec:
    """One frame: its camera, boxes, frames-table factor columns, reference flag, counterfactual."""

    frame_id: str
    camera: Camera
    boxes: tuple[Box, ...]
    factors: dict
    is_reference: bool
    counterfactual: bool = False


def pixel_rays(camera: Camera) -> np.ndarray:
    """World direction (H, W, 3) of each pixel's ray, scaled to unit z-depth."""
    v, u = np.mgrid[0:camera.height, 0:camera.width].astype(float)
    d_cam = np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones_like(u)], axis=-1)
    return d_cam @ camera.rotation_cam_to_world.T


def raycast_box(camera: Camera, box: Box, rays: np.ndarray | None = None) -> np.ndarray:
    """z-depth (H, W) of the box where a pixel's ray meets it, +inf elsewhere."""
    rays = pixel_rays(camera) if rays is None else rays
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (box.z_m - camera.y_m) / rays[..., 1]
    point = camera.position + t[..., None] * rays
    hit = ((t > 0) & (np.abs(point[..., 0] - box.x_m) <= box.width_m / 2)
           & (point[..., 2] >= box.elevation_m) & (point[..., 2] <= box.elevation_m + box.height_m))
    return np.where(hit, t, np.inf).astype(np.float64)


def render_spec(spec: FrameSpec, index: int) -> dict:
    """Layers of one frame (and its counterfactual), and each box's mask."""
    camera = spec.camera
    road = camera.road_depth_map().astype(np.float64)
    sky = ~np.isfinite(road)
    rays = pixel_rays(camera)
    depth, instances = road.copy(), np.zeros(road.shape, np.uint16)
    for k, box in enumerate(spec.boxes, start=1):
        z = raycast_box(camera, box, rays)
        nearer = z < depth
        depth[nearer], instances[nearer] = z[nearer], k
    background = np.where(sky[..., None], np.array(SKY_RGB, np.uint8), np.array(ROAD_RGB, np.uint8))
    rgb = background.copy()
    masks = []
    for k, box in enumerate(spec.boxes, start=1):
        mask = instances == k
        masks.append(mask)
        rgb[mask] = box.rgb
        if box.shadow and mask.any():
            rows, cols = np.nonzero(mask)
            bottom = rows.max()
            band = np.zeros_like(mask)
            band[bottom + 1:bottom + 1 + SHADOW_ROWS, cols.min():cols.max() + 1] = True
            band &= (instances == 0) & ~sky
            rgb[band] = SHADOW_RGB
    encode_index(rgb, index)
    semantic = np.where(sky, SEMANTIC_CLASSES["sky"], SEMANTIC_CLASSES["road"]).astype(np.uint8)
    semantic[instances > 0] = SEMANTIC_CLASSES["vehicle"]
    layers = {"rgb": rgb, "depth": depth.astype(np.float32), "instances": instances, "semantic": semantic}
    if spec.counterfactual:
        cf_rgb = background.copy()
        encode_index(cf_rgb, index)
        layers.update(counterfactual_rgb=cf_rgb, counterfactual_depth=road.astype(np.float32))
    return {"layers": layers, "masks": masks}


def write_frames(root: Path, specs: list[FrameSpec], canonical: Camera = CAMERA, hash_files: bool = True) -> Path:
    """Write a stimulus set of ``specs`` (frame index = position in ``specs``) to ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    frames, objects, files = [], [], {}
    for index, spec in enumerate(specs):
        rendered = render_spec(spec, index)
        for layer, array in rendered["layers"].items():
            rel, digest = write_layer(root, layer, spec.frame_id, array)
            files[rel] = digest
        cam = spec.camera
        frames.append({"frame_id": spec.frame_id, "experiment": "synthetic", **spec.factors, "seed": index,
                       "width": cam.width, "height": cam.height, "fx": cam.fx, "fy": cam.fy, "cx": cam.cx,
                       "cy": cam.cy, "camera_height_m": cam.height_m, "pitch_deg": cam.pitch_deg,
                       "roll_deg": cam.roll_deg, "horizon_row": cam.horizon_row(),
                       "is_reference": spec.is_reference, "has_counterfactual": spec.counterfactual})
        depth = rendered["layers"]["depth"]
        for k, (box, mask) in enumerate(zip(spec.boxes, rendered["masks"]), start=1):
            if not mask.any():
                continue
            values = depth[mask]
            objects.append({"frame_id": spec.frame_id, "object_id": k, "asset": box.columns.get("asset", "flat_box"),
                            "object_class": "car", "x_m": box.x_m, "y_m": box.z_m,
                            "elevation_m": box.elevation_m, "z_true": float(np.median(values)),
                            **{c: v for c, v in box.columns.items() if c != "asset"},
                            **cues_from_mask(mask, canonical), "class_height_m": CLASS_HEIGHT_M})
    write_tables(root, pd.DataFrame(frames), pd.DataFrame(objects))
    write_manifest(root, {"spec_hash": "synthetic-frames", "seed": 0, "canonical_camera": camera_dict(canonical),
                          "files": files if hash_files else {},
                          "counts": {"frames": len(frames), "objects": len(objects)}})
    return root


#: Default boxes of the pose sets: three cars at 10, 18 and 30 m (as the camera presets).
POSE_BOXES = (Box(10.0, x_m=0.0), Box(18.0, x_m=-3.5), Box(30.0, x_m=3.5))
POSE_FACTORS = {"pitch_deg": "pitch_deg", "roll_deg": "roll_deg", "height_m": "camera_height_m"}


def pose_specs(vary: str, levels: tuple[float, ...], variants: tuple[str, ...] = ("open", "trees"),
               canonical: Camera = CAMERA, boxes: tuple[Box, ...] = POSE_BOXES) -> list[FrameSpec]:
    """Frames of a camera-pose experiment: ``vary`` (``pitch_deg``, ``roll_deg`` or ``height_m``)
    takes each level, per variant; the frame at the canonical value is the reference."""
    specs = []
    for variant in variants:
        for level in levels:
            camera = replace(canonical, **{vary: float(level)})
            reference = abs(level - getattr(canonical, vary)) < 1e-9
            specs.append(FrameSpec(f"{vary}{level:+.2f}-{variant}", camera, boxes,
                                   {"vary": vary, "level": float(level), "variant": variant}, reference))
    return specs


def obstacle_specs(distances: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5, 3.0), z0_m: float = Z0_M,
                   values: tuple[float, ...] = (1.0, 0.6), variant: str = "open",
                   canonical: Camera = CAMERA) -> list[FrameSpec]:
    """Frames with counterfactuals: one box per frame, with or without a shadow band, familiar
    or novel, at brightness ``value``, at d * z0 (the d = 1 frames with a shadow are references)."""
    specs = []
    for shadow in (True, False):
        for familiarity, asset in (("familiar", "car_box"), ("novel", "fridge_box")):
            for value in values:
                rgb = tuple(int(round(c * value)) for c in ((200, 40, 40) if asset == "car_box" else (40, 40, 200)))
                for d in distances:
                    box = Box(d * z0_m, rgb=rgb, shadow=shadow,
                              columns={"asset": asset, "familiarity": familiarity, "shadow": shadow,
                                       "value": value, "condition": "position_and_size",
                                       "relative_distance": d})
                    fid = f"{asset}-{'shadow' if shadow else 'plain'}-v{value:.1f}-d{d:.1f}"
                    specs.append(FrameSpec(fid, canonical, (box,),
                                           {"condition": "position_and_size", "relative_distance": d,
                                            "variant": variant},
                                           is_reference=bool(shadow and d == 1.0), counterfactual=True))
    return specs


def object_pixels(image: np.ndarray) -> np.ndarray:
    """Pixels of an RGB image that are not sky, road or shadow paint (nor the index block)."""
    background = np.zeros(image.shape[:2], dtype=bool)
    for colour in BACKGROUND_RGB:
        background |= np.all(image == np.array(colour, dtype=np.uint8), axis=-1)
    found = ~background
    found[INDEX_BLOCK] = False
    return found


def position_vs_size_specs(variants: tuple[str, ...] = ("open", "buildings", "trees"),
                           distances: tuple[float, ...] = DISTANCES, canonical: Camera = CAMERA) -> list[FrameSpec]:
    """The position-vs-size design of :func:`write_synthetic_set` as FrameSpecs, per variant."""
    specs = []
    for variant in variants:
        for condition in CONDITIONS:
            for d in distances:
                z_m, scale = placement(condition, d)
                box = Box(z_m, CLASS_HEIGHT_M * scale, OBJECT_WIDTH_M * scale,
                          columns={"condition": condition, "relative_distance": d, "scale": scale})
                specs.append(FrameSpec(f"{condition}_d{d:.1f}-{variant}", canonical, (box,),
                                       {"condition": condition, "relative_distance": d, "variant": variant},
                                       condition == REFERENCE_CONDITION))
    return specs
