"""Step 1 of an evaluation: open a stimulus set and check every file the evaluator will read.

Verification happens before any model runs, so a damaged set fails in seconds with every
problem listed, not after an hour of inference with a half-written result.  The checks are the
ones every reader runs (:func:`scenes.formats.open_stimulus_set`); the evaluator adds the
objects table's cue columns, which only the analyses need.
"""
from __future__ import annotations

from pathlib import Path

from scenes.errors import StimulusSetError
from scenes.formats import OBJECTS_TABLE, StimulusSet, open_stimulus_set

#: Objects-table columns the cue fit reads.
REQUIRED_OBJECT_COLUMNS = ("z_vertical", "z_size")


def open_verified(path: str | Path) -> StimulusSet:
    """Open a stimulus set through the one checked reader (manifest, tables, every file listed
    and hashed, every layer decoded and of its dtype, size and range, the canonical camera:
    :mod:`scenes.formats.set_checks`) and check the objects table's cue columns.

    :raises StimulusSetError: one line listing the problems (the first few, then a count),
        each naming its file.
    """
    stimulus_set = open_stimulus_set(path)
    missing = [c for c in REQUIRED_OBJECT_COLUMNS if c not in stimulus_set.objects.columns]
    if missing:
        raise StimulusSetError(f"{stimulus_set.root / OBJECTS_TABLE}: missing column(s) {', '.join(missing)}")
    return stimulus_set
