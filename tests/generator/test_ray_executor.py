"""The Ray executor (generator/ray_executor.py): a local Ray with 2 CPUs renders the pool test's
tiny set into files identical to the worker pool's; actors are sized from the cluster's
resources; a missing Ray is a one-line error."""
from __future__ import annotations

import sys

import pytest

from generator.executors import ExecutorOptions
from generator.ray_executor import actor_sizes, import_ray
from generator.render_device import count_gpus
from scenes.errors import DepthprobeError
from scenes.spec.schema import load_spec
from tests.generator.set_compare import assert_same_set, write_spec
from tests.generator.test_pool import SPEC


def test_actors_are_one_per_gpu_or_the_cpus_split():
    assert actor_sizes({"CPU": 16.0, "GPU": 2.0}, "auto", None, None, 100) == (2, 8, 1)
    assert actor_sizes({"CPU": 16.0, "GPU": 2.0}, "cpu", None, None, 100) == (8, 2, 0)
    assert actor_sizes({"CPU": 2.0}, "auto", None, None, 100) == (1, 2, 0)
    assert actor_sizes({"CPU": 2.0}, "cpu", 2, None, 100) == (2, 1, 0)
    assert actor_sizes({"CPU": 2.0}, "cpu", 4, 1, 3) == (2, 1, 0)  # no more than the CPUs hold
    assert actor_sizes({"CPU": 64.0}, "cpu", None, None, 3) == (3, 2, 0)  # no more than renders


def test_without_ray_the_executor_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(DepthprobeError, match=r"pip install 'depthprobe\[ray\]'"):
        import_ray()


@pytest.mark.skipif(count_gpus() > 0, reason="this machine has a GPU: cuda renders")
def test_no_cuda_device_is_a_one_line_error_before_anything_is_written(tmp_path):
    with pytest.raises(DepthprobeError, match="--render-device cuda: this machine has no NVIDIA GPU"):
        ExecutorOptions(render_device="cuda").checked()


@pytest.mark.bpy
@pytest.mark.skipif(count_gpus() > 0, reason="this machine has a GPU: cuda renders")
def test_a_user_error_in_a_ray_actor_reaches_the_driver_as_itself(tmp_path):
    ray = pytest.importorskip("ray")
    from generator.generate import generate

    spec = load_spec(write_spec(tmp_path, SPEC))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        with pytest.raises(DepthprobeError, match="Cycles finds no CUDA device"):
            generate(spec, tmp_path / "ray", executor=ExecutorOptions(workers=1, render_device="cuda", executor="ray"))
    finally:
        ray.shutdown()


def test_bad_executor_options_are_one_line_errors():
    for options, field in ((ExecutorOptions(executor="slurm"), "--executor"),
                           (ExecutorOptions(address="auto"), "--address"),
                           (ExecutorOptions(render_device="tpu"), "--render-device"),
                           (ExecutorOptions(workers=0), "--workers")):
        with pytest.raises(DepthprobeError, match=field):
            options.checked()


@pytest.mark.bpy
def test_a_local_ray_with_2_cpus_writes_the_pools_files(tmp_path):
    ray = pytest.importorskip("ray")
    from generator.generate import generate

    spec = load_spec(write_spec(tmp_path, SPEC))
    pool = generate(spec, tmp_path / "pool", executor=ExecutorOptions(workers=1, render_device="cpu", in_process=False))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        on_ray = generate(spec, tmp_path / "ray",
                          executor=ExecutorOptions(workers=2, threads=1, render_device="cpu", executor="ray"))
    finally:
        ray.shutdown()
    assert on_ray.n_rendered == pool.n_rendered == 9
    assert on_ray.totals.renders == pool.totals.renders == 9 and on_ray.totals.seconds["cycles_s"] > 0
    assert_same_set(tmp_path / "pool", tmp_path / "ray")
