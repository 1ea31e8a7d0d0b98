"""Step 1 of an evaluation: open a stimulus set and check every file the evaluator will read.

Verification happens before any model runs, so a damaged set fails in seconds with every
problem listed, not after an hour of inference with a half-written result.
"""
from __future__ import annotations

from pathlib import Path

from scenes.errors import StimulusSetError, problems_line
from scenes.formats import OBJECTS_TABLE, StimulusSet, open_stimulus_set

#: Objects-table columns the cue fit reads.
REQUIRED_OBJECT_COLUMNS = ("z_vertical", "z_size")


def open_verified(path: str | Path) -> StimulusSet:
    """Open a stimulus set and check every file the evaluator will read.

    Checks (all problems are collected, then raised together): each frame's RGB, depth,
    instance and semantic files exist; files listed in the manifest match their SHA-256; every
    layer decodes and holds what the format says (dtype, size, depth > 0 or +inf:
    :meth:`~scenes.formats.stimulus_set.StimulusSet.layer_problems`); the objects table has the cue columns;
    the manifest has a canonical camera; the counterfactual layers of the frames that claim
    them exist and decode.

    :raises StimulusSetError: one line listing the problems (the first few, then a count),
        each naming its file.
    """
    stimulus_set = open_stimulus_set(path)
    found = stimulus_set.problems(check_hashes=True)
    found += stimulus_set.layer_problems()
    found += _missing_object_columns(stimulus_set)
    found += stimulus_set.canonical_camera_problems()
    found += stimulus_set.counterfactual_problems()
    if found:
        raise StimulusSetError(problems_line(found))
    return stimulus_set


def _missing_object_columns(stimulus_set: StimulusSet) -> list[str]:
    missing = [c for c in REQUIRED_OBJECT_COLUMNS if c not in stimulus_set.objects.columns]
    if not missing:
        return []
    return [f"{stimulus_set.root / OBJECTS_TABLE}: missing column(s) {', '.join(missing)}"]
