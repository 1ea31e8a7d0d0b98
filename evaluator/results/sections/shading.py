"""The report's shading section (issue 19): the sun sweep's slopes and stability figures per
shadow series, the bump-versus-dent sign accuracy per light, and a figure of both
(:mod:`evaluator.analyses.shading` makes the numbers)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from evaluator.analyses.intervals import format_estimate
from evaluator.results.cue_sections import CueSection
from evaluator.results.figures import new_figure

TITLE = "Shading and illumination"
DEFINITIONS = (
    "Sun sweep: true depth is the same in every frame, so the ideal is no change. Slope: OLS (HC3, Student-t "
    "95 %) of 100 ln(estimate / true) on sun elevation with cos and sin of the azimuth and one intercept per "
    "unit, per cent per degree. mu: mean error, sigma: spread of the error across lightings, rms change: root "
    "of PDE's kappa (mean squared change against the reference sun's prediction), all per cent, with "
    "percentile bootstrap intervals over frames. Bump versus dent: centre minus rim depth in the plate's "
    "rows (0 for a flat plate); per light the sign accuracy and the share read as a bump (centre nearer "
    "than the rim), Wilson 95 % intervals over frames.")
COLUMNS = ("part", "condition", "unit", "slope %/deg or sign accuracy", "mu %", "sigma %", "rms change %", "n")


def _sweep_rows(sweep: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for series, entry in sweep.items():
        for unit, slope_key in (("objects", "object_slope_pct_per_deg"), ("road", "road_slope_pct_per_deg")):
            stab = entry.get(unit) or {}
            slope = entry[slope_key]
            n = slope.get("n_objects", slope.get("n_frames"))
            rows.append(("sun sweep", series.replace("_", " "), unit, format_estimate(slope),
                         format_estimate(stab.get("mu_pct")), format_estimate(stab.get("sigma_pct")),
                         format_estimate(stab.get("rms_change_pct")), str(n)))
    return rows


def _relief_rows(relief: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for light, entry in relief["lights"].items():
        for key in ("sign_accuracy", "read_as_bump", *[k for k in entry if k not in ("sign_accuracy", "read_as_bump")]):
            acc = entry[key]
            unit = {"sign_accuracy": "bump and dent", "read_as_bump": "share read as a bump"}.get(key, f"{key}s")
            rows.append(("bump vs dent", f"light {light}", unit, format_estimate(acc), "", "", "",
                         str(acc.get("n_frames"))))
    return rows


def _draw(results: Any, summary: Mapping[str, Any]):
    """Left: object and road error against sun elevation per series; right: sign accuracy per light."""
    figure, (left, right) = new_figure(2)
    sweep = results.table("shading_sweep") if summary.get("sweep") else None
    if sweep is not None and not sweep.empty:
        for (series, is_road), colour in zip([(s, r) for s in ("shading_only", "shadows") for r in (False, True)],
                                             ("tab:blue", "tab:cyan", "tab:red", "tab:orange")):
            rows = sweep[(sweep["series"] == series) & ((sweep["unit"] == "road") == is_road)]
            if rows.empty:
                continue
            mean = rows.groupby("sun_elevation_deg")["error_pct"].mean()
            left.scatter(rows["sun_elevation_deg"], rows["error_pct"], s=8, alpha=0.4, color=colour)
            left.plot(mean.index, mean.to_numpy(), color=colour, marker="o",
                      label=f"{series.replace('_', ' ')}, {'road' if is_road else 'objects'}")
        left.axhline(0.0, color="grey", lw=0.8)
        left.legend(fontsize=7)
    left.set_xlabel("sun elevation (deg)")
    left.set_ylabel("100 ln(estimate / true) (%)")
    left.set_title("sun sweep (ideal: flat)", fontsize=9)
    relief = summary.get("relief")
    if relief and relief.get("lights"):
        names = list(relief["lights"])
        x = np.arange(len(names))
        for offset, key, colour in ((-0.2, "sign_accuracy", "tab:green"), (0.2, "read_as_bump", "tab:purple")):
            entries = [relief["lights"][n][key] for n in names]
            values, low, high = (np.array([e[k] if e[k] is not None else np.nan for e in entries], float)
                                 for k in ("value", "ci_low", "ci_high"))
            right.bar(x + offset, values, width=0.4, color=colour, alpha=0.7, label=key.replace("_", " "))
            right.errorbar(x + offset, values, yerr=[values - low, high - values], fmt="none", color="black",
                           capsize=3)
        right.set_xticks(x, names)
        right.axhline(0.5, color="grey", lw=0.8, ls="--")
        right.legend(fontsize=7)
    right.set_ylim(0.0, 1.05)
    right.set_ylabel("share of frames")
    right.set_title("bump vs dent, per light (95 % Wilson)", fontsize=9)
    return figure


def section(results: Any) -> CueSection | None:
    """The shading section, or None when the results have no shading summary."""
    summary = (results.summary or {}).get("shading")
    if not isinstance(summary, Mapping) or not summary.get("verdict_text"):
        return None
    rows = _sweep_rows(summary["sweep"]) if summary.get("sweep") else []
    rows += _relief_rows(summary["relief"]) if summary.get("relief") else []
    return CueSection("shading", TITLE, summary["verdict_text"], DEFINITIONS, COLUMNS, tuple(rows),
                      _draw(results, summary),
                      "Left: each object's and the road's log error against sun elevation (points: frames; "
                      "line: mean per elevation), per shadow series. Right: per light, the relief sign "
                      "accuracy and the share of plates read as a bump (Wilson 95 %), 0.5 dashed.")
