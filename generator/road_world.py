"""The KITTI-like road world: a straight level road at z = 0 with lane markings, grass verges,
roadside structures of the frame's variant, a sky and a sun that casts shadows.

World convention (docs/design.md "Conventions"): metres, x right, y forward, z up; the camera stands at x = 0
in the middle of the ego lane.  Road and verges are exactly the plane z = 0 (so the road's
depth is exactly f·H/(v − cy)); their extent and layout are scenes/design/world.py's (shared with the
preview); markings lie 1 mm above it and are labelled ``marking``.
"""
from __future__ import annotations

from typing import Callable

import bpy
import numpy as np

from generator import materials, textures
from generator.lighting import SUN_OBJECT_NAME, sun_rotation
from generator.markings import tapered_quads
from generator.primitives import (add_rect, box_geometry, cylinder_geometry, merge_geometry,
                                  sphere_geometry)
from scenes.spec import SunSpec, VariantSpec, WorldSpec
from scenes.geometry import SEMANTIC_CLASSES
from scenes.design import GROUND_Y_RANGE_M, RoadLayout, RoadTexture, ground_surfaces

#: Height of markings above the road (m): enough to avoid z-fighting at 3 km.
MARKING_LIFT_M = 0.001
#: Dashed centre line (m): German "Leitlinie" on rural roads, 6 m dash, 12 m gap, 0.12 m wide.
DASH_LENGTH_M, DASH_GAP_M, DASH_WIDTH_M = 6.0, 12.0, 0.12
EDGE_LINE_WIDTH_M = 0.15
#: Markings, buildings and trees are placed up to this distance ahead (m); beyond they are sub-pixel.
DETAIL_RANGE_M = 400.0


def build_road(layout: RoadLayout, marking_taper_per_m: float = 0.0,
               road_material: bpy.types.Material | None = None) -> None:
    """Road surface and verges (scenes.design.world.ground_surfaces), edge lines and dashed lane
    lines (tapered by ``marking_taper_per_m``, 1/m: generator/markings.py; 0 = parallel);
    ``road_material`` replaces the asphalt (the texture experiment's cobbles)."""
    y0, y1 = GROUND_Y_RANGE_M
    surface_material = {"road": road_material or materials.named("asphalt", noise_scale=8.0, noise_amount=0.35),
                        "verge": materials.named("grass", noise_scale=2.0, noise_amount=0.5)}
    for surface in ground_surfaces(layout):
        add_rect(surface.name, surface.x0_m, surface.x1_m, y0, y1, 0.0, surface_material[surface.semantic],
                 surface.semantic)
    paint = materials.named("marking")
    lines = []
    for edge, inward in ((layout.left_edge_m, 1), (layout.right_edge_m, -1)):
        x_in = edge + inward * 0.25
        x0, x1 = sorted((x_in, x_in + inward * EDGE_LINE_WIDTH_M))
        lines.append((x0, x1, y0, DETAIL_RANGE_M))
    for lane in range(1, layout.lanes):
        x = layout.left_edge_m + lane * layout.lane_width_m
        for y in np.arange(y0, DETAIL_RANGE_M, DASH_LENGTH_M + DASH_GAP_M):
            lines.append((x - DASH_WIDTH_M / 2, x + DASH_WIDTH_M / 2, y, y + DASH_LENGTH_M))
    quads = ([_flat_quad(*rect) for rect in lines] if marking_taper_per_m == 0.0
             else tapered_quads(lines, marking_taper_per_m, MARKING_LIFT_M))
    merge_geometry("markings", quads, paint, "marking")


def _flat_quad(x0: float, x1: float, y0: float, y1: float) -> tuple[np.ndarray, list[list[int]]]:
    v = np.array([[x0, y0, MARKING_LIFT_M], [x1, y0, MARKING_LIFT_M], [x1, y1, MARKING_LIFT_M],
                  [x0, y1, MARKING_LIFT_M]])
    return v, [[0, 1, 2, 3]]


def build_buildings(layout: RoadLayout, rng: np.random.Generator) -> None:
    """Rows of box buildings with window bands on both sides, 6 ... 14 m back from the road."""
    walls: dict[int, list] = {}
    windows = []
    for side, edge in ((-1, layout.left_edge_m), (1, layout.right_edge_m)):
        y = -10.0
        while y < DETAIL_RANGE_M:
            length = rng.uniform(8.0, 20.0)
            depth = rng.uniform(8.0, 14.0)
            height = rng.uniform(5.0, 16.0)
            setback = rng.uniform(6.0, 14.0)
            x_near = edge + side * setback
            cx = x_near + side * depth / 2
            shade = int(rng.integers(0, 4))
            walls.setdefault(shade, []).append(box_geometry((cx, y + length / 2, height / 2), (depth, length, height)))
            for floor in np.arange(1.2, height - 1.0, 3.0):
                windows.append(box_geometry((x_near - side * 0.02, y + length / 2, floor + 0.7),
                                            (0.06, length * 0.85, 1.2)))
            y += length + rng.uniform(1.0, 8.0)
    for shade, parts in walls.items():
        color = [(0.45, 0.40, 0.33), (0.55, 0.52, 0.48), (0.35, 0.22, 0.16), (0.60, 0.57, 0.50)][shade]
        merge_geometry(f"buildings_{shade}", parts, materials.principled(f"wall_{shade}", color, 0.9), "building")
    if windows:
        merge_geometry("windows", windows, materials.named("window"), "building")


def build_trees(layout: RoadLayout, rng: np.random.Generator) -> None:
    """Irregular rows of trees (trunk and crown) 2 ... 8 m back from both road edges."""
    trunks, crowns = [], []
    for side, edge in ((-1, layout.left_edge_m), (1, layout.right_edge_m)):
        y = rng.uniform(-10.0, 0.0)
        while y < DETAIL_RANGE_M:
            x = edge + side * rng.uniform(2.0, 8.0)
            trunk_h = rng.uniform(1.8, 3.5)
            radius = rng.uniform(1.5, 3.0)
            trunks.append(cylinder_geometry((x, y, 0.0), rng.uniform(0.12, 0.25), trunk_h + radius * 0.5, 8))
            crowns.append(sphere_geometry((x, y, trunk_h + radius * 0.9), (radius, radius, radius * 1.2)))
            y += rng.uniform(5.0, 14.0)
    merge_geometry("trunks", trunks, materials.named("bark"), "vegetation")
    merge_geometry("crowns", crowns, materials.named("foliage", noise_scale=1.5, noise_amount=0.6), "vegetation")


def build_fence(layout: RoadLayout, rng: np.random.Generator) -> None:
    """Post-and-rail fences 1.5 m back from both road edges."""
    parts = []
    for side, edge in ((-1, layout.left_edge_m), (1, layout.right_edge_m)):
        x = edge + side * 1.5
        for y in np.arange(-10.0, DETAIL_RANGE_M, 2.5):
            parts.append(box_geometry((x, y, 0.55), (0.1, 0.1, 1.1)))
        for z in (0.45, 0.95):
            parts.append(box_geometry((x, (DETAIL_RANGE_M - 10.0) / 2, z), (0.05, DETAIL_RANGE_M + 10.0, 0.12)))
    merge_geometry("fence", parts, materials.named("fence"), "other_object")
    del rng  # layout is regular; the argument keeps the builders' signature uniform


ROADSIDE_BUILDERS = {"buildings": build_buildings, "trees": build_trees, "fence": build_fence}


def add_sun(sun: SunSpec) -> bpy.types.Object:
    """A sun lamp shining from (azimuth, elevation); azimuth 0 = from ahead (+y), 90 = from the right."""
    data = bpy.data.lights.new(SUN_OBJECT_NAME, type="SUN")
    data.energy = sun.strength
    data.angle = np.radians(0.53)  # the sun's apparent diameter: crisp shadows
    obj = bpy.data.objects.new(SUN_OBJECT_NAME, data)
    obj.rotation_euler = sun_rotation(sun)
    bpy.context.scene.collection.objects.link(obj)
    return obj


#: Parked cars: assets to choose from, how far beyond the road edge (m), over which stretch (m).
PARKED_CAR_ASSETS = ("car_sedan", "car_hatchback", "car_suv", "van")
PARKED_CAR_SETBACK_M = 2.2
PARKED_CAR_RANGE_M = (6.0, 150.0)
#: Paint colours of parked cars (linear RGB): silver, white, black, dark blue, dark red.
PARKED_CAR_PAINTS = ((0.45, 0.45, 0.47), (0.80, 0.80, 0.80), (0.02, 0.02, 0.02), (0.02, 0.04, 0.15),
                     (0.25, 0.02, 0.02))
#: Overcast sky: grey, brighter, no sun lamp (soft light, no hard shadows).
OVERCAST_SKY = {"zenith": (0.50, 0.52, 0.55), "horizon": (0.68, 0.68, 0.68), "strength": 1.2}

MeshLoader = Callable[[str], bpy.types.Mesh]


def build_parked_cars(layout: RoadLayout, count: int, rng: np.random.Generator, load_mesh: MeshLoader) -> None:
    """``count`` cars parked beside both road edges (world scenery, semantic class vehicle)."""
    for k in range(count):
        side = 1 if k % 2 == 0 else -1
        edge = layout.right_edge_m if side > 0 else layout.left_edge_m
        asset = PARKED_CAR_ASSETS[int(rng.integers(len(PARKED_CAR_ASSETS)))]
        obj = bpy.data.objects.new(f"parked_{k}", load_mesh(asset))
        bpy.context.scene.collection.objects.link(obj)
        obj.location = (edge + side * PARKED_CAR_SETBACK_M, rng.uniform(*PARKED_CAR_RANGE_M), 0.0)
        obj.rotation_euler = (0.0, 0.0, 0.0 if rng.random() < 0.5 else np.pi)
        obj.pass_index = SEMANTIC_CLASSES["vehicle"]
        paint = PARKED_CAR_PAINTS[int(rng.integers(len(PARKED_CAR_PAINTS)))]
        for slot in obj.material_slots:
            if slot.material is not None and slot.material.name.startswith("part_paint"):
                slot.link = "OBJECT"
                slot.material = materials.principled("parked_paint", paint, 0.35)


def build_world(world: WorldSpec, variant: VariantSpec, rng: np.random.Generator, load_mesh: MeshLoader,
                road_texture: RoadTexture | None = None) -> RoadLayout:
    """Build the whole road world of one variant (with ``road_texture`` on its road, if given) into
    the (empty) scene; return its layout."""
    layout = RoadLayout.for_variant(world, variant)
    build_road(layout, variant.marking_taper_per_m,
               textures.road_material(road_texture) if road_texture is not None else None)
    builder = ROADSIDE_BUILDERS.get(variant.roadside)
    if builder is not None:
        builder(layout, rng)
    if variant.parked_cars:
        build_parked_cars(layout, variant.parked_cars, rng, load_mesh)
    if variant.overcast:
        materials.set_sky(**OVERCAST_SKY)
    else:
        add_sun(variant.sun or world.sun)
        materials.set_sky()
    return layout
