"""The one progress protocol of depthprobe: a callable told how far a long step has come.

Rendering, previewing, aligning, predicting, analysing and training all report through it;
only the command line turns the calls into progress bars (rich), so library code never prints.
"""
from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """``progress(stage, done, total, item="")``: ``done`` of ``total`` units of ``stage`` are
    finished (``item`` names the last one, e.g. a frame id, or is empty; the last report of a
    stage may say ``done`` with what the stage survived, e.g. ``done; 1 worker restart (worker 0:
    1), their renders redone``).

    :param stage: what is being done: ``"render"``, ``"preview"``, ``"align"``, ``"predict"``,
        ``"analyse"``, ``"train"``, ...
    :param done: units finished so far, 0 <= done <= total.
    :param total: units of the stage.
    """

    def __call__(self, stage: str, done: int, total: int, item: str = "") -> None: ...


def no_progress(stage: str, done: int, total: int, item: str = "") -> None:
    """A :class:`Progress` that ignores every report."""
