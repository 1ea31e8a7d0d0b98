"""A small stimulus set written without Blender, for evaluator tests.

Design: the position-versus-size experiment of the study (experiment 1, docs/design.md "The study") in 3D.  One flat,
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
generator measures a render (:func:`scenes.geometry.measure.measure_object`).

:func:`write_frames` writes any list of :class:`FrameSpec` (camera with pitch, roll and height;
several boxes, raised, coloured, with a shadow band; counterfactual layers) by ray casting; the
builders :func:`pose_specs`, :func:`obstacle_specs` and :func:`position_vs_size_specs` make the
camera-pose, obstacle and multi-variant position-vs-size designs of the analysis tests.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dataclasses import replace

from scenes.geometry.camera import Camera
from scenes.geometry.measure import measure_object
from scenes.formats.stimulus_set import write_layer, write_manifest, write_tables
from scenes.geometry.classes import SEMANTIC_CLASSES
from scenes.formats.synthetic import (BACKGROUND_RGB, CAMERA, CLASS_HEIGHT_M, INDEX_BLOCK, OBJECT_RGB, OBJECT_WIDTH_M,  # noqa: F401
                              ROAD_RGB, SHADOW_RGB, SHADOW_ROWS, SKY_RGB, Box, FrameSpec, encode_index, frame_index, pixel_rays,
                              raycast_box, render_spec, write_frames)

Z0_M = 10.0
DISTANCES = tuple(round(1.0 + 0.1 * i, 1) for i in range(21))
CONDITIONS = ("position_and_size", "position_only", "size_only")
REFERENCE_CONDITION = "position_and_size"


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


def object_mask(image: np.ndarray) -> np.ndarray:
    """Pixels of an RGB image painted in the object colour."""
    return np.all(image == np.array(OBJECT_RGB, dtype=np.uint8), axis=-1)


def cues_from_mask(mask: np.ndarray, camera: Camera = CAMERA,
                   class_height_m: float = CLASS_HEIGHT_M) -> dict:
    """Image measurements and cue-implied distances of one object mask (canonical camera), as
    :func:`scenes.geometry.measure.measure_object` makes them (a planted model measures its input so)."""
    return measure_object(1, mask.astype(np.int32), np.ones(mask.shape, np.float32), camera, camera,
                          class_height_m)


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
        measured = measure_object(1, layers["instances"], layers["depth"], camera, camera, CLASS_HEIGHT_M)
        objects.append(_object_row(fid, condition, d, z_m, scale, measured))
    write_tables(root, pd.DataFrame(frames), pd.DataFrame(objects))
    write_manifest(root, {"spec_hash": "synthetic-0001", "seed": 0, "canonical_camera": camera.to_record(),
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


def _object_row(fid: str, condition: str, d: float, z_m: float, scale: float, measured: dict) -> dict:
    return {"frame_id": fid, "object_id": 1, "asset": "flat_box", "object_class": "car",
            "condition": condition, "relative_distance": d, "scale": scale, "elevation_m": 0.0,
            "x_m": 0.0, "y_m": z_m, **measured, "z_true": z_m, "z_contact": z_m,
            "class_height_m": CLASS_HEIGHT_M}


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
