"""Road relief for the shading experiment (issue 19, shape from shading): a raised plate, like a
speed table, whose top carries a dome (a bump) or a dish of the same profile (a dent) that stays
above the road, so the road plane needs no hole (kind ``relief``).

The top is a height field over a regular grid: ``top_m + sign * relief_m * p(r)`` with the raised
cosine ``p(r) = (1 + cos(pi r / radius_m)) / 2`` for ``r < radius_m`` (0 outside), so the rim
around the relief is flat and level; the plate's sides are vertical and its bottom lies on z = 0.
Metres; built exactly to size (no stretch).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import trimesh

from .params import AssetParams


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReliefParams(AssetParams):
    """A square plate (``width_m`` x ``length_m``) with a bump (sign +1) or a dent (sign -1) on top."""

    top_m: float  # height of the plate's flat rim above the road
    relief_m: float  # height of the dome's top above the rim (or depth of the dish below it)
    radius_m: float  # radius of the dome or dish
    sign: int  # +1 bump, -1 dent
    grid: int  # cells of the top's height field along each side
    part: str  # part name (material)

    exact: ClassVar[bool] = True

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return {self.part: [relief_plate(self)]}


def relief_height(p: ReliefParams, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Height (m) of the plate's top at (x, y), metres from its centre."""
    r = np.hypot(x, y)
    profile = np.where(r < p.radius_m, 0.5 * (1.0 + np.cos(np.pi * np.minimum(r / p.radius_m, 1.0))), 0.0)
    return p.top_m + p.sign * p.relief_m * profile


def relief_plate(p: ReliefParams) -> trimesh.Trimesh:
    """The closed plate: height-field top, flat bottom on z = 0, four vertical sides (outward faces)."""
    n = p.grid
    xs = np.linspace(-p.width_m / 2, p.width_m / 2, n + 1)
    ys = np.linspace(-p.length_m / 2, p.length_m / 2, n + 1)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")  # [i, j]: x index i, y index j
    top = np.column_stack([gx.ravel(), gy.ravel(), relief_height(p, gx, gy).ravel()])
    bottom = np.column_stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)])
    index = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = index[:-1, :-1], index[1:, :-1], index[1:, 1:], index[:-1, 1:]  # counter-clockwise from above
    quads = np.stack([a, b, c, d], axis=-1).reshape(-1, 4)
    faces = [quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]  # top, facing up
    off = top.shape[0]
    faces += [quads[:, [0, 2, 1]] + off, quads[:, [0, 3, 2]] + off]  # bottom, facing down
    ring = np.concatenate([index[:, 0], index[-1, 1:], index[-2::-1, -1], index[0, -2:0:-1]])  # counter-clockwise
    nxt = np.roll(ring, -1)
    faces += [np.column_stack([ring, ring + off, nxt]), np.column_stack([nxt, ring + off, nxt + off])]
    return trimesh.Trimesh(vertices=np.vstack([top, bottom]), faces=np.vstack(faces), process=False)
