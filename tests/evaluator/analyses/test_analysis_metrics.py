"""Standard depth metrics (monodepth2's definitions) per frame and region, and their summary."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.analyses.intervals import bootstrap_mean, wilson
from evaluator.analyses.metrics import MAX_DEPTH_M, METRICS, compute_errors, frame_metrics, metrics_table, summarise_metrics


def monodepth2_compute_errors(gt, pred):
    """monodepth2 evaluate_depth.py compute_errors, verbatim apart from names."""
    thresh = np.maximum((gt / pred), (pred / gt))
    a1 = (thresh < 1.25).mean()
    a2 = (thresh < 1.25 ** 2).mean()
    a3 = (thresh < 1.25 ** 3).mean()
    rmse = np.sqrt(((gt - pred) ** 2).mean())
    rmse_log = np.sqrt(((np.log(gt) - np.log(pred)) ** 2).mean())
    abs_rel = np.mean(np.abs(gt - pred) / gt)
    sq_rel = np.mean(((gt - pred) ** 2) / gt)
    return abs_rel, sq_rel, rmse, rmse_log, a1, a2, a3


def test_compute_errors_matches_monodepth2():
    rng = np.random.default_rng(0)
    gt = rng.uniform(2, 70, 5000)
    pred = gt * np.exp(0.2 * rng.standard_normal(gt.size))
    ours = compute_errors(gt, pred)
    assert [ours[m] for m in METRICS] == pytest.approx(list(monodepth2_compute_errors(gt, pred)), rel=1e-12)


def frame():
    gt = np.full((6, 8), 10.0, np.float32)
    gt[:2] = np.inf  # sky
    gt[2, :] = 120.0  # beyond the 80 m cap
    semantic = np.ones((6, 8), np.uint8)
    semantic[:2] = 0
    instances = np.zeros((6, 8), np.int32)
    instances[4:, 2:4] = 1
    pred = np.full((6, 8), 11.0, np.float32)
    return pred, gt, semantic, instances


def test_regions_caps_and_invalid_predictions_are_counted():
    pred, gt, semantic, instances = frame()
    pred[5, 7] = np.nan  # undefined after alignment: left out, counted
    pred[3, 0] = np.inf  # "no surface" where there is one: unusable, left out, counted (was clipped)
    pred[3, 1] = -2.0  # negative depth: unusable, left out, counted (was scored)
    rows = {r["region"]: r for r in frame_metrics("f", pred, gt, semantic, instances)}
    assert set(rows) == {"all", "road", "object"}
    assert rows["all"]["n_px"] == 3 * 8 - 3 and rows["all"]["n_px_pred_invalid"] == 3
    assert (rows["all"]["n_px_pred_nan"], rows["all"]["n_px_pred_inf"], rows["all"]["n_px_pred_nonpositive"]) == (1, 1, 1)
    assert rows["object"]["n_px"] == 4 and rows["object"]["abs_rel"] == pytest.approx(0.1)
    assert rows["all"]["abs_rel"] == pytest.approx(0.1)
    capped = frame()[0]
    capped[3, 0] = 500.0  # a finite prediction beyond the cap is clipped to it (monodepth2)
    clipped = compute_errors(np.array([10.0]), np.array([MAX_DEPTH_M]))
    expected = (23 * 0.1 + clipped["abs_rel"]) / 24
    assert {r["region"]: r for r in frame_metrics("f", capped, gt, semantic, instances)}["all"]["abs_rel"] == \
        pytest.approx(expected)
    uncapped = {r["region"]: r for r in frame_metrics("f", np.full_like(pred, 11.0), gt, semantic, instances,
                                                        max_depth_m=None)}
    assert uncapped["all"]["n_px"] == 4 * 8


def test_a_region_without_pixels_has_no_row_and_unusable_output_is_counted_not_scored():
    pred, gt, semantic, instances = frame()
    rows = frame_metrics("f", pred, gt, semantic, np.zeros_like(instances))
    assert {r["region"] for r in rows} == {"all", "road"}
    for bad in (np.nan, np.inf, 0.0, -1.0):
        unusable = frame_metrics("f", np.full_like(pred, bad), gt, semantic, instances)
        assert [r["n_px"] for r in unusable] == [0, 0, 0] and all(np.isnan(r["abs_rel"]) for r in unusable)
        assert unusable[0]["n_px_pred_invalid"] == 3 * 8
        summary = summarise_metrics(metrics_table(unusable), np.random.default_rng(0))
        assert summary["regions"]["all"] is None and summary["validity"]["fraction_invalid"] == 1.0


def test_summary_has_intervals_counts_and_is_reproducible():
    rng = np.random.default_rng(1)
    rows = []
    for i in range(30):
        pred, gt, semantic, instances = frame()
        rows += frame_metrics(f"f{i}", pred * np.float32(rng.uniform(0.9, 1.3)), gt, semantic, instances)
    table = metrics_table(rows)
    first = summarise_metrics(table, np.random.default_rng(7))
    again = summarise_metrics(table, np.random.default_rng(7))
    assert first == again
    road = first["regions"]["road"]
    assert road["n_frames"] == 30 and road["n_pixels"] == 30 * 3 * 8
    for metric in METRICS:
        entry = road[metric]
        assert entry["ci_low"] <= entry["value"] <= entry["ci_high"]
    assert road["abs_rel"]["ci_high"] > road["abs_rel"]["ci_low"]
    assert first["depth_range_m"] == [1e-3, MAX_DEPTH_M]
    empty = summarise_metrics(metrics_table([]), np.random.default_rng(7))
    assert empty["regions"] == {"all": None, "road": None, "object": None}


def test_bootstrap_and_wilson_intervals():
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(300):
        hits += bootstrap_mean(rng.normal(1.0, 1.0, 60), rng).covers(1.0)
    assert hits / 300 >= 0.9  # the percentile bootstrap is slightly liberal at n = 60
    one = bootstrap_mean(np.array([2.0, np.nan]), rng)
    assert one.value == 2.0 and one.n == 1 and np.isnan(one.ci_low)
    none = wilson(0, 20)
    assert none.value == 0.0 and none.ci_low == 0.0 and 0.1 < none.ci_high < 0.2
    assert np.isnan(wilson(0, 0).value)


def test_frame_metrics_equal_compute_errors_per_region():
    rng = np.random.default_rng(5)
    gt = rng.uniform(1, 100, (20, 30)).astype(np.float32)
    gt[:3] = np.inf
    pred = (gt * np.exp(0.3 * rng.standard_normal(gt.shape))).astype(np.float32)
    pred[5, :4] = np.nan
    semantic = (rng.random(gt.shape) < 0.6).astype(np.uint8)
    instances = (rng.random(gt.shape) < 0.2).astype(np.int32)
    rows = {r["region"]: r for r in frame_metrics("f", pred, gt, semantic, instances)}
    valid = np.isfinite(gt) & (gt <= MAX_DEPTH_M) & ~np.isnan(pred)
    for region, mask in (("all", valid), ("road", valid & (semantic == 1)), ("object", valid & (instances > 0))):
        expected = compute_errors(gt[mask], np.clip(pred[mask], 1e-3, MAX_DEPTH_M))
        assert [rows[region][m] for m in METRICS] == pytest.approx([expected[m] for m in METRICS], rel=1e-9)
        assert rows[region]["n_px"] == int(mask.sum())


@pytest.mark.parametrize("layout", ["no_road_only", "no_object", "object_on_road_only", "one_block_edge"])
def test_frame_metrics_per_region_when_some_region_codes_are_empty(layout):
    rng = np.random.default_rng(11)
    shape = (96, 200) if layout == "one_block_edge" else (40, 50)  # 19200 px: more than one block
    gt = rng.uniform(1, 70, shape).astype(np.float32)
    pred = (gt * np.exp(0.2 * rng.standard_normal(shape))).astype(np.float32)
    semantic = np.zeros(shape, np.uint8)
    instances = np.zeros(shape, np.int32)
    if layout == "no_road_only":
        instances[10:20] = 1
        semantic[10:20] = 1  # road pixels are all object pixels too
    elif layout == "no_object":
        semantic[20:] = 1
    elif layout == "object_on_road_only":
        semantic[:] = 1
        instances[5:9, 5:9] = 2
    else:
        semantic[::3] = 1
        instances[50:60, 20:180] = 1
    rows = {r["region"]: r for r in frame_metrics("f", pred, gt, semantic, instances)}
    for region, mask in (("all", np.ones(shape, bool)), ("road", semantic == 1), ("object", instances > 0)):
        if not mask.any():
            assert region not in rows
            continue
        expected = compute_errors(gt[mask], np.clip(pred[mask], 1e-3, MAX_DEPTH_M))
        assert [rows[region][m] for m in METRICS] == pytest.approx([expected[m] for m in METRICS], rel=1e-9)
        assert rows[region]["n_px"] == int(mask.sum())
