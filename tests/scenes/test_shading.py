"""The shading kind (issue 19): spec, expansion, counts, ids, per-frame suns, the relief assets,
and bad input as one line naming the field."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh
import yaml
from typer.testing import CliRunner

from assets import ASSETS_DIR
from depthprobe.cli import app
from scenes.catalog import default_catalog
from scenes.design.kinds import FRAME_COUNTS
from scenes.design.plans import expand
from scenes.design.records import frame_record
from scenes.spec.schema import load_spec

runner = CliRunner()


def _spec_file(tmp_path, experiment: dict) -> str:
    raw = {"include": "_base.yaml", "name": "t", "version": 1, "seed": 1, "experiment": experiment}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def _experiment() -> dict:
    return yaml.safe_load(open("scenes/presets/shading.yaml"))["experiment"]


def test_preset_expands_to_its_stated_count_with_unique_ids():
    spec = load_spec("shading")
    frames = expand(spec, default_catalog())
    assert len(frames) == 74 == FRAME_COUNTS.get("shading")(spec, spec.experiment)
    assert len({f.frame_id for f in frames}) == 74 and len({f.seed for f in frames}) == 74
    ids = {f.frame_id for f in frames}
    assert {"shading_only-ref-open", "shadows-ref-open", "shadows-az-120-el25-open",
            "relief-dent-behind-d8.00-open", "relief-bump-low_side-d6.00-open"} <= ids
    assert sorted(f.frame_id for f in frames if f.is_reference) == ["shading_only-ref-open", "shadows-ref-open"]


def test_sweep_changes_only_the_sun():
    spec = load_spec("shading")
    sweep = [f for f in expand(spec, default_catalog()) if f.factors["part"] == "sweep"]
    placements = {tuple((o.asset, o.x_m, o.y_m, o.yaw_deg, o.scale, o.elevation_m) for o in f.objects) for f in sweep}
    assert len(placements) == 1 and len({f.camera for f in sweep}) == 1
    suns = {(f.sun.azimuth_deg, f.sun.elevation_deg) for f in sweep}
    assert len(suns) == 6 * 4 + 1  # the grid and the reference sun
    for f in sweep:
        shadows = f.factors["series"] == "shadows"
        assert all(o.appearance.shadow is shadows for o in f.objects)
        assert (f.factors["sun_azimuth_deg"], f.factors["sun_elevation_deg"]) == (f.sun.azimuth_deg, f.sun.elevation_deg)
    ref = next(f for f in sweep if f.frame_id == "shadows-ref-open")
    assert (ref.sun.azimuth_deg, ref.sun.elevation_deg) == (0.0, 40.0)


def test_relief_frames_pair_bump_and_dent_without_shadows():
    spec = load_spec("shading")
    relief = [f for f in expand(spec, default_catalog()) if f.factors["part"] == "relief"]
    assert len(relief) == 2 * 3 * 4
    for f in relief:
        (obj,) = f.objects
        assert obj.appearance.shadow is False and obj.x_m == 0.0
        assert obj.asset == f"relief_{f.factors['relief']}"
        assert obj.factors["relief_sign"] == (1 if f.factors["relief"] == "bump" else -1)
    behind = next(f for f in relief if f.factors["light"] == "behind")
    assert (behind.sun.azimuth_deg, behind.sun.elevation_deg) == (180.0, 45.0)


def test_frames_table_records_each_frames_own_sun():
    spec = load_spec("shading")
    frames = expand(spec, default_catalog())
    camera = spec.camera.to_camera()
    for f in frames[:5] + frames[-3:]:
        row = frame_record(f, "shading", camera, spec.world)
        assert (row["sun_azimuth_deg"], row["sun_elevation_deg"]) == (f.sun.azimuth_deg, f.sun.elevation_deg)


def test_other_kinds_keep_the_variants_sun():
    frames = expand(load_spec("elevation"), default_catalog())
    assert all(f.sun is None for f in frames)


def test_only_a_relief_makes_the_relief_frames_the_references(tmp_path):
    experiment = _experiment()
    del experiment["sweep"]
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, experiment)])
    assert result.exit_code == 0 and "frames: 24" in result.output, result.output
    frames = expand(load_spec(_spec_file(tmp_path, experiment)), default_catalog())
    assert all(f.is_reference for f in frames)


@pytest.mark.parametrize("change,expected", [
    (lambda e: e["sweep"].update(elevation_deg=[5, 85]), "experiment.sweep.elevation_deg.1"),
    (lambda e: e["sweep"].update(azimuth_deg=[0, 180]), "experiment.sweep.azimuth_deg.1"),
    (lambda e: e["sweep"].update(azimuth_deg=[0, 0]), "experiment.sweep.azimuth_deg"),
    (lambda e: e["sweep"]["objects"][1].update(asset="vann"), "experiment.sweep.objects.1.asset: unknown asset 'vann'"),
    (lambda e: e["relief"].update(dent_asset="relief_dnt"), "experiment.relief.dent_asset: unknown asset"),
    (lambda e: e["relief"]["lights"][1].update(name="front"), "experiment.relief: lights: names must be unique"),
    (lambda e: e["relief"]["lights"][0].update(elevation_deg=95), "experiment.relief.lights.0.elevation_deg"),
    (lambda e: e["relief"].update(distance_m=[-1.0]), "experiment.relief.distance_m.0"),
    (lambda e: (e.pop("sweep"), e.pop("relief")), "experiment: no frames: give a sweep, a relief, or both"),
    (lambda e: e.update(reference_sun={"azimuth_deg": 0, "elevation_deg": 1}), "experiment.reference_sun.elevation_deg"),
])
def test_bad_input_is_one_line_naming_the_field(tmp_path, change, expected):
    experiment = _experiment()
    change(experiment)
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, experiment)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output


@pytest.mark.parametrize("asset,sign", [("relief_bump", 1), ("relief_dent", -1)])
def test_relief_assets_rise_or_sink_at_the_centre_and_are_flat_at_the_rim(asset, sign):
    mesh = trimesh.load(ASSETS_DIR / "meshes" / f"{asset}.glb", force="mesh")
    top = mesh.vertices[mesh.vertices[:, 2] > 0.01]
    centre = top[np.hypot(top[:, 0], top[:, 1]) < 1e-6, 2]
    rim = top[np.hypot(top[:, 0], top[:, 1]) > 0.85, 2]
    np.testing.assert_allclose(rim, 0.16, atol=1e-6)
    assert centre.size and centre[0] == pytest.approx(0.16 + sign * 0.12, abs=1e-6)


def test_the_guides_example_is_the_preset():
    text = open("docs/guides/cue-shading.md", encoding="utf-8").read()
    example = yaml.safe_load(text.split("```yaml", 1)[1].split("```", 1)[0])["experiment"]
    assert example == _experiment()
