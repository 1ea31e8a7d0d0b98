"""Depth order (interposition): does the network order two overlapping objects by which one is
drawn in front?  For sets of the ``depth_order`` kind (scenes/design/depth_order.py): object A
(``role`` near) and B (``role`` far) in frames ``consistent`` (A drawn over B, the physical
order), ``reversed`` (B drawn over A; same scene) and ``far_alone`` (B alone).

Each object's estimate is that of :mod:`evaluator.analyses.objects` (statistic of the aligned
prediction over its visible, eroded mask) and its true depth ``z_true`` the median z-depth on its
visible pixels.  Per pair frame (table ``depth_order_pairs``):

* ``correct``: the order is right, ``estimate A < estimate B``;
* ``log_ratio = log(estimate B / estimate A)`` and ``log_true_ratio = log(z_true B / z_true A)``;
* ``near_in_front``: 1 when A is drawn in front (consistent), 0 when B is (reversed);
* ``contact_diff = (contact_row A - contact_row B) / image height`` and
  ``size_diff = log(height_px A / height_px B)`` (the two other cues, from the visible masks);
* ``overlap_actual``: the share of B's pixels in ``far_alone`` that A hides in the consistent
  frame (measured from the masks; the reversed frame has its consistent twin's);
* ``bleeding = log(estimate B / z_true B) - the same in far_alone`` (same ratio and variant): how
  much B's estimate moves because A is there (< 0: pulled nearer, towards A).

Statistics (95 % intervals): ordering accuracy per condition and per overlap level, Wilson; the
drop in accuracy from consistent to reversed, a percentile bootstrap of the mean per-pair
difference over pairs (a consistent frame and its reversed twin are one unit), on pairs with
overlap > 0 (at 0 nothing is reversed); the coefficient of ``near_in_front`` in the OLS fit
``log_ratio ~ 1 + log_true_ratio + near_in_front + contact_diff + size_diff`` (HC3, Student t;
the covariates that make the design rank-deficient are dropped, in the order size, contact) --
the reliance on depth order in log units, 0 for a network that ignores it; mean bleeding per
condition, a percentile bootstrap over the far-alone frames (the pairs of one ratio and variant
share theirs, so they are one unit).  Verdict: follows depth order when the drop's interval lies
above 0.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, ObjectsOnly
from evaluator.analyses.intervals import Estimate, bootstrap_mean, format_estimate, ols, wilson

KIND_COLUMNS = ("condition", "role", "distance_ratio", "overlap")
PAIR_CONDITIONS = ("consistent", "reversed")
#: Fit terms: the reliance first after the constant; covariates dropped from the end when the design is singular.
FIT_TERMS = ("log_true_ratio", "near_in_front", "contact_diff", "size_diff")


def _side(objects: pd.DataFrame, role: str) -> pd.DataFrame:
    part = objects[objects["role"] == role]
    return part[["frame_id", "estimate_m", "z_true", "contact_row", "height_px", "visible_px"]].set_index("frame_id")


def pair_table(objects: pd.DataFrame, image_height: float) -> pd.DataFrame:
    """One row per consistent or reversed frame with both objects estimated (see the module docstring)."""
    frames = objects.drop_duplicates("frame_id").set_index("frame_id")[["condition", "distance_ratio", "overlap", "variant"]]
    near, far = _side(objects, "near"), _side(objects, "far")
    pairs = frames[frames["condition"].isin(PAIR_CONDITIONS)].join(near.add_suffix("_near"), how="inner")
    pairs = pairs.join(far.add_suffix("_far"), how="inner").reset_index()
    alone = frames[frames["condition"] == "far_alone"].join(far, how="inner").reset_index()
    alone = alone.assign(alone_px=alone["visible_px"], alone_log_error=np.log(alone["estimate_m"] / alone["z_true"]))
    pairs = pairs.merge(alone[["distance_ratio", "variant", "alone_px", "alone_log_error"]],
                        on=["distance_ratio", "variant"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs["log_ratio"] = np.log(pairs["estimate_m_far"] / pairs["estimate_m_near"])
        pairs["log_true_ratio"] = np.log(pairs["z_true_far"] / pairs["z_true_near"])
        pairs["size_diff"] = np.log(pairs["height_px_near"] / pairs["height_px_far"])
        pairs["bleeding"] = np.log(pairs["estimate_m_far"] / pairs["z_true_far"]) - pairs["alone_log_error"]
    pairs["correct"] = pairs["estimate_m_near"] < pairs["estimate_m_far"]
    pairs["near_in_front"] = (pairs["condition"] == "consistent").astype(float)
    pairs["contact_diff"] = (pairs["contact_row_near"] - pairs["contact_row_far"]) / image_height
    hidden = 1.0 - pairs["visible_px_far"] / pairs["alone_px"]
    twin = pairs.assign(hidden=hidden)[pairs["condition"] == "consistent"][["distance_ratio", "overlap", "variant", "hidden"]]
    pairs = pairs.merge(twin.rename(columns={"hidden": "overlap_actual"}), on=["distance_ratio", "overlap", "variant"],
                        how="left")
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
            return fit.estimate(1 + terms.index("near_in_front"), unit="pairs"), terms, fit.r2
        terms.pop()
    return Estimate.missing(len(data), "ols-hc3-t", "pairs"), terms, math.nan


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


def verdict_text(consistent: Estimate, reversed_: Estimate, drop: Estimate) -> str:
    """The one-sentence verdict (see the module docstring)."""
    n = f"n = {drop.n} pairs"
    if drop.ci_low > 0:
        return (f"follows depth order: ordering accuracy drops from {format_estimate(consistent)} to "
                f"{format_estimate(reversed_)} when the occlusion is reversed (drop {format_estimate(drop)}), {n}")
    return (f"does not follow depth order: ordering accuracy {format_estimate(consistent)} consistent vs "
            f"{format_estimate(reversed_)} reversed (drop {format_estimate(drop)}), {n}")


def summarise(pairs: pd.DataFrame, rng: np.random.Generator) -> dict:
    """The summary section ``depth_order``."""
    overlapped = pairs[pairs["overlap"] > 0]
    by_condition = {c: overlapped[overlapped["condition"] == c] for c in PAIR_CONDITIONS}
    acc = {c: accuracy(part) for c, part in by_condition.items()}
    drop = accuracy_drop(pairs, rng)
    coefficient, terms, r2 = front_fit(pairs)
    bleeding = {c: mean_bleeding(part, rng) for c, part in by_condition.items()}
    return {"verdict_text": verdict_text(acc["consistent"], acc["reversed"], drop),
            "follows_depth_order": bool(drop.ci_low > 0),
            "accuracy": {c: e.to_dict() for c, e in acc.items()}, "accuracy_drop": drop.to_dict(),
            "front_coefficient": coefficient.to_dict(), "fit_terms": terms, "fit_r2": float(r2),
            "bleeding": {c: e.to_dict() for c, e in bleeding.items()},
            "overlap_actual_mean": float(overlapped["overlap_actual"].mean()) if len(overlapped) else math.nan,
            "n_pairs": int(len(pairs))}


class DepthOrderAnalysis(ObjectsOnly):
    """Depth order of two overlapping objects (see the module docstring): tables
    ``depth_order_pairs`` and ``depth_order_cells``, summary section ``depth_order`` (no tables
    and no section for a set of another kind)."""

    name = "depth_order"
    tables = ("depth_order_pairs", "depth_order_cells")
    stream = 6

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        frames = self.context.stimulus_set.frames
        if "experiment" not in frames.columns or not (frames["experiment"] == "depth_order").any() \
                or not all(c in objects.columns for c in KIND_COLUMNS):
            return AnalysisOutput({name: None for name in self.tables}, {})
        rng = rng if rng is not None else np.random.default_rng([0, self.stream])
        pairs = pair_table(objects, float(frames["height"].iloc[0]))
        order = self.context.frame_order
        pairs = pairs.sort_values("frame_id", key=lambda s: s.map(order), ignore_index=True)
        return AnalysisOutput({"depth_order_pairs": pairs, "depth_order_cells": cell_table(pairs, rng)},
                              {"depth_order": summarise(pairs, rng)})
