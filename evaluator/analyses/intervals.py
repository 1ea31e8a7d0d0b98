"""The one value-with-interval type of depthprobe and the rules that make its intervals.

Every number an analysis reports is an :class:`Estimate`: the value, its 95 % interval, the
count of independent units behind it, and how the interval was made (``method``, ``level``) --
as statsmodels' results objects record how ``conf_int`` was computed.  The rules:

* :func:`bootstrap_mean` -- mean of independent units (frames, objects, variants) with a
  percentile bootstrap interval (``N_BOOTSTRAP`` resamples of the units with replacement, drawn
  from an explicit ``numpy.random.Generator``); no interval from fewer than
  ``MIN_BOOTSTRAP_UNITS`` (5) units, where the percentile interval is far narrower than 95 %.
* :func:`wilson` -- a proportion with the Wilson score interval (Wilson 1927), which keeps its
  coverage near 0 and 1 and for small n, where the bootstrap and the Wald interval do not.
* :func:`ols` -- ordinary least squares with heteroscedasticity-robust (HC3, MacKinnon & White
  1985) standard errors and Student-t intervals with n - p degrees of freedom, for every
  regression (cue fit, factor fit, curve slopes, pose following): statsmodels'
  ``OLS(...).fit(cov_type="HC3", use_t=True)``.  One rule for all: with the small samples of
  pose sets (11 to 42 frames) the normal quantile would give intervals 2-5 % too narrow, and
  for the hundreds of objects of a cue fit t and normal agree to 0.3 %.

:func:`format_estimate` is the one way a value with its interval is written for a person.

Every function returns NaN bounds (never a made-up number) when an interval cannot be had, and
the result says how many units it rests on.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
#: Method names recorded in every Estimate (``method``).
BOOTSTRAP, WILSON, OLS_HC3_T = "bootstrap", "wilson", "ols-hc3-t"
#: U+2212, the minus sign, in numbers written for a person ("−0.02", not "-0.02").
MINUS = "\u2212"
#: Bootstrap resamples: the 2.5 % and 97.5 % quantiles of 2000 resamples vary by about 1 %
#: of the interval width between seeds (Efron & Tibshirani 1993, ch. 19).
N_BOOTSTRAP = 2000
#: Fewest units for a bootstrap interval.  With n units the percentile interval of a mean is at
#: most the range of the n values: for n = 3 it covers the true mean about 75 % of the time,
#: not 95 %; from 5 units on it is a usable (if slightly narrow) 95 % interval.  Fewer units
#: give the value and the count, and no interval.
MIN_BOOTSTRAP_UNITS = 5
#: Resamples drawn per block, so memory stays below ~ 200 x n indices whatever n.
_BOOTSTRAP_BLOCK = 200


@dataclass(frozen=True)
class Estimate:
    """A value with its 95 % interval, the number of units behind it and how it was made.

    :ivar value: the point estimate (NaN when there is none).
    :ivar ci_low, ci_high: interval bounds (NaN when no interval can be had).
    :ivar n: units behind it (frames, objects, variants: see ``unit``).
    :ivar method: ``"bootstrap"``, ``"wilson"``, ``"ols-hc3-t"``, ...
    :ivar unit: what ``n`` counts: ``"frames"``, ``"objects"``, ``"variants"``.
    :ivar se: standard error where the method has one, else NaN.
    :ivar level: coverage the interval is made for (0.95).
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    method: str
    unit: str = "frames"
    se: float = float("nan")
    level: float = CONFIDENCE

    @classmethod
    def missing(cls, n: int, method: str, unit: str = "frames") -> "Estimate":
        """No value and no interval (NaN), with the count of units there were."""
        return cls(math.nan, math.nan, math.nan, int(n), method, unit)

    def to_dict(self, count_key: str | None = None) -> dict:
        """``{value, ci_low, ci_high, n_<unit>, method, level[, se]}`` (plain floats; NaN stays NaN)."""
        key = count_key or f"n_{self.unit}"
        out = {"value": float(self.value), "ci_low": float(self.ci_low), "ci_high": float(self.ci_high),
               key: int(self.n), "method": self.method, "level": float(self.level)}
        if math.isfinite(self.se):
            out["se"] = float(self.se)
        return out

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0 (a clear effect)."""
        return bool(self.ci_low > 0 or self.ci_high < 0)

    def covers(self, truth: float) -> bool:
        """True when ``truth`` lies inside the interval (False when there is none)."""
        return bool(self.ci_low <= truth <= self.ci_high)


def bootstrap_mean(values: np.ndarray, rng: np.random.Generator, unit: str = "frames",
                   n_boot: int = N_BOOTSTRAP) -> Estimate:
    """Mean of ``values`` (NaN ignored) with a percentile bootstrap 95 % interval.

    :param values: one value per independent unit.
    :param rng: draws the resamples.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Estimate.missing(0, BOOTSTRAP, unit)
    mean = float(x.mean())
    if n < MIN_BOOTSTRAP_UNITS:
        return Estimate(mean, math.nan, math.nan, n, BOOTSTRAP, unit)
    means = np.empty(n_boot)
    for start in range(0, n_boot, _BOOTSTRAP_BLOCK):
        stop = min(n_boot, start + _BOOTSTRAP_BLOCK)
        means[start:stop] = x[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Estimate(mean, float(low), float(high), n, BOOTSTRAP, unit)


def bootstrap_mean_columns(values: np.ndarray, rng: np.random.Generator, n_boot: int = N_BOOTSTRAP
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column means of ``values`` (units x columns, no NaN) and their percentile intervals.

    The same resamples of the rows serve every column (one bootstrap, many statistics), so the
    intervals of e.g. the seven depth metrics come from the same draws.
    """
    x = np.asarray(values, dtype=float)
    n = x.shape[0]
    mean = x.mean(axis=0) if n else np.full(x.shape[1], np.nan)
    if n < MIN_BOOTSTRAP_UNITS:
        nan = np.full(x.shape[1], np.nan)
        return mean, nan, nan.copy()
    means = np.empty((n_boot, x.shape[1]))
    for start in range(0, n_boot, _BOOTSTRAP_BLOCK):
        stop = min(n_boot, start + _BOOTSTRAP_BLOCK)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = x[idx].mean(axis=1)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha], axis=0)
    return mean, low, high


def wilson(successes: int, n: int, unit: str = "objects") -> Estimate:
    """Proportion ``successes / n`` with the Wilson score 95 % interval."""
    if n <= 0:
        return Estimate.missing(0, WILSON, unit)
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), int(n), WILSON, unit)


@dataclass(frozen=True)
class OLSResult:
    """Coefficients of :func:`ols` with HC3 standard errors; ``df`` = n - p."""

    params: np.ndarray
    cov: np.ndarray
    n: int
    df: int
    r2: float
    aic: float

    def estimate(self, index: int, unit: str = "frames") -> Estimate:
        """Coefficient ``index`` with its Student-t 95 % interval."""
        weights = np.zeros(len(self.params))
        weights[index] = 1.0
        return self.contrast(weights, unit)

    def contrast(self, weights: np.ndarray, unit: str = "frames") -> Estimate:
        """The linear combination ``weights @ params`` (e.g. ``b1 - b2``) with its Student-t 95 %
        interval from the HC3 covariance."""
        w = np.asarray(weights, dtype=float)
        se = math.sqrt(max(float(w @ self.cov @ w), 0.0))
        t = stats.t.ppf(0.5 + CONFIDENCE / 2, self.df)
        value = float(w @ self.params)
        return Estimate(value, value - t * se, value + t * se, self.n, OLS_HC3_T, unit, se)


def ols(y: np.ndarray, design: np.ndarray) -> OLSResult | None:
    """OLS of ``y`` on ``design`` (n x p; the caller includes a constant or group columns that
    span it, so R^2 is the centred one) with HC3 covariance
    ``(X'X)^-1 X' diag(e_i^2 / (1 - h_i)^2) X (X'X)^-1`` -- the same numbers as statsmodels'
    ``OLS(...).fit(cov_type="HC3")``, computed directly because the coverage checks call it
    thousands of times.

    :returns: None when the fit is not identified (n <= p, rank-deficient design) or its HC3
        covariance is not finite (a point with leverage 1).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(design, dtype=float)
    n, p = x.shape
    if n <= p:
        return None
    q, r = np.linalg.qr(x)
    diag = np.abs(np.diag(r))
    if diag.min(initial=np.inf) <= 1e-10 * max(diag.max(initial=0.0), 1e-300):
        return None  # rank-deficient
    params = np.linalg.solve(r, q.T @ y)
    resid = y - x @ params
    leverage = np.sum(q * q, axis=1)
    if np.any(leverage >= 1 - 1e-12):
        return None
    r_inv = np.linalg.inv(r)
    bread = r_inv @ r_inv.T  # (X'X)^-1
    meat = (x * (resid / (1 - leverage))[:, None] ** 2).T @ x
    cov = bread @ meat @ bread
    if not np.all(np.isfinite(cov)):
        return None
    ssr = float(resid @ resid)
    sst = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ssr / sst if sst > 0 else float("nan")
    llf = -n / 2 * (math.log(2 * math.pi) + math.log(max(ssr, 1e-300) / n) + 1)
    return OLSResult(params, cov, n, n - p, r2, -2 * llf + 2 * p)


def format_number(value: float | None, digits: int = 2) -> str:
    """A number for a person: fixed ``digits``, the minus sign U+2212, no "−0.00"; ``n/a`` for
    None or NaN."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    text = f"{float(value):.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", MINUS)


def format_estimate(entry: Estimate | Mapping[str, Any] | None, digits: int = 2, count: str | None = None) -> str:
    """``value [low, high]`` (``value (no interval)`` without one; ``, n = N`` when ``count``
    names the count key of a summary entry, or is ``"n"`` for an Estimate).

    :param entry: an :class:`Estimate` or its :meth:`~Estimate.to_dict` (as read back from
        ``summary.json``, where NaN is null).
    """
    if entry is None:
        return "n/a"
    data = entry.to_dict("n") if isinstance(entry, Estimate) else entry
    value, low, high = data.get("value"), data.get("ci_low"), data.get("ci_high")
    if value is None or not math.isfinite(float(value)):
        text = "n/a"
    elif low is None or high is None or not (math.isfinite(float(low)) and math.isfinite(float(high))):
        text = f"{format_number(value, digits)} (no interval)"
    else:
        text = f"{format_number(value, digits)} [{format_number(low, digits)}, {format_number(high, digits)}]"
    if count and data.get(count) is not None:
        text += f", n = {data[count]}"
    return text


def slope(x: np.ndarray, y: np.ndarray, unit: str = "objects") -> Estimate:
    """Slope of ``y`` on ``x`` with an intercept (:func:`ols`: HC3, Student-t 95 % interval),
    over the pairs where both are finite; a missing Estimate when x does not vary or the fit is
    not identified."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size == 0 or np.ptp(x) == 0:
        return Estimate.missing(x.size, OLS_HC3_T, unit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = ols(y, np.column_stack([np.ones_like(x), x]))
    if fit is None:
        return Estimate.missing(x.size, OLS_HC3_T, unit)
    return fit.estimate(1, unit=unit)
