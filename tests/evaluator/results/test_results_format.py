"""The results format: summary.json carries format and version; the reader refuses other
versions, foreign and damaged folders with one line naming the file, and reads tables lazily."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluator.results.format import (FORMAT_NAME, FORMAT_VERSION, SUMMARY_FILE, TABLE_FILES, ResultsError,
                                      read_results, write_results)

SUMMARY = {"model": "m", "output_kind": "metric_depth", "alignment": {"policy": "none"}, "n_frames": 1,
           "n_objects": 1, "n_objects_with_estimate": 1, "statistic": "median", "verdict": "none",
           "verdict_text": "No verdict.", "stimulus_set": {"path": "x"}, "config": {}}


@pytest.fixture
def results_dir(tmp_path):
    out = tmp_path / "results"
    write_results(out, {"objects": pd.DataFrame({"frame_id": ["f"], "object_id": [1]}), "curves": None}, SUMMARY)
    return out


def test_writer_records_format_and_reader_reads_tables_lazily(results_dir):
    on_disk = json.loads((results_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert on_disk["format"] == FORMAT_NAME and on_disk["format_version"] == FORMAT_VERSION
    results = read_results(results_dir)
    assert results.summary["model"] == "m" and not results._tables
    assert list(results.table("objects")["object_id"]) == [1]
    assert results.table("curves") is None and not (results_dir / TABLE_FILES["curves"]).exists()
    with pytest.raises(ResultsError, match="no table 'nonsense'"):
        results.table("nonsense")


@pytest.mark.parametrize("change, message", [
    ({"format_version": FORMAT_VERSION + 1}, "format_version 2; this depthprobe reads version 1"),
    ({"format": "something-else"}, "not a depthprobe-results summary"),
    ({"format": None}, "before results had a format"),
    ({"verdict": None, "n_frames": None}, "damaged summary, missing n_frames, verdict"),
])
def test_reader_refuses_other_versions_and_damaged_summaries(results_dir, change, message):
    path = results_dir / SUMMARY_FILE
    body = json.loads(path.read_text(encoding="utf-8"))
    body.update({k: v for k, v in change.items() if v is not None})
    for key in [k for k, v in change.items() if v is None]:
        body.pop(key)
    path.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(ResultsError, match=message) as info:
        read_results(results_dir)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_reader_refuses_broken_json_and_a_damaged_table(results_dir):
    (results_dir / TABLE_FILES["objects"]).write_bytes(b"not parquet")
    with pytest.raises(ResultsError, match="objects.parquet: cannot be read as Parquet"):
        read_results(results_dir).table("objects")
    (results_dir / SUMMARY_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ResultsError, match="summary.json: not a readable summary"):
        read_results(results_dir)


def test_report_command_refuses_another_version_in_one_line(results_dir):
    from depthprobe.cli import app

    path = results_dir / SUMMARY_FILE
    body = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**body, "format_version": 99}), encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(results_dir)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "format_version 99" in lines[0], result.output
