"""Per-object estimates: eroded masks, fallbacks, invalid predictions, statistics."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.errors import EvaluationArgumentError
from evaluator.analyses.objects import estimate_objects


def scene(shape=(20, 30)):
    return np.full(shape, 50.0, dtype=np.float32), np.zeros(shape, dtype=np.int32)


def test_boundary_pixels_are_eroded_away():
    depth, inst = scene()
    inst[5:10, 4:10] = 1        # 5 x 6 object
    depth[5:10, 4:10] = 100.0   # its boundary ring: blended values
    depth[6:9, 5:9] = 10.0      # its interior: 3 x 4
    (est,) = estimate_objects(depth, inst, [1])
    assert est.estimate_m == 10.0 and est.n_valid_px == 12 and est.mask_eroded


def test_thin_object_falls_back_to_the_full_mask():
    depth, inst = scene()
    inst[3:12, 7] = 2           # one pixel wide
    depth[3:12, 7] = 8.0
    (est,) = estimate_objects(depth, inst, [2])
    assert est.estimate_m == 8.0 and est.n_valid_px == 9 and not est.mask_eroded


def test_image_border_does_not_erode():
    depth, inst = scene()
    inst[0:4, 0:5] = 3          # touches the top and left border
    depth[0:4, 0:5] = 7.0
    (est,) = estimate_objects(depth, inst, [3])
    assert est.n_valid_px == 3 * 4 and est.mask_eroded  # only the bottom row and right column go


def test_non_finite_and_non_positive_predictions_are_ignored():
    depth, inst = scene()
    inst[2:8, 2:8] = 1
    depth[2:8, 2:8] = 4.0
    depth[3, 3], depth[3, 4], depth[4, 3], depth[4, 4] = np.inf, np.nan, 0.0, -2.0
    (est,) = estimate_objects(depth, inst, [1])
    assert est.estimate_m == 4.0 and est.n_valid_px == 16 - 4


def test_objects_without_usable_pixels_get_nan():
    depth, inst = scene()
    inst[2:8, 2:8] = 1
    depth[2:8, 2:8] = np.inf
    est = estimate_objects(depth, inst, [1, 9])  # 9 is not visible at all
    assert all(np.isnan(e.estimate_m) and e.n_valid_px == 0 for e in est)
    assert [e.object_id for e in est] == [1, 9]


def test_mean_and_median_differ_with_an_outlier():
    depth, inst = scene()
    inst[2:7, 2:7] = 1
    depth[3:6, 3:6] = 10.0
    depth[4, 4] = 100.0
    (median,) = estimate_objects(depth, inst, [1], "median")
    (mean,) = estimate_objects(depth, inst, [1], "mean")
    assert median.estimate_m == 10.0 and mean.estimate_m == pytest.approx(20.0)


def test_several_objects_in_one_frame_keep_the_requested_order():
    depth, inst = scene()
    inst[1:6, 1:6], depth[1:6, 1:6] = 4, 11.0
    inst[10:16, 10:20], depth[10:16, 10:20] = 2, 22.0
    est = estimate_objects(depth, inst, [2, 4])
    assert [(e.object_id, e.estimate_m) for e in est] == [(2, 22.0), (4, 11.0)]


def test_unknown_statistic_is_refused():
    depth, inst = scene()
    with pytest.raises(EvaluationArgumentError, match="unknown object statistic 'trimmed'"):
        estimate_objects(depth, inst, [1], "trimmed")
