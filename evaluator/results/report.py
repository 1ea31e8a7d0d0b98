"""A results summary (``summary.json``, read through :func:`evaluator.results.format.read_results`)
as a few lines for a terminal.  Every value with an interval is written by
:func:`evaluator.analyses.intervals.format_estimate`; the verdict sentence is the cue fit's own
(``verdict_text``), not rebuilt here."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaluator.analyses.intervals import format_estimate, format_number
from evaluator.results.cue_sections import cue_lines


def format_summary(summary: Mapping[str, Any]) -> list[str]:
    """Lines for a person: model and set, alignment, verdict in words, cue table, outputs.

    :param summary: the dict :func:`evaluator.pipeline.evaluate.evaluate_set` returns (or summary.json).
    """
    lines = [f"model {summary['model']} ({summary['output_kind']}) on {summary['stimulus_set']['path']}",
             _alignment_line(summary["alignment"]),
             f"objects: {summary['n_objects_with_estimate']} of {summary['n_objects']} with an estimate "
             f"({summary['statistic']} over the eroded mask), {summary['n_frames']} frames",
             f"verdict: {summary['verdict']}. {summary['verdict_text']}"]
    lines += [f"warning: {text}" for text in summary.get("warnings") or []]
    lines += _cue_lines(summary)
    lines += analysis_lines(summary)
    outputs = summary.get("outputs", {})
    if outputs:
        lines.append(f"written: {outputs.get('summary')} and {outputs.get('objects')}")
        tables = [Path(v).name for k, v in outputs.items() if k not in ("summary", "objects", "predictions")]
        if tables:
            lines.append(f"  tables: {', '.join(tables)}")
        predictions = summary.get("predictions") or {}
        if outputs.get("predictions"):
            how = "reused from" if predictions.get("reused") else "stored in"
            lines.append(f"  predictions {how} {outputs['predictions']}")
    lines.append(f"took {summary.get('elapsed_s', float('nan')):.1f} s")
    return lines


def _alignment_line(alignment: Mapping[str, Any]) -> str:
    policy = alignment["policy"]
    if policy == "none":
        return "alignment: none (metric output used as is)"
    params = f"scale {alignment['scale']:.4g}" + (f", shift {alignment['shift']:.4g}" if policy == "lstsq" else "")
    return (f"alignment: {policy}, {params}, fitted once on {alignment['n_px']} road pixels of "
            f"{alignment['n_frames']} reference frames")


def _cue_lines(summary: Mapping[str, Any]) -> list[str]:
    lines = []
    for cue, words in (("vertical", "vertical position"), ("size", "apparent size")):
        coef = (summary.get("cues") or {}).get(cue)
        single = (summary.get("single_cue") or {}).get(cue)
        part = format_estimate(coef, 3) if coef else "no joint coefficient"
        if single and single.get("r2") is not None:
            part += f"; alone R\u00b2 {single['r2']:.3f}, AIC {single['aic']:.1f}"
        lines.append(f"  {words:<18} {part}")
    joint = summary.get("joint")
    if joint and joint.get("r2") is not None:
        lines.append(f"  {'joint':<18} R\u00b2 {joint['r2']:.3f}, AIC {joint['aic']:.1f}")
    return lines


def _interval(entry: Mapping[str, Any] | None, digits: int = 3, count: str | None = None) -> str:
    return format_estimate(entry, digits, count)


def depth_unknown_line(unknown: Mapping[str, Any]) -> str:
    """The line that says where true depth was unknown (photos without ground truth there)."""
    share = unknown["n_pixels"] / max(unknown["of_pixels"], 1)
    return (f"true depth unknown on {unknown['n_pixels']} of {unknown['of_pixels']} px ({share:.1%}) in "
            f"{unknown['n_frames']} frame(s) on photos: background without ground-truth depth; the metrics "
            "use only the pixels with known depth (their counts below)")


def analysis_lines(summary: Mapping[str, Any]) -> list[str]:
    """Lines for the factor fit, accuracy, curves, pose and obstacle sections (absent ones skipped)."""
    lines: list[str] = []
    factor = summary.get("factor_fit")
    if factor:
        lines.append(f"factors: {factor.get('verdict_text')}")
    metrics = (summary.get("metrics") or {}).get("regions") or {}
    unknown = (summary.get("metrics") or {}).get("depth_unknown") or {}
    if unknown.get("n_pixels"):
        lines.append(depth_unknown_line(unknown))
    for region, entry in metrics.items():
        if entry:
            lines.append(f"accuracy ({region}): Abs Rel {_interval(entry['abs_rel'])}, RMSE {_interval(entry['rmse'], 2)} m, "
                         f"\u03b4<1.25 {_interval(entry['a1'])}; {entry['n_frames']} frames, {entry['n_pixels']} px")
    curves = summary.get("curves") or {}
    for condition, entry in (curves.get("conditions") or {}).items():
        far = entry.get("at_farthest")
        at_far = (f"; normalised estimate at d = {far['relative_distance']:g}: {_interval(far, 2)} over "
                  f"{far['n_variants']} variant(s)" if far and far["relative_distance"] > 1 else "")
        lines.append(f"curve {condition}: slope of log(normalised estimate) on log d "
                     f"{_interval(entry['slope'], count='n_objects')}, {entry['n_variants']} variant(s){at_far}")
    if curves.get("reason"):
        lines.append(f"curves: {curves['reason']}")
    pose = summary.get("pose") or {}
    words = {"pitch_following": "pitch", "roll_following": "roll", "height_following": "camera height"}
    for key, word in words.items():
        if key in pose:
            entry = pose[key]
            reason = f" ({entry['reason']})" if entry.get("reason") else ""
            lines.append(f"pose: follows {_interval(entry, count='n_frames')} of a {word} change "
                         f"(1 = fully, 0 = not){reason}")
    for factor_name, entry in (pose.get("obstacle_change") or {}).items():
        lines.append(f"pose: obstacle distance {entry['unit']} of {factor_name}: "
                     f"{_interval(entry['slope'], count='n_objects')} (contact row with the canonical camera: "
                     f"{format_number(entry['slope_if_contact_row_canonical'].get('value'), 3)})")
    obstacles = summary.get("obstacles")
    if obstacles:
        lines.append(f"obstacles: seen {_interval(obstacles['seen_rate'], 2, 'n_objects')} "
                     f"({obstacles['seen_if']}); shown fraction {_interval(obstacles['mean_fraction'], 2)}")
        for factor_name, levels in (obstacles.get("by_factor") or {}).items():
            parts = [f"{level['level']}: {_interval(level['seen_rate'], 2)} of {level['n_judged']}"
                     for level in levels]
            lines.append(f"  seen by {factor_name}: {'; '.join(parts)}")
    lines += _robustness_lines(summary.get("robustness"))
    return lines + cue_lines(summary)


def _robustness_lines(section: Mapping[str, Any] | None) -> list[str]:
    """The corruption robustness in two lines: clean error, mRR, and the cue switches."""
    if not section:
        return []
    clean = section.get("clean") or {}
    lines = [f"robustness: {len(section.get('corruptions') or {})} corruptions, mRR "
             f"{_interval(section.get('mrr'), 3, 'n_base_frames')} (clean DEE {format_number(clean.get('dee'), 3)}, "
             f"verdict {clean.get('verdict')})"]
    switches = section.get("cue_switches") or []
    if switches:
        shown = ", ".join(f"{s['corruption']} {s['severity']}: {s['verdict']}" for s in switches[:8])
        lines.append(f"  cue verdict changes under {shown}{f' (+{len(switches) - 8} more)' if len(switches) > 8 else ''}")
    return lines
