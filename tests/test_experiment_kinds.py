"""The experiment kinds besides position_vs_size: elevation, camera pose, novel objects."""
import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes.catalog import default_catalog
from scenes.design import expand
from scenes.spec import load_spec, preset_names

runner = CliRunner()


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_validates(name):
    result = runner.invoke(app, ["validate", name])
    assert result.exit_code == 0, result.output


def test_elevation_raises_object_and_keeps_distance():
    frames = expand(load_spec("elevation"), default_catalog())
    by_id = {f.frame_id: f for f in frames}
    low, high = by_id["elevation0.00-open"].objects[0], by_id["elevation1.00-open"].objects[0]
    assert (low.elevation_m, high.elevation_m) == (0.0, 1.0)
    assert low.y_m == high.y_m and low.scale == high.scale
    assert [f.is_reference for f in frames].count(True) == 3  # elevation 0 in each variant


@pytest.mark.parametrize("preset,vary", [("camera_pitch", "pitch_deg"), ("camera_roll", "roll_deg"),
                                         ("camera_height", "height_m")])
def test_camera_pose_changes_only_the_camera(preset, vary):
    spec = load_spec(preset)
    frames = expand(spec, default_catalog())
    placements = {tuple((o.asset, o.x_m, o.y_m, o.scale) for o in f.objects) for f in frames}
    assert len(placements) == 1  # the objects never move
    values = {getattr(f.camera, vary) for f in frames}
    assert len(values) == len(spec.experiment.level_values())
    refs = [f for f in frames if f.is_reference]
    assert refs and all(getattr(f.camera, vary) == getattr(spec.camera, vary) for f in refs)


def _spec_file(tmp_path, experiment):
    raw = {"include": "_base.yaml", "name": "t", "version": 1, "seed": 1, "experiment": experiment}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@pytest.mark.parametrize("experiment,expected", [
    ({"kind": "camera_pose", "vary": "roll_deg", "levels": {"start": -50, "stop": 10, "step": 10},
      "objects": [{"asset": "car_sedan", "distance_m": 12}]}, "levels of roll_deg must lie in [-45.0, 45.0]"),
    ({"kind": "camera_pose", "vary": "pitch_deg", "levels": [1.0, 2.0],
      "objects": [{"asset": "car_sedan", "distance_m": 12}]}, "experiment.levels: must include the canonical"),
    ({"kind": "camera_pose", "vary": "pitch_deg", "levels": [0.0],
      "objects": [{"asset": "car_sedn", "distance_m": 12}]}, "experiment.objects.0.asset: unknown asset 'car_sedn'"),
    ({"kind": "elevation", "asset": "car_sedan", "distance_m": 12,
      "elevation_m": {"start": -0.5, "stop": 1, "step": 0.1}}, "experiment.elevation_m.start"),
    ({"kind": "novel_objects", "assets": ["car_sedan", "fridg"], "base_distance_m": 10,
      "relative_distance": {"start": 1, "stop": 2, "step": 0.5}}, "experiment.assets.1: unknown asset 'fridg'"),
])
def test_bad_values_of_new_fields_name_the_field(tmp_path, experiment, expected):
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, experiment)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output
