"""Same spec and seed, same files: whichever process renders a frame and whatever it rendered
before (generator/frame_renderer.py, "Determinism"), also when a run is killed with SIGKILL at
seeded random moments (once with a worker pool) and resumed.  Tiny real renders (96x32,
2 samples, 12 frames over 3 world variants), each run a fresh process."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from scenes import open_stimulus_set
from scenes.formats.stimulus_set import PROGRESS, layer_path
from tests.generator.set_compare import CLI, ROOT, assert_same_set, cli_generate, write_spec

pytestmark = pytest.mark.bpy

#: 2 distances x 2 conditions x 3 variants (names sort a, b, c: the order they render in); the
#: town has parked cars and its own sun, the avenue trees and a low sun.
SPEC = {
    "include": "_base.yaml", "name": "determinism_test", "version": 1, "seed": 11,
    "camera": {"width": 96, "height": 32},
    "render": {"samples": 2},
    "world": {"variants": [
        {"name": "a_open", "roadside": "open"},
        {"name": "b_town", "roadside": "buildings", "parked_cars": 2,
         "sun": {"elevation_deg": 55.0, "azimuth_deg": -120.0}},
        {"name": "c_avenue", "roadside": "trees", "sun": {"elevation_deg": 20.0, "azimuth_deg": 100.0}},
    ]},
    "experiment": {"kind": "position_vs_size", "asset": "car_sedan", "base_distance_m": 8.0,
                   "relative_distance": {"start": 1.0, "stop": 1.5, "step": 0.5},
                   "conditions": ["position_and_size", "size_only"]},
}
N_FRAMES = 12
#: One entry per killed run: its workers, and after how many more finished frames it is killed,
#: then a random 0 ... 0.1 s later (while it renders or writes the next ones); 0 frames: a
#: random 0.2 ... 1.5 s after its start (while it loads Blender or builds a world).
KILLS = ((1, 0), (2, 2), (1, 1))


def progress_lines(out: Path) -> list[str]:
    """The complete lines of the set's progress.jsonl (a killed write may leave half a line)."""
    path = out / PROGRESS
    if not path.is_file():
        return []
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def finished_frames(out: Path) -> list[str]:
    """Frame ids of the complete records in progress.jsonl, in file order (repeats kept)."""
    ids = []
    for line in progress_lines(out):
        try:
            ids.append(json.loads(line)["frame_id"])
        except json.JSONDecodeError:
            continue
    return ids


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    """Wait until none of ``pids`` runs any more (up to ``timeout_s`` seconds); those still running."""
    deadline = time.monotonic() + timeout_s
    alive = [pid for pid in pids if running(pid)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if running(pid)]
    return alive


def killed_run(spec_path: Path, out: Path, workers: int, after_frames: int, rng: np.random.Generator) -> None:
    """Start ``generate --resume`` and SIGKILL it once ``after_frames`` more frames are recorded
    (plus a random delay); its render workers must then leave by themselves."""
    before = len(finished_frames(out))
    command = [*CLI, "generate", str(spec_path), "--out", str(out), "--resume", "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(finished_frames(out)) < before + after_frames and process.poll() is None:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.1) if after_frames else rng.uniform(0.2, 1.5)))
        workers_pids = children_of(process.pid)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL, f"the run ended by itself (exit code {process.returncode})"
    assert wait_gone(workers_pids, 20.0) == [], "render workers outlived their parent"


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    return write_spec(tmp_path_factory.mktemp("determinism"), SPEC)


@pytest.fixture(scope="module")
def reference(spec_path) -> Path:
    out = spec_path.parent / "reference"
    cli_generate(spec_path, out, "--workers", "1")
    return out


def test_two_fresh_processes_render_identical_files(reference, spec_path):
    again = spec_path.parent / "again"
    cli_generate(spec_path, again, "--workers", "1")
    assert len(open_stimulus_set(again).frames) == N_FRAMES
    assert_same_set(reference, again)


def test_a_variant_renders_the_same_first_in_a_process_as_after_another(reference, spec_path):
    """In the reference run b_town comes after a_open and c_avenue after both; resumed here
    without their RGB, b_town is the first world the new process builds and c_avenue follows it."""
    resumed = spec_path.parent / "resumed"
    shutil.copytree(reference, resumed)
    later = [fid for fid in open_stimulus_set(resumed).frame_ids if not fid.endswith("a_open")]
    assert len(later) == 8
    for fid in later:
        layer_path(resumed, "rgb", fid).unlink()
    cli_generate(spec_path, resumed, "--workers", "1", "--resume")
    assert_same_set(reference, resumed)


def test_killed_and_resumed_runs_end_with_the_set_of_an_uninterrupted_run(reference, spec_path):
    resumed = spec_path.parent / "killed"
    rng = np.random.default_rng(20240607)
    for workers, after_frames in KILLS:
        killed_run(spec_path, resumed, workers, after_frames, rng)
    assert len(set(finished_frames(resumed))) < N_FRAMES  # the last kill left work to resume
    cli_generate(spec_path, resumed, "--resume", "--workers", "1")
    assert_same_set(reference, resumed)
    frame_ids = finished_frames(resumed)
    assert len(frame_ids) == len(set(frame_ids)) == N_FRAMES  # none lost, none recorded twice
    assert sorted(open_stimulus_set(resumed).frame_ids) == sorted(frame_ids)
    assert not [p for p in resumed.rglob(".*") if p.is_file()]  # no temporary files left
