"""The one output rule (scenes/outputs.py) beyond the bad-input corpus (family ``output2``): a
command's own earlier file is recognised by its signature and replaced; a killed writer's lock
and staging folders are cleared by the next run; a linked output folder is replaced where it
points; a held output is refused before a line is printed (issue 18, items 2 and 7)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluator.results.format import SUMMARY_FILE
from scenes.outputs import StagedOutput, WriterLock, recover_staged
from tests.synthetic_set import write_synthetic_set

#: A process that takes the writer lock of argv[1], starts a staged output and is killed there.
KILLED_WRITER = """
import os, signal, sys
from scenes.outputs import StagedOutput, WriterLock
with WriterLock(sys.argv[1], "depthprobe evaluate"), StagedOutput(sys.argv[1]) as staged:
    (staged.path / "half-written").write_bytes(b"x")
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> tuple[Path, Path]:
    """A small stimulus set and its ``flat-road`` results."""
    from evaluator.pipeline.evaluate import evaluate_set

    root = tmp_path_factory.mktemp("outputs")
    write_synthetic_set(root / "set", conditions=("position_and_size",), distances=(1.0, 2.0))
    evaluate_set(root / "set", "flat-road", root / "results")
    return root / "set", root / "results"


def cli(*argv: str):
    from depthprobe.cli import app

    return CliRunner().invoke(app, [str(a) for a in argv])


@pytest.mark.parametrize("argv", [
    ("compare", "{results}", "--format", "csv", "--out", "{tmp}/c.csv"),
    ("compare", "{results}", "--format", "markdown", "--out", "{tmp}/c.md"),
    ("compare", "{results}", "--format", "html", "--out", "{tmp}/c.html"),
    ("report", "{results}", "--out", "{tmp}/r.html"),
    ("sheet", "{set}", "--out", "{tmp}/s.png", "--limit", "2"),
])
def test_a_rerun_replaces_its_own_earlier_file_and_nothing_else(evaluated, tmp_path, argv):
    set_dir, results = evaluated
    argv = [a.format(results=results, set=set_dir, tmp=tmp_path) for a in argv]
    first = cli(*argv)
    assert first.exit_code == 0, first.output
    written = sorted(p.name for p in tmp_path.iterdir())
    again = cli(*argv)
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in tmp_path.iterdir()) == written
    for name in written:  # each file (a report's page and its Markdown) once someone else's
        path = tmp_path / name
        own = path.read_bytes()
        path.write_bytes(b"someone else's file\n")
        refused = cli(*argv)
        assert refused.exit_code == 2 and "refusing to overwrite" in refused.output, refused.output
        assert path.read_bytes() == b"someone else's file\n"
        path.write_bytes(own)


def test_a_report_of_an_older_version_is_still_recognised(evaluated, tmp_path):
    _, results = evaluated
    page = tmp_path / "r.html"
    page.write_text("<!DOCTYPE html>\n<html><head><title>depthprobe report: flat-road</title>", encoding="utf-8")
    (tmp_path / "r.md").write_text("# depthprobe report: flat-road\n", encoding="utf-8")
    result = cli("report", results, "--out", page)
    assert result.exit_code == 0, result.output
    assert b'<meta name="generator" content="depthprobe report">' in page.read_bytes()


def test_a_report_into_its_own_results_folder_is_allowed(evaluated, tmp_path):
    _, results = evaluated
    copy = tmp_path / "results"
    subprocess.run(["cp", "-r", str(results), str(copy)], check=True)
    for _ in range(2):
        result = cli("report", copy)
        assert result.exit_code == 0, result.output
    assert (copy / "report.html").is_file() and (copy / "report.md").is_file()


def test_the_next_run_clears_what_a_killed_writer_left(evaluated, tmp_path):
    from evaluator.pipeline.evaluate import evaluate_set

    set_dir, _ = evaluated
    out = tmp_path / "out"
    repo = str(Path(__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(out)], env=env, capture_output=True)
    assert killed.returncode == -9, killed.stderr
    left = sorted(p.name for p in tmp_path.iterdir())
    assert ".out.depthprobe-lock" in left and any(".out.depthprobe-staging-" in n for n in left), left
    evaluate_set(set_dir, "flat-road", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staging_folders_of_older_versions_are_cleared_and_a_half_swap_put_back(tmp_path):
    out = tmp_path / "worst"
    old = tmp_path / ".worst.depthprobe-staging-abcd1234.old"
    old.mkdir()
    (old / "kept").write_bytes(b"the previous output")
    for name in (".worst.staging-k3j2h1ab", ".worst.depthprobe-staging-zz99yy88"):
        (tmp_path / name).mkdir()
    users = [tmp_path / ".worst.staging-mine", tmp_path / ".other.staging-k3j2h1ab"]
    for path in users:
        path.mkdir()
    recover_staged(out)
    assert (out / "kept").read_bytes() == b"the previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["worst", *(p.name for p in users)])
    with StagedOutput(out) as staged:
        (staged.path / "new").write_bytes(b"")
        staged.commit()
    assert sorted(p.name for p in out.iterdir()) == ["new"]


def test_a_linked_output_folder_is_replaced_where_it_points(evaluated, tmp_path):
    from evaluator.pipeline.evaluate import evaluate_set

    set_dir, _ = evaluated
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for _ in range(2):
        evaluate_set(set_dir, "flat-road", tmp_path / "link")
        assert (tmp_path / "link").is_symlink() and (tmp_path / "real" / SUMMARY_FILE).is_file()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_a_held_output_is_refused_before_a_line_is_printed(tmp_path):
    lock = {"pid": 1, "host": socket.gethostname(), "what": "depthprobe evaluate"}  # init: alive, not us
    (tmp_path / ".held.depthprobe-lock").write_text(json.dumps(lock), encoding="utf-8")
    result = cli("generate", "camera_pitch", "--quick", "--limit", "1", "--out", tmp_path / "held")
    assert result.exit_code == 2 and result.output.startswith("error: "), result.output
    assert "being written by depthprobe evaluate" in result.output


def test_a_lock_of_this_process_is_no_refusal_of_its_own_check(tmp_path):
    from scenes.formats import check_set_target

    with WriterLock(tmp_path / "out", "depthprobe generate"):
        check_set_target(tmp_path / "out", "hash", resume=False)


def test_a_preview_sheet_over_a_users_png_is_refused_before_the_preview(tmp_path):
    from PIL import Image

    png = tmp_path / "mine.png"
    Image.new("RGB", (4, 4)).save(png)
    before = png.read_bytes()
    result = cli("validate", "camera_pitch", "--quick", "--preview", "--sheet", png)
    assert result.exit_code == 2 and result.output.startswith("error: ") and "refusing to overwrite" in result.output
    assert png.read_bytes() == before
