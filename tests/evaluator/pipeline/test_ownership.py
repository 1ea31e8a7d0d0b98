"""Where evaluate writes: only new, empty or its own results folders, replaced as a whole and
under a lock; a second writer is refused."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from evaluator.pipeline.evaluate import evaluate_set
from evaluator.results.format import ResultsError, check_results_target
from scenes.storage import StorageError
from scenes.outputs import WriterLock
from tests.synthetic_set import write_synthetic_set


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    return write_synthetic_set(tmp_path_factory.mktemp("own") / "set", conditions=("position_and_size",),
                               distances=(1.0, 2.0))


def test_a_set_kept_in_a_folder_named_predictions_is_never_touched(small_set, tmp_path):
    import shutil

    parent = tmp_path / "study"
    shutil.copytree(small_set, parent / "predictions")
    before = sorted((p.relative_to(parent), p.read_bytes()) for p in parent.rglob("*") if p.is_file())
    with pytest.raises(ResultsError, match="not depthprobe results"):
        evaluate_set(parent / "predictions", "flat-road", parent)
    with pytest.raises(ResultsError, match="stimulus set"):
        evaluate_set(parent / "predictions", "flat-road", parent / "predictions")
    assert sorted((p.relative_to(parent), p.read_bytes()) for p in parent.rglob("*") if p.is_file()) == before


def test_a_rerun_replaces_its_own_results_as_a_whole(small_set, tmp_path):
    out = tmp_path / "out"
    evaluate_set(small_set, "flat-road", out)
    (out / "figures").mkdir()
    (out / "figures" / "old.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert check_results_target(out) == out
    evaluate_set(small_set, "flat-road", out, seed=1)
    assert not (out / "figures").exists() and (out / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_evaluate_is_refused_while_another_writer_holds_the_folder(small_set, tmp_path):
    from depthprobe.cli import app

    out = tmp_path / "out"
    with WriterLock(out, "depthprobe evaluate"):
        result = CliRunner().invoke(app, ["evaluate", str(small_set), "--model", "flat-road", "--out", str(out)])
    assert result.exit_code == 2 and "being written by depthprobe evaluate" in result.output
    assert not out.exists()
    with pytest.raises(StorageError):
        with WriterLock(out, "a"), WriterLock(out, "b"):
            pass
