"""The plain-BlenderProc baseline (generator/baseline_plain_blenderproc.py): two tiny scenes, two processes."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from generator.baseline_plain_blenderproc import run_plain_scenes

pytestmark = pytest.mark.bpy

WIDTH, HEIGHT = 64, 32


def check_scene(scene_dir):
    """One scene's files: RGB size, instance map with the car, depth nearer on the car than the road."""
    with Image.open(scene_dir / "rgb.png") as rgb:
        assert rgb.size == (WIDTH, HEIGHT)
    depth, instance = np.load(scene_dir / "depth.npy"), np.load(scene_dir / "instance.npy")
    assert depth.shape == instance.shape == (HEIGHT, WIDTH)
    ids = json.loads((scene_dir / "instances.json").read_text(encoding="utf-8"))
    car = np.isin(instance, [i for name, i in ids.items() if name.startswith("car_")])
    road = instance == ids["road"]
    assert car.sum() >= 10 and road.sum() >= 100
    car_depth = depth[car]
    assert np.isfinite(car_depth).all() and 5.0 < np.median(car_depth) < 15.0  # metres, ~10 m ahead
    rows = np.unique(np.nonzero(car)[0])  # road seen beside the car in its rows lies behind it
    behind = road & np.isin(np.arange(HEIGHT), rows)[:, None]
    assert behind.any() and np.median(depth[behind]) > np.median(car_depth)


def test_two_scenes_in_two_processes(tmp_path):
    """Two processes at once: each scene's files are right, the timings (s) and memory (MiB) positive."""
    result = run_plain_scenes(2, 2, tmp_path, width=WIDTH, height=HEIGHT, samples=2)
    assert sorted(p.name for p in tmp_path.glob("scene_*/rgb.png")) == ["rgb.png"] * 2
    for scene_dir in sorted(tmp_path.glob("scene_*")):
        check_scene(scene_dir)
    assert result["scenes"] == 2 and result["concurrency"] == 2
    for key in ("wall_seconds", "frames_per_second", "median_process_seconds", "median_render_seconds",
                "max_peak_rss_mb"):
        assert result[key] > 0, key
    first, second = (np.load(tmp_path / f"scene_{i:04d}" / "depth.npy") for i in range(2))
    assert not np.array_equal(first, second)  # seed = scene index jitters the car


def test_a_failing_scene_raises_with_its_stderr(tmp_path):
    """A scene that cannot render (zero width: no focal length) raises RuntimeError."""
    with pytest.raises(RuntimeError, match="scene 0 failed"):
        run_plain_scenes(1, 1, tmp_path, width=0, height=HEIGHT, samples=1)
