"""Which cue explains the predicted distances: vertical position or apparent size.

Model (ordinary least squares, statsmodels), one row per object::

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
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant
from scipy import stats

CUES = ("vertical", "size")
CUE_COLUMNS = {"vertical": "z_vertical", "size": "z_size"}
CUE_WORDS = {"vertical": "vertical position", "size": "apparent size"}
#: Fewest objects for a fit: 3 parameters, and HC3 needs leverages clearly below 1.
MIN_OBJECTS = 10
#: Above this |correlation| of log cues the cues share > 98 % of their variance and the
#: joint standard errors are inflated by sqrt(1 / (1 - r^2)) > 7: the set cannot separate them.
MAX_CUE_CORRELATION = 0.99
CONFIDENCE = 0.95


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
        res = OLS(y, np.ones_like(y)).fit()
        return ModelFit(0.0, _finite_or_none(res.aic), None)
    res = OLS(y, add_constant(x, has_constant="add")).fit()
    return ModelFit(_finite_or_none(res.rsquared), _finite_or_none(res.aic), float(res.params[1]))


def _joint_fit(y: np.ndarray, x: dict[str, np.ndarray], n: int, n_frames: int, n_excluded: int,
               single: dict[str, ModelFit], r: float) -> CueFit:
    design = add_constant(np.column_stack([x["vertical"], x["size"]]), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # HC3 with a leverage of 1 divides by 0
        res = OLS(y, design).fit(cov_type="HC3")
    params, cov = np.asarray(res.params, float), np.asarray(res.cov_params(), float)
    if not np.all(np.isfinite(cov)):
        return _no_fit("the robust (HC3) intervals cannot be computed for these objects",
                       n, n_frames, n_excluded, single, r)
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    coef = [_coefficient(params[i], cov[i, i], z) for i in range(3)]
    diff = _coefficient(params[1] - params[2], cov[1, 1] + cov[2, 2] - 2 * cov[1, 2], z)
    cues = {"vertical": coef[1], "size": coef[2]}
    verdict = decide_verdict(cues, diff)
    fit = CueFit(verdict, "", n, n_frames, n_excluded, None, cues, diff, coef[0], single,
                 ModelFit(_finite_or_none(res.rsquared), _finite_or_none(res.aic)), r)
    fit.verdict_text = describe(fit)
    return fit


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
        return f"{lead}: coefficient {_fmt(main)} vs {CUE_WORDS[other_cue]} {_fmt(other)}{tail}, {n}."
    if fit.verdict == "both":
        return (f"Predicted distance follows both vertical position ({_fmt(v)}) and apparent size "
                f"({_fmt(s)}), neither clearly more (difference {_fmt(d)}), {n}.")
    extra = f"; {fit.reason}" if fit.reason else ""
    return (f"Predicted distance follows neither cue: vertical position {_fmt(v)}, apparent size "
            f"{_fmt(s)}{extra}, {n}.")
