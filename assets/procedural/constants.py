"""Geometric constants shared by the asset builders (metres unless noted).

The road-vehicle constants (tyres, arches, body, plates, bumpers, lights, glass,
roof, pillars, mirrors) are used by the cars and the van and, in part, by the box
truck; the tessellation and fitting constants by the other assets. Constants that
belong to one asset family stay with it: the truck's in :mod:`.truck`, the human
body proportions (Drillis and Contini, after Winter) and the bicycle's in :mod:`.people`.
"""

from __future__ import annotations


# --- road vehicles: wheels and wheel arches
TYRE_SEGMENTS = 24  # facets around a tyre or rim
ARCH_SEGMENTS = 8  # straight pieces approximating a wheel arch (half circle)
ARCH_GAP_M = 0.05  # arch radius minus tyre radius
RIM_RADIUS_RATIO = 0.62  # rim radius / tyre radius
RIM_DEPTH_M = 0.03  # rim disc depth inside the tyre
RIM_PROUD_M = 0.008  # rim disc standing out of the tyre sidewall
LINER_GAP_M = 0.02  # wheel-well liner inboard of the tyre's inner face


# --- road vehicles: body, plates, bumpers, lights
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


# --- road vehicles: greenhouse, roof, pillars, roof rails, cladding, mirrors
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


# --- hulls, ground contact and size checks
QHULL_OPTIONS = None  # qhull's own defaults, see hull()
GROUND_SNAP_M = 1e-9  # tyre vertices closer than this to z = 0 are set to 0
EXTENT_TOLERANCE_M = 1e-6  # allowed mismatch between built and declared size


# --- tessellation and fitting of the non-vehicle assets (counts are unitless)
ROUND_SEGMENTS = 12  # facets around a limb, an ellipsoid or a post (a multiple of 4 keeps x/y extents exact)
SPHERE_RINGS = 5  # latitude rings of an ellipsoid between its poles (odd: the equator is one of them)
DRUM_SEGMENTS = 24  # facets around a large round object (barrel, cone, chainring); a multiple of 4
MAX_FIT_STRETCH = 0.05  # largest relative stretch of an axis when an object is fitted to its declared size
