"""Geometric primitives and generic solids (metres, radians where an angle is an argument).

Every solid is a convex hull (closed, outward normals, flat shaded) built by
:func:`hull`; the helpers make boxes, prisms, discs, beams, ellipsoids, capsules,
rods, rings and lofts from it, and move, mirror or clip such solids.
:func:`fit_to_size` stretches a non-vehicle asset onto its declared bounding box.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import trimesh

from .constants import (
    GROUND_SNAP_M,
    MAX_FIT_STRETCH,
    QHULL_OPTIONS,
    ROUND_SEGMENTS,
    SPHERE_RINGS,
    TYRE_SEGMENTS,
)
from .params import AssetParams


# --- hulls, boxes and clipping (used by every asset)


def hull(points: Iterable[Sequence[float]] | np.ndarray) -> trimesh.Trimesh:
    """Closed convex solid (outward normals) around ``points`` (metres).

    Uses qhull's default options: trimesh's default ("QbB Pp") leaves zero-area
    facets, and so holes, on hulls with nearly coincident points.
    """
    solid = trimesh.convex.convex_hull(np.asarray(points, dtype=np.float64), qhull_options=QHULL_OPTIONS)
    if not (solid.is_watertight and solid.volume > 0.0):
        raise ValueError("degenerate convex hull")
    return solid


def box(x: tuple[float, float], y: tuple[float, float], z: tuple[float, float]) -> trimesh.Trimesh:
    """Axis-aligned box spanning the given (min, max) ranges (metres)."""
    return hull([(xi, yi, zi) for xi in x for yi in y for zi in z])


def mirror_x(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Mirror a convex solid to the other side (x -> -x); it stays closed and outward."""
    return hull(mesh.vertices * np.array([-1.0, 1.0, 1.0]))


def both_sides(mesh: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    """A solid built on the +x side and its mirror image."""
    return [mesh, mirror_x(mesh)]


def clip_convex(mesh: trimesh.Trimesh, normal: Sequence[float], point: Sequence[float]) -> trimesh.Trimesh:
    """Part of a convex solid on the side ``dot(v - point, normal) >= 0`` (a closed convex solid)."""
    normal = np.asarray(normal, dtype=np.float64)
    vertices = mesh.vertices.view(np.ndarray)
    dist = (vertices - np.asarray(point, dtype=np.float64)) @ normal
    kept = vertices[dist >= 0.0]
    edges = mesh.edges_unique
    d0, d1 = dist[edges[:, 0]], dist[edges[:, 1]]
    crossing = d0 * d1 < 0.0
    t = (d0[crossing] / (d0[crossing] - d1[crossing]))[:, None]
    v0, v1 = vertices[edges[crossing, 0]], vertices[edges[crossing, 1]]
    return hull(np.vstack([kept, v0 + t * (v1 - v0)]))


def clip_y(mesh: trimesh.Trimesh, y_min: float, y_max: float) -> trimesh.Trimesh:
    """Part of a convex solid with y_min <= y <= y_max (metres)."""
    lower = clip_convex(mesh, (0.0, 1.0, 0.0), (0.0, y_min, 0.0))
    return clip_convex(lower, (0.0, -1.0, 0.0), (0.0, y_max, 0.0))


def chamfered_prism(profile_yz: Sequence[tuple[float, float]], half_width: float, chamfer: float) -> trimesh.Trimesh:
    """Side profile (y, z) extruded over x in [-half_width, half_width] with chamfered side edges (metres).

    The full profile sits at |x| = half_width - chamfer, a copy shrunk by
    ``chamfer`` towards its centroid at |x| = half_width, so the extents are exact.
    """
    profile = np.asarray(profile_yz, dtype=np.float64)
    centre = profile.mean(axis=0)
    towards_centre = centre - profile
    towards_centre /= np.linalg.norm(towards_centre, axis=1, keepdims=True)
    shrunk = profile + chamfer * towards_centre
    points = [(sx * (half_width - chamfer), y, z) for sx in (-1, 1) for y, z in profile]
    points += [(sx * half_width, y, z) for sx in (-1, 1) for y, z in shrunk]
    return hull(points)


def disc_x(x_range: tuple[float, float], centre_yz: tuple[float, float], radius: float) -> trimesh.Trimesh:
    """Cylinder with its axis along x, TYRE_SEGMENTS facets, a flat facet at the bottom (metres).

    ``radius`` is the circumradius; the bottom facet lies at ``centre_z - radius * cos(pi / n)``.
    """
    n = TYRE_SEGMENTS
    angles = -math.pi / 2 + math.pi / n + 2 * math.pi * np.arange(n) / n
    y = centre_yz[0] + radius * np.cos(angles)
    z = centre_yz[1] + radius * np.sin(angles)
    z[np.abs(z) < GROUND_SNAP_M] = 0.0
    return hull([(x, yi, zi) for x in x_range for yi, zi in zip(y, z)])


def beam(p0: Sequence[float], p1: Sequence[float], thickness: float) -> trimesh.Trimesh:
    """Square beam swept between two points, ``thickness`` wide on every axis (metres)."""
    half = thickness / 2
    corners = np.array([(sx, sy, sz) for sx in (-half, half) for sy in (-half, half) for sz in (-half, half)])
    return hull(np.vstack([np.asarray(p0) + corners, np.asarray(p1) + corners]))


# --- round solids and placement (the non-vehicle assets)


def unit(vector: Sequence[float]) -> np.ndarray:
    """``vector`` scaled to length 1."""
    v = np.asarray(vector, dtype=np.float64)
    return v / np.linalg.norm(v)


def perpendicular_basis(axis: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to ``axis`` and to each other (for an axis along z: +y and -x)."""
    a = unit(axis)
    reference = np.array([1.0, 0.0, 0.0]) if abs(a[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    u = unit(np.cross(a, reference))
    return u, np.cross(a, u)


def circle_points(centre: Sequence[float], axis: Sequence[float], radius: float, n: int = ROUND_SEGMENTS) -> np.ndarray:
    """``n`` points (metres) on a circle round ``centre`` in the plane normal to ``axis``."""
    u, v = perpendicular_basis(axis)
    angles = 2 * math.pi * np.arange(n) / n
    return np.asarray(centre, dtype=np.float64) + radius * (np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * v)


def ellipsoid_points(centre: Sequence[float], radii: Sequence[float]) -> np.ndarray:
    """Points (metres) on an axis-aligned ellipsoid: both poles and SPHERE_RINGS rings of ROUND_SEGMENTS."""
    latitudes = math.pi * (np.arange(1, SPHERE_RINGS + 1) / (SPHERE_RINGS + 1) - 0.5)
    longitudes = 2 * math.pi * np.arange(ROUND_SEGMENTS) / ROUND_SEGMENTS
    lat, lon = (a.ravel() for a in np.meshgrid(latitudes, longitudes, indexing="ij"))
    directions = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    directions = np.vstack([[0.0, 0.0, -1.0], directions, [0.0, 0.0, 1.0]])
    return np.asarray(centre, dtype=np.float64) + directions * np.asarray(radii, dtype=np.float64)


def ellipsoid(centre: Sequence[float], radii: Sequence[float]) -> trimesh.Trimesh:
    """Axis-aligned ellipsoid (metres); its extents are exactly centre +- radii."""
    return hull(ellipsoid_points(centre, radii))


def dome(centre: Sequence[float], radii: Sequence[float]) -> trimesh.Trimesh:
    """Upper half of an ellipsoid: flat bottom at the centre's height (paws, feet on the ground)."""
    points = ellipsoid_points(centre, radii)
    points[:, 2] = np.maximum(points[:, 2], centre[2])
    return hull(points)


def capsule(p0: Sequence[float], p1: Sequence[float], r0: float, r1: float) -> trimesh.Trimesh:
    """Tapered capsule: the hull of a ball of radius r0 at p0 and one of r1 at p1 (metres)."""
    return hull(np.vstack([ellipsoid_points(p0, (r0, r0, r0)), ellipsoid_points(p1, (r1, r1, r1))]))


def chain(points: Sequence[Sequence[float]], radii: Sequence[float]) -> list[trimesh.Trimesh]:
    """Capsules joining consecutive points (a limb or a tail); ``radii`` per point (metres)."""
    return [capsule(points[i], points[i + 1], radii[i], radii[i + 1]) for i in range(len(points) - 1)]


def rod(
    p0: Sequence[float], p1: Sequence[float], r0: float, r1: float | None = None, n: int = ROUND_SEGMENTS
) -> trimesh.Trimesh:
    """Round rod (or frustum, if r1 differs) from p0 to p1 with flat ends (metres)."""
    axis = np.asarray(p1, dtype=np.float64) - np.asarray(p0, dtype=np.float64)
    r1 = r0 if r1 is None else r1
    return hull(np.vstack([circle_points(p0, axis, r0, n), circle_points(p1, axis, r1, n)]))


def post(p0: Sequence[float], p1: Sequence[float], half_x: float, half_y: float) -> trimesh.Trimesh:
    """Square post between two points, horizontal cross-section 2 half_x by 2 half_y (metres)."""
    corners = np.array([(sx * half_x, sy * half_y, 0.0) for sx in (-1, 1) for sy in (-1, 1)])
    return hull(np.vstack([np.asarray(p0) + corners, np.asarray(p1) + corners]))


def ellipse_points(centre: Sequence[float], rx: float, ry: float) -> np.ndarray:
    """ROUND_SEGMENTS points (metres) on a horizontal ellipse with x and y radii rx, ry."""
    angles = 2 * math.pi * np.arange(ROUND_SEGMENTS) / ROUND_SEGMENTS
    x, y = centre[0] + rx * np.cos(angles), centre[1] + ry * np.sin(angles)
    return np.column_stack([x, y, np.full(angles.shape, centre[2])])


def loft(sections: Sequence[tuple[Sequence[float], float, float]]) -> trimesh.Trimesh:
    """Hull of horizontal ellipses, each (centre, x radius, y radius) in metres (a torso)."""
    return hull(np.vstack([ellipse_points(c, rx, ry) for c, rx, ry in sections]))


def annulus(
    centre: Sequence[float],
    plane: tuple[Sequence[float], Sequence[float]],
    radii: tuple[float, float],
    thickness: float,
    n: int,
    phase: float = 0.0,
) -> list[trimesh.Trimesh]:
    """Flat ring (inner, outer radius) round ``centre`` in the plane of two unit vectors, as n convex segments.

    The ring is ``thickness`` thick along the plane's normal; point k of the outer
    polygon lies at angle ``phase + 2 pi k / n`` from the first plane vector (metres, radians).
    """
    u, v = (np.asarray(w, dtype=np.float64) for w in plane)
    normal = np.cross(u, v) * thickness / 2
    centre = np.asarray(centre, dtype=np.float64)
    angles = phase + 2 * math.pi * np.arange(n + 1) / n
    segments = []
    for a0, a1 in zip(angles[:-1], angles[1:]):
        points = [
            centre + side * normal + r * (math.cos(a) * u + math.sin(a) * v)
            for side in (-1, 1) for r in radii for a in (a0, a1)
        ]
        segments.append(hull(points))
    return segments


def wheel_ring(axle: Sequence[float], radii: tuple[float, float], thickness: float) -> list[trimesh.Trimesh]:
    """A bicycle tyre or rim: ring in the y-z plane round ``axle`` (x, y, z), TYRE_SEGMENTS segments.

    As with :func:`disc_x`, a flat facet is at the bottom; heights within GROUND_SNAP_M of 0 are set to 0.
    """
    phase = -math.pi / 2 + math.pi / TYRE_SEGMENTS
    snapped = []
    for segment in annulus(axle, ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), radii, thickness, TYRE_SEGMENTS, phase):
        v = segment.vertices.view(np.ndarray).copy()
        v[np.abs(v[:, 2]) < GROUND_SNAP_M, 2] = 0.0
        snapped.append(trimesh.Trimesh(vertices=v, faces=segment.faces, process=False))
    return snapped


def rotation_x(angle_rad: float) -> np.ndarray:
    """3x3 rotation about the x axis; a positive angle turns +z towards -y."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def moved(mesh: trimesh.Trimesh, rotation: np.ndarray, offset: Sequence[float]) -> trimesh.Trimesh:
    """A solid rotated about the origin and then shifted by ``offset`` (stays closed and outward)."""
    vertices = mesh.vertices.view(np.ndarray) @ rotation.T + np.asarray(offset, dtype=np.float64)
    return trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)


def bend(
    root: Sequence[float], end: Sequence[float], upper: float, lower: float, towards: Sequence[float]
) -> np.ndarray:
    """Middle joint (knee, elbow) of a two-segment limb from ``root`` to ``end`` (metres).

    The joint lies in the plane of the limb and the direction ``towards`` and on its
    side; a limb too short to reach is straightened, its joint on the straight line.
    """
    a, b = np.asarray(root, dtype=np.float64), np.asarray(end, dtype=np.float64)
    span = np.linalg.norm(b - a)
    along_axis = (b - a) / span
    if span >= upper + lower:
        return a + along_axis * span * upper / (upper + lower)
    along = (upper**2 - lower**2 + span**2) / (2 * span)
    side = np.asarray(towards, dtype=np.float64)
    side = unit(side - (side @ along_axis) * along_axis)
    return a + along * along_axis + math.sqrt(max(upper**2 - along**2, 0.0)) * side


def add_parts(
    into: dict[str, list[trimesh.Trimesh]], more: Mapping[str, Sequence[trimesh.Trimesh]]
) -> dict[str, list[trimesh.Trimesh]]:
    """Append the solids of ``more`` to the parts of the same name in ``into`` (new parts go last); returns ``into``."""
    for name, solids in more.items():
        into.setdefault(name, []).extend(solids)
    return into


def fit_to_size(parts: dict[str, list[trimesh.Trimesh]], p: AssetParams) -> dict[str, list[trimesh.Trimesh]]:
    """Shift the solids onto the origin (footprint centre, lowest point at z = 0) and stretch them to size.

    Raises ValueError if an axis needs more than MAX_FIT_STRETCH: the parameters must
    describe the object, the stretch only absorbs what the rounded shapes leave over.
    """
    vertices = np.vstack([solid.vertices for solids in parts.values() for solid in solids])
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    target = np.array([p.width_m, p.length_m, p.height_m])
    scale = target / (hi - lo)
    if np.abs(scale - 1.0).max() > MAX_FIT_STRETCH:
        raise ValueError(f"{p.asset_id}: built size {np.round(hi - lo, 4)} (x, y, z) is too far from {target}")
    origin = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])

    def fitted(solid: trimesh.Trimesh) -> trimesh.Trimesh:
        v = (solid.vertices.view(np.ndarray) - origin) * scale
        v[np.abs(v[:, 2]) < GROUND_SNAP_M, 2] = 0.0
        return trimesh.Trimesh(vertices=v, faces=solid.faces, process=False)

    return {name: [fitted(solid) for solid in solids] for name, solids in parts.items()}

