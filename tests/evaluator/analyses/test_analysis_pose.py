"""Pose analyses: implied horizon, roll and height; following fractions recovered from planted models.

The planted model reads the frame index from the image and predicts the road as seen by a camera
whose pitch, roll and height follow the true ones by known fractions (plus seeded per-frame
noise on that pose and per-pixel noise on the depth); each object gets the road depth of its
contact pixel under that believed camera (a pure "vertical position" network).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from evaluator.analyses.pose import FOLLOWING, following, frame_pose
from evaluator.pipeline.evaluate import evaluate_set
from scenes.geometry.camera import Camera
from tests.synthetic_set import CAMERA, FrameSpec, frame_index, object_pixels, pose_specs, write_frames

PITCH_LEVELS = tuple(float(x) for x in range(-4, 5))
ROLL_LEVELS = tuple(np.round(np.arange(-10.0, 10.01, 2.5), 2))
HEIGHT_LEVELS = (1.0, 1.25, 1.5, 1.65, 1.8, 2.0, 2.5)


class PlantedPoseModel:
    """Road depth for a believed camera: canonical + k * (true - canonical) + noise, per factor.

    :param pitch, roll, height: following fractions (1 = full, 0 = ignores the change).
    :param pose_noise: per-frame standard deviations of the believed pitch (deg), roll (deg),
        height (m).
    :param pixel_noise: standard deviation of the per-pixel log-normal depth noise.
    """

    def __init__(self, specs: list[FrameSpec], pitch: float = 1.0, roll: float = 1.0, height: float = 1.0,
                 pose_noise: tuple[float, float, float] = (0.1, 0.2, 0.01), pixel_noise: float = 0.01,
                 canonical: Camera = CAMERA, seed: int = 0) -> None:
        self.cameras = [s.camera for s in specs]
        self.k = (pitch, roll, height)
        self.pose_noise, self.pixel_noise = pose_noise, pixel_noise
        self.canonical, self.seed = canonical, seed

    def believed(self, index: int) -> Camera:
        true, can = self.cameras[index], self.canonical
        e = np.random.default_rng([self.seed, index]).standard_normal(3) * np.array(self.pose_noise)
        return replace(can, pitch_deg=can.pitch_deg + self.k[0] * (true.pitch_deg - can.pitch_deg) + e[0],
                       roll_deg=can.roll_deg + self.k[1] * (true.roll_deg - can.roll_deg) + e[1],
                       height_m=can.height_m + self.k[2] * (true.height_m - can.height_m) + e[2])

    def depth(self, image: np.ndarray) -> np.ndarray:
        index = frame_index(image)
        camera = self.believed(index)
        out = camera.road_depth_map().astype(np.float64)
        labels, n = ndimage.label(object_pixels(image))
        for k in range(1, n + 1):
            rows, cols = np.nonzero(labels == k)
            bottom = rows.max()
            contact = camera.road_depth(np.array([cols[rows == bottom].mean()]), np.array([float(bottom)]))[0]
            if np.isfinite(contact):
                out[labels == k] = contact
        rng = np.random.default_rng([self.seed, index, 1])
        return (out * np.exp(self.pixel_noise * rng.standard_normal(out.shape))).astype(np.float32)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return np.stack([self.depth(image) for image in images])


def run(tmp_path_factory, vary: str, levels: tuple[float, ...], **k):
    specs = pose_specs(vary, levels)
    root = write_frames(tmp_path_factory.mktemp("sets") / vary, specs)
    out = tmp_path_factory.mktemp("out") / vary
    return evaluate_set(root, PlantedPoseModel(specs, **k), out, batch_size=6), out


@pytest.fixture(scope="module")
def pitch_half(tmp_path_factory):
    return run(tmp_path_factory, "pitch_deg", PITCH_LEVELS, pitch=0.5)


@pytest.fixture(scope="module")
def roll_set(tmp_path_factory):
    return run(tmp_path_factory, "roll_deg", ROLL_LEVELS, roll=0.6)


@pytest.fixture(scope="module")
def height_set(tmp_path_factory):
    return run(tmp_path_factory, "height_m", HEIGHT_LEVELS, height=0.5)


@pytest.mark.parametrize("pose", [{}, {"pitch_deg": 3.5}, {"pitch_deg": -4.0}, {"roll_deg": 8.0},
                                  {"roll_deg": -10.0}, {"height_m": 2.2}, {"pitch_deg": 2.0, "roll_deg": 5.0}])
def test_exact_road_depth_gives_the_true_pose(pose):
    camera = replace(CAMERA, **pose)
    depth = camera.road_depth_map()
    semantic = np.isfinite(depth).astype(np.uint8)  # 1 = road, 0 = sky
    fitted = frame_pose(depth, semantic, camera)
    assert fitted.implied_horizon_row == pytest.approx(camera.horizon_row(), abs=0.05)
    assert fitted.plane_horizon_row == pytest.approx(camera.horizon_row(), abs=1e-3)
    assert fitted.implied_roll_deg == pytest.approx(camera.roll_deg, abs=1e-3)
    if not camera.pitch_deg and not camera.roll_deg:
        assert fitted.implied_height_m == pytest.approx(camera.height_m, rel=1e-4)


def test_sky_and_infinite_predictions_are_left_out():
    depth = CAMERA.road_depth_map()
    semantic = np.isfinite(depth).astype(np.uint8)
    believed = replace(CAMERA, pitch_deg=-2.0).road_depth_map()  # puts part of the road beyond its horizon
    assert np.isinf(believed[semantic == 1]).any()
    fitted = frame_pose(believed, semantic, CAMERA)
    assert fitted.implied_horizon_row == pytest.approx(replace(CAMERA, pitch_deg=-2.0).horizon_row(), abs=0.05)
    nothing = frame_pose(np.full_like(depth, np.inf), semantic, CAMERA)
    assert np.isnan(nothing.implied_horizon_row) and np.isnan(nothing.implied_roll_deg)


def test_pitch_following_is_recovered(pitch_half):
    summary, out = pitch_half
    pitch = summary["pose"]["pitch_following"]
    assert pitch["ci_low"] < 0.5 < pitch["ci_high"] and pitch["ci_high"] - pitch["ci_low"] < 0.1
    assert pitch["n_frames"] == 18 and pitch["method"] == "ols-hc3-t"
    assert "roll_following" not in summary["pose"] and "height_following" not in summary["pose"]
    table = pd.read_parquet(out / "pose.parquet")
    assert len(table) == 18 and {"implied_horizon_row", "true_horizon_row", "implied_horizon_shift",
                                 "true_horizon_shift", "variant"} <= set(table.columns)
    refs = table[table["is_reference"]]
    assert np.allclose(refs["true_horizon_shift"], 0.0) and np.allclose(refs["implied_horizon_shift"], 0.0)


def test_half_following_moves_obstacles_with_pitch(pitch_half):
    summary, out = pitch_half
    change = summary["pose"]["obstacle_change"]["pitch_deg"]
    # Pitching down (pitch > 0) moves the scene up the image, so every contact row comes nearer
    # the horizon: a network that follows only half of the pitch reads the objects farther, by
    # about half as much as one that reads the contact row with the canonical camera.
    assert change["slope"]["ci_low"] > 0
    assert change["n_objects"] == 3 * 16  # 3 cars in 18 frames, minus the 2 reference frames
    near = next(o for o in change["by_object"] if o["object_id"] == 1)
    assert near["z_true_m"] == pytest.approx(10.0, rel=0.01)
    ratio = near["slope"]["value"] / near["slope_if_contact_row_canonical"]["value"]
    assert 0.35 < ratio < 0.65
    objects = pd.read_parquet(out / "pose_objects.parquet")
    assert {"log_ratio", "reference_estimate_m", "pitch_deg"} <= set(objects.columns)
    assert np.allclose(objects.loc[objects["is_reference"], "log_ratio"], 0.0)


def test_roll_following_is_recovered(roll_set):
    summary, _ = roll_set
    roll = summary["pose"]["roll_following"]
    assert roll["ci_low"] < 0.6 < roll["ci_high"] and roll["ci_high"] - roll["ci_low"] < 0.1
    assert set(summary["pose"]) & {"pitch_following", "height_following"} == set()


def test_height_following_is_recovered(height_set):
    summary, _ = height_set
    height = summary["pose"]["height_following"]
    assert height["ci_low"] < 0.5 < height["ci_high"] and height["ci_high"] - height["ci_low"] < 0.15
    reference = summary["pose"]["reference"]["implied_height_m"]
    assert reference["value"] == pytest.approx(CAMERA.height_m, abs=0.03)


def test_a_set_without_pose_changes_has_no_following(tmp_path):
    specs = [s for s in pose_specs("pitch_deg", (0.0,), variants=("a", "b", "c"))]
    root = write_frames(tmp_path / "set", specs)
    summary = evaluate_set(root, PlantedPoseModel(specs), tmp_path / "out")
    pose = summary["pose"]
    assert not set(pose) & {key for key, *_ in FOLLOWING.values()} and "obstacle_change" not in pose
    assert pose["reference"]["implied_horizon_row"]["n_frames"] == 3


def simulated_following(rng: np.random.Generator, k: float, noise_px: float) -> pd.DataFrame:
    """Per-frame table of a pitch experiment: implied = variant offset + k * true + noise."""
    rows = []
    for variant, offset in (("open", 1.5), ("trees", -2.0)):
        for level in PITCH_LEVELS:
            true = CAMERA.cy - CAMERA.fy * np.tan(np.radians(level))
            rows.append({"variant": variant, "true_horizon_row": true,
                         "implied_horizon_row": offset + (1 - k) * CAMERA.cy + k * true
                         + noise_px * rng.standard_normal()})
    return pd.DataFrame(rows)


def test_following_intervals_cover_the_truth():
    rng = np.random.default_rng(20190603)
    hits, n = 0, 1000
    for i in range(n):
        k = (0.0, 0.4, 1.0)[i % 3]
        estimate, _ = following(simulated_following(rng, k, noise_px=0.8), "true_horizon_row", "implied_horizon_row")
        hits += estimate.covers(k)
    assert hits / n >= 0.93


def test_following_refuses_degenerate_tables():
    table = pd.DataFrame({"variant": ["a"] * 3, "true_horizon_row": [40.0, 40.0, 40.0],
                          "implied_horizon_row": [41.0, 40.0, 39.0]})
    estimate, reason = following(table, "true_horizon_row", "implied_horizon_row")
    assert np.isnan(estimate.value) and np.isnan(estimate.ci_low) and "does not vary" in reason
    estimate, reason = following(table.assign(true_horizon_row=[39.0, 40.0, 41.0]).iloc[:2],
                                 "true_horizon_row", "implied_horizon_row")
    assert np.isnan(estimate.value) and "too few frames" in reason


def test_pose_figures_show_each_varied_pose_factor(pitch_half, roll_set):
    from PIL import Image

    from evaluator.results.figures import write_figures

    for (_, out) in (pitch_half, roll_set):
        paths = {p.name: p for p in write_figures(out)}
        assert "pose.png" in paths
        with Image.open(paths["pose.png"]) as image:
            image.load()
            assert image.size[0] >= 600
