"""Principled-BSDF materials for the road world and the objects (Cycles).

Colours are linear RGB in 0 ... 1; roughness 0 (mirror) ... 1 (matte).
"""
from __future__ import annotations

from typing import Sequence

import bpy

#: Named surface appearances: (base colour, roughness, metallic).
PALETTE: dict[str, tuple[tuple[float, float, float], float, float]] = {
    "asphalt": ((0.045, 0.045, 0.048), 0.92, 0.0),
    "marking": ((0.80, 0.80, 0.78), 0.60, 0.0),
    "grass": ((0.10, 0.17, 0.04), 0.95, 0.0),
    "concrete": ((0.35, 0.34, 0.32), 0.90, 0.0),
    "bark": ((0.12, 0.07, 0.04), 0.95, 0.0),
    "foliage": ((0.05, 0.14, 0.03), 0.90, 0.0),
    "fence": ((0.30, 0.25, 0.18), 0.85, 0.0),
    "window": ((0.02, 0.03, 0.04), 0.10, 0.0),
    # object parts (see assets/build_meshes.py)
    "glass": ((0.015, 0.02, 0.025), 0.05, 0.0),
    "tyre": ((0.015, 0.015, 0.015), 0.85, 0.0),
    "rim": ((0.45, 0.45, 0.45), 0.35, 1.0),
    "light_front": ((0.90, 0.88, 0.75), 0.20, 0.0),
    "light_rear": ((0.55, 0.02, 0.02), 0.25, 0.0),
    "plate": ((0.85, 0.85, 0.80), 0.50, 0.0),
    "trim": ((0.02, 0.02, 0.02), 0.60, 0.0),
}

_cache: dict[tuple, bpy.types.Material] = {}


def principled(name: str, color: Sequence[float], roughness: float = 0.8, metallic: float = 0.0,
               noise_scale: float = 0.0, noise_amount: float = 0.0) -> bpy.types.Material:
    """A Principled-BSDF material, created once per distinct parameter set.

    :param color: linear RGB base colour, each 0 ... 1.
    :param noise_scale: scale of a procedural noise texture (1/m); 0 = flat colour.
    :param noise_amount: relative brightness variation of the noise, 0 ... 1.
    """
    key = (name, tuple(round(c, 4) for c in color[:3]), roughness, metallic, noise_scale, noise_amount)
    if key in _cache:
        return _cache[key]
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    rgba = (*color[:3], 1.0)
    bsdf.inputs["Base Color"].default_value = rgba
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    if noise_scale > 0 and noise_amount > 0:
        coords = nodes.new("ShaderNodeTexCoord")
        noise = nodes.new("ShaderNodeTexNoise")
        noise.inputs["Scale"].default_value = noise_scale
        noise.inputs["Detail"].default_value = 6.0
        ramp = nodes.new("ShaderNodeValToRGB")
        low = [c * (1 - noise_amount) for c in color[:3]] + [1.0]
        high = [min(1.0, c * (1 + noise_amount)) for c in color[:3]] + [1.0]
        ramp.color_ramp.elements[0].color = low
        ramp.color_ramp.elements[1].color = high
        links.new(coords.outputs["Object"], noise.inputs["Vector"])
        links.new(noise.outputs["Fac"], ramp.inputs["Fac"])
        links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    _cache[key] = mat
    return mat


def flat(color: Sequence[float]) -> bpy.types.Material:
    """An unshaded material that shows exactly ``color`` (linear RGB 0..1) with the Standard view.

    An emission shader of strength 1: no lighting, no shadow on it, so a pixel's value is the
    colour itself (the study's flat-coloured silhouettes and bottom edges).
    """
    key = ("flat", tuple(round(c, 6) for c in color[:3]))
    if key in _cache:
        return _cache[key]
    mat = bpy.data.materials.new("flat")
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    nodes.clear()
    emission = nodes.new("ShaderNodeEmission")
    emission.inputs["Color"].default_value = (*color[:3], 1.0)
    emission.inputs["Strength"].default_value = 1.0
    out = nodes.new("ShaderNodeOutputMaterial")
    links.new(emission.outputs["Emission"], out.inputs["Surface"])
    _cache[key] = mat
    return mat


def named(name: str, **noise: float) -> bpy.types.Material:
    """The material of a PALETTE entry (optionally with noise, see :func:`principled`)."""
    color, roughness, metallic = PALETTE[name]
    return principled(name, color, roughness, metallic, **noise)


def set_sky(zenith: Sequence[float] = (0.20, 0.38, 0.75), horizon: Sequence[float] = (0.75, 0.82, 0.90),
            strength: float = 1.0) -> None:
    """World background: a vertical gradient from ``horizon`` (at and below it) to ``zenith`` colour."""
    world = bpy.context.scene.world
    world.use_nodes = True
    nodes, links = world.node_tree.nodes, world.node_tree.links
    nodes.clear()
    coords = nodes.new("ShaderNodeTexCoord")
    split = nodes.new("ShaderNodeSeparateXYZ")
    ramp = nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].position = 0.0
    ramp.color_ramp.elements[0].color = (*horizon, 1.0)
    ramp.color_ramp.elements[1].position = 0.5
    ramp.color_ramp.elements[1].color = (*zenith, 1.0)
    background = nodes.new("ShaderNodeBackground")
    background.inputs["Strength"].default_value = strength
    out = nodes.new("ShaderNodeOutputWorld")
    links.new(coords.outputs["Generated"], split.inputs["Vector"])
    links.new(split.outputs["Z"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], background.inputs["Color"])
    links.new(background.outputs["Background"], out.inputs["Surface"])


def clear_cache() -> None:
    """Forget cached materials (call after the scene's data blocks were wiped)."""
    _cache.clear()
