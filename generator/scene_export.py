"""Read back from the Blender scene what Cycles rendered: its mesh objects and its camera.

This is what makes ``depthprobe verify`` independent of the plan: the geometry export
(scenes/formats/geometry.py) is not rebuilt from the spec but read from the scene after the
render, with numpy (``foreach_get``) -- every mesh object a camera ray can hit (in the scene,
not hidden from the render, visible to camera rays), its evaluated mesh (modifiers applied, as
Cycles gets it) triangulated as Blender triangulates it (``loop_triangles``), its
``matrix_world``, its pass index (which encodes its class or instance id, see
generator/primitives.py), and the scene camera's intrinsics and pose.
"""
from __future__ import annotations

from typing import Callable

import bpy
import numpy as np

from generator.primitives import OBJECT_INDEX_OFFSET
from scenes.formats import CameraGeometry, MeshNode
from scenes.geometry import SEMANTIC_CLASSES

#: Class name of a world object's pass index.
CLASS_OF_INDEX = {index: name for name, index in SEMANTIC_CLASSES.items()}
#: Blender camera axes (x right, y up, looking along -z) to OpenCV axes (x right, y down, z forward).
BLENDER_TO_OPENCV_CAMERA = np.diag([1.0, -1.0, -1.0, 1.0])


def rendered_mesh_objects() -> list[bpy.types.Object]:
    """Mesh objects of the scene that camera rays can hit (not ``hide_render``, ``visible_camera``)."""
    return [obj for obj in bpy.context.scene.objects
            if obj.type == "MESH" and not obj.hide_render and obj.visible_camera]


def is_placed_object(obj: bpy.types.Object) -> bool:
    """Whether the object is a stimulus object (or its band): pass index OBJECT_INDEX_OFFSET + k."""
    return obj.pass_index >= OBJECT_INDEX_OFFSET


def read_mesh_node(obj: bpy.types.Object, depsgraph: bpy.types.Depsgraph,
                   object_class: Callable[[int], str]) -> MeshNode:
    """One object's evaluated mesh: float32 vertices (object frame, metres), triangles, matrix_world.

    :param object_class: the class name (a key of SEMANTIC_CLASSES) of stimulus object k (the
        one the renderer labels its pixels with); world objects take theirs from the pass index.
    :raises RuntimeError: a world object's pass index is not a semantic class id.
    """
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        mesh.calc_loop_triangles()
        co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
        mesh.vertices.foreach_get("co", co)
        tris = np.empty(len(mesh.loop_triangles) * 3, dtype=np.int32)
        mesh.loop_triangles.foreach_get("vertices", tris)
    finally:
        evaluated.to_mesh_clear()
    matrix = np.array([list(row) for row in evaluated.matrix_world], dtype=np.float64)
    if is_placed_object(obj):
        instance = obj.pass_index - OBJECT_INDEX_OFFSET
        semantic = object_class(instance)
    else:
        instance = 0
        if obj.pass_index not in CLASS_OF_INDEX:
            raise RuntimeError(f"object {obj.name!r}: pass index {obj.pass_index} is no semantic class")
        semantic = CLASS_OF_INDEX[obj.pass_index]
    return MeshNode(obj.name, semantic, instance, co.reshape(-1, 3), tris.reshape(-1, 3).astype(np.uint32), matrix,
                    mesh_name=obj.data.name)


def read_mesh_nodes(placed: bool, object_class: Callable[[int], str]) -> tuple[MeshNode, ...]:
    """The rendered world objects (``placed`` False) or stimulus objects (True), sorted by name."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    objects = sorted((o for o in rendered_mesh_objects() if is_placed_object(o) == placed), key=lambda o: o.name)
    return tuple(read_mesh_node(o, depsgraph, object_class) for o in objects)


def visible_placed_names(object_class: Callable[[int], str]) -> tuple[str, ...]:
    """Node names of the stimulus objects a render would show now (for counterfactual renders)."""
    return tuple(f"{object_class(o.pass_index - OBJECT_INDEX_OFFSET)}:{o.pass_index - OBJECT_INDEX_OFFSET}:{o.name}"
                 for o in rendered_mesh_objects() if is_placed_object(o))


def read_camera(bproc) -> CameraGeometry:
    """The scene camera as rendered: K from Blender's lens, sensor and shift (BlenderProc's
    ``get_intrinsics_as_K_matrix``), the render size, and the pose at the first rendered frame."""
    scene = bpy.context.scene
    if scene.frame_current != scene.frame_start:
        scene.frame_set(scene.frame_start)  # the camera pose is keyframed on the frames rendered
    camera = scene.camera
    scale = scene.render.resolution_percentage / 100.0
    width, height = int(scene.render.resolution_x * scale), int(scene.render.resolution_y * scale)
    K = np.asarray(bproc.camera.get_intrinsics_as_K_matrix(), dtype=np.float64)
    blender_cam_to_world = np.array([list(row) for row in camera.matrix_world], dtype=np.float64)
    cam_to_world = blender_cam_to_world @ BLENDER_TO_OPENCV_CAMERA
    return CameraGeometry(K, width, height, np.linalg.inv(cam_to_world))
