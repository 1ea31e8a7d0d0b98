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


# --- assembly and export --------------------------------------------------


def part_material(name: str) -> PBRMaterial:
    """Default PBR material for a part, named after it."""
    m = PART_MATERIALS[name]
    return PBRMaterial(
        name=name,
        baseColorFactor=[round(c * 255) for c in m.base_colour],
        metallicFactor=m.metallic,
        roughnessFactor=m.roughness,
    )


def build_scene(parts: dict[str, list[trimesh.Trimesh]]) -> trimesh.Scene:
    """One geometry (and node) per part, named after the part, in PART_NAMES order."""
    scene = trimesh.Scene()
    for name in PART_NAMES:
        if not parts.get(name):
            continue
        mesh = trimesh.util.concatenate(parts[name])
        mesh = trimesh.Trimesh(vertices=mesh.vertices, faces=mesh.faces, process=False)
        mesh.visual = TextureVisuals(material=part_material(name))
        scene.add_geometry(mesh, geom_name=name, node_name=name)
    return scene


def check_extents(scene: trimesh.Scene, p: VehicleParams) -> None:
    """Raise ValueError unless the bounding box is the declared size, centred, on z = 0."""
    lo, hi = scene.bounds
    expected_lo = np.array([-p.width_m / 2, -p.length_m / 2, 0.0])
    expected_hi = np.array([p.width_m / 2, p.length_m / 2, p.height_m])
    error = max(np.abs(lo - expected_lo).max(), np.abs(hi - expected_hi).max())
    if error > EXTENT_TOLERANCE_M:
        raise ValueError(f"{p.asset_id}: bounds {lo}..{hi} differ from {expected_lo}..{expected_hi}")


def build_vehicle(p: VehicleParams) -> trimesh.Scene:
    """Build and check the scene of one vehicle."""
    scene = build_scene(vehicle_parts(p))
    check_extents(scene, p)
    return scene


def write_all(out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Write ``<asset_id>.glb`` for every vehicle to ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for params in VEHICLES:
        path = out_dir / f"{params.asset_id}.glb"
        path.write_bytes(build_vehicle(params).export(file_type="glb"))
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
