"""Robustness to common image corruptions: depth error, cue and pose per corruption and severity,
and RoboDepth's resilience rate (mRR) and corruption error (mCE).

Applies to a set whose frames table has ``corruption`` and ``severity`` columns (the
``robustness`` experiment kind, :mod:`scenes.images.corruptions`; severity 0 = the clean frame), and
``base_frame_id`` (the rendered frame a corrupted frame was made from).

Error per frame (RoboDepth, Kong et al., *RoboDepth: Robust Out-of-Distribution Depth Estimation
under Corruptions*, NeurIPS 2023 Datasets and Benchmarks; github.com/ldkong1205/RoboDepth,
README "Metrics"): the depth estimation error ``DEE = (Abs Rel - delta1 + 1) / 2`` (their
``DEE_2``, the benchmark's main indicator), with Abs Rel and delta1 (the fraction of pixels with
max(pred/gt, gt/pred) < 1.25, 0..1) of :mod:`evaluator.analyses.metrics` over region ``all``.
Being linear, the mean of per-frame DEE is the DEE of the mean metrics, as RoboDepth averages.

For a corruption c at severities s = 1..S (S = 5 in RoboDepth), DEE(c, s) the mean over frames:

* resilience rate ``RR_c = sum_s (1 - DEE(c, s)) / (S * (1 - DEE_clean))``, ``mRR = mean_c RR_c``
  (higher is better; relative to the model's own clean error);
* corruption error ``CE_c = sum_s DEE(c, s) / sum_s DEE_baseline(c, s)``, ``mCE = mean_c CE_c``
  (lower is better; relative to a baseline model on the same set: :func:`corruption_errors`).

Both reproduce RoboDepth's published KITTI-C numbers from their per-corruption DEE (tested: CADepth
mCE 110.11 %, mRR 80.07 %; MonoDepth2-R18, the baseline, mRR 84.46 %).  Intervals: percentile
bootstrap over base frames (each resample keeps a base frame's clean and corrupted frames
together, and for CE the two models' frames together: a paired bootstrap), none from fewer than
``MIN_BOOTSTRAP_UNITS`` base frames.  Per cell (corruption, severity): the mean metrics with a
bootstrap interval over frames, the cue fit (:func:`evaluator.analyses.cue_fit.fit_cues` on the
cell's objects: does the network switch cues when the image degrades?) and, where the set varies
the camera pose, pose following (:func:`evaluator.analyses.pose.summarise_pose`).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.cue_fit import fit_cues
from evaluator.analyses.intervals import (BOOTSTRAP, CONFIDENCE, MIN_BOOTSTRAP_UNITS, N_BOOTSTRAP, Estimate,
                                          bootstrap_mean_columns)
from evaluator.analyses.metrics import frame_metrics
from evaluator.analyses.pose import FOLLOWING, frame_pose, pose_row, summarise_pose
from evaluator.errors import EvaluationArgumentError
from scenes.images import CORRUPTION_NAMES, FAMILIES

#: The ``corruption`` of clean frames (scenes.design.kinds.CLEAN) and their severity.
CLEAN, CLEAN_SEVERITY = "clean", 0
#: Columns a set needs for this analysis.
REQUIRED_COLUMNS = ("corruption", "severity")
FRAME_METRICS = ("abs_rel", "rmse", "a1", "dee")
#: Values of the resampled matrices held at once by :func:`bootstrap_statistic` (16 MB of float64).
BOOTSTRAP_BLOCK_VALUES = 2_000_000
DEFINITIONS = {
    "dee": "DEE = (Abs Rel - delta1 + 1) / 2, region all (RoboDepth DEE_2; Kong et al. 2023)",
    "rr": "RR_c = sum_s (1 - DEE(c, s)) / (S (1 - DEE_clean)); mRR = mean_c RR_c (RoboDepth)",
    "ce": "CE_c = sum_s DEE(c, s) / sum_s DEE_baseline(c, s); mCE = mean_c CE_c (RoboDepth)",
    "intervals": "percentile bootstrap 95% CI over base frames (paired across corruptions and models)",
}


def depth_estimation_error(abs_rel, a1):
    """RoboDepth's DEE_2 = (Abs Rel - delta1 + 1) / 2 (delta1 as a fraction 0..1); arrays or floats."""
    return (np.asarray(abs_rel, dtype=float) - np.asarray(a1, dtype=float) + 1.0) / 2.0


def dee_matrix(frames: pd.DataFrame) -> pd.DataFrame:
    """Per-frame DEE as base frames x (corruption, severity) cells (NaN where a frame is missing).

    :param frames: rows of the ``robustness_frames`` table (``base_frame_id``, ``corruption``,
        ``severity``, ``dee``).
    """
    return frames.pivot_table(index="base_frame_id", columns=["corruption", "severity"], values="dee",
                              aggfunc="mean", dropna=True)


def bootstrap_statistic(matrix: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray],
                        rng: np.random.Generator | None, n_boot: int = N_BOOTSTRAP) -> tuple[np.ndarray, ...]:
    """A statistic of column means (NaN ignored) with percentile intervals over resampled rows.

    :param matrix: units (rows, resampled together) x columns.
    :param statistic: maps column means (..., n_columns) to values (..., k), vectorised.
    :returns: (value, ci_low, ci_high), each (k,); NaN bounds below MIN_BOOTSTRAP_UNITS rows.
    """
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        value = np.atleast_1d(statistic(np.nanmean(matrix, axis=0)))
        n = matrix.shape[0]
        if n < MIN_BOOTSTRAP_UNITS or rng is None:
            return value, np.full_like(value, np.nan), np.full_like(value, np.nan)
        block = max(1, min(n_boot, BOOTSTRAP_BLOCK_VALUES // max(1, matrix.size)))
        draws = []
        for start in range(0, n_boot, block):
            idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
            draws.append(statistic(np.nanmean(matrix[idx], axis=1)))
        alpha = (1 - CONFIDENCE) / 2
        low, high = np.nanquantile(np.concatenate(draws), [alpha, 1 - alpha], axis=0)
    return value, np.atleast_1d(low), np.atleast_1d(high)


def _estimates(names: list[str], value, low, high, n: int) -> dict[str, Estimate]:
    return {name: Estimate(float(v), float(lo), float(hi), n, BOOTSTRAP, "base_frames")
            for name, v, lo, hi in zip(names, value, low, high)}


def _corruption_columns(matrix: pd.DataFrame) -> tuple[list[str], list[np.ndarray]]:
    """Corruptions present (library order) and, for each, the column positions of its severities."""
    columns = list(matrix.columns)
    names = [c for c in CORRUPTION_NAMES if any(col[0] == c and col[1] != CLEAN_SEVERITY for col in columns)]
    return names, [np.array([i for i, col in enumerate(columns) if col[0] == c and col[1] != CLEAN_SEVERITY])
                   for c in names]


def resilience_rates(frames: pd.DataFrame, rng: np.random.Generator | None) -> dict[str, Any]:
    """RR per corruption and mRR (module docstring) with bootstrap intervals over base frames.

    :returns: ``{"corruptions": {name: Estimate}, "mrr": Estimate, "n_base_frames": int}``; an
        empty result when there are no clean frames.
    """
    matrix = dee_matrix(frames)
    clean = [i for i, col in enumerate(matrix.columns) if col[0] == CLEAN]
    names, positions = _corruption_columns(matrix)
    if not clean or not names:
        return {"corruptions": {}, "mrr": Estimate.missing(len(matrix), BOOTSTRAP, "base_frames"),
                "n_base_frames": int(len(matrix))}

    def statistic(means: np.ndarray) -> np.ndarray:
        base = 1.0 - means[..., clean[0]]
        rates = np.stack([(1.0 - means[..., p]).sum(axis=-1) / (len(p) * base) for p in positions], axis=-1)
        return np.concatenate([rates, rates.mean(axis=-1, keepdims=True)], axis=-1)

    value, low, high = bootstrap_statistic(matrix.to_numpy(float), statistic, rng)
    found = _estimates([*names, "mrr"], value, low, high, len(matrix))
    return {"corruptions": {n: found[n] for n in names}, "mrr": found["mrr"], "n_base_frames": int(len(matrix))}


def _frames_table(results: Any) -> pd.DataFrame:
    """The ``robustness_frames`` table of a results folder (:class:`evaluator.results.format.Results`)
    or the table itself."""
    if isinstance(results, pd.DataFrame):
        return results
    table = results.table("robustness_frames")
    if table is None:
        raise EvaluationArgumentError(f"{getattr(results, 'root', 'results')}: no robustness_frames table (not a "
                                      "robustness set, or evaluated before the robustness analysis existed)")
    return table


def corruption_errors(results: Any, baseline_results: Any, rng: np.random.Generator | None = None) -> dict[str, Any]:
    """RoboDepth's CE per corruption and mCE of a model relative to a baseline model.

    ``CE_c = sum_s DEE(model, c, s) / sum_s DEE(baseline, c, s)``, ``mCE = mean_c CE_c`` over the
    corruptions and severities both have, on the base frames both have (paired bootstrap interval
    over them when ``rng`` is given).

    :param results, baseline_results: results folders (:func:`evaluator.results.format.read_results`)
        of the two models on the same stimulus set, or their ``robustness_frames`` tables.
    :raises EvaluationArgumentError: a side has no robustness table, the sets differ (spec hash), or
        nothing is shared (one line).
    """
    hashes = {(getattr(r, "summary", None) or {}).get("stimulus_set", {}).get("spec_hash")
              for r in (results, baseline_results)}
    if len(hashes - {None}) > 1:
        raise EvaluationArgumentError("corruption errors need two evaluations of the same stimulus set "
                                      "(spec hashes differ)")
    model, base = dee_matrix(_frames_table(results)), dee_matrix(_frames_table(baseline_results))
    rows = model.index.intersection(base.index)
    columns = [c for c in model.columns.intersection(base.columns) if c[0] != CLEAN]
    if rows.empty or not columns:
        raise EvaluationArgumentError("the two evaluations share no corrupted frames")
    model, base = model.loc[rows, columns], base.loc[rows, columns]
    names, positions = _corruption_columns(model)
    width = len(columns)

    def statistic(means: np.ndarray) -> np.ndarray:
        ce = np.stack([means[..., p].sum(axis=-1) / means[..., width + p].sum(axis=-1) for p in positions], axis=-1)
        return np.concatenate([ce, ce.mean(axis=-1, keepdims=True)], axis=-1)

    value, low, high = bootstrap_statistic(np.hstack([model.to_numpy(float), base.to_numpy(float)]), statistic, rng)
    found = _estimates([*names, "mce"], value, low, high, len(rows))
    return {"corruptions": {n: found[n] for n in names}, "mce": found["mce"], "n_base_frames": int(len(rows)),
            "definition": DEFINITIONS["ce"]}


def _cell_fit(objects: pd.DataFrame) -> dict[str, Any]:
    """Cue-fit columns of one cell's objects: joint coefficients with intervals and the verdict."""
    fit = fit_cues(objects) if len(objects) else None
    out: dict[str, Any] = {"verdict": fit.verdict if fit else "none", "n_objects": fit.n_objects if fit else 0}
    for cue in ("vertical", "size"):
        est = fit.cues.get(cue) if fit else None
        out.update({f"cue_{cue}": est.value if est else np.nan, f"cue_{cue}_ci_low": est.ci_low if est else np.nan,
                    f"cue_{cue}_ci_high": est.ci_high if est else np.nan})
    return out


def _cell_pose(pose: pd.DataFrame | None, canonical, rng: np.random.Generator) -> dict[str, float]:
    """Pose-following columns (value and interval per factor the cell's frames vary)."""
    if pose is None or pose.empty:
        return {}
    section = summarise_pose(pose, canonical, rng)
    out = {}
    for key, *_ in FOLLOWING.values():
        if key in section:
            out.update({key: section[key]["value"], f"{key}_ci_low": section[key]["ci_low"],
                        f"{key}_ci_high": section[key]["ci_high"]})
    return out


def cell_table(frames: pd.DataFrame, objects: pd.DataFrame, pose: pd.DataFrame | None, canonical,
               rng: np.random.Generator) -> pd.DataFrame:
    """One row per (corruption, severity), clean first: mean metrics with intervals over frames,
    cue fit on the cell's objects, pose following where the set varies the pose."""
    order = {name: i for i, name in enumerate((CLEAN, *CORRUPTION_NAMES))}
    cells = sorted(frames.groupby(["corruption", "severity"]).groups, key=lambda k: (order.get(k[0], 99), k[1]))
    rows = []
    for corruption, severity in cells:
        part = frames[(frames["corruption"] == corruption) & (frames["severity"] == severity)]
        row = {"corruption": corruption, "corruption_family": part["corruption_family"].iloc[0],
               "severity": int(severity), "n_frames": int(len(part))}
        value, low, high = bootstrap_mean_columns(part[list(FRAME_METRICS)].to_numpy(float), rng)
        for i, metric in enumerate(FRAME_METRICS):
            row.update({metric: float(value[i]), f"{metric}_ci_low": float(low[i]), f"{metric}_ci_high": float(high[i])})
        ids = set(part["frame_id"])
        row.update(_cell_fit(objects[objects["frame_id"].isin(ids)]))
        row.update(_cell_pose(None if pose is None else pose[pose["frame_id"].isin(ids)], canonical, rng))
        rows.append(row)
    table = pd.DataFrame(rows)
    clean = table.loc[table["corruption"] == CLEAN, "verdict"]
    table["verdict_changed"] = (table["verdict"] != clean.iloc[0]) if len(clean) else False
    return table


def summarise(cells: pd.DataFrame, frames: pd.DataFrame, rng: np.random.Generator) -> dict[str, Any]:
    """The summary section: clean error, per corruption its DEE by severity, RR and family, mRR
    (overall and per family), and the cells whose cue verdict differs from the clean one."""
    rates = resilience_rates(frames, rng)
    clean = cells[cells["corruption"] == CLEAN]
    corrupted = cells[cells["corruption"] != CLEAN]
    per = {}
    for name, part in corrupted.groupby("corruption", sort=False):
        per[name] = {"family": part["corruption_family"].iloc[0],
                     "dee_by_severity": {int(s): float(v) for s, v in zip(part["severity"], part["dee"])},
                     "verdict_by_severity": {int(s): v for s, v in zip(part["severity"], part["verdict"])},
                     "resilience_rate": rates["corruptions"][name].to_dict("n_base_frames")
                     if name in rates["corruptions"] else None}
    families = {}
    for family in FAMILIES:
        values = [rates["corruptions"][n].value for n, e in per.items() if e["family"] == family
                  and n in rates["corruptions"]]
        if values:
            families[family] = {"mrr": float(np.mean(values)), "n_corruptions": len(values)}
    switches = corrupted[corrupted["verdict_changed"].astype(bool)]
    return {
        "error_metric": DEFINITIONS["dee"], "definitions": DEFINITIONS, "n_base_frames": rates["n_base_frames"],
        "clean": ({"dee": float(clean["dee"].iloc[0]), "abs_rel": float(clean["abs_rel"].iloc[0]),
                   "a1": float(clean["a1"].iloc[0]), "verdict": clean["verdict"].iloc[0]} if len(clean) else None),
        "corruptions": per, "families": families, "mrr": rates["mrr"].to_dict("n_base_frames"),
        "cue_switches": [{"corruption": r.corruption, "severity": int(r.severity), "verdict": r.verdict}
                         for r in switches.itertuples()],
    }


class RobustnessAnalysis:
    """Corruption robustness as an analysis (:mod:`evaluator.analyses.base`): tables ``robustness``
    (one row per corruption and severity) and ``robustness_frames`` (one row per frame: its base
    frame, corruption, severity, Abs Rel, RMSE, delta1, DEE), summary section ``robustness``."""

    name = "robustness"
    tables = ("robustness", "robustness_frames")
    stream = 5

    def __init__(self, context: SetContext) -> None:
        self.context = context
        frames = context.stimulus_set.frames
        self.applies = all(c in frames.columns for c in REQUIRED_COLUMNS)
        self.rows: list[dict] = []
        self.pose_rows: list[dict] = []
        self.frame_levels: pd.DataFrame | None = None
        self.varies_pose = False
        if self.applies:
            levels = frames[["frame_id", *REQUIRED_COLUMNS]].copy()
            levels["corruption_family"] = (frames["corruption_family"] if "corruption_family" in frames.columns
                                           else levels["corruption"])
            levels["base_frame_id"] = frames["base_frame_id"] if "base_frame_id" in frames.columns else frames["frame_id"]
            self.frame_levels = levels
            self.varies_pose = any(c in frames.columns and pd.to_numeric(frames[c], errors="coerce").nunique() > 1
                                   for c in FOLLOWING)

    def add_frame(self, frame: FrameData) -> None:
        if not self.applies:
            return
        rows = frame_metrics(frame.frame_id, frame.depth, frame.gt, frame.semantic, frame.instances,
                             self.context.max_depth_m)
        everything = next((r for r in rows if r["region"] == "all"), None)
        if everything is not None:
            self.rows.append({k: everything[k] for k in ("frame_id", "abs_rel", "rmse", "a1")})
        if self.varies_pose:
            self.pose_rows.append(pose_row(frame.frame_id, frame.camera,
                                           frame_pose(frame.depth, frame.semantic, frame.camera)))

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        if not self.applies or not self.rows:
            return AnalysisOutput({"robustness": None, "robustness_frames": None}, {"robustness": None})
        rng = rng if rng is not None else np.random.default_rng([0, self.stream])
        frames = pd.DataFrame(self.context.sort_rows(self.rows)).merge(self.frame_levels, on="frame_id", how="left")
        frames["severity"] = frames["severity"].astype(int)
        frames["dee"] = depth_estimation_error(frames["abs_rel"], frames["a1"])
        frames = frames[["frame_id", "base_frame_id", "corruption", "corruption_family", "severity",
                         "abs_rel", "rmse", "a1", "dee"]]
        pose = None
        if self.varies_pose:
            pose = pd.DataFrame(self.context.sort_rows(self.pose_rows)).merge(
                self.context.frame_columns(), on="frame_id", how="left")
        cells = cell_table(frames, objects, pose, self.context.canonical, rng)
        return AnalysisOutput({"robustness": cells, "robustness_frames": frames},
                              {"robustness": summarise(cells, frames, rng)})
