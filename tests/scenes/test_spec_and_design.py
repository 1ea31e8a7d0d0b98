"""Spec schema, includes, the position-vs-size design, and one-line errors for bad specs."""
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes.catalog import default_catalog
from scenes.design.plans import derive_seed, expand
from scenes.design.records import select_frames
from scenes.errors import SpecError
from scenes.spec.schema import load_spec, quick_spec

runner = CliRunner()


def test_preset_design_has_three_conditions_21_levels_six_variants():
    spec = load_spec("position_vs_size")
    frames = expand(spec, default_catalog())
    assert len(frames) == 3 * 21 * 6
    ids = [f.frame_id for f in frames]
    assert len(set(ids)) == len(ids)
    levels = sorted({f.factors["relative_distance"] for f in frames})
    assert levels[0] == 1.0 and levels[-1] == 3.0 and len(levels) == 21
    assert all(f.seed == derive_seed(spec.seed, f.frame_id) for f in frames)


def test_conditions_dissociate_distance_and_size():
    spec = load_spec("position_vs_size")
    frames = {f.frame_id: f for f in expand(spec, default_catalog())}
    z0 = spec.experiment.base_distance_m
    half = default_catalog().get("car_sedan").length_m / 2
    pos = frames["position_only-d2.00-open"].objects[0]
    size = frames["size_only-d2.00-open"].objects[0]
    both = frames["position_and_size-d2.00-open"].objects[0]
    assert (pos.y_m - half * pos.scale, pos.scale) == pytest.approx((2 * z0, 2.0))
    assert (size.y_m - half * size.scale, size.scale) == pytest.approx((z0, 0.5))
    assert (both.y_m - half, both.scale) == pytest.approx((2 * z0, 1.0))


def test_quick_spec_is_small_and_keeps_geometry_consistent():
    spec = quick_spec(load_spec("position_vs_size"))
    assert spec.camera.width <= 320 and spec.render.samples <= 8
    full = load_spec("position_vs_size").camera.to_camera()
    small = spec.camera.to_camera()
    assert small.horizon_row() == pytest.approx((full.horizon_row() + 0.5) * 0.5 - 0.5, abs=1e-6)


def test_select_frames_spreads_over_design():
    frames = expand(load_spec("position_vs_size"), default_catalog())
    chosen = select_frames(frames, 6)
    assert len(chosen) == 6
    assert {f.factors["condition"] for f in chosen} == {"position_and_size", "position_only", "size_only"}


def _write_spec(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(Path("scenes/presets/position_vs_size.yaml").read_text())
    raw["include"] = str(Path("scenes/presets/_base.yaml").resolve())
    change(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


BAD_SPECS = {
    "unknown key": (lambda r: r["experiment"].update(colour="red"), "experiment.colour: unknown key"),
    "misspelt key": (lambda r: r["camera"].update(heigth_m=1.2) if "camera" in r else r.update(camera={"heigth_m": 1.2}),
                     "did you mean 'height_m'"),
    "negative distance": (lambda r: r["experiment"]["relative_distance"].update(start=-1.0),
                          "experiment.relative_distance.start"),
    "negative base distance": (lambda r: r["experiment"].update(base_distance_m=-3.0), "experiment.base_distance_m"),
    "behind the camera": (lambda r: r["experiment"].update(base_distance_m=0.2), "behind it"),
    "out of frame": (lambda r: r["experiment"].update(lateral_m=30.0), "leaves the 640x192 image"),
    "unknown asset": (lambda r: r["experiment"].update(asset="car_sedna"), "did you mean car_sedan"),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
@pytest.mark.parametrize("command", ["validate", "generate"])
def test_bad_spec_is_one_line_exit_2_and_renders_nothing(tmp_path, case, command):
    change, expected = BAD_SPECS[case]
    spec = _write_spec(tmp_path, change)
    out = tmp_path / "set"
    args = [command, str(spec)] + (["--out", str(out)] if command == "generate" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert expected in lines[0]
    assert not out.exists()


def test_include_cycle_and_missing_include_are_spec_errors(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("include: b.yaml\n")
    b.write_text("include: a.yaml\n")
    with pytest.raises(SpecError, match="include cycle"):
        load_spec(a)
    (tmp_path / "c.yaml").write_text("include: nowhere.yaml\n")
    with pytest.raises(SpecError, match="nowhere.yaml"):
        load_spec(tmp_path / "c.yaml")


def test_validate_prints_design_and_frame_count():
    result = runner.invoke(app, ["validate", "position_vs_size"])
    assert result.exit_code == 0, result.output
    assert "frames: 378" in result.output and "factor condition" in result.output


def test_frame_seeds_do_not_depend_on_the_rest_of_the_design():
    spec = load_spec("position_vs_size")
    fewer = spec.model_copy(update={"experiment": spec.experiment.model_copy(update={"conditions": ["size_only"]})})
    full = {f.frame_id: f.seed for f in expand(spec, default_catalog())}
    part = {f.frame_id: f.seed for f in expand(fewer, default_catalog())}
    assert all(full[k] == v for k, v in part.items()) and len(part) == 21 * len(spec.world.variants) == 21 * 6
