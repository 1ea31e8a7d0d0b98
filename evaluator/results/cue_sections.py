"""The report's cue sections: one per cue experiment (depth order, texture, shading, linear
perspective, ...), each built by one function in :mod:`evaluator.results.sections`.

A cue experiment's analysis (``evaluator/analyses/<cue>.py``) writes its summary section (key =
the section's name) with a one-sentence ``verdict_text`` and its tables; its section builder
turns them into a :class:`CueSection`: a title, the verdict sentence, a short definition of the
statistics, a table of formatted cells (every number with an interval written by
:func:`evaluator.analyses.intervals.format_estimate`, with its count) and a figure (a matplotlib
``Figure`` drawn with :func:`evaluator.results.figures.new_figure`).  The page
(:mod:`evaluator.results.page`), the Markdown summary, ``write_figures`` (``figures/<name>.png``)
and the terminal lines (:func:`cue_lines`) show every section the results support, in the
order of :data:`CUE_SECTIONS`; a new cue adds one entry there and one to :data:`CUE_TITLES`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scenes.registry import Registry


@dataclass(frozen=True)
class CueSection:
    """One cue experiment's part of the report (plain values; the figure drawn in memory).

    :param name: its summary key, HTML id (``cue-<name>``) and figure file name (``<name>.png``).
    :param title: the heading.
    :param verdict: one sentence with the statistic that measures the reliance, its interval and n.
    :param definitions: what the numbers are (method of the intervals, units), one short paragraph.
    :param columns: table headings.
    :param rows: table rows of formatted cells, one string per column.
    :param figure: a matplotlib ``Figure`` (object API), or None.
    :param caption: the figure's caption.
    """

    name: str
    title: str
    verdict: str
    definitions: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    figure: Any = None
    caption: str = ""


SectionBuilder = Callable[[Any], "CueSection | None"]

#: The cue sections in page order: summary key -> ``"module:function"``, the function taking the
#: opened results (:class:`evaluator.results.format.Results`) and returning a CueSection, or None
#: when the results have nothing for it.
CUE_SECTIONS: Registry[SectionBuilder] = Registry("cue section", base=Callable, entries={
    "depth_order": "evaluator.results.sections.depth_order:section",
    "perspective": "evaluator.results.sections.perspective:section",
    "texture": "evaluator.results.sections.texture:section",
    "shading": "evaluator.results.sections.shading:section",
})
#: Section name -> title, for the terminal lines (read from the summary alone, no module loaded).
CUE_TITLES: dict[str, str] = {
    "depth_order": "Depth order",
    "perspective": "Linear perspective",
    "texture": "Texture gradient and detail",
    "shading": "Shading and illumination",
}


def build_cue_sections(results: Any, sections: Registry[SectionBuilder] | None = None) -> list[CueSection]:
    """Every cue section ``results`` support, in page order (nothing is written).

    :param sections: the registry to use (default :data:`CUE_SECTIONS`).
    :raises ResultsError: a damaged table.
    """
    registry = CUE_SECTIONS if sections is None else sections
    built = []
    for name in registry.names():
        if name not in (results.summary or {}):
            continue
        section = registry.get(name)(results)
        if section is not None:
            built.append(section)
    return built


def cue_lines(summary: Mapping[str, Any]) -> list[str]:
    """One terminal line per cue section in ``summary``: ``<title>: <verdict_text>``."""
    lines = []
    for name, title in CUE_TITLES.items():
        entry = summary.get(name)
        if isinstance(entry, Mapping) and entry.get("verdict_text"):
            lines.append(f"{title.lower()}: {entry['verdict_text']}")
    return lines
