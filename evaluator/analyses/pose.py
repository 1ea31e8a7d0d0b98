"""Camera pose as the network implies it: horizon, roll and height from its predicted road.

On a flat road, inverse z-depth (disparity, 1/m) is affine in the pixel coordinates:
``1/z = (a (u - cx) + b (v - cy) + c)`` with, for a level camera, ``a = 0``, ``b = 1 / (fy H)``
and ``c = 0``; its zero line is the horizon.  (Derivation: :meth:`scenes.geometry.camera.Camera.road_depth`
is ``H / -up`` with ``up`` affine in (u, v).)  So from the aligned predicted depth of the road
pixels (semantic class road) of one frame:

* **implied horizon** (study experiment 2, docs/design.md "The study"): in a centre column band (the paper's 40 px of the
  1242 px KITTI frame, i.e. ``PAPER_BAND_FRACTION`` of the width, at least ``MIN_BAND_PX``),
  the median disparity of each row's road pixels, then a Theil-Sen line of that median against
  the row (robust to rows the network gets wrong); its zero crossing is the implied horizon row
  at the centre column;
* **implied height**: the same line's slope is ``1 / (fy H)`` for a level camera, so
  ``H = 1 / (fy * slope)``;
* **implied roll** (study experiment 3, docs/design.md "The study"): a plane ``disparity ~ a (u - cx) + b (v - cy) + c``
  fitted by Huber-weighted iteratively reweighted least squares over the road pixels (at most
  ``MAX_PLANE_PX``, taken on a regular stride); its iso-disparity lines have slope ``-a / b``
  rows per column, so the implied roll is ``atan(-a / b * fx / fy)`` (the convention of
  :mod:`scenes.geometry.camera`: roll > 0 makes the horizon run down to the right).

Following (1 = the network's implied pose moves fully with the true one, 0 = not at all):
over the frames that change one pose factor (the others at the canonical camera's values), the
implied value is regressed on the true one -- horizon row on true horizon row
(``cy - fy tan(pitch)``), implied roll on roll, implied height on height -- with one intercept
per variant (so each roadside world is compared with itself; the reference frames are ordinary
points of the line), OLS with HC3 Student-t 95 % intervals.  Reported only for the factors the
set varies.

Obstacles under a pose change: each object's estimate divided by its estimate in the reference
frame(s) of the same variant and placement (same object id, asset, position); the slope of the
log ratio against the pose factor (per degree, per metre) with its interval -- pooled over the
objects and per object id (the effect grows with distance) -- beside the slope a network would
show that read distance from the contact row with the canonical camera (``z_vertical``).  The
reference frames themselves (ratio 1 by construction) are not points of these fits.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from evaluator.analyses.base import AnalysisOutput, FrameData, SetContext
from evaluator.analyses.intervals import OLS_HC3_T, Estimate, bootstrap_mean, ols, slope
from scenes.geometry import Camera, SEMANTIC_CLASSES

#: The paper's centre column: 40 px of the 1242 px wide KITTI frame.
PAPER_BAND_FRACTION = 40 / 1242
MIN_BAND_PX = 5
#: Fewest rows with road pixels in the band for a horizon line.
MIN_BAND_ROWS = 5
#: Fewest road pixels for the plane (roll) fit, and most used (regular stride above it).
MIN_PLANE_PX = 50
MAX_PLANE_PX = 2_000
#: Huber's tuning constant: 95 % efficiency under normal errors (Huber 1981).
HUBER_C = 1.345
HUBER_ITERATIONS = 30
#: IRLS stops when an iteration moves the iso-disparity slope (a / b, rows per column) by less
#: than this (about 1e-4 degree of roll) and the plane's horizon (c / b) by less than
#: ``HUBER_HORIZON_TOL_PX``.
HUBER_SLOPE_TOL = 2e-6
HUBER_HORIZON_TOL_PX = 1e-3
#: Pose values closer than this count as equal (degrees or metres).
POSE_TOLERANCE = 1e-6
ROAD_CLASS = SEMANTIC_CLASSES["road"]

#: factor column -> (summary key, true column, implied column, unit of the obstacle slope).
FOLLOWING = {
    "pitch_deg": ("pitch_following", "true_horizon_row", "implied_horizon_row", "deg"),
    "roll_deg": ("roll_following", "roll_deg", "implied_roll_deg", "deg"),
    "camera_height_m": ("height_following", "camera_height_m", "implied_height_m", "m"),
}
CANONICAL_KEYS = {"pitch_deg": "pitch_deg", "roll_deg": "roll_deg", "camera_height_m": "height_m"}
PLACEMENT_COLUMNS = ("asset", "x_m", "y_m", "elevation_m", "scale", "yaw_deg")


@dataclass(frozen=True)
class FramePose:
    """The pose one frame's predicted road implies (NaN where a fit is not possible).

    :ivar implied_horizon_row: row (centre column) where the band line's disparity is 0.
    :ivar disparity_slope: the band line's slope, 1/(m px).
    :ivar implied_height_m: ``1 / (fy * disparity_slope)``.
    :ivar implied_roll_deg: roll from the plane fit's iso-disparity lines, degrees.
    :ivar plane_horizon_row: the plane's zero at the centre column (a second horizon estimate).
    :ivar n_band_rows, n_band_px: rows and pixels of the band fit.
    :ivar n_plane_px: pixels of the plane fit.
    """

    implied_horizon_row: float
    disparity_slope: float
    implied_height_m: float
    implied_roll_deg: float
    plane_horizon_row: float
    n_band_rows: int
    n_band_px: int
    n_plane_px: int


def band_columns(camera: Camera) -> slice:
    """The centre column band (columns around ``cx``) used for the horizon line."""
    width = max(MIN_BAND_PX, int(round(PAPER_BAND_FRACTION * camera.width)))
    start = int(round(camera.cx - width / 2 + 0.5))
    start = min(max(start, 0), max(camera.width - width, 0))
    return slice(start, start + width)


def road_disparity(depth: np.ndarray, road: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(disparity 1/m, usable mask): road pixels with a finite positive prediction.

    Pixels the network puts at +inf ("no surface", e.g. road it takes for sky beyond the
    horizon it assumes) are left out: they do not lie on its road plane, and as disparity 0
    they would clip the plane and pull the line towards them.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        disparity = np.float32(1.0) / depth
    usable = road & np.isfinite(depth) & (depth > 0)
    return disparity, usable


def horizon_line(disparity: np.ndarray, usable: np.ndarray, camera: Camera) -> tuple[float, float, int, int]:
    """(horizon row, slope, rows, pixels) of the Theil-Sen line in the centre band."""
    cols = band_columns(camera)
    sub = np.where(usable[:, cols], disparity[:, cols], np.nan)
    counts = np.count_nonzero(usable[:, cols], axis=1)
    rows = np.flatnonzero(counts)
    if rows.size < MIN_BAND_ROWS:
        return math.nan, math.nan, int(rows.size), int(counts.sum())
    ordered = np.sort(sub[rows], axis=1).astype(np.float64)  # NaN (not usable) sorts last
    k, at = counts[rows], np.arange(rows.size)
    medians = (ordered[at, (k - 1) // 2] + ordered[at, k // 2]) / 2
    if np.ptp(medians) == 0:
        return math.nan, 0.0, int(rows.size), int(counts.sum())
    slope, intercept = theil_sen(rows.astype(np.float64), medians)
    horizon = -intercept / slope if slope > 0 else math.nan
    return float(horizon), float(slope), int(rows.size), int(counts.sum())


def theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Theil-Sen line (Sen 1968): median of pairwise slopes; intercept median(y) - slope median(x)
    (scipy.stats.theilslopes' default, without its interval)."""
    i, j = np.triu_indices(x.size, 1)
    dx = x[j] - x[i]
    keep = dx != 0
    slope = float(np.median((y[j] - y[i])[keep] / dx[keep]))
    return slope, float(np.median(y) - slope * np.median(x))


def huber_plane(u: np.ndarray, v: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Coefficients (a, b, c) of ``y ~ a u + b v + c`` by Huber IRLS (scale: MAD of residuals).

    Solved through the 3 x 3 weighted normal equations (the coordinates are centred, so they
    are well conditioned).
    """
    rows = np.stack([u, v, np.ones_like(u)])  # (3, n): contiguous rows make the products cheap
    weights = np.ones_like(y)
    beta = None
    for _ in range(HUBER_ITERATIONS):
        weighted = rows * weights
        try:
            new = np.linalg.solve(weighted @ rows.T, weighted @ y)
        except np.linalg.LinAlgError:
            return None
        done = beta is not None and _settled(beta, new)
        beta = new
        if done:
            break
        resid = y - beta @ rows
        scale = 1.4826 * np.median(np.abs(resid - np.median(resid)))
        if not scale > 0:
            break
        weights = np.minimum(1.0, HUBER_C * scale / np.maximum(np.abs(resid), 1e-300))
    return beta if beta is not None and np.all(np.isfinite(beta)) else None


def _settled(old: np.ndarray, new: np.ndarray) -> bool:
    """True when the plane's roll and horizon no longer move (see HUBER_SLOPE_TOL)."""
    if old[1] == 0 or new[1] == 0:
        return False
    return (abs(new[0] / new[1] - old[0] / old[1]) < HUBER_SLOPE_TOL
            and abs(new[2] / new[1] - old[2] / old[1]) < HUBER_HORIZON_TOL_PX)


def frame_pose(depth: np.ndarray, semantic: np.ndarray, camera: Camera) -> FramePose:
    """The pose implied by one frame's aligned predicted depth (metres, (H, W))."""
    disparity, usable = road_disparity(depth, semantic == ROAD_CLASS)
    horizon, slope, n_rows, n_band = horizon_line(disparity, usable, camera)
    height = 1.0 / (camera.fy * slope) if slope > 0 else math.nan
    roll, plane_horizon, n_plane = math.nan, math.nan, 0
    idx = np.flatnonzero(usable)
    if idx.size >= MIN_PLANE_PX:
        idx = idx[:: max(1, math.ceil(idx.size / MAX_PLANE_PX))]
        n_plane = int(idx.size)
        v, u = np.divmod(idx, depth.shape[1])
        coef = huber_plane(u - camera.cx, v - camera.cy, disparity.ravel()[idx].astype(np.float64))
        if coef is not None and coef[1] > 0:
            a, b, c = coef
            roll = math.degrees(math.atan(-a / b * camera.fx / camera.fy))
            plane_horizon = camera.cy - c / b
    return FramePose(horizon, slope, height, roll, plane_horizon, n_rows, n_band, n_plane)


def pose_row(frame_id: str, camera: Camera, fitted: FramePose) -> dict:
    """One row of the pose table: the frame's true pose and what its prediction implies."""
    return {"frame_id": frame_id, "pitch_deg": camera.pitch_deg, "roll_deg": camera.roll_deg,
            "camera_height_m": camera.height_m, "true_horizon_row": float(camera.horizon_row()),
            **asdict(fitted)}


def following(table: pd.DataFrame, true_column: str, implied_column: str) -> tuple[Estimate, str | None]:
    """Slope of implied on true with one intercept per variant (HC3 Student-t 95 % CI).

    :returns: (estimate, reason it is NaN or None).
    """
    data = table[np.isfinite(table[true_column]) & np.isfinite(table[implied_column])]
    n = int(len(data))
    nan = Estimate.missing(n, OLS_HC3_T, "frames")
    if n == 0:
        return nan, "no frame has a usable fit"
    x = data[true_column].to_numpy(float)
    groups = pd.get_dummies(data["variant"].astype(str)).to_numpy(float)
    if np.ptp(x) == 0:
        return nan, "the true value does not vary among the frames with a usable fit"
    fit = ols(data[implied_column].to_numpy(float), np.column_stack([x, groups]))
    if fit is None or fit.df < 2:
        return nan, f"too few frames ({n}) for a slope with one intercept per variant"
    return fit.estimate(0), None


def _varies(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    return bool(v.size and np.ptp(v) > POSE_TOLERANCE)


def _at_canonical(table: pd.DataFrame, canonical: Camera, except_factor: str) -> np.ndarray:
    keep = np.ones(len(table), dtype=bool)
    for factor, key in CANONICAL_KEYS.items():
        if factor != except_factor:
            keep &= np.abs(table[factor].to_numpy(float) - getattr(canonical, key)) <= POSE_TOLERANCE
    return keep


def add_shifts(table: pd.DataFrame) -> pd.DataFrame:
    """Per frame: true and implied horizon rows, roll and height relative to the mean of the
    reference frames of the same variant (NaN for a variant without reference frames)."""
    out = table.copy()
    pairs = {"horizon": ("true_horizon_row", "implied_horizon_row"), "roll": ("roll_deg", "implied_roll_deg"),
             "height": ("camera_height_m", "implied_height_m")}
    refs = out[out["is_reference"]].groupby("variant")
    for name, (true_col, implied_col) in pairs.items():
        for col, label in ((true_col, f"true_{name}_shift"), (implied_col, f"implied_{name}_shift")):
            base = refs[col].mean()
            out[label] = out[col] - out["variant"].map(base).astype(float)
    return out


def summarise_pose(table: pd.DataFrame, canonical: Camera, rng: np.random.Generator) -> dict:
    """The pose section: reference-frame implied pose, and following for each varied factor.

    :param table: pose rows joined with ``variant`` and ``is_reference``.
    """
    ok = table[np.isfinite(table["implied_horizon_row"])]
    refs = table[table["is_reference"]]
    section: dict = {
        "method": ("Theil-Sen line of row-median disparity in the centre band (horizon, height); Huber plane "
                   "of road disparity (roll); following = OLS slope of implied on true with one intercept per "
                   "variant, HC3 Student-t 95% CI"),
        "band_columns": [band_columns(canonical).start, band_columns(canonical).stop],
        "n_frames": int(len(table)), "n_frames_with_horizon": int(len(ok)),
        "reference": {
            "true_horizon_row": float(canonical.horizon_row()), "true_height_m": canonical.height_m,
            "implied_horizon_row": bootstrap_mean(refs["implied_horizon_row"], rng).to_dict(),
            "implied_height_m": bootstrap_mean(refs["implied_height_m"], rng).to_dict(),
            "implied_roll_deg": bootstrap_mean(refs["implied_roll_deg"], rng).to_dict(),
        },
    }
    for factor, (key, true_col, implied_col, _) in FOLLOWING.items():
        if not _varies(table[factor]):
            continue
        part = table[_at_canonical(table, canonical, factor)]
        estimate, reason = following(part, true_col, implied_col)
        entry = estimate.to_dict()
        entry.update(truth=true_col, implied=implied_col, reason=reason,
                     levels=[float(x) for x in np.unique(part[factor].to_numpy(float))])
        section[key] = entry
    return section


def placement_keys(objects: pd.DataFrame) -> list[str]:
    """Columns that identify an object placement across frames of one variant."""
    return ["variant", "object_id", *[c for c in PLACEMENT_COLUMNS if c in objects.columns]]


def obstacle_changes(objects: pd.DataFrame, canonical: Camera) -> tuple[pd.DataFrame | None, dict]:
    """Objects' estimate ratio to the reference frame of the same placement, by pose factor.

    :param objects: objects with ``estimate_m``, ``z_vertical``, and the frame columns
        ``variant``, ``is_reference``, ``pitch_deg``, ``roll_deg``, ``camera_height_m``.
    :returns: (per-object table or None, {factor: summary}) for the factors the set varies.
    """
    varied = [f for f in FOLLOWING if _varies(objects[f])]
    if not varied:
        return None, {}
    keys = placement_keys(objects)
    data = objects.copy()
    for column in ("estimate_m", "z_vertical"):
        data[column] = pd.to_numeric(data[column], errors="coerce").astype(float)
    usable = np.isfinite(data["estimate_m"]) & (data["estimate_m"] > 0)
    ref = data[data["is_reference"] & usable].groupby(keys, dropna=False)[["estimate_m", "z_vertical"]].mean()
    ref.columns = ["reference_estimate_m", "reference_z_vertical"]
    data = data.join(ref, on=keys)
    with np.errstate(divide="ignore", invalid="ignore"):
        data["log_ratio"] = np.log(data["estimate_m"] / data["reference_estimate_m"])
        data["log_ratio_z_vertical"] = np.log(data["z_vertical"] / data["reference_z_vertical"])
    columns = ["frame_id", *keys, "is_reference", "pitch_deg", "roll_deg", "camera_height_m", "estimate_m",
               "reference_estimate_m", "log_ratio", "z_vertical", "reference_z_vertical", "log_ratio_z_vertical"]
    table = data[[c for c in dict.fromkeys(columns) if c in data.columns]].reset_index(drop=True)
    summary = {}
    for factor in varied:
        _, _, _, unit = FOLLOWING[factor]
        part = data[_at_canonical(data, canonical, factor) & ~data["is_reference"].astype(bool)]
        part = part[np.isfinite(part["log_ratio"])]
        offset = part[factor].to_numpy(float) - getattr(canonical, CANONICAL_KEYS[factor])
        entry = {"unit": f"log ratio per {unit}", "n_objects": int(len(part)),
                 "n_frames": int(part["frame_id"].nunique())}
        for name, column in (("slope", "log_ratio"), ("slope_if_contact_row_canonical", "log_ratio_z_vertical")):
            estimate = slope(offset, part[column].to_numpy(float))
            entry[name] = estimate.to_dict("n_objects")
        by_object = []
        for object_id, rows in part.groupby("object_id", sort=True):
            x = rows[factor].to_numpy(float) - getattr(canonical, CANONICAL_KEYS[factor])
            item = {"object_id": int(object_id),
                    "z_true_m": float(rows["z_true"].median()) if "z_true" in rows else math.nan}
            for name, column in (("slope", "log_ratio"), ("slope_if_contact_row_canonical", "log_ratio_z_vertical")):
                item[name] = slope(x, rows[column].to_numpy(float)).to_dict("n_objects")
            by_object.append(item)
        entry["by_object"] = by_object
        summary[factor] = entry
    return table, summary


class PoseAnalysis:
    """Implied pose as an analysis: tables ``pose`` (one row per frame) and ``pose_objects``
    (obstacle ratios under pose changes), summary section ``pose``."""

    name = "pose"
    tables = ("pose", "pose_objects")
    stream = 3

    def __init__(self, context: SetContext) -> None:
        self.context = context
        self.rows: list[dict] = []

    def add_frame(self, frame: FrameData) -> None:
        self.rows.append(pose_row(frame.frame_id, frame.camera, frame_pose(frame.depth, frame.semantic, frame.camera)))

    def finish(self, objects: pd.DataFrame, rng: np.random.Generator | None) -> AnalysisOutput:
        canonical = self.context.canonical
        frames = self.context.frame_columns()
        pose = add_shifts(pd.DataFrame(self.context.sort_rows(self.rows)).merge(frames, on="frame_id", how="left"))
        pose_objects, obstacle_change = obstacle_changes(objects, canonical)
        section = summarise_pose(pose, canonical, rng)
        if obstacle_change:
            section["obstacle_change"] = obstacle_change
        return AnalysisOutput({"pose": pose, "pose_objects": pose_objects}, {"pose": section})
