"""Depth order (interposition): does the network order two overlapping objects by which one is
drawn in front?  For sets of the ``depth_order`` kind (scenes/design/depth_order.py): object A
(``role`` near) and B (``role`` far) in frames ``consistent`` (A drawn over B, the physical
order), ``reversed`` (B drawn over A; same scene) and ``far_alone`` (B alone).

The two conditions must be compared on the same pixels: drawing B over A shows more of B (the
part A hid), and a network whose prediction varies over an object (every network: even the
flat-road baseline, which gives each pixel its row's road depth) would then change its estimate
of B for no other reason than the pixels it is taken over.  So each object is estimated on its
**common pixels**: those where it is visible in every frame of its pair (consistent and
reversed twin of one ratio, overlap and variant) -- for B its visible mask in the consistent
frame, for A its visible mask in the reversed one -- eroded by one pixel as in
:mod:`evaluator.analyses.objects`, with the set's statistic (median or mean) of the aligned
prediction; its true depth is the same statistic of the ground truth there (identical in both
frames).  The frames keep only their object pixels until the end (a few thousand pixels a frame).
Per pair frame (table ``depth_order_pairs``):

* ``correct``: the order is right, ``estimate A < estimate B``;
* ``log_ratio = log(estimate B / estimate A)`` and ``log_true_ratio = log(z_true B / z_true A)``;
* ``near_in_front``: 1 when A is drawn in front (consistent), 0 when B is (reversed);
* ``contact_diff = (contact row A - contact row B) / image height`` and
  ``size_diff = log(height A / height B)`` (rows and heights in pixels of the common masks: the
  contact-row and size cues of the pixels compared);
* ``overlap_actual``: the share of B's pixels in ``far_alone`` that A hides in the consistent
  frame (measured from the masks);
* ``bleeding = log(estimate B / estimate B in far_alone)``, both on B's common pixels (same
  ratio and variant): how much B's estimate moves because A is there (< 0: pulled nearer).

Statistics (95 % intervals): ordering accuracy per condition and per overlap level, Wilson; the
drop in accuracy from consistent to reversed, a percentile bootstrap of the mean per-pair
difference over pairs (a consistent frame and its reversed twin are one unit), on pairs with
overlap > 0 (at 0 nothing is reversed); the coefficient of ``near_in_front`` in the OLS fit
``log_ratio ~ 1 + log_true_ratio + near_in_front + contact_diff + size_diff`` (HC3, Student t;
the covariates that make the design rank-deficient are dropped, in the order size, contact) --
the reliance on depth order in log units, 0 for a network that ignores it; mean bleeding per
condition, a percentile bootstrap over the far-alone frames (the pairs of one ratio and variant
share theirs, so they are one unit).  Verdict: follows depth order when the drop's interval lies
above 0, or when the coefficient's interval lies above 0 (the order of the pair is kept but the
estimates move with the drawing order).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.intervals import Estimate, bootstrap_mean, format_estimate, ols, wilson
from evaluator.analyses.obstacles import object_mask

FRAME_COLUMNS = ("condition", "distance_ratio", "overlap")
PAIR_CONDITIONS = ("consistent", "reversed")
#: Fit terms: the reliance first after the constant; covariates dropped from the end when the design is singular.
FIT_TERMS = ("log_true_ratio", "near_in_front", "contact_diff", "size_diff")


@dataclass(frozen=True)
class ObjectPixels:
    """A frame's object pixels: flat indices into the (H, W) image, instance ids, prediction and truth (m)."""

    shape: tuple[int, int]
    index: np.ndarray
    instance: np.ndarray
    pred: np.ndarray
    gt: np.ndarray

    def mask(self, object_id: int) -> np.ndarray:
        """The object's visible mask (H, W)."""
        out = np.zeros(self.shape[0] * self.shape[1], dtype=bool)
        out[self.index[self.instance == object_id]] = True
        return out.reshape(self.shape)

    def values(self, which: str, mask: np.ndarray) -> np.ndarray:
        """Prediction (``pred``) or truth (``gt``) on the pixels of ``mask`` (which must be object pixels)."""
        full = np.full(self.shape[0] * self.shape[1], np.nan, dtype=np.float64)
        full[self.index] = getattr(self, which)
        return full[mask.ravel()]


def statistic_of(values: np.ndarray, statistic: str) -> float:
    """Median or mean of the finite, positive values (NaN when none)."""
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return math.nan
    return float(np.median(values) if statistic == "median" else np.mean(values))


def _rows_and_height(mask: np.ndarray) -> tuple[float, float]:
    rows = np.nonzero(mask.any(axis=1))[0]
    return (float(rows.max()), float(rows.max() - rows.min() + 1)) if rows.size else (math.nan, math.nan)


def _pair_rows(frames: dict[str, ObjectPixels], ids: dict[str, dict[str, int]], members: pd.DataFrame,
               alone: str | None, statistic: str, image_height: float) -> list[dict]:
    """The rows of one pair (its consistent and reversed frames, ``members``) on common pixels."""
    common = {}
    for role in ("near", "far"):
        masks = [frames[f].mask(ids[f][role]) for f in members["frame_id"]]
        common[role] = object_mask(np.logical_and.reduce(masks).astype(np.uint8), 1)
    reference = members[members["condition"] == "consistent"]["frame_id"]
    far_px = int(frames[reference.iloc[0]].mask(ids[reference.iloc[0]]["far"]).sum()) if len(reference) else 0
    alone_px = int(frames[alone].mask(ids[alone]["far"]).sum()) if alone else 0
    alone_est = statistic_of(frames[alone].values("pred", common["far"]), statistic) if alone else math.nan
    (row_near, h_near), (row_far, h_far) = _rows_and_height(common["near"]), _rows_and_height(common["far"])
    rows = []
    for _, frame in members.iterrows():
        pixels = frames[frame["frame_id"]]
        est = {r: statistic_of(pixels.values("pred", common[r]), statistic) for r in common}
        true = {r: statistic_of(pixels.values("gt", common[r]), statistic) for r in common}
        rows.append({"frame_id": frame["frame_id"], "condition": frame["condition"],
                     "distance_ratio": float(frame["distance_ratio"]), "overlap": float(frame["overlap"]),
                     "variant": frame["variant"], "estimate_near_m": est["near"], "estimate_far_m": est["far"],
                     "z_true_near": true["near"], "z_true_far": true["far"],
                     "common_px_near": int(common["near"].sum()), "common_px_far": int(common["far"].sum()),
                     "contact_diff": (row_near - row_far) / image_height,
                     "size_diff": math.log(h_near / h_far) if h_far > 0 else math.nan,
                     "overlap_actual": 1.0 - far_px / alone_px if alone_px else math.nan,
                     "estimate_far_alone_m": alone_est})
    return rows


def pair_table(frames: dict[str, ObjectPixels], objects: pd.DataFrame, frame_levels: pd.DataFrame,
               statistic: str, image_height: float) -> pd.DataFrame:
    """One row per consistent or reversed frame with both objects estimated (see the module docstring)."""
    ids: dict[str, dict[str, int]] = {}
    for row in objects[["frame_id", "object_id", "role"]].itertuples(index=False):
        ids.setdefault(row.frame_id, {})[row.role] = int(row.object_id)
    levels = frame_levels[frame_levels["frame_id"].isin(list(frames))]
    alone = {(r.distance_ratio, r.variant): r.frame_id for r in levels[levels["condition"] == "far_alone"].itertuples()
             if "far" in ids.get(r.frame_id, {})}
    paired = levels[levels["condition"].isin(PAIR_CONDITIONS)]
    paired = paired[[{"near", "far"} <= set(ids.get(f, {})) for f in paired["frame_id"]]]
    rows = []
    for (ratio, overlap, variant), members in paired.groupby(["distance_ratio", "overlap", "variant"], sort=False):
        rows += _pair_rows(frames, ids, members, alone.get((ratio, variant)), statistic, image_height)
    pairs = pd.DataFrame(rows)
    if not len(pairs):
        return pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs["log_ratio"] = np.log(pairs["estimate_far_m"] / pairs["estimate_near_m"])
        pairs["log_true_ratio"] = np.log(pairs["z_true_far"] / pairs["z_true_near"])
        pairs["bleeding"] = np.log(pairs["estimate_far_m"] / pairs["estimate_far_alone_m"])
    pairs["correct"] = pairs["estimate_near_m"] < pairs["estimate_far_m"]
    pairs["near_in_front"] = (pairs["condition"] == "consistent").astype(float)
    usable = np.isfinite(pairs["log_ratio"]) & np.isfinite(pairs["log_true_ratio"])
    return pairs[usable].reset_index(drop=True)


def front_fit(pairs: pd.DataFrame) -> tuple[Estimate, list[str], float]:
    """The ``near_in_front`` coefficient (log units) with its HC3 interval, the terms fitted and R^2."""
    terms = list(FIT_TERMS)
    data = pairs[["log_ratio", *terms]].replace([np.inf, -np.inf], np.nan).dropna()
    while len(terms) >= 2:
        design = np.column_stack([np.ones(len(data)), data[terms].to_numpy(float)])
        fit = ols(data["log_ratio"].to_numpy(float), design) if len(data) else None
        if fit is not None:
            return fit.estimate(1 + terms.index("near_in_front"), unit="frames"), terms, fit.r2
        terms.pop()
    return Estimate.missing(len(data), "ols-hc3-t", "frames"), terms, math.nan


def accuracy(part: pd.DataFrame) -> Estimate:
    """Share of ``part``'s pairs ordered correctly, Wilson 95 %."""
    return wilson(int(part["correct"].sum()), len(part), unit="pairs")


def accuracy_drop(pairs: pd.DataFrame, rng: np.random.Generator) -> Estimate:
    """Mean over geometries (ratio, overlap > 0, variant) of correct(consistent) - correct(reversed), bootstrap."""
    keys = ["distance_ratio", "overlap", "variant"]
    wide = pairs[pairs["overlap"] > 0].pivot_table(index=keys, columns="condition", values="correct", aggfunc="first")
    if not set(PAIR_CONDITIONS) <= set(wide.columns):
        return Estimate.missing(0, "bootstrap", "pairs")
    diff = (wide["consistent"].astype(float) - wide["reversed"].astype(float)).dropna().to_numpy()
    return bootstrap_mean(diff, rng, unit="pairs")


def mean_bleeding(part: pd.DataFrame, rng: np.random.Generator) -> Estimate:
    """Mean bleeding of ``part``'s pairs with a bootstrap over far-alone frames (ratio and variant):
    the pairs that share one far-alone frame share its error, so they are resampled together."""
    groups = part.groupby(["distance_ratio", "variant"], sort=True)["bleeding"].mean()
    return bootstrap_mean(groups.to_numpy(float), rng, unit="far_alone_frames")


def cell_table(pairs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Per condition and overlap level: accuracy (Wilson), mean bleeding (bootstrap), mean actual overlap."""
    rows = []
    for (condition, overlap), part in pairs.groupby(["condition", "overlap"], sort=True):
        acc, bleed = accuracy(part), mean_bleeding(part, rng)
        rows.append({"condition": condition, "overlap": float(overlap), "n_pairs": len(part),
                     "overlap_actual": float(part["overlap_actual"].mean()),
                     **{f"accuracy_{k}": getattr(acc, k) for k in ("value", "ci_low", "ci_high")},
                     **{f"bleeding_{k}": getattr(bleed, k) for k in ("value", "ci_low", "ci_high")}})
    order = {c: i for i, c in enumerate(PAIR_CONDITIONS)}
    table = pd.DataFrame(rows)
    return table.sort_values(["condition", "overlap"], key=lambda s: s.map(order) if s.name == "condition" else s,
                             ignore_index=True) if len(table) else table


def verdict_text(consistent: Estimate, reversed_: Estimate, drop: Estimate, coefficient: Estimate) -> str:
    """The one-sentence verdict (see the module docstring)."""
    n = f"n = {drop.n} pairs"
    if drop.ci_low > 0:
        return (f"follows depth order: ordering accuracy drops from {format_estimate(consistent)} to "
                f"{format_estimate(reversed_)} when the occlusion is reversed (drop {format_estimate(drop)}), {n}")
    if coefficient.ci_low > 0:
        return (f"follows depth order in its estimates, not in the ordering: accuracy {format_estimate(consistent)} "
                f"consistent vs {format_estimate(reversed_)} reversed, but log(B/A) is {format_estimate(coefficient)} "
                f"larger when the near object is drawn in front, {n}")
    return (f"does not follow depth order: ordering accuracy {format_estimate(consistent)} consistent vs "
            f"{format_estimate(reversed_)} reversed (drop {format_estimate(drop)}; drawn-in-front coefficient "
            f"{format_estimate(coefficient)}), {n}")


def summarise(pairs: pd.DataFrame, rng: np.random.Generator) -> dict:
    """The summary section ``depth_order``."""
    overlapped = pairs[pairs["overlap"] > 0]
    by_condition = {c: overlapped[overlapped["condition"] == c] for c in PAIR_CONDITIONS}
    acc = {c: accuracy(part) for c, part in by_condition.items()}
    drop = accuracy_drop(pairs, rng)
    coefficient, terms, r2 = front_fit(pairs)
    bleeding = {c: mean_bleeding(part, rng) for c, part in by_condition.items()}
    return {"verdict_text": verdict_text(acc["consistent"], acc["reversed"], drop, coefficient),
            "follows_depth_order": bool(drop.ci_low > 0 or coefficient.ci_low > 0),
            "accuracy": {c: e.to_dict() for c, e in acc.items()}, "accuracy_drop": drop.to_dict(),
            "front_coefficient": coefficient.to_dict(), "fit_terms": terms, "fit_r2": float(r2),
            "bleeding": {c: e.to_dict() for c, e in bleeding.items()},
            "overlap_actual_mean": float(overlapped["overlap_actual"].mean()) if len(overlapped) else math.nan,
            "n_frames": int(len(pairs))}


class DepthOrderAnalysis:
    """Depth order of two overlapping objects (see the module docstring): tables
    ``depth_order_pairs`` and ``depth_order_cells``, summary section ``depth_order`` (no tables
    and no section for a set of another kind)."""

    name = "depth_order"
    tables = ("depth_order_pairs", "depth_order_cells")
    stream = 6

    def __init__(self, context: SetContext) -> None:
        self.context = context
        self.applies = context.is_kind("depth_order", FRAME_COLUMNS)
        self.pixels: dict[str, ObjectPixels] = {}

    def add_frame(self, frame: FrameData) -> None:
        """Keep the frame's object pixels (prediction and truth) for the common-pixel estimates."""
        if not self.applies:
            return
        index = np.flatnonzero(frame.instances)
        self.pixels[frame.frame_id] = ObjectPixels(
            frame.instances.shape, index.astype(np.int64), frame.instances.ravel()[index],
            np.asarray(frame.depth, dtype=np.float32).ravel()[index], np.asarray(frame.gt, dtype=np.float32).ravel()[index])

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        if not self.applies or "role" not in objects.columns:
            return AnalysisOutput({name: None for name in self.tables}, {})
        rng = rng if rng is not None else np.random.default_rng([0, self.stream])
        frames = self.context.stimulus_set.frames
        levels = self.context.frame_columns()[["frame_id", "variant"]].merge(
            frames[["frame_id", *FRAME_COLUMNS]], on="frame_id")
        pairs = pair_table(self.pixels, objects, levels, self.context.statistic, float(frames["height"].iloc[0]))
        if not len(pairs):
            return AnalysisOutput({name: None for name in self.tables}, {})
        pairs = pairs.sort_values("frame_id", key=lambda s: s.map(self.context.frame_order), ignore_index=True)
        return AnalysisOutput({"depth_order_pairs": pairs, "depth_order_cells": cell_table(pairs, rng)},
                              {"depth_order": summarise(pairs, rng)})
