"""Which cue explains the predicted distances: vertical position or apparent size.

(The same fit extended to every other factor the set varies is :mod:`evaluator.analyses.factor_fit`.)

Model (ordinary least squares; :func:`evaluator.analyses.intervals.ols`, the same numbers as
statsmodels' ``OLS(...).fit(cov_type="HC3", use_t=True)``), one row per object::

    log(estimate_m) = b0 + b_vertical * log(z_vertical) + b_size * log(z_size) + e

on the objects with a finite positive estimate and finite positive cues.  ``z_vertical`` is the
distance the object's contact row implies for the canonical camera on a flat road, ``z_size`` the
distance its apparent height implies for its class height (see the objects table).  A
coefficient of 1 means the prediction scales fully with that cue, 0 that it ignores it.
Intervals are 95 % Student-t intervals (n - 3 degrees of freedom) with heteroscedasticity-robust
(HC3) standard errors, as the spread of predictions differs between near and far objects: the
one interval rule of :mod:`evaluator.analyses.intervals`.  Each single-cue model
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

from evaluator.analyses.base import AnalysisOutput, ObjectsOnly
from evaluator.analyses.intervals import Estimate, format_estimate, ols

CUES = ("vertical", "size")
CUE_COLUMNS = {"vertical": "z_vertical", "size": "z_size"}
CUE_WORDS = {"vertical": "vertical position", "size": "apparent size"}
#: Fewest objects for a fit: 3 parameters, and HC3 needs leverages clearly below 1.
MIN_OBJECTS = 10
#: Above this |correlation| of log cues the cues share > 98 % of their variance and the
#: joint standard errors are inflated by sqrt(1 / (1 - r^2)) > 7: the set cannot separate them.
MAX_CUE_CORRELATION = 0.99
#: Words for how strongly the prediction follows the winning cue (its joint coefficient; 1 = the
#: estimate scales exactly as the cue's distance, 0 = not at all): upper bounds of each band.
#: Thirds of the unit response, so that "follows vertical position" at 0.1 is not read as at 1.
STRENGTH_WORDS = ((1 / 3, "weakly"), (2 / 3, "partly"), (4 / 3, "about fully"), (math.inf, "more than fully"))


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
    cues: dict[str, Estimate] = field(default_factory=dict)
    difference: Estimate | None = None
    intercept: Estimate | None = None
    single_cue: dict[str, ModelFit] = field(default_factory=dict)
    joint: ModelFit | None = None
    cue_correlation: float | None = None

    def to_dict(self) -> dict:
        """Plain data for the results summary (NaN stays NaN; the writer turns it into null)."""
        return {
            "verdict": self.verdict, "verdict_text": self.verdict_text, "reason": self.reason,
            "n_objects": self.n_objects, "n_frames": self.n_frames, "n_excluded": self.n_excluded,
            "cues": {k: v.to_dict() for k, v in self.cues.items()} or {k: None for k in CUES},
            "difference_vertical_minus_size": self.difference.to_dict() if self.difference else None,
            "intercept": self.intercept.to_dict() if self.intercept else None,
            "single_cue": {k: asdict(v) for k, v in self.single_cue.items()} or {k: None for k in CUES},
            "joint": {"r2": self.joint.r2, "aic": self.joint.aic} if self.joint else None,
            "cue_correlation": self.cue_correlation,
            "model": "OLS log(estimate) ~ log(z_vertical) + log(z_size), HC3 Student-t 95% CI",
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
        return ModelFit(0.0, finite_or_none(res.aic) if res else None, None)
    res = ols(y, with_constant(x))
    if res is None:
        return ModelFit(None, None, None)
    return ModelFit(finite_or_none(res.r2), finite_or_none(res.aic), float(res.params[1]))


def _joint_fit(y: np.ndarray, x: dict[str, np.ndarray], n: int, n_frames: int, n_excluded: int,
               single: dict[str, ModelFit], r: float) -> CueFit:
    res = ols(y, with_constant(x["vertical"], x["size"]))
    if res is None:  # a leverage of 1 (HC3 divides by 0)
        return _no_fit("the robust (HC3) intervals cannot be computed for these objects",
                       n, n_frames, n_excluded, single, r)
    coef = [res.estimate(i, unit="objects") for i in range(3)]
    diff = res.contrast(np.array([0.0, 1.0, -1.0]), unit="objects")
    cues = {"vertical": coef[1], "size": coef[2]}
    verdict = decide_verdict(cues, diff)
    fit = CueFit(verdict, "", n, n_frames, n_excluded, None, cues, diff, coef[0], single,
                 ModelFit(finite_or_none(res.r2), finite_or_none(res.aic)), r)
    fit.verdict_text = describe(fit)
    return fit


def with_constant(*columns: np.ndarray) -> np.ndarray:
    """Design matrix: a constant column, then ``columns``."""
    return np.column_stack([np.ones_like(columns[0]), *columns])


def decide_verdict(cues: dict[str, Estimate], difference: Estimate) -> str:
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


def finite_or_none(value: float) -> float | None:
    """``value`` as a float, or None when it is NaN or infinite (JSON null)."""
    return float(value) if np.isfinite(value) else None


def _fmt(c: Estimate) -> str:
    return format_estimate(c, 2)


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
        return (f"{lead}: coefficient {_fmt(main)} ({strength_word(main.value)}; 1 = fully) vs "
                f"{CUE_WORDS[other_cue]} {_fmt(other)}{tail}, {n}.")
    if fit.verdict == "both":
        return (f"Predicted distance follows both vertical position ({_fmt(v)}) and apparent size "
                f"({_fmt(s)}), neither clearly more (difference {_fmt(d)}), {n}.")
    extra = f"; {fit.reason}" if fit.reason else ""
    return (f"Predicted distance follows neither cue: vertical position {_fmt(v)}, apparent size "
            f"{_fmt(s)}{extra}, {n}.")


def cue_fit_rows(fit: CueFit) -> pd.DataFrame:
    """The joint fit's coefficients as rows of the ``cue_fit`` table (model ``joint``)."""
    rows = []
    for cue, column in CUE_COLUMNS.items():
        coef = fit.cues.get(cue)
        rows.append({"model": "joint", "term": f"log {column}", "status": "fitted" if coef else "not fitted",
                     **coefficient_columns(coef), "n_objects": fit.n_objects, "note": fit.reason})
    return pd.DataFrame(rows)


def coefficient_columns(coef: Estimate | None) -> dict[str, float]:
    """``coef``, ``ci_low``, ``ci_high``, ``se`` columns of a coefficient table (NaN when None)."""
    if coef is None:
        return {"coef": np.nan, "ci_low": np.nan, "ci_high": np.nan, "se": np.nan}
    return {"coef": coef.value, "ci_low": coef.ci_low, "ci_high": coef.ci_high, "se": coef.se}


class CueFitAnalysis(ObjectsOnly):
    """The cue fit as an analysis (:mod:`evaluator.analyses.base`): table ``cue_fit`` (rows of
    model ``joint``) and the summary's verdict entries."""

    name = "cue_fit"
    tables = ("cue_fit",)

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        fit = fit_cues(objects)
        data = fit.to_dict()
        summary = {"verdict": fit.verdict, "verdict_text": fit.verdict_text, "verdict_reason": fit.reason,
                   "cues": data["cues"], "cue_difference": data["difference_vertical_minus_size"],
                   "single_cue": data["single_cue"], "joint": data["joint"],
                   "fit": {k: data[k] for k in ("model", "n_objects", "n_frames", "n_excluded", "cue_correlation",
                                                "intercept")}}
        return AnalysisOutput({"cue_fit": cue_fit_rows(fit)}, summary)
