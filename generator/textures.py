"""The texture experiment's materials (Cycles): the road's cobble texture under three mappings and
a checker paint whose spatial frequency is set per object.

Road (:func:`road_material`): Voronoi cells (cobbles) of ``cell_m`` metres, each a random grey,
with dark joints.  The texture's coordinates are, in metres:

* ``world``: the surface point's world position (x, y): cells of fixed size on the road, so
  their image density rises towards the horizon (the true gradient, with foreshortening);
* ``screen``: the pixel position (u − cx, v − cy) times ``z_ref / f``: cells of fixed size in the
  image, equal in width to the world mapping's at z-depth ``z_ref`` (no gradient);
* ``reversed``: the screen coordinates times ``z_ref / z`` (z: the pixel's view z-depth, Camera
  Data's "View Z Depth"), the vertical half of it once more: on the level road the coordinates
  then change per pixel by ``(z_ref / f)(z_ref / z)`` in both directions, so cells grow in the
  image with distance as the world mapping's shrink (coordinates per pixel ∝ z^-1 against the
  world mapping's z^1).

Textures change no geometry: depth, masks and the geometry export are those of the plain road.
"""
from __future__ import annotations

import bpy

from scenes.design import RoadTexture

#: Road cobble greys, linear RGB: the darkest and lightest cell (asphalt 0.045 lies between) and
#: the joints between cells.
COBBLE_LOW, COBBLE_HIGH, JOINT = 0.02, 0.20, 0.008
#: Width of a joint as a fraction of a cell (Voronoi distance to the cell's edge below it).
JOINT_WIDTH = 0.06
#: Road roughness (as the palette's asphalt).
ROAD_ROUGHNESS = 0.92
#: The checker paint's two tones (linear RGB grey) and roughness (as the paint of the catalog cars).
CHECKER_LIGHT, CHECKER_DARK, PAINT_ROUGHNESS = 0.55, 0.03, 0.35

_cache: dict[tuple, bpy.types.Material] = {}


def _math(tree: bpy.types.NodeTree, operation: str, a, b):
    """A Math node ``a <operation> b`` (each a socket or a number); its output socket."""
    node = tree.nodes.new("ShaderNodeMath")
    node.operation = operation
    for socket, value in zip(node.inputs, (a, b)):
        if isinstance(value, (int, float)):
            socket.default_value = float(value)
        else:
            tree.links.new(value, socket)
    return node.outputs["Value"]


def _screen_vector(tree: bpy.types.NodeTree, texture: RoadTexture):
    """(x', y') sockets: pixel offsets from the principal point times ``z_ref / f`` (metres at z_ref)."""
    cam, z_ref = texture.camera, texture.reference_depth_m
    window = tree.nodes.new("ShaderNodeSeparateXYZ")
    tree.links.new(tree.nodes.new("ShaderNodeTexCoord").outputs["Window"], window.inputs["Vector"])
    u = _math(tree, "SUBTRACT", _math(tree, "MULTIPLY", window.outputs["X"], cam.width), 0.5 + cam.cx)
    rows_up = _math(tree, "MULTIPLY", window.outputs["Y"], cam.height)  # window y runs up from the bottom
    v = _math(tree, "SUBTRACT", cam.height - 0.5 - cam.cy, rows_up)
    return _math(tree, "MULTIPLY", u, z_ref / cam.fx), _math(tree, "MULTIPLY", v, z_ref / cam.fy)


def _road_vector(tree: bpy.types.NodeTree, texture: RoadTexture):
    """The texture coordinates (metres) of ``texture.mapping`` (module docstring)."""
    if texture.mapping == "world":
        return tree.nodes.new("ShaderNodeNewGeometry").outputs["Position"]
    x, y = _screen_vector(tree, texture)
    if texture.mapping == "reversed":
        view_z = tree.nodes.new("ShaderNodeCameraData").outputs["View Z Depth"]
        k = _math(tree, "DIVIDE", texture.reference_depth_m, view_z)
        x, y = _math(tree, "MULTIPLY", x, k), _math(tree, "MULTIPLY", _math(tree, "MULTIPLY", y, k), 0.5)
    elif texture.mapping != "screen":
        raise ValueError(f"unknown road texture mapping {texture.mapping!r}")
    combine = tree.nodes.new("ShaderNodeCombineXYZ")
    tree.links.new(x, combine.inputs["X"])
    tree.links.new(y, combine.inputs["Y"])
    return combine.outputs["Vector"]


def road_material(texture: RoadTexture) -> bpy.types.Material:
    """The road's cobble material under ``texture.mapping`` (one per world: built with it)."""
    mat = bpy.data.materials.new(f"road_{texture.mapping}")
    mat.use_nodes = True
    tree = mat.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = ROAD_ROUGHNESS
    vector = _road_vector(tree, texture)
    cells, edges = tree.nodes.new("ShaderNodeTexVoronoi"), tree.nodes.new("ShaderNodeTexVoronoi")
    edges.feature = "DISTANCE_TO_EDGE"
    for node in (cells, edges):
        node.inputs["Scale"].default_value = 1.0 / texture.cell_m
        tree.links.new(vector, node.inputs["Vector"])
    grey = tree.nodes.new("ShaderNodeRGBToBW")
    tree.links.new(cells.outputs["Color"], grey.inputs["Color"])
    ramp = tree.nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].color = (COBBLE_LOW, COBBLE_LOW, COBBLE_LOW, 1.0)
    ramp.color_ramp.elements[1].color = (COBBLE_HIGH, COBBLE_HIGH, COBBLE_HIGH, 1.0)
    tree.links.new(grey.outputs["Val"], ramp.inputs["Fac"])
    joint = _math(tree, "LESS_THAN", edges.outputs["Distance"], JOINT_WIDTH)
    mix = tree.nodes.new("ShaderNodeMixRGB")
    tree.links.new(joint, mix.inputs["Fac"])
    tree.links.new(ramp.outputs["Color"], mix.inputs["Color1"])
    mix.inputs["Color2"].default_value = (JOINT, JOINT, JOINT, 1.0)
    tree.links.new(mix.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def checker_paint(squares_per_m: float) -> bpy.types.Material:
    """Paint with a two-tone checker of ``squares_per_m`` squares per metre (> 0) in object
    coordinates (asset frame, metres), created once per frequency."""
    key = ("checker", round(squares_per_m, 9))
    if key in _cache:
        return _cache[key]
    mat = bpy.data.materials.new("paint_checker")
    mat.use_nodes = True
    tree = mat.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = PAINT_ROUGHNESS
    checker = tree.nodes.new("ShaderNodeTexChecker")
    checker.inputs["Scale"].default_value = squares_per_m  # Blender's checker: squares of 1/scale
    checker.inputs["Color1"].default_value = (CHECKER_LIGHT, CHECKER_LIGHT, CHECKER_LIGHT, 1.0)
    checker.inputs["Color2"].default_value = (CHECKER_DARK, CHECKER_DARK, CHECKER_DARK, 1.0)
    tree.links.new(tree.nodes.new("ShaderNodeTexCoord").outputs["Object"], checker.inputs["Vector"])
    tree.links.new(checker.outputs["Color"], bsdf.inputs["Base Color"])
    _cache[key] = mat
    return mat


def clear_cache() -> None:
    """Forget cached materials (call after the scene's data blocks were wiped)."""
    _cache.clear()
