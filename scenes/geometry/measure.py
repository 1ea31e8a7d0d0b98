"""Per-object ground truth measured from a rendered frame, and the cue-implied distances.

All rows/columns are pixel indices (rows grow downward); distances are z-depths in metres.

* ``contact_row``: the lowest image row the object's visible mask reaches: the image row of
  its lowest visible ground-contact point for an object standing on the road.
* ``z_vertical``: the distance its contact row implies if it stood on a flat road seen by the
  canonical camera (the height and horizon a network was trained with): the canonical
  camera's road depth at the contact pixel, ``f * H0 / (contact_row - horizon_row0)`` for a
  level camera.  ``z_vertical_true_pose`` uses the frame's own camera instead.
* ``z_size``: the distance its apparent height implies at its class's usual height:
  ``fy * usual_height_m / height_px``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from scenes.geometry.camera import Camera


def z_size(height_px: float, fy: float, class_height_m: float) -> float:
    """Distance (m) at which an object of ``class_height_m`` would be ``height_px`` pixels tall."""
    return float(fy * class_height_m / height_px) if height_px > 0 else float("nan")


def z_vertical(camera: Camera, contact_col: float, contact_row: float) -> float:
    """Distance (m) of the road point seen at (contact_col, contact_row); +inf above the horizon."""
    return float(camera.road_depth(np.array([contact_col]), np.array([contact_row]))[0])


def measure_object(object_id: int, instances: np.ndarray, depth: np.ndarray, frame_camera: Camera,
                   canonical_camera: Camera, class_height_m: float) -> dict[str, Any]:
    """Mask statistics, true depth and cue-implied distances of one object in one frame.

    :param object_id: the object's value in ``instances``.
    :param instances: instance mask (H, W), integer.
    :param depth: ground-truth z-depth (H, W), metres.
    :return: a dict of objects-table columns; NaN everywhere but ``visible_px`` = 0 when the
        object is not visible at all.
    """
    mask = instances == object_id
    visible = int(mask.sum())
    if visible == 0:
        nan = float("nan")
        return {"visible_px": 0, **{k: nan for k in (
            "z_true", "z_true_mean", "contact_row", "contact_col", "top_row", "height_px", "width_px",
            "bbox_left", "bbox_top", "bbox_right", "bbox_bottom", "z_vertical", "z_vertical_true_pose", "z_size")}}
    rows, cols = np.nonzero(mask)
    bottom, top = int(rows.max()), int(rows.min())
    left, right = int(cols.min()), int(cols.max())
    contact_col = float(np.mean(cols[rows == bottom]))
    height_px = bottom - top + 1
    values = depth[mask]
    values = values[np.isfinite(values)]
    return {
        "visible_px": visible,
        "z_true": float(np.median(values)) if values.size else float("nan"),
        "z_true_mean": float(np.mean(values)) if values.size else float("nan"),
        "contact_row": bottom, "contact_col": contact_col, "top_row": top,
        "height_px": height_px, "width_px": right - left + 1,
        "bbox_left": left, "bbox_top": top, "bbox_right": right, "bbox_bottom": bottom,
        "z_vertical": z_vertical(canonical_camera, contact_col, bottom),
        "z_vertical_true_pose": z_vertical(frame_camera, contact_col, bottom),
        "z_size": z_size(height_px, canonical_camera.fy, class_height_m),
    }
