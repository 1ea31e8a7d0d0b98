"""The rendering commands end to end on tiny renders: ``bench generation --tiny`` measures its four
figures and writes them as JSON; ``validate --calibrate`` renders a few frames and its estimate
then says it is calibrated; bad render options are one-line errors (exit 2)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from typer.testing import CliRunner

from depthprobe.cli import app
from tests.generator.set_compare import CLI, ROOT


def run_cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.bpy
def test_bench_tiny_writes_four_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = run_cli("bench", "generation", "--tiny", "--frames", "3", "--memory-frames", "2,4", "--baseline-scenes", "2",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))["figures"]
    for size in ("real", "quick"):
        a = figures["a"][size]
        assert a["renders"] == 3 and a["steady"] > 0 and len(a["steady_ci95"]) == 2
        assert a["cycles_seconds_per_render"] > 0
    assert figures["b"]["ratio"] > 0 and figures["b"]["plain_scenes"] == 2
    assert figures["c"]["k"] >= 2 and figures["c"]["speedup"] > 0
    assert figures["d"]["renders"] == [2, 4] and figures["d"]["peak_rss_mib"][1] >= figures["d"]["peak_rss_mib"][0] > 0
    assert "(a) wall / Cycles" in done.stdout and "(d) worker peak memory" in done.stdout


@pytest.mark.bpy
def test_validate_calibrate_makes_the_estimate_this_machines(tmp_path):
    env = {"DEPTHPROBE_CACHE": str(tmp_path / "cache")}
    before = run_cli("validate", "ground_contact", "--quick", env=env)
    assert before.returncode == 0 and "uncalibrated guess" in before.stdout
    after = run_cli("validate", "ground_contact", "--quick", "--calibrate", env=env)
    assert after.returncode == 0, after.stderr[-2000:]
    assert "calibrated: scaled from 6 renders in 1 runs on this machine" in after.stdout
    assert (tmp_path / "cache" / "render-calibration.json").is_file()


@pytest.mark.parametrize("args, field", [
    (["generate", "ground_contact", "--out", "x", "--render-device", "tpu"], "--render-device"),
    (["generate", "ground_contact", "--out", "x", "--executor", "slurm"], "--executor"),
    (["generate", "ground_contact", "--out", "x", "--address", "auto"], "--address"),
    (["bench", "generation", "--memory-frames", "500,50"], "--memory-frames"),
    (["bench", "generation", "--frames", "2"], "--frames"),
])
def test_bad_render_options_are_one_line_errors(args, field, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and field in lines[0]
    assert not (tmp_path / "x").exists()
