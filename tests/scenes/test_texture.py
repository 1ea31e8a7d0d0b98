"""The texture experiment kind: its spec, expansion, frame count, ids, reference frames and errors."""
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes.catalog import default_catalog
from scenes.design.kinds import FRAME_COUNTS
from scenes.design.plans import expand
from scenes.spec.schema import load_spec

runner = CliRunner()
PHOTOS = Path(__file__).resolve().parents[2] / "assets" / "example_photos"


def _raw(**experiment):
    return {"include": "_base.yaml", "name": "t", "version": 1, "seed": 3,
            "experiment": {"kind": "texture", "asset": "car_sedan", **experiment}}


def _spec_file(tmp_path, raw):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def test_preset_expands_to_its_stated_count_with_unique_ids():
    spec = load_spec("texture")
    frames = expand(spec, default_catalog())
    assert len(frames) == FRAME_COUNTS.get("texture")(spec, spec.experiment) == 102 == (3 * 9 + 5 + 2) * 3
    assert len({f.frame_id for f in frames}) == len(frames)
    assert len({f.seed for f in frames}) == len(frames)


def test_road_frames_differ_only_by_mapping():
    frames = {f.frame_id: f for f in expand(load_spec("texture"), default_catalog())}
    world, screen, reversed_ = (frames[f"road_{m}-d2.00-open"] for m in ("world", "screen", "reversed"))
    placed = [(o.asset, o.x_m, o.y_m, o.yaw_deg, o.scale, o.appearance) for f in (world, screen, reversed_)
              for o in f.objects]
    assert placed[0] == placed[1] == placed[2]  # same car, same place, same look
    assert world.camera == screen.camera
    assert (world.road_texture.mapping, screen.road_texture.mapping, reversed_.road_texture.mapping) == (
        "world", "screen", "reversed")
    assert (world.variant.name, screen.variant.name) == ("open_world", "open_screen")  # one world per mapping
    assert world.variant.roadside == screen.variant.roadside == "open"
    # the same roadside draws (trees, buildings) under every mapping: only the road's texture differs
    assert world.variant.world_seed_name == screen.variant.world_seed_name == reversed_.variant.world_seed_name == "open"
    assert world.is_reference and not screen.is_reference and not reversed_.is_reference
    assert world.factors["base_variant"] == "open" and world.objects[0].factors["road_mapping"] == "world"
    assert world.objects[0].appearance.detail_squares_per_m is None  # road frames keep the file's paint


def test_detail_and_conflict_frames():
    frames = {f.frame_id: f for f in expand(load_spec("texture"), default_catalog())}
    coarse, ref = frames["detail-s0.25-trees"], frames["detail-s1-trees"]
    assert coarse.objects[0].appearance.detail_squares_per_m == pytest.approx(1.0)  # 4 squares/m x 0.25
    assert ref.is_reference and not coarse.is_reference and ref.road_texture is None
    assert coarse.objects[0].y_m == ref.objects[0].y_m
    pair = frames["conflict_coarse_near-trees"]
    near, far = pair.objects
    assert (near.factors["role"], far.factors["role"]) == ("near", "far") and near.y_m < far.y_m
    assert (near.factors["detail_scale"], far.factors["detail_scale"]) == (0.25, 4.0)
    swapped = frames["conflict_fine_near-trees"].objects
    assert (swapped[0].factors["detail_scale"], swapped[1].factors["detail_scale"]) == (4.0, 0.25)
    assert not pair.is_reference


def test_parts_are_optional_and_counted(tmp_path):
    spec = load_spec(_spec_file(tmp_path, _raw(road=None, detail={"detail_scale": [1.0, 2.0], "conflict": None})))
    frames = expand(spec, default_catalog())
    assert [f.frame_id for f in frames] == ["detail-s1-open", "detail-s2-open"]
    assert FRAME_COUNTS.get("texture")(spec, spec.experiment) == 2
    road_only = load_spec(_spec_file(tmp_path, _raw(detail=None, road={"mappings": ["world", "screen"],
                                                                        "relative_distance": [1.0, 2.0]})))
    assert len(expand(road_only, default_catalog())) == 4
    assert math.isnan(expand(road_only, default_catalog())[0].objects[0].factors["detail_scale"])


def test_existing_presets_keep_their_hash():
    # The texture fields default to nothing: other kinds' frames carry no road texture and no
    # paint detail, and the world section of their specs is dumped (and hashed) as before.
    frames = expand(load_spec("elevation"), default_catalog())
    assert all(f.road_texture is None and f.objects[0].appearance.detail_squares_per_m is None for f in frames)
    assert "road_texture" not in load_spec("elevation").model_dump(mode="json")["world"]["variants"][0]


@pytest.mark.parametrize("experiment,expected", [
    ({"road": {"mappings": ["screen", "reversed"]}}, "experiment.road.mappings"),
    ({"road": {"mappings": ["world", "sideways"]}}, "experiment.road.mappings.1"),
    ({"road": {"cell_m": 0.0}}, "experiment.road.cell_m"),
    ({"detail": {"detail_scale": [0.5, 2.0]}}, "experiment.detail.detail_scale"),
    ({"detail": {"conflict": {"near_m": 30.0, "far_m": 20.0}}}, "experiment.detail.conflict"),
    ({"road": None, "detail": None}, "no frames: give road, detail or both"),
    ({"asset": "car_sedn"}, "experiment.asset: unknown asset 'car_sedn'"),
])
def test_bad_input_is_one_line_naming_the_field(tmp_path, experiment, expected):
    _check_one_line(tmp_path, _raw(**experiment), expected)


def test_no_road_part_on_photographs(tmp_path):
    raw = {**_raw(), "camera": {"width": 320, "height": 96}, "world": {"background": {"photos": str(PHOTOS)}}}
    _check_one_line(tmp_path, raw, "experiment.road: the road texture needs a rendered road")


def _check_one_line(tmp_path, raw, expected):
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, raw)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output
