"""The cue regression and its verdict rule, on objects tables built without images."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from evaluator.analyses.cue_fit import MIN_OBJECTS, decide_verdict, fit_cues
from evaluator.analyses.intervals import Estimate

DISTANCES = np.round(np.arange(1.0, 3.01, 0.1), 1)


def design_table(a: float, b: float, noise_sd: float = 0.03, seed: int = 0, z0: float = 10.0,
                 conditions: tuple[str, ...] = ("position_and_size", "position_only", "size_only")) -> pd.DataFrame:
    """Objects of the position-vs-size design with estimate = 1.2 * zv^a * zs^b * noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for condition in conditions:
        for d in DISTANCES:
            zv = z0 * (d if condition != "size_only" else 1.0)
            zs = z0 * (d if condition != "position_only" else 1.0)
            rows.append({"frame_id": f"{condition}_{d}", "object_id": 1, "condition": condition,
                         "z_vertical": zv, "z_size": zs})
    table = pd.DataFrame(rows)
    noise = np.exp(noise_sd * rng.standard_normal(len(table)))
    return table.assign(estimate_m=1.2 * table.z_vertical ** a * table.z_size ** b * noise)


@pytest.mark.parametrize("a, b, verdict", [(1.0, 0.0, "vertical"), (0.0, 1.0, "size"),
                                           (0.5, 0.5, "both"), (0.0, 0.0, "none"),
                                           (0.8, 0.2, "vertical"), (0.15, 0.85, "size")])
def test_verdicts(a, b, verdict):
    fit = fit_cues(design_table(a, b))
    assert fit.verdict == verdict
    assert fit.n_objects == 63 and fit.n_frames == 63 and fit.reason is None
    assert fit.cues["vertical"].ci_low < a < fit.cues["vertical"].ci_high
    assert fit.cues["size"].ci_low < b < fit.cues["size"].ci_high


def test_intervals_are_hc3_student_t_intervals():
    table = design_table(0.7, 0.3, noise_sd=0.1, seed=3)
    fit = fit_cues(table)
    design = add_constant(np.log(table[["z_vertical", "z_size"]].to_numpy()), has_constant="add")
    ref = OLS(np.log(table.estimate_m.to_numpy()), design).fit(cov_type="HC3", use_t=True)
    ci = ref.conf_int(alpha=0.05)
    assert fit.cues["vertical"].ci_low == pytest.approx(ci[1, 0])
    assert fit.cues["size"].ci_high == pytest.approx(ci[2, 1])
    assert fit.joint.r2 == pytest.approx(ref.rsquared) and fit.joint.aic == pytest.approx(ref.aic)


def test_single_cue_models_rank_the_used_cue_first():
    fit = fit_cues(design_table(1.0, 0.0))
    assert fit.single_cue["vertical"].r2 > 0.9 > fit.single_cue["size"].r2
    assert fit.single_cue["vertical"].aic < fit.single_cue["size"].aic


def test_text_in_words():
    fit = fit_cues(design_table(1.0, 0.0, seed=1))
    assert fit.verdict_text.startswith("Predicted distance follows vertical position: coefficient 1.0")
    assert fit.verdict_text.endswith("n = 63 objects in 63 frames.")
    both = fit_cues(design_table(0.7, 0.3))
    assert "more than apparent size" in both.verdict_text and "difference" in both.verdict_text
    assert "(about fully; 1 = fully)" in fit.verdict_text
    assert "(partly; 1 = fully)" in fit_cues(design_table(0.5, 0.0, seed=3)).verdict_text
    weak = fit_cues(design_table(0.15, 0.0, seed=2))
    assert weak.verdict == "vertical" and "(weakly; 1 = fully)" in weak.verdict_text


def test_negative_numbers_use_a_minus_sign():
    fit = fit_cues(design_table(0.0, 1.0, noise_sd=0.05, seed=5))
    low = fit.cues["vertical"].ci_low
    assert low < 0 and "\u2212" in fit.verdict_text


def test_rule_when_both_used_and_difference_excludes_zero():
    high = Estimate(0.9, 0.8, 1.0, 63, "ols-hc3-t", "objects", 0.05)
    low = Estimate(0.2, 0.1, 0.3, 63, "ols-hc3-t", "objects", 0.05)
    diff_pos = Estimate(0.7, 0.5, 0.9, 63, "ols-hc3-t", "objects", 0.1)
    diff_neg = Estimate(-0.7, -0.9, -0.5, 63, "ols-hc3-t", "objects", 0.1)
    diff_zero = Estimate(0.1, -0.1, 0.3, 63, "ols-hc3-t", "objects", 0.1)
    assert decide_verdict({"vertical": high, "size": low}, diff_pos) == "vertical"
    assert decide_verdict({"vertical": low, "size": high}, diff_neg) == "size"
    assert decide_verdict({"vertical": high, "size": high}, diff_zero) == "both"
    unused = Estimate(0.1, -0.1, 0.3, 63, "ols-hc3-t", "objects", 0.1)
    assert decide_verdict({"vertical": unused, "size": unused}, diff_zero) == "none"
    assert decide_verdict({"vertical": unused, "size": high}, diff_neg) == "size"


def test_collinear_cues_give_none_with_reason():
    fit = fit_cues(design_table(1.0, 0.0, conditions=("position_and_size",)))
    assert fit.verdict == "none" and "cannot tell them apart" in fit.reason
    assert fit.cues == {} and fit.cue_correlation == pytest.approx(1.0)
    assert fit.single_cue["vertical"].r2 > 0.9  # single-cue fits are still meaningful
    assert fit.verdict_text.startswith("No verdict:")
    assert fit.to_dict()["cues"] == {"vertical": None, "size": None}


def test_cue_that_does_not_vary_gives_none_with_reason():
    fit = fit_cues(design_table(1.0, 0.0, conditions=("position_only",)))
    assert fit.verdict == "none" and "apparent size does not vary" in fit.reason
    assert fit.single_cue["size"].r2 == 0.0 and fit.single_cue["size"].coef is None
    assert fit.single_cue["vertical"].r2 > 0.9


def test_too_few_objects_gives_none_with_reason():
    table = design_table(1.0, 0.0).iloc[: MIN_OBJECTS - 1]
    fit = fit_cues(table)
    assert fit.verdict == "none" and f"only {MIN_OBJECTS - 1} object" in fit.reason
    assert fit.single_cue == {} and fit.joint is None


def test_unusable_rows_are_excluded_and_counted():
    table = design_table(1.0, 0.0)
    table.loc[0, "estimate_m"] = np.nan
    table.loc[1, "estimate_m"] = -3.0
    table.loc[2, "z_vertical"] = np.inf  # contact point above the horizon
    table.loc[3, "z_size"] = 0.0
    fit = fit_cues(table)
    assert fit.n_objects == 59 and fit.n_excluded == 4 and fit.verdict == "vertical"


def test_constant_predictions_do_not_crash():
    table = design_table(0.0, 0.0, noise_sd=0.0)
    fit = fit_cues(table)
    assert fit.verdict == "none" and "identical" in fit.reason and fit.cues == {}
    assert fit.single_cue == {} and fit.joint is None  # R^2 would be 0/0


def test_frames_counted_separately_from_objects():
    table = design_table(1.0, 0.0)
    table["frame_id"] = [f"f{i // 3}" for i in range(len(table))]
    fit = fit_cues(table)
    assert fit.n_objects == 63 and fit.n_frames == 21
