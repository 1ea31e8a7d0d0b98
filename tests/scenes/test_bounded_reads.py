"""Bounded reads (scenes/reading.py) against the issue's 8 GiB sparse files and deep JSON: every
reader refuses them with one line, before reading them (a sparse file costs no disk; reading it
would cost 8 GiB of memory).  Outside the bad-input corpus, whose harness hashes every file."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes.errors import DepthprobeError
from scenes.reading import MAX_JSON_DEPTH, json_depth, open_regular, read_json, size_text
from tests.synthetic_set import write_synthetic_set

#: The issue's sparse file size (bytes).
SPARSE_BYTES = 8 << 30


def sparse(path: Path) -> None:
    path.unlink(missing_ok=True)
    with open(path, "wb") as f:
        f.truncate(SPARSE_BYTES)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    from evaluator.pipeline.evaluate import evaluate_set

    root = tmp_path_factory.mktemp("bounded")
    write_synthetic_set(root / "set", conditions=("position_and_size",), distances=(1.0, 2.0))
    evaluate_set(root / "set", "flat-road", root / "results")
    return root


def one_line_refusal(argv: list[str], fragment: str) -> None:
    result = CliRunner().invoke(app, argv)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and fragment in errors[0], result.output


@pytest.mark.parametrize("command", ["evaluate", "verify", "export", "sheet"])
def test_an_8_gib_sparse_manifest_is_refused_unread_by_every_set_reader(made, tmp_path, command):
    shutil.copytree(made / "set", tmp_path / "set")
    sparse(tmp_path / "set" / "manifest.json")
    argv = {"evaluate": ["evaluate", str(tmp_path / "set"), "--model", "flat-road", "--out", str(tmp_path / "o")],
            "verify": ["verify", str(tmp_path / "set")],
            "export": ["export", str(tmp_path / "set"), "--format", "kitti", "--out", str(tmp_path / "o")],
            "sheet": ["sheet", str(tmp_path / "set"), "--out", str(tmp_path / "o.png")]}[command]
    one_line_refusal(argv, "larger than 256 MiB (8 GiB)")
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("command", ["report", "compare"])
def test_an_8_gib_sparse_summary_is_refused_unread(made, tmp_path, command):
    shutil.copytree(made / "results", tmp_path / "results")
    sparse(tmp_path / "results" / "summary.json")
    argv = (["report", str(tmp_path / "results"), "--out", str(tmp_path / "r.html")] if command == "report" else
            ["compare", str(made / "results"), str(tmp_path / "results"), "--format", "csv"])
    one_line_refusal(argv, "larger than 256 MiB (8 GiB)")


def test_a_layer_listed_at_8_gib_is_refused_before_hashing(made, tmp_path):
    shutil.copytree(made / "set", tmp_path / "set")
    sparse(tmp_path / "set" / "depth" / "position_and_size_d1.0.npy")
    one_line_refusal(["verify", str(tmp_path / "set")], "(8 GiB)")


def test_read_json_caps_size_depth_and_file_kind(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(DepthprobeError, match="nested deeper than 64"):
        read_json(path, DepthprobeError)
    path.write_text("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(DepthprobeError, match="nested deeper"):
        read_json(path, DepthprobeError)
    path.write_text('{"a": [1, {"b": []}]}')
    assert read_json(path, DepthprobeError) == {"a": [1, {"b": []}]} and json_depth({"a": [1, {"b": []}]}) == 4
    with pytest.raises(DepthprobeError, match="larger than 8 bytes"):
        read_json(path, DepthprobeError, limit=8)
    with pytest.raises(DepthprobeError, match="not a regular file"):
        read_json(tmp_path, DepthprobeError)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(DepthprobeError, match="not a regular file"):  # refused at once, not waited on
        open_regular(fifo, 10, DepthprobeError)
    assert size_text(8 << 30) == "8 GiB" and size_text(300) == "300 bytes"


@pytest.mark.parametrize("command", ["reuse", "export"])
def test_an_8_gib_sparse_prediction_is_refused_unread(made, tmp_path, command):
    from scenes.formats import open_stimulus_set

    shutil.copytree(made / "set", tmp_path / "set")
    shutil.copytree(made / "results", tmp_path / "results")
    fid = open_stimulus_set(tmp_path / "set").frame_ids[0]
    sparse(tmp_path / "results" / "predictions" / "depth" / f"{fid}.npy")
    argv = (["evaluate", str(tmp_path / "set"), "--out", str(tmp_path / "results"), "--reuse-predictions"]
            if command == "reuse" else
            ["export", str(tmp_path / "set"), "--format", "ply", "--frame", fid, "--eval", str(tmp_path / "results"),
             "--out", str(tmp_path / "clouds")])
    one_line_refusal(argv, "(8 GiB); refusing to read it")
    assert not (tmp_path / "clouds").exists()


def test_a_progress_log_over_its_cap_is_refused_unread(tmp_path):
    from scenes.errors import StimulusSetError
    from scenes.formats.stimulus_set import MAX_PROGRESS_BYTES, PROGRESS, read_progress

    with open(tmp_path / PROGRESS, "wb") as f:
        f.truncate(MAX_PROGRESS_BYTES + 1)
    with pytest.raises(StimulusSetError, match="larger than 1 GiB"):
        read_progress(tmp_path)
