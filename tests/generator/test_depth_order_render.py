"""The depth-order kind rendered for real (tiny: 160x48 px, 2 samples, one pair and B alone):
the reversed frame differs from the consistent one only around the objects, its layers show B
over A, ``depthprobe verify`` passes and fails once the reversed frame holds the physical
layers, and an evaluation's report has the depth-order section and figure."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy import ndimage

from evaluator.pipeline.evaluate import evaluate_set
from evaluator.results.format import read_results
from evaluator.results.page import build_report
from generator.generate import generate
from scenes import open_stimulus_set
from scenes.formats.geometry import read_frame_geometry
from scenes.formats.stimulus_set import MANIFEST, layer_path, write_manifest
from scenes.raycast.verify import verify_set
from scenes.spec.files import load_raw_spec, resolve_spec_path
from scenes.spec.schema import parse_spec
from scenes.storage import sha256_file

pytestmark = pytest.mark.bpy

CONSISTENT, REVERSED, ALONE = "consistent-r2.50-o0.45-open", "reversed-r2.50-o0.45-open", "far_alone-r2.50-open"


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    raw = load_raw_spec(resolve_spec_path("depth_order"))
    raw.update(name="depth_order_tiny", camera={**raw["camera"], "width": 160, "height": 48},
               render={**raw["render"], "samples": 2},
               world={**raw["world"], "variants": [{"name": "open", "roadside": "open"}]})
    raw["experiment"] = {**raw["experiment"], "distance_ratio": [2.5], "overlap": [0.45]}
    root = tmp_path_factory.mktemp("depth_order") / "set"
    generate(parse_spec(raw), root)
    return root


def test_reversed_frame_draws_the_far_car_over_the_near_one(tiny_set):
    s = open_stimulus_set(tiny_set)
    assert sorted(s.frame_ids) == sorted([CONSISTENT, REVERSED, ALONE])
    consistent, reversed_, alone = (s.instances(f) for f in (CONSISTENT, REVERSED, ALONE))
    assert (reversed_ == 2).sum() == (alone == 2).sum() > (consistent == 2).sum() > 0  # B whole, as alone
    assert 0 < (reversed_ == 1).sum() < (consistent == 1).sum()  # A loses what B covers
    assert np.array_equal(s.depth(REVERSED)[alone == 2], s.depth(ALONE)[alone == 2])  # B's own depth there
    changed = np.any(s.rgb(CONSISTENT) != s.rgb(REVERSED), axis=-1)
    near_objects = ndimage.binary_dilation((consistent > 0) | (reversed_ > 0), iterations=2)
    assert changed.any() and not (changed & ~near_objects).any()  # the rest of the image is untouched
    assert read_frame_geometry(tiny_set, REVERSED).drawn_over == ("vehicle:2:object_2",)
    assert read_frame_geometry(tiny_set, CONSISTENT).drawn_over == ()
    assert "drawn_over" not in json.loads((tiny_set / "geometry" / "frames" / f"{CONSISTENT}.json").read_text())


def test_verify_passes_and_fails_with_the_physical_layers(tiny_set, tmp_path):
    assert verify_set(tiny_set).failed == []
    forged = tmp_path / "forged"
    shutil.copytree(tiny_set, forged)
    manifest = json.loads((forged / MANIFEST).read_text())
    for layer in ("depth", "instances", "semantic"):  # the reversed frame given the physical (consistent) layers
        target = layer_path(forged, layer, REVERSED)
        shutil.copyfile(layer_path(forged, layer, CONSISTENT), target)
        manifest["files"][target.relative_to(forged).as_posix()] = sha256_file(target)
    write_manifest(forged, manifest)
    assert verify_set(forged).failed == [REVERSED]


def test_evaluation_report_has_the_depth_order_section(tiny_set, tmp_path):
    summary = evaluate_set(tiny_set, "flat-road", tmp_path / "out")
    entry = summary["depth_order"]
    assert entry["n_frames"] == 2 and entry["accuracy"]["reversed"]["n_pairs"] == 1
    assert 0.2 < entry["overlap_actual_mean"] < 0.7
    page = build_report(read_results(tmp_path / "out"), gallery=False)
    assert '<section id="cue-depth_order">' in page.html and 'id="figure-depth_order"' in page.html
    assert entry["verdict_text"] in page.html
