"""Stored predictions: analyses rerun without the model; damaged or foreign stores are refused;
nothing is written as if valid when the predictions or the set are not."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluator.models.loading import ModelRecord
from evaluator.results.store import FORMAT_VERSION, INDEX_FILE, PREDICTIONS_DIR, PredictionStoreError
from evaluator.pipeline.evaluate import analyse_predictions, evaluate_set
from evaluator.results.format import SUMMARY_FILE, TABLE_FILES, ResultsError
from scenes.errors import StimulusSetError
from tests.synthetic_set import obstacle_specs, pose_specs, write_frames
from tests.evaluator.analyses.test_analysis_obstacles import needs_a_shadow
from tests.evaluator.analyses.test_analysis_pose import PlantedPoseModel

SECTIONS = ("verdict", "cues", "single_cue", "joint", "fit", "factor_fit", "metrics", "curves", "pose", "obstacles",
            "alignment", "model", "n_objects_with_estimate")


class Counting:
    """Wraps a planted model and counts the images it is asked to predict."""

    def __init__(self, fn, output_kind: str | None = None) -> None:
        self.fn, self.calls = fn, 0
        if output_kind:
            self.output_kind = output_kind

    def __call__(self, images):
        self.calls += len(images)
        return self.fn(images)


def disparity_of(fn):
    def predict(images):
        with np.errstate(divide="ignore"):
            return (3.0 / fn(images)).astype(np.float32)
    return predict


@pytest.fixture(scope="module")
def obstacle_set(tmp_path_factory):
    return write_frames(tmp_path_factory.mktemp("sets") / "obstacles",
                        obstacle_specs(distances=(1.0, 2.0, 3.0), values=(1.0,)))


@pytest.fixture(scope="module")
def evaluated(obstacle_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "run"
    model = Counting(disparity_of(needs_a_shadow), "disparity")
    summary = evaluate_set(obstacle_set, model, out, batch_size=5, seed=3)
    return summary, out, model


def test_each_image_goes_through_the_model_once(evaluated, obstacle_set):
    summary, out, model = evaluated
    frames = pd.read_parquet(obstacle_set / "frames.parquet")
    assert model.calls == len(frames) + int(frames["has_counterfactual"].sum())  # references not predicted twice
    assert summary["alignment"]["policy"] == "median" and summary["alignment"]["n_frames"] == 2
    index = json.loads((out / PREDICTIONS_DIR / INDEX_FILE).read_text())
    assert len(index["files"]) == 2 * len(frames) and index["dtype"] == "float32"
    assert not (out / PREDICTIONS_DIR / ".raw").exists()
    stored = np.load(out / PREDICTIONS_DIR / "depth" / f"{frames.frame_id[0]}.npy")
    assert stored.dtype == np.float32 and np.isfinite(stored).any()


def test_reusing_predictions_reproduces_every_section(evaluated, obstacle_set, tmp_path):
    summary, out, _ = evaluated
    again = analyse_predictions(obstacle_set, tmp_path / "again", predictions_dir=out / PREDICTIONS_DIR, seed=3)
    assert again["predictions"]["reused"] is True and summary["predictions"]["reused"] is False
    for key in SECTIONS:
        assert json.dumps(again[key], sort_keys=True, default=str) == json.dumps(summary[key], sort_keys=True,
                                                                                  default=str), key
    for name in ("objects", "metrics", "pose", "obstacles", "curves", "cue_fit"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / TABLE_FILES[name]),
                                      pd.read_parquet(tmp_path / "again" / TABLE_FILES[name]))


def test_reuse_in_place_with_another_statistic(evaluated, obstacle_set, tmp_path):
    _, out, _ = evaluated
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    summary = analyse_predictions(obstacle_set, copy, statistic="mean")
    assert summary["statistic"] == "mean" and summary["config"]["reused_predictions"] is True
    assert json.loads((copy / SUMMARY_FILE).read_text())["statistic"] == "mean"


def test_damaged_prediction_is_named_and_nothing_is_written(evaluated, obstacle_set, tmp_path):
    _, out, _ = evaluated
    store = tmp_path / "store"
    shutil.copytree(out / PREDICTIONS_DIR, store)
    victim = sorted((store / "counterfactual").glob("*.npy"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    (store / "depth" / sorted(p.name for p in (store / "depth").glob("*.npy"))[1]).unlink()
    with pytest.raises(PredictionStoreError) as info:
        analyse_predictions(obstacle_set, tmp_path / "out", predictions_dir=store)
    message = str(info.value)
    assert "2 problem(s)" in message and victim.name in message and "does not match its hash" in message
    assert "prediction is missing" in message
    assert not (tmp_path / "out").exists()


def test_predictions_of_another_set_or_an_unfinished_run_are_refused(evaluated, tmp_path):
    _, out, _ = evaluated
    other = write_frames(tmp_path / "other", obstacle_specs(distances=(1.0, 2.0), values=(1.0,)))
    with pytest.raises(PredictionStoreError, match="another frames.parquet"):
        analyse_predictions(other, tmp_path / "out", predictions_dir=out / PREDICTIONS_DIR)
    with pytest.raises(PredictionStoreError, match="no stored predictions"):
        analyse_predictions(other, tmp_path / "nothing")
    unfinished = tmp_path / "unfinished" / PREDICTIONS_DIR
    unfinished.mkdir(parents=True)
    with pytest.raises(PredictionStoreError, match="an unfinished run"):
        analyse_predictions(other, tmp_path / "fresh", predictions_dir=unfinished)
    with pytest.raises(ResultsError, match="not depthprobe results"):  # a folder that is not ours
        analyse_predictions(other, tmp_path / "unfinished")


def test_float16_predictions(obstacle_set, evaluated, tmp_path):
    summary32, _, _ = evaluated
    model = Counting(disparity_of(needs_a_shadow), "disparity")
    summary = evaluate_set(obstacle_set, model, tmp_path, prediction_dtype="float16", seed=3)
    stored = np.load(next((tmp_path / PREDICTIONS_DIR / "depth").glob("*.npy")))
    assert stored.dtype == np.float16
    again = analyse_predictions(obstacle_set, tmp_path / "again", predictions_dir=tmp_path / PREDICTIONS_DIR, seed=3)
    assert again["obstacles"]["seen_rate"]["value"] == summary["obstacles"]["seen_rate"]["value"]
    assert again["metrics"]["regions"]["road"]["abs_rel"]["value"] == pytest.approx(
        summary32["metrics"]["regions"]["road"]["abs_rel"]["value"], abs=1e-3)


def test_stale_tables_of_another_run_are_removed(evaluated, tmp_path):
    _, out, _ = evaluated
    target = tmp_path / "out"
    shutil.copytree(out, target)
    specs = pose_specs("pitch_deg", (-1.0, 0.0, 1.0), variants=("a",))
    root = write_frames(tmp_path / "pose", specs)
    summary = evaluate_set(root, PlantedPoseModel(specs), target)
    assert summary["obstacles"] is None
    assert not (target / TABLE_FILES["obstacles"]).exists()
    assert not (target / TABLE_FILES["obstacles_by_factor"]).exists()
    assert not list((target / PREDICTIONS_DIR / "counterfactual").glob("*.npy"))
    assert "obstacles" not in summary["outputs"] and "pose" in summary["outputs"]


def nothing_usable(images: np.ndarray) -> np.ndarray:
    """A broken network: NaN everywhere (its output is not a depth anywhere)."""
    return np.full(images.shape[:3], np.nan, dtype=np.float32)


def test_a_model_with_no_usable_output_writes_no_numbers(tmp_path):
    from evaluator.errors import ModelOutputError

    specs = pose_specs("pitch_deg", (-2.0, -1.0, 0.0, 1.0, 2.0), variants=("a", "b"))
    root = write_frames(tmp_path / "set", specs)
    with pytest.raises(ModelOutputError, match=r"100.0 % of the \d+ pixels .* NaN.*no metrics and no verdict"):
        evaluate_set(root, nothing_usable, tmp_path / "out")
    assert not (tmp_path / "out").exists() and [p.name for p in tmp_path.iterdir()] == ["set"]


def half_nan(images: np.ndarray) -> np.ndarray:
    """Usable depth on the left half of each image, NaN on the right half."""
    depth = needs_a_shadow(images)
    depth[:, :, depth.shape[2] // 2:] = np.nan
    return depth


def test_partly_unusable_output_is_counted_and_reported(obstacle_set, tmp_path):
    summary = evaluate_set(obstacle_set, half_nan, tmp_path / "out")
    validity = summary["metrics"]["validity"]
    assert 0.3 < validity["fraction_invalid"] < 0.6 and validity["n_px_pred_nan"] == validity["n_pixels_invalid"]
    assert ": NaN" not in (tmp_path / "out" / SUMMARY_FILE).read_text()  # JSON has no NaN values
    assert any("unusable prediction" in w for w in summary["warnings"])
    from evaluator.results.report import format_summary

    assert any(line.startswith("warning:") and "left out of every metric" in line for line in format_summary(summary))


def test_report_lines_carry_intervals_and_counts(evaluated):
    from evaluator.results.report import format_summary

    summary, out, _ = evaluated
    text = "\n".join(format_summary(summary))
    assert "accuracy (road): Abs Rel" in text and "frames," in text
    assert "obstacles: seen" in text and "n = 12" in text and "seen by shadow: False: 0.00 [0.00, 0.39] of 6; True: 1.00 [0.61, 1.00] of 6" in text
    assert "factors: Predicted distance changes with" in text
    assert f"predictions stored in {out / PREDICTIONS_DIR}" in text
    old = {k: v for k, v in summary.items() if k not in ("factor_fit", "metrics", "curves", "pose", "obstacles",
                                                         "predictions")}
    assert format_summary(old)  # a summary without the optional sections still reads


def test_a_run_that_fails_midway_leaves_the_earlier_results_intact(obstacle_set, tmp_path):
    from evaluator.errors import ModelOutputError

    calls = {"n": 0}

    def breaks_on_third_batch(images):
        calls["n"] += 1
        if calls["n"] == 3:
            return np.ones((len(images), 2, 2), np.float32)
        return needs_a_shadow(images)

    out = tmp_path / "out"
    evaluate_set(obstacle_set, needs_a_shadow, out, batch_size=2)
    before = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(ModelOutputError):
        evaluate_set(obstacle_set, breaks_on_third_batch, out, batch_size=2)
    after = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before  # summary, tables, index and every prediction as they were
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder or lock left
    assert analyse_predictions(obstacle_set, out)["predictions"]["reused"]


def test_command_line_reuses_predictions_and_reports(evaluated, obstacle_set, tmp_path):
    from typer.testing import CliRunner

    from depthprobe.cli import app

    summary, out, _ = evaluated
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    runner = CliRunner()
    rerun = runner.invoke(app, ["evaluate", str(obstacle_set), "--out", str(copy), "--reuse-predictions",
                                "--statistic", "mean", "--seed", "3"])
    assert rerun.exit_code == 0, rerun.output
    again = json.loads((copy / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert again["predictions"]["reused"] and again["statistic"] == "mean" and again["model"] == summary["model"]
    report = runner.invoke(app, ["report", str(copy), "--figures"])
    assert report.exit_code == 0 and "verdict:" in report.output and "n = " in report.output
    figures = [line.split("figure: ", 1)[1] for line in report.output.splitlines() if line.startswith("figure: ")]
    assert figures and all((copy / "figures").joinpath(Path(f).name).is_file() for f in figures)
    for args, message in ((["report", str(tmp_path / "none")], "no such file"),
                          (["evaluate", str(obstacle_set), "--out", str(tmp_path / "x")], "--model: missing"),
                          (["evaluate", str(obstacle_set), "--out", str(copy), "--reuse-predictions", "--model",
                            "flat-road"], "leave out --model"),
                          (["evaluate", str(obstacle_set), "--out", str(tmp_path / "x"), "--reuse-predictions"],
                           "no stored predictions")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1, result.output
    assert not (tmp_path / "x").exists()


def test_the_index_holds_the_model_record_as_the_summary_does(evaluated):
    summary, out, _ = evaluated
    index = json.loads((out / PREDICTIONS_DIR / INDEX_FILE).read_text())
    assert index["format_version"] == FORMAT_VERSION == 2
    assert {key: index[key] for key in ModelRecord.KEYS} == {key: summary[key] for key in ModelRecord.KEYS}


def test_an_index_of_version_1_is_still_read(evaluated, obstacle_set, tmp_path):
    summary, out, _ = evaluated
    store = tmp_path / "store"
    shutil.copytree(out / PREDICTIONS_DIR, store)
    index = json.loads((store / INDEX_FILE).read_text())
    record = {key: index.pop(key) for key in ModelRecord.KEYS}
    index.update(format_version=1, model={"name": record["model"], "output_kind": record["output_kind"],
                                          "contract": record["model_contract"], "device": record["device"]})
    (store / INDEX_FILE).write_text(json.dumps(index))
    again = analyse_predictions(obstacle_set, tmp_path / "again", predictions_dir=store, seed=3)
    for key in (*ModelRecord.KEYS, "verdict", "metrics"):
        assert json.dumps(again[key], sort_keys=True) == json.dumps(summary[key], sort_keys=True), key


@pytest.mark.parametrize("change, message", [({"format_version": 9}, "format_version 9; this depthprobe reads 1 and 2"),
                                             ({"model_contract": None, "model": None}, "no complete model record")])
def test_an_index_of_another_version_or_without_a_record_is_refused(evaluated, obstacle_set, tmp_path, change, message):
    _, out, _ = evaluated
    store = tmp_path / "store"
    shutil.copytree(out / PREDICTIONS_DIR, store)
    index = {k: v for k, v in {**json.loads((store / INDEX_FILE).read_text()), **change}.items() if v is not None}
    (store / INDEX_FILE).write_text(json.dumps(index))
    with pytest.raises(PredictionStoreError, match=message):
        analyse_predictions(obstacle_set, tmp_path / "again", predictions_dir=store)
