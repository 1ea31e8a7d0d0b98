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
