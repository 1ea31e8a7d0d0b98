"""The flat-road prior: depth from image row alone, for the canonical camera.

Every pixel below the canonical camera's horizon gets the z-depth, in metres, of a flat road
seen at that pixel (``Camera.road_depth``: ``fy * H0 / (v - horizon_row0)`` for a level
camera); pixels at or above the horizon get ``+inf``.  The image content is ignored.

What it can tell: it is the pure "vertical position" cue.  Its prediction for an object
follows the object's image rows exactly, as a network that had learnt only "lower in the
image is nearer" for the camera it was trained with would.  It is therefore the baseline a
cue fit should call ``vertical``, and a check of the whole pipeline (loading, inference,
alignment, object statistics, fit) that needs no weights.

What it cannot tell: it sees no apparent size, no objects at all (an object gets the depth of
the road behind its pixels, so a statistic over the mask reflects the rows the mask covers,
not only its contact row), and no change of camera pose (pitch, roll and height are assumed
to be the canonical ones).
"""
from __future__ import annotations

import numpy as np

from evaluator.models.base import DepthModel, ModelContext, OutputKind
from scenes.geometry import Camera


class FlatRoadModel(DepthModel):
    """Road z-depth per row for a fixed camera (see the module docstring).

    :param camera: the camera whose horizon, focal length and height define the road.
        Images are expected at this camera's size (``input_size``); the inference code
        resizes other sizes to it and the prediction back.
    """

    output_kind = OutputKind.METRIC_DEPTH

    def __init__(self, camera: Camera, name: str = "flat-road") -> None:
        self.name = name
        self.camera = camera
        self.input_size = (int(camera.height), int(camera.width))
        self._depth = camera.road_depth_map()

    @classmethod
    def from_context(cls, context: ModelContext) -> "FlatRoadModel":
        """The prior for the stimulus set's canonical camera."""
        return cls(context.canonical_camera)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Road depth in metres (N, H, W) float32, +inf at and above the horizon.

        :param images: uint8 (N, H, W, 3) with (H, W) equal to ``input_size``.
        """
        if images.ndim != 4 or tuple(images.shape[1:3]) != self.input_size:
            raise ValueError(f"flat-road expects images of size {self.input_size}, got shape {images.shape}")
        return np.broadcast_to(self._depth, images.shape[:3]).astype(np.float32, copy=True)


def make_flat_road(context: ModelContext) -> FlatRoadModel:
    """Registry factory for ``flat-road``."""
    return FlatRoadModel.from_context(context)
