"""The paper's normalised curves: estimate / estimate at d = 1, mean over variants, slopes."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evaluator.analyses.curves import analyse_curves, condition_labels, normalised_estimates
from evaluator.pipeline.evaluate import evaluate_set
from tests.synthetic_set import position_vs_size_specs, write_frames
from tests.evaluator.pipeline.test_evaluator_run import PlantedCueModel

A = 0.7
VARIANTS = ("open", "buildings", "trees", "hedges", "fences")  # 5: the fewest for a bootstrap band


@pytest.fixture(scope="module")
def curves_result(tmp_path_factory):
    specs = position_vs_size_specs(variants=VARIANTS, distances=(1.0, 1.5, 2.0, 2.5, 3.0))
    root = write_frames(tmp_path_factory.mktemp("sets") / "pvs", specs)
    out = tmp_path_factory.mktemp("out") / "pvs"
    return evaluate_set(root, PlantedCueModel(a=A, noise_sd=0.03), out, batch_size=9), out


def expected_slopes(objects: pd.DataFrame) -> dict[str, float]:
    """The slope each condition would have without noise: the planted cue mixture of the
    measured (pixel-rounded) cues, normalised and regressed on log d as the analysis does."""
    data = objects.assign(estimate_m=objects.z_vertical ** A * objects.z_size ** (1 - A))
    points = normalised_estimates(data)
    out = {}
    for condition, part in points.groupby("condition"):
        x, y = np.log(part.relative_distance), np.log(part.normalised)
        out[condition] = float(np.polyfit(x, y, 1)[0])
    return out


def test_slopes_recover_the_planted_weights(curves_result):
    summary, out = curves_result
    conditions = summary["curves"]["conditions"]
    assert set(conditions) == {"position_and_size", "position_only", "size_only"}
    objects = pd.read_parquet(out / "objects.parquet").merge(
        pd.read_parquet(out / "pose.parquet")[["frame_id", "variant"]], on="frame_id")
    expected = expected_slopes(objects)
    for condition, nominal in (("position_and_size", 1.0), ("position_only", A), ("size_only", 1 - A)):
        slope = conditions[condition]["slope"]
        assert expected[condition] == pytest.approx(nominal, abs=0.05)
        assert slope["ci_low"] < expected[condition] < slope["ci_high"], condition
        assert slope["n_objects"] == 25 and conditions[condition]["n_variants"] == 5


def test_curve_table_has_a_band_over_variants(curves_result):
    _, out = curves_result
    curves = pd.read_parquet(out / "curves.parquet")
    assert list(curves.columns) == ["condition", "relative_distance", "mean_normalised", "ci_low", "ci_high",
                                    "n_variants", "n_objects"]
    assert len(curves) == 3 * 5 and (curves["n_variants"] == 5).all()
    anchor = curves[curves["relative_distance"] == 1.0]
    assert np.allclose(anchor["mean_normalised"], 1.0) and np.allclose(anchor["ci_high"] - anchor["ci_low"], 0.0)
    far = curves[curves["relative_distance"] == 3.0].set_index("condition")
    assert (far["ci_low"] <= far["mean_normalised"]).all() and (far["mean_normalised"] <= far["ci_high"]).all()
    assert (far["ci_high"] > far["ci_low"]).all()
    assert far.loc["position_and_size", "mean_normalised"] == pytest.approx(3.0, rel=0.1)
    assert far.loc["size_only", "mean_normalised"] == pytest.approx(3.0 ** (1 - A), rel=0.1)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for condition, entry in summary["curves"]["conditions"].items():
        at = entry["at_farthest"]
        assert at["relative_distance"] == 3.0 and at["n_variants"] == 5
        assert [at["value"], at["ci_low"], at["ci_high"]] == pytest.approx(
            list(far.loc[condition, ["mean_normalised", "ci_low", "ci_high"]]))


def test_curves_need_relative_distance_and_an_anchor():
    objects = pd.DataFrame({"frame_id": ["a", "b"], "object_id": [1, 1], "estimate_m": [5.0, 6.0]})
    assert analyse_curves(objects, np.random.default_rng(0)) == (None, None)
    no_anchor = objects.assign(relative_distance=[1.5, 2.0], condition="x")
    table, section = analyse_curves(no_anchor, np.random.default_rng(0))
    assert table is None and "no object has an estimate at relative distance 1" in section["reason"]


def test_condition_labels():
    objects = pd.DataFrame({"asset": ["cat", "dog"], "shadow": [True, True]})
    assert list(condition_labels(objects)) == ["cat", "dog"]
    assert list(condition_labels(objects.assign(asset="cat"))) == ["all", "all"]
    both = objects.assign(condition="position_only", shadow=[True, False])
    assert condition_labels(both).iloc[0] == "condition=position_only, asset=cat, shadow=True"


def png_size(path) -> tuple[int, int]:
    """(width, height) of a PNG, read with Pillow (which also checks that it decodes)."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.size


def test_figures_of_curves_and_cues(curves_result, tmp_path):
    from evaluator.results.figures import write_figures
    from evaluator.results.format import ResultsError

    _, out = curves_result
    paths = write_figures(out)
    assert [p.name for p in paths] == ["curves.png", "cues.png"]  # no pose change in this set: no pose.png
    assert png_size(paths[0])[0] >= 600 and png_size(paths[1])[0] >= 2 * png_size(paths[0])[0] - 50
    with pytest.raises(ResultsError, match="summary.json: no such file"):
        write_figures(tmp_path / "nothing")
