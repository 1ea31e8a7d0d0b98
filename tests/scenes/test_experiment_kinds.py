"""The experiment kinds besides position_vs_size: elevation, camera pose, novel objects."""
import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes.catalog import default_catalog
from scenes.design.plans import expand
from scenes.spec.schema import load_spec, preset_names

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


def test_ground_contact_sweeps_and_reference():
    spec = load_spec("ground_contact")
    frames = expand(spec, default_catalog())
    conditions = {f.factors["condition"] for f in frames}
    assert {"shadow_on", "shadow_off", "band_t15_v0.00", "hue120", "value0.10"} <= conditions
    assert len(frames) == (2 + 6 * 11 + 12 + 5) * 2
    band = next(f for f in frames if f.frame_id == "band_t15_v0.00-d1.00-open").objects[0]
    assert band.appearance.band_thickness_m == pytest.approx(15 * 10.0 / f_y(spec))
    assert band.appearance.flat_rgb is not None
    off = next(f for f in frames if f.frame_id == "shadow_off-d2.00-open")
    assert off.objects[0].appearance.shadow is False and not off.is_reference
    assert all(f.is_reference == (f.factors["condition"] == "shadow_on") for f in frames)


def f_y(spec):
    return spec.camera.to_camera().fy


def test_image_transform_frames_share_one_render():
    frames = expand(load_spec("image_transforms"), default_catalog())
    renders = {}
    for f in frames:
        renders.setdefault(f.render_id, set()).add(f.transform)
    assert all(t == {"none", "grayscale", "false_colours", "semantic_colours", "class_average"} for t in renders.values())
    assert len(frames) == 5 * len(renders)


def test_variant_levels_are_recorded_in_frames_table_rows():
    from scenes.design.records import frame_record

    spec = load_spec("position_vs_size")
    frames = expand(spec, default_catalog())
    rows = [frame_record(f, "position_vs_size", spec.camera.to_camera(), spec.world) for f in frames]
    rural = next(r for r in rows if r["variant"] == "rural")
    assert rural["overcast"] and rural["lanes"] == 3 and rural["roadside"] == "fence"
    town = next(r for r in rows if r["variant"] == "town")
    assert town["parked_cars"] == 8 and town["sun_elevation_deg"] == 55.0


@pytest.mark.parametrize("experiment_change,expected", [
    (lambda e: e["band"].update(thickness_px=[3, -2]), "experiment.band.thickness_px.1"),
    (lambda e: e["band"].update(value=[0.5, 1.5]), "experiment.band.value.1"),
    (lambda e: e["colour"].update(hue_deg=[400]), "experiment.colour.hue_deg.0"),
    (lambda e: e.update(relative_distance=[0.0]), "experiment.relative_distance.0"),
])
def test_bad_ground_contact_fields_are_named(tmp_path, experiment_change, expected):
    experiment = yaml.safe_load(open("scenes/presets/ground_contact.yaml"))["experiment"]
    experiment_change(experiment)
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, experiment)])
    assert result.exit_code == 2 and expected in result.output, result.output


def test_world_variant_lane_count_must_leave_the_ego_lane(tmp_path):
    raw = {"include": "_base.yaml", "name": "t", "version": 1, "seed": 1,
           "world": {"variants": [{"name": "narrow", "lanes": 1}]},
           "experiment": {"kind": "elevation", "asset": "car_sedan", "distance_m": 12,
                          "elevation_m": {"start": 0, "stop": 0.5, "step": 0.5}}}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "world.variants.0.lanes" in result.output, result.output


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_passes_the_exact_geometry_preview(tmp_path, name):
    pytest.importorskip("open3d")
    sheet = tmp_path / "sheet.png"
    result = runner.invoke(app, ["validate", name, "--quick", "--preview", "--sheet", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "no issues" in result.output and sheet.stat().st_size > 1000
