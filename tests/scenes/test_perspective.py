"""The linear-perspective kind: spec, expansion (false vanishing point and dolly zoom), counts, ids,
the painted lines' vanishing point, and bad input as one line naming the field."""
import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes.catalog import default_catalog
from scenes.design.kinds import FRAME_COUNTS
from scenes.design.perspective import marking_taper, vp_shift_px
from scenes.design.plans import expand
from scenes.spec import VariantSpec
from scenes.spec.schema import load_spec

runner = CliRunner()


@pytest.fixture(scope="module")
def preset():
    spec = load_spec("perspective")
    return spec, expand(spec, default_catalog())


def test_preset_count_ids_and_reference_frames(preset):
    spec, frames = preset
    exp = spec.experiment
    assert len(frames) == FRAME_COUNTS.get("perspective")(spec, exp) == 62
    assert len({f.frame_id for f in frames}) == len(frames)
    assert "vp-3.00-z8-open" in {f.frame_id for f in frames} and "dolly2.50-z12-trees" in {f.frame_id for f in frames}
    refs = [f for f in frames if f.is_reference]
    assert len(refs) == 2 * (len(exp.distances_m) + len(exp.dolly_distances_m))
    assert all(f.camera == spec.camera.to_camera() and f.variant.marking_taper_per_m == 0.0 for f in refs)
    assert all(f.seed != g.seed for f, g in zip(frames, frames[1:]))


def test_vanishing_point_frames_change_only_the_paint(preset):
    spec, frames = preset
    vp = [f for f in frames if f.factors["block"] == "vanishing_point"]
    by_placement = {}
    for f in vp:
        by_placement.setdefault((f.factors["world_variant"], f.factors["base_distance_m"]), []).append(f)
    for group in by_placement.values():
        assert len({(f.objects[0].x_m, f.objects[0].y_m, f.objects[0].scale) for f in group}) == 1
        assert len({f.camera for f in group}) == 1
        assert len({f.variant.marking_taper_per_m for f in group}) == len(spec.experiment.vp_shift_deg)
    shifted = next(f for f in vp if f.frame_id == "vp+2.00-z12-trees")
    assert shifted.variant.name == "trees_vpu2" and shifted.variant.world_of == "trees"
    assert shifted.variant.roadside == "trees" and shifted.factors["variant"] == "trees_vpu2"


def test_dolly_keeps_image_size_and_contact_row(preset):
    spec, frames = preset
    catalog = default_catalog()
    dolly = [f for f in frames if f.factors["block"] == "dolly_zoom" and f.factors["base_distance_m"] == 8.0
             and f.factors["world_variant"] == "open"]
    assert [f.factors["dolly_ratio"] for f in dolly] == [1.0, 1.5, 2.0, 2.5, 3.0]
    spans = []
    for f in dolly:
        corners = f.objects[0].box_corners(catalog.get(f.objects[0].asset))
        front = corners[corners[:, 1] == corners[:, 1].min()]  # the face nearest the camera
        u, v, _ = f.camera.project(front)
        spans.append((u.max() - u.min(), v.max() - v.min(), v.max()))
        assert f.camera.fy == pytest.approx(spec.camera.to_camera().fy * f.factors["dolly_ratio"])
    assert np.allclose(spans, spans[0], atol=1e-6)  # same image size and contact row
    assert dolly[-1].objects[0].y_m - dolly[0].objects[0].y_m == pytest.approx(2 * 8.0)


@pytest.mark.parametrize("shift_deg", [-3.0, -1.0, 2.5])
def test_painted_lines_meet_at_the_shifted_vanishing_point(shift_deg):
    camera = load_spec("perspective").camera.to_camera()
    t = marking_taper(shift_deg, camera)
    rows = []
    lines = []
    for x0 in (-1.75, 1.5):  # the centre line and the right edge line, painted (x0 (1 + t y), y)
        y = np.array([5.0, 15.0])
        u, v, _ = camera.project(np.stack([x0 * (1 + t * y), y, np.zeros(2)], axis=1))
        lines.append(np.polyfit(v, u, 1))
    (a1, b1), (a2, b2) = lines
    rows.append((b2 - b1) / (a1 - a2))  # the row where the two image lines cross
    expected = camera.fy * math.tan(math.radians(shift_deg))
    assert camera.horizon_row() - rows[0] == pytest.approx(expected, rel=1e-6)
    assert vp_shift_px(shift_deg, camera) == pytest.approx(expected, rel=1e-9)


def test_new_variant_fields_leave_existing_hashes_alone():
    assert "marking_taper_per_m" not in VariantSpec(name="open").model_dump(mode="json")
    assert "world_of" not in VariantSpec(name="open").model_dump(mode="json")
    dumped = VariantSpec(name="x", marking_taper_per_m=0.01, world_of="open").model_dump(mode="json")
    assert dumped["marking_taper_per_m"] == 0.01 and dumped["world_of"] == "open"


def _spec_file(tmp_path, change, camera=None):
    experiment = {"kind": "perspective", "asset": "car_sedan", "vp_shift_deg": [0.0, 1.0], "distances_m": [10.0],
                  "dolly_ratio": [1.0, 2.0], **change}
    raw = {"include": "_base.yaml", "name": "t", "version": 1, "seed": 1, "experiment": experiment}
    if camera:
        raw["camera"] = camera
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@pytest.mark.parametrize("change,camera,expected", [
    ({"vp_shift_deg": [1.0, 2.0]}, None, "experiment.vp_shift_deg"),
    ({"vp_shift_deg": [0.0, 9.0]}, None, "experiment.vp_shift_deg.1"),
    ({"dolly_ratio": [2.0, 3.0]}, None, "experiment.dolly_ratio"),
    ({"distances_m": [10.0, 10.0]}, None, "experiment.distances_m"),
    ({"asset": "car_sedn"}, None, "experiment.asset: unknown asset 'car_sedn'"),
    ({"vp_shfit_deg": [0.0]}, None, "vp_shfit_deg"),
    ({"vp_shift_deg": [0.0, 4.0]}, {"height_m": 1.0}, "experiment.vp_shift_deg: 4 degrees at camera height 1 m"),
])
def test_bad_input_is_one_line_naming_the_field(tmp_path, change, camera, expected):
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, change, camera)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output


def test_small_design_validates_with_and_without_dolly(tmp_path):
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, {"dolly_ratio": []})])
    assert result.exit_code == 0 and "frames: 2 " in result.output, result.output
    result = runner.invoke(app, ["validate", _spec_file(tmp_path, {})])
    assert result.exit_code == 0 and "frames: 4 " in result.output, result.output


def test_tapered_markings_scale_x_with_distance_and_end_before_they_cross():
    from generator.markings import CONVERGING_END_FRACTION, tapered_quads

    rects = [(-1.81, -1.69, 0.0, 6.0), (1.45, 1.6, -20.0, 400.0), (-1.81, -1.69, 90.0, 96.0)]
    (near, _), (edge, _) = tapered_quads(rects, -0.02, 0.001)  # the far dash lies beyond the end
    assert np.allclose(near[:, 0], [-1.81, -1.69, -1.69 * 0.88, -1.81 * 0.88])
    assert edge[2, 1] == pytest.approx(CONVERGING_END_FRACTION / 0.02) and edge[2, 0] == pytest.approx(1.6 * 0.2)
    assert np.all(near[:, 2] == 0.001)
    diverging = tapered_quads(rects, 0.01, 0.001)
    assert len(diverging) == 3 and diverging[1][0][2, 0] == pytest.approx(1.6 * 5.0)
