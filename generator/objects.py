"""Stimulus objects: catalog meshes (scenes.design.meshes, read with trimesh) placed in the Blender scene.

A mesh is built once per asset (one Blender mesh with a material slot per part) and shared by
the objects of every frame; an object is a light-weight Blender object that links that mesh.
Part names (``paint``, ``glass``, ``tyre``, ...; see assets/build_meshes.py) select materials
from ``generator.materials.PALETTE``; unknown parts keep the colour stored in the file.
The mesh arrays, the placement transform and the ground contact are scenes/design/meshes.py's,
shared with the preview (scenes/raycast/preview.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

from generator import materials, textures
from generator.primitives import OBJECT_INDEX_OFFSET, box_geometry, mesh_object
from scenes.geometry import Camera, srgb_to_linear
from scenes.catalog import Catalog
from scenes.design import (ObjectPlacement, AssetMesh, MeshPart, ground_contact, load_asset_mesh,
                           placement_matrix)

#: Depth (m) of the base band box, and its gap (m) in front of the object's face.
BAND_DEPTH_M, BAND_GAP_M = 0.01, 0.002


@dataclass
class LoadedAsset:
    """A catalog mesh ready to instance: the shared Blender mesh and the arrays it was built from."""

    mesh: bpy.types.Mesh
    geometry: AssetMesh  # asset frame, metres: vertices, contact vertices, parts
    part_names: list[str]  # one per material slot


def _material_for(part: MeshPart) -> bpy.types.Material:
    """The PALETTE material its name selects, else a principled one in the file's colour."""
    base = part.name.split(".")[0].split("_0")[0]
    if base in materials.PALETTE and base != "paint":
        return materials.named(base)
    return materials.principled(f"part_{part.name}", part.rgb, 0.35 if base == "paint" else 0.6)


def load_asset(path: Path, name: str) -> LoadedAsset:
    """Build the Blender mesh of a mesh file (scenes.design.meshes.load_asset_mesh), one material per part."""
    geometry = load_asset_mesh(path)
    mats = [_material_for(part) for part in geometry.parts]
    obj = mesh_object(f"asset_{name}", geometry.vertices, geometry.faces, mats, geometry.face_part)
    mesh = obj.data
    bpy.data.objects.remove(obj)  # keep only the mesh data; frames link their own objects
    return LoadedAsset(mesh, geometry, [part.name.split(".")[0] for part in geometry.parts])


class ObjectPlacer:
    """Places a frame's objects in the scene and removes them again."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog
        self._assets: dict[str, LoadedAsset] = {}
        self._placed: list[bpy.types.Object] = []
        self._frame_meshes: list[bpy.types.Mesh] = []  # built for one frame (base bands), removed with it

    def asset(self, asset_id: str) -> LoadedAsset:
        """The loaded mesh of an asset (read from its file once)."""
        if asset_id not in self._assets:
            self._assets[asset_id] = load_asset(self._catalog.mesh_path(asset_id), asset_id)
        return self._assets[asset_id]

    def forget_meshes(self) -> None:
        """Drop cached meshes (after the scene's data was wiped)."""
        self._assets.clear()
        self._placed.clear()
        self._frame_meshes.clear()

    def place(self, placements: tuple[ObjectPlacement, ...]) -> None:
        """Add the objects of one frame (after removing those of the previous frame)."""
        self.clear()
        for p in placements:
            loaded = self.asset(p.asset)
            obj = bpy.data.objects.new(f"object_{p.object_id}", loaded.mesh)
            bpy.context.scene.collection.objects.link(obj)
            obj.matrix_world = _to_matrix(placement_matrix(p))
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
        if look.detail_squares_per_m is not None:
            for slot, part in zip(obj.material_slots, loaded.part_names):
                if part == "paint":
                    slot.link, slot.material = "OBJECT", textures.checker_paint(look.detail_squares_per_m)
        if look.band_thickness_m > 0:
            band = mesh_object(f"band_{p.object_id}", *self._band_geometry(p, loaded),
                               [materials.flat((float(srgb_to_linear(look.band_value)),) * 3)])
            band.pass_index = OBJECT_INDEX_OFFSET + p.object_id
            band.visible_shadow = look.shadow
            self._placed.append(band)
            self._frame_meshes.append(band.data)

    @staticmethod
    def _band_geometry(p: ObjectPlacement, loaded: LoadedAsset) -> tuple[np.ndarray, list[list[int]]]:
        """A thin box across the object's face nearest the camera, from the ground up, in world metres."""
        width, length, _ = loaded.geometry.extent
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
        """Remove the placed objects and the meshes built for them (the shared asset meshes stay).

        A band's mesh is removed with its object: left behind, the next frame's ``band_1`` mesh
        would be named ``band_1.001``, and the geometry export's file names would depend on
        which frames this process rendered before.
        """
        for obj in self._placed:
            bpy.data.objects.remove(obj)
        for mesh in self._frame_meshes:
            bpy.data.meshes.remove(mesh)
        self._placed.clear()
        self._frame_meshes.clear()

    def ground_contact(self, p: ObjectPlacement, camera: Camera) -> tuple[float, float]:
        """(row in pixels, z-depth in metres) of the object's ground-contact vertex lowest in the image.

        From the mesh geometry, not the render: scenes.design.meshes.ground_contact (as the preview).
        """
        return ground_contact(p, self.asset(p.asset).geometry, camera)


def _to_matrix(m: np.ndarray) -> Matrix:
    """A 4x4 numpy array (row-major) as a mathutils Matrix."""
    return Matrix(m.tolist())
