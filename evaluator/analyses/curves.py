"""The paper's normalised distance curves (study experiment 1, and 4 for novel objects: docs/design.md "The study").

Networks are scale-ambiguous, so the paper divides each estimate by the estimate of the same
object at relative distance 1 and plots the mean of that ratio against relative distance d,
with a bootstrap 95 % band, beside the line y = x.

Here, for each *condition* (the ``condition`` column with every other object factor the set
varies -- asset, shadow, colour, ... -- so that a curve never divides one object by another;
``all`` when nothing varies) and each *variant* (roadside world; frames-table ``variant``):

* ``normalised = estimate_m / estimate_m at relative_distance == 1`` of the same condition,
  variant and object id (rows without such an anchor, or without an estimate, are left out and
  counted);
* the curve is the mean over variants at each d (objects of one variant averaged first), with
  a percentile bootstrap band over variants (the variants are the independent replicates; no
  band from fewer than ``MIN_BOOTSTRAP_UNITS`` = 5 variants: ``position_vs_size`` has 6 for
  this reason; sets with fewer get the value and its count, and no band);
* the slope of ``log(normalised)`` on ``log(d)`` (OLS with intercept over every point, HC3
  Student-t 95 % interval): 1 = the estimate grows as the distance the condition shows, 0 = it
  does not change.  In the position-vs-size design a network that uses only vertical position
  has slopes 1 / 1 / 0 for position-and-size / position-only / size-only.

The intercept absorbs the noise of each curve's own anchor (every point of a variant is divided
by the same anchor), so the slope does not depend on it.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, ObjectsOnly
from evaluator.analyses.intervals import CONFIDENCE, MIN_BOOTSTRAP_UNITS, N_BOOTSTRAP, Estimate, slope

ANCHOR_DISTANCE = 1.0
#: Columns whose combination is one curve (besides the variant, which is pooled).
CONDITION_COLUMNS = ("condition", "asset", "familiarity", "shadow", "band_thickness_px", "band_value", "hue",
                     "value", "elevation_m")
CURVE_COLUMNS = ["condition", "relative_distance", "mean_normalised", "ci_low", "ci_high", "n_variants",
                 "n_objects"]


def condition_labels(objects: pd.DataFrame) -> pd.Series:
    """Condition of each row: the values of the ``CONDITION_COLUMNS`` present that vary
    (``condition`` always when present), e.g. ``"size_only"`` or
    ``"asset=fridge_box, shadow=True"``; ``"all"`` when none varies."""
    columns = [c for c in CONDITION_COLUMNS if c in objects.columns
               and (c == "condition" or objects[c].nunique(dropna=False) > 1)]
    if not columns:
        return pd.Series("all", index=objects.index)
    if len(columns) == 1:
        return objects[columns[0]].astype(str)
    return objects[columns].astype(str).apply(lambda r: ", ".join(f"{c}={v}" for c, v in r.items()), axis=1)


def normalised_estimates(objects: pd.DataFrame) -> pd.DataFrame:
    """Rows with an anchor: condition, variant, object_id, relative_distance, estimate_m,
    anchor_m, normalised.  ``objects`` needs ``estimate_m``, ``relative_distance``, ``object_id``
    and (optional) ``variant``."""
    table = pd.DataFrame({
        "frame_id": objects["frame_id"].to_numpy(),
        "condition": condition_labels(objects).to_numpy(),
        "variant": (objects["variant"].astype(str).to_numpy() if "variant" in objects.columns
                    else np.full(len(objects), "default")),
        "object_id": objects["object_id"].to_numpy(),
        "relative_distance": pd.to_numeric(objects["relative_distance"], errors="coerce").to_numpy(float),
        "estimate_m": pd.to_numeric(objects["estimate_m"], errors="coerce").to_numpy(float),
    })
    ok = np.isfinite(table["estimate_m"]) & (table["estimate_m"] > 0) & np.isfinite(table["relative_distance"])
    table = table[ok]
    keys = ["condition", "variant", "object_id"]
    anchors = (table[np.isclose(table["relative_distance"], ANCHOR_DISTANCE)]
               .groupby(keys, sort=False)["estimate_m"].mean().rename("anchor_m"))
    table = table.join(anchors, on=keys, how="inner")
    return table.assign(normalised=table["estimate_m"] / table["anchor_m"]).reset_index(drop=True)


def curve_table(points: pd.DataFrame, rng: np.random.Generator, n_boot: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Mean normalised estimate per condition and d over variants, with a bootstrap band."""
    rows = []
    for condition, part in points.groupby("condition", sort=False):
        per_variant = part.groupby(["variant", "relative_distance"])["normalised"].mean().unstack()
        counts = part.groupby("relative_distance")["object_id"].size()
        values = per_variant.to_numpy(float)
        n_var = np.sum(np.isfinite(values), axis=0)
        mean = np.nanmean(values, axis=0)
        low = np.full(values.shape[1], np.nan)
        high = low.copy()
        if values.shape[0] >= MIN_BOOTSTRAP_UNITS:
            idx = rng.integers(0, values.shape[0], size=(n_boot, values.shape[0]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a d missing from every resampled variant
                boot = np.nanmean(values[idx], axis=1)
                alpha = (1 - CONFIDENCE) / 2
                low, high = np.nanquantile(boot, [alpha, 1 - alpha], axis=0)
            low = np.where(n_var >= MIN_BOOTSTRAP_UNITS, low, np.nan)
            high = np.where(n_var >= MIN_BOOTSTRAP_UNITS, high, np.nan)
        for j, d in enumerate(per_variant.columns):
            rows.append({"condition": condition, "relative_distance": float(d), "mean_normalised": float(mean[j]),
                         "ci_low": float(low[j]), "ci_high": float(high[j]), "n_variants": int(n_var[j]),
                         "n_objects": int(counts.get(d, 0))})
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def curve_slope(part: pd.DataFrame) -> Estimate:
    """Slope of log(normalised) on log(d) with intercept; HC3 Student-t 95 % interval."""
    return slope(np.log(part["relative_distance"].to_numpy(float)), np.log(part["normalised"].to_numpy(float)))


def _float_or_none(value: float) -> float | None:
    """A table value for JSON: None for NaN (no band from fewer than MIN_BOOTSTRAP_UNITS variants)."""
    return None if pd.isna(value) else float(value)


def analyse_curves(objects: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame | None, dict | None]:
    """(curves table, summary section) or (None, None) when the set has no relative distance
    or no anchor at d = 1."""
    if "relative_distance" not in objects.columns or "estimate_m" not in objects.columns:
        return None, None
    points = normalised_estimates(objects)
    if points.empty:
        return None, {"reason": "no object has an estimate at relative distance 1 to normalise by",
                      "conditions": {}}
    table = curve_table(points, rng)
    conditions = {}
    for condition, part in points.groupby("condition", sort=False):
        fitted = curve_slope(part)
        rows = table[table["condition"] == condition]
        farthest = rows.loc[rows["relative_distance"].idxmax()]
        conditions[str(condition)] = {
            "at_farthest": {"relative_distance": float(farthest["relative_distance"]),
                            "value": float(farthest["mean_normalised"]),
                            "ci_low": _float_or_none(farthest["ci_low"]), "ci_high": _float_or_none(farthest["ci_high"]),
                            "n_variants": int(farthest["n_variants"])},
            "slope": fitted.to_dict("n_objects"),
            "n_variants": int(part["variant"].nunique()),
            "n_objects": int(len(part)),
            "relative_distance_range": [float(part["relative_distance"].min()),
                                        float(part["relative_distance"].max())],
        }
    n_usable = int((pd.to_numeric(objects["estimate_m"], errors="coerce") > 0).sum())
    return table, {
        "normalised_by": "estimate at relative_distance 1 of the same condition, variant and object",
        "band": "percentile bootstrap 95% over variants",
        "slope": "OLS log(normalised) ~ 1 + log(relative_distance), HC3 Student-t 95% CI",
        "n_objects_without_anchor": n_usable - int(len(points)),
        "conditions": conditions,
    }


class CurvesAnalysis(ObjectsOnly):
    """The normalised curves as an analysis: table ``curves`` and the summary section ``curves``."""

    name = "curves"
    tables = ("curves",)
    stream = 2

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        table, section = analyse_curves(objects, rng)
        return AnalysisOutput({"curves": table}, {"curves": section})
