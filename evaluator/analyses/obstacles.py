"""Does the network see an object?  Its response to the object, from the counterfactual frame.

For a frame with a counterfactual (the same scene rendered without its objects;
frames-table column ``has_counterfactual``), each object's mask (eroded by one pixel as in
:mod:`evaluator.analyses.objects`, so pixels blending object and background are left out) is compared
between the two predictions:

* ``response = median over the mask of log(pred_without) - log(pred_with)``: how much nearer
  the network puts those pixels because the object is there (log units; 0 = no reaction);
* ``true_change = median over the mask of log(gt_without) - log(gt_with)``: how much nearer
  they really are (the road or wall behind the object is farther than the object);
* ``fraction = response / true_change``: the share of the true change the network shows;
* ``seen = fraction >= SEEN_FRACTION`` (0.5: the network shows at least half of the true
  change; the paper's criterion was visual -- "the object appears in the depth map" -- and
  half the log change is the midpoint between ignoring the object and predicting it exactly).

Pixels enter only where all four depths are finite and positive; an object with fewer than
``MIN_RESPONSE_PX`` such pixels, or whose true change is below ``MIN_TRUE_CHANGE`` (an object
hardly nearer than what is behind it: the fraction would divide by almost nothing), has no
fraction and no ``seen`` (counted, never guessed).

Summary: overall and for each factor the set varies among ``FACTOR_COLUMNS`` (asset,
familiarity, shadow, contact band, elevation, colour, ...), per level: the seen rate with its
Wilson 95 % interval, the mean fraction with a percentile bootstrap interval over objects, and
the counts.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import ndimage

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.intervals import bootstrap_mean, wilson
from evaluator.analyses.objects import EROSION_STRUCTURE

SEEN_FRACTION = 0.5
#: log units: an object at least 1 % nearer than its background.
MIN_TRUE_CHANGE = 0.01
MIN_RESPONSE_PX = 1
FACTOR_COLUMNS = ("asset", "object_class", "familiarity", "shadow", "band_thickness_px", "band_value",
                  "elevation_m", "hue", "value", "relative_distance", "condition", "variant")
RESPONSE_COLUMNS = ["frame_id", "object_id", "n_px", "response", "true_change", "fraction", "seen"]


def object_mask(instances: np.ndarray, object_id: int) -> np.ndarray:
    """The object's mask eroded by one pixel (8-neighbourhood; the image border does not erode);
    the un-eroded mask when erosion leaves nothing."""
    mask = instances == object_id
    if not mask.any():
        return mask
    eroded = ndimage.binary_erosion(mask, structure=EROSION_STRUCTURE, border_value=1)
    return eroded if eroded.any() else mask


def object_responses(frame_id: str, pred: np.ndarray, pred_without: np.ndarray, gt: np.ndarray,
                     gt_without: np.ndarray, instances: np.ndarray, object_ids: Sequence[int]) -> list[dict]:
    """One response row per object id (see the module docstring); depths in metres, (H, W)."""
    rows = []
    for oid in object_ids:
        mask = object_mask(instances, int(oid))
        values = [a[mask].astype(np.float64) for a in (pred, pred_without, gt, gt_without)]
        ok = np.logical_and.reduce([np.isfinite(v) & (v > 0) for v in values]) if mask.any() else np.zeros(0, bool)
        n = int(np.count_nonzero(ok))
        row = {"frame_id": frame_id, "object_id": int(oid), "n_px": n, "response": math.nan,
               "true_change": math.nan, "fraction": math.nan, "seen": pd.NA}
        if n >= MIN_RESPONSE_PX:
            p, pw, g, gw = (v[ok] for v in values)
            row["response"] = float(np.median(np.log(pw) - np.log(p)))
            row["true_change"] = float(np.median(np.log(gw) - np.log(g)))
            if row["true_change"] >= MIN_TRUE_CHANGE:
                row["fraction"] = row["response"] / row["true_change"]
                row["seen"] = bool(row["fraction"] >= SEEN_FRACTION)
        rows.append(row)
    return rows


def responses_table(rows: Sequence[dict], objects: pd.DataFrame) -> pd.DataFrame:
    """Response rows joined with the objects' factor columns (tidy: one row per object)."""
    table = pd.DataFrame(list(rows), columns=RESPONSE_COLUMNS)
    table["seen"] = table["seen"].astype("boolean")
    factors = [c for c in FACTOR_COLUMNS if c in objects.columns]
    extra = objects[["frame_id", "object_id", *factors]].drop_duplicates(["frame_id", "object_id"])
    return table.merge(extra, on=["frame_id", "object_id"], how="left")


def _group_summary(part: pd.DataFrame, rng: np.random.Generator) -> dict:
    judged = part["seen"].dropna()
    return {"n_objects": int(len(part)), "n_judged": int(len(judged)),
            "seen_rate": wilson(int(judged.sum()), int(len(judged))).to_dict("n_objects"),
            "mean_fraction": bootstrap_mean(part["fraction"].to_numpy(float), rng, unit="objects").to_dict(),
            "median_response": float(part["response"].median()) if part["response"].notna().any() else math.nan}


def summarise_obstacles(table: pd.DataFrame, rng: np.random.Generator) -> tuple[dict, pd.DataFrame]:
    """(summary section, by-factor table with one row per factor level)."""
    section = {"seen_if": f"fraction of the true log-depth change shown >= {SEEN_FRACTION}",
               "min_true_change_log": MIN_TRUE_CHANGE,
               "n_frames": int(table["frame_id"].nunique()), **_group_summary(table, rng), "by_factor": {}}
    rows = []
    for factor in FACTOR_COLUMNS:
        if factor not in table.columns or table[factor].nunique(dropna=True) < 2:
            continue
        levels = []
        for level, part in table.groupby(factor, sort=True, dropna=True):
            entry = {"level": _plain(level), **_group_summary(part, rng)}
            levels.append(entry)
            rows.append({"factor": factor, "level": str(_plain(level)), "n_objects": entry["n_objects"],
                         "n_judged": entry["n_judged"],
                         **{f"seen_rate_{k}": entry["seen_rate"][k] for k in ("value", "ci_low", "ci_high")},
                         **{f"mean_fraction_{k}": entry["mean_fraction"][k] for k in ("value", "ci_low", "ci_high")}})
        section["by_factor"][factor] = levels
    return section, pd.DataFrame(rows)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


class ObstaclesAnalysis:
    """Objects seen, from the counterfactual frames: tables ``obstacles`` (one row per object)
    and ``obstacles_by_factor``, summary section ``obstacles`` (all None for a set without
    counterfactual frames)."""

    name = "obstacles"
    tables = ("obstacles", "obstacles_by_factor")
    stream = 4

    def __init__(self, context: SetContext) -> None:
        self.context = context
        self.rows: list[dict] = []
        self.applies = bool(context.stimulus_set.counterfactual_frame_ids)

    def add_frame(self, frame: FrameData) -> None:
        if frame.depth_without is None or frame.gt_without is None:
            return
        self.rows += object_responses(frame.frame_id, frame.depth, frame.depth_without, frame.gt, frame.gt_without,
                                      frame.instances, list(frame.object_ids))

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        if not self.applies:
            return AnalysisOutput({"obstacles": None, "obstacles_by_factor": None}, {"obstacles": None})
        responses = responses_table(self.context.sort_rows(self.rows), objects)
        section, by_factor = summarise_obstacles(responses, rng)
        return AnalysisOutput({"obstacles": responses, "obstacles_by_factor": by_factor}, {"obstacles": section})
