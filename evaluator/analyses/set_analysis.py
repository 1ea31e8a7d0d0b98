"""All analyses of one stimulus set, fed one frame at a time: streaming, then summarised.

:class:`SetAnalysis` receives each frame's aligned predicted depth (and its counterfactual's,
where the frame has one) -- straight from inference in
:func:`evaluator.pipeline.evaluate.evaluate_set`, or from stored predictions in
:func:`evaluator.pipeline.evaluate.analyse_predictions` -- reads the frame's ground truth and
hands a :class:`~evaluator.analyses.base.FrameData` to every analysis of
:data:`evaluator.analyses.ANALYSES`, which keep only small per-frame and per-object rows.
Memory therefore stays at a frame's arrays whatever the size of the set.
:meth:`SetAnalysis.finish` collects every analysis's tables and summary entries.

Intervals are drawn from Generators seeded with ``(seed, stream)``, one stream per analysis
(its ``stream``), so each analysis's intervals depend on the seed only, not on which other
analyses ran before it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaluator.analyses import ANALYSES
from evaluator.analyses.base import Analysis, AnalysisOutput, FrameData, SetContext
from evaluator.analyses.metrics import MAX_DEPTH_M
from evaluator.analyses.objects import ObjectEstimates, check_statistic
from scenes.errors import StimulusSetError
from scenes.formats import StimulusSet

#: Frames-table columns the analyses attach to the objects table (when it lacks them).
FRAME_COLUMNS = ("variant", "is_reference", "has_counterfactual", "pitch_deg", "roll_deg", "camera_height_m")


def analysis_rng(seed: int, stream: int | None) -> np.random.Generator | None:
    """The Generator of one analysis (see the module docstring); None for an analysis that draws nothing."""
    return None if stream is None else np.random.default_rng([int(seed), int(stream)])


@dataclass
class AnalysisResult:
    """Tables by name (None when an analysis does not apply to the set) and summary entries."""

    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def objects(self) -> pd.DataFrame:
        """The objects table with every object's estimate."""
        return self.tables["objects"]

    def add(self, output: AnalysisOutput) -> None:
        """Take one analysis's output; rows of a table another analysis wrote are appended."""
        for name, table in output.tables.items():
            before = self.tables.get(name)
            if before is not None and table is not None:
                table = pd.concat([before, table], ignore_index=True)
            self.tables[name] = table if table is not None else before
        self.summary.update(output.summary)


class SetAnalysis:
    """Accumulates per-frame results of one stimulus set (see the module docstring).

    :param statistic: per-object statistic, ``"median"`` or ``"mean"``.
    :param max_depth_m: cap of the standard metrics (see :mod:`evaluator.analyses.metrics`).
    :param analyses: the analysis classes to run after the object estimates.
    """

    def __init__(self, stimulus_set: StimulusSet, statistic: str = "median",
                 max_depth_m: float | None = MAX_DEPTH_M, analyses: Sequence[type[Analysis]] = ANALYSES) -> None:
        self.set = stimulus_set
        self.context = SetContext(stimulus_set, check_statistic(statistic), max_depth_m,
                                  stimulus_set.canonical_camera,
                                  {fid: i for i, fid in enumerate(stimulus_set.frame_ids)})
        self.estimates = ObjectEstimates(self.context)
        self.analyses = [cls(self.context) for cls in analyses]
        self._cameras = stimulus_set.cameras()
        self._with_cf = stimulus_set.counterfactual_frame_ids
        self._done: set[str] = set()

    @property
    def counterfactual_ids(self) -> frozenset[str]:
        """Frames that need a counterfactual prediction."""
        return self._with_cf

    def add_frame(self, frame_id: str, depth: np.ndarray, depth_without: np.ndarray | None = None) -> None:
        """Analyse one frame.

        :param depth: aligned predicted depth, metres (H, W).
        :param depth_without: the same for the frame's counterfactual (required when the frame
            has ``has_counterfactual``).
        :raises StimulusSetError: a ground-truth layer is missing or of another shape.
        """
        frame = self._frame_data(frame_id, depth, depth_without)
        self.estimates.add_frame(frame)
        for analysis in self.analyses:
            analysis.add_frame(frame)
        self._done.add(frame_id)

    def _frame_data(self, frame_id: str, depth: np.ndarray, depth_without: np.ndarray | None) -> FrameData:
        gt, semantic, instances = self.set.depth(frame_id), self.set.semantic(frame_id), self.set.instances(frame_id)
        for layer, array in (("depth", gt), ("semantic", semantic), ("instances", instances)):
            check_shape(self.set, frame_id, depth.shape, array.shape, layer)
        gt_without = None
        if frame_id in self._with_cf:
            if depth_without is None:
                raise ValueError(f"frame {frame_id!r} has a counterfactual; its prediction is needed")
            gt_without = self.set.counterfactual_depth(frame_id)
            check_shape(self.set, frame_id, depth.shape, depth_without.shape, "counterfactual prediction")
            check_shape(self.set, frame_id, depth.shape, gt_without.shape, "counterfactual depth")
        else:
            depth_without = None
        return FrameData(frame_id, depth, gt, semantic, instances, self._cameras[frame_id],
                         self.estimates.ids_in(frame_id), depth_without, gt_without)

    def finish(self, seed: int = 0) -> AnalysisResult:
        """Tables and summary entries of every analysis (after every frame was added).

        :raises ValueError: frames of the set were never added.
        """
        missing = [fid for fid in self.set.frame_ids if fid not in self._done]
        if missing:
            raise ValueError(f"{len(missing)} frame(s) not analysed, e.g. {missing[0]!r}")
        objects = self.estimates.table()
        result = AnalysisResult()
        result.add(self.estimates.finish(objects, None))
        context = self.objects_in_context(objects)
        for analysis in self.analyses:
            result.add(analysis.finish(context, analysis_rng(seed, analysis.stream)))
        return result

    def objects_in_context(self, objects: pd.DataFrame) -> pd.DataFrame:
        """Objects with the frame columns the analyses need (variant, reference flag, pose)."""
        frames = self.set.frames
        extra = self.context.frame_columns()
        for column in FRAME_COLUMNS[2:]:
            if column in frames.columns:
                extra[column] = frames[column].to_numpy()
        wanted = ["frame_id", *[c for c in extra.columns if c != "frame_id" and c not in objects.columns]]
        return objects.merge(extra[wanted], on="frame_id", how="left")


def check_shape(stimulus_set: StimulusSet, fid: str, expected: tuple, got: tuple, layer: str) -> None:
    """:class:`StimulusSetError` when a frame's ``layer`` is not of its prediction's shape."""
    if tuple(expected) != tuple(got):
        raise StimulusSetError(f"{stimulus_set.root}: frame {fid!r} {layer} is {tuple(got)} "
                               f"but its prediction is {tuple(expected)}")
