"""One table (and one page) across models evaluated on the same stimulus set.

:func:`compare_results` opens each results folder (through
:func:`~evaluator.results.format.read_results`), refuses folders made on different stimulus
sets (another ``spec_hash`` or path) unless asked not to, and builds one row per model: the
verdict, the cue coefficients (vertical position, apparent size) with their intervals, pose
following (pitch, roll, camera height) and the fraction of objects seen where the set has
them, and Abs Rel and δ<1.25 (``a1``) per region (all, road, object pixels).

Marks per column (:func:`mark_column`; the rule of each column is its :attr:`Column.rule`):

* ``min`` (Abs Rel) / ``max`` (δ<1.25, objects seen): the best value gets :data:`BEST`;
* ``nearest_1`` (pose following; 1 = the implied pose follows the true change fully): the
  value nearest 1 gets :data:`BEST`;
* cue coefficients get no mark: there is no truth-free criterion for which cue a network
  should use -- that is what is being measured, not a score.

Every other value of a marked column whose 95 % interval overlaps the best's (or where either
has no interval, so no difference can be shown) gets :data:`SAME`, "not significantly
different from the best".  Overlap of two 95 % intervals is a conservative criterion: two
estimates whose intervals overlap a little can still differ significantly at the 5 % level,
so :data:`SAME` may be shown where a (paired) test would find a difference, never the other
way round.  A column with fewer than two values is not marked.

Outputs: :func:`to_csv` (one row per model; value, interval and mark per column),
:func:`to_markdown`, and :func:`to_html` (the table, a legend and :func:`cue_figure`, the cue
coefficients of every model with their intervals, embedded as a data URI).  Where a file is
written, :func:`check_compare_target` checks it first by the one file rule of every command
(scenes/outputs.py): new, or an earlier comparison of the same format (:data:`COMPARE_SIGNATURES`).
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.analyses.intervals import format_estimate
from evaluator.results.figures import png_bytes
from evaluator.results.format import Results, ResultsError, read_results
from evaluator.results.html import data_uri, render
from evaluator.results.page import check_page_target
from scenes.outputs import FileSignature, check_file_target

BEST = "\u2605"
SAME = "\u2248"
LEGEND = (f"{BEST} best in its column (lowest Abs Rel; highest \u03b4<1.25 and fraction of objects seen; pose "
          f"following nearest 1). {SAME} not significantly different from the best: the 95 % intervals overlap "
          "(or one has no interval). Overlap of 95 % intervals is a conservative criterion: it may call two values "
          "alike that a paired test would tell apart. Cue coefficients are not marked: which cue a network should "
          "follow has no truth-free answer.")
REGIONS = ("all", "road", "object")
FORMATS = ("html", "csv", "markdown")
#: compare's page when no ``--out`` is given (in the working folder).
COMPARE_HTML = "compare.html"
#: How an earlier comparison of ours is recognised per format (scenes.outputs.FileSignature), so
#: that a rerun may replace it and nothing else: the page by its generator tag
#: (templates/compare.html.j2; older pages by their title), the Markdown by its first heading
#: (compare.md.j2), the CSV by its header row (:func:`to_csv`; a comment line would break CSV readers).
COMPARE_SIGNATURES = {
    "html": FileSignature.html("a depthprobe comparison page", "depthprobe compare", b"<title>depthprobe comparison: "),
    "markdown": FileSignature("a depthprobe comparison (Markdown)", b"# depthprobe comparison: "),
    "csv": FileSignature("a depthprobe comparison (CSV)", b"model,results,verdict,"),
}


def _path(*keys: str) -> Callable[[Mapping[str, Any]], Any]:
    """A getter of ``summary[k1][k2]...`` (None where any level is missing)."""
    def get(summary: Mapping[str, Any]) -> Any:
        """The entry at the path (a mapping), or None."""
        node: Any = summary
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node if isinstance(node, Mapping) else None
    return get


@dataclass(frozen=True)
class Column:
    """A compared quantity: its key (CSV), heading, marking rule (``min``, ``max``,
    ``nearest_1`` or None), digits, and where a summary holds it."""

    key: str
    label: str
    rule: str | None
    digits: int
    get: Callable[[Mapping[str, Any]], Any]


COLUMNS = (
    Column("vertical", "vertical position (exponent)", None, 3, _path("cues", "vertical")),
    Column("size", "apparent size (exponent)", None, 3, _path("cues", "size")),
    Column("pitch_following", "follows pitch", "nearest_1", 3, _path("pose", "pitch_following")),
    Column("roll_following", "follows roll", "nearest_1", 3, _path("pose", "roll_following")),
    Column("height_following", "follows camera height", "nearest_1", 3, _path("pose", "height_following")),
    Column("seen_rate", "objects seen", "max", 2, _path("obstacles", "seen_rate")),
    *(Column(f"abs_rel_{r}", f"Abs Rel ({r})", "min", 3, _path("metrics", "regions", r, "abs_rel")) for r in REGIONS),
    *(Column(f"a1_{r}", f"\u03b4<1.25 ({r})", "max", 3, _path("metrics", "regions", r, "a1")) for r in REGIONS),
)


@dataclass
class Cell:
    """One value of the table: its summary entry (value, ci_low, ci_high, ...) and its mark."""

    entry: Mapping[str, Any] | None
    mark: str = ""

    def number(self, key: str) -> float | None:
        """``entry[key]`` as a finite float, or None."""
        value = (self.entry or {}).get(key)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return None
        return value if math.isfinite(value) else None

    @property
    def value(self) -> float | None:
        """The value (None when missing or not finite)."""
        return self.number("value")

    @property
    def interval(self) -> tuple[float, float] | None:
        """``(ci_low, ci_high)``, or None without a finite interval."""
        low, high = self.number("ci_low"), self.number("ci_high")
        return None if low is None or high is None else (low, high)


@dataclass
class Run:
    """One compared results folder: its row label, folder and summary."""

    label: str
    root: Path
    summary: dict[str, Any]


@dataclass
class Comparison:
    """The compared runs, the columns any of them has, the cells per column, and warnings."""

    runs: list[Run]
    columns: list[Column]
    cells: dict[str, list[Cell]]
    warnings: list[str] = field(default_factory=list)

    @property
    def stimulus_set(self) -> Mapping[str, Any]:
        """The first run's stimulus-set provenance (all runs share it unless different sets were allowed)."""
        return self.runs[0].summary.get("stimulus_set") or {}


def compare_results(results_dirs: Sequence[str | Path], allow_different_sets: bool = False) -> Comparison:
    """Open every folder, check they share one stimulus set, and build the marked table.

    :raises ResultsError: a missing, foreign or damaged folder; results of different stimulus
        sets (unless ``allow_different_sets``); no folder at all.
    """
    if not results_dirs:
        raise ResultsError("compare: give at least one results folder")
    opened = [read_results(d) for d in results_dirs]
    warnings = check_same_set(opened, allow_different_sets)
    runs = [Run(label, r.root, r.summary) for label, r in zip(run_labels(opened), opened)]
    columns = [c for c in COLUMNS if any(c.get(run.summary) is not None for run in runs)]
    cells = {}
    for column in columns:
        cells[column.key] = [Cell(column.get(run.summary)) for run in runs]
        mark_column(cells[column.key], column.rule)
    return Comparison(runs, columns, cells, warnings)


def _set_identity(results: Results) -> tuple[str, str]:
    stimulus_set = results.summary.get("stimulus_set") or {}
    path = stimulus_set.get("path")
    return str(stimulus_set.get("spec_hash")), str(Path(path).resolve()) if path else "None"


def check_same_set(opened: Sequence[Results], allow_different_sets: bool) -> list[str]:
    """Nothing when every folder was made on the first one's stimulus set (same spec hash and
    path); else a :class:`ResultsError` naming the first that differs, or (allowed) warnings."""
    first = _set_identity(opened[0])
    warnings = []
    for results in opened[1:]:
        other = _set_identity(results)
        if other == first:
            continue
        line = (f"{results.summary_path}: made on the stimulus set {other[1]} (spec hash {other[0]}), not on "
                f"{first[1]} (spec hash {first[0]}) of {opened[0].root}")
        if not allow_different_sets:
            raise ResultsError(f"{line}; compare results of one set, or pass --allow-different-sets")
        warnings.append(f"{line}: the rows are not measured on the same frames")
    return warnings


def run_labels(opened: Sequence[Results]) -> list[str]:
    """Row labels: the model name, with the folder name where two rows have the same model."""
    names = [str(r.summary.get("model")) for r in opened]
    return [f"{name} ({r.root.name})" if names.count(name) > 1 else name for name, r in zip(names, opened)]


def _score(value: float, rule: str) -> float:
    return {"min": value, "max": -value, "nearest_1": abs(value - 1.0)}[rule]


def _overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    return a is None or b is None or (a[0] <= b[1] and b[0] <= a[1])


def mark_column(cells: Sequence[Cell], rule: str | None) -> None:
    """Set each cell's mark by ``rule`` (see the module docstring); nothing for ``None`` or < 2 values."""
    valued = [c for c in cells if c.value is not None]
    if rule is None or len(valued) < 2:
        return
    best_score = min(_score(c.value, rule) for c in valued)
    best = [c for c in valued if math.isclose(_score(c.value, rule), best_score, rel_tol=1e-12, abs_tol=1e-15)]
    for cell in valued:
        if any(cell is b for b in best):
            cell.mark = BEST
        elif any(_overlap(cell.interval, b.interval) for b in best):
            cell.mark = SAME


def cell_text(cell: Cell, column: Column) -> str:
    """The value with its interval (format_estimate), followed by its mark."""
    if cell.entry is None:
        return "\u2014"
    text = format_estimate(cell.entry, column.digits)
    return f"{text} {cell.mark}" if cell.mark else text


def table_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """Rows for the page templates: label, folder, verdict, and (text, mark class) per column."""
    rows = []
    for i, run in enumerate(comparison.runs):
        cells = []
        for column in comparison.columns:
            cell = comparison.cells[column.key][i]
            css = {BEST: "best", SAME: "same"}.get(cell.mark, "")
            value, _, interval = cell_text(cell, column).partition(" [")
            cells.append({"text": cell_text(cell, column), "css": css, "value": value,
                          "interval": f"[{interval.removesuffix(' ' + cell.mark)}" if interval else "",
                          "mark": cell.mark})
        rows.append({"label": run.label, "folder": str(run.root), "verdict": str(run.summary.get("verdict")),
                     "set": str((run.summary.get("stimulus_set") or {}).get("path")), "cells": cells})
    return rows


def to_csv(comparison: Comparison) -> str:
    """The table as CSV: model, results, verdict, then per column value, ci_low, ci_high, mark
    (``best``, ``not_significantly_different`` or empty)."""
    words = {BEST: "best", SAME: "not_significantly_different", "": ""}
    header = ["model", "results", "verdict"]
    for column in comparison.columns:
        header += [column.key, f"{column.key}_ci_low", f"{column.key}_ci_high", f"{column.key}_mark"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for i, run in enumerate(comparison.runs):
        row = [run.label, str(run.root), run.summary.get("verdict")]
        for column in comparison.columns:
            cell = comparison.cells[column.key][i]
            row += [_csv_number(cell.value), _csv_number(cell.number("ci_low")), _csv_number(cell.number("ci_high")),
                    words[cell.mark]]
        writer.writerow(row)
    return buffer.getvalue()


def _csv_number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def page_context(comparison: Comparison, figure: bool = True) -> dict[str, Any]:
    """What the comparison templates show."""
    stimulus_set = comparison.stimulus_set
    png = png_bytes(cue_figure(comparison)) if figure and _has_cues(comparison) else None
    return {"title": f"depthprobe comparison: {len(comparison.runs)} model(s)",
            "set_path": str(stimulus_set.get("path")), "spec_hash": str(stimulus_set.get("spec_hash")),
            "n_frames": comparison.runs[0].summary.get("n_frames"),
            "n_objects": comparison.runs[0].summary.get("n_objects"),
            "headings": [c.label for c in comparison.columns], "rows": table_rows(comparison),
            "warnings": comparison.warnings, "legend": LEGEND, "figure": data_uri(png) if png else None,
            "different_sets": bool(comparison.warnings)}


def to_markdown(comparison: Comparison) -> str:
    """The table (with its legend) as Markdown."""
    return render("compare.md.j2", page_context(comparison, figure=False))


def to_html(comparison: Comparison) -> str:
    """The comparison page: table, legend and the cue figure, self-contained."""
    return render("compare.html.j2", page_context(comparison))


def _has_cues(comparison: Comparison) -> bool:
    return any(c.key in ("vertical", "size") for c in comparison.columns)


def cue_figure(comparison: Comparison):
    """The cue coefficients of every model with their 95 % intervals: one panel per cue,
    one row per model; guides at 0 (not used) and 1 (fully followed)."""
    from matplotlib.figure import Figure

    runs = comparison.runs
    figure = Figure(figsize=(10.0, 1.2 + 0.45 * len(runs)), dpi=110, layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    y = list(range(len(runs)))
    for ax, key, words in zip(axes, ("vertical", "size"), ("vertical position", "apparent size")):
        for i, cell in enumerate(comparison.cells.get(key) or [Cell(None)] * len(runs)):
            if cell.value is None:
                ax.text(0.5, i, "no coefficient", fontsize=7, va="center", color="0.4")
                continue
            low, high = cell.interval or (cell.value, cell.value)
            ax.errorbar([cell.value], [i], xerr=[[cell.value - low], [high - cell.value]], fmt="o", capsize=3,
                        color=f"C{i % 10}")
        ax.axvline(0.0, color="0.6", linestyle=":", linewidth=1)
        ax.axvline(1.0, color="0.6", linestyle="--", linewidth=1)
        ax.set_title(f"{words}: exponent with 95 % interval (0 = not used, 1 = fully)", fontsize=8)
        ax.set_xlabel("coefficient of log cue distance", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_yticks(y, [run.label for run in runs])
    axes[0].invert_yaxis()
    return figure


def check_compare_target(out: str | Path | None, fmt: str) -> Path | None:
    """The file ``compare`` writes in format ``fmt`` (a link followed), checked by the one file
    rule before any results folder is read: new or an earlier comparison of that format, never
    inside a stimulus set or results folder, never a user's file or a special file
    (:func:`scenes.outputs.check_file_target`).  None: csv or markdown to stdout (no ``out``)."""
    if out is None and fmt != "html":
        return None
    out = Path(out if out is not None else COMPARE_HTML)
    if fmt == "html":
        return check_page_target(out, COMPARE_SIGNATURES[fmt])
    return check_file_target(out, ResultsError, COMPARE_SIGNATURES[fmt])


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (its folder created; check it first:
    :func:`check_compare_target`)."""
    from scenes.storage import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path
