"""Per-object depth estimates: a robust statistic of the aligned prediction over the object mask.

For each object, its instance mask is eroded by one pixel (3x3 square structuring element, so
the pixels touching the background, diagonally too, are dropped: a network's prediction there
blends object and background); the image border does not erode a mask.  When erosion leaves
nothing (objects one or two pixels thin), the un-eroded mask is used and ``mask_eroded`` is
False.  Over that mask, predictions that are non-finite or <= 0 are ignored; the statistic is
the median (default, the same statistic as ``z_true``) or the mean (the paper's choice) of the
rest, in metres.  An object with no usable pixel (not visible, or every prediction unusable)
gets NaN and ``n_valid_px`` = 0.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.errors import EvaluationArgumentError

STATISTICS = ("median", "mean")
#: 3x3 square: erosion by one pixel in the 8-neighbourhood.
EROSION_STRUCTURE = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class ObjectEstimate:
    """One object's estimate.

    :ivar estimate_m: statistic of aligned predicted depth over the mask, metres (NaN if none).
    :ivar n_valid_px: pixels that entered the statistic.
    :ivar mask_eroded: True when the eroded mask was used.
    """

    object_id: int
    estimate_m: float
    n_valid_px: int
    mask_eroded: bool


def check_statistic(statistic: str) -> str:
    """Return ``statistic`` if known, else raise :class:`EvaluationArgumentError`."""
    if statistic not in STATISTICS:
        raise EvaluationArgumentError(f"unknown object statistic {statistic!r}; choose one of {', '.join(STATISTICS)}")
    return statistic


def estimate_objects(depth: np.ndarray, instances: np.ndarray, object_ids: Sequence[int],
                     statistic: str = "median") -> list[ObjectEstimate]:
    """Estimates for ``object_ids`` in one frame.

    :param depth: aligned predicted depth, metres, (H, W).
    :param instances: instance ids (H, W), 0 = none, k = object k.
    :param object_ids: ids to estimate (from the objects table), in the order to return.
    :param statistic: ``"median"`` or ``"mean"``.
    """
    check_statistic(statistic)
    if depth.shape != instances.shape:
        raise ValueError(f"depth {depth.shape} and instances {instances.shape} differ in shape")
    boxes = _bounding_boxes(instances, object_ids)
    return [_estimate_one(depth, instances, int(oid), boxes.get(int(oid)), statistic)
            for oid in object_ids]


def _bounding_boxes(instances: np.ndarray, object_ids: Sequence[int]) -> dict[int, tuple[slice, slice]]:
    """Bounding box per object id present in ``instances`` (one pass over the image)."""
    wanted = [int(i) for i in object_ids if int(i) > 0]
    if not wanted:
        return {}
    labels = np.where(np.isin(instances, wanted), instances, 0)
    slices = ndimage.find_objects(labels, max_label=max(wanted))
    return {oid: slices[oid - 1] for oid in wanted if slices[oid - 1] is not None}


def _estimate_one(depth: np.ndarray, instances: np.ndarray, object_id: int,
                  box: tuple[slice, slice] | None, statistic: str) -> ObjectEstimate:
    if box is None:
        return ObjectEstimate(object_id, float("nan"), 0, False)
    mask = instances[box] == object_id
    eroded = ndimage.binary_erosion(mask, structure=EROSION_STRUCTURE, border_value=1)
    # The crop's edge is not the image's edge: erode as if the crop were padded with background
    # except where the crop touches the image border.
    eroded &= _interior(mask.shape, box, instances.shape)
    used_eroded = bool(eroded.any())
    values = depth[box][eroded if used_eroded else mask]
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return ObjectEstimate(object_id, float("nan"), 0, used_eroded)
    value = np.median(values) if statistic == "median" else np.mean(values, dtype=np.float64)
    return ObjectEstimate(object_id, float(value), int(values.size), used_eroded)


def _interior(shape: tuple[int, int], box: tuple[slice, slice], image_shape: tuple[int, ...]) -> np.ndarray:
    """Pixels of a crop not on a crop edge that lies inside the image (those edges border background)."""
    keep = np.ones(shape, dtype=bool)
    rows, cols = box
    if rows.start > 0:
        keep[0, :] = False
    if rows.stop < image_shape[0]:
        keep[-1, :] = False
    if cols.start > 0:
        keep[:, 0] = False
    if cols.stop < image_shape[1]:
        keep[:, -1] = False
    return keep


class ObjectEstimates:
    """Every object's estimate, frame by frame: the first analysis, whose objects table (with
    ``estimate_m``, ``n_valid_px``, ``mask_eroded``) every other analysis receives.

    Summary entries: ``n_objects``, ``n_objects_with_estimate``, ``statistic``.
    """

    name = "objects"
    tables = ("objects",)
    stream = None

    def __init__(self, context: SetContext) -> None:
        self.context = context
        self.statistic = check_statistic(context.statistic)
        self.objects = context.stimulus_set.objects.reset_index(drop=True)
        self.rows_by_frame = self.objects.groupby("frame_id", sort=False).indices
        self.object_ids = self.objects["object_id"].to_numpy()
        self._estimate = np.full(len(self.objects), np.nan)
        self._n_valid = np.zeros(len(self.objects), dtype=np.int64)
        self._eroded = np.zeros(len(self.objects), dtype=bool)

    def ids_in(self, frame_id: str) -> np.ndarray:
        """Object ids of one frame's rows, in table order (empty when it has none)."""
        rows = self.rows_by_frame.get(frame_id)
        return self.object_ids[rows] if rows is not None else self.object_ids[:0]

    def add_frame(self, frame: FrameData) -> None:
        rows = self.rows_by_frame.get(frame.frame_id)
        if rows is None:
            return
        found = estimate_objects(frame.depth, frame.instances, frame.object_ids, self.statistic)
        self._estimate[rows] = [e.estimate_m for e in found]
        self._n_valid[rows] = [e.n_valid_px for e in found]
        self._eroded[rows] = [e.mask_eroded for e in found]

    def table(self) -> pd.DataFrame:
        """The objects table with the estimates (after every frame was added)."""
        return self.objects.assign(estimate_m=self._estimate, n_valid_px=self._n_valid, mask_eroded=self._eroded)

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        return AnalysisOutput({"objects": objects}, {
            "n_objects": int(len(objects)), "n_objects_with_estimate": int(np.isfinite(objects["estimate_m"]).sum()),
            "statistic": self.statistic})
