"""The report's robustness section: one table per corruption family (noise, blur, weather,
digital) from the ``robustness`` table and summary section of
:mod:`evaluator.analyses.robustness`.

Per corruption and severity: RoboDepth's depth estimation error DEE, Abs Rel and delta1 (mean
over frames with a 95 % bootstrap interval), the joint cue-fit coefficients of the cell's objects
(HC3 95 % intervals) and its verdict, marked where it differs from the clean frames' verdict, and
pose following where the set varies the camera; per corruption its resilience rate RR; above
the tables the clean error and mRR.  Plain values for the templates (``report.html.j2``,
``report.md.j2``); every number with an interval goes through
:func:`evaluator.analyses.intervals.format_estimate`.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from evaluator.analyses.intervals import format_estimate
from evaluator.results.format import Results

FAMILY_TITLES = {"noise": "Noise", "blur": "Blur", "weather": "Weather and lighting", "digital": "Digital"}
#: Table column -> heading, for pose following (present only where the set varies the pose).
POSE_COLUMNS = {"pitch_following": "pitch following", "roll_following": "roll following",
                "height_following": "height following"}


def _interval(row: pd.Series, column: str, digits: int) -> str:
    entry = {"value": row.get(column), "ci_low": row.get(f"{column}_ci_low"), "ci_high": row.get(f"{column}_ci_high")}
    entry = {k: (None if v is None or pd.isna(v) else float(v)) for k, v in entry.items()}
    return format_estimate(entry, digits) if entry["value"] is not None else "\u2014"


def _cells(row: pd.Series, pose: list[str]) -> list[str]:
    cells = [_interval(row, "dee", 3), _interval(row, "abs_rel", 3), _interval(row, "a1", 3),
             _interval(row, "cue_vertical", 2), _interval(row, "cue_size", 2),
             str(row["verdict"]) + (" (changed)" if bool(row.get("verdict_changed")) else "")]
    return cells + [_interval(row, column, 2) for column in pose]


def robustness_section(results: Results) -> dict[str, Any] | None:
    """The section's values, or None for a set without corruptions."""
    section = results.summary.get("robustness")
    table = results.table("robustness")
    if not section or table is None or table.empty:
        return None
    pose = [c for c in POSE_COLUMNS if c in table.columns]
    columns = ["DEE", "Abs Rel", "\u03b4<1.25", "vertical", "size", "verdict", *(POSE_COLUMNS[c] for c in pose)]
    clean = table[table["corruption"] == "clean"]
    families = []
    for family, title in FAMILY_TITLES.items():
        part = table[table["corruption_family"] == family]
        if part.empty:
            continue
        corruptions = []
        for name, rows in part.groupby("corruption", sort=False):
            entry = (section.get("corruptions") or {}).get(name) or {}
            corruptions.append({"name": name, "rr": format_estimate(entry.get("resilience_rate"), 3),
                                "rows": [{"severity": int(r["severity"]), "cells": _cells(r, pose)}
                                         for _, r in rows.sort_values("severity").iterrows()]})
        mrr = (section.get("families") or {}).get(family, {}).get("mrr")
        families.append({"name": family, "title": title, "corruptions": corruptions,
                         "mrr": "" if mrr is None else f"{mrr:.3f}"})
    return {"columns": columns, "families": families, "mrr": format_estimate(section.get("mrr"), 3),
            "clean": _cells(clean.iloc[0], pose) if len(clean) else None,
            "n_base_frames": section.get("n_base_frames"), "definitions": section.get("definitions") or {},
            "switches": [f"{s['corruption']} {s['severity']}: {s['verdict']}" for s in section.get("cue_switches") or []]}
