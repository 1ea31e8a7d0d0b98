"""The report's linear-perspective section (evaluator/analyses/perspective.py): horizon following,
Ponzo following and dolly following with their intervals, the reference frames' implied horizon;
a figure of the implied horizon against the painted vanishing point's shift and of the car's
estimate against its true distance in the dolly zoom."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from evaluator.analyses.intervals import format_estimate
from evaluator.results.cue_sections import CueSection
from evaluator.results.figures import new_figure

DEFINITIONS = (
    "All slopes: OLS with one intercept per placement (world variant × the car's base distance), HC3 standard "
    "errors, Student-t 95 % intervals. Horizon following: implied horizon (the pose analysis' Theil-Sen band fit; "
    "rows above the true horizon) on the painted vanishing point's shift (rows above the true horizon); 1 = moves "
    "with the painted lines, 0 = stays at the true horizon. Ponzo following: log estimate on log of the distance "
    "the car's contact row implies under the painted horizon; 1 = as a network reading the painted horizon, 0 = "
    "unaffected. Dolly following: log estimate on log true distance while image size and contact row stay fixed; "
    "1 = true distance, 0 = the constant image. Reference offset: implied minus true horizon in the frames with "
    "parallel lines and the spec's camera (rows above; bootstrap over frames).")
ROWS = (("false vanishing point", "horizon following (slope)", "horizon_following", "n_frames"),
        ("false vanishing point", "Ponzo following (log-log slope)", "ponzo_following", "n_objects"),
        ("false vanishing point", "log estimate per px of shift", "ponzo_log_per_px", "n_objects"),
        ("dolly zoom", "dolly following (log-log slope)", "dolly_following", "n_objects"),
        ("reference frames", "implied − true horizon (rows above)", "reference_implied_rise_px", "n_frames"))


def _rows(summary: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    rows = []
    for block, statistic, key, count in ROWS:
        entry = summary.get(key) or {}
        n = entry.get(count)
        rows.append((block, statistic, format_estimate(entry, digits=3 if key == "ponzo_log_per_px" else 2),
                     "n/a" if n is None else f"{n} {count[2:]}"))
    return tuple(rows)


def _figure(results: Any):
    figure, (horizon_ax, dolly_ax) = new_figure(2)
    frames = results.table("perspective")
    if frames is not None and len(frames):
        shown = frames[frames["block"] == "vanishing_point"]
        for (variant, distance), points in shown.groupby(["world_variant", "base_distance_m"], sort=True):
            points = points.sort_values("vp_shift_px")
            horizon_ax.plot(points["vp_shift_px"], points["implied_rise_px"], "o-", ms=3, lw=1,
                            label=f"{variant}, {distance:g} m")
        span = [float(shown["vp_shift_px"].min()), float(shown["vp_shift_px"].max())] if len(shown) else [0.0, 0.0]
        horizon_ax.plot(span, span, "k--", lw=0.8, label="follows the paint")
        horizon_ax.axhline(0.0, color="grey", lw=0.6)
        horizon_ax.legend(fontsize=6)
    horizon_ax.set(xlabel="painted vanishing point above the true horizon (px)",
                   ylabel="implied horizon above the true horizon (px)", title="false vanishing point")
    objects = results.table("perspective_objects")
    if objects is not None and len(objects):
        dolly = objects[(objects["block"] == "dolly_zoom") & np.isfinite(objects["log_estimate"])]
        for (variant, distance), points in dolly.groupby(["world_variant", "base_distance_m"], sort=True):
            points = points.sort_values("z_true")
            dolly_ax.plot(points["z_true"], points["estimate_m"], "o-", ms=3, lw=1, label=f"{variant}, {distance:g} m")
        if len(dolly):
            span = [float(dolly["z_true"].min()), float(dolly["z_true"].max())]
            dolly_ax.plot(span, span, "k--", lw=0.8, label="true distance")
            dolly_ax.legend(fontsize=6)
    dolly_ax.set(xlabel="true distance of the car (m)", ylabel="estimate (m)", title="dolly zoom")
    return figure


def section(results: Any) -> CueSection | None:
    """The linear-perspective section of ``results`` (None when the set is not of that kind)."""
    summary = (results.summary or {}).get("perspective")
    if not isinstance(summary, Mapping):
        return None
    return CueSection(
        name="perspective", title="Linear perspective", verdict=summary.get("verdict_text", ""),
        definitions=DEFINITIONS, columns=("block", "statistic", "value [95 % CI]", "n"), rows=_rows(summary),
        figure=_figure(results),
        caption="Left: each frame's implied horizon against the painted vanishing point's shift, one line per "
                "placement (dashed: an implied horizon that follows the paint fully). Right: the car's estimate "
                "against its true distance in the dolly zoom, where its image stays the same (dashed: the truth; "
                "a flat line follows the image).")
