"""The cue fit extended to every factor a set varies, and the coverage of the cue-fit intervals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS

from evaluator.analyses.cue_fit import fit_cues
from evaluator.analyses.factor_fit import fit_factors
from tests.evaluator.analyses.test_evaluator_cue_fit import design_table

DISTANCES = np.round(np.arange(1.0, 3.01, 0.1), 1)


def factor_table(rng: np.random.Generator, a: float = 0.8, b: float = 0.2, elevation: float = 0.0,
                 pitch: float = 0.0, shadow: float = 0.0, novel: float = 0.0, noise_sd: float = 0.03) -> pd.DataFrame:
    """Objects of a position-vs-size design crossed with pitch, shadow and familiarity levels;
    log estimate = log 1.2 + a log zv + b log zs + pitch * pitch_deg + shadow * [shadow]
    + novel * [novel] + noise (elevation enters through ``elevation`` per metre)."""
    rows = []
    for condition in ("position_and_size", "position_only", "size_only"):
        for d in DISTANCES[::2]:
            for pitch_deg in (-2.0, 0.0, 2.0):
                for has_shadow in (False, True):
                    for familiarity in ("familiar", "novel"):
                        zv = 10 * (d if condition != "size_only" else 1.0)
                        zs = 10 * (d if condition != "position_only" else 1.0)
                        rows.append({"frame_id": f"{condition}-{d}-{pitch_deg}-{has_shadow}-{familiarity}",
                                     "object_id": 1, "z_vertical": zv, "z_size": zs, "pitch_deg": pitch_deg,
                                     "shadow": has_shadow, "familiarity": familiarity,
                                     "elevation_m": float(rng.choice([0.0, 0.3, 0.6]))})
    table = pd.DataFrame(rows)
    log_est = (np.log(1.2) + a * np.log(table.z_vertical) + b * np.log(table.z_size) + pitch * table.pitch_deg
               + shadow * table.shadow + novel * (table.familiarity == "novel") + elevation * table.elevation_m
               + noise_sd * rng.standard_normal(len(table)))
    return table.assign(estimate_m=np.exp(log_est))


def test_every_varied_factor_is_a_regressor_and_recovered():
    truth = {"log z_vertical": 0.8, "log z_size": 0.2, "pitch_deg": -0.05, "shadow": -0.1,
             "familiarity=novel": 0.07, "elevation_m": 0.2}
    fit = fit_factors(factor_table(np.random.default_rng(1), pitch=-0.05, shadow=-0.1, novel=0.07, elevation=0.2))
    assert set(fit.fitted) == set(truth)
    for name, value in truth.items():
        coef = fit.fitted[name].coef
        assert coef.ci_low < value < coef.ci_high, name
    assert fit.fitted["pitch_deg"].transform == "linear" and fit.fitted["shadow"].transform == "indicator"
    assert fit.fitted["log z_vertical"].transform == "log"
    assert "camera pitch" in fit.verdict_text and "shadow" in fit.verdict_text
    assert fit.verdict_text.endswith(f"n = {fit.n_objects} objects in {fit.n_frames} frames.")


def test_intervals_match_statsmodels_hc3():
    table = factor_table(np.random.default_rng(2), pitch=0.03)
    fit = fit_factors(table)
    names = list(fit.fitted)
    design = np.column_stack([np.ones(len(table)), np.log(table.z_vertical), np.log(table.z_size),
                              table.elevation_m, table.pitch_deg, table.shadow.astype(float),
                              (table.familiarity == "novel").astype(float)])
    assert names == ["log z_vertical", "log z_size", "elevation_m", "pitch_deg", "shadow", "familiarity=novel"]
    ref = OLS(np.log(table.estimate_m.to_numpy()), design).fit(cov_type="HC3", use_t=True).conf_int(alpha=0.05)
    for i, name in enumerate(names, start=1):
        assert fit.fitted[name].coef.ci_low == pytest.approx(ref[i, 0])
        assert fit.fitted[name].coef.ci_high == pytest.approx(ref[i, 1])


def test_pose_columns_come_from_the_frames_table():
    table = factor_table(np.random.default_rng(3), pitch=0.04)
    frames = table[["frame_id", "pitch_deg"]].assign(camera_height_m=1.65)
    fit = fit_factors(table.drop(columns="pitch_deg"), frames)
    assert "pitch_deg" in fit.fitted
    assert fit.to_dict()["terms"]["log camera_height_m"]["status"] == "constant"


def test_constant_and_collinear_terms_are_named_not_fitted():
    table = design_table(1.0, 0.0, conditions=("position_only",)).assign(camera_height_m=1.65)
    # A factor the set moves in step with a cue (as raising an object moves its contact row).
    table["elevation_m"] = 0.1 + 0.3 * np.log(table["z_vertical"])
    fit = fit_factors(table)
    terms = fit.to_dict()["terms"]
    assert terms["log z_size"]["status"] == "constant" and terms["log z_size"]["value"] is None
    assert terms["log camera_height_m"]["status"] == "constant"
    assert terms["elevation_m"]["status"] == "collinear"
    assert "vertical position" in terms["elevation_m"]["note"]
    assert "not separable in this set: elevation" in fit.verdict_text
    assert set(fit.fitted) == {"log z_vertical"}


def test_factor_fit_keeps_the_two_cue_verdict_unchanged():
    table = factor_table(np.random.default_rng(4), pitch=-0.05)
    before = fit_cues(table.drop(columns=["pitch_deg", "shadow", "familiarity", "elevation_m"]))
    after = fit_cues(table)
    assert before.verdict == after.verdict and before.cues == after.cues


def test_too_few_or_flat_objects_give_a_reason():
    fit = fit_factors(factor_table(np.random.default_rng(5)).iloc[:5])
    assert fit.reason.startswith("only 5 object") and not fit.fitted
    flat = factor_table(np.random.default_rng(5)).assign(estimate_m=3.0)
    assert "identical" in fit_factors(flat).reason


def test_cue_fit_intervals_cover_the_truth():
    """Over 1000 simulated position-vs-size tables (63 objects, log-normal noise), the 95 % HC3
    intervals of both cue coefficients cover the planted weights at least 93 % of the time."""
    rng = np.random.default_rng(20190517)
    n, hits = 1000, {"vertical": 0, "size": 0}
    base = design_table(0.0, 0.0, noise_sd=0.0)
    log_zv, log_zs = np.log(base.z_vertical.to_numpy()), np.log(base.z_size.to_numpy())
    for i in range(n):
        a, b = (0.7, 0.3) if i % 2 else (1.0, 0.0)
        sd = 0.02 + 0.06 * (i % 5) / 4
        table = base.assign(estimate_m=np.exp(0.1 + a * log_zv + b * log_zs + sd * rng.standard_normal(len(base))))
        fit = fit_cues(table)
        hits["vertical"] += fit.cues["vertical"].ci_low <= a <= fit.cues["vertical"].ci_high
        hits["size"] += fit.cues["size"].ci_low <= b <= fit.cues["size"].ci_high
    assert hits["vertical"] / n >= 0.93 and hits["size"] / n >= 0.93
