"""``depthprobe verify``: an independent check of a stimulus set's ground truth.

Each frame is re-cast from its geometry export alone (scenes/formats/geometry.py: the meshes,
transforms and camera the generator read back from the Blender scene after rendering; neither
the spec nor the frame plan is used) with open3d's RaycastingScene, one ray through each pixel
centre, as Cycles' geometry pass samples them (1 sample, 0.01 px pixel filter:
generator/frame_renderer.py).  Hits are refined in float64 against the plane of the triangle hit
(open3d/Embree works in float32), so the re-cast depth is exact to float64 rounding.  Compared
with the stored layers:

* **z-depth** (and the counterfactual depth, re-cast from the world without the objects the
  counterfactual hid), away from edges: a pixel within 1 px (its 8 neighbours) of a
  discontinuity is not compared -- where a neighbour's ray hits another mesh node or nothing,
  has another stored instance id, or lies off the plane of this pixel's triangle by more than
  DISCONTINUITY_REL of its depth (an occluding edge inside one mesh).  There a pixel centre may
  lie within float32 rounding of an edge, and Cycles and the re-cast may legitimately hit
  different surfaces.  The share of pixels compared is reported.  A compared pixel passes when
  ``|stored - recast|`` is within :func:`depth_tolerance`: 1 mm, except where Cycles' float32
  ray-triangle intersection is coarser than that -- 1e-4 of the depth up to EXACT_RANGE_M,
  1e-3 beyond (the road's documented accuracy, docs/formats.md, "The stimulus set").  Measured on
  quick renders of every preset: at most 0.4 mm up to 100 m, but up to 2 mm (1e-5 of the
  depth) at 100 ... 400 m, where rays meet the 3 km long ground triangles; a fixed 1 mm would
  fail there for no fault of the set.  Sky must be sky (+inf) in both.  A frame drawn out of
  depth order is re-cast in the same order (its export's ``drawn_over``, scenes/raycast/draw_order.py).
* **instance mask**: at least MIN_MASK_AGREEMENT of all pixels equal, and each object's own
  mask against its re-cast one away from edges (scenes/raycast/masks.py); for the semantic map
  at least MIN_MASK_AGREEMENT of all pixels (classes from the exported node names; markings are part of the export, 1 mm above the
  road, and are their own class).
* **road depth**: on pixels of class road, the stored depth against the plane formula
  ``Camera.road_depth`` of the frames table's camera (pitch and roll included): relative error
  at most ROAD_REL_TOLERANCE up to EXACT_RANGE_M, ROAD_FAR_REL_TOLERANCE beyond.
* **camera**: the exported camera equals the frames table's (K within CAMERA_TOLERANCE_PX,
  pose within CAMERA_TOLERANCE_M and radians).

Frames on photographs (``world.background``; a ``photo_id`` in the frames table): only what was
rendered is checked -- depth and semantic class on the pixels of objects (stored or re-cast),
the instance mask everywhere (the photo's pixels are 0 in both); the background's depth is
the photo's own ground truth (or NaN), so neither the road-plane check nor the counterfactual
(the photo itself) applies; and the photos must be those it was rendered on (photo_identity.py).

Depth conventions: z-depth along the optical axis, float32 metres, +inf for sky.

Runs without Blender: numpy, trimesh and open3d (a compiled library, imported on first use).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from scenes.raycast.caster import RayCaster
from scenes.raycast.draw_order import cast_in_draw_order
from scenes.raycast.masks import object_mask_agreement, object_mask_problems
from scenes.raycast.open3d_runtime import load_open3d
from scenes.geometry import Camera, SEMANTIC_CLASSES
from scenes.errors import DepthprobeError, StimulusSetError
from scenes.formats import (CameraGeometry, FrameGeometry, MeshNode, read_frame_geometry, StimulusSet,
                            open_stimulus_set)
from scenes.progress import Progress
from scenes.raycast.photo_identity import photo_problems

#: Absolute z-depth tolerance away from edges (m).
DEPTH_TOLERANCE_M = 1e-3
#: Depth (m) up to which Cycles' depth is within ROAD_REL_TOLERANCE of the exact value.
EXACT_RANGE_M = 100.0
#: Relative tolerance of the road-plane check (and of the depth check, where it exceeds 1 mm)
#: up to EXACT_RANGE_M, and beyond it (Cycles traces float32 rays; docs/formats.md, the stimulus set).
ROAD_REL_TOLERANCE = 1e-4
ROAD_FAR_REL_TOLERANCE = 1e-3
#: Least share of pixels whose stored instance id (and semantic class) equals the re-cast one.
MIN_MASK_AGREEMENT = 0.99
#: A neighbour off this pixel's triangle plane by more than this share of its depth is across
#: a depth discontinuity (an occluding edge).  A crease of a tessellated surface moves the
#: neighbour off the plane by about tan(crease angle)/f of its depth (f in px: 0.5 % at
#: 320 px wide), so moderate creases stay below it; sharper ones are left out too.
DISCONTINUITY_REL = 0.01
#: Exported camera against the frames table: intrinsics (px) and pose (m, and radians).
CAMERA_TOLERANCE_PX = 1e-3
CAMERA_TOLERANCE_M = 1e-5
#: Semantic class ids of sky and road.
SKY = SEMANTIC_CLASSES["sky"]
ROAD = SEMANTIC_CLASSES["road"]
#: The 8 neighbours within 1 px, (row, column) offsets.
NEIGHBOURS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))


# --------------------------------------------------------------------------------------------
# Re-casting


@dataclass
class Recast:
    """One frame re-cast from its export, every array (H, W).

    :ivar depth: z-depth, float64 metres, +inf where no surface is hit.
    :ivar node: index of the mesh node hit (into the caster's nodes), -1 for none.
    :ivar instances: instance id of the node hit (0 = world or none).
    :ivar semantic: class id of the node hit (0 = sky).
    :ivar normal: (H, W, 3) float64 normal of the triangle hit (not unit; 0 where none).
    :ivar offset: float64, ``normal . x`` of that triangle's plane.
    :ivar origin: (3,) ray origin (the optical centre), world metres.
    :ivar directions: (H, W, 3) ray directions with camera z-component 1.
    """

    depth: np.ndarray
    node: np.ndarray
    instances: np.ndarray
    semantic: np.ndarray
    normal: np.ndarray
    offset: np.ndarray
    origin: np.ndarray
    directions: np.ndarray


def recast(nodes: Sequence[MeshNode], camera: CameraGeometry) -> Recast:
    """Ray-cast ``nodes`` (in world coordinates through their matrix_world) through every pixel
    centre of ``camera``; hits refined in float64 against the triangle's plane (:class:`RayCaster`)."""
    caster = RayCaster([(node.world_vertices(), node.faces) for node in nodes], "verify")
    hits = caster.cast_image(camera)
    instance_of = np.array([node.instance_id for node in nodes] + [0], dtype=np.int64)
    class_of = np.array([SEMANTIC_CLASSES[node.semantic] for node in nodes] + [SKY], dtype=np.int64)
    return Recast(hits.t, hits.geometry, instance_of[hits.geometry], class_of[hits.geometry], hits.normal,
                  hits.offset, hits.origin, hits.directions)


def _shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``a`` moved so that element (r, c) holds a[r + dy, c + dx]; borders repeat the edge value."""
    pad = [(1, 1), (1, 1)] + [(0, 0)] * (a.ndim - 2)
    padded = np.pad(a, pad, mode="edge")
    h, w = a.shape[:2]
    return padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


def near_discontinuity(cast: Recast, stored_instances: np.ndarray) -> np.ndarray:
    """Boolean (H, W): pixels within 1 px (8 neighbours) of a depth or instance discontinuity.

    A neighbour q of pixel p is across one when q's ray hits another node than p's (or nothing
    while p hits, or the reverse), when the stored instance ids of p and q differ, or when q's
    ray meets the plane of p's triangle more than DISCONTINUITY_REL of q's depth away from q's
    own hit.  Image borders are no discontinuity.
    """
    near = np.zeros(cast.depth.shape, dtype=bool)
    hit = cast.node >= 0
    base = cast.offset - cast.normal @ cast.origin
    for dy, dx in NEIGHBOURS:
        q_node = _shifted(cast.node, dy, dx)
        q_depth = _shifted(cast.depth, dy, dx)
        q_dirs = _shifted(cast.directions, dy, dx)
        with np.errstate(divide="ignore", invalid="ignore"):
            on_plane = base / np.einsum("ijk,ijk->ij", cast.normal, q_dirs)
            off_plane = ~(np.abs(on_plane - q_depth) <= DISCONTINUITY_REL * q_depth)
        near |= q_node != cast.node
        near |= _shifted(stored_instances, dy, dx) != stored_instances
        near |= hit & (q_node == cast.node) & off_plane
    return near


# --------------------------------------------------------------------------------------------
# Comparison


def depth_tolerance(z: np.ndarray) -> np.ndarray:
    """Allowed |stored - recast| (m) at true z-depth ``z`` (m): 1 mm, or Cycles' float32 relative
    accuracy where that is larger (ROAD_REL_TOLERANCE up to EXACT_RANGE_M, ROAD_FAR_REL_TOLERANCE beyond)."""
    z = np.asarray(z, dtype=np.float64)
    rel = np.where(z <= EXACT_RANGE_M, ROAD_REL_TOLERANCE, ROAD_FAR_REL_TOLERANCE)
    return np.maximum(DEPTH_TOLERANCE_M, rel * z)


@dataclass
class DepthComparison:
    """Stored against re-cast depth away from edges.

    :ivar max_error_m: largest |stored - recast| over compared pixels where both are finite (m;
        inf when one is sky and the other is not; 0 when nothing is compared).
    :ivar max_error_ratio: largest error / its tolerance (:func:`depth_tolerance`); > 1 fails.
    :ivar compared_fraction: share of the image's pixels compared.
    :ivar failing_px: compared pixels beyond their tolerance (or sky in one map only).
    """

    max_error_m: float
    max_error_ratio: float
    compared_fraction: float
    failing_px: int


def compare_depth(stored: np.ndarray, cast: Recast, near_edge: np.ndarray) -> DepthComparison:
    """Compare a stored depth map (float32 m, +inf sky) with a re-cast, away from ``near_edge``."""
    stored = np.asarray(stored, dtype=np.float64)
    compared = ~near_edge
    truth = cast.depth
    both_sky = np.isinf(stored) & np.isinf(truth)
    with np.errstate(invalid="ignore"):
        error = np.where(both_sky, 0.0, np.abs(stored - truth))
    error = np.where(np.isnan(error), np.inf, error)[compared]
    ratio = error / depth_tolerance(np.where(np.isfinite(truth), truth, 0.0))[compared]
    max_error = float(error.max()) if error.size else 0.0
    max_ratio = float(ratio.max()) if ratio.size else 0.0
    return DepthComparison(max_error, max_ratio, float(compared.mean()), int((ratio > 1.0).sum()))


def road_relative_error(stored: np.ndarray, semantic: np.ndarray, camera: Camera) -> tuple[float, float]:
    """(max relative error up to EXACT_RANGE_M, max beyond) of the stored depth on road pixels
    against ``camera.road_depth`` (NaN where there are no such pixels; inf where the plane
    formula gives no depth but the pixel is road)."""
    v, u = np.nonzero(semantic == ROAD)
    expected = camera.road_depth(u.astype(float), v.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(np.asarray(stored, dtype=np.float64)[v, u] - expected) / expected
    rel = np.where(np.isfinite(expected), rel, np.inf)
    near = np.isfinite(expected) & (expected <= EXACT_RANGE_M)
    near_max = float(rel[near].max()) if near.any() else float("nan")
    far_max = float(rel[~near].max()) if (~near).any() else float("nan")
    return near_max, far_max


def camera_differences(exported: CameraGeometry, table: Camera) -> tuple[float, float]:
    """(largest intrinsics difference in px, largest pose difference in m or radians) between the
    exported camera and the frames table's (size mismatch: inf)."""
    if (exported.width, exported.height) != (table.width, table.height):
        return float("inf"), float("inf")
    k = float(np.abs(np.asarray(exported.K) - table.K).max())
    cam_to_world = np.linalg.inv(np.asarray(exported.world_to_camera, dtype=np.float64))
    pose = float(np.abs(cam_to_world - table.cam_to_world).max())
    return k, pose


# --------------------------------------------------------------------------------------------
# One frame, a whole set


@dataclass
class FrameCheck:
    """The verdict on one frame (see the module docstring for each check).

    :ivar frame_id: the frame.
    :ivar depth: stored against re-cast depth away from edges.
    :ivar counterfactual: the same for the counterfactual depth (None: the frame has none).
    :ivar instance_agreement: share of pixels whose stored instance id equals the re-cast one.
    :ivar semantic_agreement: the same for the semantic class.
    :ivar road_rel_error: largest relative road-depth error up to EXACT_RANGE_M (NaN: no such pixel).
    :ivar road_far_rel_error: the same beyond EXACT_RANGE_M.
    :ivar camera_k_px: largest difference (px) of the exported K from the frames table's.
    :ivar camera_pose: largest difference (m, radians) of the exported pose from the table's.
    :ivar seconds: time spent on this frame (reading, re-casting, comparing).
    :ivar problems: why it fails, one line each (empty: it passes).
    :ivar objects: object id -> share of its pixels (away from edges) whose masks agree.
    """

    frame_id: str
    depth: DepthComparison
    counterfactual: DepthComparison | None
    instance_agreement: float
    semantic_agreement: float
    road_rel_error: float
    road_far_rel_error: float
    camera_k_px: float
    camera_pose: float
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    objects: dict[int, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every check passes."""
        return not self.problems


def _depth_problem(what: str, result: DepthComparison) -> list[str]:
    if result.failing_px == 0:
        return []
    return [f"{what}: {result.failing_px} px beyond tolerance away from edges "
            f"(max error {result.max_error_m * 1e3:.3g} mm, {result.max_error_ratio:.3g}x its tolerance)"]


def _frame_problems(check: FrameCheck) -> list[str]:
    """The failure lines of a filled-in check."""
    found = _depth_problem("depth", check.depth)
    if check.counterfactual is not None:
        found += _depth_problem("counterfactual depth", check.counterfactual)
    for what, value in (("instance mask", check.instance_agreement), ("semantic map", check.semantic_agreement)):
        if not value >= MIN_MASK_AGREEMENT:
            found.append(f"{what}: {value:.2%} of pixels agree with the geometry (< {MIN_MASK_AGREEMENT:.0%})")
    for what, value, limit in (("road depth up to %g m" % EXACT_RANGE_M, check.road_rel_error, ROAD_REL_TOLERANCE),
                               ("road depth beyond %g m" % EXACT_RANGE_M, check.road_far_rel_error,
                                ROAD_FAR_REL_TOLERANCE)):
        if value > limit:  # NaN (no road pixels there) passes
            found.append(f"{what}: relative error {value:.3g} against the road plane (> {limit:g})")
    if not (check.camera_k_px <= CAMERA_TOLERANCE_PX and check.camera_pose <= CAMERA_TOLERANCE_M):
        found.append(f"camera: the exported camera differs from the frames table's (K by {check.camera_k_px:.3g} px, "
                     f"pose by {check.camera_pose:.3g})")
    return found + object_mask_problems(check.objects)


def check_frame(stimulus_set: StimulusSet, frame_id: str, geometry: FrameGeometry) -> FrameCheck:
    """Re-cast one frame from its export and compare it with the stored layers."""
    start = time.perf_counter()
    cam = geometry.camera
    depth = stimulus_set.depth(frame_id)
    instances, semantic = stimulus_set.instances(frame_id), stimulus_set.semantic(frame_id)
    if not depth.shape == instances.shape == semantic.shape == (cam.height, cam.width):
        raise StimulusSetError(f"{stimulus_set.root}: frame {frame_id!r}: layers of shape {depth.shape}, "
                               f"{instances.shape}, {semantic.shape} but the exported camera is {cam.width}x{cam.height}")
    cast = cast_in_draw_order(recast, geometry.world_nodes + geometry.objects, geometry.drawn_over, cam)
    if is_photo_frame(stimulus_set, frame_id):
        return _photo_frame_check(stimulus_set, frame_id, geometry, cast, start)
    near = near_discontinuity(cast, instances)
    depth_result = compare_depth(depth, cast, near)
    counterfactual = None
    if frame_id in stimulus_set.counterfactual_frame_ids:
        if geometry.counterfactual_objects is None:
            raise StimulusSetError(f"{stimulus_set.root}: frame {frame_id!r} has a counterfactual but its geometry "
                                   "export does not say what the counterfactual showed")
        shown = set(geometry.counterfactual_objects)
        world = recast(geometry.world_nodes + tuple(n for n in geometry.objects if n.node_name in shown), cam)
        counterfactual = compare_depth(stimulus_set.counterfactual_depth(frame_id), world,
                                       near_discontinuity(world, world.instances))
    road = road_relative_error(depth, semantic, stimulus_set.camera(frame_id))
    check = FrameCheck(frame_id, depth_result, counterfactual, float((instances == cast.instances).mean()),
                       float((semantic == cast.semantic).mean()), road[0], road[1],
                       *camera_differences(cam, stimulus_set.camera(frame_id)))
    check.objects = object_mask_agreement(instances, cast.instances, near)
    check.problems = _frame_problems(check)
    check.seconds = time.perf_counter() - start
    return check


def is_photo_frame(stimulus_set: StimulusSet, frame_id: str) -> bool:
    """Whether the frame was rendered into a photograph (its frames-table row names a photo)."""
    return frame_id in stimulus_set.photo_frame_ids


def _photo_frame_check(stimulus_set: StimulusSet, frame_id: str, geometry: FrameGeometry, cast: Recast,
                       start: float) -> FrameCheck:
    """The checks of a frame on a photo (module docstring): objects' depth and classes, masks."""
    instances, semantic = stimulus_set.instances(frame_id), stimulus_set.semantic(frame_id)
    rendered = (instances > 0) | (cast.instances > 0)
    near = near_discontinuity(cast, instances)
    depth_result = compare_depth(stimulus_set.depth(frame_id), cast, near | ~rendered)
    semantic_agreement = float(np.where(rendered, semantic == cast.semantic, True).mean())
    check = FrameCheck(frame_id, depth_result, None, float((instances == cast.instances).mean()), semantic_agreement,
                       float("nan"), float("nan"), *camera_differences(geometry.camera, stimulus_set.camera(frame_id)))
    check.objects = object_mask_agreement(instances, cast.instances, near)
    check.problems = _frame_problems(check)
    check.seconds = time.perf_counter() - start
    return check


@dataclass
class VerifyRun:
    """The checks of a whole (or sampled) set.

    :ivar root: the set's directory.
    :ivar checks: one per frame checked, in frames-table order.
    :ivar n_frames: frames in the set.
    :ivar seconds: wall time of the run (s).
    :ivar sample: the ``--sample`` size asked for (None: every frame).
    :ivar seed: the sample's seed.
    """

    root: Path
    checks: list[FrameCheck]
    n_frames: int
    seconds: float
    sample: int | None = None
    seed: int = 0

    @property
    def failed(self) -> list[str]:
        """Ids of the frames that fail, in table order."""
        return [c.frame_id for c in self.checks if not c.passed]


def sample_frames(frame_ids: Sequence[str], sample: int | None, seed: int) -> list[str]:
    """Every frame id, or ``sample`` of them drawn without replacement by ``default_rng(seed)``,
    kept in table order.

    :raises DepthprobeError: ``sample`` < 1.
    """
    if sample is not None and sample < 1:
        raise DepthprobeError(f"--sample: must be at least 1 (got {sample})")
    if sample is None or sample >= len(frame_ids):
        return list(frame_ids)
    chosen = np.random.default_rng(seed).choice(len(frame_ids), size=sample, replace=False)
    return [frame_ids[i] for i in sorted(chosen)]


def verify_set(path: Path | str, sample: int | None = None, seed: int = 0,
               progress: Progress | None = None) -> VerifyRun:
    """Verify the frames (all, or a seeded sample) of a stimulus set against its geometry export.

    The set is opened through the one checked reader (every file listed, hashed and decoded:
    :func:`scenes.formats.open_stimulus_set`), then the photos of a set on photographs are checked
    (:func:`photo_problems`), and every chosen frame's export (only files the manifest lists) is
    read before any frame is cast.

    :raises StimulusSetError: the set is damaged (a file missing or not matching its hash), its
        photos are gone, or a chosen frame has no (readable) geometry export.
    """
    start = time.perf_counter()
    stimulus_set = open_stimulus_set(path)
    frame_ids = sample_frames(stimulus_set.frame_ids, sample, seed)
    photos = photo_problems(stimulus_set)  # before the work: a set whose photos are gone is refused
    load_open3d("verify")  # imported once, before the frames are timed
    cache: dict[str, tuple[MeshNode, ...]] = {}
    listed = stimulus_set.manifest.get("files", {})
    geometries = {fid: read_frame_geometry(stimulus_set.root, fid, cache, listed) for fid in frame_ids}
    for fid, geometry in geometries.items():
        if geometry.frame_id != fid:
            raise StimulusSetError(f"{stimulus_set.root}: the geometry file of frame {fid!r} is that of "
                                   f"frame {geometry.frame_id!r}")
    checks = []
    for i, fid in enumerate(frame_ids):
        if progress:
            progress("verify", i, len(frame_ids), fid)
        checks.append(check_frame(stimulus_set, fid, geometries[fid]))
        if is_photo_frame(stimulus_set, fid):
            checks[-1].problems += photos
    if progress:
        progress("verify", len(frame_ids), len(frame_ids), "done")
    return VerifyRun(stimulus_set.root, checks, len(stimulus_set.frame_ids), time.perf_counter() - start,
                     sample, seed)


# --------------------------------------------------------------------------------------------
# The table

#: Columns of the printed table: header, width.
COLUMNS = (("frame", 0), ("depth max mm", 12), ("x tol", 6), ("compared %", 10), ("cf depth mm", 11),
           ("instances %", 11), ("semantic %", 10), ("road rel", 9), ("road rel far", 12), ("", 4))


def _number(value: float | None, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and np.isnan(value):
        return "n/a"
    return format(value, spec)


def format_row(check: FrameCheck, id_width: int) -> str:
    """One table row: frame id, depth max error (mm) and its share of the tolerance, % of pixels
    compared, counterfactual depth max error (mm), instance and semantic agreement (%), the road's
    largest relative errors (up to and beyond EXACT_RANGE_M), ok/FAIL."""
    cf = None if check.counterfactual is None else check.counterfactual.max_error_m * 1e3
    cells = [_number(check.depth.max_error_m * 1e3, ".3f"), _number(check.depth.max_error_ratio, ".3f"),
             _number(check.depth.compared_fraction * 100, ".1f"), _number(cf, ".3f"),
             _number(check.instance_agreement * 100, ".2f"), _number(check.semantic_agreement * 100, ".2f"),
             _number(check.road_rel_error, ".1e"), _number(check.road_far_rel_error, ".1e"),
             "ok" if check.passed else "FAIL"]
    widths = [w for _, w in COLUMNS[1:]]
    return check.frame_id.ljust(id_width) + "".join(" " + c.rjust(w) for c, w in zip(cells, widths))


def summary_line(run: VerifyRun) -> str:
    """The run in one line: frames checked, passed, failed (named), the worst figures, time."""
    checks = run.checks
    n = len(checks)
    which = f"{n} of {run.n_frames} frames" + (f" (sample of {run.sample}, seed {run.seed})" if run.sample else "")
    if not checks:
        return f"verify: {which}: nothing to check"
    depth = max(c.depth.max_error_m for c in checks) * 1e3
    ratio = max(c.depth.max_error_ratio for c in checks)
    masks = min(min(c.instance_agreement, c.semantic_agreement) for c in checks) * 100
    road_errors = [c.road_rel_error for c in checks if not np.isnan(c.road_rel_error)]
    road = (f"worst road error {max(road_errors):.1e} (up to {EXACT_RANGE_M:g} m)" if road_errors
            else "no road pixels checked")
    per_frame = sum(c.seconds for c in checks) / n
    figures = (f"worst depth error {depth:.3f} mm ({ratio:.2f}x tolerance), lowest mask agreement {masks:.2f} %, "
               f"{road}; {run.seconds:.1f} s, {per_frame * 1e3:.0f} ms a frame")
    failed = run.failed
    if not failed:
        return f"verify: {which}: all pass; {figures}"
    named = ", ".join(failed[:10]) + (f" and {len(failed) - 10} more" if len(failed) > 10 else "")
    return f"verify: {which}: {len(failed)} FAIL ({named}); {figures}"


def format_run(run: VerifyRun) -> list[str]:
    """Printable lines: the table (one row per frame), each failing frame's problems, the summary."""
    id_width = max([len(COLUMNS[0][0])] + [len(c.frame_id) for c in run.checks])
    header = COLUMNS[0][0].ljust(id_width) + "".join(" " + name.rjust(w) for name, w in COLUMNS[1:])
    lines = [header] + [format_row(c, id_width) for c in run.checks]
    for c in run.checks:
        lines += [f"{c.frame_id}: {p}" for p in c.problems]
    lines.append("depth compared away from edges: pixels within 1 px of a depth or instance discontinuity are "
                 f"left out; tolerance max({DEPTH_TOLERANCE_M * 1e3:g} mm, {ROAD_REL_TOLERANCE:g} z up to "
                 f"{EXACT_RANGE_M:g} m, {ROAD_FAR_REL_TOLERANCE:g} z beyond)")
    lines.append(summary_line(run))
    return lines
