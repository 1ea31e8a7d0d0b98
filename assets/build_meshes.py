"""Build the procedural meshes of the asset catalog.

Run ``python -m assets.build_meshes [--out DIR]``; it writes ``<id>.glb`` for
every asset in :data:`ASSETS` to ``assets/meshes/`` (or ``DIR``): the cars and
the van (:data:`VEHICLES`), a box truck, a pedestrian and a cyclist (familiar
objects of a road scene) and a fridge, a dog, a cat, a chair, a traffic cone
and a barrel (:data:`OBJECTS`; the "novel" objects and the remaining familiar ones).

Conventions (the renderer relies on them):

* units are metres;
* x = right (width), y = forward (length, the front of an object -- the
  direction it faces or drives -- points to +y), z = up;
* the origin is the centre of the footprint (the bounding box's centre in x
  and y) at ground level; the lowest point is exactly z = 0 (a flat facet of
  each tyre, the soles, the paws, the chair legs, the bases lie on z = 0);
* the bounding box is exactly ``length_m`` (y) x ``width_m`` (x) x
  ``height_m`` (z) of the parameters (the catalog holds the same numbers);
* every GLB holds one geometry per part, named after the part, and one node of
  the same name showing it, with a default PBR material of the same name (see
  :data:`PART_MATERIALS`). Part names are lowercase identifiers; the renderer
  gives the parts named in its palette (``glass``, ``tyre``, ``rim``,
  ``light_front``, ``light_rear``, ``plate``, ``trim``) fixed materials and
  every other part (``paint``, ``skin``, ``fur``, ...) the base colour stored
  in the file.

The vertices are written as they are: the file is z-up, *not* glTF's y-up.

Every solid is a convex hull (closed, outward normals, flat shaded); a part is
the union of several such solids. The vehicles and the truck are exact by
construction. The other objects are built from their parameters to within a
few per cent of the declared size and then stretched (per axis, at most
:data:`MAX_FIT_STRETCH`) to it exactly. The build is deterministic: no randomness.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pathlib
from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from assets import ASSETS_DIR

MESHES_DIR = ASSETS_DIR / "meshes"

# --- parts and their default materials ------------------------------------

#: Parts of a road vehicle, in the order they are written; all but ``paint``
#: take a fixed material from the renderer's palette.
PART_NAMES = ("paint", "glass", "tyre", "rim", "light_front", "light_rear", "plate", "trim")


@dataclasses.dataclass(frozen=True)
class PartMaterial:
    """Default PBR material of a part (linear RGBA base colour, factors 0..1)."""

    base_colour: tuple[float, float, float, float]
    metallic: float
    roughness: float


PART_MATERIALS = {
    "paint": PartMaterial((0.20, 0.33, 0.55, 1.0), metallic=0.4, roughness=0.35),
    "glass": PartMaterial((0.04, 0.05, 0.07, 1.0), metallic=0.0, roughness=0.05),
    "tyre": PartMaterial((0.03, 0.03, 0.03, 1.0), metallic=0.0, roughness=0.9),
    "rim": PartMaterial((0.60, 0.60, 0.62, 1.0), metallic=0.9, roughness=0.35),
    "light_front": PartMaterial((0.95, 0.93, 0.80, 1.0), metallic=0.0, roughness=0.2),
    "light_rear": PartMaterial((0.75, 0.04, 0.03, 1.0), metallic=0.0, roughness=0.3),
    "plate": PartMaterial((0.92, 0.92, 0.88, 1.0), metallic=0.0, roughness=0.5),
    "trim": PartMaterial((0.05, 0.05, 0.05, 1.0), metallic=0.0, roughness=0.7),
    # truck
    "cargo_box": PartMaterial((0.80, 0.80, 0.78, 1.0), metallic=0.0, roughness=0.5),
    # people (an asset may override a base colour, see AssetParams.colours)
    "skin": PartMaterial((0.55, 0.33, 0.22, 1.0), metallic=0.0, roughness=0.6),
    "hair": PartMaterial((0.035, 0.022, 0.012, 1.0), metallic=0.0, roughness=0.7),
    "cloth_top": PartMaterial((0.40, 0.05, 0.04, 1.0), metallic=0.0, roughness=0.8),
    "cloth_bottom": PartMaterial((0.03, 0.05, 0.12, 1.0), metallic=0.0, roughness=0.8),
    "shoe": PartMaterial((0.03, 0.025, 0.02, 1.0), metallic=0.0, roughness=0.6),
    # bicycle (its tyres, rims, saddle and grips use the vehicle parts tyre, rim, trim)
    "frame": PartMaterial((0.45, 0.03, 0.02, 1.0), metallic=0.3, roughness=0.35),
    "metal": PartMaterial((0.55, 0.55, 0.57, 1.0), metallic=0.9, roughness=0.35),
    # animals
    "fur": PartMaterial((0.40, 0.22, 0.08, 1.0), metallic=0.0, roughness=0.9),
    "fur_dark": PartMaterial((0.10, 0.05, 0.02, 1.0), metallic=0.0, roughness=0.9),
    "nose": PartMaterial((0.02, 0.015, 0.015, 1.0), metallic=0.0, roughness=0.4),
    "eye": PartMaterial((0.02, 0.015, 0.01, 1.0), metallic=0.0, roughness=0.1),
    # furniture and street objects
    "wood": PartMaterial((0.30, 0.14, 0.05, 1.0), metallic=0.0, roughness=0.6),
    "orange_plastic": PartMaterial((0.90, 0.18, 0.01, 1.0), metallic=0.0, roughness=0.5),
    "reflective_band": PartMaterial((0.85, 0.85, 0.85, 1.0), metallic=0.0, roughness=0.3),
    "rubber": PartMaterial((0.03, 0.03, 0.03, 1.0), metallic=0.0, roughness=0.9),
    "drum": PartMaterial((0.03, 0.10, 0.45, 1.0), metallic=0.3, roughness=0.4),
    "white_enamel": PartMaterial((0.80, 0.80, 0.78, 1.0), metallic=0.0, roughness=0.3),
    "handle": PartMaterial((0.06, 0.06, 0.06, 1.0), metallic=0.5, roughness=0.4),
    "gasket": PartMaterial((0.03, 0.03, 0.03, 1.0), metallic=0.0, roughness=0.8),
}

# --- shared geometric constants (metres unless noted) ----------------------

TYRE_SEGMENTS = 24  # facets around a tyre or rim
ARCH_SEGMENTS = 8  # straight pieces approximating a wheel arch (half circle)
ARCH_GAP_M = 0.05  # arch radius minus tyre radius
RIM_RADIUS_RATIO = 0.62  # rim radius / tyre radius
RIM_DEPTH_M = 0.03  # rim disc depth inside the tyre
RIM_PROUD_M = 0.008  # rim disc standing out of the tyre sidewall
LINER_GAP_M = 0.02  # wheel-well liner inboard of the tyre's inner face

BODY_CHAMFER_M = 0.06  # chamfer of the body's side edges
BODY_EDGE_M = 0.07  # rounding of the front/rear face edges (side view)
UNDERCUT_M = 0.12  # how far the bottom edge sits back from the front/rear face

PLATE_WIDTH_M = 0.52
PLATE_HEIGHT_M = 0.11
PLATE_THICKNESS_M = 0.01  # the plates are the front-most / rear-most points
PLATE_EMBED_M = 0.005  # plate depth inside the bumper

BUMPER_PROUD_M = 0.04  # bumper face in front of the body face
BUMPER_WRAP_M = 0.25  # bumper length along the body sides
BUMPER_SIDE_PROUD_M = 0.01  # bumper sides outboard of the body sides
BUMPER_CORNER_M = 0.08  # plan-view chamfer of the bumper corners

LIGHT_PROUD_M = 0.012  # lights and grille in front of the body face
LIGHT_WRAP_M = 0.10  # light clusters wrapping round the body sides
LIGHT_SIDE_PROUD_M = 0.005
LIGHT_INSET_M = 0.03  # outer edge of a light cluster inboard of the body side
GRILLE_GAP_M = 0.05  # gap between grille and headlights
GRILLE_OVERLAP_M = 0.01  # grille bottom tucked behind the bumper top
LIGHT_BELOW_EDGE_M = 0.01  # headlight / tail-light top below the rounded face edge

GLASS_EMBED_M = 0.03  # greenhouse bottom inside the body
ROOF_THICKNESS_M = 0.05  # roof slab, from glass top to the top of the vehicle
ROOF_LIP_M = 0.012  # roof slab overhanging the glass
ROOF_ROUND_M = 0.035  # chamfer of the roof slab's top edges
A_PILLAR_M = 0.06  # pillar thicknesses
B_PILLAR_M = 0.07
C_PILLAR_M = 0.09
CARGO_PANEL_PROUD_M = 0.006  # van cargo panels outside the glass
CARGO_PANEL_REAR_GAP_M = 0.02  # rear window left uncovered by the cargo panels

RAIL_HEIGHT_M = 0.06  # roof rails: height above the roof slab
RAIL_WIDTH_M = 0.04
RAIL_INSET_M = 0.06  # rail centre inboard of the roof edge
RAIL_END_GAP_M = 0.10  # rail ends short of the roof's front and rear edges
CLADDING_HEIGHT_M = 0.12  # black sill strip above the body underside
CLADDING_PROUD_M = 0.008  # cladding outboard of the body side
CLADDING_DEPTH_M = 0.03  # cladding depth inside the body side
FLARE_THICKNESS_M = 0.05  # black wheel-arch flares

MIRROR_REACH_M = 0.07  # mirror tip outboard of the body side
MIRROR_SETBACK_M = 0.14  # mirror centre behind the windscreen base
MIRROR_LENGTH_M = 0.12
MIRROR_HEIGHT_M = 0.12
MIRROR_RISE_M = 0.05  # mirror bottom above the belt line
MIRROR_TAPER_RATIO = 0.2  # mirror tip smaller than its root by this fraction of its height

QHULL_OPTIONS = None  # qhull's own defaults, see hull()
GROUND_SNAP_M = 1e-9  # tyre vertices closer than this to z = 0 are set to 0
EXTENT_TOLERANCE_M = 1e-6  # allowed mismatch between built and declared size


# --- parameters -----------------------------------------------------------


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
class AssetParams:
    """What every asset has: its id, catalog class and exact bounding box (metres).

    ``colours`` overrides the default base colour (linear RGB, 0..1) of some parts.
    """

    asset_id: str
    object_class: str
    length_m: float  # along y (front to back)
    width_m: float  # along x
    height_m: float  # along z
    colours: tuple[tuple[str, tuple[float, float, float]], ...] = ()

    #: True if the parts are built exactly to size; False if they are stretched to it (see fit_to_size).
    exact: ClassVar[bool] = False

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        """All solids of the asset, grouped by part name, in the order they are written."""
        raise NotImplementedError


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


VEHICLES: tuple[VehicleParams, ...] = (
    VehicleParams(
        asset_id="car_sedan",
        object_class="car",
        length_m=4.50,
        width_m=1.80,
        height_m=1.45,
        wheelbase_m=2.70,
        front_overhang_m=0.95,
        wheels=WheelParams(radius_m=0.32, width_m=0.22, inset_m=0.04),
        body=BodyParams(
            clearance_m=0.16, bumper_bottom_m=0.20, bumper_top_m=0.48,
            nose_top_m=0.72, belt_m=0.92, tail_top_m=0.94,
        ),
        cabin=CabinParams(
            hood_length_m=1.25, windscreen_run_m=0.72, roof_length_m=1.20,
            rear_window_run_m=0.62, shoulder_m=0.07, tumblehome_m=0.14,
        ),
        lights=LightParams(front_width_m=0.34, front_height_m=0.13, rear_width_m=0.38, rear_height_m=0.14),
    ),
    VehicleParams(
        asset_id="car_hatchback",
        object_class="car",
        length_m=4.00,
        width_m=1.75,
        height_m=1.48,
        wheelbase_m=2.55,
        front_overhang_m=0.82,
        wheels=WheelParams(radius_m=0.31, width_m=0.20, inset_m=0.04),
        body=BodyParams(
            clearance_m=0.15, bumper_bottom_m=0.20, bumper_top_m=0.48,
            nose_top_m=0.74, belt_m=0.95, tail_top_m=0.98,
        ),
        cabin=CabinParams(
            hood_length_m=1.05, windscreen_run_m=0.72, roof_length_m=1.78,
            rear_window_run_m=0.28, shoulder_m=0.07, tumblehome_m=0.14,
            b_pillar_fraction=0.40,
        ),
        lights=LightParams(
            front_width_m=0.32, front_height_m=0.13, rear_width_m=0.22, rear_height_m=0.22, rear_top_m=1.08,
        ),
    ),
    VehicleParams(
        asset_id="car_suv",
        object_class="car",
        length_m=4.70,
        width_m=1.90,
        height_m=1.75,
        wheelbase_m=2.80,
        front_overhang_m=0.95,
        wheels=WheelParams(radius_m=0.36, width_m=0.25, inset_m=0.03),
        body=BodyParams(
            clearance_m=0.22, bumper_bottom_m=0.28, bumper_top_m=0.60,
            nose_top_m=0.95, belt_m=1.10, tail_top_m=1.10, cladding=True,
        ),
        cabin=CabinParams(
            hood_length_m=1.20, windscreen_run_m=0.68, roof_length_m=2.40,
            rear_window_run_m=0.20, shoulder_m=0.07, tumblehome_m=0.12,
            b_pillar_fraction=0.32, roof_rails=True,
        ),
        lights=LightParams(
            front_width_m=0.36, front_height_m=0.14, rear_width_m=0.26, rear_height_m=0.22, rear_top_m=1.20,
        ),
    ),
    VehicleParams(
        asset_id="van",
        object_class="van",
        length_m=5.20,
        width_m=2.00,
        height_m=2.30,
        wheelbase_m=3.20,
        front_overhang_m=0.95,
        wheels=WheelParams(radius_m=0.34, width_m=0.22, inset_m=0.05),
        body=BodyParams(
            clearance_m=0.20, bumper_bottom_m=0.26, bumper_top_m=0.55,
            nose_top_m=0.95, belt_m=1.20, tail_top_m=1.15,
        ),
        cabin=CabinParams(
            hood_length_m=0.55, windscreen_run_m=0.75, roof_length_m=3.80,
            rear_window_run_m=0.0, shoulder_m=0.06, tumblehome_m=0.08,
            b_pillar_fraction=0.0, side_glass_length_m=1.35,
        ),
        lights=LightParams(
            front_width_m=0.30, front_height_m=0.16, rear_width_m=0.14, rear_height_m=0.45, rear_top_m=1.05,
        ),
    ),
)


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


# --- geometric primitives -------------------------------------------------


def hull(points: Iterable[Sequence[float]] | np.ndarray) -> trimesh.Trimesh:
    """Closed convex solid (outward normals) around ``points`` (metres).

    Uses qhull's default options: trimesh's default ("QbB Pp") leaves zero-area
    facets, and so holes, on hulls with nearly coincident points.
    """
    solid = trimesh.convex.convex_hull(np.asarray(points, dtype=np.float64), qhull_options=QHULL_OPTIONS)
    if not (solid.is_watertight and solid.volume > 0.0):
        raise ValueError("degenerate convex hull")
    return solid


def box(x: tuple[float, float], y: tuple[float, float], z: tuple[float, float]) -> trimesh.Trimesh:
    """Axis-aligned box spanning the given (min, max) ranges (metres)."""
    return hull([(xi, yi, zi) for xi in x for yi in y for zi in z])


def mirror_x(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Mirror a convex solid to the other side (x -> -x); it stays closed and outward."""
    return hull(mesh.vertices * np.array([-1.0, 1.0, 1.0]))


def both_sides(mesh: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    """A solid built on the +x side and its mirror image."""
    return [mesh, mirror_x(mesh)]


def clip_convex(mesh: trimesh.Trimesh, normal: Sequence[float], point: Sequence[float]) -> trimesh.Trimesh:
    """Part of a convex solid on the side ``dot(v - point, normal) >= 0`` (a closed convex solid)."""
    normal = np.asarray(normal, dtype=np.float64)
    vertices = mesh.vertices.view(np.ndarray)
    dist = (vertices - np.asarray(point, dtype=np.float64)) @ normal
    kept = vertices[dist >= 0.0]
    edges = mesh.edges_unique
    d0, d1 = dist[edges[:, 0]], dist[edges[:, 1]]
    crossing = d0 * d1 < 0.0
    t = (d0[crossing] / (d0[crossing] - d1[crossing]))[:, None]
    v0, v1 = vertices[edges[crossing, 0]], vertices[edges[crossing, 1]]
    return hull(np.vstack([kept, v0 + t * (v1 - v0)]))


def clip_y(mesh: trimesh.Trimesh, y_min: float, y_max: float) -> trimesh.Trimesh:
    """Part of a convex solid with y_min <= y <= y_max (metres)."""
    lower = clip_convex(mesh, (0.0, 1.0, 0.0), (0.0, y_min, 0.0))
    return clip_convex(lower, (0.0, -1.0, 0.0), (0.0, y_max, 0.0))


def chamfered_prism(profile_yz: Sequence[tuple[float, float]], half_width: float, chamfer: float) -> trimesh.Trimesh:
    """Side profile (y, z) extruded over x in [-half_width, half_width] with chamfered side edges (metres).

    The full profile sits at |x| = half_width - chamfer, a copy shrunk by
    ``chamfer`` towards its centroid at |x| = half_width, so the extents are exact.
    """
    profile = np.asarray(profile_yz, dtype=np.float64)
    centre = profile.mean(axis=0)
    towards_centre = centre - profile
    towards_centre /= np.linalg.norm(towards_centre, axis=1, keepdims=True)
    shrunk = profile + chamfer * towards_centre
    points = [(sx * (half_width - chamfer), y, z) for sx in (-1, 1) for y, z in profile]
    points += [(sx * half_width, y, z) for sx in (-1, 1) for y, z in shrunk]
    return hull(points)


def disc_x(x_range: tuple[float, float], centre_yz: tuple[float, float], radius: float) -> trimesh.Trimesh:
    """Cylinder with its axis along x, TYRE_SEGMENTS facets, a flat facet at the bottom (metres).

    ``radius`` is the circumradius; the bottom facet lies at ``centre_z - radius * cos(pi / n)``.
    """
    n = TYRE_SEGMENTS
    angles = -math.pi / 2 + math.pi / n + 2 * math.pi * np.arange(n) / n
    y = centre_yz[0] + radius * np.cos(angles)
    z = centre_yz[1] + radius * np.sin(angles)
    z[np.abs(z) < GROUND_SNAP_M] = 0.0
    return hull([(x, yi, zi) for x in x_range for yi, zi in zip(y, z)])


def beam(p0: Sequence[float], p1: Sequence[float], thickness: float) -> trimesh.Trimesh:
    """Square beam swept between two points, ``thickness`` wide on every axis (metres)."""
    half = thickness / 2
    corners = np.array([(sx, sy, sz) for sx in (-half, half) for sy in (-half, half) for sz in (-half, half)])
    return hull(np.vstack([np.asarray(p0) + corners, np.asarray(p1) + corners]))


# --- vehicle pieces -------------------------------------------------------


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


# --- generic solids (the non-vehicle assets) --------------------------------

ROUND_SEGMENTS = 12  # facets around a limb, an ellipsoid or a post (a multiple of 4 keeps x/y extents exact)
SPHERE_RINGS = 5  # latitude rings of an ellipsoid between its poles (odd: the equator is one of them)
DRUM_SEGMENTS = 24  # facets around a large round object (barrel, cone, chainring); a multiple of 4
MAX_FIT_STRETCH = 0.05  # largest relative stretch of an axis when an object is fitted to its declared size


def unit(vector: Sequence[float]) -> np.ndarray:
    """``vector`` scaled to length 1."""
    v = np.asarray(vector, dtype=np.float64)
    return v / np.linalg.norm(v)


def perpendicular_basis(axis: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to ``axis`` and to each other (for an axis along z: +y and -x)."""
    a = unit(axis)
    reference = np.array([1.0, 0.0, 0.0]) if abs(a[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    u = unit(np.cross(a, reference))
    return u, np.cross(a, u)


def circle_points(centre: Sequence[float], axis: Sequence[float], radius: float, n: int = ROUND_SEGMENTS) -> np.ndarray:
    """``n`` points (metres) on a circle round ``centre`` in the plane normal to ``axis``."""
    u, v = perpendicular_basis(axis)
    angles = 2 * math.pi * np.arange(n) / n
    return np.asarray(centre, dtype=np.float64) + radius * (np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * v)


def ellipsoid_points(centre: Sequence[float], radii: Sequence[float]) -> np.ndarray:
    """Points (metres) on an axis-aligned ellipsoid: both poles and SPHERE_RINGS rings of ROUND_SEGMENTS."""
    latitudes = math.pi * (np.arange(1, SPHERE_RINGS + 1) / (SPHERE_RINGS + 1) - 0.5)
    longitudes = 2 * math.pi * np.arange(ROUND_SEGMENTS) / ROUND_SEGMENTS
    lat, lon = (a.ravel() for a in np.meshgrid(latitudes, longitudes, indexing="ij"))
    directions = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    directions = np.vstack([[0.0, 0.0, -1.0], directions, [0.0, 0.0, 1.0]])
    return np.asarray(centre, dtype=np.float64) + directions * np.asarray(radii, dtype=np.float64)


def ellipsoid(centre: Sequence[float], radii: Sequence[float]) -> trimesh.Trimesh:
    """Axis-aligned ellipsoid (metres); its extents are exactly centre +- radii."""
    return hull(ellipsoid_points(centre, radii))


def dome(centre: Sequence[float], radii: Sequence[float]) -> trimesh.Trimesh:
    """Upper half of an ellipsoid: flat bottom at the centre's height (paws, feet on the ground)."""
    points = ellipsoid_points(centre, radii)
    points[:, 2] = np.maximum(points[:, 2], centre[2])
    return hull(points)


def capsule(p0: Sequence[float], p1: Sequence[float], r0: float, r1: float) -> trimesh.Trimesh:
    """Tapered capsule: the hull of a ball of radius r0 at p0 and one of r1 at p1 (metres)."""
    return hull(np.vstack([ellipsoid_points(p0, (r0, r0, r0)), ellipsoid_points(p1, (r1, r1, r1))]))


def chain(points: Sequence[Sequence[float]], radii: Sequence[float]) -> list[trimesh.Trimesh]:
    """Capsules joining consecutive points (a limb or a tail); ``radii`` per point (metres)."""
    return [capsule(points[i], points[i + 1], radii[i], radii[i + 1]) for i in range(len(points) - 1)]


def rod(
    p0: Sequence[float], p1: Sequence[float], r0: float, r1: float | None = None, n: int = ROUND_SEGMENTS
) -> trimesh.Trimesh:
    """Round rod (or frustum, if r1 differs) from p0 to p1 with flat ends (metres)."""
    axis = np.asarray(p1, dtype=np.float64) - np.asarray(p0, dtype=np.float64)
    r1 = r0 if r1 is None else r1
    return hull(np.vstack([circle_points(p0, axis, r0, n), circle_points(p1, axis, r1, n)]))


def post(p0: Sequence[float], p1: Sequence[float], half_x: float, half_y: float) -> trimesh.Trimesh:
    """Square post between two points, horizontal cross-section 2 half_x by 2 half_y (metres)."""
    corners = np.array([(sx * half_x, sy * half_y, 0.0) for sx in (-1, 1) for sy in (-1, 1)])
    return hull(np.vstack([np.asarray(p0) + corners, np.asarray(p1) + corners]))


def ellipse_points(centre: Sequence[float], rx: float, ry: float) -> np.ndarray:
    """ROUND_SEGMENTS points (metres) on a horizontal ellipse with x and y radii rx, ry."""
    angles = 2 * math.pi * np.arange(ROUND_SEGMENTS) / ROUND_SEGMENTS
    x, y = centre[0] + rx * np.cos(angles), centre[1] + ry * np.sin(angles)
    return np.column_stack([x, y, np.full(angles.shape, centre[2])])


def loft(sections: Sequence[tuple[Sequence[float], float, float]]) -> trimesh.Trimesh:
    """Hull of horizontal ellipses, each (centre, x radius, y radius) in metres (a torso)."""
    return hull(np.vstack([ellipse_points(c, rx, ry) for c, rx, ry in sections]))


def annulus(
    centre: Sequence[float],
    plane: tuple[Sequence[float], Sequence[float]],
    radii: tuple[float, float],
    thickness: float,
    n: int,
    phase: float = 0.0,
) -> list[trimesh.Trimesh]:
    """Flat ring (inner, outer radius) round ``centre`` in the plane of two unit vectors, as n convex segments.

    The ring is ``thickness`` thick along the plane's normal; point k of the outer
    polygon lies at angle ``phase + 2 pi k / n`` from the first plane vector (metres, radians).
    """
    u, v = (np.asarray(w, dtype=np.float64) for w in plane)
    normal = np.cross(u, v) * thickness / 2
    centre = np.asarray(centre, dtype=np.float64)
    angles = phase + 2 * math.pi * np.arange(n + 1) / n
    segments = []
    for a0, a1 in zip(angles[:-1], angles[1:]):
        points = [
            centre + side * normal + r * (math.cos(a) * u + math.sin(a) * v)
            for side in (-1, 1) for r in radii for a in (a0, a1)
        ]
        segments.append(hull(points))
    return segments


def wheel_ring(axle: Sequence[float], radii: tuple[float, float], thickness: float) -> list[trimesh.Trimesh]:
    """A bicycle tyre or rim: ring in the y-z plane round ``axle`` (x, y, z), TYRE_SEGMENTS segments.

    As with :func:`disc_x`, a flat facet is at the bottom; heights within GROUND_SNAP_M of 0 are set to 0.
    """
    phase = -math.pi / 2 + math.pi / TYRE_SEGMENTS
    snapped = []
    for segment in annulus(axle, ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), radii, thickness, TYRE_SEGMENTS, phase):
        v = segment.vertices.view(np.ndarray).copy()
        v[np.abs(v[:, 2]) < GROUND_SNAP_M, 2] = 0.0
        snapped.append(trimesh.Trimesh(vertices=v, faces=segment.faces, process=False))
    return snapped


def rotation_x(angle_rad: float) -> np.ndarray:
    """3x3 rotation about the x axis; a positive angle turns +z towards -y."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def moved(mesh: trimesh.Trimesh, rotation: np.ndarray, offset: Sequence[float]) -> trimesh.Trimesh:
    """A solid rotated about the origin and then shifted by ``offset`` (stays closed and outward)."""
    vertices = mesh.vertices.view(np.ndarray) @ rotation.T + np.asarray(offset, dtype=np.float64)
    return trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)


def bend(
    root: Sequence[float], end: Sequence[float], upper: float, lower: float, towards: Sequence[float]
) -> np.ndarray:
    """Middle joint (knee, elbow) of a two-segment limb from ``root`` to ``end`` (metres).

    The joint lies in the plane of the limb and the direction ``towards`` and on its
    side; a limb too short to reach is straightened, its joint on the straight line.
    """
    a, b = np.asarray(root, dtype=np.float64), np.asarray(end, dtype=np.float64)
    span = np.linalg.norm(b - a)
    along_axis = (b - a) / span
    if span >= upper + lower:
        return a + along_axis * span * upper / (upper + lower)
    along = (upper**2 - lower**2 + span**2) / (2 * span)
    side = np.asarray(towards, dtype=np.float64)
    side = unit(side - (side @ along_axis) * along_axis)
    return a + along * along_axis + math.sqrt(max(upper**2 - along**2, 0.0)) * side


def fit_to_size(parts: dict[str, list[trimesh.Trimesh]], p: AssetParams) -> dict[str, list[trimesh.Trimesh]]:
    """Shift the solids onto the origin (footprint centre, lowest point at z = 0) and stretch them to size.

    Raises ValueError if an axis needs more than MAX_FIT_STRETCH: the parameters must
    describe the object, the stretch only absorbs what the rounded shapes leave over.
    """
    vertices = np.vstack([solid.vertices for solids in parts.values() for solid in solids])
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    target = np.array([p.width_m, p.length_m, p.height_m])
    scale = target / (hi - lo)
    if np.abs(scale - 1.0).max() > MAX_FIT_STRETCH:
        raise ValueError(f"{p.asset_id}: built size {np.round(hi - lo, 4)} (x, y, z) is too far from {target}")
    origin = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])

    def fitted(solid: trimesh.Trimesh) -> trimesh.Trimesh:
        v = (solid.vertices.view(np.ndarray) - origin) * scale
        v[np.abs(v[:, 2]) < GROUND_SNAP_M, 2] = 0.0
        return trimesh.Trimesh(vertices=v, faces=solid.faces, process=False)

    return {name: [fitted(solid) for solid in solids] for name, solids in parts.items()}


# --- box truck ----------------------------------------------------------------

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


def truck_parts(p: TruckParams) -> dict[str, list[trimesh.Trimesh]]:
    """All solids of a box truck, grouped by part name."""
    half_length = p.length_m / 2
    cab_half = p.cab_width_m / 2
    box_half = p.box_width_m / 2
    cab_front = half_length - PLATE_THICKNESS_M - TRUCK_BUMPER_PROUD_M
    cab_rear = cab_front - p.cab_length_m
    front_axle = half_length - p.front_overhang_m
    rear_axle = front_axle - p.wheelbase_m
    edge = TRUCK_CAB_EDGE_M
    face_bottom, face_top = p.cab_bottom_m + edge, p.cab_height_m - edge

    def face_y(z: float) -> float:
        """y of the raked cab front face at height z."""
        return cab_front - p.cab_rake_m * (z - face_bottom) / (face_top - face_bottom)

    # cab (paint) with the front wheel arch cut out
    profile = [
        (cab_rear, p.cab_bottom_m),
        (cab_front - edge, p.cab_bottom_m),
        (cab_front, face_bottom),
        (face_y(face_top), face_top),
        (face_y(face_top) - edge, p.cab_height_m),
        (cab_rear + edge, p.cab_height_m),
        (cab_rear, p.cab_height_m - edge),
    ]
    cab = chamfered_prism(profile, cab_half, TRUCK_CAB_CHAMFER_M)
    front_centre_z = p.front_wheels.radius_m * math.cos(math.pi / TYRE_SEGMENTS)
    arch_radius = p.front_wheels.radius_m + ARCH_GAP_M
    paint = cut_arches(cab, (front_axle,), front_centre_z, arch_radius, p.length_m)

    def on_face(half_w: float, z0: float, z1: float, proud: float, embed: float) -> trimesh.Trimesh:
        """Slab on the raked front face, ``proud`` in front of it and ``embed`` behind it."""
        return hull([(sx * half_w, face_y(z) + d, z) for sx in (-1, 1) for z in (z0, z1) for d in (proud, -embed)])

    # glass: windscreen and side windows
    windscreen = on_face(cab_half - TRUCK_WINDSCREEN_INSET_M, *p.windscreen_m, TRUCK_GLASS_PROUD_M, TRUCK_GLASS_EMBED_M)
    w_y0, w_y1, w_z0, w_z1 = TRUCK_SIDE_WINDOW_M
    side_window = box(
        (cab_half - TRUCK_GLASS_EMBED_M, cab_half + TRUCK_GLASS_PROUD_M),
        (cab_front - w_y1, cab_front - w_y0),
        (w_z0, w_z1),
    )
    glass = [windscreen, *both_sides(side_window)]

    # wheels: single front tyres, twin rear tyres
    fw, rw = p.front_wheels, p.rear_wheels
    front_outer = cab_half - fw.inset_m
    rear_outer = box_half - rw.inset_m
    rear_centre_z = rw.radius_m * math.cos(math.pi / TYRE_SEGMENTS)
    tyres = both_sides(disc_x((front_outer - fw.width_m, front_outer), (front_axle, front_centre_z), fw.radius_m))
    for outer in (rear_outer, rear_outer - rw.width_m - p.twin_gap_m):
        tyres += both_sides(disc_x((outer - rw.width_m, outer), (rear_axle, rear_centre_z), rw.radius_m))
    rims = []
    for outer, centre, radius in ((front_outer, (front_axle, front_centre_z), fw.radius_m),
                                  (rear_outer, (rear_axle, rear_centre_z), rw.radius_m)):
        rims += both_sides(disc_x((outer - RIM_DEPTH_M, outer + RIM_PROUD_M), centre, radius * RIM_RADIUS_RATIO))

    # lights and plates
    bumper_face = half_length - PLATE_THICKNESS_M
    hx0, hx1, hz0, hz1 = TRUCK_HEADLIGHT_M
    headlight = box((hx0, hx1), (bumper_face - TRUCK_BUMPER_WRAP_M / 2, bumper_face + LIGHT_PROUD_M / 2), (hz0, hz1))
    bar_half, bar_z0, bar_z1, bar_y0, bar_y1 = TRUCK_LAMP_BAR_M
    bar_face = -half_length + bar_y0
    lx0, lx1, lz = TRUCK_REAR_LIGHT_M
    rear_light = box((lx0, lx1), (bar_face - LIGHT_PROUD_M, bar_face + LIGHT_PROUD_M), (bar_z0 + lz, bar_z1 - lz))
    plates = [
        plate_at(half_length, sum(p.bumper_m) / 2, front=True),
        plate_at(half_length - bar_y0 + PLATE_THICKNESS_M, (bar_z0 + bar_z1) / 2, front=False),
    ]

    # trim: bumper, grille, mirrors, chassis, lamp bar, rear door hardware, mudguards, side guards
    cab_face_bottom = face_y(face_bottom)
    trim = [
        box((-cab_half - BUMPER_SIDE_PROUD_M, cab_half + BUMPER_SIDE_PROUD_M),
            (cab_face_bottom - TRUCK_BUMPER_WRAP_M, bumper_face), p.bumper_m),
        on_face(TRUCK_GRILLE_M[0], TRUCK_GRILLE_M[1], TRUCK_GRILLE_M[2], LIGHT_PROUD_M, TRUCK_GLASS_EMBED_M),
        box((-bar_half, bar_half), (bar_face, -half_length + bar_y1), (bar_z0, bar_z1)),
    ]
    m_y, m_len, m_depth, m_z0, m_z1 = TRUCK_MIRROR_M
    mirror_y = cab_front - m_y
    head = box((p.width_m / 2 - m_depth, p.width_m / 2), (mirror_y - m_len / 2, mirror_y + m_len / 2), (m_z0, m_z1))
    arm = beam((cab_half - TRUCK_MIRROR_ARM_M, mirror_y, m_z1 - TRUCK_MIRROR_ARM_M),
               (p.width_m / 2 - m_depth / 2, mirror_y, m_z1 - TRUCK_MIRROR_ARM_M), TRUCK_MIRROR_ARM_M)
    trim += both_sides(head) + both_sides(arm)
    cx0, cx1, cz0 = TRUCK_CHASSIS_M
    trim += both_sides(box((cx0, cx1), (-half_length + bar_y1, cab_rear + p.cab_length_m / 2), (cz0, p.box_bottom_m)))
    box_rear = -half_length + TRUCK_REAR_HARDWARE_M
    hardware_y = (-half_length, box_rear + TRUCK_REAR_HARDWARE_M)
    hardware_z = (p.box_bottom_m + TRUCK_BOX_CHAMFER_M, p.height_m - TRUCK_BOX_CHAMFER_M)
    half_bar = TRUCK_LOCK_BAR_WIDTH_M / 2
    trim.append(box((-half_bar, half_bar), hardware_y, hardware_z))  # door seam
    for x in TRUCK_LOCK_BAR_X_M:
        trim += both_sides(box((x - half_bar, x + half_bar), hardware_y, hardware_z))
    gap, thickness, overhang = TRUCK_MUDGUARD_M
    guard_z = 2 * rear_centre_z + gap
    guard_x = (rear_outer - 2 * rw.width_m - p.twin_gap_m, rear_outer + BUMPER_SIDE_PROUD_M)
    guard_y = (rear_axle - rw.radius_m - overhang, rear_axle + rw.radius_m + overhang)
    trim += both_sides(box(guard_x, guard_y, (guard_z, guard_z + thickness)))
    rail_depth, rail_height, rail_bottoms = TRUCK_SIDE_GUARD_M
    rail_y = (rear_axle + rw.radius_m + overhang, front_axle - arch_radius)
    for z in rail_bottoms:
        trim += both_sides(box((box_half - rail_depth, box_half), rail_y, (z, z + rail_height)))

    # cargo box, its rear face just inside the door hardware
    box_front = cab_rear - p.box_gap_m
    box_profile = [
        (box_rear, p.box_bottom_m), (box_front, p.box_bottom_m), (box_front, p.height_m), (box_rear, p.height_m),
    ]
    cargo = chamfered_prism(box_profile, box_half, TRUCK_BOX_CHAMFER_M)

    # fuel tank on the left, behind the front wheel
    radius, length, gap = TRUCK_FUEL_TANK_M
    tank_y = front_axle - arch_radius - gap
    tank_x = -(box_half - TRUCK_SIDE_GUARD_M[0] - radius)
    tank = rod((tank_x, tank_y, cz0), (tank_x, tank_y - length, cz0), radius, n=ROUND_SEGMENTS * 2)

    return {
        "paint": paint,
        "glass": glass,
        "tyre": tyres,
        "rim": rims,
        "light_front": both_sides(headlight),
        "light_rear": both_sides(rear_light),
        "plate": plates,
        "trim": trim,
        "cargo_box": [cargo],
        "metal": [tank],
    }


TRUCK = TruckParams(
    asset_id="truck",
    object_class="truck",
    length_m=7.50,
    width_m=2.40,
    height_m=3.20,
    front_wheels=WheelParams(radius_m=0.48, width_m=0.30, inset_m=0.04),
    rear_wheels=WheelParams(radius_m=0.48, width_m=0.26, inset_m=0.05),
    twin_gap_m=0.03,
    front_overhang_m=1.25,
    wheelbase_m=4.30,
    cab_length_m=1.95,
    cab_width_m=2.20,
    cab_height_m=2.90,
    cab_bottom_m=0.60,
    cab_rake_m=0.12,
    windscreen_m=(1.55, 2.62),
    bumper_m=(0.35, 0.75),
    box_width_m=2.30,
    box_bottom_m=1.10,
    box_gap_m=0.08,
)


# --- people -------------------------------------------------------------------

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


# --- cyclist --------------------------------------------------------------------

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


def bicycle_parts(b: BicycleParams, lay: BikeLayout) -> dict[str, list[trimesh.Trimesh]]:
    """Solids of the bicycle: tyre, rim, frame, metal (hubs, spokes, bar, cranks), trim (saddle, grips, pedals)."""
    names = ("tyre", "rim", "frame", "metal", "trim", "light_rear")
    parts: dict[str, list[trimesh.Trimesh]] = {name: [] for name in names}
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
    spread = np.array([BIKE_STAY_SPREAD_M, 0.0, 0.0])
    bb, seat, head_top, head_bottom = lay.bottom_bracket, lay.seat_cluster, lay.head_top, lay.head_bottom
    parts["frame"] += [
        rod(bb, seat, BIKE_TUBE_RADIUS_M),  # seat tube
        rod(seat, head_top, BIKE_TUBE_RADIUS_M),  # top tube
        rod(bb, head_bottom, BIKE_TUBE_RADIUS_M * 1.2),  # down tube
        rod(head_top, head_bottom, BIKE_HEAD_TUBE_RADIUS_M),  # head tube
    ]
    for side in (-1.0, 1.0):
        parts["frame"] += [
            rod(bb, lay.rear_axle + side * spread, BIKE_STAY_RADIUS_M),  # chain stay
            rod(seat, lay.rear_axle + side * spread, BIKE_STAY_RADIUS_M),  # seat stay
            rod(head_bottom + side * spread / 2, lay.front_axle + side * spread, BIKE_STAY_RADIUS_M * 1.2),  # fork
        ]
    # seatpost and saddle
    length, rear_w, nose_w, thick = BIKE_SADDLE_M
    saddle = lay.saddle_top
    parts["metal"].append(rod(seat, saddle - (0.0, 0.0, thick), BIKE_SEATPOST_RADIUS_M))
    y_rear, y_nose = saddle[1] - BIKE_SADDLE_REAR_M, saddle[1] - BIKE_SADDLE_REAR_M + length
    parts["trim"].append(hull([
        (sx * w / 2, y, saddle[2] - dz)
        for sx in (-1, 1) for y, w in ((y_rear, rear_w), (y_nose, nose_w)) for dz in (0.0, thick)
    ]))
    # stem, handlebar, grips
    parts["metal"].append(rod(head_top, lay.bar_centre, BIKE_STEM_RADIUS_M))
    bar_r, grip_r = BIKE_BAR_RADII_M
    half_bar = b.bar_width_m / 2
    parts["metal"].append(rod(lay.bar_centre - (half_bar, 0.0, 0.0), lay.bar_centre + (half_bar, 0.0, 0.0), bar_r))
    for grip in lay.grips:
        half = np.array([BIKE_GRIP_LENGTH_M / 2, 0.0, 0.0])
        parts["trim"].append(rod(grip - half, grip + half, grip_r))
    # cranks, pedals, chainring
    offset, crank_t = BIKE_CRANK_M
    pedal_w, pedal_l, pedal_t = BIKE_PEDAL_M
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
    # rear reflector below the seat cluster, facing back
    w, d, h, drop = BIKE_REFLECTOR_M
    ry = seat[1] - BIKE_SEATPOST_RADIUS_M
    parts["light_rear"].append(box((-w / 2, w / 2), (ry - d, ry), (seat[2] - drop - h, seat[2] - drop)))
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
        parts = bicycle_parts(self.bicycle, lay)
        for name, solids in rider.items():
            parts[name] = parts.get(name, []) + solids
        return parts


PEDESTRIAN = PedestrianParams(
    asset_id="pedestrian",
    object_class="person",
    length_m=0.33,
    width_m=0.47,
    height_m=1.75,
    stature_m=1.75,
    wrist_out_m=0.025,
    wrist_forward_m=0.02,
    wrist_height_ratio=0.485,
)

CYCLIST = CyclistParams(
    asset_id="cyclist",
    object_class="cyclist",
    length_m=1.75,
    width_m=0.60,
    height_m=1.75,
    colours=(("cloth_top", (0.55, 0.62, 0.03)),),  # high-visibility yellow jacket
    stature_m=1.75,
    lean_deg=35.0,
    bicycle=BicycleParams(
        wheel_radius_m=0.35,
        tyre_section_m=0.035,
        wheelbase_m=1.05,
        chainstay_m=0.43,
        bb_drop_m=0.07,
        seat_angle_deg=73.0,
        seat_tube_m=0.52,
        saddle_height_m=0.70,
        stack_m=0.58,
        reach_m=0.40,
        head_tube_m=0.15,
        head_angle_deg=72.0,
        stem_m=(0.0, 0.12),
        bar_width_m=0.60,
        crank_m=0.17,
        crank_angle_deg=20.0,
    ),
)


# --- four-legged animals ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Blob:
    """An axis-aligned ellipsoid on the mid-plane: centre (y, z) and radii (x, y, z), metres."""

    centre_yz: tuple[float, float]
    radii: tuple[float, float, float]

    def solid(self) -> trimesh.Trimesh:
        return ellipsoid((0.0, *self.centre_yz), self.radii)


@dataclasses.dataclass(frozen=True)
class Leg:
    """One leg of a pair (the other is mirrored): joints (y, z) from the body down, a radius per joint,
    and a paw (a dome on the ground) centred at ``paw_y`` with radii (x, y, z); metres."""

    x_m: float
    joints_yz: tuple[tuple[float, float], ...]
    radii_m: tuple[float, ...]
    paw_y_m: float
    paw_radii_m: tuple[float, float, float]


@dataclasses.dataclass(frozen=True)
class Ear:
    """One ear of a pair: a flat flap from its root (x, y, z) to its tip, ``width_m`` wide at the
    root, ``taper`` times that at the tip, lying in the plane normal to ``normal`` (metres)."""

    root: tuple[float, float, float]
    tip: tuple[float, float, float]
    width_m: float
    taper: float
    thickness_m: float
    normal: tuple[float, float, float]

    def solid(self) -> trimesh.Trimesh:
        root, tip = np.asarray(self.root), np.asarray(self.tip)
        normal = unit(self.normal)
        across = unit(np.cross(normal, tip - root))
        t = normal * self.thickness_m / 2
        points = [
            centre + sa * across * w / 2 + st * t
            for centre, w in ((root, self.width_m), (tip, self.width_m * self.taper))
            for sa in (-1, 1) for st in (-1, 1)
        ]
        return hull(points)


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuadrupedParams(AssetParams):
    """A dog or a cat standing on four legs, facing +y (metres); the shape is a sum of ellipsoids and capsules."""

    chest: Blob
    rump: Blob
    head: Blob
    neck_radius_m: float
    snout_yz: tuple[tuple[float, float], tuple[float, float]]  # root and tip of the snout (muzzle)
    snout_radii_m: tuple[float, float]
    nose_radius_m: float
    eye: tuple[float, float, float]  # right eye centre (x, y, z); the left is mirrored
    eye_radius_m: float
    ear: Ear  # right ear; the left is mirrored
    front_leg: Leg
    hind_leg: Leg
    tail_yz: tuple[tuple[float, float], ...]
    tail_radii_m: tuple[float, ...]
    ear_part: str = "fur"  # part of the ears (a darker fur shows floppy ears against the head)

    def parts(self) -> dict[str, list[trimesh.Trimesh]]:
        return quadruped_parts(self)


def quadruped_parts(q: QuadrupedParams) -> dict[str, list[trimesh.Trimesh]]:
    """All solids of a four-legged animal: fur (body, head, legs, tail), ears, nose and eyes."""
    body = hull(np.vstack([q.chest.solid().vertices, q.rump.solid().vertices]))
    head = q.head.solid()
    chest_top = (0.0, q.chest.centre_yz[0] + q.chest.radii[1] / 2, q.chest.centre_yz[1] + q.chest.radii[2] / 2)
    neck = capsule(chest_top, (0.0, *q.head.centre_yz), q.neck_radius_m, q.neck_radius_m)
    snout_root, snout_tip = ((0.0, *yz) for yz in q.snout_yz)
    snout = capsule(snout_root, snout_tip, *q.snout_radii_m)
    nose_centre = np.asarray(snout_tip) + (0.0, q.snout_radii_m[1], q.snout_radii_m[1] / 3)
    nose = ellipsoid(nose_centre, (q.nose_radius_m * 1.3, q.nose_radius_m, q.nose_radius_m))
    eye = ellipsoid(q.eye, (q.eye_radius_m,) * 3)
    legs = []
    for leg in (q.front_leg, q.hind_leg):
        points = [(leg.x_m, y, z) for y, z in leg.joints_yz]
        legs += chain(points, leg.radii_m)
        legs.append(dome((leg.x_m, leg.paw_y_m, 0.0), leg.paw_radii_m))
    legs = [solid for leg in legs for solid in both_sides(leg)]
    tail = chain([(0.0, y, z) for y, z in q.tail_yz], q.tail_radii_m)
    fur = [body, neck, head, snout, *legs, *tail]
    parts = {"fur": fur, "nose": [nose], "eye": both_sides(eye)}
    parts.setdefault(q.ear_part, []).extend(both_sides(q.ear.solid()))
    return parts


DOG = QuadrupedParams(
    asset_id="dog",
    object_class="dog",
    length_m=0.90,
    width_m=0.30,
    height_m=0.65,
    chest=Blob((0.13, 0.44), (0.13, 0.17, 0.13)),
    rump=Blob((-0.18, 0.45), (0.12, 0.15, 0.115)),
    head=Blob((0.31, 0.575), (0.075, 0.095, 0.075)),
    neck_radius_m=0.075,
    snout_yz=((0.36, 0.555), (0.45, 0.54)),
    snout_radii_m=(0.045, 0.035),
    nose_radius_m=0.022,
    eye=(0.045, 0.375, 0.600),
    eye_radius_m=0.013,
    ear=Ear(  # floppy: hangs beside the head
        root=(0.065, 0.30, 0.635), tip=(0.09, 0.29, 0.53), width_m=0.065, taper=0.8, thickness_m=0.02,
        normal=(1.0, 0.0, 0.0),
    ),
    front_leg=Leg(
        x_m=0.085, joints_yz=((0.16, 0.42), (0.15, 0.24), (0.16, 0.06)), radii_m=(0.055, 0.04, 0.031),
        paw_y_m=0.175, paw_radii_m=(0.035, 0.047, 0.036),
    ),
    hind_leg=Leg(  # hip, stifle (knee), hock, fetlock
        x_m=0.085, joints_yz=((-0.20, 0.44), (-0.14, 0.27), (-0.25, 0.12), (-0.24, 0.05)),
        radii_m=(0.065, 0.046, 0.033, 0.03), paw_y_m=-0.225, paw_radii_m=(0.035, 0.047, 0.036),
    ),
    tail_yz=((-0.31, 0.52), (-0.36, 0.575), (-0.39, 0.615)),
    tail_radii_m=(0.03, 0.022, 0.014),
    ear_part="fur_dark",
)

CAT = QuadrupedParams(
    asset_id="cat",
    object_class="cat",
    length_m=0.45,
    width_m=0.15,
    height_m=0.30,
    colours=(("fur", (0.20, 0.19, 0.18)), ("nose", (0.60, 0.25, 0.25)), ("eye", (0.35, 0.30, 0.02))),
    chest=Blob((0.06, 0.165), (0.064, 0.085, 0.066)),
    rump=Blob((-0.09, 0.17), (0.07, 0.09, 0.07)),
    head=Blob((0.165, 0.24), (0.052, 0.047, 0.045)),
    neck_radius_m=0.042,
    snout_yz=((0.19, 0.226), (0.205, 0.222)),
    snout_radii_m=(0.025, 0.021),
    nose_radius_m=0.008,
    eye=(0.024, 0.203, 0.25),
    eye_radius_m=0.009,
    ear=Ear(  # pointed: upright triangle facing forward
        root=(0.03, 0.162, 0.266), tip=(0.04, 0.156, 0.302), width_m=0.042, taper=0.1, thickness_m=0.009,
        normal=(0.0, 1.0, 0.0),
    ),
    front_leg=Leg(
        x_m=0.038, joints_yz=((0.085, 0.15), (0.08, 0.075), (0.085, 0.02)), radii_m=(0.026, 0.019, 0.015),
        paw_y_m=0.09, paw_radii_m=(0.018, 0.024, 0.017),
    ),
    hind_leg=Leg(
        x_m=0.04, joints_yz=((-0.11, 0.16), (-0.075, 0.095), (-0.13, 0.04), (-0.12, 0.015)),
        radii_m=(0.036, 0.025, 0.017, 0.015), paw_y_m=-0.115, paw_radii_m=(0.018, 0.026, 0.017),
    ),
    tail_yz=((-0.165, 0.19), (-0.195, 0.225), (-0.205, 0.265), (-0.195, 0.29)),
    tail_radii_m=(0.016, 0.014, 0.012, 0.011),
)


# --- furniture and street objects ---------------------------------------------------


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


CHAIR = ChairParams(
    asset_id="chair",
    object_class="chair",
    length_m=0.50,
    width_m=0.50,
    height_m=0.90,
    seat_top_m=0.46,
    seat_thickness_m=0.035,
    seat_overhang_m=0.008,
    leg_m=0.04,
    back_rake_m=0.06,
    top_rail_m=0.09,
    back_slats=3,
    slat_m=(0.04, 0.02),
    back_gap_m=0.10,
    stretcher_m=(0.15, 0.022),
)

TRAFFIC_CONE = ConeParams(
    asset_id="traffic_cone",
    object_class="traffic_cone",
    length_m=0.40,
    width_m=0.40,
    height_m=0.75,
    base_thickness_m=0.035,
    base_corner_m=0.04,
    bottom_radius_m=0.15,
    top_radius_m=0.025,
    bands_m=((0.36, 0.44), (0.52, 0.64)),
    band_proud_m=0.003,
)

BARREL = BarrelParams(
    asset_id="barrel",
    object_class="barrel",
    length_m=0.60,
    width_m=0.60,
    height_m=0.90,
    shell_inset_m=0.012,
    chime_m=(0.03, 0.018),
    lid_recess_m=0.012,
    hoops_m=(0.30, 0.60),
    hoop_height_m=0.025,
    bungs_m=(0.03, 0.008, 0.18),
)

FRIDGE = FridgeParams(
    asset_id="fridge",
    object_class="fridge",
    length_m=0.70,
    width_m=0.70,
    height_m=1.80,
    door_thickness_m=0.05,
    door_gap_m=0.015,
    door_split_m=1.20,
    door_margin_m=0.005,
    plinth_m=0.08,
    handle_m=(0.03, 0.025, 0.30),
    handle_standoff_m=0.035,
    handle_inset_m=0.06,
    handle_offset_m=0.06,
    edge_m=0.012,
    coil_m=(0.50, 0.15, 1.45, 0.02),
)


# --- assembly and export --------------------------------------------------

#: The assets besides the cars and the van, in catalog order.
OBJECTS: tuple[AssetParams, ...] = (TRUCK, PEDESTRIAN, CYCLIST, FRIDGE, DOG, CAT, CHAIR, TRAFFIC_CONE, BARREL)
ASSETS: tuple[AssetParams, ...] = VEHICLES + OBJECTS


def part_material(name: str, m: PartMaterial) -> PBRMaterial:
    """PBR material of a part, named after it."""
    return PBRMaterial(
        name=name,
        baseColorFactor=[round(c * 255) for c in m.base_colour],
        metallicFactor=m.metallic,
        roughnessFactor=m.roughness,
    )


def materials_for(p: AssetParams) -> dict[str, PartMaterial]:
    """PART_MATERIALS with the asset's colour overrides applied."""
    materials = dict(PART_MATERIALS)
    for name, rgb in p.colours:
        if name not in materials:
            raise ValueError(f"{p.asset_id}: colour for unknown part {name!r}")
        materials[name] = dataclasses.replace(materials[name], base_colour=(*rgb, 1.0))
    return materials


def build_scene(parts: dict[str, list[trimesh.Trimesh]], materials: dict[str, PartMaterial]) -> trimesh.Scene:
    """One geometry (and node) per non-empty part, named after the part, in the order of ``parts``."""
    scene = trimesh.Scene()
    for name, solids in parts.items():
        if not solids:
            continue
        if name not in materials:
            raise ValueError(f"part {name!r} has no material in PART_MATERIALS")
        mesh = trimesh.util.concatenate(solids)
        mesh = trimesh.Trimesh(vertices=mesh.vertices, faces=mesh.faces, process=False)
        mesh.visual = TextureVisuals(material=part_material(name, materials[name]))
        scene.add_geometry(mesh, geom_name=name, node_name=name)
    return scene


def check_extents(scene: trimesh.Scene, p: AssetParams) -> None:
    """Raise ValueError unless the bounding box is the declared size, centred, on z = 0."""
    lo, hi = scene.bounds
    expected_lo = np.array([-p.width_m / 2, -p.length_m / 2, 0.0])
    expected_hi = np.array([p.width_m / 2, p.length_m / 2, p.height_m])
    error = max(np.abs(lo - expected_lo).max(), np.abs(hi - expected_hi).max())
    if error > EXTENT_TOLERANCE_M:
        raise ValueError(f"{p.asset_id}: bounds {lo}..{hi} differ from {expected_lo}..{expected_hi}")


def build_asset(p: AssetParams) -> trimesh.Scene:
    """Build and check the scene of one asset."""
    parts = p.parts()
    if not p.exact:
        parts = fit_to_size(parts, p)
    scene = build_scene(parts, materials_for(p))
    check_extents(scene, p)
    return scene


def write_all(out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Write ``<asset_id>.glb`` for every asset to ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for params in ASSETS:
        path = out_dir / f"{params.asset_id}.glb"
        path.write_bytes(build_asset(params).export(file_type="glb"))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=MESHES_DIR, help="output folder (default: assets/meshes)")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(f"{path}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
