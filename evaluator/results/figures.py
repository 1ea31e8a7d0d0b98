"""Figures of an evaluation (PNG), drawn from the tables and summary an evaluation wrote.

No torch and no model: :func:`write_figures` reads ``OUT/summary.json`` and the parquet tables
beside it through the results reader (:func:`evaluator.results.format.read_results`), so
figures can be made on any machine, any time after ``depthprobe evaluate``.
:func:`render_figures` draws the same figures into memory (PNG bytes, nothing written) for the
HTML report (:mod:`evaluator.results.page`); :func:`png_bytes` renders any Figure so.
matplotlib is used through its object API (``Figure`` + the Agg canvas), so nothing global
(no pyplot state, no backend switch) is touched.

Figures (each only when its table has what it needs):

* ``curves.png`` -- the study's Figure 3 in 3D: mean normalised estimate (estimate / estimate at
  d = 1) against relative distance d, one line per condition, with its percentile bootstrap
  95 % band over variants; y = d (the estimate follows the condition's distance) and y = 1 (it
  does not change) as guides; legend: slope with its 95 % interval and n.
* ``cues.png`` -- object estimate against each cue-implied distance (z_vertical, z_size), log-log,
  coloured by condition, with y = x; the joint fit's coefficients with intervals in the titles.
* ``pose.png`` -- implied against true change of horizon row (pitch), roll angle or camera height,
  with y = x (follows fully) and y = 0 (not at all); the following fraction with its interval.
* ``obstacles.png`` -- with counterfactual frames: the fraction of objects the network sees (its
  prediction changes by at least half the true change over the object's mask), per level of each
  factor the set varies (object kind, familiarity, shadow, band, ...), with Wilson 95 % intervals
  and counts -- the study's experiment 4.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluator.analyses.intervals import format_estimate
from evaluator.results.format import FIGURES_DIR, Results, read_results
from scenes.storage import atomic_write_bytes

#: Figure width x height per panel, inches, and resolution: 750 x 525 px panels.
PANEL_INCHES = (5.0, 3.5)
DPI = 150
#: Most factor panels in obstacles.png, and factors left out of it (replicates, not manipulations).
MAX_OBSTACLE_PANELS = 4
OBSTACLE_SKIP_FACTORS = ("variant", "object_id")
#: Pose factor -> (summary key, true shift column, implied shift column, axis label).
POSE_PANELS = {
    "pitch_deg": ("pitch_following", "true_horizon_shift", "implied_horizon_shift", "horizon shift (rows)"),
    "roll_deg": ("roll_following", "true_roll_shift", "implied_roll_shift", "roll change (deg)"),
    "camera_height_m": ("height_following", "true_height_shift", "implied_height_shift", "camera height change (m)"),
}


#: The figures, in page order: name -> drawing function (each returns a Figure or None).
FIGURE_NAMES = ("curves", "cues", "pose", "obstacles")


def draw_figures(results: Results, cue_sections: bool = True) -> list[tuple[str, Any]]:
    """Every figure the results support, drawn in memory: ``[(name, Figure), ...]`` in page order.

    :param cue_sections: also the figures of the cue sections (:mod:`evaluator.results.cue_sections`),
        named after their section, after the others.
    :raises ResultsError: a damaged table.
    """
    drawers = {"curves": curves_figure, "cues": cues_figure, "pose": pose_figure, "obstacles": obstacles_figure}
    drawn = []
    for name in FIGURE_NAMES:
        figure = drawers[name](results)
        if figure is not None:
            drawn.append((name, figure))
    if cue_sections:
        from evaluator.results.cue_sections import build_cue_sections

        drawn += [(section.name, section.figure) for section in build_cue_sections(results)
                  if section.figure is not None]
    return drawn


def render_figures(results: Results | str | Path, cue_sections: bool = True) -> dict[str, bytes]:
    """Every figure the results support as PNG bytes (nothing is written): ``{name: png}``
    (``cue_sections`` as :func:`draw_figures`)."""
    results = results if isinstance(results, Results) else read_results(results)
    return {name: png_bytes(figure) for name, figure in draw_figures(results, cue_sections)}


def write_figures(results: Results | str | Path) -> list[Path]:
    """Draw every figure the results support into ``<results>/figures``.

    :param results: an opened results folder, or its path (opened with ``read_results``).
    :returns: the PNG files written (possibly none: a set without relative distances, cues or
        pose changes has nothing to draw).
    :raises ResultsError: no readable summary of this format, or a damaged table.
    """
    results = results if isinstance(results, Results) else read_results(results)
    out = results.root / FIGURES_DIR
    written = []
    for name, png in render_figures(results).items():
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{name}.png"
        atomic_write_bytes(path, png)
        written.append(path)
    return written


def new_figure(n_panels: int):
    """A Figure with ``n_panels`` side by side and its axes (object API, no pyplot)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(PANEL_INCHES[0] * n_panels, PANEL_INCHES[1]), dpi=DPI, layout="constrained")
    axes = figure.subplots(1, n_panels, squeeze=False)[0]
    return figure, list(axes)


def png_bytes(figure, dpi: int | None = None) -> bytes:
    """``figure`` as PNG bytes, in memory (the Agg canvas; no file, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi or figure.dpi)
    return buffer.getvalue()


def save(figure, path: Path) -> None:
    """Write ``figure`` as PNG atomically (temporary file, then rename)."""
    atomic_write_bytes(path, png_bytes(figure))


def _ci(entry: Mapping[str, Any] | None, digits: int = 2) -> str:
    return format_estimate(entry, digits)


def curves_figure(results: Results):
    """The normalised curves with their bands (see the module docstring), or None."""
    summary = results.summary
    curves = results.table("curves")
    if curves is None or curves.empty:
        return None
    sections = (summary.get("curves") or {}).get("conditions") or {}
    figure, (ax,) = new_figure(1)
    d = np.sort(curves["relative_distance"].unique())
    ax.plot(d, d, color="0.6", linestyle="--", linewidth=1, label="y = d (follows the distance)")
    ax.axhline(1.0, color="0.6", linestyle=":", linewidth=1, label="y = 1 (no change)")
    for condition, part in curves.groupby("condition", sort=False):
        part = part.sort_values("relative_distance")
        slope = (sections.get(str(condition)) or {}).get("slope")
        label = f"{condition}: slope {_ci(slope)}, n = {(slope or {}).get('n_objects', '?')}"
        line, = ax.plot(part["relative_distance"], part["mean_normalised"], marker="o", markersize=3, label=label)
        band = part.dropna(subset=["ci_low", "ci_high"])
        if not band.empty:
            ax.fill_between(band["relative_distance"], band["ci_low"], band["ci_high"], color=line.get_color(),
                            alpha=0.25, linewidth=0)
    n_variants = int(curves["n_variants"].max())
    ax.set_xlabel("relative distance d")
    ax.set_ylabel("estimate / estimate at d = 1")
    ax.set_title(f"{summary.get('model')}: normalised estimates\nbands: 95 % bootstrap over {n_variants} variants",
                 fontsize=8)
    ax.legend(fontsize=6, loc="upper left")
    return figure


def cues_figure(results: Results):
    """Estimate against each cue-implied distance, log-log, or None."""
    summary = results.summary
    objects = results.table("objects")
    needed = {"estimate_m", "z_vertical", "z_size"}
    if objects is None or not needed <= set(objects.columns):
        return None
    data = objects[(objects["estimate_m"] > 0) & (objects["z_vertical"] > 0) & (objects["z_size"] > 0)]
    data = data[np.isfinite(data[list(needed)]).all(axis=1)]
    if data.empty:
        return None
    groups = data.groupby("condition", sort=False) if "condition" in data.columns else [("objects", data)]
    figure, axes = new_figure(2)
    cues = summary.get("cues") or {}
    low = float(data[list(needed)].min().min()) * 0.9
    high = float(data[list(needed)].max().max()) * 1.1
    for ax, (cue, column, words) in zip(axes, (("vertical", "z_vertical", "vertical position"),
                                               ("size", "z_size", "apparent size"))):
        for name, part in groups:
            ax.scatter(part[column], part["estimate_m"], s=6, alpha=0.7, label=str(name))
        ax.plot([low, high], [low, high], color="0.6", linestyle="--", linewidth=1, label="y = x")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"distance implied by {words}, m ({column})")
        ax.set_ylabel("object estimate, m")
        ax.set_title(f"joint-fit exponent {_ci(cues.get(cue))}, n = {len(data)}", fontsize=8)
    axes[0].legend(fontsize=6, loc="upper left")
    figure.suptitle(f"{summary.get('model')}: verdict {summary.get('verdict')}", fontsize=9)
    return figure


def pose_figure(results: Results):
    """Implied against true pose change for each pose factor the set varies, or None."""
    summary = results.summary
    pose = results.table("pose")
    section = summary.get("pose") or {}
    if pose is None:
        return None
    panels = [(factor, spec) for factor, spec in POSE_PANELS.items()
              if section.get(spec[0]) and {spec[1], spec[2]} <= set(pose.columns)]
    if not panels:
        return None
    figure, axes = new_figure(len(panels))
    for ax, (factor, (key, true_col, implied_col, label)) in zip(axes, panels):
        part = pose[np.isfinite(pose[true_col]) & np.isfinite(pose[implied_col])]
        groups = part.groupby("variant", sort=False) if "variant" in part.columns else [("frames", part)]
        for name, group in groups:
            ax.scatter(group[true_col], group[implied_col], s=10, alpha=0.8, label=str(name))
        span = float(np.nanmax(np.abs(part[true_col]))) if len(part) else 1.0
        ax.plot([-span, span], [-span, span], color="0.6", linestyle="--", linewidth=1, label="follows fully")
        ax.axhline(0.0, color="0.6", linestyle=":", linewidth=1, label="not at all")
        entry = section[key]
        ax.set_xlabel(f"true {label}")
        ax.set_ylabel(f"implied {label}")
        ax.set_title(f"follows {_ci(entry, 3)} of the change, n = {entry.get('n_frames')} frames", fontsize=8)
        ax.legend(fontsize=6, loc="upper left")
    figure.suptitle(f"{summary.get('model')}: pose implied by predicted road depth", fontsize=9)
    return figure


def obstacles_figure(results: Results):
    """Seen fraction per level of each varied factor, with Wilson intervals, or None."""
    summary = results.summary
    table = results.table("obstacles_by_factor")
    if table is None or table.empty:
        return None
    factors = [f for f in dict.fromkeys(table["factor"]) if f not in OBSTACLE_SKIP_FACTORS][:MAX_OBSTACLE_PANELS]
    if not factors:
        return None
    figure, axes = new_figure(len(factors))
    for ax, factor in zip(axes, factors):
        part = table[table["factor"] == factor].reset_index(drop=True)
        value = part["seen_rate_value"].to_numpy(float)
        low = np.clip(value - part["seen_rate_ci_low"].to_numpy(float), 0, None)
        high = np.clip(part["seen_rate_ci_high"].to_numpy(float) - value, 0, None)
        y = np.arange(len(part))
        ax.barh(y, value, xerr=np.vstack([low, high]), color="tab:blue", alpha=0.7, capsize=2)
        ax.set_yticks(y, [f"{level} (n = {n})" for level, n in zip(part["level"], part["n_judged"])], fontsize=6)
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        ax.set_xlabel("fraction seen (95 % Wilson)")
        ax.set_title(f"by {factor}", fontsize=8)
    seen = (summary.get("obstacles") or {}).get("seen_rate")
    figure.suptitle(f"{summary.get('model')}: objects seen against their counterfactual; all: {_ci(seen)}, "
                    f"n = {(seen or {}).get('n_objects', '?')}", fontsize=9)
    return figure
