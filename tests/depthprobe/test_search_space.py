"""The search section of the spec, a trial's frame plan, the objectives (missed, a user's callable,
a relative model's alignment) and what ``depthprobe search`` refuses (no Blender: ray-cast boxes)."""
from __future__ import annotations

import json
import typing

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from depthprobe.search.objective import load_objective
from depthprobe.search.runner import run_search
from depthprobe.search.space import InfeasibleTrial, SearchError, SearchSpace
from scenes.catalog import default_catalog
from scenes.errors import DepthprobeError, SpecError
from scenes.spec.search import Roadside
from scenes.spec.schema import VariantSpec, load_spec
from tests.depthprobe.test_search import MODEL, ROOT, RecordingBoxes, search_spec, truth_of

runner = CliRunner()
CALLS: list[tuple] = []


def test_spec_without_search_keeps_its_hash_and_the_section_is_in_the_hash():
    plain = load_spec("elevation")
    assert "search" not in plain.model_dump(mode="json")  # so its canonical JSON, and hash, are as before
    with_search = search_spec()
    assert with_search.model_dump(mode="json")["search"]["distance_m"] == {"min": 6.0, "max": 40.0}
    assert with_search.spec_hash() != search_spec({**with_search.search.model_dump(), "pitch_deg": None}).spec_hash()
    assert set(typing.get_args(Roadside)) == set(typing.get_args(VariantSpec.model_fields["roadside"].annotation))


@pytest.mark.parametrize("search, message", [
    ({"assets": ["car_sedan"], "distance_m": {"min": 5, "max": 4000}}, "search.distance_m: must lie in [0.5, 500]"),
    ({"assets": ["car_sedan"], "distance_m": {"min": 9, "max": 5}}, "search.distance_m: max (5.0) must not be below"),
    ({"assets": ["car_sedan"], "distance_m": {"min": 5, "max": 9}, "pich_deg": {"min": 0, "max": 1}},
     "search.pich_deg: unknown key; did you mean 'pitch_deg'?"),
    ({"assets": ["car_sedan"], "distance_m": {"min": 5, "max": 9}, "roadside": ["forest"]}, "search.roadside.0"),
    ({"assets": ["car_sedan"]}, "search.distance_m: required key is missing"),
])
def test_search_section_errors_name_the_field(search, message):
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        search_spec(search)


def test_unknown_asset_and_missing_section_are_spec_errors():
    with pytest.raises(SpecError, match=r"search-test.yaml: search.assets.0: unknown asset 'car_sedann'"):
        SearchSpace.from_spec(search_spec({"assets": ["car_sedann"], "distance_m": {"min": 5, "max": 9}}),
                              default_catalog())
    with pytest.raises(SpecError, match="search: missing"):
        SearchSpace.from_spec(load_spec("elevation"), default_catalog())


def test_a_trial_plan_uses_the_spec_camera_world_and_design_helpers():
    space = SearchSpace.from_spec(search_spec({
        "assets": ["van"], "distance_m": {"min": 10, "max": 20}, "pitch_deg": {"min": 1.5, "max": 1.5},
        "hue_deg": {"min": 0, "max": 360}, "sun_elevation_deg": {"min": 10, "max": 60},
        "roadside": ["open", "trees"]}), default_catalog())
    assert space.searched() == ["distance_m", "hue_deg", "sun_elevation_deg", "roadside"]
    values = space.values({"distance_m": 12.5, "hue_deg": 120.0, "sun_elevation_deg": 20.0, "roadside": "trees"})
    plan = space.trial_plan(values, 7, search_seed=3)
    obj, asset = plan.objects[0], default_catalog().get("van")
    assert plan.frame_id == "trial00007" and plan.factors["trial"] == 7 and not plan.is_reference
    assert plan.camera.pitch_deg == 1.5 and plan.camera.height_m == 1.65 and plan.camera.width == 160
    assert obj.y_m - asset.length_m / 2 == pytest.approx(12.5) and obj.appearance.paint_rgb is not None
    assert plan.variant.roadside == "trees" and plan.variant.sun.elevation_deg == 20.0
    assert plan.variant.name.startswith("trees_")
    other = space.trial_plan({**values, "sun_elevation_deg": 20.5}, 8, 3)
    assert other.variant.name != plan.variant.name  # the renderer builds a world per variant name
    with pytest.raises(InfeasibleTrial, match="leaves the 160x48 image"):
        space.trial_plan({**values, "distance_m": 10.0, "lateral_m": 12.0}, 9, 3)
    assert space.reference_plan(3).is_reference and space.reference_plan(3).camera.pitch_deg == 0.0


def test_infeasible_trials_are_skipped_and_count_against_the_budget(tmp_path):
    spec = search_spec({"assets": ["car_sedan"], "distance_m": {"min": 6, "max": 12},
                        "lateral_m": {"min": -15, "max": 15}})
    result = run_search(spec, tmp_path / "s", model=MODEL, budget=10, sampler="random", seed=0,
                        executor=RecordingBoxes())
    table = pd.read_parquet(tmp_path / "s" / "trials.parquet")
    skipped = table[table["state"] == "PRUNED"]
    assert result.n_finished == 10 and result.n_skipped == len(skipped) > 0
    assert skipped["skipped"].str.contains("leaves the 160x48 image").all() and skipped["objective"].isna().all()


def hiding_model(images: np.ndarray) -> np.ndarray:
    """Sees objects nearer than 20 m; farther ones are missing from its depth (road behind them)."""
    maps = []
    for image in images:
        plan, depth, instances = truth_of(image)
        far = plan.objects[0].factors["distance_m"] > 20
        road = plan.camera.road_depth_map().astype(np.float32)
        maps.append(np.where((instances == 1) & far, road, depth) if (instances == 1).any() else depth)
    return np.stack(maps).astype(np.float32)


def test_missed_objective_uses_the_counterfactual(tmp_path):
    out = tmp_path / "s"
    result = run_search(search_spec({"assets": ["car_sedan"], "distance_m": {"min": 8, "max": 30}}), out,
                        model="tests.depthprobe.test_search_space:hiding_model", objective="missed", budget=8,
                        sampler="random", seed=4, executor=RecordingBoxes())
    table = pd.read_parquet(out / "trials.parquet")
    far = table["distance_m"] > 20
    assert far.any() and (~far).any()
    assert table.loc[far, "missed"].all() and not table.loc[~far, "missed"].any()
    assert table.loc[far, "objective"].min() > 0.9 and table.loc[~far, "objective"].abs().max() < 1e-6
    assert "Objects missed" in "\n".join(result.failures)
    worst = pd.read_parquet(out / "worst" / "frames.parquet")
    assert worst["has_counterfactual"].all()


def user_score(plan, frame, prediction) -> float:
    """A user's objective: records what it was given, scores the object's lateral position."""
    CALLS.append((plan.frame_id, frame.rgb.shape, prediction.shape))
    return abs(plan.objects[0].x_m)


def test_user_callable_objective_gets_plan_frame_and_prediction(tmp_path):
    CALLS.clear()
    result = run_search(search_spec(), tmp_path / "s", model=MODEL, budget=3, sampler="random",
                        objective="tests.depthprobe.test_search_space:user_score", executor=RecordingBoxes())
    assert [c[0] for c in CALLS] == ["trial00000", "trial00001", "trial00002"]
    assert CALLS[0][1] == (48, 160, 3) and CALLS[0][2] == (48, 160)
    table = pd.read_parquet(tmp_path / "s" / "trials.parquet")
    assert np.allclose(table["objective"], table["lateral_m"].abs())
    assert result.worst == [int(table.loc[table["objective"].idxmax(), "trial"])]
    with pytest.raises(SearchError, match="--objective 'nope': choose depth-error, missed or module:callable"):
        load_objective("nope")


def disparity_model(images: np.ndarray) -> np.ndarray:
    """An exact model that outputs disparity 3/depth (alignment must find the scale)."""
    return np.stack([3.0 / truth_of(image)[1] for image in images]).astype(np.float32)


disparity_model.output_kind = "disparity"


def test_relative_output_is_aligned_once_on_the_reference_frame(tmp_path):
    source = RecordingBoxes()
    out = tmp_path / "s"
    run_search(search_spec(), out, model="tests.depthprobe.test_search_space:disparity_model", budget=3,
               sampler="random", executor=source)
    assert source.rendered[0] == "reference" and source.rendered.count("reference") == 1
    alignment = json.loads((out / "search.json").read_text())["alignment"]
    assert alignment["policy"] == "median" and alignment["scale"] == pytest.approx(3.0, rel=1e-5)
    table = pd.read_parquet(out / "trials.parquet")
    assert table["objective"].max() < 1e-5
    resumed = RecordingBoxes()
    run_search(search_spec(), out, model="tests.depthprobe.test_search_space:disparity_model", budget=4,
               sampler="random", executor=resumed)
    assert resumed.rendered == ["trial00003"]  # the recorded alignment is reused


def test_refuses_foreign_folders_and_other_searches(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(SearchError, match="not a search folder"):
        run_search(search_spec(), tmp_path / "busy", model=MODEL, budget=1, executor=RecordingBoxes())
    run_search(search_spec(), tmp_path / "s", model=MODEL, budget=1, sampler="random", executor=RecordingBoxes())
    with pytest.raises(SearchError, match="holds a search with model"):
        run_search(search_spec(), tmp_path / "s", model="flat-road", budget=2, sampler="random",
                   executor=RecordingBoxes())
    with pytest.raises(SearchError, match="holds a search with sampler 'random', not 'tpe'"):
        run_search(search_spec(), tmp_path / "s", model=MODEL, budget=2, executor=RecordingBoxes())
    with pytest.raises(SearchError, match="--sampler 'grid'"):
        run_search(search_spec(), tmp_path / "t", model=MODEL, budget=2, sampler="grid", executor=RecordingBoxes())
    assert not (tmp_path / "t").exists()


def test_cli_user_mistakes_are_one_line(tmp_path):
    spec = tmp_path / "s.yaml"
    raw = {"include": "_base.yaml", "name": "s", "version": 1, "seed": 1,
           "experiment": {"kind": "elevation", "asset": "car_sedan", "distance_m": 12,
                          "elevation_m": {"start": 0, "stop": 0.2, "step": 0.1}}}
    spec.write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["search", str(spec), "--model", "flat-road", "--budget", "2", "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1].startswith(f"error: {spec}: search: missing")
    spec.write_text(yaml.safe_dump({**raw, "search": {"assets": ["car_sedan"], "distance_m": {"min": 5, "max": 9}}}))
    result = runner.invoke(app, ["search", str(spec), "--model", "flat-raod", "--budget", "2", "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == 2 and "unknown model 'flat-raod'" in result.output
    result = runner.invoke(app, ["search", str(spec), "--model", "flat-road", "--budget", "2", "--sampler", "grid",
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "error: --sampler 'grid'" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option, value", [("--executor", "slurm"), ("--render-device", "tpu"), ("--address", "auto")])
def test_cli_search_takes_generates_render_options(tmp_path, option, value):
    spec = tmp_path / "s.yaml"
    raw = {"include": "_base.yaml", "name": "s", "version": 1, "seed": 1,
           "experiment": {"kind": "elevation", "asset": "car_sedan", "distance_m": 12,
                          "elevation_m": {"start": 0, "stop": 0.2, "step": 0.1}},
           "search": {"assets": ["car_sedan"], "distance_m": {"min": 5, "max": 9}}}
    spec.write_text(yaml.safe_dump(raw))
    assert option in runner.invoke(app, ["search", "--help"], env={"COLUMNS": "200"}).output
    common = [str(spec), "--model", "flat-road", "--budget", "2", option, value]
    searched = runner.invoke(app, ["search", *common, "--out", str(tmp_path / "o")])
    generated = runner.invoke(app, ["generate", str(spec), option, value, "--out", str(tmp_path / "g")])
    assert searched.exit_code == 2 and generated.exit_code == 2
    error = searched.output.strip().splitlines()[-1]
    assert error.startswith(f"error: {option}") and error == generated.output.strip().splitlines()[-1]
    assert not (tmp_path / "o").exists() and not (tmp_path / "g").exists()


def test_the_search_guides_search_section_is_a_valid_spec_section():
    text = (ROOT / "docs" / "guides" / "search.md").read_text(encoding="utf-8")
    block = text.split("# Failure search", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    section = yaml.safe_load(block)["search"]
    space = SearchSpace.from_spec(search_spec(section), default_catalog())
    assert len(space.searched()) == 12  # every factor the search guide lists is searchable


def test_refuses_a_folder_inside_a_stimulus_set(tmp_path):
    run_search(search_spec(), tmp_path / "s", model=MODEL, budget=1, sampler="random", executor=RecordingBoxes())
    with pytest.raises(DepthprobeError, match="is inside the stimulus set"):
        run_search(search_spec(), tmp_path / "s" / "worst" / "inner", model=MODEL, budget=1, sampler="random",
                   executor=RecordingBoxes())
