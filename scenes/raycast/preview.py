"""Exact-geometry preview of a design: each frame's road and objects ray-cast without Blender.

``depthprobe validate SPEC --preview`` uses this module to look at every frame before
anything is rendered.  A frame's geometry is what the renderer builds, from the same plain
model: the road and its verges, which are exactly the plane z = 0 (scenes/design/world.py), and the
catalog meshes placed with each ObjectPlacement's scale, yaw and position (scenes/design/meshes.py).
Rays go through pixel centres (integer pixel coordinates, OpenCV convention), as in the
renderer's geometry pass, so the preview's z-depth and instance map agree with Cycles' pixel
for pixel away from edges.  Not modelled: lane markings (1 mm above the road) and the roadside
buildings, trees and fences of a variant (they stand beside the road and can only hide objects
placed near it).

Per frame the checks report (:class:`PreviewIssue`):

* ``out_of_frame``: a mesh vertex projects outside the image (or lies behind the camera);
* ``occluded``: less than ``occlusion_threshold`` of the pixels the object covers when it is
  ray-cast alone are its own in the full frame;
* ``no_pixels``: the object is in the image but covers no pixel centre even alone;
* ``contact_out_of_image``: its lowest ground-contact vertex projects outside the image rows;
* ``off_road`` (frames on photos, ``world.background``): its footprint leaves the photo's road
  mask (:func:`off_road_issues`);
* ``overlap``: the 3D bounding boxes of two objects intersect.

Runs without Blender: numpy, trimesh and open3d (a compiled library, imported on first use; Embree
ray casting), and Pillow and matplotlib for the contact sheet.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from scenes.raycast.caster import RayCaster
from scenes.raycast.contact_sheet import PREVIEW_SIGNATURE, Tile, colormap, write_sheet
from scenes.photos import Background
from scenes.geometry import Camera
from scenes.catalog import Catalog
from scenes.design import (FramePlan, ObjectPlacement, expand, ground_contact, load_asset_mesh,
                           spec_backgrounds, RoadLayout, ground_quad)
from scenes.spec import RoadSpec, StimulusSpec
from scenes.progress import Progress

#: Default minimum visible fraction of an object (visible pixels / pixels when ray-cast alone).
DEFAULT_OCCLUSION_THRESHOLD = 0.9
#: Issue kinds, in the order they are reported for an object.
ISSUE_KINDS = ("out_of_frame", "no_pixels", "occluded", "contact_out_of_image", "overlap", "off_road")
#: Boxes must interpenetrate by more than this (m) to overlap (touching boxes do not).
OVERLAP_TOLERANCE_M = 1e-6
#: Vertices nearer than this to the camera plane (m) count as behind the camera.
MIN_VERTEX_DEPTH_M = 1e-3



# --------------------------------------------------------------------------------------------
# Meshes


def placed_mesh(placement: ObjectPlacement, catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """World vertices (N, 3) float64 in metres and faces (M, 3) of one placed catalog mesh."""
    mesh = load_asset_mesh(catalog.mesh_path(placement.asset))
    return placement.to_world(mesh.vertices), mesh.faces


@lru_cache(maxsize=8)
def _image_rays(camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`Camera.pixel_rays` through every pixel centre, row-major (cached per camera; read-only)."""
    origin, dirs = camera.pixel_rays()
    dirs.setflags(write=False)
    return origin, dirs


def _caster(meshes: Sequence[tuple[np.ndarray, np.ndarray]]) -> RayCaster:
    """The float64 ray caster over ``meshes`` (open3d missing: DepthprobeError naming ``--preview``)."""
    return RayCaster(meshes, "--preview")


# --------------------------------------------------------------------------------------------
# Preview of one frame


@dataclass
class ObjectView:
    """What the preview knows about one object of a frame.

    :ivar object_id: its instance value.
    :ivar asset: catalog id.
    :ivar visible_px: its pixels in the frame's instance map.
    :ivar unoccluded_px: its pixels (inside the image) when ray-cast alone.
    :ivar silhouette_px: its pixels when ray-cast alone on an unclipped image (also outside).
    :ivar u_range: (min, max) projected column of its vertices (nan if behind the camera).
    :ivar v_range: (min, max) projected row of its vertices.
    :ivar min_vertex_depth: smallest z-depth (m) of its vertices.
    :ivar contact_row: row of its lowest-projecting ground-contact vertex (nan if behind).
    :ivar contact_depth: z-depth (m) of that vertex.
    """

    object_id: int
    asset: str
    visible_px: int
    unoccluded_px: int
    silhouette_px: int
    u_range: tuple[float, float]
    v_range: tuple[float, float]
    min_vertex_depth: float
    contact_row: float
    contact_depth: float


@dataclass
class PreviewFrame:
    """Ray-cast geometry of one frame.

    :ivar frame_id: the plan's frame id.
    :ivar camera: the frame's camera.
    :ivar depth: float32 (H, W) z-depth, metres, +inf where nothing is hit.
    :ivar instances: uint16 (H, W), 0 = no object, k = object_id k.
    :ivar objects: per object_id, its :class:`ObjectView`.
    :ivar plan: the frame plan it was made from.
    :ivar seconds: time spent ray-casting this frame.
    """

    frame_id: str
    camera: Camera
    depth: np.ndarray
    instances: np.ndarray
    objects: dict[int, ObjectView]
    plan: FramePlan
    seconds: float = 0.0


def _unclipped_range(lo: float, hi: float, size: int) -> tuple[int, int]:
    """Integer pixel centres in [lo, hi], limited to one image size beyond each border."""
    first = max(int(np.ceil(lo)), -size)
    last = min(int(np.floor(hi)), 2 * size - 1)
    return first, last


def _object_alone(caster: RayCaster, camera: Camera, u_range: tuple[float, float],
                  v_range: tuple[float, float]) -> tuple[int, int]:
    """(silhouette pixels on an unclipped grid, of which inside the image) of one object ray-cast alone."""
    if not all(np.isfinite(u_range + v_range)):
        return 0, 0
    u0, u1 = _unclipped_range(*u_range, camera.width)
    v0, v1 = _unclipped_range(*v_range, camera.height)
    if u1 < u0 or v1 < v0:
        return 0, 0
    vv, uu = np.mgrid[v0:v1 + 1, u0:u1 + 1]
    hit = np.isfinite(caster.cast(*camera.pixel_rays(uu, vv)).t)
    inside = (uu.ravel() >= 0) & (uu.ravel() < camera.width) & (vv.ravel() >= 0) & (vv.ravel() < camera.height)
    return int(hit.sum()), int((hit & inside).sum())


def preview_frame(plan: FramePlan, catalog: Catalog, road: RoadSpec | None = None) -> PreviewFrame:
    """Ray-cast one frame's ground plane and objects through every pixel centre.

    Builds an ``open3d.t.geometry.RaycastingScene`` with the ground quad
    (:func:`scenes.design.world.ground_quad`) and each placed catalog mesh, casts one ray per pixel
    centre from the camera's optical centre along ``R K^-1 [u, v, 1]`` (set up in float64),
    and refines every hit in float64 (:class:`scenes.raycast.caster.RayCaster`: open3d/Embree
    itself works in float32).  Then each object is ray-cast alone over its projected extent for the occlusion
    and out-of-frame checks; its contact row is :func:`scenes.design.meshes.ground_contact`'s, as the
    renderer's objects table.

    :param road: the spec's road, for the exact lateral extent of the verges (optional).
    """
    start = time.perf_counter()
    cam = plan.camera
    ground = ground_quad(RoadLayout.from_spec(road) if road is not None else None)
    meshes = [ground] + [placed_mesh(p, catalog) for p in plan.objects]
    hits = _caster(meshes).cast(*_image_rays(cam)).reshaped(cam.height, cam.width)
    ids = np.array([0] + [p.object_id for p in plan.objects], dtype=np.int64)
    instances = np.where(hits.geometry > 0, ids[np.clip(hits.geometry, 0, None)], 0).astype(np.uint16)
    depth = hits.t.astype(np.float32)

    views = {}
    for p, (verts, faces) in zip(plan.objects, meshes[1:]):
        u, v, z = cam.project(verts)
        behind = bool(np.any(z < MIN_VERTEX_DEPTH_M))
        nan2 = (float("nan"), float("nan"))
        u_range = nan2 if behind else (float(u.min()), float(u.max()))
        v_range = nan2 if behind else (float(v.min()), float(v.max()))
        silhouette, unoccluded = _object_alone(_caster([(verts, faces)]), cam, u_range, v_range)
        contact_row, contact_depth = ground_contact(p, load_asset_mesh(catalog.mesh_path(p.asset)), cam,
                                                    min_depth_m=MIN_VERTEX_DEPTH_M)
        views[p.object_id] = ObjectView(p.object_id, p.asset, int((instances == p.object_id).sum()), unoccluded,
                                        silhouette, u_range, v_range, float(z.min()), contact_row, contact_depth)
    return PreviewFrame(plan.frame_id, cam, depth, instances, views, plan, time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Checks


@dataclass(frozen=True)
class PreviewIssue:
    """One problem of one object in one frame.

    :ivar frame_id: the frame.
    :ivar object_id: the object (for ``overlap``: the first of the pair).
    :ivar kind: one of ISSUE_KINDS.
    :ivar detail: human-readable numbers (fractions, pixel spans, the other object).
    """

    frame_id: str
    object_id: int
    kind: str
    detail: str

    def line(self) -> str:
        """One printable line."""
        return f"{self.frame_id}: object {self.object_id}: {self.kind}: {self.detail}"


def boxes_overlap(a: np.ndarray, b: np.ndarray, tolerance: float = OVERLAP_TOLERANCE_M) -> bool:
    """Whether two boxes given by their 8 corners (as ObjectPlacement.box_corners) intersect.

    Separating-axis test over the face normals of both boxes and the cross products of their
    edges; boxes that only touch (penetration <= ``tolerance`` metres) do not overlap.
    """
    def axes(c: np.ndarray) -> list[np.ndarray]:
        # box_corners order: index = 4*ix + 2*iy + iz
        return [c[4] - c[0], c[2] - c[0], c[1] - c[0]]

    ea, eb = axes(a), axes(b)
    candidates = ea + eb + [np.cross(x, y) for x in ea for y in eb]
    for axis in candidates:
        norm = np.linalg.norm(axis)
        if norm < 1e-12:
            continue
        axis = axis / norm
        pa, pb = a @ axis, b @ axis
        if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= tolerance:
            return False
    return True


def check_preview(preview: PreviewFrame, catalog: Catalog,
                  occlusion_threshold: float = DEFAULT_OCCLUSION_THRESHOLD) -> list[PreviewIssue]:
    """The issues of one previewed frame (see the module docstring for the kinds)."""
    cam = preview.camera
    fid = preview.frame_id
    issues = []
    for obj in preview.objects.values():
        (u0, u1), (v0, v1) = obj.u_range, obj.v_range
        outside_px = obj.silhouette_px - obj.unoccluded_px
        if obj.min_vertex_depth < MIN_VERTEX_DEPTH_M:
            issues.append(PreviewIssue(fid, obj.object_id, "out_of_frame",
                                       f"reaches behind the camera (nearest vertex at z = {obj.min_vertex_depth:.2f} m)"))
        elif u0 < -0.5 or u1 > cam.width - 0.5 or v0 < -0.5 or v1 > cam.height - 0.5:
            share = f"{outside_px / obj.silhouette_px:.0%}" if obj.silhouette_px else "all"
            issues.append(PreviewIssue(
                fid, obj.object_id, "out_of_frame",
                f"mesh spans columns {u0:.1f}..{u1:.1f}, rows {v0:.1f}..{v1:.1f} of a {cam.width}x{cam.height} image; "
                f"{share} of its pixels lie outside"))
        elif obj.unoccluded_px == 0:
            issues.append(PreviewIssue(fid, obj.object_id, "no_pixels",
                                       f"covers no pixel centre (mesh spans {u1 - u0:.2f} x {v1 - v0:.2f} px)"))
        if obj.unoccluded_px > 0:
            fraction = obj.visible_px / obj.unoccluded_px
            if fraction < occlusion_threshold:
                issues.append(PreviewIssue(
                    fid, obj.object_id, "occluded",
                    f"{fraction:.0%} visible ({obj.visible_px} of {obj.unoccluded_px} px; "
                    f"threshold {occlusion_threshold:.0%})"))
        if not np.isfinite(obj.contact_row) or not (-0.5 <= obj.contact_row <= cam.height - 0.5):
            where = ("behind the camera" if not np.isfinite(obj.contact_row)
                     else f"row {obj.contact_row:.1f}, outside rows -0.5..{cam.height - 0.5}")
            issues.append(PreviewIssue(fid, obj.object_id, "contact_out_of_image", f"ground contact projects to {where}"))
    issues.extend(overlap_issues(preview.plan, catalog))
    return issues


def overlap_issues(plan: FramePlan, catalog: Catalog) -> list[PreviewIssue]:
    """``overlap`` issues of a frame: pairs of objects whose 3D bounding boxes intersect."""
    boxes = [(p, p.box_corners(catalog.get(p.asset))) for p in plan.objects]
    issues = []
    for i, (pa, a) in enumerate(boxes):
        for pb, b in boxes[i + 1:]:
            if boxes_overlap(a, b):
                issues.append(PreviewIssue(plan.frame_id, pa.object_id, "overlap",
                                           f"its bounding box intersects that of object {pb.object_id} ({pb.asset})"))
    return issues


@lru_cache(maxsize=64)
def _road_mask(background: Background) -> np.ndarray:
    return background.road_mask()


def off_road_issues(plan: FramePlan, catalog: Catalog, background: Background) -> list[PreviewIssue]:
    """``off_road`` issues of a frame on a photo: objects whose footprint (the 4 lower corners
    of the bounding box, projected to the nearest pixel) leaves the photo's road mask (its own
    or, by default, the ground below the horizon: scenes/photos/backgrounds.py)."""
    mask = _road_mask(background)
    height, width = mask.shape
    issues = []
    for p in plan.objects:
        corners = p.box_corners(catalog.get(p.asset))
        u, v, _ = plan.camera.project(corners[np.argsort(corners[:, 2], kind="stable")[:4]])
        col, row = np.rint(u).astype(int), np.rint(v).astype(int)
        inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
        on_road = inside & mask[row.clip(0, height - 1), col.clip(0, width - 1)]
        if not on_road.all():
            issues.append(PreviewIssue(plan.frame_id, p.object_id, "off_road",
                                       f"{int((~on_road).sum())} of 4 footprint corners lie outside the road mask of "
                                       f"photo {background.photo_id!r}"))
    return issues


def check_design(plans: Sequence[FramePlan], catalog: Catalog,
                 occlusion_threshold: float = DEFAULT_OCCLUSION_THRESHOLD,
                 road: RoadSpec | None = None) -> list[PreviewIssue]:
    """Preview every frame and return all issues, frame by frame in plan order."""
    issues = []
    for plan in plans:
        issues.extend(check_preview(preview_frame(plan, catalog, road), catalog, occlusion_threshold))
    return issues


# --------------------------------------------------------------------------------------------
# Contact sheet

#: Tiles of the preview's contact sheet: columns, and width in pixels.
SHEET_COLUMNS = 6
SHEET_TILE_WIDTH_PX = 320


def preview_tiles(previews: Sequence[PreviewFrame], issues: Sequence[PreviewIssue] = ()) -> list[Tile]:
    """Contact-sheet tiles of the previews' inverse depth (magma; all tiles share one scale, from
    0 to 1 / the nearest depth of any frame), their objects outlined; frames with ``issues`` flagged."""
    finite = [p.depth[np.isfinite(p.depth) & (p.depth > 0)] for p in previews]
    nearest = min((f.min() for f in finite if f.size), default=1.0)
    max_inv = 1.0 / max(float(nearest), 1e-6)
    bad = {i.frame_id for i in issues}
    tiles = []
    for p in previews:
        with np.errstate(divide="ignore"):
            inv = np.where(np.isfinite(p.depth) & (p.depth > 0), 1.0 / p.depth, 0.0)
        tiles.append(Tile(colormap(inv / max_inv), p.frame_id, p.frame_id in bad, p.instances))
    return tiles


# --------------------------------------------------------------------------------------------
# CLI hook


@dataclass
class PreviewRun:
    """Everything a preview of a whole design produced (see :func:`preview_design`)."""

    previews: list[PreviewFrame]
    issues: list[PreviewIssue]
    seconds: float
    sheet: Path | None = None


def preview_design(spec: StimulusSpec, catalog: Catalog, sheet_path: Path | str | None = None,
                   occlusion_threshold: float = DEFAULT_OCCLUSION_THRESHOLD,
                   plans: Sequence[FramePlan] | None = None,
                   progress: Progress | None = None) -> PreviewRun:
    """Preview and check every frame of a spec (or the given ``plans``); write the contact sheet."""
    start = time.perf_counter()
    plans = list(plans) if plans is not None else expand(spec, catalog)
    photos = {b.photo_id: b for b in spec_backgrounds(spec)}
    previews, issues = [], []
    for i, plan in enumerate(plans):
        if progress:
            progress("preview", i, len(plans), plan.frame_id)
        preview = preview_frame(plan, catalog, spec.world.road)
        previews.append(preview)
        issues.extend(check_preview(preview, catalog, occlusion_threshold))
        if plan.variant.photo is not None:
            issues.extend(off_road_issues(plan, catalog, photos[plan.variant.photo]))
    if progress:
        progress("preview", len(plans), len(plans), "done")
    sheet = None
    if sheet_path is not None and previews:
        sheet = write_sheet(preview_tiles(previews, issues), sheet_path, SHEET_COLUMNS, SHEET_TILE_WIDTH_PX,
                            PREVIEW_SIGNATURE)
    return PreviewRun(previews, issues, time.perf_counter() - start, sheet)


def format_issues(issues: Sequence[PreviewIssue], plans_or_previews: Sequence[Any]) -> list[str]:
    """Printable lines: one header per frame with issues, one indented line per issue."""
    assets = {}
    for item in plans_or_previews:
        plan = getattr(item, "plan", item)
        for p in plan.objects:
            assets[(plan.frame_id, p.object_id)] = p.asset
    counts = Counter(i.frame_id for i in issues)
    lines, current = [], None
    for issue in issues:
        if issue.frame_id != current:
            current = issue.frame_id
            n = counts[current]
            lines.append(f"frame {current}: {n} issue{'s' if n != 1 else ''}")
        asset = assets.get((issue.frame_id, issue.object_id))
        who = f"object {issue.object_id}" + (f" ({asset})" if asset else "")
        lines.append(f"  {who}: {issue.kind}: {issue.detail}")
    return lines


def run_preview(spec: StimulusSpec, catalog: Catalog, sheet_path: Path | str | None, allow_issues: bool,
                occlusion_threshold: float = DEFAULT_OCCLUSION_THRESHOLD,
                plans: Sequence[FramePlan] | None = None,
                progress: Progress | None = None) -> tuple[list[str], list[PreviewIssue]]:
    """For ``depthprobe validate SPEC --preview``: preview every frame; return (lines, issues).

    The lines name each frame with issues and each of its issues, then a total (and the
    contact sheet's path).  The caller rejects the design (exit 2) when ``issues`` is not empty
    and the spec does not allow them; ``allow_issues`` only changes the wording of the total.
    ``plans`` (default: every frame of ``expand(spec, catalog)``) limits the preview to some
    frames, e.g. ``select_frames(expand(spec, catalog), limit)``.  Raises SpecError (from the
    design's expansion) or DepthprobeError (open3d missing).
    """
    run = preview_design(spec, catalog, sheet_path, occlusion_threshold, plans=plans, progress=progress)
    lines = format_issues(run.issues, run.previews)
    n = len(run.previews)
    if run.issues:
        kinds = {k: sum(1 for i in run.issues if i.kind == k) for k in ISSUE_KINDS}
        shown = ", ".join(f"{k} {c}" for k, c in kinds.items() if c)
        n_bad = len({i.frame_id for i in run.issues})
        verdict = "allowed by the spec" if allow_issues else "the design is rejected"
        lines.append(f"preview: {len(run.issues)} issue{'s' if len(run.issues) != 1 else ''} in {n_bad} of {n} frames "
                     f"({shown}); {verdict}")
    else:
        lines.append(f"preview: {n} frames, no issues (occlusion threshold {occlusion_threshold:.0%}; "
                     f"ray-cast in {run.seconds:.1f} s)")
    if run.sheet is not None:
        lines.append(f"contact sheet: {run.sheet}")
    return lines, run.issues
