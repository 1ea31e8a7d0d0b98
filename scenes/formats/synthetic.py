"""Stimulus sets written without Blender: exact ray-cast boxes on a flat road (tests, benchmarks).

A box is a fronto-parallel rectangle (the plane world y = z_m, facing the camera) from
elevation_m to elevation_m + height_m above the road; pixels are ray-cast through their
centres with the frame's camera (pitch, roll, height), so masks and depths are exact for any
pose; the nearest box wins a pixel.  A box with ``shadow`` gets a dark band on the road in the
SHADOW_ROWS rows below its lowest mask row (paint: still road in semantic and depth).  Layers
follow the stimulus-set format (:mod:`scenes.formats.stimulus_set`); the frame's index is encoded in a
2x2 block at the top-left of its RGB (:func:`encode_index`) so that a planted model can tell
which frame it sees.  The objects table is measured from the layers by
:func:`scenes.geometry.measure.measure_object`, as for a render -- one definition of the cue columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scenes.geometry import Camera, kitti_like_camera, measure_object, SEMANTIC_CLASSES
from scenes.formats.stimulus_set import write_layer, write_manifest, write_tables

#: The tests' canonical camera: KITTI-like at 320 x 96 px.
CAMERA = kitti_like_camera(width=320, height=96)
#: A car's height and width, metres (the boxes' defaults).
CLASS_HEIGHT_M = 1.5
OBJECT_WIDTH_M = 1.8
SKY_RGB = (135, 180, 235)
ROAD_RGB = (90, 90, 90)
OBJECT_RGB = (200, 40, 40)
INDEX_BLOCK = (slice(0, 2), slice(0, 2))


def encode_index(image: np.ndarray, index: int) -> None:
    """Write ``index`` (0 ... 65535) into the top-left 2x2 block of an RGB image, in place."""
    image[INDEX_BLOCK] = (index % 256, index // 256, 255)


def frame_index(image: np.ndarray) -> int:
    """The index :func:`encode_index` wrote."""
    r, g, _ = image[0, 0].astype(int)
    return int(r + 256 * g)


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
    class_height_m: float = CLASS_HEIGHT_M
    #: Drawn over the boxes before it wherever it is hit, even where they are nearer (depth order reversed).
    drawn_over: bool = False


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
    """World direction (H, W, 3) of each pixel's ray, scaled to unit z-depth (:meth:`Camera.pixel_rays`)."""
    return camera.pixel_rays()[1].reshape(camera.height, camera.width, 3)


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
        nearer = np.isfinite(z) if box.drawn_over else z < depth
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


def write_frames(root: Path, specs: list[FrameSpec], canonical: Camera = CAMERA, hash_files: bool = True,
                 spec_hash: str = "synthetic-frames") -> Path:
    """Write a stimulus set of ``specs`` (frame index = position in ``specs``) to ``root``.

    The objects table is measured from the rendered layers by :func:`scenes.geometry.measure.measure_object`,
    exactly as the generator measures a render (contact row, height, z_vertical, z_size, ...);
    z_size uses the box's ``class_height_m``.
    """
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
        layers = rendered["layers"]
        for k, (box, mask) in enumerate(zip(spec.boxes, rendered["masks"]), start=1):
            if not mask.any():
                continue
            objects.append({"frame_id": spec.frame_id, "object_id": k, "asset": box.columns.get("asset", "flat_box"),
                            "object_class": "car", "x_m": box.x_m, "y_m": box.z_m, "elevation_m": box.elevation_m,
                            **{c: v for c, v in box.columns.items() if c != "asset"},
                            **measure_object(k, layers["instances"], layers["depth"], cam, canonical, box.class_height_m),
                            "class_height_m": box.class_height_m})
    write_tables(root, pd.DataFrame(frames), pd.DataFrame(objects))
    write_manifest(root, {"spec_hash": spec_hash, "seed": 0, "canonical_camera": canonical.to_record(),
                          "files": files if hash_files else {},
                          "counts": {"frames": len(frames), "objects": len(objects)}})
    return root
