"""The shipped reference networks, evaluated end to end on tiny rendered sets of three presets:
the cues their training planted are the cues depthprobe finds (real-size figures:
docs/reference-networks.md)."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")

pytestmark = pytest.mark.bpy

#: Frames per preset (quick size, 320x96, 8 samples): position_vs_size needs about 60 objects
#: for the varied-camera network's size > vertical difference to be resolved.
LIMITS = {"position_vs_size": 63, "elevation": 11, "camera_pitch": 21}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    from evaluator.pipeline.evaluate import evaluate_set
    from generator.generate import generate
    from scenes.spec.schema import load_spec, quick_spec

    root = tmp_path_factory.mktemp("reference")
    results = {}
    for preset, limit in LIMITS.items():
        set_dir = root / preset
        generate(quick_spec(load_spec(preset)), set_dir, limit=limit)
        for model in ("ref-fixed-camera", "ref-varied-camera"):
            results[preset, model] = evaluate_set(set_dir, model, root / f"{preset}-{model}", device="cpu")
    return results


def test_position_vs_size_fixed_camera_follows_vertical_position(evaluated):
    summary = evaluated["position_vs_size", "ref-fixed-camera"]
    assert summary["verdict"] == "vertical", summary["verdict_text"]
    assert summary["cues"]["vertical"]["ci_low"] > 0.8 and summary["cues"]["size"]["ci_high"] < 0.25


def test_position_vs_size_varied_camera_leans_on_size(evaluated):
    summary = evaluated["position_vs_size", "ref-varied-camera"]
    cues = summary["cues"]
    assert summary["verdict"] in ("size", "both"), summary["verdict_text"]
    assert cues["size"]["value"] > cues["vertical"]["value"] and cues["size"]["ci_low"] > 0.3


def test_elevation_fools_only_the_fixed_camera_network(evaluated):
    fixed = evaluated["elevation", "ref-fixed-camera"]["cues"]["vertical"]
    varied = evaluated["elevation", "ref-varied-camera"]["cues"]["vertical"]
    assert fixed["value"] > 1.0 and fixed["ci_low"] > 0.5 and varied["ci_high"] < fixed["ci_low"], (fixed, varied)


def test_only_the_varied_camera_network_follows_pitch(evaluated):
    fixed = evaluated["camera_pitch", "ref-fixed-camera"]["pose"]["pitch_following"]
    varied = evaluated["camera_pitch", "ref-varied-camera"]["pose"]["pitch_following"]
    assert fixed["ci_high"] < 0.3 and varied["ci_low"] > 0.7, (fixed, varied)
