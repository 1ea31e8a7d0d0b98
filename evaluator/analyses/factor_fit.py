"""Every factor a set varies: the cue fit extended by the other regressors.

Model (OLS, as the cue fit of :mod:`evaluator.analyses.cue_fit`), one row per usable object::

    log(estimate_m) = b0 + b_v log(z_vertical) + b_s log(z_size) + sum_k b_k f_k + e

with f_k the factors of FACTOR_CANDIDATES that the objects (or their frames) vary.  How a
factor enters: a positive distance (LOG_FACTORS: camera height) by its log, so its
coefficient is an exponent like the cues'; True/False as 0/1; text (familiarity) as one 0/1
indicator per level other than the first in sorted order (familiar < novel); any other number
linearly (its coefficient is the change of log distance per unit: per m of elevation, per
degree of pitch, ...).  Terms enter in order; a term that does not vary, or that the terms
before it explain (R^2 > MAX_CUE_CORRELATION^2 of it on them: e.g. elevation, which moves the
contact row and so z_vertical), is left out and named with the reason -- the set cannot
separate it, which is a finding, not a number.

Intervals: the one rule of :mod:`evaluator.analyses.intervals` (HC3, Student-t 95 %).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, ObjectsOnly
from evaluator.analyses.cue_fit import (CUE_COLUMNS, MAX_CUE_CORRELATION, MIN_OBJECTS, coefficient_columns,
                                        finite_or_none, usable_objects, with_constant)
from evaluator.analyses.intervals import Estimate, format_estimate, ols

#: Factors besides the two cues, in the order they enter the fit.
FACTOR_CANDIDATES = ("elevation_m", "camera_height_m", "pitch_deg", "roll_deg", "shadow", "band_thickness_px",
                     "band_value", "familiarity", "hue", "value")
FACTOR_WORDS = {"z_vertical": "vertical position", "z_size": "apparent size", "elevation_m": "elevation",
                "camera_height_m": "camera height", "pitch_deg": "camera pitch", "roll_deg": "camera roll",
                "shadow": "shadow", "band_thickness_px": "contact band thickness",
                "band_value": "contact band brightness", "familiarity": "familiarity", "hue": "hue",
                "value": "brightness"}
#: Factors that are positive distances: they enter by their log (an exponent, like the cues).
#: Elevation is a distance too, but 0 (on the road) is its natural level, so it enters linearly.
LOG_FACTORS = ("camera_height_m",)
#: Frames-table columns a factor fit may take (joined on frame_id when the objects lack them).
FRAME_FACTOR_COLUMNS = ("camera_height_m", "pitch_deg", "roll_deg")


@dataclass(frozen=True)
class FactorTerm:
    """One candidate regressor of the factor fit.

    :ivar name: e.g. ``"log z_vertical"``, ``"pitch_deg"``, ``"familiarity=novel"``.
    :ivar transform: ``"log"``, ``"linear"`` or ``"indicator"``.
    :ivar status: ``"fitted"``, ``"constant"`` (does not vary) or ``"collinear"``.
    :ivar coef: its coefficient when fitted, else None.
    :ivar note: why it is not fitted (which terms explain it), else None.
    """

    name: str
    column: str
    transform: str
    status: str
    coef: Estimate | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        """Plain data for the summary: the term's description and its coefficient as an
        Estimate's entries (``value``, ``ci_low``, ... ; None when it is not fitted)."""
        coef = (self.coef.to_dict("n_objects") if self.coef else
                {"value": None, "ci_low": None, "ci_high": None, "n_objects": None, "method": None})
        return {"column": self.column, "transform": self.transform, "status": self.status, "note": self.note, **coef}


@dataclass
class FactorFit:
    """Result of :func:`fit_factors`: the terms (fitted and left out), fit quality, a sentence."""

    verdict_text: str
    n_objects: int
    n_frames: int
    n_excluded: int
    terms: list[FactorTerm] = field(default_factory=list)
    reason: str | None = None
    r2: float | None = None
    aic: float | None = None

    @property
    def fitted(self) -> dict[str, FactorTerm]:
        return {t.name: t for t in self.terms if t.status == "fitted"}

    def to_dict(self) -> dict:
        return {"verdict_text": self.verdict_text, "reason": self.reason, "n_objects": self.n_objects,
                "n_frames": self.n_frames, "n_excluded": self.n_excluded, "r2": self.r2, "aic": self.aic,
                "terms": {t.name: t.to_dict() for t in self.terms},
                "model": "OLS log(estimate) ~ log cues + varied factors, HC3 Student-t 95% CI"}


def with_frame_factors(objects: pd.DataFrame, frames: pd.DataFrame | None) -> pd.DataFrame:
    """``objects`` plus the frames' pose columns it lacks (joined on ``frame_id``)."""
    if frames is None:
        return objects
    wanted = [c for c in FRAME_FACTOR_COLUMNS if c in frames.columns and c not in objects.columns]
    if not wanted:
        return objects
    return objects.merge(frames[["frame_id", *wanted]], on="frame_id", how="left")


def _candidate_terms(data: pd.DataFrame) -> list[tuple[str, str, str, np.ndarray]]:
    """(name, column, transform, values) of every candidate term present in ``data``."""
    terms = [(f"log {col}", col, "log", np.log(data[col].to_numpy(float))) for col in CUE_COLUMNS.values()]
    for col in FACTOR_CANDIDATES:
        if col not in data.columns:
            continue
        series = data[col]
        if pd.api.types.is_bool_dtype(series):
            terms.append((col, col, "indicator", series.astype(float).to_numpy()))
        elif pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy(float)
            if col in LOG_FACTORS and np.all(values > 0):
                terms.append((f"log {col}", col, "log", np.log(values)))
            else:
                terms.append((col, col, "linear", values))
        else:
            levels = sorted(series.astype(str).unique())
            for level in levels[1:]:
                terms.append((f"{col}={level}", col, "indicator", (series.astype(str) == level).to_numpy(float)))
            if len(levels) == 1:
                terms.append((f"{col}={levels[0]}", col, "indicator", np.ones(len(series))))
    return terms


def _usable_factor_rows(objects: pd.DataFrame, estimate_column: str) -> pd.DataFrame:
    data = usable_objects(objects, estimate_column)
    present = [c for c in FACTOR_CANDIDATES if c in data.columns]
    numeric = [c for c in present if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])]
    keep = np.ones(len(data), dtype=bool)
    for col in present:
        keep &= data[col].notna().to_numpy()
    for col in numeric:
        keep &= np.isfinite(data[col].to_numpy(float))
    return data.loc[keep]


def fit_factors(objects: pd.DataFrame, frames: pd.DataFrame | None = None,
                estimate_column: str = "estimate_m") -> FactorFit:
    """Fit log estimate on the log cues and every factor the objects vary (see above).

    :param objects: objects table with ``estimate_column``, ``z_vertical``, ``z_size`` and any of
        ``FACTOR_CANDIDATES``; ``frames`` (optional) supplies the pose columns.
    """
    data = _usable_factor_rows(with_frame_factors(objects, frames), estimate_column)
    n, n_excluded = len(data), len(objects) - len(data)
    n_frames = int(data["frame_id"].nunique()) if "frame_id" in data else n
    if n < MIN_OBJECTS:
        reason = f"only {n} object(s) with a usable estimate, cues and factors (need {MIN_OBJECTS})"
        return FactorFit(f"No factor fit: {reason}.", n, n_frames, n_excluded, reason=reason)
    y = np.log(data[estimate_column].to_numpy(float))
    if np.ptp(y) == 0:
        reason = "the predicted distances are identical for every object"
        return FactorFit(f"No factor fit: {reason}.", n, n_frames, n_excluded, reason=reason)
    terms: list[FactorTerm] = []
    chosen: list[tuple[str, str, str, np.ndarray]] = []
    for name, col, transform, values in _candidate_terms(data):
        if np.ptp(values) == 0:
            terms.append(FactorTerm(name, col, transform, "constant", note="does not vary"))
            continue
        explained, by = _explained(values, chosen)
        if explained > MAX_CUE_CORRELATION ** 2:
            terms.append(FactorTerm(name, col, transform, "collinear",
                                    note=f"moves with {by}, R\u00b2 {explained:.4f}; the set cannot separate it"))
            continue
        chosen.append((name, col, transform, values))
        terms.append(FactorTerm(name, col, transform, "fitted"))
    if not chosen:
        reason = "no cue or factor varies"
        return FactorFit(f"No factor fit: {reason}.", n, n_frames, n_excluded, terms, reason)
    design = with_constant(*[c[3] for c in chosen])
    if n <= design.shape[1] + 1:
        reason = f"{n} objects for {design.shape[1]} parameters"
        return FactorFit(f"No factor fit: {reason}.", n, n_frames, n_excluded, terms, reason)
    res = ols(y, design)
    if res is None:
        reason = "the robust (HC3) intervals cannot be computed for these objects"
        return FactorFit(f"No factor fit: {reason}.", n, n_frames, n_excluded, terms, reason)
    coefs = {c[0]: res.estimate(i + 1, unit="objects") for i, c in enumerate(chosen)}
    terms = [FactorTerm(t.name, t.column, t.transform, t.status, coefs.get(t.name), t.note) for t in terms]
    fit = FactorFit("", n, n_frames, n_excluded, terms, None, finite_or_none(res.r2), finite_or_none(res.aic))
    fit.verdict_text = describe_factors(fit)
    return fit


def _explained(values: np.ndarray, chosen: list[tuple[str, str, str, np.ndarray]]) -> tuple[float, str]:
    """R^2 of ``values`` on the chosen terms (with constant) and the chosen term most correlated."""
    if not chosen:
        return 0.0, ""
    design = with_constant(*[c[3] for c in chosen])
    beta, *_ = np.linalg.lstsq(design, values, rcond=None)
    resid = values - design @ beta
    r2 = 1.0 - float(resid @ resid) / float(np.sum((values - values.mean()) ** 2))
    corr = [abs(np.corrcoef(values, c[3])[0, 1]) for c in chosen]
    return r2, _term_words(chosen[int(np.argmax(corr))][0])


def _term_words(name: str) -> str:
    base = name.removeprefix("log ")
    column, _, level = base.partition("=")
    words = FACTOR_WORDS.get(column, column)
    return f"{words} ({level})" if level else words


def _unit(term: FactorTerm) -> str:
    if term.transform == "log":
        return "exponent"
    if term.transform == "indicator":
        return "log ratio"
    unit = term.column.rsplit("_", 1)[-1] if "_" in term.column else "unit"
    return f"per {unit}"


def describe_factors(fit: FactorFit) -> str:
    """The factor fit in words: which terms change the predicted distance, which do not, which
    the set cannot separate."""
    used, unclear, left = [], [], []
    for term in fit.terms:
        if term.status == "fitted" and term.coef is not None:
            text = f"{_term_words(term.name)} {format_estimate(term.coef)} ({_unit(term)})"
            (used if term.coef.excludes_zero() else unclear).append(text)
        elif term.status == "collinear":
            left.append(f"{_term_words(term.name)} ({term.note.split(';')[0]})")
    parts = [f"Predicted distance changes with {', '.join(used)}" if used else "Predicted distance changes with no "
             "fitted cue or factor"]
    if unclear:
        parts.append(f"no clear effect of {', '.join(unclear)}")
    if left:
        parts.append(f"not separable in this set: {', '.join(left)}")
    return "; ".join(parts) + f"; n = {fit.n_objects} objects in {fit.n_frames} frames."


class FactorFitAnalysis(ObjectsOnly):
    """The factor fit as an analysis: rows of model ``factor`` in the ``cue_fit`` table (after the
    cue fit's rows) and the summary section ``factor_fit``."""

    name = "factor_fit"
    tables = ("cue_fit",)

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        fit = fit_factors(objects)
        rows = [{"model": "factor", "term": term.name, "status": term.status, **coefficient_columns(term.coef),
                 "n_objects": fit.n_objects, "note": term.note} for term in fit.terms]
        return AnalysisOutput({"cue_fit": pd.DataFrame(rows)}, {"factor_fit": fit.to_dict()})
