"""The arrays of one rendered frame, as the renderer hands them to the stimulus-set writer.

generator/frame_renderer.py makes them, generator/generate.py writes each array as one layer
of the stimulus-set format (scenes/formats/stimulus_set.py: ``rgb``, ``depth``, ``instances``,
``semantic``; a counterfactual frame gives ``counterfactual_rgb`` and ``counterfactual_depth``).
Pure Python (numpy).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RenderedFrame:
    """Arrays of one rendered frame, all (H, W) image-sized, row 0 at the top.

    :ivar rgb: uint8 (H, W, 3), sRGB colour 0..255.
    :ivar depth: float32 (H, W) z-depth along the optical axis, metres, +inf where no surface.
    :ivar instances: uint16 (H, W), 0 = no object, k = object_id k (1 ... 65535).
    :ivar semantic: uint8 (H, W), scenes.formats.stimulus_set.SEMANTIC_CLASSES ids.
    """

    rgb: np.ndarray
    depth: np.ndarray
    instances: np.ndarray
    semantic: np.ndarray
