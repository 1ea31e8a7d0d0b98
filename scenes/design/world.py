"""The road world's plain geometry, shared by the Blender builder and the ray-casting preview.

World convention (as scenes/geometry/camera.py): metres, x right, y forward, z up; the camera stands
at x = 0 in the middle of the ego lane.  The road and its two grass verges are exactly the plane
z = 0: three rectangles side by side (:func:`ground_surfaces`) from ROAD_BEHIND_M behind the
camera to ROAD_LENGTH_M ahead.  generator/road_world.py builds them in Blender (with lane
markings, roadside structures, sky and sun on top); scenes/raycast/preview.py ray-casts them as one
quad (:func:`ground_quad`).

Pure Python (numpy only).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes.spec import RoadSpec, VariantSpec, WorldSpec

# The extents generator/road_world.py has always built (and the preview ray-casts).
#: How far the road and verges reach ahead (m): past it the image shows sky.  At 3 km a
#: 1.65 m high KITTI camera (f = 721.5 px) sees the road's end 0.4 px below the horizon.
ROAD_LENGTH_M = 3000.0
#: The road and verges start this far behind the camera (m).
ROAD_BEHIND_M = 20.0
#: The verges reach this far sideways from each road edge (m).
VERGE_WIDTH_M = 1500.0


@dataclass(frozen=True)
class RoadLayout:
    """Lateral extent of the road: x coordinates (m) of its edges, lane width (m), lane count.

    The camera (x = 0) is in the middle of lane ``ego_lane`` (0 = leftmost) of the RoadSpec,
    so ``left_edge_m < 0 < right_edge_m``; RoadSpec allows 1 ... 6 lanes of 2.5 ... 5 m.
    """

    left_edge_m: float
    right_edge_m: float
    lane_width_m: float
    lanes: int

    @classmethod
    def from_spec(cls, road: RoadSpec) -> "RoadLayout":
        """The layout of a RoadSpec: ``lanes`` lanes of ``lane_width_m``, camera in the ego lane."""
        left = -(road.ego_lane + 0.5) * road.lane_width_m
        return cls(left, left + road.lanes * road.lane_width_m, road.lane_width_m, road.lanes)

    @classmethod
    def for_variant(cls, world: WorldSpec, variant: VariantSpec) -> "RoadLayout":
        """The layout a variant's world is built with: the world's road, with the variant's lane count if set."""
        road = world.road if variant.lanes is None else world.road.model_copy(update={"lanes": variant.lanes})
        return cls.from_spec(road)


@dataclass(frozen=True)
class GroundSurface:
    """One rectangle of the ground plane z = 0, spanning y in [-ROAD_BEHIND_M, ROAD_LENGTH_M].

    :ivar name: Blender object name (``road``, ``verge_left``, ``verge_right``).
    :ivar semantic: its key in scenes.formats.stimulus_set.SEMANTIC_CLASSES (``road`` or ``verge``).
    :ivar x0_m: left edge, metres.
    :ivar x1_m: right edge, metres (> x0_m).
    """

    name: str
    semantic: str
    x0_m: float
    x1_m: float


#: The y range (m) of every ground surface: from behind the camera to the road's far end.
GROUND_Y_RANGE_M = (-ROAD_BEHIND_M, ROAD_LENGTH_M)


def ground_surfaces(layout: RoadLayout) -> tuple[GroundSurface, GroundSurface, GroundSurface]:
    """The road and its left and right verges (VERGE_WIDTH_M wide), in that order, x in metres."""
    left, right = layout.left_edge_m, layout.right_edge_m
    return (GroundSurface("road", "road", left, right),
            GroundSurface("verge_left", "verge", left - VERGE_WIDTH_M, left),
            GroundSurface("verge_right", "verge", right, right + VERGE_WIDTH_M))


def ground_quad(layout: RoadLayout | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The road plus verges as one quad at z = 0: vertices (4, 3) float64 in metres, faces (2, 3).

    With ``layout`` x spans exactly the surfaces of :func:`ground_surfaces` (left verge's left
    edge to right verge's right edge); without it x spans +-VERGE_WIDTH_M.  y spans
    GROUND_Y_RANGE_M.  The two triangles face up (+z).
    """
    if layout is None:
        x0, x1 = -VERGE_WIDTH_M, VERGE_WIDTH_M
    else:
        surfaces = ground_surfaces(layout)
        x0, x1 = surfaces[1].x0_m, surfaces[2].x1_m
    y0, y1 = GROUND_Y_RANGE_M
    verts = np.array([[x0, y0, 0.0], [x1, y0, 0.0], [x1, y1, 0.0], [x0, y1, 0.0]])
    return verts, np.array([[0, 1, 2], [0, 2, 3]])
