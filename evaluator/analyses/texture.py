"""The texture experiment's analysis (scenes/spec/texture.py): does predicted depth follow the
road's texture density gradient, and does an object's surface detail move its estimate?

Road (frames with ``part == "road"``): per frame and image row, the median of log predicted depth
over the row's road pixels (true depth ≤ :data:`MAX_ROAD_DEPTH_M`, at least :data:`MIN_ROW_PX`
usable pixels); per mapping and row the mean of those over the mapping's frames.  **Units are
image rows**: a mapping's frames share one road geometry, so each row is one level of true
depth; averaging over frames first removes the cars and world variants, and the rows are what
the slope is fitted across.  One OLS (HC3, Student-t) with an intercept and a slope per mapping,
``log pred ~ mapping + mapping : log true``, gives each mapping's slope (1 = the true geometry)
and, as contrasts, each slope minus the world mapping's (screen and reversed remove or reverse
the gradient: a network that reads depth from texture density flattens or tilts its road there;
one that does not gives differences near 0).  Neighbouring rows' residuals are correlated, so the
intervals may be too narrow (docs/guides/cue-texture.md).

Implied horizon: the pose analysis' per-frame Theil-Sen horizon
(:func:`evaluator.analyses.pose.frame_pose`) minus the true horizon row, bootstrap mean over a
mapping's frames; objects: log(estimate under the mapping / estimate under world) for the same
placement (base variant, d), bootstrap mean over placements, shown as a ratio.

Detail (``detail_scale`` finite: detail and conflict frames): OLS (HC3) of log estimate on an
intercept, log true z-depth (when it varies) and log2 detail scale; the detail coefficient is
the change in log estimate per doubling of the paint checker's frequency (0: no reliance).  In
this design the contact row and apparent size are fixed by the true distance (one asset, level
camera, on the road), so they are not entered separately (they would make the fit singular);
detail is varied at fixed geometry, so its coefficient does not depend on them.  The conflict
pairs: log(far estimate / near estimate) per world variant and assignment, OLS (HC3) on the
assignment: each assignment's far/near ratio and their quotient (coarse near over fine near; 1
for a detail-blind network).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.intervals import OLS_HC3_T, Estimate, bootstrap_mean, format_estimate, ols
from evaluator.analyses.pose import ROAD_CLASS, frame_pose

#: The experiment kind whose sets this analysis applies to.
KIND = "texture"
#: The mapping the others are compared with, and the order of the mappings in tables.
REFERENCE_MAPPING = "world"
MAPPINGS = ("world", "screen", "reversed")
#: Road rows used for the slope: true depth at most this (m; beyond, cells are sub-pixel under
#: every mapping and the road is a few pixels wide), and at least this many usable pixels.
MAX_ROAD_DEPTH_M = 60.0
MIN_ROW_PX = 5
#: Smallest change of the road's log-log slope (against the world mapping's) that the verdict
#: counts as reliance on the texture gradient: 5 % of the geometric slope 1.  A difference whose
#: interval lies inside ±SLOPE_MARGIN is "ignores" even when it excludes 0 (large sets resolve
#: changes far too small to matter).
SLOPE_MARGIN = 0.05


def _ratio(entry: Estimate) -> Estimate:
    """A log ratio (mean or coefficient) as a ratio: exp of value and bounds (the interval keeps its method)."""
    return Estimate(math.exp(entry.value) if math.isfinite(entry.value) else math.nan,
                    math.exp(entry.ci_low) if math.isfinite(entry.ci_low) else math.nan,
                    math.exp(entry.ci_high) if math.isfinite(entry.ci_high) else math.nan,
                    entry.n, entry.method, entry.unit)


def road_rows(depth: np.ndarray, gt: np.ndarray, semantic: np.ndarray) -> pd.DataFrame:
    """Per image row with enough road: (row, log true depth, median log predicted depth, pixels)."""
    usable = ((semantic == ROAD_CLASS) & np.isfinite(gt) & (gt > 0) & (gt <= MAX_ROAD_DEPTH_M)
              & np.isfinite(depth) & (depth > 0))
    rows = []
    for v in np.flatnonzero(np.count_nonzero(usable, axis=1) >= MIN_ROW_PX):
        keep = usable[v]
        rows.append({"row": int(v), "log_true": float(np.log(np.median(gt[v, keep]))),
                     "log_pred": float(np.median(np.log(depth[v, keep]))), "n_px": int(keep.sum())})
    return pd.DataFrame(rows, columns=["row", "log_true", "log_pred", "n_px"])


def mapping_slopes(points: pd.DataFrame) -> tuple[dict[str, Estimate], dict[str, Estimate]]:
    """Slopes per mapping and their differences to the world mapping from one OLS (HC3) of
    ``log_pred`` on an intercept and slope per mapping over ``points`` (mapping, log_true, log_pred)."""
    mappings = [m for m in MAPPINGS if m in set(points["mapping"])]
    design = np.column_stack([(points["mapping"] == m).to_numpy(float) for m in mappings]
                             + [(points["mapping"] == m).to_numpy(float) * points["log_true"].to_numpy()
                                for m in mappings])
    fit = ols(points["log_pred"].to_numpy(float), design) if len(points) else None
    n = len(points)
    if fit is None:
        missing = {m: Estimate.missing(n, OLS_HC3_T, "rows") for m in mappings}
        return missing, {m: Estimate.missing(n, OLS_HC3_T, "rows") for m in mappings if m != REFERENCE_MAPPING}
    k = len(mappings)
    slopes = {m: fit.estimate(k + i, unit="rows") for i, m in enumerate(mappings)}
    differences = {}
    if REFERENCE_MAPPING in mappings:
        ref = mappings.index(REFERENCE_MAPPING)
        for i, m in enumerate(mappings):
            if m != REFERENCE_MAPPING:
                weights = np.zeros(2 * k)
                weights[k + i], weights[k + ref] = 1.0, -1.0
                differences[m] = fit.contrast(weights, unit="rows")
    return slopes, differences


def paired_log_ratio(table: pd.DataFrame, value: str, keys: list[str], mapping: str,
                     rng: np.random.Generator, difference: bool = False) -> Estimate:
    """Bootstrap mean over placements (``keys``) of log(value under ``mapping`` / under world), or
    with ``difference`` of value(mapping) − value(world)."""
    base = table[table["road_mapping"] == REFERENCE_MAPPING][keys + [value]]
    other = table[table["road_mapping"] == mapping][keys + [value]]
    paired = other.merge(base, on=keys, suffixes=("", "_world"))
    a, b = paired[value].to_numpy(float), paired[f"{value}_world"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        units = a - b if difference else np.log(a / b)
    return bootstrap_mean(units, rng, unit="placements")


def detail_fit(objects: pd.DataFrame) -> tuple[Estimate, Estimate | None, int]:
    """(detail coefficient, distance coefficient or None, objects) of log estimate ~ 1 + log z
    (when it varies) + log2 detail scale, HC3."""
    rows = objects[np.isfinite(objects["detail_scale"].astype(float)) & np.isfinite(objects["estimate_m"])
                   & (objects["estimate_m"] > 0)]
    n = len(rows)
    if n == 0:
        return Estimate.missing(0, OLS_HC3_T, "objects"), None, 0
    log_z = np.log(rows["z_true"].to_numpy(float))
    columns = [np.ones(n)] + ([log_z] if np.ptp(log_z) > 1e-9 else [])
    columns.append(np.log2(rows["detail_scale"].to_numpy(float)))
    fit = ols(np.log(rows["estimate_m"].to_numpy(float)), np.column_stack(columns))
    if fit is None:
        return Estimate.missing(n, OLS_HC3_T, "objects"), None, n
    distance = fit.estimate(1, unit="objects") if len(columns) == 3 else None
    return fit.estimate(len(columns) - 1, unit="objects"), distance, n


def pair_ratios(objects: pd.DataFrame) -> dict[str, Estimate]:
    """The conflict pairs: log(far estimate / near estimate) per world variant and assignment, fitted
    by OLS (HC3) on an intercept and an indicator of ``coarse_near``: per assignment its mean log
    ratio (``coarse_near``, ``fine_near``) and their difference (``coarse_minus_fine``: 0 for a
    network blind to detail, > 0 when fine detail reads farther).  Units: (variant, assignment)."""
    conflict = objects[objects["part"] == "conflict"]
    wide = conflict.pivot_table(index=["base_variant", "pair"], columns="role", values="estimate_m",
                                aggfunc="first").reset_index()
    if not {"near", "far"} <= set(wide.columns) or not {"coarse_near", "fine_near"} <= set(wide["pair"]):
        return {}
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(wide["far"] / wide["near"]).to_numpy(float)
    coarse = (wide["pair"] == "coarse_near").to_numpy(float)
    ok = np.isfinite(log_ratio)
    fit = ols(log_ratio[ok], np.column_stack([np.ones(ok.sum()), coarse[ok]]))
    if fit is None:
        return {k: Estimate.missing(int(ok.sum()), OLS_HC3_T, "pairs")
                for k in ("coarse_near", "fine_near", "coarse_minus_fine")}
    return {"coarse_near": fit.contrast(np.array([1.0, 1.0]), unit="pairs"),
            "fine_near": fit.contrast(np.array([1.0, 0.0]), unit="pairs"),
            "coarse_minus_fine": fit.estimate(1, unit="pairs")}


def _verdict(slopes: dict[str, Estimate], differences: dict[str, Estimate], n_rows: int,
             detail: Estimate | None, n_detail: int) -> tuple[str, str]:
    """(verdict key, one sentence with the numbers, their intervals and counts).

    ``texture_gradient``: a slope difference to world lies wholly below −SLOPE_MARGIN;
    ``no_texture_gradient``: every difference's interval lies inside ±SLOPE_MARGIN;
    ``undetermined`` otherwise (or without intervals)."""
    parts = []
    key = "no_road_frames"
    if slopes:
        key = ("texture_gradient" if any(d.ci_high < -SLOPE_MARGIN for d in differences.values()) else
               "no_texture_gradient" if differences and all(-SLOPE_MARGIN < d.ci_low and d.ci_high < SLOPE_MARGIN
                                                            for d in differences.values())
               else "undetermined")
        label = {"texture_gradient": "road depth follows the texture gradient",
                 "no_texture_gradient": f"road depth ignores the texture gradient (slopes within ±{SLOPE_MARGIN:g} "
                                        "of the world mapping's)",
                 "undetermined": "road depth: reliance on the texture gradient undetermined"}[key]
        listed = ", ".join(f"{format_estimate(e)} ({m})" for m, e in slopes.items())
        diffs = "; ".join(f"{m} − world {format_estimate(e)}" for m, e in differences.items())
        parts.append(f"{label}: log-log slope {listed}" + (f"; {diffs}" if diffs else "") + f", n = {n_rows} rows")
    if detail is not None:
        parts.append(f"object detail: {format_estimate(detail)} log estimate per doubling of detail, "
                     f"n = {n_detail} objects")
    return key, "; ".join(parts)


class TextureAnalysis:
    """The texture cue as an analysis: tables ``texture_rows`` (per mapping and image row, the
    points of the road fit) and ``texture_frames`` (per road frame, its implied horizon), summary
    section ``texture``; only for sets of the ``texture`` kind."""

    name = "texture"
    tables = ("texture_rows", "texture_frames")
    stream = 7

    def __init__(self, context: SetContext) -> None:
        self.context = context
        frames = context.stimulus_set.frames
        self.applies = context.is_kind(KIND)
        road = frames[frames["part"] == "road"] if self.applies and "part" in frames.columns else frames.iloc[:0]
        self.road = {str(r["frame_id"]): (str(r["road_mapping"]), str(r["base_variant"]), float(r["relative_distance"]))
                     for r in road.to_dict("records")}
        self.rows: list[pd.DataFrame] = []
        self.frame_rows: list[dict[str, Any]] = []

    def add_frame(self, frame: FrameData) -> None:
        found = self.road.get(frame.frame_id)
        if found is None:
            return
        mapping, variant, d = found
        rows = road_rows(frame.depth, frame.gt, frame.semantic)
        self.rows.append(rows.assign(frame_id=frame.frame_id, mapping=mapping))
        implied = frame_pose(frame.depth, frame.semantic, frame.camera).implied_horizon_row
        true = float(frame.camera.horizon_row())
        self.frame_rows.append({"frame_id": frame.frame_id, "road_mapping": mapping, "base_variant": variant,
                                "relative_distance": d, "implied_horizon_row": implied, "true_horizon_row": true,
                                "horizon_shift_px": implied - true, "n_rows": len(rows)})

    def _road(self, objects: pd.DataFrame, rng: np.random.Generator) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
        points = pd.concat(self.rows, ignore_index=True) if self.rows else pd.DataFrame(
            columns=["row", "log_true", "log_pred", "n_px", "frame_id", "mapping"])
        means = (points.groupby(["mapping", "row"], sort=True)
                 .agg(log_true=("log_true", "mean"), log_pred=("log_pred", "mean"), n_frames=("frame_id", "nunique"))
                 .reset_index())
        means["order"] = means["mapping"].map({m: i for i, m in enumerate(MAPPINGS)})
        means = means.sort_values(["order", "row"]).drop(columns="order").reset_index(drop=True)
        slopes, differences = mapping_slopes(means)
        frames = pd.DataFrame(self.context.sort_rows(self.frame_rows))
        road_objects = objects[objects["part"] == "road"] if "part" in objects.columns else objects.iloc[:0]
        keys = ["base_variant", "relative_distance"]
        section: dict[str, Any] = {"slopes": slopes, "slope_differences": differences, "n_rows": len(means),
                                   "n_frames": len(frames), "horizon_shift_px": {}, "horizon_shift_vs_world_px": {},
                                   "object_ratio_vs_world": {}}
        for m in slopes:
            section["horizon_shift_px"][m] = bootstrap_mean(
                frames.loc[frames["road_mapping"] == m, "horizon_shift_px"].to_numpy(float), rng)
            if m != REFERENCE_MAPPING:
                section["horizon_shift_vs_world_px"][m] = paired_log_ratio(
                    frames, "implied_horizon_row", keys, m, rng, difference=True)
                section["object_ratio_vs_world"][m] = _ratio(paired_log_ratio(road_objects, "estimate_m", keys, m, rng))
        return section, means, frames

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        if not self.applies:
            return AnalysisOutput({"texture_rows": None, "texture_frames": None}, {})
        rng = rng if rng is not None else np.random.default_rng([0, self.stream])
        road, means, frames = self._road(objects, rng) if self.frame_rows else (None, None, None)
        detail = None
        if "detail_scale" in objects.columns and np.isfinite(objects["detail_scale"].astype(float)).any():
            coefficient, distance, n = detail_fit(objects)
            detail = {"coefficient": coefficient, "distance_coefficient": distance, "n_objects": n,
                      "far_over_near": {k: _ratio(v) for k, v in pair_ratios(objects).items()}}
        key, text = _verdict(road["slopes"] if road else {}, road["slope_differences"] if road else {},
                             road["n_rows"] if road else 0, detail["coefficient"] if detail else None,
                             detail["n_objects"] if detail else 0)
        section = {"verdict": key, "verdict_text": text, "road": _plain(road), "detail": _plain(detail)}
        return AnalysisOutput({"texture_rows": means, "texture_frames": frames}, {"texture": section})


def _plain(value: Any) -> Any:
    """``value`` with every Estimate as its ``to_dict()`` (for summary.json)."""
    if isinstance(value, Estimate):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
