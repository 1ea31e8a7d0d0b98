"""``depthprobe bench``: a group of two benchmarks; ``bench evaluation`` end to end on a tiny set,
its memory runs in child processes (``python -m depthprobe.bench.evaluation --memory-child``)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from depthprobe.cli import app
from tests.generator.set_compare import ROOT


def test_bench_alone_lists_its_two_benchmarks():
    result = CliRunner().invoke(app, ["bench"])
    assert result.exit_code == CliRunner().invoke(app, []).exit_code
    assert "generation" in result.output and "evaluation" in result.output


@pytest.mark.parametrize("value", ["100,x", "0,10", ""])
def test_a_bad_memory_frames_is_a_one_line_error(value):
    result = CliRunner().invoke(app, ["bench", "evaluation", "--memory-frames", value])
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: --memory-frames"), result.output


@pytest.mark.torch
def test_bench_evaluation_writes_its_memory_and_timing_figures(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "bench.json"
    args = ["--frames", "6", "--batch-size", "4", "--channels", "4", "--width", "160", "--height", "48",
            "--memory-frames", "3,6", "--memory-channels", "4", "--repeats", "1", "--out", str(out)]
    done = subprocess.run([sys.executable, "-m", "depthprobe.cli", "bench", "evaluation", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert [m["frames"] for m in figures["memory"]] == [3, 6]
    assert all(m["tracemalloc_peak_mb"] > 0 and m["ru_maxrss_mb"] > 0 for m in figures["memory"])
    timing = figures["timing"]
    assert timing["frames"] == 6 and timing["model"] == "benchnet-c4" and timing["ratio"] > 0
    assert "memory (fresh process per size):" in done.stdout and "  ratio  " in done.stdout


def test_a_figures_file_is_replaced_by_a_rerun_but_a_users_json_is_not(tmp_path):
    from depthprobe._cli.bench import check_figures_target, write_figures
    from scenes.errors import DepthprobeError

    ours = tmp_path / "bench.json"
    write_figures(check_figures_target(ours), {"timing": {"ratio": 1.0}})
    assert json.loads(ours.read_text(encoding="utf-8"))["format"] == "depthprobe-bench"
    assert check_figures_target(ours) == ours  # an earlier figures file may be replaced
    users = tmp_path / "mine.json"
    users.write_text('{"format": "depthprobe-bench-but-mine"}', encoding="utf-8")
    with pytest.raises(DepthprobeError, match="refusing to overwrite"):
        check_figures_target(users)
