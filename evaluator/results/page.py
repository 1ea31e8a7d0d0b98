"""The report a person reads: one self-contained HTML page and a Markdown summary of a results folder.

:func:`build_report` assembles everything in memory from a :class:`~evaluator.results.format.Results`
(nothing is written, so a damaged table stops it before any file exists); :func:`write_report`
then writes ``report.html`` and, beside it, ``report.md`` (each atomically).

Sections, each only where the results support it: the verdict sentence with its provenance
(model, output kind, alignment, stimulus set, code version, date); warnings a careful reader
needs (:func:`reader_warnings`); the figures of :mod:`evaluator.results.figures`, drawn in
memory; the cue and factor fits with their intervals and counts; the accuracy metrics per
region (all, road, object pixels); the remaining analyses' lines (curves, pose, obstacles);
the robustness to image corruptions, a table per corruption family
(:mod:`evaluator.results.robustness_section`); and the gallery of :mod:`evaluator.results.gallery`.  Every number with an interval is written
by :func:`evaluator.analyses.intervals.format_estimate`.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluator.analyses.intervals import format_estimate, format_number
from evaluator.results.cue_sections import CUE_TITLES, build_cue_sections
from evaluator.results.figures import png_bytes, render_figures
from evaluator.results.format import REPORT_FILES, Results, ResultsError
from evaluator.results.gallery import build_gallery
from evaluator.results.html import data_uri, render
from evaluator.results.report import _alignment_line, analysis_lines, depth_unknown_line
from evaluator.results.robustness_section import robustness_section
from scenes.storage import atomic_write_bytes
from scenes.outputs import FileSignature, check_file_target

#: The report's default file names inside a results folder (its Markdown summary beside the page).
REPORT_HTML, REPORT_MARKDOWN = REPORT_FILES
#: How an earlier report of ours is recognised (scenes.outputs.FileSignature), so that a rerun may
#: replace it and nothing else: the page by its generator tag (templates/report.html.j2; pages of
#: older versions by their title), the Markdown summary by its first heading (report.md.j2).
REPORT_PAGE = FileSignature.html("a depthprobe report page", "depthprobe report", b"<title>depthprobe report: ")
REPORT_SUMMARY = FileSignature("a depthprobe report summary", b"# depthprobe report: ")
#: An alignment fitted on fewer road pixels than this is flagged for the reader.
MIN_ALIGNMENT_PX = 10_000
#: Most entries named in the "no interval" warning (the rest are counted).
MAX_NAMED = 3
FIGURE_CAPTIONS = {
    "curves": "Normalised estimate (estimate / estimate at d = 1) against relative distance d, per condition, "
              "with 95 % percentile bootstrap bands over variants; y = d: follows the distance, y = 1: no change.",
    "cues": "Object estimate against the distance each cue implies (log-log), with y = x; titles: the joint "
            "fit's exponents with 95 % HC3 intervals.",
    "pose": "Implied against true change of camera pose (from the predicted road depth), with y = x (follows "
            "fully) and y = 0 (not at all).",
    "obstacles": "Fraction of objects the network sees against their counterfactual, per level of each factor, "
                 "with Wilson 95 % intervals and counts.",
}
#: Metric key -> (column heading, digits).
METRIC_COLUMNS = {"abs_rel": ("Abs Rel", 3), "sq_rel": ("Sq Rel", 3), "rmse": ("RMSE, m", 2),
                  "rmse_log": ("RMSE log", 3), "a1": ("\u03b4<1.25", 3), "a2": ("\u03b4<1.25\u00b2", 3),
                  "a3": ("\u03b4<1.25\u00b3", 3)}
FIT_NAMES = {"joint": "joint cue fit", "factor": "factor fit"}


@dataclass
class ReportPage:
    """A rendered report: the HTML page, the Markdown summary, and lines for the terminal."""

    html: str
    markdown: str
    notes: list[str] = field(default_factory=list)


def build_report(results: Results, gallery: bool = True) -> ReportPage:
    """Render the report of ``results`` in memory (see the module docstring).

    :param gallery: draw the gallery (reads the stimulus set and the stored predictions).
    :raises ResultsError: a damaged table.
    """
    context = report_context(results, gallery)
    return ReportPage(render("report.html.j2", context), render("report.md.j2", context),
                      list(context["gallery_warnings"]))


def check_page_target(out: str | Path, signature: FileSignature, option: str = "--out",
                      home: Path | None = None) -> Path:
    """The path to write (a link followed) if an HTML page (a report, a comparison) may be
    written at ``out``: a file name ending in ``.html``, new or an earlier page recognised by
    ``signature``, never inside a stimulus set or a results folder other than ``home`` (the one
    file rule, :func:`scenes.outputs.check_file_target`)."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ResultsError(f"{option} {out}: give a file name ending in .html")
    if out.is_dir():
        raise ResultsError(f"{option} {out}: is a folder; give a file name such as {out / REPORT_HTML}")
    return check_file_target(out, ResultsError, signature, option, home=home)


def check_report_target(out: str | Path, home: Path, option: str = "--out") -> tuple[Path, Path]:
    """The report's page and its Markdown summary (``out`` with suffix ``.md``), both checked by
    the one file rule before anything is written (:func:`check_page_target`): a user's ``X.md``
    beside ``X.html`` is never replaced.

    :param home: the results folder reported on (it may hold its own report).
    :returns: the two paths to write (links followed).
    """
    page = check_page_target(out, REPORT_PAGE, option, home)
    markdown = check_file_target(Path(out).with_suffix(".md"), ResultsError, REPORT_SUMMARY, option, home=home)
    return page, markdown


def write_report(page: ReportPage, out: str | Path, home: Path) -> tuple[Path, Path]:
    """Write ``page`` to ``out`` (HTML) and the Markdown beside it (``out`` with suffix ``.md``),
    both checked first (:func:`check_report_target`; ``home``: the results folder reported on).

    :returns: the two paths.
    """
    html, markdown = check_report_target(out, home)
    atomic_write_bytes(markdown, page.markdown.encode("utf-8"))
    atomic_write_bytes(html, page.html.encode("utf-8"))
    return html, markdown


def report_context(results: Results, gallery: bool = True) -> dict[str, Any]:
    """Everything the report templates show, as plain values (strings, lists, dicts)."""
    summary = results.summary
    figures = [{"name": name, "caption": FIGURE_CAPTIONS.get(name, ""), "src": data_uri(png)}
               for name, png in render_figures(results, cue_sections=False).items()]
    shown = build_gallery(results) if gallery else None
    frames = [{"frame_id": f.frame_id, "reasons": f.reasons, "src": data_uri(f.png)} for f in shown.frames] \
        if shown else []
    skipped = [w for w in (shown.warnings if shown else []) if w.startswith("gallery skipped")]
    cue_prefixes = tuple(f"{title.lower()}:" for title in CUE_TITLES.values())
    lines = [line for line in analysis_lines(summary)
             if not line.startswith(("factors:", "accuracy (", "robustness:", "  cue verdict changes",
                                     "true depth unknown", *cue_prefixes))]
    return {
        "title": f"depthprobe report: {summary.get('model')}",
        "model": summary.get("model"), "verdict": summary.get("verdict"), "verdict_text": summary.get("verdict_text"),
        "factor_text": (summary.get("factor_fit") or {}).get("verdict_text"),
        "provenance": provenance(results), "warnings": reader_warnings(results) + (shown.warnings if shown else []),
        "figures": figures, "cue_rows": cue_rows(results), "fit_quality": fit_quality(summary),
        "metrics": metric_table(summary), "analysis_lines": lines,
        "gallery": frames, "gallery_warnings": skipped,
        "gallery_limits": _limits_text(shown.depth_limits_m if shown else None),
        "robustness": robustness_section(results), "cue_sections": cue_section_context(results),
    }


def cue_section_context(results: Results) -> list[dict[str, Any]]:
    """The cue sections (:mod:`evaluator.results.cue_sections`) as plain values, figures as data URIs."""
    return [{"name": s.name, "title": s.title, "verdict": s.verdict, "definitions": s.definitions,
             "columns": list(s.columns), "rows": [list(row) for row in s.rows], "caption": s.caption,
             "src": data_uri(png_bytes(s.figure)) if s.figure is not None else None}
            for s in build_cue_sections(results)]


def _limits_text(limits: tuple[float, float] | None) -> str:
    return "" if limits is None else f"{limits[0]:.1f} to {limits[1]:.1f} m"


def provenance(results: Results) -> list[tuple[str, str]]:
    """(label, value) rows: where the numbers come from."""
    summary = results.summary
    stimulus_set = summary.get("stimulus_set") or {}
    config = summary.get("config") or {}
    commit = summary.get("git_commit")
    code = f"depthprobe {summary.get('depthprobe_version', '?')}" + (f", commit {str(commit)[:12]}" if commit else "")
    predictions = summary.get("predictions") or {}
    rows = [("model", str(summary.get("model"))), ("output kind", str(summary.get("output_kind"))),
            ("alignment", _safe_alignment(summary.get("alignment"))),
            ("stimulus set", str(stimulus_set.get("path"))), ("spec hash", str(stimulus_set.get("spec_hash"))),
            ("frames, objects", f"{summary.get('n_frames')} frames, {summary.get('n_objects')} objects "
                                f"({summary.get('n_objects_with_estimate')} with an estimate)"),
            ("object estimate", f"{summary.get('statistic')} over the eroded mask"),
            ("seed, device", f"{config.get('seed')}, {config.get('device') or summary.get('device')}"),
            ("predictions", ("reused from " if predictions.get("reused") else "stored in ")
             + str(predictions.get("path", results.root / "predictions"))),
            ("code", code), ("date (UTC)", str(summary.get("created_utc"))), ("results folder", str(results.root))]
    return rows


def _safe_alignment(alignment: Any) -> str:
    try:
        return _alignment_line(alignment).removeprefix("alignment: ")
    except (KeyError, TypeError, ValueError):
        return str(alignment)


def cue_rows(results: Results) -> list[dict[str, str]]:
    """Rows of the cue and factor fits (the ``cue_fit`` table; the summary's cues without it)."""
    table = results.table("cue_fit")
    if table is None or table.empty:
        cues = results.summary.get("cues") or {}
        return [{"fit": FIT_NAMES["joint"], "term": f"log z_{cue}", "status": "fitted",
                 "estimate": format_estimate(entry, 3), "n": str(entry.get("n_objects", "")), "note": ""}
                for cue, entry in cues.items() if isinstance(entry, Mapping)]
    rows = []
    for record in table.to_dict("records"):
        entry = {"value": _num(record.get("coef")), "ci_low": _num(record.get("ci_low")),
                 "ci_high": _num(record.get("ci_high"))}
        fitted = entry["value"] is not None
        rows.append({"fit": FIT_NAMES.get(str(record.get("model")), str(record.get("model"))),
                     "term": str(record.get("term")), "status": str(record.get("status")),
                     "estimate": format_estimate(entry, 3) if fitted else "\u2014",
                     "n": "" if _num(record.get("n_objects")) is None else str(int(record["n_objects"])),
                     "note": "" if pd.isna(record.get("note")) else str(record.get("note"))})
    return rows


def _num(value: Any) -> float | None:
    """A finite float, or None (NaN, None, not a number)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number or number in (float("inf"), float("-inf")) else number


def fit_quality(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows: R² and AIC of each cue alone and of the joint fit; the cues' correlation."""
    rows = []
    for cue, entry in (summary.get("single_cue") or {}).items():
        if isinstance(entry, Mapping) and entry.get("r2") is not None:
            rows.append((f"{cue} alone", f"R\u00b2 {entry['r2']:.3f}, AIC {entry['aic']:.1f}"))
    joint = summary.get("joint") or {}
    if joint.get("r2") is not None:
        rows.append(("joint", f"R\u00b2 {joint['r2']:.3f}, AIC {joint['aic']:.1f}"))
    fit = summary.get("fit") or {}
    if fit.get("cue_correlation") is not None:
        rows.append(("correlation of the log cues", format_number(fit["cue_correlation"], 3)))
    if fit.get("n_excluded"):
        rows.append(("objects left out of the fit", str(fit["n_excluded"])))
    return rows


def metric_table(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The accuracy metrics per region (columns, rows of formatted cells), or empty rows."""
    metrics = summary.get("metrics") or {}
    rows = []
    for region, entry in (metrics.get("regions") or {}).items():
        if not entry:
            continue
        cells = [format_estimate(entry.get(key), digits) for key, (_, digits) in METRIC_COLUMNS.items()]
        parts = [{"value": text.partition(" [")[0], "interval": f"[{text.partition(' [')[2]}" if " [" in text else ""}
                 for text in cells]
        rows.append({"region": region, "cells": cells, "parts": parts, "n_frames": entry.get("n_frames"),
                     "n_pixels": entry.get("n_pixels")})
    unknown = metrics.get("depth_unknown") or {}
    return {"columns": [label for label, _ in METRIC_COLUMNS.values()], "rows": rows,
            "definitions": metrics.get("definitions") or "",
            "unknown": depth_unknown_line(unknown) if unknown.get("n_pixels") else ""}


def reader_warnings(results: Results) -> list[str]:
    """What a careful reader must know: the run's own warnings, objects without an estimate, an
    alignment fitted on few pixels, and values without an interval."""
    summary = results.summary
    warnings = [str(w) for w in summary.get("warnings") or []]
    missing = int(summary.get("n_objects") or 0) - int(summary.get("n_objects_with_estimate") or 0)
    if missing > 0:
        warnings.append(f"{missing} of {summary.get('n_objects')} objects have no estimate (no valid predicted "
                        f"pixel in their eroded mask){_examples(results.table('objects'))}; they are left out of "
                        "every fit")
    alignment = summary.get("alignment") or {}
    if alignment.get("policy") not in (None, "none") and int(alignment.get("n_px") or 0) < MIN_ALIGNMENT_PX:
        warnings.append(f"the {alignment.get('policy')} alignment was fitted on only {alignment.get('n_px')} road "
                        f"pixels (fewer than {MIN_ALIGNMENT_PX}) of {alignment.get('n_frames')} reference frames: "
                        "its scale is uncertain")
    bare = [path for path, _ in entries_without_interval(summary)]
    if bare:
        sections: dict[str, int] = {}
        for path in bare:
            sections[path.split(".")[0]] = sections.get(path.split(".")[0], 0) + 1
        counts = ", ".join(f"{name} {n}" for name, n in sections.items())
        shortest = ", ".join(sorted(bare, key=len)[:MAX_NAMED])
        warnings.append(f"{len(bare)} value(s) have no interval (a bootstrap of fewer than 5 units, or too few "
                        f"objects for a fit): {counts}; e.g. {shortest}")
    return warnings


def _examples(objects: pd.DataFrame | None) -> str:
    if objects is None or "estimate_m" not in objects.columns:
        return ""
    rows = objects[objects["estimate_m"].isna()]
    named = [f"{r.frame_id}/{r.object_id}" for r in rows.head(3).itertuples()]
    return f" (e.g. {', '.join(named)})" if named else ""


def entries_without_interval(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(dotted path, method)`` of every summary entry with a value but no interval (``ci_low`` None)."""
    if isinstance(node, Mapping):
        if "value" in node and "ci_low" in node:
            if node.get("value") is not None and node.get("ci_low") is None:
                yield path, str(node.get("method") or "no method")
            return
        for key, child in node.items():
            yield from entries_without_interval(child, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            label = child.get("level") if isinstance(child, Mapping) and "level" in child else i
            yield from entries_without_interval(child, f"{path}[{label}]")
