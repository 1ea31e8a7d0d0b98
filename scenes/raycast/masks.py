"""Per-object instance-mask check of ``depthprobe verify`` (scenes/raycast/verify.py).

The frame-wide agreement (the share of all pixels whose stored instance id equals the re-cast
one) cannot see a small object: erasing one object of 0.4 % of the image from its mask leaves
99.6 % of the pixels agreeing.  So each object is also checked on its own: over the pixels
either mask gives it (stored id k or re-cast id k) away from edges (pixels within 1 px of a depth
or instance discontinuity, where Cycles and the re-cast may legitimately differ), the share on
which both masks agree must be at least :data:`MIN_OBJECT_MASK_AGREEMENT`.
"""
from __future__ import annotations

import numpy as np

#: Least share of an object's pixels away from edges on which its stored and re-cast masks agree.
#: Away from edges both computations hit the same triangle, so an intact set agrees on all of
#: them (measured: 100 % on every synthetic and rendered test set); 0.95 leaves room for
#: float32 rounding of pixel centres on a crease.
MIN_OBJECT_MASK_AGREEMENT = 0.95


def object_mask_agreement(stored: np.ndarray, recast: np.ndarray, near_edge: np.ndarray) -> dict[int, float]:
    """Object id -> share (0 ... 1) of its pixels away from ``near_edge`` on which ``stored`` and
    ``recast`` (instance ids, (H, W); 0 = no object) agree about it; every id > 0 in either mask
    with such pixels (an object with none, all edge, is not judged)."""
    inside = ~near_edge
    found = {}
    for k in np.union1d(np.unique(stored[inside]), np.unique(recast[inside])):
        if k <= 0:
            continue
        in_stored, in_recast = (stored == k) & inside, (recast == k) & inside
        either = int((in_stored | in_recast).sum())
        found[int(k)] = float((in_stored & in_recast).sum()) / either
    return found


def object_mask_problems(agreement: dict[int, float]) -> list[str]:
    """One line per object below :data:`MIN_OBJECT_MASK_AGREEMENT`, e.g. ``"instance mask of
    object 2: 0.00% of its pixels agree with the geometry (< 95%)"``."""
    return [f"instance mask of object {k}: {value:.2%} of its pixels agree with the geometry "
            f"(< {MIN_OBJECT_MASK_AGREEMENT:.0%})" for k, value in sorted(agreement.items())
            if value < MIN_OBJECT_MASK_AGREEMENT]
