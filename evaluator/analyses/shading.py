"""Shading and illumination (issue 19): does the network's depth move with the light?

Applies to a set of the ``shading`` kind (:mod:`scenes.design.shading`; ``SetContext.is_kind``)
whose frames table has the ``part``, ``series`` and sun columns; tables None and no summary entry
otherwise.

**Sun sweep** (frames of ``part`` ``sweep``; true depth identical in every frame, so the ideal is
no change).  Units: each object (its estimate ``estimate_m`` against ``z_true``) and the road
(per frame, the median of predicted / true depth over road pixels nearer than
``ROAD_MAX_DEPTH_M``).  Per unit and frame the log error ``e = ln(estimate / true)``, in per cent
(100 e).  Per series (``shading_only``: objects cast no shadow; ``shadows``):

* ``elevation_slope``: OLS of 100 e on the sun elevation (degrees) with ``cos`` and ``sin`` of the
  azimuth and one intercept per unit (HC3, Student-t 95 %): per cent change of the estimate per
  degree of elevation, objects pooled (n = object-frames), and the same for the road;
* the stability figures of PDE (Princeton's "PDE" benchmark, 2025): ``mu`` the mean error (%),
  ``sigma`` the spread of the error across the lighting variations (%; the root mean square of
  each unit's error around its own series mean) and ``kappa`` the mean squared change of the log
  estimate against the same unit's prediction under the reference sun (reported as its root,
  ``rms_change_pct``, in per cent; the reference frame itself left out).  Intervals: percentile
  bootstrap over frames (a frame's objects kept together; for sigma and the rms change the
  interval of the mean square, square-rooted).

**Bump versus dent** (frames of ``part`` ``relief``, no cast shadow).  For a camera without roll
every point of a horizontal plane seen in one image row has the same z-depth, so in each row of
the plate's mask the depth at the centre (the middle ``CENTRE_FRACTION`` of the row's span)
minus the depth at the rim (the outer ``RIM_FRACTION`` at each end, one edge pixel left out) is 0
for a flat plate, negative for a bump (its centre is nearer) and positive for a dent.  The rows
used are those where the true relief is at least ``STRONG_ROW_FRACTION`` of its largest value;
the relief of a frame is the mean over them, true from the exact depth and predicted from the
prediction.  The sign is correct when the predicted relief is nonzero with the true sign.
``sign_accuracy`` per light and per light x relief, and ``read_as_bump`` (the share of frames
whose predicted centre is nearer than its rim) per light: Wilson 95 % intervals over frames.  A network
that reads shape from shading with a light-from-one-side prior is right under one light and wrong
under the opposite one; one that follows geometry is right under every light; one whose reading
follows the light alone (a bump under one light, a dent under another, whatever the relief) is
at 0.5 everywhere while its ``read_as_bump`` splits.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.intervals import OLS_HC3_T, Estimate, bootstrap_mean, format_estimate, ols, wilson
from scenes.geometry import SEMANTIC_CLASSES

#: Frames-table columns of the shading kind, and the levels its ``part`` and ``series`` take
#: (scenes/design/shading.py): a set applies when it has the columns and no other levels.
REQUIRED_COLUMNS = ("part", "series", "sun_azimuth_deg", "sun_elevation_deg")
ROAD_CLASS = SEMANTIC_CLASSES["road"]
#: Road pixels farther than this are left out of the road's ratio: the KITTI benchmark's 80 m cap
#: (Geiger et al. 2012), beyond which a 640 px frame's road rows are a pixel or two apart.
ROAD_MAX_DEPTH_M = 80.0
#: Fewest road pixels for a frame's road ratio.
MIN_ROAD_PX = 50
#: Relief: the centre is the middle 20 % of a row's span, the rim the outer 10 % at each end (the
#: relief of the shipped plates covers the middle 67 % of their width: radius 0.8 m of 1.2 m).
CENTRE_FRACTION, RIM_FRACTION = 0.20, 0.10
#: Fewest pixels of a row's span for it to count (centre and rim of at least 2 pixels each).
MIN_ROW_SPAN_PX = 12
#: Rows whose true relief is at least this fraction of the frame's largest are used.
STRONG_ROW_FRACTION = 0.5
#: A frame whose largest true relief is below this (m) has none to judge (a plate sub-pixel high).
MIN_TRUE_RELIEF_M = 1e-3
#: Series of the sweep, in report order.
SERIES = ("shading_only", "shadows")


def row_relief(depth: np.ndarray, mask: np.ndarray) -> dict[int, float]:
    """Per image row of ``mask``: median depth at the row's centre minus at its rim (metres)."""
    out = {}
    for v in np.flatnonzero(mask.any(axis=1)):
        cols = np.flatnonzero(mask[v])
        c0, c1 = int(cols[0]), int(cols[-1])
        span = c1 - c0 + 1
        if span < MIN_ROW_SPAN_PX:
            continue
        mid, rim = (c0 + c1) / 2, max(2, int(round(RIM_FRACTION * span)))
        centre = cols[np.abs(cols - mid) <= CENTRE_FRACTION * span / 2]
        edge = cols[((cols > c0) & (cols <= c0 + rim)) | ((cols < c1) & (cols >= c1 - rim))]
        values_c, values_r = depth[v, centre], depth[v, edge]
        values_c, values_r = values_c[np.isfinite(values_c)], values_r[np.isfinite(values_r)]
        if values_c.size and values_r.size:
            out[int(v)] = float(np.median(values_c) - np.median(values_r))
    return out


def relief_measure(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> tuple[float, float, int]:
    """(true relief, predicted relief, rows used): centre minus rim depth, metres, over the rows of
    strong true relief (NaN and 0 rows when there is none)."""
    true_rows = row_relief(gt, mask)
    strongest = max((abs(r) for r in true_rows.values()), default=0.0)
    if strongest < MIN_TRUE_RELIEF_M:
        return math.nan, math.nan, 0
    rows = [v for v, r in true_rows.items() if abs(r) >= STRONG_ROW_FRACTION * strongest]
    pred_rows = row_relief(pred, mask)
    rows = [v for v in rows if v in pred_rows]
    if not rows:
        return math.nan, math.nan, 0
    return (float(np.mean([true_rows[v] for v in rows])), float(np.mean([pred_rows[v] for v in rows])), len(rows))


def road_ratio(frame: FrameData) -> float:
    """Median predicted / true depth over the frame's road pixels nearer than ROAD_MAX_DEPTH_M."""
    road = (frame.semantic == ROAD_CLASS) & np.isfinite(frame.gt) & (frame.gt <= ROAD_MAX_DEPTH_M)
    road &= np.isfinite(frame.depth) & (frame.depth > 0)
    if road.sum() < MIN_ROAD_PX:
        return math.nan
    return float(np.median(frame.depth[road] / frame.gt[road]))


class ShadingAnalysis:
    """See the module docstring."""

    name = "shading"
    tables = ("shading_sweep", "shading_relief")
    stream = 8

    def __init__(self, context: SetContext) -> None:
        self.context = context
        frames = context.stimulus_set.frames
        self.applies = context.is_kind("shading", REQUIRED_COLUMNS)
        self.part = dict(zip(frames["frame_id"], frames["part"])) if self.applies else {}
        self.road_rows: list[dict] = []
        self.relief_rows: list[dict] = []

    def add_frame(self, frame: FrameData) -> None:
        """The road ratio of a sweep frame; the relief of each object of a relief frame."""
        part = self.part.get(frame.frame_id)
        if part == "sweep":
            self.road_rows.append({"frame_id": frame.frame_id, "unit": "road", "ratio": road_ratio(frame)})
        elif part == "relief":
            for object_id in frame.object_ids:
                true, pred, rows = relief_measure(frame.depth, frame.gt, frame.instances == int(object_id))
                self.relief_rows.append({"frame_id": frame.frame_id, "object_id": int(object_id),
                                         "true_relief_m": true, "pred_relief_m": pred, "n_rows": rows})

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        empty = AnalysisOutput({name: None for name in self.tables}, {})
        if not self.applies or not (self.road_rows or self.relief_rows):
            return empty
        rng = rng if rng is not None else np.random.default_rng([0, self.stream])
        sweep = sweep_table(self.context, objects, self.road_rows)
        relief = relief_table(self.context, self.relief_rows)
        summary: dict[str, Any] = {"sweep": summarise_sweep(sweep, rng), "relief": summarise_relief(relief)}
        summary["verdict_text"] = verdict_text(summary)
        return AnalysisOutput({"shading_sweep": sweep, "shading_relief": relief}, {"shading": summary})


def _frame_levels(context: SetContext) -> pd.DataFrame:
    frames = context.stimulus_set.frames
    wanted = ["frame_id", "part", "series", "light", "sun_azimuth_deg", "sun_elevation_deg", "is_reference"]
    return frames[[c for c in wanted if c in frames.columns]]


def sweep_table(context: SetContext, objects: pd.DataFrame, road_rows: list[dict]) -> pd.DataFrame | None:
    """One row per sweep frame and unit (``object <id>`` or ``road``): the log error in per cent
    and its change against the unit's reference-sun frame of the same series."""
    if not road_rows:
        return None
    levels = _frame_levels(context)
    objs = objects[objects["frame_id"].isin({r["frame_id"] for r in road_rows})]
    obj_rows = pd.DataFrame({"frame_id": objs["frame_id"], "unit": "object " + objs["object_id"].astype(str),
                             "ratio": objs["estimate_m"] / objs["z_true"]})
    table = pd.concat([obj_rows, pd.DataFrame(context.sort_rows(road_rows))], ignore_index=True)
    table = table.merge(levels, on="frame_id", how="left")
    table["is_reference"] = table["is_reference"].fillna(False).astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["error_pct"] = 100.0 * np.log(table["ratio"].astype(float))
    ref = table[table["is_reference"]].groupby(["series", "unit"])["error_pct"].first().rename("reference_error_pct")
    table = table.join(ref, on=["series", "unit"])
    table["change_pct"] = table["error_pct"] - table["reference_error_pct"]
    table["order"] = table["frame_id"].map(context.frame_order)
    table = table.sort_values(["order", "unit"], kind="stable").drop(columns="order").reset_index(drop=True)
    return table[["frame_id", "series", "unit", "sun_azimuth_deg", "sun_elevation_deg", "is_reference", "ratio",
                  "error_pct", "reference_error_pct", "change_pct"]]


def elevation_slope(rows: pd.DataFrame, unit: str) -> Estimate:
    """Per cent change per degree of sun elevation (OLS, HC3): 100 e on elevation, cos and sin of
    the azimuth and one intercept per unit."""
    rows = rows[np.isfinite(rows["error_pct"])]
    if rows.empty:
        return Estimate.missing(0, OLS_HC3_T, unit)
    az = np.radians(rows["sun_azimuth_deg"].to_numpy(float))
    dummies = pd.get_dummies(rows["unit"]).to_numpy(float)
    design = np.column_stack([rows["sun_elevation_deg"].to_numpy(float), np.cos(az), np.sin(az), dummies])
    fit = ols(rows["error_pct"].to_numpy(float), design)
    return fit.estimate(0, unit) if fit is not None else Estimate.missing(len(rows), OLS_HC3_T, unit)


def _root(estimate: Estimate) -> Estimate:
    """The square root of a mean-square estimate and of its bounds (a monotone map of the interval)."""
    def r(x: float) -> float:
        return math.sqrt(x) if math.isfinite(x) and x >= 0 else math.nan
    return Estimate(r(estimate.value), r(estimate.ci_low), r(estimate.ci_high), estimate.n, estimate.method,
                    estimate.unit)


def stability(rows: pd.DataFrame, rng: np.random.Generator) -> dict[str, Estimate]:
    """PDE's mu, sigma and kappa (as its root, the rms change) over the frames of ``rows``; each
    frame's value is the mean over its units (bootstrap over frames)."""
    rows = rows[np.isfinite(rows["error_pct"])].copy()
    rows["deviation2"] = (rows["error_pct"] - rows.groupby("unit")["error_pct"].transform("mean")) ** 2
    rows["change2"] = rows["change_pct"] ** 2
    per_frame = rows.groupby("frame_id", sort=False)[["error_pct", "deviation2", "change2"]].mean()
    moved = per_frame.loc[~rows.groupby("frame_id", sort=False)["is_reference"].first()]
    return {"mu_pct": bootstrap_mean(per_frame["error_pct"].to_numpy(), rng),
            "sigma_pct": _root(bootstrap_mean(per_frame["deviation2"].to_numpy(), rng)),
            "rms_change_pct": _root(bootstrap_mean(moved["change2"].to_numpy(), rng)),
            "kappa": bootstrap_mean(moved["change2"].to_numpy() / 1e4, rng)}


def summarise_sweep(table: pd.DataFrame | None, rng: np.random.Generator) -> dict[str, Any] | None:
    """Per series: the elevation slopes (objects, road) and the stability figures (objects, road)."""
    if table is None or table.empty:
        return None
    out: dict[str, Any] = {}
    for series in [s for s in SERIES if s in set(table["series"])]:
        rows = table[table["series"] == series]
        objs, road = rows[rows["unit"] != "road"], rows[rows["unit"] == "road"]
        entry = {"n_frames": int(rows["frame_id"].nunique()),
                 "object_slope_pct_per_deg": elevation_slope(objs, "objects").to_dict(),
                 "road_slope_pct_per_deg": elevation_slope(road, "frames").to_dict()}
        for unit_name, part in (("objects", objs), ("road", road)):
            entry[unit_name] = {k: v.to_dict() for k, v in stability(part, rng).items()} if not part.empty else None
        out[series] = entry
    return out


def relief_table(context: SetContext, rows: list[dict]) -> pd.DataFrame | None:
    """One row per relief frame and object: true and predicted relief (m) and whether the sign is right."""
    if not rows:
        return None
    frames = context.stimulus_set.frames
    keep = [c for c in ("frame_id", "light", "relief", "sun_azimuth_deg", "sun_elevation_deg") if c in frames.columns]
    table = pd.DataFrame(context.sort_rows(rows)).merge(frames[keep], on="frame_id", how="left")
    table["true_sign"] = np.sign(table["true_relief_m"])
    table["sign_correct"] = (np.sign(table["pred_relief_m"]) == table["true_sign"]) & (table["true_sign"] != 0)
    return table


def summarise_relief(table: pd.DataFrame | None) -> dict[str, Any] | None:
    """Sign accuracy (Wilson) per light, and per light x relief, over frames with a true relief."""
    if table is None:
        return None
    usable = table[np.isfinite(table["true_relief_m"]) & np.isfinite(table["pred_relief_m"])]
    out: dict[str, Any] = {"n_frames": int(len(usable)), "lights": {}}
    for light in dict.fromkeys(usable["light"]):
        rows = usable[usable["light"] == light]
        entry = {"sign_accuracy": wilson(int(rows["sign_correct"].sum()), len(rows), "frames").to_dict(),
                 "read_as_bump": wilson(int((rows["pred_relief_m"] < 0).sum()), len(rows), "frames").to_dict()}
        for relief in dict.fromkeys(rows["relief"]):  # sign accuracy of the bumps, of the dents
            sub = rows[rows["relief"] == relief]
            entry[relief] = wilson(int(sub["sign_correct"].sum()), len(sub), "frames").to_dict()
        out["lights"][str(light)] = entry
    out["overall"] = wilson(int(usable["sign_correct"].sum()), len(usable), "frames").to_dict()
    return out


def _has_interval(entry: dict[str, Any]) -> bool:
    return all(entry.get(k) is not None and math.isfinite(entry[k]) for k in ("ci_low", "ci_high"))


def _sweep_words(sweep: dict[str, Any]) -> tuple[str, str]:
    """The sweep's clause and its reading: ``moves``, ``invariant`` or ``unknown`` (no interval)."""
    parts, moved, known = [], False, True
    for series, entry in sweep.items():
        slope = entry["object_slope_pct_per_deg"]
        rms = (entry.get("objects") or {}).get("rms_change_pct")
        known &= _has_interval(slope)
        moved |= _has_interval(slope) and (slope["ci_low"] > 0 or slope["ci_high"] < 0)
        parts.append(f"{series.replace('_', ' ')} {format_estimate(slope)} % per degree of sun elevation, "
                     f"rms change {format_estimate(rms)} %")
    n = sum(e["object_slope_pct_per_deg"]["n_objects"] for e in sweep.values())
    reading = "moves" if moved else ("invariant" if known else "unknown")
    return f"object estimates {'; '.join(parts)} (n = {n} object-frames)", reading


def _split(entries: list[dict[str, Any]]) -> tuple[bool, bool]:
    """(every interval above 0.5, one interval above 0.5 and another below it)."""
    bounds = [(e["ci_low"], e["ci_high"]) for e in entries if _has_interval(e)]
    if not bounds:
        return False, False
    return min(lo for lo, _ in bounds) > 0.5, max(lo for lo, _ in bounds) > 0.5 and min(hi for _, hi in bounds) < 0.5


def _relief_words(relief: dict[str, Any]) -> tuple[str, str]:
    """The relief clause and the reading: ``follows geometry``, ``light prior`` (right under one
    light, wrong under another), ``light sets sign`` (read as a bump under one light whatever the
    relief, as a dent under another) or ``no relief``."""
    lights = relief["lights"]
    accs = {name: e["sign_accuracy"] for name, e in lights.items()}
    bumps = {name: e["read_as_bump"] for name, e in lights.items()}
    all_right, acc_split = _split(list(accs.values()))
    _, bump_split = _split(list(bumps.values()))
    reading = ("follows geometry" if all_right else "light prior" if acc_split
               else "light sets sign" if bump_split else "no relief")
    text = ", ".join(f"{name} {format_estimate(a)}" for name, a in accs.items())
    n = f"n = {relief['n_frames']} frames, {relief['n_frames'] // max(len(lights), 1)} per light"
    clause = f"bump/dent sign accuracy {text} ({n})"
    one_sided = any(_has_interval(b) and (b["ci_low"] > 0.5 or b["ci_high"] < 0.5) for b in bumps.values())
    if reading in ("light sets sign", "no relief") and one_sided:  # a light under which every plate reads one way
        clause += "; read as a bump " + ", ".join(f"{name} {format_estimate(b)}" for name, b in bumps.items())
    return clause, reading


def verdict_text(summary: dict[str, Any]) -> str:
    """One sentence: the reading, then the sweep's slopes and the relief's sign accuracies."""
    clauses, readings = [], []
    if summary.get("sweep"):
        words, reading = _sweep_words(summary["sweep"])
        readings.append({"moves": "depth moves with the light", "invariant": "lighting-invariant within the intervals",
                         "unknown": "too few sweep frames for an interval"}[reading])
        clauses.append(words)
    if summary.get("relief") and summary["relief"]["n_frames"]:
        words, reading = _relief_words(summary["relief"])
        readings.append({"follows geometry": "bump and dent told apart under every light",
                         "light prior": "relief read with a light prior",
                         "light sets sign": "relief sign set by the light, not the shape",
                         "no relief": "bump and dent not told apart"}[reading])
        clauses.append(words)
    return f"{'; '.join(readings)}: {'; '.join(clauses)}"
