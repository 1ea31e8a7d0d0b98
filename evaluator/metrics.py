"""Standard depth metrics per frame and region, and their summary over frames.

:func:`compute_errors` is monodepth2's ``compute_errors`` (Godard et al. 2019,
``evaluate_depth.py``), one pure function on paired arrays of true and predicted depth:

* ``abs_rel`` = mean(|gt - pred| / gt), ``sq_rel`` = mean((gt - pred)^2 / gt);
* ``rmse`` = sqrt(mean((gt - pred)^2)), ``rmse_log`` = sqrt(mean((log gt - log pred)^2));
* ``a1``, ``a2``, ``a3`` = fraction of pixels with max(gt / pred, pred / gt) < 1.25, 1.25^2, 1.25^3.

Which pixels (as monodepth2's KITTI evaluation, the convention behind the numbers in PAPER.md
section 5): true depth finite and within [``MIN_DEPTH_M``, ``max_depth_m``] (default
``MAX_DEPTH_M`` = 80 m; ``None`` keeps every finite true depth); the aligned prediction is
clipped to the same range (+inf, the network's "no surface", becomes the upper bound); pixels
whose prediction is NaN (undefined after alignment) are left out and counted
(``n_px_pred_invalid``).  No median rescaling per frame: the prediction is the one aligned once
per set (see :mod:`evaluator.alignment`).

Regions (:data:`REGIONS`): ``all`` pixels, ``road`` (semantic class road), ``object``
(instance id > 0).  A frame with no usable pixel in a region has no row for it.

Summary: per region and metric, the mean over frames (each frame weighs the same, as in
monodepth2) with a percentile bootstrap 95 % interval over frames, and the number of frames
and pixels behind it.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluator.intervals import bootstrap_mean_columns
from scenes.stimulus_set import SEMANTIC_CLASSES

#: monodepth2 evaluate_depth.py: MIN_DEPTH = 1e-3, MAX_DEPTH = 80 (metres, the KITTI cap).
MIN_DEPTH_M = 1e-3
MAX_DEPTH_M = 80.0
METRICS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "a1", "a2", "a3")
REGIONS = ("all", "road", "object")
ROAD_CLASS = SEMANTIC_CLASSES["road"]
#: monodepth2's delta thresholds: 1.25, 1.25^2, 1.25^3.
DELTA = 1.25


def compute_errors(gt: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """monodepth2's metrics for paired positive depths (1-D arrays, same length >= 1)."""
    gt = np.asarray(gt, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    thresh = np.maximum(gt / pred, pred / gt)
    diff = gt - pred
    log_diff = np.log(gt) - np.log(pred)
    return {
        "abs_rel": float(np.mean(np.abs(diff) / gt)),
        "sq_rel": float(np.mean(diff * diff / gt)),
        "rmse": float(np.sqrt(np.mean(diff * diff))),
        "rmse_log": float(np.sqrt(np.mean(log_diff * log_diff))),
        "a1": float(np.mean(thresh < DELTA)),
        "a2": float(np.mean(thresh < DELTA ** 2)),
        "a3": float(np.mean(thresh < DELTA ** 3)),
    }


def region_masks(semantic: np.ndarray, instances: np.ndarray) -> dict[str, np.ndarray | None]:
    """Boolean masks of the regions (``None`` for ``all``: every pixel)."""
    return {"all": None, "road": semantic == ROAD_CLASS, "object": instances > 0}


def frame_metrics(frame_id: str, pred: np.ndarray, gt: np.ndarray, semantic: np.ndarray,
                  instances: np.ndarray, max_depth_m: float | None = MAX_DEPTH_M) -> list[dict]:
    """Metric rows (one per region with usable pixels) of one frame.

    The per-pixel terms of :func:`compute_errors` are computed once over the usable pixels and
    averaged per region (the same numbers as calling it per region, at a third of the cost).

    :param pred: aligned predicted depth, metres (H, W).
    :param gt: true z-depth, metres (H, W), +inf for sky.
    :returns: dicts with ``frame_id``, ``region``, ``n_px``, ``n_px_pred_invalid`` and the metrics.
    """
    upper = np.inf if max_depth_m is None else float(max_depth_m)
    valid_gt = np.isfinite(gt) & (gt >= MIN_DEPTH_M) & (gt <= upper)
    use = valid_gt & ~np.isnan(pred)
    g = gt[use].astype(np.float64)
    p = np.clip(pred[use].astype(np.float64), MIN_DEPTH_M, upper if np.isfinite(upper) else np.finfo(np.float32).max)
    diff = g - p
    sq = diff * diff
    log_diff = np.log(g) - np.log(p)
    thresh = np.maximum(g / p, p / g)
    terms = np.empty((7, g.size))
    np.divide(np.abs(diff), g, out=terms[0])
    np.divide(sq, g, out=terms[1])
    terms[2], terms[3] = sq, log_diff * log_diff
    for row, power in ((4, 1), (5, 2), (6, 3)):
        terms[row] = thresh < DELTA ** power
    masks = region_masks(semantic, instances)
    rows = []
    for region, mask in masks.items():
        inside = None if mask is None else mask[use]
        n = g.size if inside is None else int(np.count_nonzero(inside))
        if n == 0:
            continue
        n_region = int(np.count_nonzero(valid_gt if mask is None else valid_gt & mask))
        sums = np.add.reduce(terms, axis=1) if inside is None else np.add.reduce(terms, axis=1, where=inside)
        abs_rel, sq_rel, mse, mse_log, a1, a2, a3 = (sums / n).tolist()
        rows.append({"frame_id": frame_id, "region": region, "n_px": n, "n_px_pred_invalid": n_region - n,
                     "abs_rel": abs_rel, "sq_rel": sq_rel, "rmse": float(np.sqrt(mse)),
                     "rmse_log": float(np.sqrt(mse_log)), "a1": a1, "a2": a2, "a3": a3})
    return rows


def metrics_table(rows: Sequence[dict]) -> pd.DataFrame:
    """The per-frame rows as a tidy table (columns fixed even when empty)."""
    columns = ["frame_id", "region", "n_px", "n_px_pred_invalid", *METRICS]
    return pd.DataFrame(list(rows), columns=columns)


def summarise_metrics(table: pd.DataFrame, rng: np.random.Generator,
                      max_depth_m: float | None = MAX_DEPTH_M) -> dict:
    """Per region: each metric's mean over frames with a bootstrap 95 % interval over frames.

    :returns: ``{"regions": {region: {metric: {value, ci_low, ci_high}, n_frames, n_pixels}},
        "definitions", "depth_range_m"}``; a region no frame has is None.
    """
    regions: dict[str, dict | None] = {}
    for region in REGIONS:
        part = table[table["region"] == region]
        if part.empty:
            regions[region] = None
            continue
        mean, low, high = bootstrap_mean_columns(part[list(METRICS)].to_numpy(float), rng)
        entry = {m: {"value": float(mean[i]), "ci_low": float(low[i]), "ci_high": float(high[i])}
                 for i, m in enumerate(METRICS)}
        entry.update(n_frames=int(part["frame_id"].nunique()), n_pixels=int(part["n_px"].sum()),
                     n_pixels_pred_invalid=int(part["n_px_pred_invalid"].sum()))
        regions[region] = entry
    return {"regions": regions,
            "definitions": "monodepth2 compute_errors; mean over frames, percentile bootstrap 95% CI over frames",
            "depth_range_m": [MIN_DEPTH_M, max_depth_m]}
