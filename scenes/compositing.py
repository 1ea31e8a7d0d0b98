"""Compositing a render over a photograph: the object's alpha, and the shadow as a multiplier.

The render comes from Cycles with a transparent film over a shadow-catcher road plane
(generator/photo_world.py): where the object is, alpha is 1 and the colour is the object's;
where only its shadow falls, the colour is black and alpha is the shadow's opacity, 1 minus the
fraction of light the object leaves on the road (Cycles computes the catcher as the ratio of
the light with and without the object).  Composited in linear light, a shadowed photo pixel is
the photo times that fraction -- what the same shadow does to a rendered road -- and an edge
pixel of the object blends object and photo by its coverage.

Colours are 8-bit sRGB in and out (IEC 61966-2-1 transfer curve); alpha is straight (not
premultiplied), as PNG stores it.
"""
from __future__ import annotations

import numpy as np

#: IEC 61966-2-1 (sRGB) transfer curve: linear segment below these (encoded, linear) values.
SRGB_ENCODED_KNEE = 0.04045
SRGB_LINEAR_KNEE = 0.0031308


def srgb_to_linear(encoded: np.ndarray) -> np.ndarray:
    """Linear light (0 ... 1, float64) of sRGB-encoded values in 0 ... 1."""
    c = np.asarray(encoded, dtype=np.float64)
    return np.where(c <= SRGB_ENCODED_KNEE, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """sRGB-encoded values (0 ... 1, float64) of linear light in 0 ... 1 (clipped)."""
    c = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= SRGB_LINEAR_KNEE, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


def composite_over_photo(render_rgba: np.ndarray, photo_rgb: np.ndarray) -> np.ndarray:
    """The render laid over the photo: ``out = alpha * render + (1 - alpha) * photo`` in linear light.

    :param render_rgba: uint8 (H, W, 4), straight alpha (see the module docstring).
    :param photo_rgb: uint8 (H, W, 3), the same size.
    :returns: uint8 (H, W, 3).
    :raises ValueError: the shapes do not match.
    """
    if render_rgba.ndim != 3 or render_rgba.shape[2] != 4 or render_rgba.shape[:2] != photo_rgb.shape[:2]:
        raise ValueError(f"render {render_rgba.shape} and photo {photo_rgb.shape} do not match")
    alpha = render_rgba[..., 3:4].astype(np.float64) / 255.0
    render = srgb_to_linear(render_rgba[..., :3] / 255.0)
    photo = srgb_to_linear(photo_rgb[..., :3] / 255.0)
    out = alpha * render + (1.0 - alpha) * photo
    return np.rint(linear_to_srgb(out) * 255.0).astype(np.uint8)
