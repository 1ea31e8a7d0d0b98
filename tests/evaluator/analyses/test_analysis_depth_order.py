"""The depth-order analysis (evaluator/analyses/depth_order.py) with planted networks on a
synthetic depth-order set (tests.synthetic_set boxes; the far box drawn over the near one in the
reversed frames).

Two planted networks predict the true depth with a small log-normal error per object (drawn
from an explicit Generator):

* ``follows_true_depth`` -- nothing else: ordering accuracy 1 in both conditions, the drop's
  and the drawn-in-front coefficient's intervals cover 0, verdict "does not follow";
* ``follows_depth_order`` -- and, where the far object is drawn in front, puts it PLANTED_SHIFT
  (log units) nearer: reversed accuracy 0, the drop's interval above 0, the coefficient's
  interval covers PLANTED_SHIFT, verdict "follows depth order".

And the flat-road baseline, whose prediction varies over an object, shows no effect at all: the
objects are estimated on the pixels they show in both frames of a pair.
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from evaluator.analyses import ANALYSES, TABLE_NAMES
from evaluator.analyses.depth_order import DepthOrderAnalysis
from evaluator.pipeline.evaluate import analyse_predictions, evaluate_set
from evaluator.results.format import SUMMARY_FILE
from tests.synthetic_set import CAMERA, Box, FrameSpec, frame_index, write_frames

NEAR_M = 8.0
RATIOS = (2.0, 2.5, 3.5)
#: A's centre (m, left of B at x = 0) for four overlap labels: apart, then more and more of B hidden (the
#: actual share depends on the ratio; the analysis measures it from the masks).
NEAR_X_M = {0.0: -3.0, 0.2: -1.1, 0.4: -0.9, 0.6: -0.7}
VARIANTS = ("open", "trees", "buildings")
PLANTED_SHIFT = 1.5
NOISE_LOG_SD = 0.05


def depth_order_specs() -> list[FrameSpec]:
    """The synthetic design: per variant and ratio, consistent and reversed pairs at each overlap, and B alone."""
    specs = []
    for variant in VARIANTS:
        for ratio in RATIOS:
            far_cols = {"role": "far", "distance_ratio": ratio, "variant": variant}
            for overlap, x in NEAR_X_M.items():
                for condition in ("consistent", "reversed"):
                    factors = {"experiment": "depth_order", "condition": condition, "distance_ratio": ratio,
                               "overlap": overlap, "drawn_front": "near" if condition == "consistent" else "far",
                               "variant": variant}
                    cols = {k: v for k, v in factors.items() if k != "experiment"}
                    near = Box(NEAR_M, x_m=x, columns={**cols, "role": "near"})
                    far = Box(NEAR_M * ratio, rgb=(40, 40, 200), drawn_over=condition == "reversed",
                              columns={**cols, **far_cols})
                    specs.append(FrameSpec(f"{condition}-r{ratio}-o{overlap}-{variant}", CAMERA, (near, far), factors,
                                           is_reference=condition == "consistent"))
            factors = {"experiment": "depth_order", "condition": "far_alone", "distance_ratio": ratio,
                       "overlap": float("nan"), "drawn_front": "none", "variant": variant}
            cols = {k: v for k, v in factors.items() if k != "experiment"}
            specs.append(FrameSpec(f"far_alone-r{ratio}-{variant}", CAMERA,
                                   (Box(NEAR_M * ratio, rgb=(40, 40, 200), columns={**cols, **far_cols}),), factors,
                                   is_reference=False))
    return specs


SPECS = depth_order_specs()


def planted(shift: float):
    """A network with the true depth times a per-object log-normal error, and B ``shift`` nearer when drawn in front."""
    def predict(images: np.ndarray) -> np.ndarray:
        out = []
        for image in images:
            index = frame_index(image)
            spec = SPECS[index]
            rng = np.random.default_rng([20190619, index])
            gt = np.asarray(predict.layers[spec.frame_id], dtype=np.float64)
            instances = predict.instances[spec.frame_id]
            pred = np.where(np.isfinite(gt), gt, 1000.0)
            for k in (1, 2):
                pred[instances == k] *= np.exp(rng.normal(0.0, NOISE_LOG_SD))
            if spec.factors["drawn_front"] == "far":
                pred[instances == 2] *= np.exp(-shift)
            out.append(pred.astype(np.float32))
        return np.stack(out)
    return predict


@pytest.fixture(scope="module")
def depth_order_set(tmp_path_factory):
    return write_frames(tmp_path_factory.mktemp("sets") / "depth_order", SPECS)


def _evaluate(root, shift, out):
    from scenes import open_stimulus_set
    stimuli = open_stimulus_set(root)
    model = planted(shift)
    model.layers = {fid: stimuli.depth(fid) for fid in stimuli.frames["frame_id"]}
    model.instances = {fid: stimuli.instances(fid) for fid in stimuli.frames["frame_id"]}
    return evaluate_set(root, model, out, batch_size=8)


@pytest.fixture(scope="module")
def true_depth_result(depth_order_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "true_depth"
    return _evaluate(depth_order_set, 0.0, out), out


@pytest.fixture(scope="module")
def depth_order_result(depth_order_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "depth_order"
    return _evaluate(depth_order_set, PLANTED_SHIFT, out), out


def test_registered_with_its_stream_and_tables():
    assert DepthOrderAnalysis in ANALYSES and DepthOrderAnalysis.stream == 6
    assert {"depth_order_pairs", "depth_order_cells"} <= set(TABLE_NAMES)


def test_the_synthetic_reversed_frames_draw_the_far_box_over_the_near_one(depth_order_set):
    from scenes import open_stimulus_set
    stimuli = open_stimulus_set(depth_order_set)
    consistent, reversed_ = (stimuli.instances(f"{c}-r2.0-o0.6-open") for c in ("consistent", "reversed"))
    alone = stimuli.instances("far_alone-r2.0-open")  # B alone is the frame's only box: id 1
    assert (consistent == 2).sum() < (alone == 1).sum() == (reversed_ == 2).sum()
    assert (reversed_ == 1).sum() < (consistent == 1).sum()


def test_a_true_depth_network_does_not_follow_depth_order(true_depth_result):
    summary, out = true_depth_result
    entry = summary["depth_order"]
    assert entry["accuracy"]["consistent"]["value"] == 1.0 and entry["accuracy"]["reversed"]["value"] == 1.0
    assert entry["accuracy"]["reversed"]["method"] == "wilson" and entry["accuracy"]["reversed"]["n_pairs"] == 27
    drop, coefficient = entry["accuracy_drop"], entry["front_coefficient"]
    assert drop["ci_low"] <= 0.0 <= drop["ci_high"] and drop["n_pairs"] == 27
    assert coefficient["ci_low"] <= 0.0 <= coefficient["ci_high"] and coefficient["method"] == "ols-hc3-t"
    assert not entry["follows_depth_order"] and entry["verdict_text"].startswith("does not follow depth order")
    assert entry["n_frames"] == 72 and entry["front_coefficient"]["n_frames"] == 72
    bleeding = entry["bleeding"]["reversed"]
    assert bleeding["ci_low"] <= 0.0 <= bleeding["ci_high"]


def test_a_depth_order_network_is_caught_with_its_planted_shift(depth_order_result):
    summary, out = depth_order_result
    entry = summary["depth_order"]
    assert entry["accuracy"]["consistent"]["value"] == 1.0 and entry["accuracy"]["reversed"]["value"] == 0.0
    assert entry["accuracy"]["reversed"]["ci_high"] < 0.2
    assert entry["accuracy_drop"]["ci_low"] > 0.8
    coefficient = entry["front_coefficient"]
    assert coefficient["ci_low"] <= PLANTED_SHIFT <= coefficient["ci_high"] and coefficient["ci_low"] > 1.0
    assert entry["follows_depth_order"] and entry["verdict_text"].startswith("follows depth order: ordering accuracy")
    assert "n = 27 pairs" in entry["verdict_text"]
    bleeding = entry["bleeding"]["reversed"]
    assert bleeding["ci_low"] <= -PLANTED_SHIFT <= bleeding["ci_high"]
    cells = pd.read_parquet(out / "depth_order_cells.parquet")
    reversed_cells = cells[(cells["condition"] == "reversed") & (cells["overlap"] > 0)]
    assert len(reversed_cells) == 3 and (reversed_cells["accuracy_value"] == 0.0).all()
    assert (cells[cells["overlap"] == 0.0]["overlap_actual"] == 0.0).all()
    assert (cells[cells["overlap"] > 0.0]["overlap_actual"] > 0.05).all()


def test_the_stored_predictions_rerun_gives_the_same_section(depth_order_set, depth_order_result, tmp_path):
    summary, out = depth_order_result
    again = analyse_predictions(depth_order_set, tmp_path / "again", predictions_dir=out / "predictions")
    assert again["depth_order"] == json.loads((out / SUMMARY_FILE).read_text())["depth_order"]


def test_no_tables_and_no_section_for_a_set_of_another_kind(true_depth_result, tmp_path):
    from tests.synthetic_set import write_synthetic_set
    root = write_synthetic_set(tmp_path / "pvs")
    summary = evaluate_set(root, lambda images: np.full(images.shape[:3], 10.0, np.float32), tmp_path / "out")
    assert "depth_order" not in summary
    assert not (tmp_path / "out" / "depth_order_pairs.parquet").exists()


def test_report_section_in_a_headless_browser(depth_order_result, tmp_path):
    from typer.testing import CliRunner

    from depthprobe.cli import app
    from tests.evaluator.results.browser import assert_page_is_clean, browser_or_skip, inspect_page

    browser = browser_or_skip()
    summary, out = depth_order_result
    results = tmp_path / "results"
    shutil.copytree(out, results)
    assert CliRunner().invoke(app, ["report", str(results)]).exit_code == 0
    page = results / "report.html"
    html = page.read_text(encoding="utf-8")
    assert '<section id="cue-depth_order">' in html and 'id="figure-depth_order"' in html
    assert summary["depth_order"]["verdict_text"] in html and "drawn-in-front coefficient" in html
    check = inspect_page(browser, page)
    assert_page_is_clean(check, page, n_images=html.count("<img "))


def test_estimates_on_common_pixels_leave_no_effect_for_the_flat_road_baseline(depth_order_set, tmp_path):
    # flat-road gives each pixel its row's road depth: B's estimate over its visible pixels would
    # change with how much of B shows; on the common pixels nothing but the drawing order changes
    summary = evaluate_set(depth_order_set, "flat-road", tmp_path / "flat")
    entry = summary["depth_order"]
    assert entry["front_coefficient"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert entry["front_coefficient"]["ci_low"] < 0 < entry["front_coefficient"]["ci_high"]
    for condition in ("consistent", "reversed"):
        assert entry["bleeding"][condition]["value"] == pytest.approx(0.0, abs=1e-9)
    pairs = pd.read_parquet(tmp_path / "flat" / "depth_order_pairs.parquet")
    twins = pairs.pivot_table(index=["distance_ratio", "overlap", "variant"], columns="condition",
                              values="estimate_far_m")
    assert np.allclose(twins["consistent"], twins["reversed"])
