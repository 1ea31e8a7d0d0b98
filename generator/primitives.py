"""Small mesh builders on bpy: boxes, planes, cylinders and spheres in world metres.

Every object gets a pass index that encodes what it is, read back from Cycles' object-index
pass: 1 ... 99 = a semantic class of the road world (scenes.formats.stimulus_set.SEMANTIC_CLASSES),
``OBJECT_INDEX_OFFSET + object_id`` = a stimulus object.
"""
from __future__ import annotations

from typing import Sequence

import bpy
import numpy as np

from scenes.geometry import SEMANTIC_CLASSES

#: Pass index of stimulus object k is OBJECT_INDEX_OFFSET + k (world classes stay below it).
OBJECT_INDEX_OFFSET = 1000


def mesh_object(name: str, vertices: np.ndarray, faces: Sequence[Sequence[int]],
                materials: Sequence[bpy.types.Material], material_index: Sequence[int] | None = None,
                semantic: str | None = None, collection: bpy.types.Collection | None = None) -> bpy.types.Object:
    """Create a mesh object from vertices (N, 3) in metres and faces, linked to the scene.

    :param material_index: per-face index into ``materials`` (all 0 when None).
    :param semantic: a key of SEMANTIC_CLASSES, stored as the object's pass index.
    """
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(np.asarray(vertices, dtype=float).tolist(), [], [list(map(int, f)) for f in faces])
    for mat in materials:
        mesh.materials.append(mat)
    if material_index is not None:
        mesh.polygons.foreach_set("material_index", np.asarray(material_index, dtype=np.int32))
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    (collection or bpy.context.scene.collection).objects.link(obj)
    if semantic is not None:
        obj.pass_index = SEMANTIC_CLASSES[semantic]
    return obj


def box_geometry(center: Sequence[float], size: Sequence[float]) -> tuple[np.ndarray, list[list[int]]]:
    """Vertices and outward quads of an axis-aligned box; ``center`` and ``size`` in metres."""
    c, h = np.asarray(center, float), np.asarray(size, float) / 2
    v = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float) * h + c
    faces = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]]
    return v, faces


def add_box(name: str, center: Sequence[float], size: Sequence[float], material: bpy.types.Material,
            semantic: str) -> bpy.types.Object:
    """An axis-aligned box (metres)."""
    v, f = box_geometry(center, size)
    return mesh_object(name, v, f, [material], semantic=semantic)


def add_rect(name: str, x0: float, x1: float, y0: float, y1: float, z: float,
             material: bpy.types.Material, semantic: str) -> bpy.types.Object:
    """A horizontal rectangle [x0, x1] x [y0, y1] at height z (metres), facing up."""
    v = [[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]]
    return mesh_object(name, np.array(v), [[0, 1, 2, 3]], [material], semantic=semantic)


def cylinder_geometry(center: Sequence[float], radius: float, height: float,
                      segments: int = 12) -> tuple[np.ndarray, list[list[int]]]:
    """A vertical cylinder standing on ``center`` (its base centre), metres."""
    a = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([radius * np.cos(a), radius * np.sin(a), np.zeros(segments)], 1)
    v = np.concatenate([ring, ring + [0, 0, height]]) + np.asarray(center, float)
    n = segments
    faces = [[i, (i + 1) % n, n + (i + 1) % n, n + i] for i in range(n)]
    faces += [list(range(n - 1, -1, -1)), list(range(n, 2 * n))]
    return v, faces


def sphere_geometry(center: Sequence[float], radii: Sequence[float], rings: int = 6,
                    segments: int = 10) -> tuple[np.ndarray, list[list[int]]]:
    """A UV ellipsoid around ``center`` with semi-axes ``radii``, metres."""
    verts = [[0, 0, -1]]
    for i in range(1, rings):
        t = np.pi * i / rings - np.pi / 2
        for j in range(segments):
            p = 2 * np.pi * j / segments
            verts.append([np.cos(t) * np.cos(p), np.cos(t) * np.sin(p), np.sin(t)])
    verts.append([0, 0, 1])
    v = np.array(verts) * np.asarray(radii, float) + np.asarray(center, float)
    faces, top = [], len(verts) - 1
    for j in range(segments):
        faces.append([0, 1 + (j + 1) % segments, 1 + j])
    for i in range(rings - 2):
        for j in range(segments):
            a, b = 1 + i * segments + j, 1 + i * segments + (j + 1) % segments
            faces.append([a, b, b + segments, a + segments])
    base = 1 + (rings - 2) * segments
    for j in range(segments):
        faces.append([base + j, base + (j + 1) % segments, top])
    return v, faces


def merge_geometry(name: str, parts: Sequence[tuple[np.ndarray, list[list[int]]]],
                   material: bpy.types.Material, semantic: str) -> bpy.types.Object:
    """Many (vertices, faces) parts with one material as one mesh object."""
    verts, faces, offset = [], [], 0
    for v, f in parts:
        faces += [[i + offset for i in face] for face in f]
        verts.append(v)
        offset += len(v)
    return mesh_object(name, np.concatenate(verts), faces, [material], semantic=semantic)
