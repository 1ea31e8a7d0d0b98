"""The shading kind rendered for real (tiny): the per-frame sun changes the image and nothing else,
a frame renders the same alone as after other suns, the set passes ``verify``, and its evaluation
gives the report's shading section (and a clean page in a headless browser)."""
from __future__ import annotations

import numpy as np
import pytest
import yaml

from evaluator.pipeline.evaluate import evaluate_set
from evaluator.results.format import read_results
from evaluator.results.page import build_report, write_report
from generator.generate import generate
from scenes import open_stimulus_set
from scenes.catalog import default_catalog
from scenes.geometry import SEMANTIC_CLASSES
from scenes.design.plans import expand
from scenes.raycast.verify import format_run, verify_set
from scenes.spec.schema import load_spec, scaled_spec
from tests.evaluator.results.browser import assert_page_is_clean, browser_or_skip, inspect_page

pytestmark = pytest.mark.bpy

EXPERIMENT = {
    "kind": "shading",
    "reference_sun": {"azimuth_deg": 0.0, "elevation_deg": 40.0},
    "sweep": {"objects": [{"asset": "car_sedan", "distance_m": 9.0}], "azimuth_deg": [0.0, 120.0],
              "elevation_deg": [10.0], "shadows": [False, True]},
    "relief": {"distance_m": [6.0], "lights": [{"name": "front", "azimuth_deg": 0.0, "elevation_deg": 45.0},
                                               {"name": "behind", "azimuth_deg": 180.0, "elevation_deg": 45.0}]},
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny set (160x48 px, 2 samples, 10 frames) and its spec."""
    folder = tmp_path_factory.mktemp("shading")
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({"include": "_base.yaml", "name": "tiny_shading", "version": 1, "seed": 3,
                                    "experiment": EXPERIMENT}))
    spec = scaled_spec(load_spec(str(path)), 160, 2)
    generate(spec, folder / "set")
    return spec, folder / "set"


def test_the_sun_changes_the_image_not_the_depth(tiny):
    _, root = tiny
    s = open_stimulus_set(root)
    assert len(s.frame_ids) == 10
    ref, moved = "shading_only-ref-open", "shading_only-az120-el10-open"
    np.testing.assert_array_equal(s.depth(ref), s.depth(moved))
    np.testing.assert_array_equal(s.instances(ref), s.instances(moved))
    road = s.semantic(ref) == SEMANTIC_CLASSES["road"]
    assert abs(s.rgb(ref)[road].mean() - s.rgb(moved)[road].mean()) > 5  # low sun: a darker road
    frames = s.frames.set_index("frame_id")
    assert (frames.loc[moved, "sun_azimuth_deg"], frames.loc[moved, "sun_elevation_deg"]) == (120.0, 10.0)
    shadow = s.rgb("shadows-az120-el10-open").astype(int) - s.rgb(moved).astype(int)
    assert (np.abs(shadow).sum(axis=2) > 30).sum() > 20  # the car's shadow on the road


def test_a_frame_renders_the_same_alone(tiny, tmp_path):
    spec, root = tiny
    plan = next(p for p in expand(spec, default_catalog()) if p.frame_id == "relief-dent-behind-d6.00-open")
    generate(spec, tmp_path / "alone", plans=[plan])
    alone = open_stimulus_set(tmp_path / "alone")
    np.testing.assert_array_equal(alone.rgb(plan.frame_id), open_stimulus_set(root).rgb(plan.frame_id))


def test_the_set_verifies(tiny):
    run = verify_set(tiny[1])
    assert run.checks and run.failed == [], format_run(run)
    assert len(run.checks) == 10


def test_evaluation_and_report_section(tiny, tmp_path):
    out = tmp_path / "results"
    summary = evaluate_set(tiny[1], "flat-road", out, batch_size=4)
    entry = summary["shading"]
    assert set(entry["sweep"]) == {"shading_only", "shadows"} and set(entry["relief"]["lights"]) == {"front", "behind"}
    # flat-road gives the plate the road's depth row by row: no relief, never the right sign
    assert entry["relief"]["overall"]["value"] == 0.0 and "not told apart" in entry["verdict_text"]
    page = build_report(read_results(out), gallery=False)
    assert '<section id="cue-shading">' in page.html and 'id="figure-shading"' in page.html
    assert entry["verdict_text"].split(":")[0] in page.html
    html, _ = write_report(page, out / "report.html", out)
    browser = browser_or_skip()
    check = inspect_page(browser, html)
    assert_page_is_clean(check, html, n_images=html.read_text(encoding="utf-8").count("<img "))
    assert any("shading" in image["alt"].lower() for image in check.images), [i["alt"] for i in check.images]
