"""The evaluation benchmark (depthprobe bench evaluation) runs end to end on a tiny set (figures only; nothing about speed is asserted)."""
from __future__ import annotations

import pytest

from depthprobe.bench.evaluation import time_run, write_benchmark_set
from evaluator.pipeline.verify import open_verified
from scenes.geometry.camera import kitti_like_camera

pytest.importorskip("torch")


def test_benchmark_set_is_a_valid_stimulus_set(tmp_path):
    root = write_benchmark_set(tmp_path / "set", 7, kitti_like_camera(width=160, height=48))
    stimulus_set = open_verified(root)
    assert len(stimulus_set.frames) == 7 and int(stimulus_set.frames["is_reference"].sum()) == 3


def test_timing_run_reports_its_figures():
    timing = time_run(6, batch_size=4, channels=4, width=160, height=48, repeats=1)
    for key in ("ratio", "cpu_ratio", "bare_forward_s", "evaluate_wall_s", "overhead_ms_per_frame",
                "forward_ms_per_frame", "ratio_pairs"):
        assert key in timing, key
    assert timing["frames"] == 6 and len(timing["bare_forward_all_s"]) == 2 and timing["ratio"] > 0
