"""The contract every analysis of a stimulus set keeps: fed frame by frame, then finished once.

An analysis is a class with

* ``name`` -- the key of its section in ``summary.json`` (``"metrics"``, ``"pose"``, ...);
* ``tables`` -- the names of the tables it may write (``OUT/<name>.parquet``);
* ``stream`` -- its Generator stream (``np.random.default_rng([seed, stream])``), so that its
  intervals depend on the seed only, not on which other analyses ran; None when it draws nothing;
* ``__init__(context)`` -- with the set-level :class:`SetContext`;
* ``add_frame(frame)`` -- one :class:`FrameData` at a time (keep only small rows: memory must
  not grow with the frames' arrays);
* ``finish(objects, rng) -> AnalysisOutput`` -- after every frame: its tables (None for a table
  that does not apply to this set) and its summary entries.

``objects`` is the objects table with every object's estimate (``estimate_m``, from
:mod:`evaluator.analyses.objects`) and the frame columns the analyses need (variant, reference
flag, camera pose).  To add an analysis, write one module with such a class and add it to
:data:`evaluator.analyses.ANALYSES`; its tables and section then appear in the results format
without further wiring.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from scenes.geometry import Camera
from scenes.formats import StimulusSet


@dataclass(frozen=True)
class SetContext:
    """What every analysis may know of the set before the first frame.

    :ivar stimulus_set: the (verified) set.
    :ivar statistic: per-object statistic, ``"median"`` or ``"mean"``.
    :ivar max_depth_m: cap of the standard metrics, metres (None: no cap).
    :ivar canonical: the camera the study assumes the network knows.
    :ivar frame_order: position of each frame id in the frames table (rows are sorted by it, so
        bootstraps draw the same resamples whatever order the frames came in).
    """

    stimulus_set: StimulusSet
    statistic: str
    max_depth_m: float | None
    canonical: Camera
    frame_order: dict[str, int]

    def is_kind(self, kind: str, columns: Sequence[str] = ()) -> bool:
        """True when the set's frames are of experiment kind ``kind`` (the frames table's
        ``experiment`` column) and have every one of ``columns``: the one test by which an analysis
        of one kind (the cue experiments) decides that it applies."""
        frames = self.stimulus_set.frames
        return ("experiment" in frames.columns and bool((frames["experiment"] == kind).any())
                and all(column in frames.columns for column in columns))

    def frame_columns(self) -> pd.DataFrame:
        """``frame_id``, ``variant`` (``"default"`` when the set has none) and ``is_reference``
        (False when absent) of every frame, in table order."""
        frames = self.stimulus_set.frames
        out = pd.DataFrame({"frame_id": frames["frame_id"]})
        out["variant"] = frames["variant"].astype(str) if "variant" in frames.columns else "default"
        out["is_reference"] = (frames["is_reference"].fillna(False).astype(bool)
                               if "is_reference" in frames.columns else False)
        return out

    def sort_rows(self, rows: list[dict]) -> list[dict]:
        """``rows`` (each with a ``frame_id``) in frames-table order."""
        return sorted(rows, key=lambda row: self.frame_order[row["frame_id"]])


@dataclass(frozen=True)
class FrameData:
    """One frame as the analyses see it; depths in metres, arrays (H, W).

    :ivar depth: aligned predicted depth.
    :ivar gt, semantic, instances: the frame's ground truth (z-depth, class ids, object ids).
    :ivar camera: the frame's camera (true pose).
    :ivar object_ids: ids of the frame's objects-table rows (empty when none).
    :ivar depth_without, gt_without: prediction and ground truth of the counterfactual frame
        (None when the frame has none).
    """

    frame_id: str
    depth: np.ndarray
    gt: np.ndarray
    semantic: np.ndarray
    instances: np.ndarray
    camera: Camera
    object_ids: np.ndarray
    depth_without: np.ndarray | None = None
    gt_without: np.ndarray | None = None


@dataclass
class AnalysisOutput:
    """What one analysis contributes to the results: tables by name and summary entries by key."""

    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


class Analysis(Protocol):
    """See the module docstring."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    stream: ClassVar[int | None]

    def __init__(self, context: SetContext) -> None: ...

    def add_frame(self, frame: FrameData) -> None: ...

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput: ...


class ObjectsOnly:
    """Base of the analyses that need only the finished objects table (no per-frame work)."""

    stream: ClassVar[int | None] = None

    def __init__(self, context: SetContext) -> None:
        self.context = context

    def add_frame(self, frame: FrameData) -> None:
        """Nothing per frame."""
