"""Catalog meshes as plain arrays, shared by the Blender builder and the ray-casting preview.

An asset file (GLB, OBJ or PLY, built by assets/build_meshes.py) holds one node per part
(``paint``, ``glass``, ``tyre``, ...) in the asset frame: metres, z up, +y forward, origin at
the footprint centre on the ground.  :func:`load_asset_mesh` reads it with trimesh (node
transforms applied) into one vertex and face array with a part index per face;
generator/objects.py turns that into a Blender mesh with a material per part, scenes/raycast/preview.py
ray-casts it.  Both place it with the placement transform of :func:`placement_matrix` (the
matrix of ``ObjectPlacement.to_world``) and take its image contact point from
:func:`ground_contact`.

Pure Python: numpy, and trimesh imported on first use.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scenes.errors import CatalogError

if TYPE_CHECKING:  # scenes.design.frames imports the catalog and the specs; only types are needed here
    from scenes.geometry import Camera
    from scenes.design.frames import ObjectPlacement

#: Vertices this close to a mesh's lowest point (m, asset frame, before scaling) touch the
#: ground: assets/build_meshes.py puts the lowest point (tyre facets, soles, paws, legs) on
#: z = 0, and tests/test_assets.py checks that band (its CONTACT_BAND_M, also 1 mm).
CONTACT_TOLERANCE_M = 1e-3
#: Linear RGB of a part whose file gives no colour (mid grey).
DEFAULT_PART_RGB = (0.5, 0.5, 0.5)


@dataclass(frozen=True)
class MeshPart:
    """One part (trimesh geometry node) of an asset file.

    :ivar name: the geometry's name in the file (``paint``, ``glass.001``, ``tyre_0`` ...).
    :ivar rgb: its colour stored in the file, linear RGB in [0, 1] (see :func:`part_colour`).
    """

    name: str
    rgb: tuple[float, float, float]


@dataclass(frozen=True)
class AssetMesh:
    """A catalog mesh in its asset frame (metres, z up, origin at the footprint centre).

    :ivar vertices: (N, 3) float64, metres.
    :ivar faces: (M, 3) int64 triangles (indices into ``vertices``).
    :ivar contact_vertices: (K, 3) float64: the vertices within CONTACT_TOLERANCE_M of the
        lowest point, moved down by that lowest height (so their z is in [0, 1 mm]).
    :ivar parts: the file's parts, in file order.
    :ivar face_part: (M,) int64, index into ``parts`` of each face.
    """

    vertices: np.ndarray
    faces: np.ndarray
    contact_vertices: np.ndarray
    parts: tuple[MeshPart, ...]
    face_part: np.ndarray

    @property
    def extent(self) -> np.ndarray:
        """(width, length, height) of the mesh's axis-aligned box, metres (float64 (3,))."""
        return self.vertices.max(0) - self.vertices.min(0)


def part_colour(geometry: Any) -> tuple[float, float, float]:
    """Linear RGB in [0, 1] of a trimesh part: its material's base colour or its main face colour.

    A base colour is read as 0..255 only if a channel exceeds 1; DEFAULT_PART_RGB when the
    file gives neither.
    """
    visual = geometry.visual
    color = None
    material = getattr(visual, "material", None)
    if material is not None and getattr(material, "baseColorFactor", None) is not None:
        color = np.asarray(material.baseColorFactor[:3], float)
        color = color / 255.0 if color.max() > 1.0 else color
    elif getattr(visual, "kind", None) in ("face", "vertex"):
        color = visual.main_color[:3] / 255.0
    return tuple(color) if color is not None else DEFAULT_PART_RGB


def read_asset_mesh(path: Path | str) -> AssetMesh:
    """Read a GLB/OBJ/PLY mesh with trimesh (node transforms applied), uncached.

    :raises CatalogError: the file cannot be read as a mesh or holds none.
    """
    import trimesh

    try:
        scene = trimesh.load(path, force="scene")
    except Exception as exc:
        raise CatalogError(f"{path}: cannot be read as a mesh ({type(exc).__name__}: {exc})") from None
    verts, faces, face_part, parts, offset = [], [], [], [], 0
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geometry = scene.geometry[geom_name].copy()
        geometry.apply_transform(transform)
        parts.append(MeshPart(geom_name, part_colour(geometry)))
        verts.append(np.asarray(geometry.vertices, dtype=np.float64))
        faces.append(np.asarray(geometry.faces, dtype=np.int64) + offset)
        face_part.append(np.full(len(geometry.faces), len(parts) - 1, dtype=np.int64))
        offset += len(geometry.vertices)
    if not verts:
        raise CatalogError(f"{path}: holds no mesh")
    all_verts = np.concatenate(verts)
    low = all_verts[:, 2].min()
    contact = all_verts[all_verts[:, 2] <= low + CONTACT_TOLERANCE_M] - [0.0, 0.0, low]
    return AssetMesh(all_verts, np.concatenate(faces), contact, tuple(parts), np.concatenate(face_part))


_MESH_CACHE: dict[tuple[str, int, int], AssetMesh] = {}


def load_asset_mesh(path: Path | str) -> AssetMesh:
    """:func:`read_asset_mesh`, cached per file version (path, modification time, size).

    The arrays are shared between callers: do not modify them.

    :raises CatalogError: the file is missing, cannot be read as a mesh or holds none.
    """
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except OSError:
        raise CatalogError(f"{path}: mesh file is missing") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _MESH_CACHE:
        _MESH_CACHE[key] = read_asset_mesh(path)
    return _MESH_CACHE[key]


def placement_matrix(placement: "ObjectPlacement") -> np.ndarray:
    """The 4x4 asset-to-world matrix (float64, metres) of ``ObjectPlacement.to_world``.

    ``to_world`` scales by ``scale``, turns by ``yaw_deg`` (degrees, counter-clockwise seen
    from above) about z and moves to (x_m, y_m, elevation_m).  The upper-left 3x3 block holds
    the images of the asset axes under that map (to_world of the unit vectors, for a copy of
    the placement at the origin, so no rounding enters), the last column the position.  The
    Blender object gets this matrix; the preview moves vertices with ``to_world`` itself.
    """
    at_origin = replace(placement, x_m=0.0, y_m=0.0, elevation_m=0.0)
    m = np.eye(4)
    m[:3, :3] = at_origin.to_world(np.eye(3)).T
    m[:3, 3] = placement.to_world(np.zeros(3))
    return m


def ground_contact(placement: "ObjectPlacement", mesh: AssetMesh, camera: "Camera",
                   min_depth_m: float | None = None) -> tuple[float, float]:
    """(image row in pixels, z-depth in metres) of the placed mesh's ground-contact vertex lowest in the image.

    Computed from the geometry, not a render: ``mesh.contact_vertices`` moved with
    ``placement.to_world`` and projected with ``camera``; of those in front of the camera the
    one with the largest row (rows grow downward; pixel centres at integers) is returned.

    :param min_depth_m: if given and any contact vertex is nearer than this to the camera
        plane (m), return (nan, the smallest z-depth) instead.
    :raises ValueError: every contact vertex lies behind the camera (and ``min_depth_m`` is None).
    """
    _, v, z = camera.project(placement.to_world(mesh.contact_vertices))
    if min_depth_m is not None and np.any(z < min_depth_m):
        return float("nan"), float(z.min())
    k = int(np.nanargmax(v))
    return float(v[k]), float(z[k])
