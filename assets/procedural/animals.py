"""Four-legged animals: a dog and a cat standing on four legs, facing +y (metres).

An animal is a sum of ellipsoids (chest, rump, head, nose, eyes), capsules (neck,
snout, leg segments, tail), domes (paws on the ground) and flat ears; it is built
to within a few per cent of its declared size and stretched to it exactly
(:func:`.primitives.fit_to_size`). Their numbers are in ``parameters.yaml``
(kind ``quadruped``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import trimesh

from .params import AssetParams
from .primitives import add_parts, both_sides, capsule, chain, dome, ellipsoid, hull, unit


@dataclasses.dataclass(frozen=True)
class Blob:
    """An axis-aligned ellipsoid on the mid-plane: centre (y, z) and radii (x, y, z), metres."""

    centre_yz: tuple[float, float]
    radii: tuple[float, float, float]

    def solid(self) -> trimesh.Trimesh:
        return ellipsoid((0.0, *self.centre_yz), self.radii)


@dataclasses.dataclass(frozen=True)
class Leg:
    """One leg of a pair (the other is mirrored): joints (y, z) from the body down, a radius per joint,
    and a paw (a dome on the ground) centred at ``paw_y`` with radii (x, y, z); metres."""

    x_m: float
    joints_yz: tuple[tuple[float, float], ...]
    radii_m: tuple[float, ...]
    paw_y_m: float
    paw_radii_m: tuple[float, float, float]


@dataclasses.dataclass(frozen=True)
class Ear:
    """One ear of a pair: a flat flap from its root (x, y, z) to its tip, ``width_m`` wide at the
    root, ``taper`` times that at the tip, lying in the plane normal to ``normal`` (metres)."""

    root: tuple[float, float, float]
    tip: tuple[float, float, float]
    width_m: float
    taper: float
    thickness_m: float
    normal: tuple[float, float, float]

    def solid(self) -> trimesh.Trimesh:
        root, tip = np.asarray(self.root), np.asarray(self.tip)
        normal = unit(self.normal)
        across = unit(np.cross(normal, tip - root))
        t = normal * self.thickness_m / 2
        points = [
            centre + sa * across * w / 2 + st * t
            for centre, w in ((root, self.width_m), (tip, self.width_m * self.taper))
            for sa in (-1, 1) for st in (-1, 1)
        ]
        return hull(points)


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuadrupedParams(AssetParams):
    """A dog or a cat standing on four legs, facing +y (metres); the shape is a sum of ellipsoids and capsules."""

    chest: Blob
    rump: Blob
    head: Blob
    neck_radius_m: float
    snout_yz: tuple[tuple[float, float], tuple[float, float]]  # root and tip of the snout (muzzle)
    snout_radii_m: tuple[float, float]
    nose_radius_m: float
    eye: tuple[float, float, float]  # right eye centre (x, y, z); the left is mirrored
    eye_radius_m: float
    ear: Ear  # right ear; the left is mirrored
    front_leg: Leg
    hind_leg: Leg
    tail_yz: tuple[tuple[float, float], ...]
    tail_radii_m: tuple[float, ...]
    ear_part: str = "fur"  # part of the ears (a darker fur shows floppy ears against the head)

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return quadruped_parts(self)


def quadruped_parts(q: QuadrupedParams) -> dict[str, list[trimesh.Trimesh]]:
    """All solids of a four-legged animal: fur (body, head, legs, tail), ears, nose and eyes."""
    body = hull(np.vstack([q.chest.solid().vertices, q.rump.solid().vertices]))
    head = q.head.solid()
    chest_top = (0.0, q.chest.centre_yz[0] + q.chest.radii[1] / 2, q.chest.centre_yz[1] + q.chest.radii[2] / 2)
    neck = capsule(chest_top, (0.0, *q.head.centre_yz), q.neck_radius_m, q.neck_radius_m)
    snout_root, snout_tip = ((0.0, *yz) for yz in q.snout_yz)
    snout = capsule(snout_root, snout_tip, *q.snout_radii_m)
    nose_centre = np.asarray(snout_tip) + (0.0, q.snout_radii_m[1], q.snout_radii_m[1] / 3)
    nose = ellipsoid(nose_centre, (q.nose_radius_m * 1.3, q.nose_radius_m, q.nose_radius_m))
    eye = ellipsoid(q.eye, (q.eye_radius_m,) * 3)
    legs = []
    for leg in (q.front_leg, q.hind_leg):
        points = [(leg.x_m, y, z) for y, z in leg.joints_yz]
        legs += chain(points, leg.radii_m)
        legs.append(dome((leg.x_m, leg.paw_y_m, 0.0), leg.paw_radii_m))
    legs = [solid for leg in legs for solid in both_sides(leg)]
    tail = chain([(0.0, y, z) for y, z in q.tail_yz], q.tail_radii_m)
    fur = [body, neck, head, snout, *legs, *tail]
    parts = {"fur": fur, "nose": [nose], "eye": both_sides(eye)}
    return add_parts(parts, {q.ear_part: both_sides(q.ear.solid())})
