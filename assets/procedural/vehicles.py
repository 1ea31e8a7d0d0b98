"""Cars and vans: parameter classes, derived layout and the solids of every part (metres).

A vehicle is exact by construction: its plates set the length, its mirror tips
the width, its roof (or roof rails) the height, and a flat facet of each tyre
lies on z = 0. The numbers of each vehicle are in ``parameters.yaml`` (kind
``vehicle``); :class:`WheelParams` and some pieces are shared with :mod:`.truck`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import trimesh

from .constants import (
    A_PILLAR_M,
    ARCH_GAP_M,
    ARCH_SEGMENTS,
    B_PILLAR_M,
    BODY_CHAMFER_M,
    BODY_EDGE_M,
    BUMPER_CORNER_M,
    BUMPER_PROUD_M,
    BUMPER_SIDE_PROUD_M,
    BUMPER_WRAP_M,
    C_PILLAR_M,
    CARGO_PANEL_PROUD_M,
    CARGO_PANEL_REAR_GAP_M,
    CLADDING_DEPTH_M,
    CLADDING_HEIGHT_M,
    CLADDING_PROUD_M,
    FLARE_THICKNESS_M,
    GLASS_EMBED_M,
    GRILLE_GAP_M,
    GRILLE_OVERLAP_M,
    LIGHT_BELOW_EDGE_M,
    LIGHT_INSET_M,
    LIGHT_PROUD_M,
    LIGHT_SIDE_PROUD_M,
    LIGHT_WRAP_M,
    LINER_GAP_M,
    MIRROR_HEIGHT_M,
    MIRROR_LENGTH_M,
    MIRROR_REACH_M,
    MIRROR_RISE_M,
    MIRROR_SETBACK_M,
    MIRROR_TAPER_RATIO,
    PLATE_EMBED_M,
    PLATE_HEIGHT_M,
    PLATE_THICKNESS_M,
    PLATE_WIDTH_M,
    RAIL_END_GAP_M,
    RAIL_HEIGHT_M,
    RAIL_INSET_M,
    RAIL_WIDTH_M,
    RIM_DEPTH_M,
    RIM_PROUD_M,
    RIM_RADIUS_RATIO,
    ROOF_LIP_M,
    ROOF_ROUND_M,
    ROOF_THICKNESS_M,
    TYRE_SEGMENTS,
    UNDERCUT_M,
)
from .params import AssetParams
from .primitives import beam, both_sides, box, chamfered_prism, clip_convex, clip_y, disc_x, hull


# --- parameters


@dataclasses.dataclass(frozen=True)
class WheelParams:
    """Tyres (metres): radius is the circumradius of the 24-gon profile."""

    radius_m: float
    width_m: float
    inset_m: float  # tyre outer face inboard of the body side


@dataclasses.dataclass(frozen=True)
class BodyParams:
    """Lower body heights above ground (metres)."""

    clearance_m: float  # underside of the body
    bumper_bottom_m: float
    bumper_top_m: float
    nose_top_m: float  # top of the front face, where the bonnet starts
    belt_m: float  # window sill (bottom of the glass)
    tail_top_m: float  # top of the rear face (boot lid / tailgate edge)
    cladding: bool = False  # black plastic sills and wheel-arch flares (SUV look)


@dataclasses.dataclass(frozen=True)
class CabinParams:
    """Greenhouse layout (metres), lengths measured along y from the front."""

    hood_length_m: float  # front of the vehicle to the windscreen base
    windscreen_run_m: float  # windscreen length projected on y
    roof_length_m: float
    rear_window_run_m: float  # rear window length projected on y (0 = upright)
    shoulder_m: float  # glass bottom inboard of the body side
    tumblehome_m: float  # glass top further inboard than the glass bottom
    b_pillar_fraction: float = 0.45  # B pillar position along the roof, from its front
    side_glass_length_m: float | None = None  # side glass behind the windscreen base; None = all along
    roof_rails: bool = False  # black rails on the roof; their tops are then the top of the vehicle


@dataclasses.dataclass(frozen=True)
class LightParams:
    """Light clusters (metres)."""

    front_width_m: float
    front_height_m: float
    rear_width_m: float
    rear_height_m: float
    rear_top_m: float | None = None  # top of rear lights; None = just below the tail top


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleParams(AssetParams):
    """One road vehicle (car or van); ``width_m`` includes the mirrors."""

    exact: ClassVar[bool] = True

    wheelbase_m: float
    front_overhang_m: float  # front of the vehicle to the front axle
    wheels: WheelParams
    body: BodyParams
    cabin: CabinParams
    lights: LightParams

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return vehicle_parts(self)


@dataclasses.dataclass(frozen=True)
class Layout:
    """Coordinates (metres) derived from :class:`VehicleParams`."""

    half_width: float  # body side (mirrors excluded)
    front_face_y: float  # body (paint) front face
    rear_face_y: float
    front_axle_y: float
    rear_axle_y: float
    wheel_centre_z: float
    windscreen_base_y: float
    roof_front_y: float
    roof_rear_y: float
    rear_window_base_y: float
    glass_bottom_half_width: float
    glass_top_half_width: float
    glass_top_z: float
    roof_top_z: float  # top of the roof slab (below the rails, if any)


def make_layout(p: VehicleParams) -> Layout:
    """Derive the coordinates of every feature of a vehicle (metres)."""
    half_length = p.length_m / 2
    face_offset = PLATE_THICKNESS_M + BUMPER_PROUD_M
    half_width = p.width_m / 2 - MIRROR_REACH_M
    front_axle_y = half_length - p.front_overhang_m
    windscreen_base_y = half_length - p.cabin.hood_length_m
    roof_front_y = windscreen_base_y - p.cabin.windscreen_run_m
    roof_rear_y = roof_front_y - p.cabin.roof_length_m
    glass_bottom_half_width = half_width - p.cabin.shoulder_m
    roof_top_z = p.height_m - (RAIL_HEIGHT_M if p.cabin.roof_rails else 0.0)
    layout = Layout(
        half_width=half_width,
        front_face_y=half_length - face_offset,
        rear_face_y=-half_length + face_offset,
        front_axle_y=front_axle_y,
        rear_axle_y=front_axle_y - p.wheelbase_m,
        wheel_centre_z=p.wheels.radius_m * math.cos(math.pi / TYRE_SEGMENTS),
        windscreen_base_y=windscreen_base_y,
        roof_front_y=roof_front_y,
        roof_rear_y=roof_rear_y,
        rear_window_base_y=roof_rear_y - p.cabin.rear_window_run_m,
        glass_bottom_half_width=glass_bottom_half_width,
        glass_top_half_width=glass_bottom_half_width - p.cabin.tumblehome_m,
        glass_top_z=roof_top_z - ROOF_THICKNESS_M,
        roof_top_z=roof_top_z,
    )
    if layout.rear_window_base_y < layout.rear_face_y:
        raise ValueError(f"{p.asset_id}: cabin is longer than the body")
    return layout


# --- vehicle pieces


def body_profile(p: VehicleParams, lay: Layout) -> list[tuple[float, float]]:
    """Side silhouette (y, z) of the lower body, front to rear over the top (metres)."""
    b = p.body
    yf, yr = lay.front_face_y, lay.rear_face_y
    return [
        (yf - UNDERCUT_M, b.clearance_m),
        (yf, b.clearance_m + BODY_EDGE_M),
        (yf, b.nose_top_m - BODY_EDGE_M),
        (yf - BODY_EDGE_M, b.nose_top_m),
        (lay.windscreen_base_y, b.belt_m),
        (lay.rear_window_base_y, b.belt_m),
        (yr + BODY_EDGE_M, b.tail_top_m),
        (yr, b.tail_top_m - BODY_EDGE_M),
        (yr, b.clearance_m + BODY_EDGE_M),
        (yr + UNDERCUT_M, b.clearance_m),
    ]


def arch_points(axle_y: float, centre_z: float, radius: float) -> list[tuple[float, float]]:
    """Wheel-arch polyline (y, z), rear to front over the top of the wheel (metres)."""
    angles = math.pi - math.pi * np.arange(ARCH_SEGMENTS + 1) / ARCH_SEGMENTS
    return [(axle_y + radius * math.cos(a), centre_z + radius * math.sin(a)) for a in angles]


def under_arch_cut(solid: trimesh.Trimesh, a: tuple[float, float], b: tuple[float, float]) -> trimesh.Trimesh:
    """Strip of ``solid`` between a.y and b.y, above the straight line a-b in the (y, z) plane."""
    strip = clip_y(solid, a[0], b[0])
    dy, dz = b[0] - a[0], b[1] - a[1]
    return clip_convex(strip, (0.0, -dz, dy), (0.0, a[0], a[1]))


def cut_arches(
    solid: trimesh.Trimesh, axles_y: Sequence[float], centre_z: float, radius: float, far: float
) -> list[trimesh.Trimesh]:
    """Convex strips of ``solid`` with a wheel arch of ``radius`` cut out round each axle (rear to front).

    ``far`` is any distance beyond both ends of the solid (metres).
    """
    pieces = []
    y_start = -far
    for axle_y in axles_y:
        arch = arch_points(axle_y, centre_z, radius)
        pieces.append(clip_y(solid, y_start, arch[0][0]))
        pieces += [under_arch_cut(solid, a, b) for a, b in zip(arch[:-1], arch[1:])]
        y_start = arch[-1][0]
    pieces.append(clip_y(solid, y_start, far))
    return pieces


def lower_body(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """Paint body below the belt line, cut into convex strips around two wheel arches."""
    solid = chamfered_prism(body_profile(p, lay), lay.half_width, BODY_CHAMFER_M)
    radius = p.wheels.radius_m + ARCH_GAP_M
    far = p.length_m  # beyond either end of the vehicle
    return cut_arches(solid, (lay.rear_axle_y, lay.front_axle_y), lay.wheel_centre_z, radius, far)


def wheel_wells(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """Black liners filling each arch inboard of the tyres (trim)."""
    radius = p.wheels.radius_m + ARCH_GAP_M
    inner_x = lay.half_width - p.wheels.inset_m - p.wheels.width_m - LINER_GAP_M
    z = (lay.wheel_centre_z, lay.wheel_centre_z + radius)
    return [box((-inner_x, inner_x), (y - radius, y + radius), z) for y in (lay.rear_axle_y, lay.front_axle_y)]


def wheels(p: VehicleParams, lay: Layout) -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh]]:
    """Four tyres and four rim discs; the tyres' bottom facets lie on z = 0."""
    w = p.wheels
    outer_x = lay.half_width - w.inset_m
    tyres, rims = [], []
    for axle_y in (lay.rear_axle_y, lay.front_axle_y):
        centre = (axle_y, lay.wheel_centre_z)
        tyre = disc_x((outer_x - w.width_m, outer_x), centre, w.radius_m)
        rim = disc_x((outer_x - RIM_DEPTH_M, outer_x + RIM_PROUD_M), centre, w.radius_m * RIM_RADIUS_RATIO)
        tyres += both_sides(tyre)
        rims += both_sides(rim)
    return tyres, rims


def greenhouse(p: VehicleParams, lay: Layout) -> trimesh.Trimesh:
    """Glass cabin: a frustum from the belt line to the roof, narrower at the top."""
    bottom_z = p.body.belt_m - GLASS_EMBED_M
    xb, xt = lay.glass_bottom_half_width, lay.glass_top_half_width
    bottom = [(sx * xb, y, bottom_z) for sx in (-1, 1) for y in (lay.rear_window_base_y, lay.windscreen_base_y)]
    top = [(sx * xt, y, lay.glass_top_z) for sx in (-1, 1) for y in (lay.roof_rear_y, lay.roof_front_y)]
    return hull(bottom + top)


def roof(p: VehicleParams, lay: Layout) -> trimesh.Trimesh:
    """Paint roof slab on the greenhouse; its top is the top of the vehicle."""
    x0 = lay.glass_top_half_width + ROOF_LIP_M
    y0, y1 = lay.roof_rear_y - ROOF_LIP_M, lay.roof_front_y + ROOF_LIP_M
    z0 = lay.glass_top_z - ROOF_LIP_M
    bottom = [(sx * x0, y, z0) for sx in (-1, 1) for y in (y0, y1)]
    x1 = x0 - ROOF_ROUND_M
    top = [(sx * x1, y, lay.roof_top_z) for sx in (-1, 1) for y in (y0 + ROOF_ROUND_M, y1 - ROOF_ROUND_M)]
    return hull(bottom + top)


def roof_rails(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """Two black rails along the roof edges (trim); none unless ``cabin.roof_rails``."""
    if not p.cabin.roof_rails:
        return []
    x = lay.glass_top_half_width + ROOF_LIP_M - RAIL_INSET_M
    y_range = (lay.roof_rear_y + RAIL_END_GAP_M, lay.roof_front_y - RAIL_END_GAP_M)
    z_range = (lay.roof_top_z - ROOF_LIP_M, p.height_m)
    return both_sides(box((x - RAIL_WIDTH_M / 2, x + RAIL_WIDTH_M / 2), y_range, z_range))


def cladding(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """Black sills between the wheels and flares round the arches (trim); none unless ``body.cladding``."""
    if not p.body.cladding:
        return []
    radius = p.wheels.radius_m + ARCH_GAP_M
    x_out = lay.half_width + CLADDING_PROUD_M
    sill_y = (lay.rear_axle_y + radius, lay.front_axle_y - radius)
    sill_z = (p.body.clearance_m, p.body.clearance_m + CLADDING_HEIGHT_M)
    pieces = [box((x_out - CLADDING_DEPTH_M - CLADDING_PROUD_M, x_out), sill_y, sill_z)]
    flare_x = x_out - FLARE_THICKNESS_M / 2
    for axle_y in (lay.rear_axle_y, lay.front_axle_y):
        arch = arch_points(axle_y, lay.wheel_centre_z, radius + FLARE_THICKNESS_M / 2)
        pieces += [beam((flare_x, *a), (flare_x, *b), FLARE_THICKNESS_M) for a, b in zip(arch[:-1], arch[1:])]
    return [piece for solid in pieces for piece in both_sides(solid)]


def pillars(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """A, B and C pillars (paint) along the greenhouse edges on both sides."""
    belt, top_z = p.body.belt_m, lay.glass_top_z
    xb, xt = lay.glass_bottom_half_width, lay.glass_top_half_width
    b_y = lay.roof_front_y - p.cabin.b_pillar_fraction * p.cabin.roof_length_m
    if p.cabin.side_glass_length_m is not None:
        b_y = lay.windscreen_base_y - p.cabin.side_glass_length_m
    a_pillar = beam((xb, lay.windscreen_base_y, belt), (xt, lay.roof_front_y, top_z), A_PILLAR_M)
    b_pillar = beam((xb, b_y, belt), (xt, b_y, top_z), B_PILLAR_M)
    c_pillar = beam((xb, lay.rear_window_base_y, belt), (xt, lay.roof_rear_y, top_z), C_PILLAR_M)
    return [piece for pillar in (a_pillar, b_pillar, c_pillar) for piece in both_sides(pillar)]


def cargo_panels(p: VehicleParams, lay: Layout, glass: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    """Paint panels over the greenhouse behind the side glass (vans); none if glass runs all along."""
    if p.cabin.side_glass_length_m is None:
        return []
    proud = CARGO_PANEL_PROUD_M
    offsets = np.array([(-proud, 0.0, 0.0), (proud, 0.0, 0.0), (0.0, 0.0, proud)])
    grown = hull((glass.vertices[:, None, :] + offsets[None, :, :]).reshape(-1, 3))
    y_end = lay.windscreen_base_y - p.cabin.side_glass_length_m
    return [clip_y(grown, lay.rear_window_base_y + CARGO_PANEL_REAR_GAP_M, y_end)]


def mirrors(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """Door mirrors (trim); their tips are the widest points of the vehicle."""
    y = lay.windscreen_base_y - MIRROR_SETBACK_M
    z = p.body.belt_m + MIRROR_RISE_M
    inner_x = lay.glass_bottom_half_width - A_PILLAR_M / 2  # root hidden in the A pillar
    half_l, taper = MIRROR_LENGTH_M / 2, MIRROR_TAPER_RATIO * MIRROR_HEIGHT_M
    inner = [(inner_x, y + dy, z + dz) for dy in (-half_l, half_l) for dz in (0.0, MIRROR_HEIGHT_M)]
    outer = [
        (p.width_m / 2, y + dy, z + dz)
        for dy in (-half_l, half_l - taper)
        for dz in (taper / 2, MIRROR_HEIGHT_M - taper / 2)
    ]
    return both_sides(hull(inner + outer))


def bumper(p: VehicleParams, lay: Layout, front: bool) -> trimesh.Trimesh:
    """Front or rear bumper (trim) wrapping round the body corners."""
    sign = 1.0 if front else -1.0
    face_y = sign * (p.length_m / 2 - PLATE_THICKNESS_M)
    back_y = sign * (abs(lay.front_face_y if front else lay.rear_face_y) - BUMPER_WRAP_M)
    z0, z1 = p.body.bumper_bottom_m, p.body.bumper_top_m
    x_back = lay.half_width + BUMPER_SIDE_PROUD_M
    x_face = x_back - BUMPER_CORNER_M
    points = [(sx * x_back, back_y, z) for sx in (-1, 1) for z in (z0, z1)]
    points += [(sx * x_face, face_y, z) for sx in (-1, 1) for z in (z0 + BUMPER_PROUD_M, z1)]
    return hull(points)


def plate(p: VehicleParams, front: bool) -> trimesh.Trimesh:
    """Licence plate on the bumper face; it sets the vehicle's length exactly."""
    return plate_at(p.length_m / 2, (p.body.bumper_bottom_m + p.body.bumper_top_m) / 2, front)


def plate_at(half_length: float, z_mid: float, front: bool) -> trimesh.Trimesh:
    """Licence plate whose outer face is at y = +-half_length, centred at height ``z_mid`` (metres)."""
    y_range = (half_length - PLATE_THICKNESS_M - PLATE_EMBED_M, half_length)
    if not front:
        y_range = (-y_range[1], -y_range[0])
    half_w, half_h = PLATE_WIDTH_M / 2, PLATE_HEIGHT_M / 2
    return box((-half_w, half_w), y_range, (z_mid - half_h, z_mid + half_h))


def light_cluster(
    x_outer: float, width: float, z_range: tuple[float, float], face_y: float, front: bool
) -> trimesh.Trimesh:
    """Light box on the +x corner of a body face, slightly proud and wrapping round the side (metres)."""
    if front:
        y_range = (face_y - LIGHT_WRAP_M, face_y + LIGHT_PROUD_M)
    else:
        y_range = (face_y - LIGHT_PROUD_M, face_y + LIGHT_WRAP_M)
    x_range = (x_outer - LIGHT_INSET_M - width, x_outer + LIGHT_SIDE_PROUD_M)
    return box(x_range, y_range, z_range)


def front_lights(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """Headlights just below the bonnet edge, both sides."""
    top = p.body.nose_top_m - BODY_EDGE_M - LIGHT_BELOW_EDGE_M
    z_range = (top - p.lights.front_height_m, top)
    return both_sides(light_cluster(lay.half_width, p.lights.front_width_m, z_range, lay.front_face_y, True))


def rear_lights(p: VehicleParams, lay: Layout) -> list[trimesh.Trimesh]:
    """Tail lights in the rear corners, both sides."""
    top = p.lights.rear_top_m
    if top is None:
        top = p.body.tail_top_m - BODY_EDGE_M - LIGHT_BELOW_EDGE_M
    z_range = (top - p.lights.rear_height_m, top)
    return both_sides(light_cluster(lay.half_width, p.lights.rear_width_m, z_range, lay.rear_face_y, False))


def grille(p: VehicleParams, lay: Layout) -> trimesh.Trimesh:
    """Grille (trim) between the headlights, from the bumper to the headlight top."""
    half_w = lay.half_width - LIGHT_INSET_M - p.lights.front_width_m - GRILLE_GAP_M
    top = p.body.nose_top_m - BODY_EDGE_M - LIGHT_BELOW_EDGE_M
    y_range = (lay.front_face_y - LIGHT_WRAP_M, lay.front_face_y + LIGHT_PROUD_M)
    return box((-half_w, half_w), y_range, (p.body.bumper_top_m - GRILLE_OVERLAP_M, top))


def vehicle_parts(p: VehicleParams) -> dict[str, list[trimesh.Trimesh]]:
    """All solids of a vehicle, grouped by part name."""
    lay = make_layout(p)
    glass = greenhouse(p, lay)
    tyres, rims = wheels(p, lay)
    return {
        "paint": lower_body(p, lay) + [roof(p, lay)] + pillars(p, lay) + cargo_panels(p, lay, glass),
        "glass": [glass],
        "tyre": tyres,
        "rim": rims,
        "light_front": front_lights(p, lay),
        "light_rear": rear_lights(p, lay),
        "plate": [plate(p, front=True), plate(p, front=False)],
        "trim": [bumper(p, lay, True), bumper(p, lay, False), grille(p, lay)]
        + mirrors(p, lay)
        + wheel_wells(p, lay)
        + roof_rails(p, lay)
        + cladding(p, lay),
    }

