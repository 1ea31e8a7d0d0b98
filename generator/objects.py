"""Stimulus objects: catalog meshes (GLB/OBJ/PLY read with trimesh) placed in the Blender scene.

A mesh is built once per asset (one Blender mesh with a material slot per part) and shared by
the objects of every frame; an object is a light-weight Blender object that links that mesh.
Part names (``paint``, ``glass``, ``tyre``, ...; see assets/build_meshes.py) select materials
from ``generator.materials.PALETTE``; unknown parts keep the colour stored in the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np
import trimesh
from mathutils import Matrix

from generator import materials
from generator.primitives import OBJECT_INDEX_OFFSET, box_geometry, mesh_object
from scenes.camera import Camera
from scenes.catalog import Catalog
from scenes.design import ObjectPlacement, srgb_to_linear
from scenes.errors import CatalogError

#: Depth (m) of the base band box, and its gap (m) in front of the object's face.
BAND_DEPTH_M, BAND_GAP_M = 0.01, 0.002
#: Vertices this close to the mesh's lowest point (m, before scaling) touch the ground.
CONTACT_TOLERANCE_M = 1e-3


@dataclass
class LoadedAsset:
    """A catalog mesh ready to instance: the shared Blender mesh and its ground-contact vertices."""

    mesh: bpy.types.Mesh
    contact_vertices: np.ndarray  # (N, 3) metres, asset frame
    part_names: list[str]  # one per material slot
    extent: np.ndarray  # (width, length, height) of the mesh, metres


def _part_colour(geometry: trimesh.Trimesh) -> tuple[float, float, float]:
    """Linear RGB (0..1) of a trimesh part: its material's base colour or main face colour."""
    visual = geometry.visual
    color = None
    material = getattr(visual, "material", None)
    if material is not None and getattr(material, "baseColorFactor", None) is not None:
        color = np.asarray(material.baseColorFactor[:3], float)
        color = color / 255.0 if color.max() > 1.0 else color
    elif getattr(visual, "kind", None) in ("face", "vertex"):
        color = visual.main_color[:3] / 255.0
    return tuple(color) if color is not None else (0.5, 0.5, 0.5)


def _material_for(part: str, geometry: trimesh.Trimesh) -> bpy.types.Material:
    base = part.split(".")[0].split("_0")[0]
    if base in materials.PALETTE and base != "paint":
        return materials.named(base)
    return materials.principled(f"part_{part}", _part_colour(geometry), 0.35 if base == "paint" else 0.6)


def load_asset(path: Path, name: str) -> LoadedAsset:
    """Read a mesh file (metres, z up, +y forward, origin at the footprint centre on the ground)."""
    try:
        scene = trimesh.load(path, force="scene")
    except Exception as exc:
        raise CatalogError(f"{path}: cannot be read as a mesh ({type(exc).__name__}: {exc})") from None
    verts, faces, mat_index, mats, parts = [], [], [], [], []
    offset = 0
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geometry = scene.geometry[geom_name].copy()
        geometry.apply_transform(transform)
        mats.append(_material_for(geom_name, geometry))
        parts.append(geom_name.split(".")[0])
        verts.append(np.asarray(geometry.vertices))
        faces.append(np.asarray(geometry.faces) + offset)
        mat_index.append(np.full(len(geometry.faces), len(mats) - 1))
        offset += len(geometry.vertices)
    if not verts:
        raise CatalogError(f"{path}: holds no mesh")
    all_verts = np.concatenate(verts)
    obj = mesh_object(f"asset_{name}", all_verts, np.concatenate(faces), mats, np.concatenate(mat_index))
    mesh = obj.data
    bpy.data.objects.remove(obj)  # keep only the mesh data; frames link their own objects
    low = all_verts[:, 2].min()
    contact = all_verts[all_verts[:, 2] <= low + CONTACT_TOLERANCE_M]
    extent = all_verts.max(0) - all_verts.min(0)
    return LoadedAsset(mesh, contact - [0.0, 0.0, low], parts, extent)


class ObjectPlacer:
    """Places a frame's objects in the scene and removes them again."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog
        self._assets: dict[str, LoadedAsset] = {}
        self._placed: list[bpy.types.Object] = []

    def asset(self, asset_id: str) -> LoadedAsset:
        """The loaded mesh of an asset (read from its file once)."""
        if asset_id not in self._assets:
            self._assets[asset_id] = load_asset(self._catalog.mesh_path(asset_id), asset_id)
        return self._assets[asset_id]

    def forget_meshes(self) -> None:
        """Drop cached meshes (after the scene's data was wiped)."""
        self._assets.clear()
        self._placed.clear()

    def place(self, placements: tuple[ObjectPlacement, ...]) -> None:
        """Add the objects of one frame (after removing those of the previous frame)."""
        self.clear()
        for p in placements:
            loaded = self.asset(p.asset)
            obj = bpy.data.objects.new(f"object_{p.object_id}", loaded.mesh)
            bpy.context.scene.collection.objects.link(obj)
            c, s = np.cos(np.radians(p.yaw_deg)), np.sin(np.radians(p.yaw_deg))
            m = np.eye(4)
            m[:3, :3] = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) * p.scale
            m[:3, 3] = [p.x_m, p.y_m, p.elevation_m]
            obj.matrix_world = _to_matrix(m)
            obj.pass_index = OBJECT_INDEX_OFFSET + p.object_id
            self._placed.append(obj)
            self._apply_appearance(obj, p, loaded)

    def _apply_appearance(self, obj: bpy.types.Object, p: ObjectPlacement, loaded: LoadedAsset) -> None:
        """Shadow, paint colour, flat silhouette and base band of one placed object."""
        look = p.appearance
        obj.visible_shadow = look.shadow
        if look.flat_rgb is not None or look.paint_rgb is not None:
            for slot, part in zip(obj.material_slots, loaded.part_names):
                if look.flat_rgb is not None:
                    material = materials.flat(look.flat_rgb)
                elif part == "paint":
                    material = materials.principled("paint_override", look.paint_rgb, 0.35)
                else:
                    continue
                slot.link = "OBJECT"
                slot.material = material
        if look.band_thickness_m > 0:
            band = mesh_object(f"band_{p.object_id}", *self._band_geometry(p, loaded),
                               [materials.flat((srgb_to_linear(look.band_value),) * 3)])
            band.pass_index = OBJECT_INDEX_OFFSET + p.object_id
            band.visible_shadow = look.shadow
            self._placed.append(band)

    @staticmethod
    def _band_geometry(p: ObjectPlacement, loaded: LoadedAsset) -> tuple[np.ndarray, list[list[int]]]:
        """A thin box across the object's face nearest the camera, from the ground up, in world metres."""
        width, length, _ = loaded.extent
        side = -1.0 if np.cos(np.radians(p.yaw_deg)) >= 0 else 1.0  # the face toward the camera
        depth = BAND_DEPTH_M / p.scale
        centre = (0.0, side * (length / 2 + depth / 2 + BAND_GAP_M / p.scale), p.appearance.band_thickness_m / p.scale / 2)
        local, faces = box_geometry(centre, (width, depth, p.appearance.band_thickness_m / p.scale))
        return p.to_world(local), faces

    def set_visible(self, visible: bool) -> None:
        """Show or hide the placed objects in renders (for counterfactual frames)."""
        for obj in self._placed:
            obj.hide_render = not visible

    def clear(self) -> None:
        """Remove the placed objects (their shared meshes stay)."""
        for obj in self._placed:
            bpy.data.objects.remove(obj)
        self._placed.clear()

    def ground_contact(self, p: ObjectPlacement, camera: Camera) -> tuple[float, float]:
        """(row, z-depth) of the object's ground-contact vertex that is lowest in the image.

        Computed from the mesh geometry (not the render): the vertices at its lowest height,
        moved to the placement and projected with the frame's camera.
        """
        world = p.to_world(self.asset(p.asset).contact_vertices)
        _, v, z = camera.project(world)
        k = int(np.nanargmax(v))
        return float(v[k]), float(z[k])


def _to_matrix(m: np.ndarray) -> Matrix:
    """A 4x4 numpy array (row-major) as a mathutils Matrix."""
    return Matrix(m.tolist())
