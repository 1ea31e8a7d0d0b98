"""The ``robustness`` experiment kind: a base design's frames x {clean, corruption x severity}."""
from __future__ import annotations

import pytest

from scenes.catalog import default_catalog
from scenes.images.corruptions import CORRUPTION_NAMES, CORRUPTIONS
from scenes.design.plans import derive_seed, expand, frame_count
from scenes.design.records import frame_record
from scenes.errors import SpecError
from scenes.spec.schema import load_spec, parse_spec

BASE = {"kind": "position_vs_size", "asset": "car_sedan", "base_distance_m": 8.0,
        "relative_distance": {"start": 1.0, "stop": 2.0, "step": 0.5},
        "conditions": ["position_and_size", "size_only"]}


def spec_of(**experiment):
    return parse_spec({"name": "r", "version": 1, "seed": 3,
                       "experiment": {"kind": "robustness", "base": BASE, **experiment}})


def test_the_preset_has_every_corruption_and_severity_on_15_renders():
    spec = load_spec("robustness")
    frames = expand(spec, default_catalog())
    assert frame_count(spec) == len(frames) == 15 * (1 + 18 * 5) == 1365
    assert len({f.render_id for f in frames}) == 15
    assert {f.factors["corruption"] for f in frames} == {"clean", *CORRUPTION_NAMES}
    assert {f.factors["severity"] for f in frames} == {0, 1, 2, 3, 4, 5}
    assert sum(f.is_reference for f in frames) == 5  # clean position_and_size frames


def test_frames_share_the_base_render_and_differ_by_transform_and_its_seed():
    spec = spec_of(corruptions=["fog", "gaussian_noise"], severities=[1, 5])
    frames = expand(spec, default_catalog())
    assert frame_count(spec) == len(frames) == 6 * (1 + 2 * 2)
    by_render = {}
    for f in frames:
        by_render.setdefault(f.render_id, []).append(f)
    for base_id, group in by_render.items():
        assert {f.seed for f in group} == {derive_seed(3, base_id)}  # the base frame's own seed
        assert len({f.transform for f in group}) == len(group) == 5
        assert {f.factors["base_frame_id"] for f in group} == {base_id}
        objects = {(o.asset, o.x_m, o.y_m, o.scale) for f in group for o in f.objects}
        assert len(objects) == 1
    clean = [f for f in frames if f.factors["severity"] == 0]
    assert all(f.transform == "none" and f.transform_seed == 0 and f.frame_id.startswith("clean-") for f in clean)
    noisy = next(f for f in frames if f.frame_id == "gaussian_noise-s5-size_only-d1.50-open")
    assert noisy.transform == "corruption:gaussian_noise:5"
    assert noisy.transform_seed == derive_seed(3, noisy.frame_id)
    assert noisy.factors["corruption_family"] == CORRUPTIONS["gaussian_noise"].family == "noise"
    assert not noisy.is_reference


def test_frames_table_rows_carry_corruption_and_severity():
    spec = spec_of(corruptions=["pixelate"], severities=[2])
    frames = expand(spec, default_catalog())
    row = frame_record(frames[1], spec.experiment.kind, spec.camera.to_camera(), spec.world)
    assert (row["corruption"], row["severity"], row["corruption_family"]) == ("pixelate", 2, "digital")
    assert row["experiment"] == "robustness" and row["condition"] == "position_and_size"


@pytest.mark.parametrize("experiment, expected", [
    ({"corruptions": ["fogg"]}, "experiment.corruptions.0"),
    ({"severities": [0]}, "experiment.severities.0"),
    ({"severities": [1, 1]}, "experiment.severities"),
    ({"base": {"kind": "image_transforms"}}, "experiment.base"),
    ({"base": {**BASE, "colour": 1}}, "experiment.base.colour: unknown key"),
    ({"base": {"kind": "camera_pose", "vary": "pitch_deg", "levels": [1.0, 2.0],
               "objects": [{"asset": "car_sedan", "distance_m": 10.0}]}}, "experiment.base.levels: must include"),
])
def test_bad_robustness_specs_name_the_field(experiment, expected):
    with pytest.raises(SpecError, match=expected.replace(".", r"\.")):
        spec_of(**experiment)
