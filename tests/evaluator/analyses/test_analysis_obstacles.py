"""Obstacle responses from counterfactual frames, with a planted "needs a shadow" network.

The planted model predicts the canonical road everywhere and sees an object only when a dark
band (the shadow paint of tests.synthetic_set) lies right under it; a seen object gets the road
depth of its contact row.  So objects with a shadow must come out seen (fraction near 1) and
objects without one unseen (response 0), whatever their familiarity or brightness.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from evaluator.analyses.obstacles import SEEN_FRACTION, object_responses
from evaluator.pipeline.evaluate import evaluate_set
from evaluator.results.format import SUMMARY_FILE
from scenes.errors import StimulusSetError
from scenes.formats.stimulus_set import layer_path
from tests.synthetic_set import CAMERA, SHADOW_RGB, obstacle_specs, object_pixels, write_frames

ROAD = CAMERA.road_depth_map()


def needs_a_shadow(images: np.ndarray) -> np.ndarray:
    """Planted network: sees an object only with a shadow band under it (see the module docstring)."""
    out = np.repeat(ROAD[None], len(images), axis=0)
    for i, image in enumerate(images):
        labels, n = ndimage.label(object_pixels(image))
        for k in range(1, n + 1):
            rows, cols = np.nonzero(labels == k)
            bottom = rows.max()
            below = image[min(bottom + 1, image.shape[0] - 1), cols.min():cols.max() + 1]
            if np.all(below == np.array(SHADOW_RGB, np.uint8), axis=-1).any():
                out[i][labels == k] = ROAD[bottom, int(round(cols[rows == bottom].mean()))]
    return out


@pytest.fixture(scope="module")
def shadow_result(tmp_path_factory):
    root = write_frames(tmp_path_factory.mktemp("sets") / "obstacles", obstacle_specs())
    out = tmp_path_factory.mktemp("out") / "obstacles"
    return evaluate_set(root, needs_a_shadow, out, batch_size=7), out, root


def test_seen_only_with_a_shadow(shadow_result):
    summary, _, _ = shadow_result
    section = summary["obstacles"]
    assert section["n_objects"] == 40 and section["n_judged"] == 40 and section["n_frames"] == 40
    by_shadow = {entry["level"]: entry for entry in section["by_factor"]["shadow"]}
    assert by_shadow[True]["seen_rate"]["value"] == 1.0 and by_shadow[True]["seen_rate"]["ci_low"] > 0.8
    assert by_shadow[False]["seen_rate"]["value"] == 0.0 and by_shadow[False]["seen_rate"]["ci_high"] < 0.2
    assert by_shadow[True]["seen_rate"]["n_objects"] == 20 and by_shadow[True]["seen_rate"]["method"] == "wilson"
    fraction = by_shadow[True]["mean_fraction"]
    assert fraction["ci_low"] <= fraction["value"] <= fraction["ci_high"]
    assert 0.85 < fraction["value"] < 1.15
    assert by_shadow[False]["mean_fraction"]["value"] == pytest.approx(0.0, abs=1e-9)


def test_grouped_by_every_factor_the_set_varies(shadow_result):
    summary, out, _ = shadow_result
    by_factor = summary["obstacles"]["by_factor"]
    assert {"shadow", "familiarity", "asset", "value", "relative_distance"} <= set(by_factor)
    for entry in by_factor["familiarity"]:  # half of each familiarity has a shadow
        assert entry["seen_rate"]["value"] == 0.5 and entry["n_objects"] == 20
    table = pd.read_parquet(out / "obstacles.parquet")
    assert len(table) == 40 and {"response", "true_change", "fraction", "seen", "shadow", "familiarity"} <= set(table.columns)
    assert (table["true_change"] > 0).all() and (table["n_px"] > 0).all()
    grouped = pd.read_parquet(out / "obstacles_by_factor.parquet")
    assert {"factor", "level", "seen_rate_value", "seen_rate_ci_low", "n_objects"} <= set(grouped.columns)


def test_factor_fit_names_shadow_and_what_the_set_cannot_separate(shadow_result):
    summary, _, _ = shadow_result
    terms = summary["factor_fit"]["terms"]
    assert terms["shadow"]["status"] == "fitted" and terms["shadow"]["ci_high"] < 0  # seen -> nearer
    assert terms["familiarity=novel"]["status"] == "fitted" and terms["value"]["status"] == "fitted"
    # The natural condition only: apparent size moves with vertical position.
    assert terms["log z_size"]["status"] == "collinear" and "vertical position" in terms["log z_size"]["note"]
    assert terms["pitch_deg"]["status"] == "constant"
    assert "shadow" in summary["factor_fit"]["verdict_text"]


def test_curves_are_per_object_kind(shadow_result):
    summary, out, _ = shadow_result
    conditions = summary["curves"]["conditions"]
    assert len(conditions) == 8  # 2 assets x 2 shadows x 2 values
    label = "condition=position_and_size, asset=car_box, familiarity=familiar, shadow=True, value=1.0"
    slope = conditions[label]["slope"]
    # A contact-row reader follows distance (slope 1) up to the rounding of the contact row.
    assert slope["value"] == pytest.approx(1.0, abs=0.03) and slope["ci_low"] <= slope["value"] <= slope["ci_high"]
    assert slope["n_objects"] == 5
    curves = pd.read_parquet(out / "curves.parquet")
    assert np.allclose(curves.loc[curves["relative_distance"] == 1.0, "mean_normalised"], 1.0)
    assert curves["ci_low"].isna().all() and (curves["n_variants"] == 1).all()  # one variant: no band


def test_response_rows_without_usable_pixels_are_not_numbers():
    instances = np.zeros((8, 8), np.int32)
    instances[2:6, 2:6] = 1
    depth = np.full((8, 8), 5.0)
    far = np.full((8, 8), 20.0)
    rows = object_responses("f", far, far, depth, far, instances, [1, 2])  # the network ignores it
    assert rows[0]["fraction"] == pytest.approx(0.0) and rows[0]["seen"] is False
    assert rows[1]["n_px"] == 0 and np.isnan(rows[1]["response"]) and rows[1]["seen"] is pd.NA
    same = object_responses("f", depth, far, depth, depth, instances, [1])  # not nearer than the background
    assert np.isnan(same[0]["fraction"]) and same[0]["seen"] is pd.NA
    seen = object_responses("f", depth, far * 0.6, depth, far, instances, [1])
    assert seen[0]["fraction"] >= SEEN_FRACTION and seen[0]["seen"] is True
    nan_pred = object_responses("f", np.full((8, 8), np.nan), far, depth, far, instances, [1])
    assert nan_pred[0]["n_px"] == 0 and nan_pred[0]["seen"] is pd.NA


def test_missing_counterfactual_file_is_named_and_nothing_is_written(tmp_path):
    root = write_frames(tmp_path / "set", obstacle_specs(distances=(1.0, 2.0), values=(1.0,)))
    missing = layer_path(root, "counterfactual_depth", "car_box-plain-v1.0-d2.0")
    missing.unlink()
    with pytest.raises(StimulusSetError, match="car_box-plain-v1.0-d2.0.npy: file is missing"):
        evaluate_set(root, needs_a_shadow, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_summary_is_valid_json_without_nan(shadow_result):
    _, out, _ = shadow_result
    text = (out / SUMMARY_FILE).read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["obstacles"]["seen_if"].startswith("fraction")


def test_obstacle_figure_has_a_panel_per_varied_factor(shadow_result):
    from PIL import Image

    from evaluator.results.figures import MAX_OBSTACLE_PANELS, PANEL_INCHES, DPI, write_figures

    summary, out, _ = shadow_result
    paths = {p.name: p for p in write_figures(out)}
    factors = [f for f in summary["obstacles"]["by_factor"] if f != "variant"]
    with Image.open(paths["obstacles.png"]) as image:
        image.load()
        panels = round(image.size[0] / (PANEL_INCHES[0] * DPI))
    assert panels == min(len(factors), MAX_OBSTACLE_PANELS) >= 1
