"""The report's texture section (evaluator/analyses/texture.py): the road's log-log slope per
texture mapping with its difference to the world mapping, the implied horizon and the objects'
estimates per mapping, the paint-detail coefficient and the conflict pairs; a figure of the
road fit's points per mapping and of the objects' estimates against their detail scale."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from evaluator.analyses.intervals import format_estimate
from evaluator.results.cue_sections import CueSection
from evaluator.results.figures import new_figure

#: Line colours of the mappings in the figure.
MAPPING_COLOURS = {"world": "tab:blue", "screen": "tab:orange", "reversed": "tab:red"}
DEFINITIONS = (
    "Road slope: OLS of the per-row mean log predicted depth on log true depth, one intercept and slope per "
    "mapping (units: image rows with road up to 60 m; HC3 standard errors, Student-t 95 % intervals); 1 follows "
    "the geometry, a slope that changes with the mapping follows the texture density. Implied horizon: the pose "
    "analysis' Theil-Sen horizon minus the true one (px; bootstrap over frames, and over placements for the "
    "difference to world). Objects: estimate under the mapping divided by that under world for the same placement "
    "(geometric mean, bootstrap over placements). Detail: OLS (HC3) of log estimate on log true distance and log2 "
    "detail scale; the coefficient is the change of log estimate per doubling of the paint's checker frequency "
    "(0: no reliance). Conflict: far estimate / near estimate per assignment and their quotient (OLS, HC3, on the assignment; "
    "units: world variant x assignment). "
    "The verdict counts a road-slope change beyond ±0.05 against the world mapping as reliance on the gradient.")


def _row(condition: str, statistic: str, entry: Mapping[str, Any] | None, count: str) -> tuple[str, str, str, str]:
    n = (entry or {}).get(count)
    return (condition, statistic, format_estimate(entry), "n/a" if n is None else f"{n} {count[2:]}")


def _road_rows(road: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for mapping, slope in road["slopes"].items():
        rows.append(_row(mapping, "road slope (log-log)", slope, "n_rows"))
        if mapping in road["slope_differences"]:
            rows.append(_row(mapping, "road slope − world", road["slope_differences"][mapping], "n_rows"))
        rows.append(_row(mapping, "implied − true horizon (px)", road["horizon_shift_px"].get(mapping), "n_frames"))
        if mapping in road["horizon_shift_vs_world_px"]:
            rows.append(_row(mapping, "implied horizon − world's (px)", road["horizon_shift_vs_world_px"][mapping],
                             "n_placements"))
            rows.append(_row(mapping, "object estimate ÷ world's", road["object_ratio_vs_world"][mapping],
                             "n_placements"))
    return rows


def _detail_rows(detail: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows = [_row("paint detail", "log estimate per doubling", detail["coefficient"], "n_objects")]
    if detail.get("distance_coefficient"):
        rows.append(_row("paint detail", "log estimate per log true distance", detail["distance_coefficient"],
                         "n_objects"))
    labels = {"coarse_near": ("conflict: near coarse, far fine", "far ÷ near estimate (truth 2)"),
              "fine_near": ("conflict: near fine, far coarse", "far ÷ near estimate (truth 2)"),
              "coarse_minus_fine": ("conflict", "ratio near-coarse ÷ near-fine (blind: 1)")}
    for pair, entry in detail.get("far_over_near", {}).items():
        rows.append(_row(*labels.get(pair, (pair, "far ÷ near estimate")), entry, "n_pairs"))
    return rows


def _figure(results: Any):
    figure, (road_ax, detail_ax) = new_figure(2)
    rows = results.table("texture_rows")
    if rows is not None and len(rows):
        for mapping, points in rows.groupby("mapping", sort=False):
            road_ax.plot(np.exp(points["log_true"]), np.exp(points["log_pred"]), "o-", ms=2.5, lw=1,
                         color=MAPPING_COLOURS.get(str(mapping)), label=str(mapping))
        span = [float(np.exp(rows["log_true"].min())), float(np.exp(rows["log_true"].max()))]
        road_ax.plot(span, span, "k--", lw=0.8, label="true depth")
        road_ax.set_xscale("log")
        road_ax.set_yscale("log")
        road_ax.legend(fontsize=7)
    road_ax.set(xlabel="true road depth (m)", ylabel="predicted road depth (m, row mean)",
                title="road depth per texture mapping")
    objects = results.table("objects")
    if objects is not None and "detail_scale" in objects.columns:
        shown = objects[np.isfinite(objects["detail_scale"].astype(float))]
        for part, points in shown.groupby("part", sort=True):
            detail_ax.plot(points["detail_scale"], points["estimate_m"] / points["z_true"], "o", ms=4, label=str(part))
        detail_ax.set_xscale("log", base=2)
        detail_ax.axhline(1.0, color="k", ls="--", lw=0.8)
        detail_ax.legend(fontsize=7)
    detail_ax.set(xlabel="paint detail scale (checker frequency × base)", ylabel="estimate / true z-depth",
                  title="object estimate against paint detail")
    return figure


def section(results: Any) -> CueSection | None:
    """The texture section of ``results`` (None when the set is not a texture experiment)."""
    summary = (results.summary or {}).get("texture")
    if not isinstance(summary, Mapping):
        return None
    rows = (_road_rows(summary["road"]) if summary.get("road") else []) + (
        _detail_rows(summary["detail"]) if summary.get("detail") else [])
    return CueSection(
        name="texture", title="Texture gradient and detail", verdict=summary.get("verdict_text", ""),
        definitions=DEFINITIONS, columns=("condition", "statistic", "value [95 % CI]", "n"), rows=tuple(rows),
        figure=_figure(results),
        caption="Left: predicted against true road depth (per-row means over each mapping's frames; dashed: the "
                "truth). Right: each textured object's estimate over its true z-depth against its paint detail.")
