"""The perspective kind rendered for real (Blender/Cycles), tiny: 5 frames at 160x48, 2 samples.

The painted lines move between the false-vanishing-point levels while road, verges and car stay;
the dolly zoom keeps the car's image; the set passes ``verify`` (its tapered markings are part of
the geometry export); ``flat-road`` evaluates it and the report page has the perspective section
with its figure, clean in a headless browser.
"""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from evaluator.pipeline.evaluate import evaluate_set
from generator.generate import generate
from scenes import open_stimulus_set
from scenes.geometry import SEMANTIC_CLASSES
from scenes.raycast.verify import format_run, verify_set
from scenes.spec import PerspectiveSpec, VariantSpec
from scenes.spec.schema import load_spec, scaled_spec
from tests.evaluator.results.browser import assert_page_is_clean, browser_or_skip, inspect_page

pytestmark = pytest.mark.bpy


def tiny_spec():
    spec = scaled_spec(load_spec("perspective"), 160, 2)
    experiment = PerspectiveSpec(kind="perspective", asset="car_sedan", vp_shift_deg=[-3.0, 0.0, 3.0],
                                 distances_m=[8.0], dolly_ratio=[1.0, 3.0], dolly_distances_m=[8.0])
    world = spec.world.model_copy(update={"variants": [VariantSpec(name="open")]})
    return spec.model_copy(update={"experiment": experiment, "world": world})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("perspective") / "set"
    generate(tiny_spec(), root)
    return root


def test_paint_moves_and_nothing_else(rendered):
    s = open_stimulus_set(rendered)
    assert len(s.frame_ids) == 5 and sorted(s.frames["variant"].unique()) == ["open", "open_vpd3", "open_vpu3"]
    marking = {fid: s.semantic(fid) == SEMANTIC_CLASSES["marking"] for fid in ("vp-3.00-z8-open", "vp+0.00-z8-open",
                                                                               "vp+3.00-z8-open")}
    assert all(m.sum() > 20 for m in marking.values())
    assert (marking["vp-3.00-z8-open"] != marking["vp+0.00-z8-open"]).sum() > 10
    assert (marking["vp+3.00-z8-open"] != marking["vp+0.00-z8-open"]).sum() > 10
    car = {fid: s.instances(fid) == 1 for fid in s.frame_ids}
    assert (car["vp-3.00-z8-open"] == car["vp+0.00-z8-open"]).all()  # same car, same camera
    rows = {fid: np.nonzero(car[fid].any(axis=1))[0] for fid in ("dolly1.00-z8-open", "dolly3.00-z8-open")}
    assert abs(rows["dolly1.00-z8-open"].max() - rows["dolly3.00-z8-open"].max()) <= 1  # contact row kept
    assert abs(len(rows["dolly1.00-z8-open"]) - len(rows["dolly3.00-z8-open"])) <= 2  # image height kept
    assert s.objects.set_index("frame_id").loc["dolly3.00-z8-open", "z_true"] > 2.8 * 8.0


def test_verify_evaluate_and_report(rendered, tmp_path):
    run = verify_set(rendered)
    assert run.checks and run.failed == [], format_run(run)
    out = tmp_path / "flat"
    summary = evaluate_set(rendered, "flat-road", out)
    entry = summary["perspective"]
    assert entry["horizon_following"]["n_frames"] == 3 and entry["dolly_following"]["n_objects"] == 2
    assert entry["verdict_text"].startswith("the implied horizon stays at the true horizon: 0.00 [")
    from depthprobe.cli import app

    result = CliRunner().invoke(app, ["report", str(out), "--figures"])
    assert result.exit_code == 0, result.output
    assert "linear perspective: the implied horizon stays at the true horizon" in result.output
    page = out / "report.html"
    html = page.read_text(encoding="utf-8")
    start = html.index('<section id="cue-perspective">')
    assert "<img " in html[start:html.index("</section>", start)]
    assert (out / "figures" / "perspective.png").stat().st_size > 5_000
    browser = browser_or_skip()
    check = inspect_page(browser, page)
    assert_page_is_clean(check, page, n_images=html.count("<img "))
