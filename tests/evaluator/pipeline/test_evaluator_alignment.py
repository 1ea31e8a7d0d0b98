"""Scale alignment: policy choice, fits on road pixels, application, refusals."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.pipeline.alignment import (MIN_ALIGNMENT_PX, Alignment, AlignmentPolicy, RoadSamples, choose_policy,
                                 fit_alignment)
from evaluator.errors import AlignmentError
from evaluator.models.base import OutputKind
from scenes.geometry.camera import kitti_like_camera
from scenes.geometry.classes import SEMANTIC_CLASSES

CAMERA = kitti_like_camera(width=160, height=48)
TRUE = CAMERA.road_depth_map()
SEMANTIC = np.where(np.isfinite(TRUE), SEMANTIC_CLASSES["road"], SEMANTIC_CLASSES["sky"]).astype(np.uint8)


def samples_for(raw: np.ndarray, frames: int = 2, seed: int = 0, cap: int | None = None) -> RoadSamples:
    rng = np.random.default_rng(seed)
    samples = RoadSamples(cap, rng) if cap else RoadSamples.for_frames(frames, rng)
    for _ in range(frames):
        samples.add(raw, TRUE, SEMANTIC)
    return samples


@pytest.mark.parametrize("kind, policy", [("metric_depth", "none"), ("disparity", "median"),
                                          ("relative_inverse_depth", "lstsq")])
def test_default_policy_per_output_kind(kind, policy):
    assert choose_policy(kind, None) == AlignmentPolicy(policy)


@pytest.mark.parametrize("kind, requested", [("disparity", "none"), ("relative_inverse_depth", "median"),
                                             ("relative_inverse_depth", "none")])
def test_policies_that_cannot_give_metres_are_refused(kind, requested):
    with pytest.raises(AlignmentError, match="cannot turn"):
        choose_policy(kind, requested)


def test_unknown_policy_is_refused():
    with pytest.raises(AlignmentError, match="unknown alignment 'per-frame'"):
        choose_policy("metric_depth", "per-frame")


def test_median_scaling_recovers_disparity_scale():
    with np.errstate(divide="ignore"):
        raw = (3.5 / TRUE).astype(np.float32)  # disparity, 0 in the sky
    fitted = fit_alignment(samples_for(raw), AlignmentPolicy.MEDIAN, OutputKind.DISPARITY)
    assert fitted.scale == pytest.approx(3.5, rel=1e-5)
    assert fitted.n_frames == 2 and fitted.n_px == 2 * int(np.isfinite(TRUE).sum())
    aligned = fitted.apply(raw)
    road = np.isfinite(TRUE)
    np.testing.assert_allclose(aligned[road], TRUE[road], rtol=1e-5)
    assert np.all(np.isinf(aligned[~road]))


def test_median_scaling_of_metric_depth():
    fitted = fit_alignment(samples_for(TRUE * 0.5), AlignmentPolicy.MEDIAN, OutputKind.METRIC_DEPTH)
    assert fitted.scale == pytest.approx(2.0, rel=1e-6)


def test_lstsq_recovers_scale_and_shift_of_relative_inverse_depth():
    with np.errstate(divide="ignore"):
        raw = (4.0 / TRUE + 0.3).astype(np.float32)
    fitted = fit_alignment(samples_for(raw), AlignmentPolicy.LSTSQ, OutputKind.RELATIVE_INVERSE_DEPTH)
    assert fitted.scale == pytest.approx(0.25, rel=1e-4)
    assert fitted.shift == pytest.approx(-0.075, rel=1e-3)
    road = np.isfinite(TRUE)
    np.testing.assert_allclose(fitted.apply(raw)[road], TRUE[road], rtol=1e-3)


def test_lstsq_apply_maps_nonpositive_inverse_depth_to_inf_and_keeps_nan():
    fitted = Alignment(AlignmentPolicy.LSTSQ, OutputKind.RELATIVE_INVERSE_DEPTH, scale=1.0, shift=-0.5)
    out = fitted.apply(np.array([1.5, 0.5, 0.2, np.nan], dtype=np.float32))
    assert out[0] == pytest.approx(1.0) and np.isinf(out[1]) and np.isinf(out[2]) and np.isnan(out[3])


def test_lstsq_refuses_output_that_grows_with_distance():
    with pytest.raises(AlignmentError, match="not positive"):
        fit_alignment(samples_for(TRUE), AlignmentPolicy.LSTSQ, OutputKind.RELATIVE_INVERSE_DEPTH)


def test_no_reference_frames_is_refused():
    with pytest.raises(AlignmentError, match="needs reference frames"):
        fit_alignment(None, AlignmentPolicy.MEDIAN, OutputKind.DISPARITY)


def test_too_few_road_pixels_is_refused():
    raw = np.full(TRUE.shape, np.nan, dtype=np.float32)
    raw[-1, :10] = 1.0  # ten finite road pixels only
    with pytest.raises(AlignmentError, match=f"only 20 usable road pixels .*need {MIN_ALIGNMENT_PX}"):
        fit_alignment(samples_for(raw), AlignmentPolicy.MEDIAN, OutputKind.DISPARITY)


def test_only_road_pixels_enter_the_fit():
    semantic = SEMANTIC.copy()
    semantic[-10:] = SEMANTIC_CLASSES["vehicle"]
    raw = TRUE.copy()
    raw[-10:] = 1000.0  # an object that the fit must not see
    samples = RoadSamples.for_frames(1, np.random.default_rng(0))
    samples.add(raw, TRUE, semantic)
    fitted = fit_alignment(samples, AlignmentPolicy.MEDIAN, OutputKind.METRIC_DEPTH)
    assert fitted.scale == pytest.approx(1.0)


def test_subsampling_is_capped_and_reproducible():
    raw = TRUE * 2.0
    a = samples_for(raw, frames=3, cap=50, seed=4)
    b = samples_for(raw, frames=3, cap=50, seed=4)
    assert a.arrays()[0].size == 150 and a.n_available == 3 * int(np.isfinite(TRUE).sum())
    np.testing.assert_array_equal(a.arrays()[1], b.arrays()[1])
    fitted = fit_alignment(a, AlignmentPolicy.MEDIAN, OutputKind.METRIC_DEPTH)
    assert fitted.scale == pytest.approx(0.5) and fitted.n_px == 150


@pytest.mark.parametrize("fitted", [Alignment(AlignmentPolicy.NONE, OutputKind.METRIC_DEPTH),
                                    Alignment(AlignmentPolicy.MEDIAN, OutputKind.DISPARITY, 2.5, 0.0, 1234, 2),
                                    Alignment(AlignmentPolicy.LSTSQ, OutputKind.RELATIVE_INVERSE_DEPTH, 0.3, -0.01,
                                              999, 1)])
def test_from_dict_reads_back_what_to_dict_wrote(fitted):
    import json

    assert Alignment.from_dict(json.loads(json.dumps(fitted.to_dict()))) == fitted


@pytest.mark.parametrize("change, message", [({"policy": "mean"}, "damaged"), ({"scale": "big"}, "damaged"),
                                             ({"n_px": None}, "damaged"), ({"shift": ...}, "no 'shift'")])
def test_a_damaged_recorded_alignment_is_one_line(change, message):
    data = {**Alignment(AlignmentPolicy.MEDIAN, OutputKind.DISPARITY, 2.5).to_dict(), **change}
    data = {k: v for k, v in data.items() if v is not ...}
    with pytest.raises(AlignmentError, match=message) as info:
        Alignment.from_dict(data)
    assert "\n" not in str(info.value)
