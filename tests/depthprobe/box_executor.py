"""A test render executor without Blender: exact ray-cast boxes (scenes/formats/synthetic.py).

:class:`BoxExecutor` keeps the generator's executor contract (generator/render_result.py: frame
plans in, one RenderResult per render out, a context manager with ``n_workers`` and
``failures``), so the failure search and ``generator.generate`` render and write with it as with
Cycles.  Each object is a fronto-parallel box of its asset's width and height at the nearest
point of its footprint, in its paint colour; sun and roadside are not drawn.  The frame's trial
number is written into its RGB (``scenes.formats.synthetic.encode_index``; REFERENCE_INDEX for
a frame that is not a trial), so that a planted model can tell which frame it is shown.  The
geometry export holds the road as one square and each box as one quad.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from generator.render_result import RenderResult, group_renders
from scenes.catalog import Catalog
from scenes.design import FramePlan
from scenes.formats import (OBJECT_RGB, Box, CameraGeometry, FrameGeometry, FrameSpec, MeshNode, RenderedFrame,
                            render_spec)
from scenes.geometry import SEMANTIC_CLASSES, Camera, linear_to_srgb

#: Frame index written into the RGB of a box frame that is not a trial (the reference frame).
REFERENCE_INDEX = 65535
#: Half the side of the road square of the geometry export, metres (the generator's road reaches 3 km).
ROAD_HALF_SIDE_M = 3000.0
#: A quad's two triangles (vertex indices, counter-clockwise seen from the camera side).
QUAD_FACES = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)


def linear_to_srgb8(rgb: tuple[float, float, float]) -> tuple[int, int, int]:
    """Linear RGB 0..1 to display sRGB 0..255 (scenes/geometry/colour.py, rounded)."""
    return tuple(int(round(255 * float(v))) for v in linear_to_srgb(rgb))  # type: ignore[return-value]


def quad_node(name: str, semantic: str, instance_id: int, corners: np.ndarray) -> MeshNode:
    """One flat quad (4 corners, world metres) as a mesh node with an identity transform."""
    return MeshNode(name, semantic, instance_id, np.asarray(corners, np.float32), QUAD_FACES, np.eye(4), "box")


def box_corners(box: Box) -> np.ndarray:
    """The 4 world corners (metres) of a box: bottom left, bottom right, top right, top left."""
    left, right = box.x_m - box.width_m / 2, box.x_m + box.width_m / 2
    bottom, top = box.elevation_m, box.elevation_m + box.height_m
    return np.array([[left, box.z_m, bottom], [right, box.z_m, bottom], [right, box.z_m, top], [left, box.z_m, top]])


def box_contact(box: Box, camera: Camera) -> tuple[float, float]:
    """(image row in pixels, z-depth in metres) of the box's bottom corner lowest in the image."""
    _, v, z = camera.project(box_corners(box)[:2])
    k = int(np.nanargmax(v))
    return float(v[k]), float(z[k])


class BoxExecutor:
    """Ray-cast boxes instead of renders (see the module docstring); renders in plan order.

    :ivar n_workers: frames rendered together (the search asks this many trials at a time).
    """

    def __init__(self, catalog: Catalog, n_workers: int = 1) -> None:
        self.catalog = catalog
        self.n_workers = n_workers
        self.failures: dict[int, int] = {}

    def __enter__(self) -> "BoxExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def boxes(self, plan: FramePlan) -> tuple[Box, ...]:
        """One box per object of the plan."""
        boxes = []
        for p in plan.objects:
            asset = self.catalog.get(p.asset)
            rgb = OBJECT_RGB if p.appearance.paint_rgb is None else linear_to_srgb8(p.appearance.paint_rgb)
            nearest = p.y_m - asset.length_m * p.scale / 2
            boxes.append(Box(z_m=nearest, height_m=asset.height_m * p.scale, width_m=asset.width_m * p.scale,
                             x_m=p.x_m, elevation_m=p.elevation_m, rgb=rgb, shadow=p.appearance.shadow,
                             columns={"asset": p.asset, **p.factors},
                             class_height_m=self.catalog.class_of(p.asset).usual_height_m))
        return tuple(boxes)

    def render(self, plans: Iterable[FramePlan], counterfactual: bool | None = None) -> Iterator[RenderResult]:
        """One result per render id, in (variant, render id) order (``counterfactual``: also the
        road alone; None = none, as a box frame has no spec of its own)."""
        for group in group_renders(plans):
            yield self.render_result(group, bool(counterfactual))

    def render_result(self, group: tuple[FramePlan, ...], counterfactual: bool) -> RenderResult:
        """Ray-cast the first plan of a render (and its counterfactual)."""
        plan = group[0]
        trial = int(plan.factors.get("trial", -1))
        index = trial % REFERENCE_INDEX if trial >= 0 else REFERENCE_INDEX
        boxes = self.boxes(plan)
        frame_spec = FrameSpec(plan.frame_id, plan.camera, boxes, dict(plan.factors), plan.is_reference,
                               counterfactual)
        layers = render_spec(frame_spec, index)["layers"]
        object_ids = np.array([0, *(p.object_id for p in plan.objects)], np.uint16)  # box k -> its object id
        instances = object_ids[layers["instances"]]
        frame = RenderedFrame(layers["rgb"], layers["depth"], instances, layers["semantic"])
        without = None
        if counterfactual:
            semantic = np.where(np.isfinite(layers["counterfactual_depth"]), SEMANTIC_CLASSES["road"],
                                SEMANTIC_CLASSES["sky"]).astype(np.uint8)
            without = RenderedFrame(layers["counterfactual_rgb"], layers["counterfactual_depth"],
                                    np.zeros_like(instances), semantic)
        contacts = {p.object_id: box_contact(box, plan.camera) for p, box in zip(plan.objects, boxes)}
        return RenderResult(group, frame, without, contacts, self.geometry(plan, boxes, counterfactual),
                            {"render_s": 0.0}, "ray-cast boxes")

    @staticmethod
    def geometry(plan: FramePlan, boxes: tuple[Box, ...], counterfactual: bool) -> FrameGeometry:
        """The geometry export of a box frame: the road square and one quad per box."""
        s = ROAD_HALF_SIDE_M
        road = quad_node("road", "road", 0, np.array([[-s, -s, 0.0], [s, -s, 0.0], [s, s, 0.0], [-s, s, 0.0]]))
        objects = tuple(quad_node(f"object_{p.object_id}", "vehicle", p.object_id, box_corners(box))
                        for p, box in zip(plan.objects, boxes))
        camera = plan.camera
        pose = CameraGeometry(camera.K, camera.width, camera.height, np.linalg.inv(camera.cam_to_world))
        return FrameGeometry(plan.frame_id, plan.variant.name, (road,), objects, pose,
                             () if counterfactual else None)
