"""``depthprobe search`` finds a planted failure, resumes after being killed, and leaves a
stimulus set, a trial table and failures.md (frames ray-cast by scenes/formats/synthetic.py through
tests/depthprobe/box_executor.py, no Blender; the worst set written by generator.generate).

The planted model (:func:`planted_model`, loaded as ``tests.depthprobe.test_search:planted_model``)
reads the true depth of the frame it is shown from a side channel (:data:`TRUTH`, filled by
:class:`RecordingBoxes`, a test render executor, when it renders; the frame's trial number is
in its RGB) and returns it
exactly, except that an object's depth is off by a factor e^0.7 (about 2) inside a hidden region
of the factor space -- objects farther than 30 m seen by a camera pitched down by more than 1 deg
-- and by at most e^0.02 (2 %, growing towards that corner) outside it.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from depthprobe.search.runner import run_search
from generator.executors import ExecutorOptions
from generator.generate import generate
from scenes.errors import DepthprobeError
from scenes.catalog import default_catalog
from scenes.design.plans import derive_seed
from scenes.spec.schema import StimulusSpec, load_spec, parse_spec
from scenes.formats.stimulus_set import open_stimulus_set
from scenes.formats.synthetic import frame_index
from tests.depthprobe.box_executor import BoxExecutor

ROOT = Path(__file__).resolve().parents[2]
MODEL = "tests.depthprobe.test_search:planted_model"
#: The hidden region: distance_m > FAR_M and pitch_deg > PITCH_DEG.
FAR_M, PITCH_DEG = 30.0, 1.0
INSIDE_LOG_ERROR, OUTSIDE_MAX_LOG_ERROR = 0.7, 0.02
#: trial number (the index in the frame's RGB) -> (plan, frame, counterfactual) last rendered.
TRUTH: dict[int, tuple] = {}
#: The searched factors of the tests: the two that matter and five distractors.
SEARCH = {"assets": ["car_sedan", "car_suv", "van"], "distance_m": {"min": 6, "max": 40},
          "lateral_m": {"min": -2, "max": 2}, "yaw_deg": {"min": -30, "max": 30},
          "hue_deg": {"min": 0, "max": 360}, "pitch_deg": {"min": -2, "max": 2},
          "height_m": {"min": 1.3, "max": 2.0}}


def search_spec(search: dict | None = None, **camera) -> StimulusSpec:
    """The elevation preset at 160x48 px with a search section (default :data:`SEARCH`)."""
    raw = load_spec("elevation").model_dump(mode="json")
    raw["camera"].update({"width": 160, "height": 48, **camera})
    raw["search"] = SEARCH if search is None else search
    return parse_spec(raw, "search-test.yaml")


class RecordingBoxes(BoxExecutor):
    """Ray-cast boxes that also put each frame's truth into :data:`TRUTH` (the side channel), and
    record the frames rendered for trials (``rendered``) and for worst sets (``written``: the
    frame ids of each set, which starts with the reference frame followed by trials)."""

    def __init__(self, kill_at: str | None = None, n_workers: int = 1) -> None:
        super().__init__(default_catalog(), n_workers)
        self.kill_at = kill_at
        self.rendered: list[str] = []
        self.written: list[list[str]] = []

    def render(self, plans, counterfactual=None):
        plans = list(plans)
        ids = [plan.frame_id for plan in plans]
        if self.kill_at in ids:
            os.kill(os.getpid(), signal.SIGKILL)  # a real kill: no clean-up, the trial stays running
        writing = len(ids) > 1 and "reference" in ids
        if writing:
            self.written.append(ids)
        for result in super().render(plans, counterfactual):
            TRUTH[frame_index(result.frame.rgb)] = (result.plans[0], result.frame, result.counterfactual)
            if not writing:
                self.rendered.append(result.plans[0].frame_id)
            yield result


def truth_of(image: np.ndarray) -> tuple:
    """(plan, true depth, instances) of the frame -- or of its counterfactual -- showing ``image``."""
    plan, frame, without = TRUTH[frame_index(image)]
    shown = frame if without is None or np.array_equal(image, frame.rgb) else without
    return plan, shown.depth, shown.instances


def in_region(distance_m: float, pitch_deg: float) -> bool:
    """Whether a trial lies in the planted model's hidden failure region."""
    return distance_m > FAR_M and pitch_deg > PITCH_DEG


def planted_log_error(plan) -> float:
    """The planted model's log depth error for the object of ``plan``."""
    distance, pitch = plan.objects[0].factors["distance_m"], plan.camera.pitch_deg
    if in_region(distance, pitch):
        return INSIDE_LOG_ERROR
    return OUTSIDE_MAX_LOG_ERROR * (distance - 6) / 34 * (pitch + 2) / 4


def planted_model(images: np.ndarray) -> np.ndarray:
    """Metric depth: the truth, with the object scaled by e^planted_log_error (module docstring)."""
    maps = []
    for image in images:
        plan, depth, instances = truth_of(image)
        pred = depth.copy()
        pred[instances == 1] *= math.exp(planted_log_error(plan))
        maps.append(pred)
    return np.stack(maps).astype(np.float32)


def hit_rates(out: Path, worst_k: int) -> tuple[float, float]:
    """(share of the worst ``worst_k`` trials in the region, share of all evaluated trials in it)."""
    table = pd.read_parquet(out / "trials.parquet")
    done = table[table["state"] == "COMPLETE"]
    inside = [in_region(d, p) for d, p in zip(done["distance_m"], done["pitch_deg"])]
    worst = done.sort_values("objective", ascending=False).head(worst_k)
    worst_inside = [in_region(d, p) for d, p in zip(worst["distance_m"], worst["pitch_deg"])]
    return float(np.mean(worst_inside)), float(np.mean(inside))


def test_tpe_finds_the_planted_failure_and_random_search_does_worse(tmp_path):
    """24 trials, 4 seeds each: the worst quarter (6 trials) of TPE lies in the hidden region
    (about 7 % of the space), random search's much less."""
    spec, rates = search_spec(), {}
    for sampler in ("tpe", "random"):
        found = [hit_rates(run_search(spec, tmp_path / f"{sampler}{seed}", model=MODEL, budget=24, sampler=sampler,
                                      seed=seed, executor=RecordingBoxes()).out, worst_k=6) for seed in range(4)]
        rates[sampler] = tuple(float(np.mean(column)) for column in zip(*found))
    print(f"\nworst-6 hit rate / share of trials in the region: tpe {rates['tpe']}, random {rates['random']}")
    assert rates["tpe"][0] >= 0.8, rates
    assert rates["tpe"][0] >= rates["random"][0] + 0.3, rates
    assert rates["tpe"][1] > 2 * rates["random"][1], rates


def test_outputs_trial_table_worst_set_and_failures(tmp_path):
    out = tmp_path / "search"
    result = run_search(search_spec(), out, model=MODEL, budget=12, seed=3, executor=RecordingBoxes())
    table = pd.read_parquet(out / "trials.parquet")
    assert len(table) == 12 and set(table["state"]) == {"COMPLETE"} and result.n_finished == 12
    for column in ("trial", "objective", "frame_id", "asset", "distance_m", "pitch_deg", "z_true_m", "estimate_m"):
        assert column in table.columns
    row = table.iloc[5]
    assert row["frame_id"] == "trial00005" and row["roll_deg"] == 0.0  # a factor not searched keeps the spec's
    assert row["objective"] == pytest.approx(abs(math.log(row["estimate_m"] / row["z_true_m"])), abs=1e-6)
    worst = open_stimulus_set(out / "worst")
    assert worst.problems() == []
    assert worst.frame_ids == ["reference"] + [f"trial{n:05d}" for n in result.worst] and len(result.worst) == 2
    assert worst.reference_frame_ids == ["reference"]
    assert result.worst[0] == int(table.loc[table["objective"].idxmax(), "trial"])
    text = (out / "failures.md").read_text()
    assert text.splitlines() == result.failures
    assert "| distance_m |" in text and "| roll_deg |" not in text and "worst decile (2 trials)" in text
    record = json.loads((out / "search.json").read_text())
    assert record["study_name"] == f"depthprobe-{search_spec().spec_hash()[:16]}-seed3"


def test_the_worst_set_is_an_ordinary_stimulus_set(tmp_path):
    """evaluate runs on OUT/worst as on any set (here with the geometric baseline)."""
    from evaluator.pipeline.evaluate import evaluate_set

    out = tmp_path / "search"
    run_search(search_spec(), out, model=MODEL, budget=4, seed=1, executor=RecordingBoxes())
    summary = evaluate_set(out / "worst", "flat-road", tmp_path / "eval")
    assert summary["n_frames"] == 2 and summary["n_reference_frames"] == 1


def test_resumes_after_sigkill_without_repeating_finished_trials(tmp_path):
    """A run killed (SIGKILL) while rendering its third trial; the rerun finishes the budget of 4,
    keeps the first two trials as they were and asks the killed trial's values again."""
    out = tmp_path / "search"
    script = ("import sys; from tests.depthprobe.test_search import *; "
              f"run_search(search_spec(), {str(out)!r}, model=MODEL, budget=4, sampler='random', seed=5, "
              "executor=RecordingBoxes(kill_at='trial00002'))")
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    import optuna

    storage = f"sqlite:///{out / 'search.db'}"
    name = json.loads((out / "search.json").read_text())["study_name"]
    before = optuna.load_study(study_name=name, storage=storage).get_trials()
    assert [t.state.name for t in before] == ["COMPLETE", "COMPLETE", "RUNNING"]
    source = RecordingBoxes()
    result = run_search(search_spec(), out, model=MODEL, budget=4, sampler="random", seed=5, executor=source)
    after = optuna.load_study(study_name=name, storage=storage).get_trials()
    assert [t.state.name for t in after] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    assert [t.params for t in after[:2]] == [t.params for t in before[:2]]
    assert [t.value for t in after[:2]] == [t.value for t in before[:2]]
    assert after[3].params == before[2].params and after[3].user_attrs["retry_of"] == 2
    assert after[4].params != after[0].params  # the resumed sampler does not draw the first run's values again
    assert source.rendered == ["trial00003", "trial00004"] and result.n_new == 2 and result.n_finished == 4
    again = RecordingBoxes()
    assert run_search(search_spec(), out, model=MODEL, budget=4, sampler="random", seed=5, executor=again).n_new == 0
    assert again.rendered == [] and again.written == []  # nothing to run; the worst set is already right


def test_frame_seeds_come_from_the_search_seed_and_the_trial(tmp_path):
    source = RecordingBoxes()
    run_search(search_spec(), tmp_path / "s", model=MODEL, budget=3, sampler="random", seed=11, executor=source)
    plan = TRUTH[2][0]
    assert plan.frame_id == "trial00002" and plan.seed == derive_seed(11, "trial00002")
    first = pd.read_parquet(tmp_path / "s" / "trials.parquet")
    run_search(search_spec(), tmp_path / "t", model=MODEL, budget=3, sampler="random", seed=11, executor=RecordingBoxes())
    second = pd.read_parquet(tmp_path / "t" / "trials.parquet")
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), second.drop(columns="seconds"))


@pytest.mark.parametrize("sampler", ["tpe", "cmaes", "random"])
def test_every_sampler_runs_and_workers_ask_trials_together(tmp_path, sampler):
    source = RecordingBoxes(n_workers=2)
    started = time.perf_counter()
    result = run_search(search_spec(), tmp_path / sampler, model=MODEL, budget=5, sampler=sampler, seed=2,
                        workers=2, executor=source)
    assert result.n_finished == 5 and len(source.rendered) == 5
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("options, option", [
    (ExecutorOptions(executor="slurm"), "--executor"), (ExecutorOptions(address="auto"), "--address"),
    (ExecutorOptions(render_device="tpu"), "--render-device"), (ExecutorOptions(workers=0), "--workers"),
    (ExecutorOptions(threads=0), "--threads")])
def test_bad_render_options_are_the_one_line_errors_of_generate(tmp_path, options, option):
    with pytest.raises(DepthprobeError) as searched:
        run_search(search_spec(), tmp_path / "s", model=MODEL, budget=2, executor=options)
    with pytest.raises(DepthprobeError) as generated:
        generate(search_spec(), tmp_path / "g", executor=options)
    message = str(searched.value)
    assert message == str(generated.value) and message.startswith(option) and "\n" not in message
    assert not (tmp_path / "s").exists()


def test_a_worker_count_below_one_is_the_generate_error(tmp_path):
    with pytest.raises(DepthprobeError, match="^--workers 0: must be at least 1$"):
        run_search(search_spec(), tmp_path / "s", model=MODEL, budget=2, workers=0)
