"""Whole-image colour changes of the study's experiment 5, applied to rendered frames.

Each transform maps an RGB frame (uint8, H x W x 3) and its semantic class map (uint8 ids of
scenes.formats.stimulus_set.SEMANTIC_CLASSES) to a new RGB frame of the same size; depth and masks
stay as they are.  The common corruptions of :mod:`scenes.images.corruptions` are a family of
transforms too (``corruption:<name>:<severity>``, seeded: :func:`apply_transform`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from scenes.images.corruptions import corrupt, parse_transform_id
from scenes.geometry import SEMANTIC_CLASSES

#: Class colours (RGB 0..255), from the Cityscapes label colours (Cordts et al. 2016) where a
#: class matches: road, lane marking (white), terrain for verges, building, vegetation, car,
#: person, traffic sign for other objects, sky.
CLASS_COLOURS: dict[str, tuple[int, int, int]] = {
    "sky": (70, 130, 180), "road": (128, 64, 128), "marking": (255, 255, 255), "verge": (152, 251, 152),
    "building": (70, 70, 70), "vegetation": (107, 142, 35), "vehicle": (0, 0, 142), "person": (220, 20, 60),
    "other_object": (220, 220, 0),
}
#: ITU-R BT.601 luma weights, as in PIL's and OpenCV's RGB-to-grey conversion.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])


def _palette() -> np.ndarray:
    table = np.zeros((256, 3), dtype=np.uint8)
    for name, class_id in SEMANTIC_CLASSES.items():
        table[class_id] = CLASS_COLOURS[name]
    return table


def grayscale(rgb: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """BT.601 luma in all three channels."""
    luma = np.clip(np.rint(rgb.astype(np.float64) @ LUMA_WEIGHTS), 0, 255).astype(np.uint8)
    return np.repeat(luma[..., None], 3, axis=-1)


def semantic_colours(rgb: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """Every pixel painted in its class colour (no texture, no shading)."""
    return _palette()[semantic]


def false_colours(rgb: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """Hue and saturation of the class colour, value (HSV brightness) of the image pixel."""
    value = rgb.max(axis=-1).astype(np.float64) / 255.0
    colours = _palette()[semantic].astype(np.float64)
    class_value = colours.max(axis=-1, keepdims=True)
    scaled = np.where(class_value > 0, colours / np.maximum(class_value, 1e-9), 0.0)  # value 1, same hue/sat
    return np.clip(np.rint(scaled * value[..., None] * 255.0), 0, 255).astype(np.uint8)


def class_average(rgb: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """Every pixel replaced by the mean colour of its class in this frame."""
    out = np.empty_like(rgb)
    for class_id in np.unique(semantic):
        mask = semantic == class_id
        out[mask] = np.rint(rgb[mask].reshape(-1, 3).mean(axis=0)).astype(np.uint8)
    return out


def identity(rgb: np.ndarray, semantic: np.ndarray) -> np.ndarray:
    """The rendered frame unchanged."""
    return rgb


TRANSFORMS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "none": identity, "grayscale": grayscale, "false_colours": false_colours,
    "semantic_colours": semantic_colours, "class_average": class_average,
}


def apply_transform(name: str, rgb: np.ndarray, semantic: np.ndarray, seed: int = 0) -> np.ndarray:
    """Apply the named transform: a key of TRANSFORMS, or a corruption's id
    ``corruption:<name>:<severity>`` (:func:`scenes.images.corruptions.transform_id`), which draws only
    from ``numpy.random.default_rng(seed)`` (same seed, same bytes)."""
    corruption = parse_transform_id(name)
    if corruption is not None:
        return corrupt(rgb, corruption[0], corruption[1], np.random.default_rng(seed))
    return TRANSFORMS[name](rgb, semantic)
