"""The report a person reads: ``depthprobe report`` writes one self-contained HTML page (figures
and gallery embedded, no script, nothing fetched) and a Markdown summary; the gallery shows the
chosen frames on one shared colour scale; warnings a careful reader needs are on the page; a
damaged or foreign folder gives one line, exit 2, and no page.  A headless browser opens it."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluator.results.format import SUMMARY_FILE, TABLE_FILES, read_results
from evaluator.results.gallery import N_WORST, build_gallery, choose_frames, frame_strip, object_errors
from evaluator.results.page import build_report, reader_warnings
from tests.evaluator.results.browser import assert_page_is_clean, browser_or_skip, inspect_page, save_screenshot

ROOT = Path(__file__).resolve().parents[3]
#: Set to 1 to refresh docs/screenshots/ from the browser tests.
UPDATE_SCREENSHOTS = os.environ.get("DEPTHPROBE_UPDATE_SCREENSHOTS") == "1"


def run(*args: str):
    """Invoke the command line (arguments as strings)."""
    from depthprobe.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def sources(html: str) -> list[str]:
    """Every src and href value of a page."""
    return re.findall(r'(?:src|href)="([^"]*)"', html)


@pytest.fixture
def report_copy(flat_road_run, tmp_path) -> Path:
    """A private copy of the flat-road results folder."""
    copy = tmp_path / "results"
    shutil.copytree(flat_road_run, copy)
    return copy


def test_report_writes_a_self_contained_page_and_a_markdown_summary(report_copy):
    result = run("report", report_copy)
    assert result.exit_code == 0, result.output
    assert "verdict:" in result.output and f"report: {report_copy / 'report.html'}" in result.output
    html = (report_copy / "report.html").read_text(encoding="utf-8")
    markdown = (report_copy / "report.md").read_text(encoding="utf-8")
    summary = json.loads((report_copy / SUMMARY_FILE).read_text(encoding="utf-8"))
    for section in ("verdict", "figures", "fits", "metrics", "gallery"):
        assert f'<section id="{section}">' in html, section
    assert all(s.startswith(("data:", "#")) for s in sources(html)), sources(html)
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html
    assert html.count('src="data:image/png;base64,') >= 3
    verdict_html = summary["verdict_text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert verdict_html in html and summary["verdict_text"] in markdown
    assert summary["stimulus_set"]["spec_hash"] in html and summary["model"] in markdown
    assert "| all |" in markdown and "| road |" in markdown and "| object |" in markdown
    assert not (report_copy / "figures").exists()  # figure files only with --figures


def test_report_sections_follow_the_summary(report_copy):
    page = build_report(read_results(report_copy))
    summary = read_results(report_copy).summary
    abs_rel = summary["metrics"]["regions"]["road"]["abs_rel"]
    from evaluator.analyses.intervals import format_estimate

    text = format_estimate(abs_rel, 3)  # "value [low, high]": one cell in Markdown, two lines in HTML
    value, interval = text.split(" [")
    assert text in page.markdown and f'<td class="num">{value}<br><span class="ci">[{interval}</span>' in page.html
    assert 'id="figure-curves"' in page.html and 'id="figure-cues"' in page.html
    assert page.html.count('id="frame-') == len(choose_frames(read_results(report_copy).table("objects"))[0])


def test_report_with_figures_and_elsewhere(report_copy, tmp_path):
    out = tmp_path / "pages" / "mine.html"
    result = run("report", report_copy, "--figures", "--out", out)
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_suffix(".md").is_file() and not (report_copy / "report.html").exists()
    assert (report_copy / "figures" / "curves.png").is_file()
    for bad in (tmp_path / "x.txt", tmp_path):
        result = run("report", report_copy, "--out", bad)
        assert result.exit_code == 2 and result.output.startswith("error: ") and result.output.count("\n") == 1


def test_gallery_chooses_the_extremes_of_each_condition_and_the_worst_errors(flat_road_run):
    objects = read_results(flat_road_run).table("objects")
    chosen, notes = choose_frames(objects)
    assert not notes
    for condition, part in objects.groupby("condition"):
        part = part.sort_values(["relative_distance", "frame_id"])
        assert any(r.startswith(f"{condition}: nearest") for r in chosen[part.frame_id.iloc[0]])
        assert any(r.startswith(f"{condition}: farthest") for r in chosen[part.frame_id.iloc[-1]])
    error = (np.log(objects["estimate_m"]) - np.log(objects["z_true"])).abs()
    shown = [fid for fid, reasons in chosen.items() if any(r.startswith("worst") for r in reasons)]
    assert len(shown) == N_WORST  # the largest errors (ties broken by table order)
    assert sorted(error[objects.frame_id.isin(shown)], reverse=True) == pytest.approx(
        sorted(error, reverse=True)[:N_WORST])
    assert object_errors(objects).max() == pytest.approx(error.max())


def test_gallery_shares_one_log_depth_scale_and_shows_the_response_to_the_object(flat_road_run):
    results = read_results(flat_road_run)
    gallery = build_gallery(results)
    assert gallery.frames and not gallery.warnings and all(f.has_counterfactual for f in gallery.frames)
    low, high = gallery.depth_limits_m
    assert 0 < low < 10 < high <= 80.0
    from evaluator.results.gallery import open_sources, frame_layers

    stimulus_set, store = open_sources(results)
    figure = frame_strip(frame_layers(stimulus_set, store, gallery.frames[0].frame_id),
                         {"depth": (low, high), "error": 0.5, "response": 0.5, "max_depth": 80.0})
    images = [ax.images[0] for ax in figure.axes if ax.images]
    assert len(images) == 5  # RGB, true, predicted, error, response
    true, predicted = images[1], images[2]
    assert (true.norm.vmin, true.norm.vmax) == (predicted.norm.vmin, predicted.norm.vmax) == (low, high)
    assert type(true.norm).__name__ == "LogNorm" and true.norm is predicted.norm
    assert len(figure.axes) == 5 + 3  # three colour bars: depth (shared), error, response


def test_gallery_is_skipped_with_a_warning_when_the_set_is_gone(tiny_set, tmp_path):
    from evaluator.pipeline.evaluate import evaluate_set

    moved = tmp_path / "set"
    shutil.copytree(tiny_set, moved)
    evaluate_set(moved, "flat-road", tmp_path / "results", device="cpu")
    shutil.rmtree(moved)
    result = run("report", tmp_path / "results")
    assert result.exit_code == 0, result.output
    assert "warning: gallery skipped:" in result.output and str(moved) in result.output
    html = (tmp_path / "results" / "report.html").read_text(encoding="utf-8")
    assert '<section id="gallery">' not in html and "gallery skipped" in html and 'id="figure-cues"' in html


def test_warnings_a_careful_reader_needs(report_copy):
    path = report_copy / SUMMARY_FILE
    summary = json.loads(path.read_text(encoding="utf-8"))
    summary["alignment"].update(policy="median", scale=1.1, n_px=1234, n_frames=2)
    summary["n_objects_with_estimate"] = summary["n_objects"] - 1
    summary["warnings"] = ["a run warning"]
    summary["cues"]["size"]["ci_low"] = None
    path.write_text(json.dumps(summary), encoding="utf-8")
    objects = pd.read_parquet(report_copy / TABLE_FILES["objects"])
    objects.loc[0, "estimate_m"] = np.nan
    objects.to_parquet(report_copy / TABLE_FILES["objects"])
    warnings = reader_warnings(read_results(report_copy))
    assert warnings[0] == "a run warning"
    assert any(w.startswith(f"1 of {summary['n_objects']} objects have no estimate") and objects.frame_id[0] in w
               for w in warnings)
    assert any("1234 road pixels" in w and "fewer than 10000" in w for w in warnings)
    assert any("have no interval" in w and "cues.size" in w for w in warnings)
    page = build_report(read_results(report_copy), gallery=False)
    assert '<section id="warnings">' in page.html and "1234 road pixels" in page.markdown


@pytest.mark.parametrize("damage, message", [
    ("summary", "not a readable summary"), ("foreign", "not a depthprobe-results summary"),
    ("version", "format_version 7"), ("table", "cannot be read as Parquet"), ("missing", "no such file"),
])
def test_damaged_or_foreign_folder_gives_one_line_and_no_page(report_copy, tmp_path, damage, message):
    summary_path = report_copy / SUMMARY_FILE
    body = json.loads(summary_path.read_text(encoding="utf-8"))
    if damage == "summary":
        summary_path.write_text(summary_path.read_text(encoding="utf-8")[:200], encoding="utf-8")
    elif damage in ("foreign", "version"):
        body.update({"format": "someone-else"} if damage == "foreign" else {"format_version": 7})
        summary_path.write_text(json.dumps(body), encoding="utf-8")
    elif damage == "table":
        (report_copy / TABLE_FILES["objects"]).write_bytes(b"PAR1 but not really")
    else:
        summary_path.unlink()
    result = run("report", report_copy)
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 2 and len(lines) == 1 and message in lines[0], result.output
    assert not (report_copy / "report.html").exists() and not (report_copy / "report.md").exists()


def test_report_page_in_a_headless_browser(model_runs, tmp_path):
    browser = browser_or_skip()
    results = tmp_path / "results"
    shutil.copytree(model_runs["ref-fixed-camera"], results)
    assert run("report", results).exit_code == 0
    page = results / "report.html"
    check = inspect_page(browser, page)
    html = page.read_text(encoding="utf-8")
    assert_page_is_clean(check, page, n_images=html.count("<img "))
    assert len(check.images) >= 3 + 5  # figures and gallery strips
    readme = ROOT / "docs" / "screenshots" / "report.png" if UPDATE_SCREENSHOTS else None
    shot = save_screenshot(check, tmp_path / "report.png", readme)
    assert shot.stat().st_size > 10_000
