"""``depthprobe search`` on real renders (Cycles, tiny: 64x32 px, 2 samples, 3 trials), through the
command line and through ``run_search`` with the generator's worker pool."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from depthprobe.search.runner import run_search as search
from generator.executors import ExecutorOptions
from scenes.formats.stimulus_set import open_stimulus_set
from scenes.spec.schema import load_spec

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.bpy


def tiny_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(yaml.safe_dump({
        "include": "_base.yaml", "name": "tiny_search", "version": 1, "seed": 1,
        "camera": {"width": 64, "height": 32}, "render": {"samples": 2},
        "experiment": {"kind": "elevation", "asset": "car_sedan", "distance_m": 10,
                       "elevation_m": {"start": 0, "stop": 0.1, "step": 0.1}},
        "search": {"assets": ["car_sedan"], "distance_m": {"min": 8, "max": 16}, "pitch_deg": {"min": -1, "max": 1},
                   "sun_azimuth_deg": {"min": 100, "max": 160}}}))
    return spec


def run_search(spec: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    """The real command in its own process (Blender writes to file descriptor 1, which a test
    runner's capture lacks)."""
    result = subprocess.run([sys.executable, "-m", "depthprobe.cli", "search", str(spec), "--model", "flat-road",
                             "--budget", "3", "--out", str(out), "--sampler", "random", "--seed", "1", *options],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_search_renders_evaluates_and_writes_the_worst_set(tmp_path):
    out = tmp_path / "search"
    result = run_search(tiny_spec(tmp_path), out)
    assert "# Failure search: tiny_search, model flat-road, objective depth-error" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith(f"search: {out} (3 trials: 3 run now, 0 skipped)")
    table = pd.read_parquet(out / "trials.parquet")
    assert list(table["state"]) == ["COMPLETE"] * 3 and table["objective"].notna().all()
    worst = open_stimulus_set(out / "worst")
    assert worst.problems() == [] and worst.manifest["blender_version"].startswith("4.2")
    top = table.loc[table["objective"].idxmax()]
    assert worst.frame_ids == ["reference", top["frame_id"]]
    assert (out / "worst" / "geometry" / "frames" / f"{top['frame_id']}.json").is_file()
    # the worst frame, rendered again for the set, is the frame the search evaluated
    row = worst.objects.set_index("frame_id").loc[top["frame_id"]]
    assert row["z_true"] == pytest.approx(top["z_true_m"], rel=1e-6)
    frame = worst.frames.set_index("frame_id").loc[top["frame_id"]]
    assert frame["pitch_deg"] == pytest.approx(top["pitch_deg"])
    assert frame["sun_azimuth_deg"] == pytest.approx(top["sun_azimuth_deg"])


def test_search_with_a_worker_pool_finds_the_same_trials(tmp_path):
    spec = tiny_spec(tmp_path)
    run_search(spec, tmp_path / "one")
    run_search(spec, tmp_path / "two", "--workers", "2")
    one = pd.read_parquet(tmp_path / "one" / "trials.parquet").drop(columns="seconds")
    two = pd.read_parquet(tmp_path / "two" / "trials.parquet").drop(columns="seconds")
    pd.testing.assert_frame_equal(one, two)
    assert open_stimulus_set(tmp_path / "two" / "worst").problems() == []


def test_run_search_renders_with_the_generators_pool(tmp_path):
    """Two pool workers (generator/pool.py; this process never loads Blender) render the trials two
    at a time and the worst set (written by generator.generate, geometry export included)."""
    out = tmp_path / "pool"
    result = search(load_spec(str(tiny_spec(tmp_path))), out, model="flat-road", budget=3, sampler="random", seed=1,
                    executor=ExecutorOptions(workers=2, render_device="cpu"))
    assert (result.n_finished, result.n_new, result.n_skipped) == (3, 3, 0)
    assert len(pd.read_parquet(out / "trials.parquet")) == 3
    worst = open_stimulus_set(out / "worst")
    assert worst.problems() == [] and worst.frame_ids == ["reference", f"trial{result.worst[0]:05d}"]
    assert worst.manifest["render_devices"] == ["CPU"]
    assert (out / "worst" / "geometry" / "frames" / f"trial{result.worst[0]:05d}.json").is_file()
