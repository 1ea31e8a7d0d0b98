"""``depthprobe compare``: models evaluated on one stimulus set side by side, the best per column
marked (and values not significantly different from it), one page with a cue figure; results of
different sets refused unless allowed; a damaged or foreign folder gives one line, exit 2, and
no page.  A headless browser opens the page."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluator.results.compare import BEST, SAME, Cell, compare_results, mark_column
from evaluator.results.format import SUMMARY_FILE
from tests.evaluator.results.browser import assert_page_is_clean, browser_or_skip, inspect_page, save_screenshot
from tests.evaluator.results.conftest import COMPARED_MODELS, tiny_specs
from tests.synthetic_set import write_frames

ROOT = Path(__file__).resolve().parents[3]
UPDATE_SCREENSHOTS = os.environ.get("DEPTHPROBE_UPDATE_SCREENSHOTS") == "1"
#: Marked columns: key -> (summary path, rule).
MARKED = {f"{metric}_{region}": (("metrics", "regions", region, metric), rule)
          for region in ("all", "road", "object") for metric, rule in (("abs_rel", min), ("a1", max))}


def run(*args):
    """Invoke the command line (arguments as strings)."""
    from depthprobe.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def entry(summary: dict, path: tuple[str, ...]) -> dict:
    """``summary[path[0]][path[1]]...``."""
    for key in path:
        summary = summary[key]
    return summary


def expected_marks(summaries: list[dict], path: tuple[str, ...], rule) -> list[str]:
    """The marks the documented rule gives (computed here from the summaries, independently)."""
    entries = [entry(s, path) for s in summaries]
    best = rule(e["value"] for e in entries)
    best_entry = next(e for e in entries if e["value"] == best)
    marks = []
    for e in entries:
        overlap = e["ci_low"] <= best_entry["ci_high"] and best_entry["ci_low"] <= e["ci_high"]
        marks.append("best" if e["value"] == best else "not_significantly_different" if overlap else "")
    return marks


def test_three_models_side_by_side_with_the_best_per_column(model_runs, tmp_path):
    dirs = [model_runs[m] for m in COMPARED_MODELS]
    summaries = [json.loads((d / SUMMARY_FILE).read_text(encoding="utf-8")) for d in dirs]
    result = run("compare", *dirs, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["model"] for r in rows] == list(COMPARED_MODELS)
    assert [r["verdict"] for r in rows] == [s["verdict"] for s in summaries]
    for key, (path, rule) in MARKED.items():
        assert [r[f"{key}_mark"] for r in rows] == expected_marks(summaries, path, rule), key
        assert [float(r[key]) for r in rows] == pytest.approx([entry(s, path)["value"] for s in summaries])
    for cue in ("vertical", "size"):  # no truth-free criterion: never marked
        assert all(r[f"{cue}_mark"] == "" for r in rows)
        assert [float(r[cue]) for r in rows] == pytest.approx([s["cues"][cue]["value"] for s in summaries])
    assert "seen_rate" in rows[0] and "pitch_following" not in rows[0]  # only what the set supports
    markdown = run("compare", *dirs, "--format", "markdown")
    assert markdown.exit_code == 0 and all(f"| {m} |" in markdown.output for m in COMPARED_MODELS)
    assert BEST in markdown.output and "conservative" in markdown.output
    out = tmp_path / "compare.html"
    assert run("compare", *dirs, "--out", out).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert all(m in html for m in COMPARED_MODELS) and "<script" not in html
    assert html.count('class="num best"') == sum(r[f"{k}_mark"] == "best" for r in rows for k in MARKED) + sum(
        r["seen_rate_mark"] == "best" for r in rows)


def test_compare_page_in_a_headless_browser(model_runs, tmp_path):
    browser = browser_or_skip()
    out = tmp_path / "compare.html"
    result = run("compare", *(model_runs[m] for m in COMPARED_MODELS), "--out", out)
    assert result.exit_code == 0 and f"comparison: {out}" in result.output, result.output
    check = inspect_page(browser, out)
    assert_page_is_clean(check, out, n_images=1)  # the cue figure
    readme = ROOT / "docs" / "screenshots" / "compare.png" if UPDATE_SCREENSHOTS else None
    assert save_screenshot(check, tmp_path / "compare.png", readme).stat().st_size > 10_000


def test_results_of_different_sets_are_refused_unless_allowed(flat_road_run, tmp_path):
    from evaluator.pipeline.evaluate import evaluate_set

    other_hash = write_frames(tmp_path / "other", tiny_specs(("open",)), spec_hash="another-spec")
    evaluate_set(other_hash, "flat-road", tmp_path / "other-run", device="cpu")
    moved = tmp_path / "moved"
    shutil.copytree(Path(read_set_path(flat_road_run)), moved)
    evaluate_set(moved, "flat-road", tmp_path / "moved-run", device="cpu")
    for second, fragment in ((tmp_path / "other-run", "another-spec"), (tmp_path / "moved-run", str(moved))):
        out = tmp_path / "refused.html"
        result = run("compare", flat_road_run, second, "--out", out)
        assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
        assert result.output.startswith("error: ") and fragment in result.output and "--allow-different-sets" in result.output
        assert not out.exists()
    result = run("compare", flat_road_run, tmp_path / "other-run", "--allow-different-sets", "--format", "markdown")
    assert result.exit_code == 0 and "warning:" in result.output and "stimulus set |" in result.output


def read_set_path(results_dir: Path) -> str:
    """The stimulus-set path a results folder names."""
    return json.loads((results_dir / SUMMARY_FILE).read_text(encoding="utf-8"))["stimulus_set"]["path"]


@pytest.mark.parametrize("damage, message", [
    ("summary", "not a readable summary"), ("foreign", "not a depthprobe-results summary"),
    ("missing", "no such file"), ("version", "format_version 9"),
])
def test_damaged_or_foreign_folder_gives_one_line_and_no_page(flat_road_run, tmp_path, damage, message):
    bad = tmp_path / "bad"
    shutil.copytree(flat_road_run, bad)
    path = bad / SUMMARY_FILE
    body = json.loads(path.read_text(encoding="utf-8"))
    if damage == "summary":
        path.write_text("{\"format\": ", encoding="utf-8")
    elif damage == "missing":
        path.unlink()
    else:
        body.update({"format": "other-tool"} if damage == "foreign" else {"format_version": 9})
        path.write_text(json.dumps(body), encoding="utf-8")
    for fmt in ("html", "csv"):
        out = tmp_path / f"compare.{fmt}"
        result = run("compare", flat_road_run, bad, "--format", fmt, "--out", out)
        assert result.exit_code == 2 and result.output.count("\n") == 1 and message in result.output, result.output
        assert not out.exists()


def test_bad_format_or_target_is_one_line(flat_road_run, tmp_path):
    for args in (["--format", "pdf"], ["--out", tmp_path / "page.txt"], ["--out", tmp_path]):
        result = run("compare", flat_road_run, *args)
        assert result.exit_code == 2 and result.output.startswith("error: ") and result.output.count("\n") == 1


def test_csv_to_stdout_and_a_single_model_is_not_marked(flat_road_run):
    result = run("compare", flat_road_run, "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 1 and all(rows[0][k] == "" for k in rows[0] if k.endswith("_mark"))


def cell(value, low=None, high=None):
    """A Cell of a value with an optional interval (no entry for None)."""
    return Cell(None if value is None else {"value": value, "ci_low": low, "ci_high": high})


@pytest.mark.parametrize("rule, cells, marks", [
    ("min", [cell(0.1, 0.09, 0.11), cell(0.2, 0.19, 0.21), cell(0.105, 0.1, 0.12)], [BEST, "", SAME]),
    ("max", [cell(0.1, 0.09, 0.11), cell(0.2, 0.19, 0.21), cell(0.15)], ["", BEST, SAME]),
    ("nearest_1", [cell(0.9, 0.8, 1.0), cell(1.3, 1.2, 1.4), cell(-0.2, -0.3, 0.1)], [BEST, "", ""]),
    ("min", [cell(0.3, 0.2, 0.4), cell(None)], ["", ""]),
    (None, [cell(0.3, 0.2, 0.4), cell(0.1, 0.0, 0.2)], ["", ""]),
    ("max", [cell(0.5, 0.4, 0.6), cell(0.5, 0.45, 0.55)], [BEST, BEST]),
])
def test_marking_rules(rule, cells, marks):
    mark_column(cells, rule)
    assert [c.mark for c in cells] == marks


def test_comparison_rows_name_duplicate_models_by_folder(flat_road_run, tmp_path):
    twin = tmp_path / "twin"
    shutil.copytree(flat_road_run, twin)
    comparison = compare_results([flat_road_run, twin])
    assert [r.label for r in comparison.runs] == [f"flat-road ({flat_road_run.name})", "flat-road (twin)"]
