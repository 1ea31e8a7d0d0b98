"""The box truck: a cab-over cab, a chassis with twin rear tyres and a cargo box (metres).

Exact by construction like the cars: the front plate and the rear door hardware
set the length, the mirrors the width, the cargo box the height, and a flat facet
of each tyre lies on z = 0. Its numbers are in ``parameters.yaml`` (kind ``truck``);
the constants below fix the proportions of the smaller pieces.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import trimesh

from .constants import (
    ARCH_GAP_M,
    BUMPER_SIDE_PROUD_M,
    LIGHT_PROUD_M,
    PLATE_THICKNESS_M,
    RIM_DEPTH_M,
    RIM_PROUD_M,
    RIM_RADIUS_RATIO,
    ROUND_SEGMENTS,
    TYRE_SEGMENTS,
)
from .params import AssetParams
from .primitives import beam, both_sides, box, chamfered_prism, disc_x, hull, rod
from .vehicles import WheelParams, cut_arches, plate_at

TRUCK_BUMPER_PROUD_M = 0.06  # front bumper face ahead of the cab's front face (bottom)
TRUCK_BUMPER_WRAP_M = 0.25  # bumper depth behind the cab face
TRUCK_CAB_EDGE_M = 0.12  # rounding (chamfer) of the cab's front-bottom and roof edges, side view
TRUCK_CAB_CHAMFER_M = 0.10  # chamfer of the cab's vertical and roof side edges
TRUCK_BOX_CHAMFER_M = 0.03  # chamfer of the cargo box's edges
TRUCK_GLASS_PROUD_M = 0.01  # windows outside the cab surface
TRUCK_GLASS_EMBED_M = 0.04  # windows' depth inside the cab
TRUCK_WINDSCREEN_INSET_M = 0.12  # windscreen's sides inboard of the cab sides
TRUCK_SIDE_WINDOW_M = (0.30, 1.00, 1.60, 2.45)  # side windows: y behind the cab front (from, to), z (from, to)
TRUCK_GRILLE_M = (0.70, 0.95, 1.40)  # grille: half width, bottom, top
TRUCK_HEADLIGHT_M = (0.62, 0.95, 0.55, 0.68)  # headlights in the bumper: |x| (from, to), z (from, to)
TRUCK_MIRROR_M = (0.25, 0.08, 0.06, 1.70, 2.40)  # mirror: y behind the cab front, length, depth (x), z range
TRUCK_MIRROR_ARM_M = 0.04  # mirror arm thickness
TRUCK_REAR_HARDWARE_M = 0.03  # locking bars and door seam proud of the box's rear face (the rear-most points)
TRUCK_LOCK_BAR_X_M = (0.30, 0.85)  # |x| of the rear doors' locking bars
TRUCK_LOCK_BAR_WIDTH_M = 0.03
TRUCK_LAMP_BAR_M = (1.05, 0.45, 0.62, 0.05, 0.20)  # rear lamp/underrun bar: half width, z range, y ahead of the rear
TRUCK_REAR_LIGHT_M = (0.70, 0.95, 0.02)  # rear lights on the lamp bar: |x| (from, to), margin in z
TRUCK_CHASSIS_M = (0.40, 0.50, 0.75)  # chassis rails: |x| (from, to), bottom height (top = box floor)
TRUCK_MUDGUARD_M = (0.05, 0.03, 0.12)  # rear mudguard: gap above the tyres, thickness, overhang fore and aft
TRUCK_SIDE_GUARD_M = (0.04, 0.10, (0.50, 0.85))  # side guard rails: depth (x), height, bottom heights
TRUCK_FUEL_TANK_M = (0.25, 0.70, 0.45)  # fuel tank (left side): radius, length, gap behind the front wheel


@dataclasses.dataclass(frozen=True, kw_only=True)
class TruckParams(AssetParams):
    """A box truck: cab-over cab, chassis with twin rear tyres, cargo box (metres).

    ``width_m`` is over the mirrors, ``height_m`` is the top of the cargo box,
    ``length_m`` runs from the front plate to the box's rear door hardware.
    """

    exact: ClassVar[bool] = True

    front_wheels: WheelParams  # inset from the cab side
    rear_wheels: WheelParams  # each of the twin tyres; inset from the box side
    twin_gap_m: float  # gap between the twin rear tyres
    front_overhang_m: float  # front plate to front axle
    wheelbase_m: float
    cab_length_m: float
    cab_width_m: float
    cab_height_m: float
    cab_bottom_m: float
    cab_rake_m: float  # top of the cab's front face set back from its bottom
    windscreen_m: tuple[float, float]  # windscreen bottom and top heights
    bumper_m: tuple[float, float]  # front bumper bottom and top heights
    box_width_m: float
    box_bottom_m: float  # cargo floor height
    box_gap_m: float  # between the cab's back and the box's front

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return truck_parts(self)


@dataclasses.dataclass(frozen=True)
class TruckLayout:
    """Coordinates (metres) derived from :class:`TruckParams`; y of faces, z of heights."""

    half_length: float
    cab_half: float  # half the cab's width
    box_half: float  # half the cargo box's width
    cab_front: float  # cab front face at its bottom edge
    cab_rear: float
    front_axle: float
    rear_axle: float
    face_bottom: float  # heights where the raked front face starts and ends
    face_top: float
    cab_rake: float  # the face's set-back from face_bottom to face_top
    front_centre_z: float  # wheel centres
    rear_centre_z: float
    arch_radius: float  # front wheel arch
    front_outer: float  # x of the front tyres' outer faces
    rear_outer: float  # x of the outer rear tyres' outer faces
    bumper_face: float  # front bumper face (behind the front plate)
    bar_face: float  # rear face of the lamp bar
    box_rear: float  # rear face of the cargo box (inside the door hardware)

    def face_y(self, z: float) -> float:
        """y of the raked cab front face at height z (metres)."""
        return self.cab_front - self.cab_rake * (z - self.face_bottom) / (self.face_top - self.face_bottom)


def truck_layout(p: TruckParams) -> TruckLayout:
    """Derive the coordinates of the truck's features (metres)."""
    half_length = p.length_m / 2
    cab_front = half_length - PLATE_THICKNESS_M - TRUCK_BUMPER_PROUD_M
    front_axle = half_length - p.front_overhang_m
    return TruckLayout(
        half_length=half_length,
        cab_half=p.cab_width_m / 2,
        box_half=p.box_width_m / 2,
        cab_front=cab_front,
        cab_rear=cab_front - p.cab_length_m,
        front_axle=front_axle,
        rear_axle=front_axle - p.wheelbase_m,
        face_bottom=p.cab_bottom_m + TRUCK_CAB_EDGE_M,
        face_top=p.cab_height_m - TRUCK_CAB_EDGE_M,
        cab_rake=p.cab_rake_m,
        front_centre_z=p.front_wheels.radius_m * math.cos(math.pi / TYRE_SEGMENTS),
        rear_centre_z=p.rear_wheels.radius_m * math.cos(math.pi / TYRE_SEGMENTS),
        arch_radius=p.front_wheels.radius_m + ARCH_GAP_M,
        front_outer=p.cab_width_m / 2 - p.front_wheels.inset_m,
        rear_outer=p.box_width_m / 2 - p.rear_wheels.inset_m,
        bumper_face=half_length - PLATE_THICKNESS_M,
        bar_face=-half_length + TRUCK_LAMP_BAR_M[3],
        box_rear=-half_length + TRUCK_REAR_HARDWARE_M,
    )


def on_face(lay: TruckLayout, half_w: float, z0: float, z1: float, proud: float, embed: float) -> trimesh.Trimesh:
    """Slab on the raked front face from height z0 to z1, ``proud`` in front of it and ``embed`` behind it (metres)."""
    return hull([(sx * half_w, lay.face_y(z) + d, z) for sx in (-1, 1) for z in (z0, z1) for d in (proud, -embed)])


def truck_cab(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """The cab (paint) with its chamfered edges, cut into convex strips round the front wheel arch."""
    edge = TRUCK_CAB_EDGE_M
    profile = [
        (lay.cab_rear, p.cab_bottom_m),
        (lay.cab_front - edge, p.cab_bottom_m),
        (lay.cab_front, lay.face_bottom),
        (lay.face_y(lay.face_top), lay.face_top),
        (lay.face_y(lay.face_top) - edge, p.cab_height_m),
        (lay.cab_rear + edge, p.cab_height_m),
        (lay.cab_rear, p.cab_height_m - edge),
    ]
    cab = chamfered_prism(profile, lay.cab_half, TRUCK_CAB_CHAMFER_M)
    return cut_arches(cab, (lay.front_axle,), lay.front_centre_z, lay.arch_radius, p.length_m)


def truck_glass(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """Windscreen on the raked face and a side window on each cab side."""
    windscreen = on_face(
        lay, lay.cab_half - TRUCK_WINDSCREEN_INSET_M, *p.windscreen_m, TRUCK_GLASS_PROUD_M, TRUCK_GLASS_EMBED_M
    )
    w_y0, w_y1, w_z0, w_z1 = TRUCK_SIDE_WINDOW_M
    side_window = box(
        (lay.cab_half - TRUCK_GLASS_EMBED_M, lay.cab_half + TRUCK_GLASS_PROUD_M),
        (lay.cab_front - w_y1, lay.cab_front - w_y0),
        (w_z0, w_z1),
    )
    return [windscreen, *both_sides(side_window)]


def truck_wheels(p: TruckParams, lay: TruckLayout) -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh]]:
    """Single front tyres and twin rear tyres, and a rim disc on each outer tyre."""
    fw, rw = p.front_wheels, p.rear_wheels
    front_centre, rear_centre = (lay.front_axle, lay.front_centre_z), (lay.rear_axle, lay.rear_centre_z)
    tyres = both_sides(disc_x((lay.front_outer - fw.width_m, lay.front_outer), front_centre, fw.radius_m))
    for outer in (lay.rear_outer, lay.rear_outer - rw.width_m - p.twin_gap_m):
        tyres += both_sides(disc_x((outer - rw.width_m, outer), rear_centre, rw.radius_m))
    rims = []
    for outer, centre, radius in ((lay.front_outer, front_centre, fw.radius_m),
                                  (lay.rear_outer, rear_centre, rw.radius_m)):
        rims += both_sides(disc_x((outer - RIM_DEPTH_M, outer + RIM_PROUD_M), centre, radius * RIM_RADIUS_RATIO))
    return tyres, rims


def truck_lights(lay: TruckLayout) -> tuple[list[trimesh.Trimesh], list[trimesh.Trimesh]]:
    """Headlights in the front bumper and rear lights on the lamp bar, both sides."""
    hx0, hx1, hz0, hz1 = TRUCK_HEADLIGHT_M
    face = lay.bumper_face
    headlight = box((hx0, hx1), (face - TRUCK_BUMPER_WRAP_M / 2, face + LIGHT_PROUD_M / 2), (hz0, hz1))
    _, bar_z0, bar_z1, _, _ = TRUCK_LAMP_BAR_M
    lx0, lx1, lz = TRUCK_REAR_LIGHT_M
    bar = lay.bar_face
    rear_light = box((lx0, lx1), (bar - LIGHT_PROUD_M, bar + LIGHT_PROUD_M), (bar_z0 + lz, bar_z1 - lz))
    return both_sides(headlight), both_sides(rear_light)


def truck_plates(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """Front plate on the bumper (it sets the length) and rear plate on the lamp bar."""
    _, bar_z0, bar_z1, bar_y0, _ = TRUCK_LAMP_BAR_M
    return [
        plate_at(lay.half_length, sum(p.bumper_m) / 2, front=True),
        plate_at(lay.half_length - bar_y0 + PLATE_THICKNESS_M, (bar_z0 + bar_z1) / 2, front=False),
    ]


def truck_bars(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """Front bumper, grille on the raked face and the rear lamp/underrun bar (trim)."""
    bar_half, bar_z0, bar_z1, _, bar_y1 = TRUCK_LAMP_BAR_M
    bumper_x = (-lay.cab_half - BUMPER_SIDE_PROUD_M, lay.cab_half + BUMPER_SIDE_PROUD_M)
    return [
        box(bumper_x, (lay.face_y(lay.face_bottom) - TRUCK_BUMPER_WRAP_M, lay.bumper_face), p.bumper_m),
        on_face(lay, TRUCK_GRILLE_M[0], TRUCK_GRILLE_M[1], TRUCK_GRILLE_M[2], LIGHT_PROUD_M, TRUCK_GLASS_EMBED_M),
        box((-bar_half, bar_half), (lay.bar_face, -lay.half_length + bar_y1), (bar_z0, bar_z1)),
    ]


def truck_mirrors(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """Mirror heads (the widest points) on arms from the cab sides (trim)."""
    m_y, m_len, m_depth, m_z0, m_z1 = TRUCK_MIRROR_M
    mirror_y = lay.cab_front - m_y
    head = box((p.width_m / 2 - m_depth, p.width_m / 2), (mirror_y - m_len / 2, mirror_y + m_len / 2), (m_z0, m_z1))
    arm_z = m_z1 - TRUCK_MIRROR_ARM_M
    arm = beam((lay.cab_half - TRUCK_MIRROR_ARM_M, mirror_y, arm_z),
               (p.width_m / 2 - m_depth / 2, mirror_y, arm_z), TRUCK_MIRROR_ARM_M)
    return both_sides(head) + both_sides(arm)


def truck_chassis(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """Chassis rails from the lamp bar to the middle of the cab, under the cargo floor (trim)."""
    cx0, cx1, cz0 = TRUCK_CHASSIS_M
    y_range = (-lay.half_length + TRUCK_LAMP_BAR_M[4], lay.cab_rear + p.cab_length_m / 2)
    return both_sides(box((cx0, cx1), y_range, (cz0, p.box_bottom_m)))


def truck_rear_hardware(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """Door seam and locking bars on the box's rear face, the rear-most points (trim)."""
    hardware_y = (-lay.half_length, lay.box_rear + TRUCK_REAR_HARDWARE_M)
    hardware_z = (p.box_bottom_m + TRUCK_BOX_CHAMFER_M, p.height_m - TRUCK_BOX_CHAMFER_M)
    half_bar = TRUCK_LOCK_BAR_WIDTH_M / 2
    pieces = [box((-half_bar, half_bar), hardware_y, hardware_z)]  # door seam
    for x in TRUCK_LOCK_BAR_X_M:
        pieces += both_sides(box((x - half_bar, x + half_bar), hardware_y, hardware_z))
    return pieces


def truck_guards(p: TruckParams, lay: TruckLayout) -> list[trimesh.Trimesh]:
    """Mudguards over the twin rear tyres and side guard rails between the axles (trim)."""
    rw = p.rear_wheels
    gap, thickness, overhang = TRUCK_MUDGUARD_M
    guard_z = 2 * lay.rear_centre_z + gap
    guard_x = (lay.rear_outer - 2 * rw.width_m - p.twin_gap_m, lay.rear_outer + BUMPER_SIDE_PROUD_M)
    guard_y = (lay.rear_axle - rw.radius_m - overhang, lay.rear_axle + rw.radius_m + overhang)
    pieces = both_sides(box(guard_x, guard_y, (guard_z, guard_z + thickness)))
    rail_depth, rail_height, rail_bottoms = TRUCK_SIDE_GUARD_M
    rail_y = (lay.rear_axle + rw.radius_m + overhang, lay.front_axle - lay.arch_radius)
    for z in rail_bottoms:
        pieces += both_sides(box((lay.box_half - rail_depth, lay.box_half), rail_y, (z, z + rail_height)))
    return pieces


def truck_cargo_box(p: TruckParams, lay: TruckLayout) -> trimesh.Trimesh:
    """The cargo box with chamfered edges, its rear face just inside the door hardware."""
    box_front = lay.cab_rear - p.box_gap_m
    profile = [
        (lay.box_rear, p.box_bottom_m), (box_front, p.box_bottom_m),
        (box_front, p.height_m), (lay.box_rear, p.height_m),
    ]
    return chamfered_prism(profile, lay.box_half, TRUCK_BOX_CHAMFER_M)


def truck_fuel_tank(lay: TruckLayout) -> trimesh.Trimesh:
    """Fuel tank (metal) on the left, behind the front wheel, its axis along y at the chassis bottom."""
    radius, length, gap = TRUCK_FUEL_TANK_M
    tank_y = lay.front_axle - lay.arch_radius - gap
    tank_x = -(lay.box_half - TRUCK_SIDE_GUARD_M[0] - radius)
    tank_z = TRUCK_CHASSIS_M[2]
    return rod((tank_x, tank_y, tank_z), (tank_x, tank_y - length, tank_z), radius, n=ROUND_SEGMENTS * 2)


def truck_parts(p: TruckParams) -> dict[str, list[trimesh.Trimesh]]:
    """All solids of a box truck, grouped by part name."""
    lay = truck_layout(p)
    tyres, rims = truck_wheels(p, lay)
    front_lights, rear_lights = truck_lights(lay)
    trim = (truck_bars(p, lay) + truck_mirrors(p, lay) + truck_chassis(p, lay)
            + truck_rear_hardware(p, lay) + truck_guards(p, lay))
    return {
        "paint": truck_cab(p, lay),
        "glass": truck_glass(p, lay),
        "tyre": tyres,
        "rim": rims,
        "light_front": front_lights,
        "light_rear": rear_lights,
        "plate": truck_plates(p, lay),
        "trim": trim,
        "cargo_box": [truck_cargo_box(p, lay)],
        "metal": [truck_fuel_tank(lay)],
    }
