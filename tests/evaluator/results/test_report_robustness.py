"""The report's robustness section: a table per corruption family, with RR, DEE, the cue fit per
cell and the cue switches marked; absent for a set without corruptions."""
from __future__ import annotations

import pytest

from evaluator.pipeline.evaluate import evaluate_set
from evaluator.results.format import read_results
from evaluator.results.page import build_report
from tests.evaluator.analyses.test_analysis_robustness import PlantedCorruptionModel, robustness_specs
from tests.synthetic_set import CAMERA, write_frames


@pytest.fixture(scope="module")
def robustness_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("robust-report")
    root = write_frames(folder / "set", robustness_specs(), CAMERA)
    evaluate_set(root, PlantedCorruptionModel(root), folder / "out", batch_size=12)
    return build_report(read_results(folder / "out"), gallery=False)


def test_one_table_per_corruption_family(robustness_page):
    html, markdown = robustness_page.html, robustness_page.markdown
    assert '<section id="robustness">' in html and '<a href="#robustness">robustness</a>' in html
    assert '<h3 id="robustness-noise">Noise' in html and '<h3 id="robustness-blur">Blur' in html
    assert "robustness-weather" not in html  # no weather corruption in this set
    assert "gaussian_noise" in html and "defocus_blur" in html and "mRR" in html
    assert "size (changed)" in html and "gaussian_noise 2: size" in html
    assert "<script" not in html.lower()
    assert "## Robustness to image corruptions" in markdown and "### Noise" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| gaussian_noise |")]
    assert len(rows) == 3 and all(line.count("|") == rows[0].count("|") for line in rows)


def test_no_robustness_section_without_corruptions(flat_road_run):
    page = build_report(read_results(flat_road_run), gallery=False)
    assert 'id="robustness"' not in page.html and "Robustness" not in page.markdown
