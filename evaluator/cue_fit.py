"""Which cue explains the predicted distances: vertical position or apparent size; and the same
fit extended to every other factor the set varies (:func:`fit_factors`, further below).

Model (ordinary least squares; :func:`evaluator.intervals.ols`, the same numbers as statsmodels'
``OLS(...).fit(cov_type="HC3")``), one row per object::

    log(estimate_m) = b0 + b_vertical * log(z_vertical) + b_size * log(z_size) + e

on the objects with a finite positive estimate and finite positive cues.  ``z_vertical`` is the
distance the object's contact row implies for the canonical camera on a flat road, ``z_size`` the
distance its apparent height implies for its class height (see the objects table).  A
coefficient of 1 means the prediction scales fully with that cue, 0 that it ignores it.
Intervals are 95 % Wald intervals with heteroscedasticity-robust (HC3) standard errors, as the
spread of predictions differs between near and far objects.  Each single-cue model
(``log estimate ~ log cue``) and the joint model are also reported by R^2 and AIC.

Verdict rule:

* a cue *is used* when the lower end of its joint-fit 95 % interval lies above 0;
* ``"none"`` when neither cue is used;
* ``"vertical"`` or ``"size"`` when only that cue is used;
* when both are used: the cue with the larger coefficient if the 95 % interval of the
  difference ``b_vertical - b_size`` (from the joint HC3 covariance) excludes 0, else ``"both"``.

Degenerate data give verdict ``"none"`` with a ``reason`` and no cue coefficients, never a
number that means nothing: fewer than ``MIN_OBJECTS`` usable objects; predictions identical for
every object; a cue that does not vary;
cues so correlated (``|r| > MAX_CUE_CORRELATION`` between their logs) that the set cannot tell
them apart -- e.g. a set with only the natural "position and size" condition, where both cues
move together.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from evaluator.intervals import ols

CUES = ("vertical", "size")
CUE_COLUMNS = {"vertical": "z_vertical", "size": "z_size"}
CUE_WORDS = {"vertical": "vertical position", "size": "apparent size"}
#: Fewest objects for a fit: 3 parameters, and HC3 needs leverages clearly below 1.
MIN_OBJECTS = 10
#: Above this |correlation| of log cues the cues share > 98 % of their variance and the
#: joint standard errors are inflated by sqrt(1 / (1 - r^2)) > 7: the set cannot separate them.
MAX_CUE_CORRELATION = 0.99
CONFIDENCE = 0.95
#: Words for how strongly the prediction follows the winning cue (its joint coefficient; 1 = the
#: estimate scales exactly as the cue's distance, 0 = not at all): upper bounds of each band.
#: Thirds of the unit response, so that "follows vertical position" at 0.1 is not read as at 1.
STRENGTH_WORDS = ((1 / 3, "weakly"), (2 / 3, "partly"), (4 / 3, "about fully"), (math.inf, "more than fully"))


@dataclass(frozen=True)
class Coefficient:
    """A coefficient with its 95 % interval (HC3) and standard error."""

    coef: float
    ci_low: float
    ci_high: float
    se: float


@dataclass(frozen=True)
class ModelFit:
    """Goodness of one regression: R^2 and AIC (lower is better), and its slope(s)."""

    r2: float | None
    aic: float | None
    coef: float | None = None


@dataclass
class CueFit:
    """Result of :func:`fit_cues` (see the module docstring for the verdict rule).

    :ivar verdict: ``"vertical"``, ``"size"``, ``"both"`` or ``"none"``.
    :ivar verdict_text: one sentence in words with coefficients, intervals and n.
    :ivar reason: why there is no fit (degenerate data), else None.
    :ivar cues: joint-fit coefficient per cue (empty when there is no fit).
    :ivar difference: ``b_vertical - b_size`` with its interval (None when there is no fit).
    :ivar n_objects, n_frames: objects and distinct frames behind the fit.
    :ivar n_excluded: objects left out (no estimate, or non-finite / non-positive cue).
    """

    verdict: str
    verdict_text: str
    n_objects: int
    n_frames: int
    n_excluded: int
    reason: str | None = None
    cues: dict[str, Coefficient] = field(default_factory=dict)
    difference: Coefficient | None = None
    intercept: Coefficient | None = None
    single_cue: dict[str, ModelFit] = field(default_factory=dict)
    joint: ModelFit | None = None
    cue_correlation: float | None = None

    def to_dict(self) -> dict:
        """Plain data for the results summary (NaN stays NaN; the writer turns it into null)."""
        return {
            "verdict": self.verdict, "verdict_text": self.verdict_text, "reason": self.reason,
            "n_objects": self.n_objects, "n_frames": self.n_frames, "n_excluded": self.n_excluded,
            "cues": {k: asdict(v) for k, v in self.cues.items()} or {k: None for k in CUES},
            "difference_vertical_minus_size": asdict(self.difference) if self.difference else None,
            "intercept": asdict(self.intercept) if self.intercept else None,
            "single_cue": {k: asdict(v) for k, v in self.single_cue.items()} or {k: None for k in CUES},
            "joint": {"r2": self.joint.r2, "aic": self.joint.aic} if self.joint else None,
            "cue_correlation": self.cue_correlation,
            "model": "OLS log(estimate) ~ log(z_vertical) + log(z_size), HC3 95% CI",
        }


def usable_objects(objects: pd.DataFrame, estimate_column: str = "estimate_m") -> pd.DataFrame:
    """Rows with a finite positive estimate and finite positive cues."""
    cols = [estimate_column, *CUE_COLUMNS.values()]
    values = objects[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    ok = np.all(np.isfinite(values) & (values > 0), axis=1)
    return objects.loc[ok]


def fit_cues(objects: pd.DataFrame, estimate_column: str = "estimate_m") -> CueFit:
    """Fit the cue model to an objects table with ``estimate_column``, ``z_vertical``, ``z_size``.

    :returns: a :class:`CueFit`; degenerate data give verdict ``"none"`` with a reason.
    """
    data = usable_objects(objects, estimate_column)
    n, n_excluded = len(data), len(objects) - len(data)
    n_frames = int(data["frame_id"].nunique()) if "frame_id" in data else n
    if n < MIN_OBJECTS:
        return _no_fit(f"only {n} object(s) with a usable estimate and cues (need {MIN_OBJECTS})",
                       n, n_frames, n_excluded)
    y = np.log(data[estimate_column].to_numpy(float))
    x = {cue: np.log(data[col].to_numpy(float)) for cue, col in CUE_COLUMNS.items()}
    if np.ptp(y) == 0:  # R^2 would be 0/0 and the slopes rounding noise
        return _no_fit("the predicted distances are identical for every object, so they follow "
                       "no cue", n, n_frames, n_excluded)
    single = {cue: _single_fit(y, x[cue]) for cue in CUES}
    flat = [CUE_WORDS[c] for c in CUES if np.ptp(x[c]) == 0]
    if flat:
        return _no_fit(f"{' and '.join(flat)} does not vary across the objects, so the cues cannot "
                       "be compared", n, n_frames, n_excluded, single)
    r = float(np.corrcoef(x["vertical"], x["size"])[0, 1])
    if abs(r) > MAX_CUE_CORRELATION:
        return _no_fit(f"the two cues move together (correlation of their logs {r:.4f}), so the set "
                       "cannot tell them apart; include the position-only and size-only conditions",
                       n, n_frames, n_excluded, single, r)
    return _joint_fit(y, x, n, n_frames, n_excluded, single, r)


def _single_fit(y: np.ndarray, x: np.ndarray) -> ModelFit:
    """log estimate ~ log cue; a cue that does not vary explains nothing (R^2 0, no slope)."""
    if np.ptp(x) == 0:
        res = ols(y, np.ones((y.size, 1)))
        return ModelFit(0.0, _finite_or_none(res.aic) if res else None, None)
    res = ols(y, _with_constant(x))
    if res is None:
        return ModelFit(None, None, None)
    return ModelFit(_finite_or_none(res.r2), _finite_or_none(res.aic), float(res.params[1]))


def _joint_fit(y: np.ndarray, x: dict[str, np.ndarray], n: int, n_frames: int, n_excluded: int,
               single: dict[str, ModelFit], r: float) -> CueFit:
    res = ols(y, _with_constant(x["vertical"], x["size"]))  # HC3, as statsmodels' cov_type="HC3"
    if res is None:  # a leverage of 1 (HC3 divides by 0)
        return _no_fit("the robust (HC3) intervals cannot be computed for these objects",
                       n, n_frames, n_excluded, single, r)
    params, cov = res.params, res.cov
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    coef = [_coefficient(params[i], cov[i, i], z) for i in range(3)]
    diff = _coefficient(params[1] - params[2], cov[1, 1] + cov[2, 2] - 2 * cov[1, 2], z)
    cues = {"vertical": coef[1], "size": coef[2]}
    verdict = decide_verdict(cues, diff)
    fit = CueFit(verdict, "", n, n_frames, n_excluded, None, cues, diff, coef[0], single,
                 ModelFit(_finite_or_none(res.r2), _finite_or_none(res.aic)), r)
    fit.verdict_text = describe(fit)
    return fit


def _with_constant(*columns: np.ndarray) -> np.ndarray:
    """Design matrix: a constant column, then ``columns``."""
    return np.column_stack([np.ones_like(columns[0]), *columns])


def _coefficient(value: float, variance: float, z: float) -> Coefficient:
    se = math.sqrt(max(float(variance), 0.0))
    return Coefficient(float(value), float(value - z * se), float(value + z * se), se)


def decide_verdict(cues: dict[str, Coefficient], difference: Coefficient) -> str:
    """Apply the verdict rule (module docstring) to joint-fit coefficients."""
    used = [cue for cue in CUES if cues[cue].ci_low > 0]
    if not used:
        return "none"
    if len(used) == 1:
        return used[0]
    if difference.ci_low > 0:
        return "vertical"
    if difference.ci_high < 0:
        return "size"
    return "both"


def _no_fit(reason: str, n: int, n_frames: int, n_excluded: int,
            single: dict[str, ModelFit] | None = None, r: float | None = None) -> CueFit:
    fit = CueFit("none", "", n, n_frames, n_excluded, reason, single_cue=single or {},
                 cue_correlation=r)
    fit.verdict_text = describe(fit)
    return fit


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _fmt(c: Coefficient) -> str:
    return f"{_num(c.coef)} [{_num(c.ci_low)}, {_num(c.ci_high)}]"


def _num(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text.replace("-", "\u2212")


def strength_word(coef: float) -> str:
    """How strongly a coefficient follows its cue, in words (see STRENGTH_WORDS)."""
    return next(word for bound, word in STRENGTH_WORDS if coef < bound)


def describe(fit: CueFit) -> str:
    """The verdict as one sentence, e.g. "Predicted distance follows vertical position:
    coefficient 0.98 [0.95, 1.01] vs apparent size 0.01 [−0.02, 0.04], n = 189 objects in 189 frames."
    """
    n = f"n = {fit.n_objects} objects in {fit.n_frames} frames"
    if fit.reason and not fit.cues:
        return f"No verdict: {fit.reason} ({n})."
    v, s, d = fit.cues["vertical"], fit.cues["size"], fit.difference
    if fit.verdict in ("vertical", "size"):
        main, other = (v, s) if fit.verdict == "vertical" else (s, v)
        other_cue = "size" if fit.verdict == "vertical" else "vertical"
        both = other.ci_low > 0
        lead = (f"Predicted distance follows {CUE_WORDS[fit.verdict]} more than {CUE_WORDS[other_cue]}"
                if both else f"Predicted distance follows {CUE_WORDS[fit.verdict]}")
        tail = f" (difference {_fmt(d)})" if both else ""
        return (f"{lead}: coefficient {_fmt(main)} ({strength_word(main.coef)}; 1 = fully) vs "
                f"{CUE_WORDS[other_cue]} {_fmt(other)}{tail}, {n}.")
    if fit.verdict == "both":
        return (f"Predicted distance follows both vertical position ({_fmt(v)}) and apparent size "
                f"({_fmt(s)}), neither clearly more (difference {_fmt(d)}), {n}.")
    extra = f"; {fit.reason}" if fit.reason else ""
    return (f"Predicted distance follows neither cue: vertical position {_fmt(v)}, apparent size "
            f"{_fmt(s)}{extra}, {n}.")


# --------------------------------------------------------------------------------------------
# Every factor a set varies: the cue fit extended by the other regressors.
#
# Model (OLS, HC3 95 % Wald intervals as above), one row per usable object::
#
#     log(estimate_m) = b0 + b_v log(z_vertical) + b_s log(z_size) + sum_k b_k f_k + e
#
# with f_k the factors of FACTOR_CANDIDATES that the objects (or their frames) vary.  How a
# factor enters: a positive distance (LOG_FACTORS: camera height) by its log, so its
# coefficient is an exponent like the cues'; True/False as 0/1; text (familiarity) as one 0/1
# indicator per level other than the first in sorted order (familiar < novel); any other number
# linearly (its coefficient is the change of log distance per unit: per m of elevation, per
# degree of pitch, ...).  Terms enter in order; a term that does not vary, or that the terms
# before it explain (R^2 > MAX_CUE_CORRELATION^2 of it on them: e.g. elevation, which moves the
# contact row and so z_vertical), is left out and named with the reason -- the set cannot
# separate it, which is a finding, not a number.
# --------------------------------------------------------------------------------------------

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
    coef: Coefficient | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        out = {"column": self.column, "transform": self.transform, "status": self.status, "note": self.note}
        out.update(asdict(self.coef) if self.coef else {"coef": None, "ci_low": None, "ci_high": None, "se": None})
        return out


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
                "model": "OLS log(estimate) ~ log cues + varied factors, HC3 95% CI"}


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
    design = _with_constant(*[c[3] for c in chosen])
    if n <= design.shape[1] + 1:
        reason = f"{n} objects for {design.shape[1]} parameters"
        return FactorFit(f"No factor fit: {reason}.", n, n_frames, n_excluded, terms, reason)
    res = ols(y, design)
    if res is None:
        reason = "the robust (HC3) intervals cannot be computed for these objects"
        return FactorFit(f"No factor fit: {reason}.", n, n_frames, n_excluded, terms, reason)
    params, cov = res.params, res.cov
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    coefs = {c[0]: _coefficient(params[i + 1], cov[i + 1, i + 1], z) for i, c in enumerate(chosen)}
    terms = [FactorTerm(t.name, t.column, t.transform, t.status, coefs.get(t.name), t.note) for t in terms]
    fit = FactorFit("", n, n_frames, n_excluded, terms, None, _finite_or_none(res.r2), _finite_or_none(res.aic))
    fit.verdict_text = describe_factors(fit)
    return fit


def _explained(values: np.ndarray, chosen: list[tuple[str, str, str, np.ndarray]]) -> tuple[float, str]:
    """R^2 of ``values`` on the chosen terms (with constant) and the chosen term most correlated."""
    if not chosen:
        return 0.0, ""
    design = _with_constant(*[c[3] for c in chosen])
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
            text = f"{_term_words(term.name)} {_fmt(term.coef)} ({_unit(term)})"
            (used if term.coef.ci_low > 0 or term.coef.ci_high < 0 else unclear).append(text)
        elif term.status == "collinear":
            left.append(f"{_term_words(term.name)} ({term.note.split(';')[0]})")
    parts = [f"Predicted distance changes with {', '.join(used)}" if used else "Predicted distance changes with no "
             "fitted cue or factor"]
    if unclear:
        parts.append(f"no clear effect of {', '.join(unclear)}")
    if left:
        parts.append(f"not separable in this set: {', '.join(left)}")
    return "; ".join(parts) + f"; n = {fit.n_objects} objects in {fit.n_frames} frames."
