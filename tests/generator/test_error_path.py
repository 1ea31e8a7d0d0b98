"""One error path: after Blender is loaded an unexpected error is one line, a log file and exit 1
(not a segfault); a refused output folder is refused before anything is described or rendered."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
CRASH = """
import sys
from generator.blenderproc_runtime import load_blenderproc
load_blenderproc()
from depthprobe import cli

@cli.app.command()
def crash():
    raise RuntimeError("boom")

sys.argv = ["depthprobe", "crash"]
cli.main()
"""


@pytest.mark.bpy
def test_an_unexpected_error_after_blender_is_loaded_is_one_line_and_exit_1():
    result = subprocess.run([sys.executable, "-c", CRASH], cwd=ROOT, capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert len(errors) == 1 and "unexpected RuntimeError: boom" in errors[0] and "Traceback" not in result.stderr
    log = Path(re.search(r"details in (\S+)\)", errors[0]).group(1))
    assert "RuntimeError: boom" in log.read_text(encoding="utf-8")
    log.unlink()


def test_a_non_empty_folder_is_refused_before_the_design_is_printed(tmp_path):
    from depthprobe.cli import app

    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["generate", "camera_pitch", "--quick", "--out", str(out)])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "--resume" in lines[0], result.output


def test_a_second_generate_into_the_same_folder_is_refused(tmp_path):
    from depthprobe.cli import app
    from scenes.outputs import WriterLock

    out = tmp_path / "set"
    with WriterLock(out, "depthprobe generate"):
        result = CliRunner().invoke(app, ["generate", "camera_pitch", "--quick", "--limit", "1", "--out", str(out)])
    assert result.exit_code == 2 and "being written by depthprobe generate" in result.output, result.output
    assert not out.exists()
