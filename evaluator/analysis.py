"""All analyses of one stimulus set, fed one frame at a time: streaming, then summarised.

:class:`SetAnalysis` receives each frame's aligned predicted depth (and its counterfactual's,
where the frame has one) -- straight from inference in :func:`evaluator.run.evaluate_set`, or
from stored predictions in :func:`evaluator.run.analyse_predictions` -- reads the frame's
ground truth, and keeps only small per-frame and per-object rows.  Memory therefore stays at a
frame's arrays whatever the size of the set.  :meth:`SetAnalysis.finish` turns the rows into
the tables and summary sections:

======================  ==============================  =====================================
analysis                table (``OUT/``)                summary key
======================  ==============================  =====================================
object estimates        objects.parquet                 n_objects_with_estimate, ...
cue fit (2 cues)        cue_fit.parquet (model=joint)   verdict, cues, single_cue, joint, fit
factor fit              cue_fit.parquet (model=factor)  factor_fit
standard metrics        metrics.parquet                 metrics
normalised curves       curves.parquet                  curves
pose                    pose.parquet, pose_objects...   pose
obstacles               obstacles.parquet, ..._by_...   obstacles
======================  ==============================  =====================================

Intervals are drawn from Generators seeded with ``(seed, stream)``, one stream per analysis
(:data:`STREAMS`), so each analysis's intervals depend on the seed only, not on which other
analyses ran before it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluator.cue_fit import CUE_COLUMNS, CueFit, FactorFit, fit_cues, fit_factors
from evaluator.curves import analyse_curves
from evaluator.metrics import MAX_DEPTH_M, frame_metrics, metrics_table, summarise_metrics
from evaluator.objects import check_statistic, estimate_objects
from evaluator.obstacles import object_responses, responses_table, summarise_obstacles
from evaluator.pose import add_shifts, frame_pose, obstacle_changes, pose_row, summarise_pose
from evaluator.predictions import counterfactual_frames
from evaluator.stimuli import canonical_camera
from scenes.errors import StimulusSetError
from scenes.camera import Camera
from scenes.stimulus_set import FRAME_CAMERA_COLUMNS, StimulusSet

#: Generator stream per analysis: ``np.random.default_rng([seed, stream])``.
STREAMS = {"metrics": 1, "curves": 2, "pose": 3, "obstacles": 4}
#: Frames-table columns the analyses attach to the objects table (when it lacks them).
FRAME_COLUMNS = ("variant", "is_reference", "has_counterfactual", "pitch_deg", "roll_deg", "camera_height_m")


def analysis_rng(seed: int, analysis: str) -> np.random.Generator:
    """The Generator of one analysis (see the module docstring)."""
    return np.random.default_rng([int(seed), STREAMS[analysis]])


@dataclass
class AnalysisResult:
    """Tables (None when an analysis does not apply to the set) and summary sections."""

    objects: pd.DataFrame
    cue_fit: CueFit
    factor_fit: FactorFit
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    sections: dict[str, dict | None] = field(default_factory=dict)


class SetAnalysis:
    """Accumulates per-frame results of one stimulus set (see the module docstring).

    :param statistic: per-object statistic, ``"median"`` or ``"mean"``.
    :param max_depth_m: cap of the standard metrics (see :mod:`evaluator.metrics`).
    """

    def __init__(self, stimulus_set: StimulusSet, statistic: str = "median",
                 max_depth_m: float | None = MAX_DEPTH_M) -> None:
        self.set = stimulus_set
        self.statistic = check_statistic(statistic)
        self.max_depth_m = max_depth_m
        self.objects = stimulus_set.objects.reset_index(drop=True)
        self._rows_by_frame = self.objects.groupby("frame_id", sort=False).indices
        self._estimate = np.full(len(self.objects), np.nan)
        self._n_valid = np.zeros(len(self.objects), dtype=np.int64)
        self._eroded = np.zeros(len(self.objects), dtype=bool)
        self._object_ids = self.objects["object_id"].to_numpy()
        self._cameras = frame_cameras(stimulus_set)
        self._with_cf = counterfactual_frames(stimulus_set)
        self._metric_rows: list[dict] = []
        self._pose_rows: list[dict] = []
        self._response_rows: list[dict] = []
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
        gt, semantic, instances = self.set.depth(frame_id), self.set.semantic(frame_id), self.set.instances(frame_id)
        for layer, array in (("depth", gt), ("semantic", semantic), ("instances", instances)):
            _check_shape(self.set, frame_id, depth.shape, array.shape, layer)
        rows = self._rows_by_frame.get(frame_id)
        if rows is not None:
            found = estimate_objects(depth, instances, self._object_ids[rows], self.statistic)
            self._estimate[rows] = [e.estimate_m for e in found]
            self._n_valid[rows] = [e.n_valid_px for e in found]
            self._eroded[rows] = [e.mask_eroded for e in found]
        self._metric_rows += frame_metrics(frame_id, depth, gt, semantic, instances, self.max_depth_m)
        camera = self._cameras[frame_id]
        self._pose_rows.append(pose_row(frame_id, camera, frame_pose(depth, semantic, camera)))
        if frame_id in self._with_cf:
            if depth_without is None:
                raise ValueError(f"frame {frame_id!r} has a counterfactual; its prediction is needed")
            gt_without = self.set.counterfactual_depth(frame_id)
            _check_shape(self.set, frame_id, depth.shape, depth_without.shape, "counterfactual prediction")
            _check_shape(self.set, frame_id, depth.shape, gt_without.shape, "counterfactual depth")
            object_ids = [] if rows is None else list(self._object_ids[rows])
            self._response_rows += object_responses(frame_id, depth, depth_without, gt, gt_without, instances,
                                                     object_ids)
        self._done.add(frame_id)

    def finish(self, seed: int = 0) -> AnalysisResult:
        """Tables and summary sections of every analysis (after every frame was added).

        :raises ValueError: frames of the set were never added.
        """
        missing = [fid for fid in self.set.frame_ids if fid not in self._done]
        if missing:
            raise ValueError(f"{len(missing)} frame(s) not analysed, e.g. {missing[0]!r}")
        objects = self.objects.assign(estimate_m=self._estimate, n_valid_px=self._n_valid,
                                      mask_eroded=self._eroded)
        # Rows in frames-table order whatever order the frames came in (reference frames first
        # in a run, table order on reuse), so the bootstraps draw the same resamples.
        order = {fid: i for i, fid in enumerate(self.set.frame_ids)}
        for rows in (self._metric_rows, self._pose_rows, self._response_rows):
            rows.sort(key=lambda row: order[row["frame_id"]])
        context = self.objects_in_context(objects)
        cue_fit = fit_cues(objects)
        factor_fit = fit_factors(context)
        metrics = metrics_table(self._metric_rows)
        curves, curves_section = analyse_curves(context, analysis_rng(seed, "curves"))
        canonical = canonical_camera(self.set)
        pose = add_shifts(pd.DataFrame(self._pose_rows).merge(self._frame_columns(), on="frame_id", how="left"))
        pose_objects, obstacle_change = obstacle_changes(context, canonical)
        pose_section = summarise_pose(pose, canonical, analysis_rng(seed, "pose"))
        if obstacle_change:
            pose_section["obstacle_change"] = obstacle_change
        tables = {"objects": objects, "cue_fit": cue_fit_table(cue_fit, factor_fit), "metrics": metrics,
                  "curves": curves, "pose": pose, "pose_objects": pose_objects,
                  "obstacles": None, "obstacles_by_factor": None}
        sections = {"metrics": summarise_metrics(metrics, analysis_rng(seed, "metrics"), self.max_depth_m),
                    "factor_fit": factor_fit.to_dict(), "curves": curves_section, "pose": pose_section,
                    "obstacles": None}
        if self._with_cf:
            responses = responses_table(self._response_rows, context)
            section, by_factor = summarise_obstacles(responses, analysis_rng(seed, "obstacles"))
            tables.update(obstacles=responses, obstacles_by_factor=by_factor)
            sections["obstacles"] = section
        return AnalysisResult(objects, cue_fit, factor_fit, tables, sections)

    def _frame_columns(self) -> pd.DataFrame:
        frames = self.set.frames
        out = pd.DataFrame({"frame_id": frames["frame_id"]})
        out["variant"] = frames["variant"].astype(str) if "variant" in frames.columns else "default"
        out["is_reference"] = (frames["is_reference"].fillna(False).astype(bool)
                               if "is_reference" in frames.columns else False)
        return out

    def objects_in_context(self, objects: pd.DataFrame) -> pd.DataFrame:
        """Objects with the frame columns the analyses need (variant, reference flag, pose)."""
        frames = self.set.frames
        extra = self._frame_columns()
        for column in FRAME_COLUMNS[2:]:
            if column in frames.columns:
                extra[column] = frames[column].to_numpy()
        wanted = ["frame_id", *[c for c in extra.columns if c != "frame_id" and c not in objects.columns]]
        return objects.merge(extra[wanted], on="frame_id", how="left")


def frame_cameras(stimulus_set: StimulusSet) -> dict[str, Camera]:
    """Every frame's camera, as :meth:`StimulusSet.camera` builds it, in one pass over the table."""
    columns = stimulus_set.frames[list(FRAME_CAMERA_COLUMNS)].to_numpy(dtype=float)
    return {fid: Camera(int(w), int(h), fx, fy, cx, cy, height_m, pitch, roll)
            for fid, (w, h, fx, fy, cx, cy, height_m, pitch, roll) in zip(stimulus_set.frame_ids, columns)}


def cue_fit_table(cue_fit: CueFit, factor_fit: FactorFit) -> pd.DataFrame:
    """Coefficients of both fits as one tidy table (model, term, coef, ci_low, ci_high, se, ...)."""
    rows = []
    for cue, column in CUE_COLUMNS.items():
        coef = cue_fit.cues.get(cue)
        rows.append({"model": "joint", "term": f"log {column}", "status": "fitted" if coef else "not fitted",
                     "coef": coef.coef if coef else np.nan, "ci_low": coef.ci_low if coef else np.nan,
                     "ci_high": coef.ci_high if coef else np.nan, "se": coef.se if coef else np.nan,
                     "n_objects": cue_fit.n_objects, "note": cue_fit.reason})
    for term in factor_fit.terms:
        c = term.coef
        rows.append({"model": "factor", "term": term.name, "status": term.status,
                     "coef": c.coef if c else np.nan, "ci_low": c.ci_low if c else np.nan,
                     "ci_high": c.ci_high if c else np.nan, "se": c.se if c else np.nan,
                     "n_objects": factor_fit.n_objects, "note": term.note})
    return pd.DataFrame(rows)


def _check_shape(stimulus_set: StimulusSet, fid: str, expected: tuple, got: tuple, layer: str) -> None:
    if tuple(expected) != tuple(got):
        raise StimulusSetError(f"{stimulus_set.root}: frame {fid!r} {layer} is {tuple(got)} "
                               f"but its prediction is {tuple(expected)}")
