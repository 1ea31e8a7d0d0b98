"""The texture experiment rendered for real (tiny: 160x48 px, 2 samples, 7 frames): the mappings
change the road's pixels and nothing of its geometry, ``verify`` passes, and an evaluation's
report page has the texture section and its figure (checked in a headless browser too)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from evaluator.pipeline.evaluate import evaluate_set
from generator.generate import generate
from scenes import open_stimulus_set
from scenes.raycast.verify import format_run, verify_set
from scenes.spec.schema import load_spec
from scenes.geometry import SEMANTIC_CLASSES
from tests.evaluator.results.browser import assert_page_is_clean, browser_or_skip, inspect_page

pytestmark = pytest.mark.bpy

TINY = {"include": "_base.yaml", "name": "texture_tiny", "version": 1, "seed": 5,
        "camera": {"width": 160, "height": 48}, "render": {"samples": 2},
        "experiment": {"kind": "texture", "asset": "car_sedan", "lateral_m": -3.5,
                       "road": {"relative_distance": [1.5]},
                       "detail": {"detail_scale": [1.0, 4.0]}}}


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("texture")
    spec_path = folder / "texture_tiny.yaml"
    spec_path.write_text(yaml.safe_dump(TINY))
    root = folder / "set"
    generate(load_spec(str(spec_path)), root)
    return root


def test_mappings_change_the_road_pixels_not_its_geometry(tiny_set):
    s = open_stimulus_set(tiny_set)
    assert len(s.frames) == 3 + 2 + 2
    ids = [f"road_{m}-d1.50-open" for m in ("world", "screen", "reversed")]
    depth = [s.depth(i) for i in ids]
    rgb = [s.rgb(i).astype(int) for i in ids]
    road = s.semantic(ids[0]) == SEMANTIC_CLASSES["road"]
    assert np.array_equal(depth[0], depth[1]) and np.array_equal(depth[0], depth[2])
    assert all(np.array_equal(s.semantic(ids[0]), s.semantic(i)) for i in ids[1:])
    for other in rgb[1:]:  # a different pattern on the road: many road pixels change clearly
        assert (np.abs(other - rgb[0]).max(axis=-1)[road] > 20).mean() > 0.2
    coarse, fine = s.rgb("conflict_coarse_near-open").astype(int), s.rgb("conflict_fine_near-open").astype(int)
    assert np.abs(coarse - fine).max() > 50  # the paint's checker differs between the assignments


def test_tiny_set_verifies(tiny_set):
    run = verify_set(tiny_set)
    assert run.checks and run.failed == [], format_run(run)
    assert len(run.checks) == 7


@pytest.fixture(scope="module")
def reported(tiny_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("texture_results") / "results"
    summary = evaluate_set(tiny_set, "flat-road", out)
    result = CliRunner().invoke(app, ["report", str(out), "--figures"])
    assert result.exit_code == 0, result.output
    return summary, out, result.output


def test_evaluated_report_has_the_texture_section(reported):
    summary, out, output = reported
    section = summary["texture"]
    assert section["verdict_text"] and set(section["road"]["slopes"]) == {"world", "screen", "reversed"}
    # flat-road reads the road geometry only: the same slope under every mapping
    slopes = [e["value"] for e in section["road"]["slopes"].values()]
    assert max(slopes) - min(slopes) < 1e-6
    assert "texture gradient and detail:" in output
    html = (out / "report.html").read_text(encoding="utf-8")
    start = html.index('<section id="cue-texture">')
    block = html[start:html.index("</section>", start)]
    assert "<img " in block and "road slope (log-log)" in block and "per doubling" in block
    assert (out / "figures" / "texture.png").stat().st_size > 10_000


def test_report_page_in_a_headless_browser(reported, tmp_path):
    browser = browser_or_skip()
    copy = tmp_path / "page"
    shutil.copytree(reported[1], copy)
    page = copy / "report.html"
    check = inspect_page(browser, page)
    assert_page_is_clean(check, page, n_images=page.read_text(encoding="utf-8").count("<img "))
    assert len(check.images) >= 2  # the texture figure among them
