"""Standard depth metrics per frame and region, and their summary over frames.

:func:`compute_errors` is monodepth2's ``compute_errors`` (Godard et al. 2019,
``evaluate_depth.py``), one pure function on paired arrays of true and predicted depth:

* ``abs_rel`` = mean(|gt - pred| / gt), ``sq_rel`` = mean((gt - pred)^2 / gt);
* ``rmse`` = sqrt(mean((gt - pred)^2)), ``rmse_log`` = sqrt(mean((log gt - log pred)^2));
* ``a1``, ``a2``, ``a3`` = fraction of pixels with max(gt / pred, pred / gt) < 1.25, 1.25^2, 1.25^3.

Which pixels (as monodepth2's KITTI evaluation, the convention behind the numbers of the study's
experiment 5, docs/design.md "The study"): true depth finite and within [``MIN_DEPTH_M``, ``max_depth_m``] (default
``MAX_DEPTH_M`` = 80 m; ``None`` keeps every finite true depth); the aligned prediction is
clipped to the same range; pixels whose prediction is unusable -- NaN, +-inf (a network's "no
surface" where there is one) or zero or negative -- are left out of every metric and counted, per
frame and region and by kind (``n_px_pred_invalid``, ``n_px_pred_nan``, ``n_px_pred_inf``,
``n_px_pred_nonpositive``; summary ``metrics.validity``).  Above ``MAX_INVALID_FRACTION`` of
unusable pixels the evaluation gives no numbers at all (:func:`output_validity`).  No median rescaling per frame: the prediction is the one aligned once
per set (see :mod:`evaluator.pipeline.alignment`).

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

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.intervals import bootstrap_mean_columns
from scenes.geometry import SEMANTIC_CLASSES

#: monodepth2 evaluate_depth.py: MIN_DEPTH = 1e-3, MAX_DEPTH = 80 (metres, the KITTI cap).
MIN_DEPTH_M = 1e-3
MAX_DEPTH_M = 80.0
METRICS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "a1", "a2", "a3")
INVALID_KINDS = ("n_px_pred_nan", "n_px_pred_inf", "n_px_pred_nonpositive")
#: Above this share of pixels with ground truth whose prediction is unusable (non-finite or <= 0)
#: a model gets no metrics and no verdict: the numbers would describe the few pixels left.
MAX_INVALID_FRACTION = 0.5
REGIONS = ("all", "road", "object")
ROAD_CLASS = SEMANTIC_CLASSES["road"]
#: Pixels per block in :func:`code_sums`: 8192 float64 = 64 kB per temporary, so a block's
#: temporaries stay in a 512 kB L2 cache (measured at 640x192: 0.9 ms a frame; 16384: 2.2 ms).
TERM_BLOCK_PX = 8192
#: monodepth2's delta thresholds: 1.25, 1.25^2, 1.25^3.
DELTA = 1.25
LOG_DELTA = float(np.log(DELTA))


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
    summed per region (:func:`pixel_terms`); the same numbers as calling
    :func:`compute_errors` per region, at a fraction of the cost.

    :param pred: aligned predicted depth, metres (H, W).
    :param gt: true z-depth, metres (H, W), +inf for sky.
    :returns: dicts with ``frame_id``, ``region``, ``n_px``, ``n_px_pred_invalid`` and the metrics.
    """
    upper = np.inf if max_depth_m is None else float(max_depth_m)
    valid_gt = np.isfinite(gt) & (gt >= MIN_DEPTH_M) & (gt <= upper)
    with np.errstate(invalid="ignore"):
        valid_pred = np.isfinite(pred) & (pred > 0)
    use = valid_gt & valid_pred
    masks = region_masks(semantic, instances)
    # Usable pixels ordered by region code (road 1 + object 2), so that every region is a union
    # of contiguous runs (masked sums are ~5x slower).
    code = (masks["road"].astype(np.int8) + 2 * masks["object"].astype(np.int8))[use]
    order = np.argsort(code, kind="stable")
    g = gt[use][order].astype(np.float64)
    p = np.clip(pred[use][order].astype(np.float64), MIN_DEPTH_M,
                upper if np.isfinite(upper) else np.finfo(np.float32).max)
    per_code = code_sums(g, p, code[order])
    counts = np.bincount(code, minlength=4)
    codes_of = {"all": [0, 1, 2, 3], "road": [1, 3], "object": [2, 3]}
    sums = {region: per_code[:, codes_of[region]].sum(axis=1) for region in masks}
    inside = {region: int(counts[codes_of[region]].sum()) for region in masks}
    rows = []
    for region, mask in masks.items():
        n = inside[region]
        judged = valid_gt if mask is None else valid_gt & mask
        n_region = int(np.count_nonzero(judged))
        if n_region == 0:
            continue
        terms = (sums[region] / n).tolist() if n else [np.nan] * len(METRICS)
        abs_rel, sq_rel, mse, mse_log, a1, a2, a3 = terms
        rows.append({"frame_id": frame_id, "region": region, "n_px": n, "n_px_pred_invalid": n_region - n,
                     **invalid_kinds(pred[judged]),
                     "abs_rel": abs_rel, "sq_rel": sq_rel, "rmse": float(np.sqrt(mse)),
                     "rmse_log": float(np.sqrt(mse_log)), "a1": a1, "a2": a2, "a3": a3})
    return rows


def invalid_kinds(pred: np.ndarray) -> dict[str, int]:
    """How many of ``pred`` are NaN, infinite, and zero or negative (the predictions no metric uses)."""
    with np.errstate(invalid="ignore"):
        return {"n_px_pred_nan": int(np.count_nonzero(np.isnan(pred))),
                "n_px_pred_inf": int(np.count_nonzero(np.isinf(pred))),
                "n_px_pred_nonpositive": int(np.count_nonzero(pred <= 0))}


def code_sums(g: np.ndarray, p: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sums of :func:`pixel_terms` per region code: (7, 4) float64.

    :param g, p: true and predicted depth, metres, float64 (n,), > 0.
    :param codes: (n,) region code 0 ... 3 of each pixel, sorted (non-decreasing).

    Pixels go in blocks of ``TERM_BLOCK_PX`` so that a block's temporaries stay in the CPU
    cache (whole-frame temporaries make every step memory-bound, about 2x slower at 640x192);
    within a block each code is one contiguous run, summed with ``np.add.reduceat``.
    """
    sums = np.zeros((7, 4))
    for start in range(0, g.size, TERM_BLOCK_PX):
        stop = min(start + TERM_BLOCK_PX, g.size)
        terms = pixel_terms(g[start:stop], p[start:stop])
        block_codes = codes[start:stop]
        first = np.searchsorted(block_codes, np.arange(4))
        present = np.flatnonzero(np.diff(np.append(first, stop - start)) > 0)
        sums[:, present] += np.add.reduceat(terms, first[present], axis=1)
    return sums


def pixel_terms(g: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The 7 per-pixel terms of :func:`compute_errors`, (7, n) float64, for true and predicted
    depths ``g``, ``p`` > 0 (metres, float64 (n,)): |d|/g, d^2/g, d^2, (log g - log p)^2 and the
    three delta indicators (max(g/p, p/g) < 1.25^k, tested as |log(g/p)| < k log 1.25).

    Called on blocks of ``TERM_BLOCK_PX`` pixels (:func:`code_sums`); the ``out=`` arguments keep
    the temporaries to a few per block.
    """
    terms = np.empty((7, g.size))
    diff = g - p
    inv_g = 1.0 / g
    np.multiply(np.abs(diff), inv_g, out=terms[0])
    np.multiply(diff, diff, out=terms[2])
    np.multiply(terms[2], inv_g, out=terms[1])
    log_ratio = np.log(g / p)  # log gt - log pred, one log per pixel
    np.multiply(log_ratio, log_ratio, out=terms[3])
    np.abs(log_ratio, out=log_ratio)
    for row, power in ((4, 1), (5, 2), (6, 3)):
        np.less(log_ratio, power * LOG_DELTA, out=terms[row])
    return terms


def metrics_table(rows: Sequence[dict]) -> pd.DataFrame:
    """The per-frame rows as a tidy table (columns fixed even when empty)."""
    columns = ["frame_id", "region", "n_px", "n_px_pred_invalid", *INVALID_KINDS, *METRICS]
    return pd.DataFrame(list(rows), columns=columns)


def summarise_metrics(table: pd.DataFrame, rng: np.random.Generator,
                      max_depth_m: float | None = MAX_DEPTH_M) -> dict:
    """Per region: each metric's mean over frames with a bootstrap 95 % interval over frames.

    :returns: ``{"regions": {region: {metric: {value, ci_low, ci_high}, n_frames, n_pixels}},
        "definitions", "depth_range_m"}``; a region no frame has is None.
    """
    regions: dict[str, dict | None] = {}
    for region in REGIONS:
        every = table[table["region"] == region]
        part = every[every["n_px"] > 0]
        if part.empty:
            regions[region] = None
            continue
        mean, low, high = bootstrap_mean_columns(part[list(METRICS)].to_numpy(float), rng)
        entry = {m: {"value": float(mean[i]), "ci_low": float(low[i]), "ci_high": float(high[i])}
                 for i, m in enumerate(METRICS)}
        entry.update(n_frames=int(part["frame_id"].nunique()), n_pixels=int(part["n_px"].sum()),
                     n_pixels_pred_invalid=int(every["n_px_pred_invalid"].sum()),
                     n_frames_without_valid_pixel=int(len(every) - len(part)))
        regions[region] = entry
    return {"regions": regions,
            "definitions": "monodepth2 compute_errors; mean over frames, percentile bootstrap 95% CI over frames",
            "depth_range_m": [MIN_DEPTH_M, max_depth_m], "validity": output_validity(table)}


def output_validity(table: pd.DataFrame) -> dict:
    """Pixels with ground truth (region ``all``) whose prediction no metric could use: counts by
    kind, and their share of all such pixels (``fraction``, 0 ... 1; NaN without pixels)."""
    part = table[table["region"] == "all"]
    judged = int(part["n_px"].sum() + part["n_px_pred_invalid"].sum())
    invalid = int(part["n_px_pred_invalid"].sum())
    return {"n_pixels_judged": judged, "n_pixels_invalid": invalid,
            **{kind: int(part[kind].sum()) for kind in INVALID_KINDS},
            "fraction_invalid": invalid / judged if judged else float("nan"),
            "n_frames_with_invalid": int((part["n_px_pred_invalid"] > 0).sum())}


class MetricsAnalysis:
    """The standard metrics as an analysis: table ``metrics`` (one row per frame and region) and
    the summary section ``metrics``."""

    name = "metrics"
    tables = ("metrics",)
    stream = 1

    def __init__(self, context: SetContext) -> None:
        self.context = context
        self.rows: list[dict] = []
        self.unknown = {"n_frames": 0, "n_pixels": 0, "of_pixels": 0}  # true depth NaN: frames on photos

    def add_frame(self, frame: FrameData) -> None:
        self.rows += frame_metrics(frame.frame_id, frame.depth, frame.gt, frame.semantic, frame.instances,
                                   self.context.max_depth_m)
        unknown = int(np.count_nonzero(np.isnan(frame.gt)))
        self.unknown["n_frames"] += unknown > 0
        self.unknown["n_pixels"] += unknown
        self.unknown["of_pixels"] += int(frame.gt.size)

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        table = metrics_table(self.context.sort_rows(self.rows))
        summary = summarise_metrics(table, rng, self.context.max_depth_m)
        summary["depth_unknown"] = dict(self.unknown)
        return AnalysisOutput({"metrics": table}, {"metrics": summary})
