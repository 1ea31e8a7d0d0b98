"""Compositing a render over a photograph: the object's alpha, and the shadow as a multiplier.

The render comes from Cycles with a transparent film over a shadow-catcher road plane
(generator/photo_world.py): where the object is, alpha is 1 and the colour is the object's;
where only its shadow falls, the colour is black and alpha is the shadow's opacity, 1 minus the
fraction of light the object leaves on the road (Cycles computes the catcher as the ratio of
the light with and without the object).  Composited in linear light, a shadowed photo pixel is
the photo times that fraction -- what the same shadow does to a rendered road -- and an edge
pixel of the object blends object and photo by its coverage.

Colours are 8-bit sRGB in and out (the transfer curve of scenes/geometry/colour.py); alpha is straight (not
premultiplied), as PNG stores it.
"""
from __future__ import annotations

import numpy as np

from scenes.geometry import linear_to_srgb, srgb_to_linear

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
