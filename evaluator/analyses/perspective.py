"""Linear perspective (the ``perspective`` kind, scenes/spec/perspective.py): does the network read
distance from the painted lines' vanishing point, and in a dolly zoom from true distance or from
the unchanged image?

Three statistics, each an OLS slope with one intercept per placement (world variant x the car's
base distance), HC3 standard errors and Student-t 95 % intervals (:func:`evaluator.analyses.intervals.ols`):

* **horizon following** (false-vanishing-point frames): the implied horizon of each frame (the
  pose analysis' band fit, :func:`evaluator.analyses.pose.frame_pose`), as rows above the true
  horizon, regressed on the painted vanishing point's shift (rows above the true horizon).
  1 = the implied horizon moves with the painted lines, 0 = it stays at the true horizon;
  n = frames with a horizon fit.
* **Ponzo following** (the same frames, the car): ``log estimate`` regressed on ``log z_painted``,
  where ``z_painted = fy H / (contact_row - (horizon_row - vp_shift_px))`` is the distance the
  car's contact row implies under the painted horizon.  Within a placement only the paint
  changes, so 1 = the estimate moves as a network reading the painted horizon would, 0 = not at
  all; n = objects.  The raw change, ``log estimate`` per px of shift, is given beside it.
* **dolly following** (dolly-zoom frames): ``log estimate`` regressed on ``log z_true``: image
  size and contact row stay constant while the true distance grows by the dolly ratio, so
  1 = follows true distance (perspective distortion, the scene's changed field of view), 0 = follows
  the constant image; n = objects.

Beside them: the implied horizon's offset from the true one in the reference frames (parallel
lines, the spec's camera), a percentile bootstrap mean over frames.  Applies only to sets of the
``perspective`` kind (``SetContext.is_kind``) with its factor columns (``vp_shift_px``,
``dolly_ratio``, ``base_distance_m``); otherwise its tables are None and it writes no summary entry.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.intervals import OLS_HC3_T, Estimate, bootstrap_mean, format_estimate, ols
from evaluator.analyses.pose import frame_pose

#: Frames-table columns that mark a set of the perspective kind.
FACTOR_COLUMNS = ("block", "vp_shift_px", "dolly_ratio", "base_distance_m")
VANISHING_POINT, DOLLY_ZOOM = "vanishing_point", "dolly_zoom"
#: Frame columns copied into the analysis' tables.
FRAME_COLUMNS = ("frame_id", "variant", "world_variant", "is_reference", *FACTOR_COLUMNS, "fy", "camera_height_m",
                 "horizon_row")


def slope_within(table: pd.DataFrame, x_column: str, y_column: str, unit: str) -> Estimate:
    """Slope of ``y`` on ``x`` with one intercept per placement (world variant x base distance),
    over the finite rows; a missing Estimate when it is not identified."""
    data = table[np.isfinite(table[x_column]) & np.isfinite(table[y_column])]
    n = int(len(data))
    if n == 0 or np.ptp(data[x_column].to_numpy(float)) == 0:
        return Estimate.missing(n, OLS_HC3_T, unit)
    placement = data["world_variant"].astype(str) + "/" + data["base_distance_m"].astype(str)
    groups = pd.get_dummies(placement).to_numpy(float)
    fit = ols(data[y_column].to_numpy(float), np.column_stack([data[x_column].to_numpy(float), groups]))
    return Estimate.missing(n, OLS_HC3_T, unit) if fit is None else fit.estimate(0, unit=unit)


def frames_table(rows: list[dict], frames: pd.DataFrame) -> pd.DataFrame:
    """One row per frame: factors, true and implied horizon, and the implied rise (px above the true horizon)."""
    columns = [c for c in FRAME_COLUMNS if c in frames.columns]
    table = pd.DataFrame(rows).merge(frames[columns], on="frame_id", how="left")
    if "world_variant" not in table.columns:
        table["world_variant"] = table["variant"] if "variant" in table.columns else "default"
    table["implied_rise_px"] = table["true_horizon_row"] - table["implied_horizon_row"]
    return table


def objects_table(objects: pd.DataFrame, frames: pd.DataFrame) -> pd.DataFrame:
    """One row per object: estimate, true distance, contact row and the painted-horizon distance."""
    columns = [c for c in FRAME_COLUMNS if c in frames.columns]
    keep = ["frame_id", "object_id", "estimate_m", "z_true", "contact_row", "z_vertical"]
    data = objects[[c for c in keep if c in objects.columns]].merge(frames[columns], on="frame_id", how="left")
    if "world_variant" not in data.columns:
        data["world_variant"] = data["variant"] if "variant" in data.columns else "default"
    estimate = pd.to_numeric(data["estimate_m"], errors="coerce").to_numpy(float)
    rows_below = data["contact_row"].to_numpy(float) - (data["horizon_row"] - data["vp_shift_px"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        data["z_painted"] = np.where(rows_below > 0, data["fy"] * data["camera_height_m"] / rows_below, np.nan)
        data["log_estimate"] = np.where(estimate > 0, np.log(estimate), np.nan)
        data["log_z_painted"] = np.log(data["z_painted"].to_numpy(float))
        data["log_z_true"] = np.log(pd.to_numeric(data["z_true"], errors="coerce").to_numpy(float))
    return data


#: Following fractions within this of 0 or 1 count as "none" or "full": a tenth of the painted
#: shift (about 2 px of the preset's 19 px) is below what the study's horizon fits resolve.
NEGLIGIBLE_FOLLOWING = 0.1
#: Words for each statistic's label (see :func:`label`).
WORDS = {
    "horizon": {"full": "the implied horizon follows the painted vanishing point",
                "partial": "the implied horizon partly follows the painted vanishing point",
                "none": "the implied horizon stays at the true horizon",
                "reversed": "the implied horizon moves against the painted vanishing point",
                "unclear": "the implied horizon's following is unclear"},
    "ponzo": {"full": "the car's estimate follows the painted horizon (a full Ponzo effect)",
              "partial": "a partial Ponzo effect on the car's estimate",
              "none": "no Ponzo effect on the car's estimate",
              "reversed": "the car's estimate moves against the painted horizon",
              "unclear": "the Ponzo effect is unclear"},
    "dolly": {"full": "in the dolly zoom the estimate follows true distance",
              "partial": "in the dolly zoom the estimate lies between true distance and the constant image",
              "none": "in the dolly zoom the estimate follows the constant image",
              "reversed": "in the dolly zoom the estimate moves against true distance",
              "unclear": "the dolly zoom is unclear"},
}
SCALES = {"horizon": "(1 = fully, 0 = not at all)",
          "ponzo": "(log-log; 1 = as the painted horizon implies, 0 = unaffected)",
          "dolly": "(log-log; 1 = true distance, 0 = constant image)"}


def label(estimate: Estimate, margin: float = NEGLIGIBLE_FOLLOWING) -> str | None:
    """``full``, ``none``, ``partial``, ``reversed`` or ``unclear`` for a following fraction with its
    interval (None without an interval): full when the interval lies within ``margin`` of 1, or
    covers 1 and lies above ``margin``; none likewise around 0; partial when it lies between them."""
    low, high = estimate.ci_low, estimate.ci_high
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    if (low >= 1 - margin and high <= 1 + margin) or (low <= 1 <= high and low > margin):
        return "full"
    if (low >= -margin and high <= margin) or (low <= 0 <= high and high < 1 - margin):
        return "none"
    if low > margin:
        return "partial"
    return "reversed" if high < -margin else "unclear"


def verdict_text(horizon: Estimate, ponzo: Estimate, dolly: Estimate) -> str:
    """The one-sentence verdict: per statistic with an interval its label, estimate, scale and n."""
    parts = []
    for key, estimate in (("horizon", horizon), ("ponzo", ponzo), ("dolly", dolly)):
        word = label(estimate)
        if word is not None:
            parts.append(f"{WORDS[key][word]}: {format_estimate(estimate)} {SCALES[key]}, "
                         f"n = {estimate.n} {estimate.unit}")
    return "; ".join(parts) or "no usable fit (too few frames with a horizon fit or objects with an estimate)"


def summarise(frames: pd.DataFrame, objects: pd.DataFrame, rng: np.random.Generator) -> dict:
    """The summary section ``perspective`` (every number an Estimate's dict)."""
    vp_frames = frames[frames["block"] == VANISHING_POINT]
    vp_objects = objects[objects["block"] == VANISHING_POINT]
    dolly = objects[objects["block"] == DOLLY_ZOOM]
    refs = frames[frames["is_reference"].fillna(False).astype(bool)] if "is_reference" in frames else frames[:0]
    horizon = slope_within(vp_frames, "vp_shift_px", "implied_rise_px", "frames")
    ponzo = slope_within(vp_objects, "log_z_painted", "log_estimate", "objects")
    dolly_following = slope_within(dolly, "log_z_true", "log_estimate", "objects")
    return {
        "verdict_text": verdict_text(horizon, ponzo, dolly_following),
        "method": ("OLS slopes with one intercept per placement (world variant x base distance), HC3 Student-t 95% "
                   "CI; implied horizon: Theil-Sen band fit of the pose analysis; reference offset: bootstrap mean"),
        "horizon_following": horizon.to_dict(),
        "ponzo_following": ponzo.to_dict(),
        "ponzo_log_per_px": slope_within(vp_objects, "vp_shift_px", "log_estimate", "objects").to_dict(),
        "dolly_following": dolly_following.to_dict(),
        "reference_implied_rise_px": bootstrap_mean(refs["implied_rise_px"], rng).to_dict(),
        "vp_shift_px_levels": sorted(float(x) for x in vp_frames["vp_shift_px"].dropna().unique()),
        "dolly_ratio_levels": sorted(float(x) for x in dolly["dolly_ratio"].dropna().unique()),
    }


class PerspectiveAnalysis:
    """Linear perspective as an analysis: tables ``perspective`` (one row per frame) and
    ``perspective_objects``, summary section ``perspective`` (for sets of that kind only)."""

    name = "perspective"
    tables = ("perspective", "perspective_objects")
    stream = 9

    def __init__(self, context: SetContext) -> None:
        self.context = context
        self.applies = context.is_kind("perspective", FACTOR_COLUMNS)
        self.rows: list[dict] = []

    def add_frame(self, frame: FrameData) -> None:
        if not self.applies:
            return
        fitted = frame_pose(frame.depth, frame.semantic, frame.camera)
        self.rows.append({"frame_id": frame.frame_id, "true_horizon_row": float(frame.camera.horizon_row()),
                          "implied_horizon_row": fitted.implied_horizon_row,
                          "plane_horizon_row": fitted.plane_horizon_row, "n_band_rows": fitted.n_band_rows})

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        if not self.applies or not self.rows:
            return AnalysisOutput({"perspective": None, "perspective_objects": None}, {})
        frames = self.context.stimulus_set.frames
        per_frame = frames_table(self.context.sort_rows(self.rows), frames)
        per_object = objects_table(objects, frames)
        section = summarise(per_frame, per_object, rng if rng is not None else np.random.default_rng(0))
        return AnalysisOutput({"perspective": per_frame, "perspective_objects": per_object}, {"perspective": section})
