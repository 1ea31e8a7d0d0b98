"""Render-time estimates from this machine's measurements (scenes/design/calibration.py)."""
from __future__ import annotations

import json

import pytest

from scenes.design.calibration import (MAX_MEASUREMENTS, Measurement, estimate_render_seconds, read_measurements,
                                       record_measurement, render_work, uncalibrated_seconds_per_render)
from scenes.spec.schema import load_spec, quick_spec, scaled_spec


@pytest.fixture(scope="module")
def spec():
    return load_spec("position_vs_size")


def measured(work: float, per_render: float, renders: int = 10, startup: float = 2.0) -> Measurement:
    return Measurement(work, per_render, renders, 1, 0.0, startup)


def test_without_measurements_the_estimate_is_the_labelled_guess(spec):
    estimate = estimate_render_seconds(spec, 100, [])
    assert estimate.seconds == pytest.approx(100 * uncalibrated_seconds_per_render(render_work(spec)))
    assert "uncalibrated" in estimate.basis and "--calibrate" in estimate.basis


def test_one_measurement_of_this_spec_predicts_its_own_rate_plus_startup(spec):
    estimate = estimate_render_seconds(spec, 100, [measured(render_work(spec), 0.5)])
    assert estimate.seconds == pytest.approx(2.0 + 50.0)
    assert "10 renders in 1 runs" in estimate.basis


def test_two_sizes_give_a_line_through_them(spec):
    small, large = quick_spec(spec), scaled_spec(spec, 1280, 32)
    points = [measured(render_work(small), 0.4), measured(render_work(large), 4.4)]
    middle = scaled_spec(spec, 640, 16)  # work between the two: on the line through them
    slope = (4.4 - 0.4) / (render_work(large) - render_work(small))
    expected = 0.4 + slope * (render_work(middle) - render_work(small))
    assert estimate_render_seconds(middle, 10, points).seconds == pytest.approx(2.0 + 10 * expected)
    assert "line through 20 renders in 2 runs" in estimate_render_seconds(middle, 10, points).basis


def test_the_store_keeps_measurements_per_machine_and_drops_the_oldest(tmp_path):
    store = tmp_path / "cal.json"
    for i in range(MAX_MEASUREMENTS + 5):
        assert record_measurement("m1", measured(1.0, 0.1 * (i + 1)), store)
    assert record_measurement("m2", measured(2.0, 9.0), store)
    kept = read_measurements("m1", store)
    assert len(kept) == MAX_MEASUREMENTS and kept[-1].seconds_per_render == pytest.approx(0.1 * (MAX_MEASUREMENTS + 5))
    assert [m.work for m in read_measurements("m2", store)] == [2.0]
    assert read_measurements("elsewhere", store) == []


def test_too_few_renders_are_not_stored_and_a_damaged_store_is_ignored(tmp_path):
    store = tmp_path / "cal.json"
    assert not record_measurement("m", measured(1.0, 0.5, renders=2), store)
    assert not store.exists()
    store.write_text("{not json", encoding="utf-8")
    assert read_measurements("m", store) == []
    assert record_measurement("m", measured(1.0, 0.5), store)  # a damaged store is replaced
    assert json.loads(store.read_text(encoding="utf-8"))["m"][0]["seconds_per_render"] == 0.5
    store.write_text(json.dumps({"m": [{"work": "x"}]}), encoding="utf-8")
    assert read_measurements("m", store) == []
