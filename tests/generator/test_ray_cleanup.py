"""A local Ray started by depthprobe leaves nothing behind (generator/ray_cluster.py): not when
its driver is SIGKILLed (the watchdog kills the dashboard and runtime-env agents, which Ray leaves
alive for a minute or more), not after a run that stops on a user error in an actor, which prints
that error as its one line (no "Unhandled error" tracebacks of the renders handed out).  These run
real Ray drivers in subprocesses: slow, so few."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.ray_cluster import descendants, start_time
from generator.render_device import count_gpus

ROOT = Path(__file__).resolve().parents[2]
#: Seconds the killed driver's Ray processes get to go (Ray alone keeps its agents for 60 s and more).
GRACE_S = 10.0
#: A driver that starts a local Ray as the Ray executor does, says so, and waits to be killed.
HOLD = """
import sys, time
import ray
from generator.ray_cluster import start_local
start_local(ray, 1, 0)
print("ready", flush=True)
time.sleep(600)
"""


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def alive(marked: dict[int, str | None]) -> list[int]:
    """The processes of ``marked`` (id -> start time) still running (zombies count as gone)."""
    running = []
    for pid, started in marked.items():
        try:
            state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if start_time(pid) == started and state != b"Z":
            running.append(pid)
    return running


def watch(process: subprocess.Popen, until) -> dict[int, str | None]:
    """Every descendant of ``process`` seen (id -> start time) while ``until()`` is false."""
    seen: dict[int, str | None] = {}
    while not until():
        seen.update({pid: start_time(pid) for pid in descendants(process.pid) if pid not in seen})
        time.sleep(0.2)
    return seen


def wait_gone(seen: dict[int, str | None]) -> list[int]:
    deadline = time.monotonic() + GRACE_S
    while alive(seen) and time.monotonic() < deadline:
        time.sleep(0.5)
    return alive(seen)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="the watchdog reads /proc")
def test_a_killed_driver_leaves_no_ray_process_behind():
    pytest.importorskip("ray")
    driver = subprocess.Popen([sys.executable, "-c", HOLD], cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert driver.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        seen, found = {}, []
        while len(found) < 2 and time.monotonic() < deadline:  # the agents start after ray.init
            seen.update({pid: start_time(pid) for pid in descendants(driver.pid)})
            found = agents(seen)
            time.sleep(0.2)
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
    assert sorted(found) == ["ray::DashboardAgent", "ray::RuntimeEnvAgent"], seen
    assert wait_gone(seen) == []


def agents(pids) -> list[str]:
    """The titles of the Ray agents among ``pids``."""
    titles = []
    for pid in pids:
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if title in ("ray::DashboardAgent", "ray::RuntimeEnvAgent"):
            titles.append(title)
    return titles


@pytest.mark.bpy
@pytest.mark.skipif(count_gpus() > 0, reason="this machine has a GPU: optix renders")
def test_a_user_error_in_an_actor_is_one_line_and_ray_stops(tmp_path):
    pytest.importorskip("ray")
    command = [sys.executable, "-m", "depthprobe.cli", "generate", "camera_pitch", "--quick", "--limit", "4",
               "--workers", "2", "--threads", "1", "--executor", "ray", "--render-device", "optix",
               "--out", str(tmp_path / "set")]
    run = subprocess.Popen(command, cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    seen = watch(run, until=lambda: run.poll() is not None)
    output = run.stdout.read()
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert run.returncode == 2, output
    assert errors == ["error: --render-device optix: Cycles finds no OPTIX device on this machine"], output
    assert "Traceback" not in output and "Unhandled error" not in output, output
    assert len(seen) >= 4 and wait_gone(seen) == []
