"""One float64 ray caster over triangle meshes, shared by the preview (``validate --preview``) and
the ground-truth check (``verify``).

open3d's RaycastingScene (Embree) takes float32 vertices and rays and returns float32 hit
distances: about 1.5e-7 relative error on the road and the objects (measured at 640x192), more
at grazing incidence.  Each hit's ray parameter is recomputed in float64 against the plane of the
triangle it hit, so depths are exact to float64 rounding; only which triangle a ray very near an
edge hits is decided in float32.  Rays through pixel centres have camera-z component 1
(:meth:`scenes.geometry.Camera.pixel_rays`), so a hit's ray parameter is its z-depth in metres.

Runs without Blender: numpy and open3d (a compiled library, imported on first use by
:mod:`scenes.raycast.open3d_runtime`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from scenes.raycast.open3d_runtime import load_open3d

#: Geometry id open3d reports for a ray that hits nothing (``RaycastingScene.INVALID_ID``, 2**32 - 1).
INVALID_GEOMETRY_ID = 0xFFFFFFFF
#: Largest relative difference (of max(t, 1 m)) between the float64 refinement and Embree's float32
#: ray parameter for the refinement to be kept; beyond it (a grazing hit, an ill-conditioned plane)
#: Embree's value stands.
REFINEMENT_TOLERANCE = 1e-3


class PixelCamera(Protocol):
    """A camera that gives the rays through its pixel centres (:class:`scenes.geometry.Camera`,
    :class:`scenes.formats.CameraGeometry`)."""

    width: int
    height: int

    def pixel_rays(self) -> tuple[np.ndarray, np.ndarray]:
        """Origin (3,) and directions (width * height, 3), row-major, camera-z component 1."""


@dataclass(frozen=True)
class Hits:
    """What each ray hit, float64 (arrays (N,), or (H, W) from :meth:`RayCaster.cast_image`).

    :ivar t: ray parameter of the hit (z-depth in metres for pixel rays), +inf where nothing is hit.
    :ivar geometry: index of the mesh hit (its place in the caster's meshes), -1 for none.
    :ivar normal: (..., 3) normal of the triangle hit (not unit; 0 where none).
    :ivar offset: ``normal . x`` of that triangle's plane (0 where none).
    :ivar origin: (3,) the rays' origin, world metres.
    :ivar directions: (..., 3) the rays' directions.
    """

    t: np.ndarray
    geometry: np.ndarray
    normal: np.ndarray
    offset: np.ndarray
    origin: np.ndarray
    directions: np.ndarray

    def reshaped(self, height: int, width: int) -> "Hits":
        """The same hits as (height, width) images (vectors as (height, width, 3))."""
        shape = (height, width)
        return Hits(self.t.reshape(shape), self.geometry.reshape(shape), self.normal.reshape(shape + (3,)),
                    self.offset.reshape(shape), self.origin, self.directions.reshape(shape + (3,)))


class RayCaster:
    """An open3d RaycastingScene over meshes given in float64, with float64 hit refinement.

    :param meshes: per mesh, world vertices (V, 3) in metres and triangles (F, 3) of vertex indices;
        a hit's ``geometry`` is the mesh's index in this sequence.
    :param feature: what needs open3d, for the one-line error where it cannot be imported
        (``"--preview"``, ``"verify"``).
    """

    def __init__(self, meshes: Sequence[tuple[np.ndarray, np.ndarray]], feature: str) -> None:
        o3d = load_open3d(feature)
        self._o3d = o3d
        self._scene = o3d.t.geometry.RaycastingScene()
        self._planes: list[tuple[np.ndarray, np.ndarray]] = []  # per mesh: normals (F, 3), offsets (F,)
        for verts, faces in meshes:
            verts = np.asarray(verts, dtype=np.float64)
            faces = np.asarray(faces, dtype=np.int64)
            gid = self._scene.add_triangles(o3d.core.Tensor(np.ascontiguousarray(verts, dtype=np.float32)),
                                            o3d.core.Tensor(np.ascontiguousarray(faces, dtype=np.uint32)))
            if gid != len(self._planes):
                raise RuntimeError(f"open3d numbered mesh {len(self._planes)} as geometry {gid}")
            tri = verts[faces]
            normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
            self._planes.append((normal, np.einsum("ij,ij->i", normal, tri[:, 0])))

    def cast(self, origin: np.ndarray, directions: np.ndarray) -> Hits:
        """Cast rays from ``origin`` (3,) along ``directions`` (N, 3), world metres.

        A hit whose refined ray parameter is not > 0 counts as no hit.
        """
        n = len(directions)
        rays = np.empty((n, 6), dtype=np.float32)
        rays[:, :3], rays[:, 3:] = origin, directions
        hit = self._scene.cast_rays(self._o3d.core.Tensor(rays))
        t32 = hit["t_hit"].numpy().astype(np.float64)
        gids = hit["geometry_ids"].numpy().astype(np.int64)
        prims = hit["primitive_ids"].numpy().astype(np.int64)
        gids[gids == INVALID_GEOMETRY_ID] = -1
        t, normal, offset = np.full(n, np.inf), np.zeros((n, 3)), np.zeros(n)
        for gid, (normals, offsets) in enumerate(self._planes):
            sel = np.nonzero(gids == gid)[0]
            if sel.size == 0:
                continue
            normal[sel], offset[sel] = normals[prims[sel]], offsets[prims[sel]]
            with np.errstate(divide="ignore", invalid="ignore"):
                exact = (offset[sel] - normal[sel] @ origin) / np.einsum("ij,ij->i", normal[sel], directions[sel])
            good = np.isfinite(exact) & (np.abs(exact - t32[sel]) <= REFINEMENT_TOLERANCE * np.maximum(t32[sel], 1.0))
            t[sel] = np.where(good, exact, t32[sel])
        gids[~(t > 0)] = -1
        t[gids < 0] = np.inf
        return Hits(t, gids, normal, offset, np.asarray(origin, dtype=np.float64), directions)

    def cast_image(self, camera: PixelCamera) -> Hits:
        """Cast one ray through every pixel centre of ``camera``; the hits as (height, width) images."""
        return self.cast(*camera.pixel_rays()).reshaped(camera.height, camera.width)
