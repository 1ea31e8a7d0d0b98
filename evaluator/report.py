"""A results summary (``summary.json``) as a few lines for a terminal."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def format_summary(summary: Mapping[str, Any]) -> list[str]:
    """Lines for a person: model and set, alignment, verdict in words, cue table, outputs.

    :param summary: the dict :func:`evaluator.run.evaluate_set` returns (or summary.json).
    """
    lines = [f"model {summary['model']} ({summary['output_kind']}) on {summary['stimulus_set']['path']}",
             _alignment_line(summary["alignment"]),
             f"objects: {summary['n_objects_with_estimate']} of {summary['n_objects']} with an estimate "
             f"({summary['statistic']} over the eroded mask), {summary['n_frames']} frames",
             f"verdict: {summary['verdict']}. {summary['verdict_text']}"]
    lines += _cue_lines(summary)
    outputs = summary.get("outputs", {})
    if outputs:
        lines.append(f"written: {outputs.get('summary')} and {outputs.get('objects')}")
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
        part = (f"{coef['coef']:+.3f} [{coef['ci_low']:+.3f}, {coef['ci_high']:+.3f}]"
                if coef else "no joint coefficient")
        if single and single.get("r2") is not None:
            part += f"; alone R\u00b2 {single['r2']:.3f}, AIC {single['aic']:.1f}"
        lines.append(f"  {words:<18} {part}")
    joint = summary.get("joint")
    if joint and joint.get("r2") is not None:
        lines.append(f"  {'joint':<18} R\u00b2 {joint['r2']:.3f}, AIC {joint['aic']:.1f}")
    return lines
