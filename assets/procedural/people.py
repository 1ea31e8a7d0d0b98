"""People: a pedestrian standing upright and a cyclist riding a city bicycle (metres, degrees).

A person is built from the stature alone, with segment lengths from published
proportions and girths chosen by eye (see the constants below), then posed: the
hip position, a forward lean of the torso, the heels and the wrists; the knees
and elbows follow (:func:`.primitives.bend`). The cyclist is such a person posed
on a bicycle built from its frame geometry. Their numbers are in
``parameters.yaml`` (kinds ``pedestrian`` and ``cyclist``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import trimesh

from .constants import DRUM_SEGMENTS, TYRE_SEGMENTS
from .params import AssetParams
from .primitives import (
    add_parts,
    bend,
    box,
    capsule,
    chain,
    clip_convex,
    ellipse_points,
    ellipsoid,
    hull,
    loft,
    moved,
    rod,
    rotation_x,
    unit,
    wheel_ring,
)


# --- body proportions

# Segment lengths as fractions of stature H, after Drillis and Contini (1966) as drawn in
# D. A. Winter, Biomechanics and Motor Control of Human Movement (4th ed., 2009), fig. 4.1.
HIP_HEIGHT_RATIO = 0.530  # hip joint (greater trochanter) above the soles
SHOULDER_HEIGHT_RATIO = 0.818
CHIN_HEIGHT_RATIO = 0.870
ANKLE_HEIGHT_RATIO = 0.039
SHOULDER_WIDTH_RATIO = 0.259  # over the deltoids (the arms)
HIP_WIDTH_RATIO = 0.191
THIGH_RATIO = 0.245  # hip to knee
SHANK_RATIO = 0.246  # knee to ankle
UPPER_ARM_RATIO = 0.186  # shoulder to elbow
FOREARM_RATIO = 0.146  # elbow to wrist
HAND_RATIO = 0.108
FOOT_LENGTH_RATIO = 0.152
FOOT_WIDTH_RATIO = 0.055

# Girths and placements, also fractions of stature, chosen by eye for a slim adult.
HIP_JOINT_SPACING_RATIO = 0.050  # each hip joint beside the body's mid-plane
PELVIS_RADII_RATIO = (HIP_WIDTH_RATIO / 2, 0.066, 0.063)  # x, y, z; centred between the hip joints
PELVIS_SETBACK_RATIO = 0.008  # pelvis centre behind the hip joints
WAIST_RATIO = (0.060, 0.083, 0.057)  # height above the hip joints, x and y radii
CHEST_RATIO = (0.190, 0.094, 0.063)
SHOULDER_GIRDLE_RADII_RATIO = (0.098, 0.054)  # torso x and y radii at shoulder height
NECK_BASE_RATIO = (0.025, 0.050, 0.034)  # height above the shoulders, x and y radii
NECK_RADIUS_RATIO = 0.030
HEAD_RADII_RATIO = (0.044, 0.056)  # x, y (z is half the chin-to-top height)
HEAD_FORWARD_RATIO = 0.010  # head centre ahead of the torso axis
HAIR_THICKNESS_RATIO = 0.007  # hair: the head's ellipsoid grown by this (its top is the stature) ...
HAIR_BACK_RATIO = 0.006  # ... and moved back by this
HAIR_LINE_SLOPE = 0.6  # hairline plane: rises by this per unit of y towards the face
HAIR_LINE_RATIO = 0.002  # hairline plane height above the head centre, at the centre
HEAD_LIFT = 0.6  # a leaning person raises the head again by this fraction of the lean (to look ahead)
NOSE_RATIO = (0.007, 0.014, 0.011)  # nose radius, length ahead of the face, drop below the head centre
UPPER_ARM_RADII_RATIO = (0.028, 0.023)  # at shoulder and elbow
FOREARM_RADII_RATIO = (0.023, 0.018)  # at elbow and wrist
HAND_RADII_RATIO = (0.019, 0.011)  # at the wrist and the finger tips
HAND_REACH = 0.75  # finger tips this fraction of the hand length beyond the wrist (slightly curled)
THIGH_RADII_RATIO = (0.042, 0.030)  # at hip and knee
SHANK_RADII_RATIO = (0.029, 0.021)  # at knee and ankle
ANKLE_FROM_HEEL = 0.25  # ankle ahead of the heel, fraction of the foot length
BALL_FROM_HEEL = 0.72  # ball of the foot ahead of the heel, fraction of the foot length
SHOE_TOE_HEIGHT_RATIO = 0.032  # top of the toe cap above the sole
SHOE_COLLAR_RATIO = (0.015, 0.027)  # shoe collar height above the ankle, and radius
ELBOW_HINT = (0.35, -1.0, 0.0)  # elbows bend outward (+x on the right) and back
KNEE_HINT = (0.0, 1.0, 0.0)  # knees bend forward


# --- the posed person


@dataclasses.dataclass(frozen=True)
class Figure:
    """Body dimensions (metres) of a person of a given stature; heights are above the hip joints."""

    stature_m: float

    @property
    def hip_z(self) -> float:
        return HIP_HEIGHT_RATIO * self.stature_m

    def of(self, ratio: float) -> float:
        """A length given as a fraction of stature, in metres."""
        return ratio * self.stature_m

    def rel(self, height_ratio: float) -> float:
        """A height given as a fraction of stature above the soles, made relative to the hip joints."""
        return (height_ratio - HIP_HEIGHT_RATIO) * self.stature_m


@dataclasses.dataclass(frozen=True)
class Pose:
    """Where a person's body is (metres, degrees); "left" is -x, "right" +x.

    ``hip`` is the midpoint of the hip joints; the torso and head lean forward
    (towards +y) by ``lean_deg`` about the hip joints; each shoe's sole is flat,
    its heel at the given point (x of the shoe's centre line); hands hold the wrist points.
    """

    hip: tuple[float, float, float]
    lean_deg: float
    heels: tuple[tuple[float, float, float], tuple[float, float, float]]
    wrists: tuple[tuple[float, float, float], tuple[float, float, float]]


def upper_body(f: Figure) -> tuple[dict[str, list[trimesh.Trimesh]], dict[str, list[trimesh.Trimesh]], np.ndarray]:
    """Trunk (pelvis, torso) and head (neck, head, hair, nose) in the hip frame, upright, and the neck's base.

    The hip frame has its origin between the hip joints.
    """
    pelvis = ellipsoid((0.0, -f.of(PELVIS_SETBACK_RATIO), 0.0), [f.of(r) for r in PELVIS_RADII_RATIO])
    shoulder_z = f.rel(SHOULDER_HEIGHT_RATIO)
    neck_z = shoulder_z + f.of(NECK_BASE_RATIO[0])
    torso = loft([
        ((0.0, 0.0, f.of(WAIST_RATIO[0])), f.of(WAIST_RATIO[1]), f.of(WAIST_RATIO[2])),
        ((0.0, 0.0, f.of(CHEST_RATIO[0])), f.of(CHEST_RATIO[1]), f.of(CHEST_RATIO[2])),
        ((0.0, 0.0, shoulder_z), *(f.of(r) for r in SHOULDER_GIRDLE_RADII_RATIO)),
        ((0.0, 0.0, neck_z), f.of(NECK_BASE_RATIO[1]), f.of(NECK_BASE_RATIO[2])),
    ])
    hair = f.of(HAIR_THICKNESS_RATIO)
    chin_z, top_z = f.rel(CHIN_HEIGHT_RATIO), f.rel(1.0) - hair
    head_centre = np.array([0.0, f.of(HEAD_FORWARD_RATIO), (chin_z + top_z) / 2])
    head_radii = np.array([f.of(HEAD_RADII_RATIO[0]), f.of(HEAD_RADII_RATIO[1]), (top_z - chin_z) / 2])
    neck_base = np.array([0.0, 0.0, shoulder_z])
    neck = capsule(neck_base, head_centre - (0.0, 0.0, head_radii[2] / 2), *(2 * [f.of(NECK_RADIUS_RATIO)]))
    head = ellipsoid(head_centre, head_radii)
    hair_cap = clip_convex(
        ellipsoid(head_centre - (0.0, f.of(HAIR_BACK_RATIO), 0.0), head_radii + hair),
        unit((0.0, -HAIR_LINE_SLOPE, 1.0)),
        head_centre + (0.0, 0.0, f.of(HAIR_LINE_RATIO)),
    )
    nose_r, nose_len, nose_drop = (f.of(r) for r in NOSE_RATIO)
    face_y = head_centre[1] + head_radii[1]
    nose = capsule(
        (0.0, face_y - nose_len, head_centre[2] - nose_drop + nose_r),
        (0.0, face_y + nose_len / 2, head_centre[2] - nose_drop - nose_r),
        nose_r, nose_r * 0.8,
    )
    trunk = {"cloth_top": [torso], "cloth_bottom": [pelvis]}
    return trunk, {"skin": [neck, head, nose], "hair": [hair_cap]}, neck_base


def shoe(f: Figure, heel: Sequence[float]) -> trimesh.Trimesh:
    """A shoe with a flat sole at the heel's height, pointing to +y from the heel (metres)."""
    x, y, z = heel
    length, width = f.of(FOOT_LENGTH_RATIO), f.of(FOOT_WIDTH_RATIO)
    sole = ellipse_points((x, y + length / 2, z), width / 2, length / 2)
    toe = ellipse_points((x, y + 0.55 * length, z + f.of(SHOE_TOE_HEIGHT_RATIO)), 0.9 * width / 2, 0.42 * length)
    ankle = (x, y + ANKLE_FROM_HEEL * length, z + f.of(ANKLE_HEIGHT_RATIO) + f.of(SHOE_COLLAR_RATIO[0]))
    collar = ellipse_points(ankle, f.of(SHOE_COLLAR_RATIO[1]), f.of(SHOE_COLLAR_RATIO[1]))
    return hull(np.vstack([sole, toe, collar]))


def ankle_of(f: Figure, heel: Sequence[float]) -> np.ndarray:
    """Ankle joint above a shoe whose heel is at ``heel`` (metres)."""
    offset = (0.0, ANKLE_FROM_HEEL * f.of(FOOT_LENGTH_RATIO), f.of(ANKLE_HEIGHT_RATIO))
    return np.asarray(heel, dtype=np.float64) + offset


def shoulder_joint(f: Figure, pose: Pose, side: float) -> np.ndarray:
    """The left (side -1) or right (+1) shoulder joint of a posed person (metres)."""
    shoulder_x = f.of(SHOULDER_WIDTH_RATIO) / 2 - f.of(UPPER_ARM_RADII_RATIO[0])
    local = (side * shoulder_x, 0.0, f.rel(SHOULDER_HEIGHT_RATIO))
    return np.asarray(pose.hip, dtype=np.float64) + rotation_x(-math.radians(pose.lean_deg)) @ local


def person_parts(f: Figure, pose: Pose) -> dict[str, list[trimesh.Trimesh]]:
    """All solids of a posed person: skin, hair, cloth_top (with sleeves), cloth_bottom (trousers), shoe."""
    rotation = rotation_x(-math.radians(pose.lean_deg))
    hip = np.asarray(pose.hip, dtype=np.float64)
    trunk, head, neck_base = upper_body(f)
    lift = rotation_x(math.radians(pose.lean_deg * HEAD_LIFT))
    parts = {"skin": [], "hair": [], "cloth_top": [], "cloth_bottom": [], "shoe": []}
    for name, solids in trunk.items():
        parts[name] += [moved(solid, rotation, hip) for solid in solids]
    for name, solids in head.items():
        raised = [moved(solid, lift, neck_base - lift @ neck_base) for solid in solids]  # about the neck's base
        parts[name] += [moved(solid, rotation, hip) for solid in raised]
    for side, heel, wrist in zip((-1.0, 1.0), pose.heels, pose.wrists):
        shoulder = shoulder_joint(f, pose, side)
        hint = (side * ELBOW_HINT[0], ELBOW_HINT[1], ELBOW_HINT[2])
        elbow = bend(shoulder, wrist, f.of(UPPER_ARM_RATIO), f.of(FOREARM_RATIO), hint)
        fingers = np.asarray(wrist) + unit(np.asarray(wrist) - elbow) * HAND_REACH * f.of(HAND_RATIO)
        parts["cloth_top"] += chain(
            [shoulder, elbow, wrist], [f.of(r) for r in (*UPPER_ARM_RADII_RATIO, FOREARM_RADII_RATIO[1])]
        )
        parts["skin"].append(capsule(wrist, fingers, *(f.of(r) for r in HAND_RADII_RATIO)))
        hip_joint = hip + (side * f.of(HIP_JOINT_SPACING_RATIO), 0.0, 0.0)
        ankle = ankle_of(f, heel)
        knee = bend(hip_joint, ankle, f.of(THIGH_RATIO), f.of(SHANK_RATIO), KNEE_HINT)
        parts["cloth_bottom"] += chain(
            [hip_joint, knee, ankle], [f.of(r) for r in (THIGH_RADII_RATIO[0], *SHANK_RADII_RATIO)]
        )
        parts["shoe"].append(shoe(f, heel))
    return parts


@dataclasses.dataclass(frozen=True, kw_only=True)
class PedestrianParams(AssetParams):
    """An adult standing upright, arms hanging, facing +y (metres)."""

    stature_m: float
    wrist_out_m: float  # wrists outboard of the shoulder joints
    wrist_forward_m: float  # wrists ahead of the hip joints
    wrist_height_ratio: float  # wrist height as a fraction of stature (0.485 for Winter's figure)

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        f = Figure(self.stature_m)
        heel_y = -ANKLE_FROM_HEEL * f.of(FOOT_LENGTH_RATIO)  # ankles straight under the hip joints
        heel_x = f.of(HIP_JOINT_SPACING_RATIO)
        shoulder_x = f.of(SHOULDER_WIDTH_RATIO) / 2 - f.of(UPPER_ARM_RADII_RATIO[0])
        wrist_x = shoulder_x + self.wrist_out_m
        wrist_z = self.wrist_height_ratio * self.stature_m
        pose = Pose(
            hip=(0.0, 0.0, f.hip_z),
            lean_deg=0.0,
            heels=((-heel_x, heel_y, 0.0), (heel_x, heel_y, 0.0)),
            wrists=((-wrist_x, self.wrist_forward_m, wrist_z), (wrist_x, self.wrist_forward_m, wrist_z)),
        )
        return person_parts(f, pose)


# --- cyclist

BIKE_TUBE_RADIUS_M = 0.017  # main frame tubes
BIKE_STAY_RADIUS_M = 0.010  # chain and seat stays, fork blades
BIKE_HEAD_TUBE_RADIUS_M = 0.022
BIKE_STAY_SPREAD_M = 0.055  # stays and fork blades beside the wheel's mid-plane at the axle
BIKE_RIM_DEPTH_M = 0.025  # rim ring inside the tyre
BIKE_RIM_WIDTH_M = 0.022
BIKE_HUB_M = (0.03, 0.06)  # hub radius, half length
BIKE_SPOKES = 12  # spokes per wheel
BIKE_SPOKE_RADIUS_M = 0.0025
BIKE_SEATPOST_RADIUS_M = 0.014
BIKE_SADDLE_M = (0.26, 0.16, 0.05, 0.05)  # saddle length, rear width, nose width, thickness
BIKE_SADDLE_REAR_M = 0.08  # saddle's rear edge behind the seatpost
BIKE_BAR_RADII_M = (0.011, 0.017)  # handlebar tube and grip radii
BIKE_GRIP_LENGTH_M = 0.12
BIKE_STEM_RADIUS_M = 0.014
BIKE_CRANK_M = (0.075, 0.012)  # crank arm offset from the mid-plane, thickness
BIKE_PEDAL_M = (0.10, 0.09, 0.022)  # pedal width (x), length (y), thickness
BIKE_CHAINRING_M = (0.10, 0.055, 0.006)  # radius, offset to the right, thickness
BIKE_REFLECTOR_M = (0.05, 0.015, 0.03, 0.07)  # rear reflector width, depth, height, drop below the seat cluster
RIDER_HIP_ABOVE_SADDLE_M = 0.09  # hip joints above the saddle top
RIDER_HIP_BEHIND_SADDLE_M = 0.03  # hip joints behind the seatpost axis
RIDER_WRIST_FROM_GRIP_M = (0.0, -0.06, 0.02)  # wrists relative to the grip centre (x, y, z)
RIDER_OVERREACH_M = 0.02  # how far a straightened limb may fall short of its pedal or grip


@dataclasses.dataclass(frozen=True)
class BicycleParams:
    """A city bicycle (metres, degrees); positions are along y and z of the side view."""

    wheel_radius_m: float  # outer radius of the tyre (circumradius of its polygon)
    tyre_section_m: float  # tyre's radial and axial thickness
    wheelbase_m: float
    chainstay_m: float  # rear axle to bottom bracket, along y
    bb_drop_m: float  # bottom bracket below the axles
    seat_angle_deg: float  # seat tube from the horizontal
    seat_tube_m: float
    saddle_height_m: float  # bottom bracket to saddle top, along the seat tube
    stack_m: float  # head-tube top above the bottom bracket
    reach_m: float  # head-tube top ahead of the bottom bracket
    head_tube_m: float
    head_angle_deg: float
    stem_m: tuple[float, float]  # handlebar centre relative to the head-tube top (y, z)
    bar_width_m: float  # handlebar end to end (the widest part of the cyclist)
    crank_m: float
    crank_angle_deg: float  # right crank below the horizontal, pointing forward; the left one opposite


@dataclasses.dataclass(frozen=True)
class BikeLayout:
    """Key points (x, y, z in metres) of a bicycle with the rear axle at y = 0."""

    rear_axle: np.ndarray
    front_axle: np.ndarray
    bottom_bracket: np.ndarray
    seat_cluster: np.ndarray  # top of the seat tube
    saddle_top: np.ndarray  # on the seatpost axis
    head_top: np.ndarray
    head_bottom: np.ndarray
    bar_centre: np.ndarray
    grips: tuple[np.ndarray, np.ndarray]  # left, right grip centres
    pedals: tuple[np.ndarray, np.ndarray]  # left, right pedal top centres


def bike_layout(b: BicycleParams) -> BikeLayout:
    """Derive the bicycle's key points from its parameters."""
    axle_z = b.wheel_radius_m * math.cos(math.pi / TYRE_SEGMENTS)
    bb = np.array([0.0, b.chainstay_m, axle_z - b.bb_drop_m])
    seat_dir = np.array([0.0, -math.cos(math.radians(b.seat_angle_deg)), math.sin(math.radians(b.seat_angle_deg))])
    head_down = np.array([0.0, math.cos(math.radians(b.head_angle_deg)), -math.sin(math.radians(b.head_angle_deg))])
    head_top = bb + (0.0, b.reach_m, b.stack_m)
    bar_centre = head_top + (0.0, *b.stem_m)
    grip_x = b.bar_width_m / 2 - BIKE_GRIP_LENGTH_M / 2
    crank = math.radians(b.crank_angle_deg)
    crank_vec = b.crank_m * np.array([0.0, math.cos(crank), -math.sin(crank)])
    pedal_x = BIKE_CRANK_M[0] + BIKE_CRANK_M[1] / 2 + BIKE_PEDAL_M[0] / 2
    top = (0.0, 0.0, BIKE_PEDAL_M[2] / 2)
    return BikeLayout(
        rear_axle=np.array([0.0, 0.0, axle_z]),
        front_axle=np.array([0.0, b.wheelbase_m, axle_z]),
        bottom_bracket=bb,
        seat_cluster=bb + b.seat_tube_m * seat_dir,
        saddle_top=bb + b.saddle_height_m * seat_dir,
        head_top=head_top,
        head_bottom=head_top + b.head_tube_m * head_down,
        bar_centre=bar_centre,
        grips=(bar_centre + (-grip_x, 0.0, 0.0), bar_centre + (grip_x, 0.0, 0.0)),
        pedals=(bb - crank_vec + (-pedal_x, 0.0, 0.0) + top, bb + crank_vec + (pedal_x, 0.0, 0.0) + top),
    )


def bike_wheels(b: BicycleParams, lay: BikeLayout) -> dict[str, list[trimesh.Trimesh]]:
    """Both wheels: tyre and rim rings round the axles, and the hubs and spokes (metal); metres."""
    parts: dict[str, list[trimesh.Trimesh]] = {"tyre": [], "rim": [], "metal": []}
    r_out = b.wheel_radius_m
    r_in = r_out - b.tyre_section_m
    rim_in = r_in - BIKE_RIM_DEPTH_M
    hub_r, hub_half = BIKE_HUB_M
    for axle in (lay.rear_axle, lay.front_axle):
        parts["tyre"] += wheel_ring(axle, (r_in, r_out), b.tyre_section_m)
        parts["rim"] += wheel_ring(axle, (rim_in, r_in + BIKE_RIM_DEPTH_M / 4), BIKE_RIM_WIDTH_M)
        parts["metal"].append(rod(axle - (hub_half, 0.0, 0.0), axle + (hub_half, 0.0, 0.0), hub_r))
        for k in range(BIKE_SPOKES):
            a = 2 * math.pi * (k + 0.5) / BIKE_SPOKES
            side = hub_half * (1 if k % 2 else -1) * 0.8
            hub_end = axle + (side, 0.0, 0.0)
            rim_end = axle + (0.0, (rim_in + 0.005) * math.cos(a), (rim_in + 0.005) * math.sin(a))
            parts["metal"].append(rod(hub_end, rim_end, BIKE_SPOKE_RADIUS_M, n=4))
    return parts


def bike_frame(lay: BikeLayout) -> list[trimesh.Trimesh]:
    """The frame: seat, top, down and head tubes, then chain stays, seat stays and fork blades per side."""
    spread = np.array([BIKE_STAY_SPREAD_M, 0.0, 0.0])
    bb, seat, head_top, head_bottom = lay.bottom_bracket, lay.seat_cluster, lay.head_top, lay.head_bottom
    frame = [
        rod(bb, seat, BIKE_TUBE_RADIUS_M),  # seat tube
        rod(seat, head_top, BIKE_TUBE_RADIUS_M),  # top tube
        rod(bb, head_bottom, BIKE_TUBE_RADIUS_M * 1.2),  # down tube
        rod(head_top, head_bottom, BIKE_HEAD_TUBE_RADIUS_M),  # head tube
    ]
    for side in (-1.0, 1.0):
        frame += [
            rod(bb, lay.rear_axle + side * spread, BIKE_STAY_RADIUS_M),  # chain stay
            rod(seat, lay.rear_axle + side * spread, BIKE_STAY_RADIUS_M),  # seat stay
            rod(head_bottom + side * spread / 2, lay.front_axle + side * spread, BIKE_STAY_RADIUS_M * 1.2),  # fork
        ]
    return frame


def bike_saddle(lay: BikeLayout) -> dict[str, list[trimesh.Trimesh]]:
    """Seatpost (metal) and a wedge-shaped saddle (trim) whose top is at ``lay.saddle_top`` (metres)."""
    length, rear_w, nose_w, thick = BIKE_SADDLE_M
    saddle = lay.saddle_top
    seatpost = rod(lay.seat_cluster, saddle - (0.0, 0.0, thick), BIKE_SEATPOST_RADIUS_M)
    y_rear, y_nose = saddle[1] - BIKE_SADDLE_REAR_M, saddle[1] - BIKE_SADDLE_REAR_M + length
    seat = hull([
        (sx * w / 2, y, saddle[2] - dz)
        for sx in (-1, 1) for y, w in ((y_rear, rear_w), (y_nose, nose_w)) for dz in (0.0, thick)
    ])
    return {"metal": [seatpost], "trim": [seat]}


def bike_cockpit(b: BicycleParams, lay: BikeLayout) -> dict[str, list[trimesh.Trimesh]]:
    """Stem and handlebar (metal) and the grips (trim); the bar ends are the widest points."""
    bar_r, grip_r = BIKE_BAR_RADII_M
    half_bar = b.bar_width_m / 2
    metal = [
        rod(lay.head_top, lay.bar_centre, BIKE_STEM_RADIUS_M),
        rod(lay.bar_centre - (half_bar, 0.0, 0.0), lay.bar_centre + (half_bar, 0.0, 0.0), bar_r),
    ]
    half = np.array([BIKE_GRIP_LENGTH_M / 2, 0.0, 0.0])
    return {"metal": metal, "trim": [rod(grip - half, grip + half, grip_r) for grip in lay.grips]}


def bike_drivetrain(lay: BikeLayout) -> dict[str, list[trimesh.Trimesh]]:
    """Crank arms and chainring (metal) and the pedals (trim), at the crank angle of the layout (metres)."""
    bb = lay.bottom_bracket
    offset, crank_t = BIKE_CRANK_M
    pedal_w, pedal_l, pedal_t = BIKE_PEDAL_M
    parts: dict[str, list[trimesh.Trimesh]] = {"metal": [], "trim": []}
    for side, pedal in zip((-1.0, 1.0), lay.pedals):
        centre = pedal - (0.0, 0.0, pedal_t / 2)
        crank_end = np.array([side * offset, centre[1], centre[2]])
        parts["metal"].append(rod(bb + (side * offset, 0.0, 0.0), crank_end, crank_t, n=4))
        parts["trim"].append(box(
            (centre[0] - pedal_w / 2, centre[0] + pedal_w / 2),
            (centre[1] - pedal_l / 2, centre[1] + pedal_l / 2),
            (centre[2] - pedal_t / 2, centre[2] + pedal_t / 2),
        ))
    ring_r, ring_x, ring_t = BIKE_CHAINRING_M
    ring_ends = (bb + (ring_x - ring_t / 2, 0.0, 0.0), bb + (ring_x + ring_t / 2, 0.0, 0.0))
    parts["metal"].append(rod(*ring_ends, ring_r, n=DRUM_SEGMENTS))
    return parts


def bike_reflector(lay: BikeLayout) -> trimesh.Trimesh:
    """Rear reflector (light_rear) below the seat cluster, facing back."""
    seat = lay.seat_cluster
    w, d, h, drop = BIKE_REFLECTOR_M
    ry = seat[1] - BIKE_SEATPOST_RADIUS_M
    return box((-w / 2, w / 2), (ry - d, ry), (seat[2] - drop - h, seat[2] - drop))


def bicycle_parts(b: BicycleParams, lay: BikeLayout) -> dict[str, list[trimesh.Trimesh]]:
    """Solids of the bicycle: tyre, rim, frame, metal (hubs, spokes, bar, cranks), trim (saddle, grips, pedals)."""
    names = ("tyre", "rim", "frame", "metal", "trim", "light_rear")
    parts: dict[str, list[trimesh.Trimesh]] = {name: [] for name in names}
    for pieces in (
        bike_wheels(b, lay),
        {"frame": bike_frame(lay)},
        bike_saddle(lay),
        bike_cockpit(b, lay),
        bike_drivetrain(lay),
        {"light_rear": [bike_reflector(lay)]},
    ):
        add_parts(parts, pieces)
    return parts


@dataclasses.dataclass(frozen=True, kw_only=True)
class CyclistParams(AssetParams):
    """A person riding a bicycle towards +y, seen as a whole (metres, degrees)."""

    stature_m: float
    lean_deg: float  # torso forward lean from upright
    bicycle: BicycleParams

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        f = Figure(self.stature_m)
        lay = bike_layout(self.bicycle)
        hip = lay.saddle_top + (0.0, -RIDER_HIP_BEHIND_SADDLE_M, RIDER_HIP_ABOVE_SADDLE_M)
        ball = BALL_FROM_HEEL * f.of(FOOT_LENGTH_RATIO)
        heels = tuple(tuple(pedal - (0.0, ball, 0.0)) for pedal in lay.pedals)
        wrists = tuple(tuple(grip + RIDER_WRIST_FROM_GRIP_M) for grip in lay.grips)
        pose = Pose(hip=tuple(hip), lean_deg=self.lean_deg, heels=heels, wrists=wrists)
        leg = f.of(THIGH_RATIO) + f.of(SHANK_RATIO)
        arm = f.of(UPPER_ARM_RATIO) + f.of(FOREARM_RATIO)
        for side, heel, wrist in zip((-1.0, 1.0), heels, wrists):
            hip_joint = hip + (side * f.of(HIP_JOINT_SPACING_RATIO), 0.0, 0.0)
            if np.linalg.norm(ankle_of(f, heel) - hip_joint) > leg + RIDER_OVERREACH_M:
                raise ValueError(f"{self.asset_id}: the rider's foot does not reach the pedal")
            if np.linalg.norm(np.asarray(wrist) - shoulder_joint(f, pose, side)) > arm + RIDER_OVERREACH_M:
                raise ValueError(f"{self.asset_id}: the rider's hand does not reach the grip")
        rider = person_parts(f, pose)
        return add_parts(bicycle_parts(self.bicycle, lay), rider)
