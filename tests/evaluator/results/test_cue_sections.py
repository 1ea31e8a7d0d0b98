"""The cue sections of the report (evaluator/results/cue_sections.py): a registered section shows on
the page (heading, verdict, table, figure), in the Markdown summary, as ``figures/<name>.png`` and
as a terminal line; a section whose summary key is absent, or whose builder returns None, does not."""
from __future__ import annotations

import json
import shutil

import pytest

from evaluator.results import cue_sections
from evaluator.results.cue_sections import CueSection, build_cue_sections, cue_lines
from evaluator.results.figures import new_figure, write_figures
from evaluator.results.format import SUMMARY_FILE, read_results
from evaluator.results.page import build_report
from evaluator.results.report import analysis_lines


def planted_section(results):
    entry = results.summary["planted_cue"]
    figure, (axes,) = new_figure(1)
    axes.plot([0, 1], [0, entry["value"]], color="tab:blue")
    return CueSection("planted_cue", "Planted cue", f"follows the planted cue: {entry['value']:.2f}",
                      "A test section.", ("condition", "estimate", "n"), (("a", "0.50 [0.40, 0.60]", "12"),),
                      figure, "a line")


@pytest.fixture
def with_section(flat_road_run, tmp_path, monkeypatch):
    copy = tmp_path / "results"
    shutil.copytree(flat_road_run, copy)
    summary = json.loads((copy / SUMMARY_FILE).read_text(encoding="utf-8"))
    summary["planted_cue"] = {"value": 0.5, "verdict_text": "follows the planted cue: 0.50 [0.40, 0.60], n = 12"}
    (copy / SUMMARY_FILE).write_text(json.dumps(summary), encoding="utf-8")
    registry = cue_sections.CUE_SECTIONS.copy()
    registry.register("planted_cue", planted_section)
    registry.register("absent_cue", lambda results: pytest.fail("built without its summary key"))
    monkeypatch.setattr(cue_sections, "CUE_SECTIONS", registry)
    monkeypatch.setitem(cue_sections.CUE_TITLES, "planted_cue", "Planted cue")
    return copy


def test_a_registered_section_shows_everywhere(with_section):
    results = read_results(with_section)
    assert [s.name for s in build_cue_sections(results)] == ["planted_cue"]
    page = build_report(results, gallery=False)
    assert '<section id="cue-planted_cue">' in page.html and 'href="#cue-planted_cue"' in page.html
    assert 'id="figure-planted_cue"' in page.html and "follows the planted cue: 0.50" in page.html
    assert "<td class=\"num\">0.50 [0.40, 0.60]</td>" in page.html
    verdict = page.html.split('<section id="verdict">')[1].split("</section>")[0]
    assert '<a href="#cue-planted_cue">Planted cue</a></strong>: follows the planted cue: 0.50' in verdict
    assert "**Planted cue:** follows the planted cue: 0.50" in page.markdown.split("## ")[0]
    assert "## Planted cue" in page.markdown and "| a | 0.50 [0.40, 0.60] | 12 |" in page.markdown
    assert "planted cue: follows the planted cue: 0.50 [0.40, 0.60], n = 12" in analysis_lines(results.summary)
    assert "planted cue: follows" not in page.html.split('<section id="analyses">')[-1].split("</section>")[0]
    written = write_figures(results)
    assert with_section / "figures" / "planted_cue.png" in written


def test_no_section_without_its_summary_key(flat_road_run):
    results = read_results(flat_road_run)
    assert build_cue_sections(results) == []
    assert cue_lines(results.summary) == []
