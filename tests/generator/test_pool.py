"""The worker pool (generator/pool.py) on tiny real renders: the same files with 1 and 2 workers,
renders handed back as they finish, a dead worker is an error naming it.

The set: 96x32, 2 samples, counterfactual frames, 3 frames (shadow on and off, a flat base band
on a flat silhouette) x 3 variants.  With 2 workers one of them builds two worlds."""
from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from generator.generate import generate, plan_frames
import generator.pool as pool_module
from generator.pool import RenderPool, RenderWorkerError
from scenes import open_stimulus_set
from scenes.catalog import default_catalog
from scenes.spec.schema import load_spec
from tests.generator.set_compare import assert_same_set, write_spec

pytestmark = pytest.mark.bpy

SPEC = {
    "include": "_base.yaml", "name": "pool_test", "version": 1, "seed": 3,
    "camera": {"width": 96, "height": 32},
    "render": {"samples": 2, "counterfactual": True},
    "world": {"variants": [
        {"name": "a_open", "roadside": "open"},
        {"name": "b_rural", "roadside": "fence", "overcast": True, "lanes": 3},
        {"name": "c_avenue", "roadside": "trees", "sun": {"elevation_deg": 20.0, "azimuth_deg": 100.0}},
    ]},
    "experiment": {"kind": "ground_contact", "asset": "car_sedan", "base_distance_m": 10.0,
                   "relative_distance": [1.0], "shadow": True,
                   "band": {"thickness_px": [4.0], "value": [0.2]}},
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return load_spec(write_spec(tmp_path_factory.mktemp("pool"), SPEC))


def test_one_and_two_workers_write_identical_sets(spec, tmp_path):
    one = generate(spec, tmp_path / "one", workers=1)
    two = generate(spec, tmp_path / "two", workers=2)
    assert one.n_rendered == two.n_rendered == 9
    assert_same_set(tmp_path / "one", tmp_path / "two")
    s = open_stimulus_set(tmp_path / "two")
    assert s.problems() == []
    meshes = {path.name for path in (tmp_path / "two" / "geometry" / "meshes").iterdir()}
    assert any(name.startswith("band_1-") for name in meshes) and not any("_001" in name for name in meshes)


def render_workers() -> list[multiprocessing.Process]:
    return [p for p in multiprocessing.active_children() if p.name.startswith("depthprobe-render-")]


def test_a_worker_that_dies_is_started_again_and_renders_the_same(spec):
    plans = plan_frames(spec, default_catalog())[:2]
    with RenderPool(spec, default_catalog(), workers=1) as pool:
        (worker,) = render_workers()
        os.kill(worker.pid, signal.SIGKILL)
        killed = {r.render_id: r for r in pool.render(plans)}
        assert pool.failures == {0: 1}
        (fresh,) = render_workers()
        assert fresh.pid != worker.pid
        again = {r.render_id: r for r in pool.render(plans)}
    assert sorted(killed) == sorted(p.render_id for p in plans)
    for render_id, result in killed.items():
        assert np.array_equal(result.frame.rgb, again[render_id].frame.rgb)
        assert np.array_equal(result.frame.depth, again[render_id].frame.depth)


def test_a_worker_dead_too_often_is_an_error_naming_it_and_the_pool_cleans_up(spec, monkeypatch):
    monkeypatch.setattr(pool_module, "MAX_RESTARTS", 0)
    plans = plan_frames(spec, default_catalog())[:2]
    with pytest.raises(RenderWorkerError, match="render worker 0 stopped"):
        with RenderPool(spec, default_catalog(), workers=1) as pool:
            (worker,) = render_workers()
            os.kill(worker.pid, signal.SIGKILL)
            list(pool.render(plans))
    assert render_workers() == []


def test_the_pool_hands_back_one_result_per_render(spec):
    plans = plan_frames(spec, default_catalog())
    with RenderPool(spec, default_catalog(), workers=1, threads=2) as pool:
        results = list(pool.render(plans[:2])) + list(pool.render(plans[2:3]))  # two batches, one pool
        stopped = pool.render(plans[3:5])
        next(stopped)
        stopped.close()  # a batch left unfinished: its replies are still in the pipe
        with pytest.raises(RuntimeError, match="did not finish"):
            next(pool.render(plans[5:6]))
    assert sorted(r.render_id for r in results) == sorted(p.render_id for p in plans[:3])
    for r in results:
        assert r.frame.rgb.shape == (32, 96, 3) and r.counterfactual is not None
        assert r.geometry.frame_id == r.plans[0].frame_id and r.geometry.world == r.plans[0].variant.name
        assert set(r.contacts) == {p.object_id for p in r.plans[0].objects}
