"""Painted lines that converge or diverge on the flat road: the false vanishing point of the
linear-perspective experiment (scenes/design/perspective.py).

A marking point at ground position (x, y) (metres; x right of the camera, y ahead) is painted at
``(x (1 + t y), y)``: every line ``x = x0`` becomes the straight line ``x = x0 + x0 t y``, and all
of them meet where ``1 + t y = 0``.  For a level camera at height H with focal length f (px)
their images meet ``f H t`` px above the true horizon (t > 0, lines diverging ahead: the
vanishing point above the horizon; t < 0, converging: below it, where they meet at
``y = 1 / |t|`` on the ground).  The road surface, the verges and their edges stay as they are,
flat and level at z = 0.  Converging lines end at ``CONVERGING_END_FRACTION / |t|`` ahead (where
they are a fifth of their width apart from the camera's axis), before they would cross.
"""
from __future__ import annotations

import numpy as np

#: Converging lines end where ``1 + t y`` = 1 - this fraction (they would meet at 1).
CONVERGING_END_FRACTION = 0.8


def marking_end_m(taper_per_m: float, far_m: float) -> float:
    """How far ahead (m) the tapered markings reach: ``far_m``, or less for converging lines."""
    if taper_per_m < 0:
        return min(far_m, CONVERGING_END_FRACTION / -taper_per_m)
    return far_m


def tapered_quads(rects: list[tuple[float, float, float, float]], taper_per_m: float,
                  lift_m: float) -> list[tuple[np.ndarray, list[list[int]]]]:
    """The quads (vertices (4, 3), faces) of axis-aligned marking rectangles ``(x0, x1, y0, y1)``
    (m) painted with lateral taper ``taper_per_m`` (1/m), ``lift_m`` above the road; rectangles
    beyond :func:`marking_end_m` are cut there or left out."""
    end = marking_end_m(taper_per_m, max((r[3] for r in rects), default=0.0))
    quads = []
    for x0, x1, y0, y1 in rects:
        y1 = min(y1, end)
        if y1 <= y0:
            continue
        near, far = 1.0 + taper_per_m * y0, 1.0 + taper_per_m * y1
        v = np.array([[x0 * near, y0, lift_m], [x1 * near, y0, lift_m], [x1 * far, y1, lift_m],
                      [x0 * far, y1, lift_m]])
        quads.append((v, [[0, 1, 2, 3]]))
    return quads
