"""Camera geometry: horizon, road depth and projection agree with the closed forms."""
import numpy as np
import pytest

from scenes.geometry.camera import Camera, kitti_like_camera


def test_level_camera_road_depth_is_f_h_over_row_offset():
    cam = kitti_like_camera(640, 192)
    rows = np.arange(int(cam.cy) + 1, cam.height)
    depth = cam.road_depth(np.full(rows.shape, 100.0), rows)
    np.testing.assert_allclose(depth, cam.fy * cam.height_m / (rows - cam.cy), rtol=1e-12)
    assert np.all(np.isinf(cam.road_depth(np.array([10.0]), np.array([cam.cy - 1]))))


@pytest.mark.parametrize("pitch", [-5.0, -1.0, 2.4, 5.0])
def test_pitch_moves_horizon_to_cy_minus_f_tan(pitch):
    cam = kitti_like_camera(640, 192, pitch_deg=pitch)
    assert cam.horizon_row() == pytest.approx(cam.cy - cam.fy * np.tan(np.radians(pitch)), abs=1e-9)


def test_roll_tilts_horizon_down_to_the_right():
    cam = kitti_like_camera(640, 192, roll_deg=4.0)
    slope = (cam.horizon_row(cam.cx + 100) - cam.horizon_row(cam.cx - 100)) / 200
    assert slope == pytest.approx(np.tan(np.radians(4.0)), rel=1e-9)


def test_projection_of_road_point_matches_road_depth():
    rng = np.random.default_rng(3)
    cam = kitti_like_camera(640, 192, height_m=1.3, pitch_deg=2.0, roll_deg=-3.0)
    pts = np.stack([rng.uniform(-4, 4, 50), rng.uniform(5, 60, 50), np.zeros(50)], 1)
    u, v, z = cam.project(pts)
    np.testing.assert_allclose(cam.road_depth(u, v), z, rtol=1e-9)


def test_scaled_camera_keeps_pixel_centre_convention():
    cam = Camera(640, 192, 400.0, 400.0, 319.5, 95.5, 1.65)
    half = cam.scaled(0.5)
    assert (half.width, half.height, half.fx, half.cx, half.cy) == (320, 96, 200.0, 159.5, 47.5)
