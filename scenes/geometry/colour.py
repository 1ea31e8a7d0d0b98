"""The sRGB transfer curve (IEC 61966-2-1): display-encoded values and linear light, 0 ... 1.

The one home of the curve: design colours given in display space become the renderer's linear
colours (scenes/design/frames.py), renders are composited over photos in linear light
(scenes/photos/compositing.py), and linear paint colours are drawn as display colours (the search's
box frames).  Scalars and arrays alike; out-of-range input is clipped by :func:`linear_to_srgb`.
"""
from __future__ import annotations

import numpy as np

#: IEC 61966-2-1: the linear segment below these (encoded, linear) values.
SRGB_ENCODED_KNEE = 0.04045
SRGB_LINEAR_KNEE = 0.0031308


def srgb_to_linear(encoded: float | np.ndarray) -> np.ndarray:
    """Linear light (float64) of sRGB-encoded values in 0 ... 1."""
    c = np.asarray(encoded, dtype=np.float64)
    return np.where(c <= SRGB_ENCODED_KNEE, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: float | np.ndarray) -> np.ndarray:
    """sRGB-encoded values (float64, 0 ... 1) of linear light in 0 ... 1 (clipped)."""
    c = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= SRGB_LINEAR_KNEE, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
