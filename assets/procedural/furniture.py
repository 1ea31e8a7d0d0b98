"""Furniture and street objects: a kitchen chair, a traffic cone, a steel drum, a fridge (metres).

Each is built from its parameters and fitted to its declared size
(:func:`.primitives.fit_to_size`); their numbers are in ``parameters.yaml``
(kinds ``chair``, ``cone``, ``barrel`` and ``fridge``).
"""

from __future__ import annotations

import dataclasses

import trimesh

from .constants import DRUM_SEGMENTS
from .params import AssetParams
from .primitives import annulus, box, chamfered_prism, hull, post, rod


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChairParams(AssetParams):
    """A wooden kitchen chair facing +y (the sitter looks to +y; the backrest is at -y), metres.

    The seat spans the full width; the rear legs rise into the backrest and lean back
    above the seat, their tops being the rear-most and highest points.
    """

    seat_top_m: float
    seat_thickness_m: float
    seat_overhang_m: float  # seat beyond the legs at the sides and front; the rear legs stand out behind it as much
    leg_m: float  # square leg section
    back_rake_m: float  # top of the rear legs behind the seat's rear edge
    top_rail_m: float  # height of the backrest's top rail
    back_slats: int
    slat_m: tuple[float, float]  # slat width (x) and thickness (y)
    back_gap_m: float  # between the seat top and the slats' bottom rail
    stretcher_m: tuple[float, float]  # stretcher height above the ground and its square section

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return {"wood": chair_solids(self)}


def chair_solids(p: ChairParams) -> list[trimesh.Trimesh]:
    """Seat, four legs, stretchers and backrest of a chair."""
    hw, hl, h = p.width_m / 2, p.length_m / 2, p.height_m
    leg, over = p.leg_m / 2, p.seat_overhang_m
    seat_rear = -hl + p.back_rake_m
    seat_bottom = p.seat_top_m - p.seat_thickness_m
    leg_x = hw - over - leg
    front_y, rear_y = hl - over - leg, seat_rear - over + leg
    top_y = -hl + leg

    def back_y(z: float) -> float:
        """Centre line of the raked rear legs above the seat's bottom."""
        return rear_y + (top_y - rear_y) * (z - seat_bottom) / (h - seat_bottom)

    def back_panel(x_half: float, z0: float, z1: float, thickness: float) -> trimesh.Trimesh:
        """A panel between the rear legs, following their rake."""
        return hull([
            (sx * x_half, back_y(z) + sy * thickness / 2, z) for sx in (-1, 1) for sy in (-1, 1) for z in (z0, z1)
        ])

    solids = [box((-hw, hw), (seat_rear, hl), (seat_bottom, p.seat_top_m))]
    for sx in (-1, 1):
        x = sx * leg_x
        solids.append(post((x, front_y, 0.0), (x, front_y, seat_bottom), leg, leg))
        solids.append(post((x, rear_y, 0.0), (x, rear_y, p.seat_top_m), leg, leg))
        solids.append(post((x, rear_y, seat_bottom), (x, top_y, h), leg, leg))
    z, size = p.stretcher_m
    half = size / 2
    for sx in (-1, 1):
        x = sx * leg_x
        solids.append(box((x - half, x + half), (rear_y, front_y), (z - half, z + half)))
    solids.append(box((-leg_x, leg_x), (front_y - half, front_y + half), (z - half, z + half)))
    # backrest: top rail, a bottom rail and slats between them
    rail_top, rail_bottom = h - p.top_rail_m, p.seat_top_m + p.back_gap_m
    solids.append(back_panel(leg_x, rail_top, h - p.leg_m / 4, p.slat_m[1] * 1.5))
    solids.append(back_panel(leg_x, rail_bottom, rail_bottom + p.slat_m[0], p.slat_m[1] * 1.5))
    slat_w, slat_t = p.slat_m
    pitch = 2 * leg_x / (p.back_slats + 1)
    for k in range(p.back_slats):
        x = -leg_x + pitch * (k + 1)
        solids.append(hull([
            (x + sx * slat_w / 2, back_y(z) + sy * slat_t / 2, z)
            for sx in (-1, 1) for sy in (-1, 1) for z in (rail_bottom, rail_top)
        ]))
    return solids


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConeParams(AssetParams):
    """A traffic cone on a square base, with reflective bands (metres; width = base size)."""

    base_thickness_m: float
    base_corner_m: float  # chamfer of the base's corners (plan view)
    bottom_radius_m: float
    top_radius_m: float
    bands_m: tuple[tuple[float, float], ...]  # (bottom, top) height of each reflective band
    band_proud_m: float

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return cone_parts(self)


def cone_radius(p: ConeParams, z: float) -> float:
    """Radius of the cone's body at height z (metres); the body starts half way up the base."""
    bottom = p.base_thickness_m / 2
    t = (z - bottom) / (p.height_m - bottom)
    return p.bottom_radius_m + t * (p.top_radius_m - p.bottom_radius_m)


def cone_parts(p: ConeParams) -> dict[str, list[trimesh.Trimesh]]:
    """Base (rubber), body (orange_plastic), bands (reflective_band)."""
    hw, c = p.width_m / 2, p.base_corner_m
    corners = [(sx * u, sy * v) for sx in (-1, 1) for sy in (-1, 1) for u, v in ((hw, hw - c), (hw - c, hw))]
    base = hull([(x, y, z) for x, y in corners for z in (0.0, p.base_thickness_m)])

    def frustum(z0: float, z1: float, r0: float, r1: float) -> trimesh.Trimesh:
        return rod((0.0, 0.0, z0), (0.0, 0.0, z1), r0, r1, n=DRUM_SEGMENTS)

    body = frustum(p.base_thickness_m / 2, p.height_m, p.bottom_radius_m, p.top_radius_m)
    proud = p.band_proud_m
    bands = [frustum(z0, z1, cone_radius(p, z0) + proud, cone_radius(p, z1) + proud) for z0, z1 in p.bands_m]
    return {"rubber": [base], "orange_plastic": [body], "reflective_band": bands}


@dataclasses.dataclass(frozen=True, kw_only=True)
class BarrelParams(AssetParams):
    """A steel drum standing upright (metres; width = diameter over the rims and hoops)."""

    shell_inset_m: float  # shell radius below the outer radius
    chime_m: tuple[float, float]  # top/bottom rim: height, radial depth
    lid_recess_m: float  # lid below the top rim
    hoops_m: tuple[float, ...]  # heights of the rolling hoops' centres
    hoop_height_m: float
    bungs_m: tuple[float, float, float]  # bung radius, height, distance from the axis

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return barrel_parts(self)


def barrel_parts(p: BarrelParams) -> dict[str, list[trimesh.Trimesh]]:
    """Shell, rims and hoops (drum), bungs (metal)."""
    r = p.width_m / 2
    shell_r = r - p.shell_inset_m
    chime_h, chime_depth = p.chime_m
    n = DRUM_SEGMENTS
    shell = rod((0.0, 0.0, 0.0), (0.0, 0.0, p.height_m - p.lid_recess_m), shell_r, n=n)
    drum = [shell]
    for z in (chime_h / 2, p.height_m - chime_h / 2):
        drum += annulus((0.0, 0.0, z), ((0.0, 1.0, 0.0), (-1.0, 0.0, 0.0)), (r - chime_depth, r), chime_h, n)
    drum += [rod((0.0, 0.0, z - p.hoop_height_m / 2), (0.0, 0.0, z + p.hoop_height_m / 2), r, n=n) for z in p.hoops_m]
    bung_r, bung_h, bung_d = p.bungs_m
    lid = p.height_m - p.lid_recess_m
    bungs = [rod((0.0, y, lid - bung_h / 2), (0.0, y, lid + bung_h), bung_r) for y in (bung_d, -bung_d * 0.9)]
    return {"drum": drum, "metal": bungs}


@dataclasses.dataclass(frozen=True, kw_only=True)
class FridgeParams(AssetParams):
    """A free-standing fridge-freezer, doors to +y (metres; length = depth including the handles)."""

    door_thickness_m: float
    door_gap_m: float  # between the freezer (top) and fridge (bottom) doors
    door_split_m: float  # height of the gap's centre
    door_margin_m: float  # doors inboard of the cabinet sides and below its top
    plinth_m: float  # height of the kick plate under the fridge door
    handle_m: tuple[float, float, float]  # handle bar: width (x), depth (y), length (z)
    handle_standoff_m: float  # gap between a handle bar and its door
    handle_inset_m: float  # handle centre inboard of the cabinet's left side
    handle_offset_m: float  # handle ends' distance from the door gap
    edge_m: float  # chamfer of the cabinet's and doors' edges
    coil_m: tuple[float, float, float, float]  # condenser on the back: width, bottom, top, depth behind the cabinet

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return fridge_parts(self)


def fridge_parts(p: FridgeParams) -> dict[str, list[trimesh.Trimesh]]:
    """Cabinet and doors (white_enamel), handles (handle), door gap, kick plate and condenser (gasket)."""
    hw, hl = p.width_m / 2, p.length_m / 2
    coil_w, coil_z0, coil_z1, coil_d = p.coil_m
    back = -hl + coil_d
    bar_w, bar_d, bar_l = p.handle_m
    door_front = hl - bar_d - p.handle_standoff_m
    cabinet_front = door_front - p.door_thickness_m
    e = p.edge_m
    cabinet_profile = [
        (back, 0.0), (cabinet_front, 0.0), (cabinet_front, p.height_m - e), (cabinet_front - e, p.height_m),
        (back + e, p.height_m), (back, p.height_m - e),
    ]
    cabinet = chamfered_prism(cabinet_profile, hw, e)
    split_lo, split_hi = p.door_split_m - p.door_gap_m / 2, p.door_split_m + p.door_gap_m / 2
    door_hw = hw - p.door_margin_m
    doors = []
    for z0, z1 in ((p.plinth_m, split_lo), (split_hi, p.height_m - p.door_margin_m)):
        profile = [(cabinet_front - e, z0), (door_front - e, z0), (door_front, z0 + e), (door_front, z1 - e),
                   (door_front - e, z1), (cabinet_front - e, z1)]
        doors.append(chamfered_prism(profile, door_hw, e))
    behind_doors = (cabinet_front - e, door_front - p.door_thickness_m / 2)
    gap = box((-door_hw, door_hw), behind_doors, (split_lo - e, split_hi + e))
    kick = box((-door_hw, door_hw), (cabinet_front - e, cabinet_front + p.door_thickness_m / 2), (0.0, p.plinth_m))
    handles = []
    x = -hw + p.handle_inset_m
    for z0, z1 in ((split_lo - p.handle_offset_m - bar_l, split_lo - p.handle_offset_m),
                   (split_hi + p.handle_offset_m, split_hi + p.handle_offset_m + bar_l)):
        handles.append(box((x - bar_w / 2, x + bar_w / 2), (hl - bar_d, hl), (z0, z1)))
        for z in (z0 + bar_w, z1 - bar_w):
            standoff_y = (door_front - e, hl - bar_d / 2)
            handles.append(box((x - bar_w / 2, x + bar_w / 2), standoff_y, (z - bar_w / 2, z + bar_w / 2)))
    coil = box((-coil_w / 2, coil_w / 2), (-hl, back + e), (coil_z0, coil_z1))
    return {"white_enamel": [cabinet, *doors], "handle": handles, "gasket": [gap, kick, coil]}
