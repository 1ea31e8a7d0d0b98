"""The report's gallery: a few frames a person should look at, each as one PNG strip.

Which frames (:func:`choose_frames`): for each condition of the set (the objects table's
``condition`` column; all objects as one group without it) the object nearest and farthest in
relative distance (``relative_distance``, else the true distance ``z_true``), and the frames of
the :data:`N_WORST` objects with the largest error ``|log estimate_m - log z_true|``.

What each strip shows (:func:`frame_strip`): the RGB frame, the true and the predicted depth on
one shared colour scale (log depth, the same limits for both and for every frame of the
gallery, with one colour bar), the error ``log(predicted / true)`` and -- where the frame has
a counterfactual -- ``log(predicted with the object / predicted without it)``, the network's
response to the object; each diverging map has its own colour bar, symmetric around 0 and
shared by the gallery.  Sky (no surface, +inf) is drawn light grey.

The RGB and true depth come from the stimulus set the summary names
(``summary["stimulus_set"]["path"]``), the predictions from the results folder's
``predictions/`` (:class:`evaluator.results.store.StoredPredictions`, checked against the
set).  When either cannot be opened, :func:`build_gallery` returns no frames and one warning
line instead: the rest of the report does not depend on them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluator.results.store import INDEX_FILE, PREDICTIONS_DIR, StoredPredictions
from evaluator.results.figures import png_bytes
from evaluator.results.format import Results
from scenes.errors import DepthprobeError
from scenes.formats import StimulusSet, open_stimulus_set

#: Frames of the worst object errors, most conditions shown, and most frames in all.
N_WORST = 3
MAX_CONDITIONS = 6
MAX_GALLERY_FRAMES = 2 * MAX_CONDITIONS + N_WORST
#: Depth limits when the summary gives none (the metrics' cap), and the least colour range.
DEFAULT_MAX_DEPTH_M = 80.0
MIN_DEPTH_M = 0.5
MIN_LOG_RANGE = 0.05
#: Inches per panel (width) and of the strip's height; resolution of the strips.
PANEL_WIDTH_IN = 2.6
STRIP_DPI = 110
SKY_COLOUR = "0.85"


@dataclass
class GalleryFrame:
    """One frame of the gallery: its id, why it was chosen, and its strip as PNG bytes."""

    frame_id: str
    reasons: list[str]
    png: bytes
    has_counterfactual: bool


@dataclass
class Gallery:
    """The gallery's frames (possibly none), its colour limits, and warnings for the reader."""

    frames: list[GalleryFrame] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    depth_limits_m: tuple[float, float] | None = None


def object_errors(objects: pd.DataFrame) -> pd.Series:
    """``|log estimate_m - log z_true|`` per object (NaN where either is missing or not positive)."""
    if objects is None or not {"estimate_m", "z_true"} <= set(objects.columns):
        return pd.Series(dtype=float)
    estimate = pd.to_numeric(objects["estimate_m"], errors="coerce").to_numpy(float)
    true = pd.to_numeric(objects["z_true"], errors="coerce").to_numpy(float)
    ok = np.isfinite(estimate) & np.isfinite(true) & (estimate > 0) & (true > 0)
    error = np.full(len(objects), np.nan)
    error[ok] = np.abs(np.log(estimate[ok]) - np.log(true[ok]))
    return pd.Series(error, index=objects.index)


def choose_frames(objects: pd.DataFrame | None, n_worst: int = N_WORST) -> tuple[dict[str, list[str]], list[str]]:
    """Frames to show, each with the reasons it was chosen, in page order; and notes on what was left out.

    :returns: ``({frame_id: [reason, ...]}, [note, ...])``.
    """
    chosen: dict[str, list[str]] = {}
    notes: list[str] = []
    if objects is None or objects.empty or "frame_id" not in objects.columns:
        return chosen, notes
    column = next((c for c in ("relative_distance", "z_true") if c in objects.columns
                   and pd.to_numeric(objects[c], errors="coerce").notna().any()), None)
    if column is not None:
        groups = list(objects.groupby("condition", sort=False)) if "condition" in objects.columns \
            else [("all objects", objects)]
        if len(groups) > MAX_CONDITIONS:
            notes.append(f"the gallery shows the extremes of {MAX_CONDITIONS} of {len(groups)} conditions")
        for condition, part in groups[:MAX_CONDITIONS]:
            values = pd.to_numeric(part[column], errors="coerce")
            part = part.assign(_d=values).dropna(subset=["_d"]).sort_values(["_d", "frame_id"], kind="stable")
            if part.empty:
                continue
            for row, word in ((part.iloc[0], "nearest"), (part.iloc[-1], "farthest")):
                chosen.setdefault(str(row["frame_id"]), []).append(f"{condition}: {word} ({column} {row['_d']:g})")
    errors = object_errors(objects).dropna().sort_values(ascending=False, kind="stable")
    rank = 0
    for index, error in errors.items():
        row = objects.loc[index]
        fid = str(row["frame_id"])
        if rank >= n_worst:
            break
        if any(r.startswith("worst") for r in chosen.get(fid, [])):
            continue
        rank += 1
        chosen.setdefault(fid, []).append(
            f"worst object error #{rank}: object {row.get('object_id')}, |log(estimate / true)| = {error:.2f} "
            f"(estimate {float(row['estimate_m']):.1f} m, true {float(row['z_true']):.1f} m)")
    return dict(list(chosen.items())[:MAX_GALLERY_FRAMES]), notes


def open_sources(results: Results) -> tuple[StimulusSet, StoredPredictions]:
    """The stimulus set the summary names and the stored predictions, checked against each other.

    :raises DepthprobeError: either is gone, damaged or of another set (one line).
    """
    path = (results.summary.get("stimulus_set") or {}).get("path")
    if not path:
        raise DepthprobeError(f"{results.summary_path}: names no stimulus set")
    stimulus_set = open_stimulus_set(path)
    store_dir = results.root / PREDICTIONS_DIR
    if not (store_dir / INDEX_FILE).is_file():
        store_dir = Path((results.summary.get("predictions") or {}).get("path") or store_dir)
    return stimulus_set, StoredPredictions.open(store_dir, stimulus_set)


def build_gallery(results: Results) -> Gallery:
    """The gallery of ``results`` (see the module docstring); no frames and a warning when the
    stimulus set or the predictions cannot be had.

    :raises ResultsError: the objects table is damaged.
    """
    chosen, notes = choose_frames(results.table("objects"))
    gallery = Gallery(warnings=list(notes))
    if not chosen:
        return gallery
    try:
        stimulus_set, store = open_sources(results)
        layers = {fid: frame_layers(stimulus_set, store, fid) for fid in chosen}
    except DepthprobeError as exc:
        gallery.warnings = [f"gallery skipped: {exc}"]
        return gallery
    max_depth = _max_depth(results.summary)
    gallery.depth_limits_m = depth_limits(layers.values(), max_depth)
    error_limit = symmetric_limit([_log_ratio(d["pred"], d["true"], max_depth) for d in layers.values()])
    cf_limit = symmetric_limit([_log_ratio(d["pred"], d["pred_cf"], max_depth) for d in layers.values()
                                if d["pred_cf"] is not None])
    scales = {"depth": gallery.depth_limits_m, "error": error_limit, "response": cf_limit, "max_depth": max_depth}
    for fid, reasons in chosen.items():
        png = png_bytes(frame_strip(layers[fid], scales))
        gallery.frames.append(GalleryFrame(fid, reasons, png, layers[fid]["pred_cf"] is not None))
    return gallery


def frame_layers(stimulus_set: StimulusSet, store: StoredPredictions, frame_id: str) -> dict[str, Any]:
    """RGB, true depth, predicted depth and (where the frame has one) the counterfactual prediction."""
    with_cf = frame_id in stimulus_set.counterfactual_frame_ids
    return {"rgb": stimulus_set.rgb(frame_id), "true": stimulus_set.depth(frame_id),
            "pred": store.depth(frame_id),
            "pred_cf": store.depth(frame_id, "counterfactual") if with_cf else None}


def _max_depth(summary: Mapping[str, Any]) -> float:
    depth_range = (summary.get("metrics") or {}).get("depth_range_m")
    try:
        return float(depth_range[1])
    except (TypeError, IndexError, ValueError):
        return DEFAULT_MAX_DEPTH_M


def depth_limits(layers, max_depth: float) -> tuple[float, float]:
    """Shared (low, high) metres of the log depth scale: the finite positive true and predicted
    depths of every frame, within [MIN_DEPTH_M, max_depth]."""
    values = [a[np.isfinite(a) & (a > 0)] for d in layers for a in (d["true"], d["pred"])]
    values = np.concatenate(values) if values else np.array([])
    if values.size == 0:
        return MIN_DEPTH_M, max_depth
    low = float(np.clip(np.percentile(values, 0.5), MIN_DEPTH_M, max_depth / 2))
    high = float(np.clip(np.percentile(values, 99.5), low * np.exp(MIN_LOG_RANGE), max_depth))
    return low, max(high, low * 1.01)


def _log_ratio(a: np.ndarray, b: np.ndarray, max_depth: float) -> np.ndarray:
    """``log(a / b)`` where both are finite, positive and ``b`` within the depth range; NaN elsewhere."""
    ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0) & (b <= max_depth)
    out = np.full(a.shape, np.nan, dtype=np.float64)
    out[ok] = np.log(a[ok].astype(np.float64) / b[ok])
    return out


def symmetric_limit(maps: list[np.ndarray]) -> float:
    """The 99th percentile of ``|value|`` over the finite values of ``maps`` (at least MIN_LOG_RANGE)."""
    values = [np.abs(m[np.isfinite(m)]) for m in maps]
    values = np.concatenate(values) if values else np.array([])
    if values.size == 0:
        return MIN_LOG_RANGE
    return max(float(np.percentile(values, 99)), MIN_LOG_RANGE)


def _log_ticks(bar, limits: tuple[float, float]) -> None:
    """Colour-bar ticks at 1, 2, 5 x 10^k within ``limits``, written plainly (no minor labels)."""
    from matplotlib.ticker import NullLocator

    low, high = limits
    ticks = [m * 10.0 ** k for k in range(-1, 4) for m in (1, 2, 5) if low <= m * 10.0 ** k <= high]
    bar.ax.xaxis.set_minor_locator(NullLocator())
    bar.set_ticks(ticks or [low, high], labels=[f"{t:g}" for t in (ticks or [low, high])])
    bar.ax.tick_params(labelsize=6)


def frame_strip(layers: Mapping[str, Any], scales: Mapping[str, Any]):
    """One Figure: RGB | true depth | predicted depth (shared log scale, one colour bar) | error
    | response to the object (with a counterfactual); the page captions it with the frame id."""
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.figure import Figure

    height, width = layers["true"].shape
    n_panels = 5 if layers["pred_cf"] is not None else 4
    image_height = PANEL_WIDTH_IN * height / width
    figure = Figure(figsize=(PANEL_WIDTH_IN * n_panels, image_height + 0.8), dpi=STRIP_DPI, layout="constrained")
    grid = figure.add_gridspec(2, n_panels, height_ratios=(image_height, 0.09))
    axes = [figure.add_subplot(grid[0, i]) for i in range(n_panels)]
    for ax in axes:
        ax.set_axis_off()
    axes[0].imshow(layers["rgb"], interpolation="nearest")
    axes[0].set_title("RGB", fontsize=8)
    depth_map = colormaps["viridis"].with_extremes(bad=SKY_COLOUR)
    norm = LogNorm(*scales["depth"], clip=False)
    image = None
    for ax, key, title in ((axes[1], "true", "true depth"), (axes[2], "pred", "predicted depth")):
        shown = np.ma.masked_invalid(np.where(layers[key] > 0, layers[key], np.nan))
        image = ax.imshow(shown, cmap=depth_map, norm=norm, interpolation="nearest")
        ax.set_title(title, fontsize=8)
    bar = figure.colorbar(image, cax=figure.add_subplot(grid[1, 1:3]), orientation="horizontal", extend="both")
    bar.set_label("depth, m (log scale, shared; grey: sky)", fontsize=7)
    _log_ticks(bar, scales["depth"])
    diverging = colormaps["RdBu_r"].with_extremes(bad=SKY_COLOUR)
    panels = [(3, _log_ratio(layers["pred"], layers["true"], scales["max_depth"]), scales["error"],
               "error", "log(predicted / true): > 0 too far")]
    if layers["pred_cf"] is not None:
        panels.append((4, _log_ratio(layers["pred"], layers["pred_cf"], scales["max_depth"]),
                       scales["response"], "response to the object", "log(with / without object)"))
    for column, values, limit, title, label in panels:
        image = axes[column].imshow(np.ma.masked_invalid(values), cmap=diverging, norm=Normalize(-limit, limit),
                                    interpolation="nearest")
        axes[column].set_title(title, fontsize=8)
        bar = figure.colorbar(image, cax=figure.add_subplot(grid[1, column]), orientation="horizontal",
                              extend="both")
        bar.set_label(label, fontsize=7)
        bar.ax.tick_params(labelsize=6)
    return figure
