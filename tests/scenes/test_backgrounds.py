"""scenes.photos.backgrounds and scenes.photos.calibration: photo folders (flat and KITTI raw), their
calibration, depth and road masks, the assignment of photos to renders, the folder digest and
the one-line errors for every user mistake."""
from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from scenes.photos.backgrounds import (Background, assign_backgrounds, folder_digest, read_backgrounds,
                                read_kitti_calibration)
from scenes.geometry.camera import KITTI_CAMERA_HEIGHT_M, KITTI_CX_PX, KITTI_CY_PX, KITTI_FOCAL_PX, Camera
from scenes.errors import DepthprobeError
from scenes.photos.calibration import PhotoCalibration, SunCalibration

W, H = 32, 16
K3 = [[20.0, 0, 15.5], [0, 20.0, 7.5], [0, 0, 1]]
BASE = {"K": K3, "width": W, "height": H, "camera_height_m": 1.5}

#: calib_cam_to_cam.txt of KITTI raw 2011_09_26 (camera 02 rectified: f = 721.5377 px,
#: c = (609.5593, 172.854) px, 1242x375).
KITTI_CALIB = """\
calib_time: 09-Jan-2012 13:57:47
corner_dist: 9.950000e-02
S_00: 1.392000e+03 5.120000e+02
K_00: 9.842439e+02 0.000000e+00 6.900000e+02 0.000000e+00 9.808141e+02 2.331966e+02 0.000000e+00 0.000000e+00 1.000000e+00
D_00: -3.728755e-01 2.037299e-01 2.219027e-03 1.383707e-03 -7.233722e-02
R_00: 1.000000e+00 0.000000e+00 0.000000e+00 0.000000e+00 1.000000e+00 0.000000e+00 0.000000e+00 0.000000e+00 1.000000e+00
T_00: 2.573699e-16 -1.059758e-16 1.614870e-16
S_rect_00: 1.242000e+03 3.750000e+02
R_rect_00: 9.999239e-01 9.837760e-03 -7.445048e-03 -9.869795e-03 9.999421e-01 -4.278459e-03 7.402527e-03 4.351614e-03 9.999631e-01
P_rect_00: 7.215377e+02 0.000000e+00 6.095593e+02 0.000000e+00 0.000000e+00 7.215377e+02 1.728540e+02 0.000000e+00 0.000000e+00 0.000000e+00 1.000000e+00 0.000000e+00
S_01: 1.392000e+03 5.120000e+02
K_01: 9.895267e+02 0.000000e+00 7.020000e+02 0.000000e+00 9.878386e+02 2.455590e+02 0.000000e+00 0.000000e+00 1.000000e+00
D_01: -3.644661e-01 1.790019e-01 1.148107e-03 -6.298563e-04 -5.314062e-02
R_01: 9.993513e-01 1.860866e-02 -3.083487e-02 -1.887662e-02 9.997863e-01 -8.421873e-03 3.067156e-02 8.998467e-03 9.994890e-01
T_01: -5.370000e-01 4.822061e-03 -1.252488e-02
S_rect_01: 1.242000e+03 3.750000e+02
R_rect_01: 9.996878e-01 -8.976826e-03 2.331651e-02 8.876121e-03 9.999508e-01 4.418952e-03 -2.335503e-02 -4.210612e-03 9.997184e-01
P_rect_01: 7.215377e+02 0.000000e+00 6.095593e+02 -3.875744e+02 0.000000e+00 7.215377e+02 1.728540e+02 0.000000e+00 0.000000e+00 0.000000e+00 1.000000e+00 0.000000e+00
S_02: 1.392000e+03 5.120000e+02
K_02: 9.597910e+02 0.000000e+00 6.960217e+02 0.000000e+00 9.569251e+02 2.241806e+02 0.000000e+00 0.000000e+00 1.000000e+00
D_02: -3.691481e-01 1.968681e-01 1.353473e-03 5.677587e-04 -6.770705e-02
R_02: 9.999758e-01 -5.267463e-03 -4.552439e-03 5.251945e-03 9.999804e-01 -3.413835e-03 4.570332e-03 3.389843e-03 9.999838e-01
T_02: 5.956621e-02 2.900141e-04 2.577209e-03
S_rect_02: 1.242000e+03 3.750000e+02
R_rect_02: 9.998817e-01 1.511453e-02 -2.841595e-03 -1.511724e-02 9.998853e-01 -9.338510e-04 2.827154e-03 9.766976e-04 9.999955e-01
P_rect_02: 7.215377e+02 0.000000e+00 6.095593e+02 4.485728e+01 0.000000e+00 7.215377e+02 1.728540e+02 2.163791e-01 0.000000e+00 0.000000e+00 1.000000e+00 2.745884e-03
S_03: 1.392000e+03 5.120000e+02
K_03: 9.037596e+02 0.000000e+00 6.957519e+02 0.000000e+00 9.019653e+02 2.242509e+02 0.000000e+00 0.000000e+00 1.000000e+00
D_03: -3.639558e-01 1.788651e-01 6.029694e-04 -3.922424e-04 -5.382460e-02
R_03: 9.995599e-01 1.699522e-02 -2.431313e-02 -1.704422e-02 9.998531e-01 -1.809756e-03 2.427880e-02 2.223358e-03 9.997028e-01
T_03: -4.731050e-01 5.551470e-03 -5.250882e-03
S_rect_03: 1.242000e+03 3.750000e+02
R_rect_03: 9.998321e-01 -7.193136e-03 1.685599e-02 7.232804e-03 9.999712e-01 -2.293585e-03 -1.683901e-02 2.415116e-03 9.998251e-01
P_rect_03: 7.215377e+02 0.000000e+00 6.095593e+02 -3.395242e+02 0.000000e+00 7.215377e+02 1.728540e+02 2.199936e+00 0.000000e+00 0.000000e+00 1.000000e+00 2.729905e-03
"""
KW, KH = 1242, 375
DATE = "2011_09_26"


def write_png(path: Path, array_or_size, colour=(90, 100, 110)) -> Path:
    """A PNG: an array as it is, or a flat colour image of (width, height)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(array_or_size, tuple):
        Image.new("RGB", array_or_size, colour).save(path)
    else:
        Image.fromarray(array_or_size).save(path)
    return path


def write_yaml(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def photos(tmp_path, monkeypatch) -> Path:
    """A flat folder ``photos`` (relative, as a user types it) with two 32x16 photos and a folder calibration."""
    monkeypatch.chdir(tmp_path)
    folder = Path("photos")
    write_png(folder / "0001.png", (W, H))
    write_png(folder / "0002.png", (W, H), colour=(10, 20, 30))
    write_yaml(folder / "calibration.yaml", BASE)
    return folder


def one_line_error(excinfo, *parts: str) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, message
    for part in parts:
        assert part in message, (part, message)
    return message


def kitti_root(tmp_path: Path) -> Path:
    """KITTI raw: one date, drive 0001 (frames 5 and 6, ground truth of frame 5 inside the drive)
    and drive 0002 (frame 5, ground truth in the data_depth_annotated layout under the root)."""
    root = tmp_path / "kitti"
    date = root / DATE
    date.mkdir(parents=True)
    (date / "calib_cam_to_cam.txt").write_text(KITTI_CALIB, encoding="ascii")
    for drive, frames in (("0001", ("0000000005", "0000000006")), ("0002", ("0000000005",))):
        for frame in frames:
            write_png(date / f"{DATE}_drive_{drive}_sync" / "image_02" / "data" / f"{frame}.png", (KW, KH))
        write_png(date / f"{DATE}_drive_{drive}_sync" / "image_03" / "data" / f"{frames[0]}.png", (KW, KH))
    depth = np.zeros((KH, KW), dtype=np.uint16)
    depth[300, 600] = 10 * 256
    gt = Path("proj_depth", "groundtruth", "image_02", "0000000005.png")
    write_png(date / f"{DATE}_drive_0001_sync" / gt, depth)
    depth[300, 600] = 20 * 256
    write_png(root / f"{DATE}_drive_0002_sync" / gt, depth)
    return root


# --- calibration --------------------------------------------------------------------------------


def test_flat_folder_reads_the_folder_calibration_and_a_photo_yaml_overrides_it_key_by_key(photos):
    write_yaml(photos / "0002.yaml", {"camera_height_m": 2.0, "pitch_deg": 3.0,
                                      "sun": {"elevation_deg": 40, "azimuth_deg": -30, "strength": 4.5}})
    first, second = read_backgrounds(photos, W, H)
    assert [first.photo_id, second.photo_id] == ["0001", "0002"]
    assert first.calibration == PhotoCalibration(20.0, 20.0, 15.5, 7.5, W, H, 1.5, 0.0, 0.0, None)
    assert second.calibration == PhotoCalibration(20.0, 20.0, 15.5, 7.5, W, H, 2.0, 3.0, 0.0,
                                                  SunCalibration(40.0, -30.0, 4.5))
    assert second.calibration_paths == (photos / "calibration.yaml", photos / "0002.yaml")
    assert second.camera() == Camera(W, H, 20.0, 20.0, 15.5, 7.5, 2.0, 3.0, 0.0)
    np.testing.assert_array_equal(second.calibration.K, np.array(K3))


def test_a_photo_yaml_alone_is_a_calibration(photos):
    (photos / "calibration.yaml").unlink()
    write_yaml(photos / "0001.yaml", BASE)
    write_yaml(photos / "0002.yaml", {**BASE, "camera_height_m": 1.2})
    assert [b.calibration.height_m for b in read_backgrounds(photos, W, H)] == [1.5, 1.2]


@pytest.mark.parametrize("intrinsics", [{"K": [20.0, 20.0, 15.5, 7.5]},
                                        {"fx": 20.0, "fy": 20, "cx": 15.5, "cy": 7.5}])
def test_K_as_fx_fy_cx_cy_equals_K_as_a_matrix(photos, intrinsics):
    write_yaml(photos / "calibration.yaml", {"width": W, "height": H, "camera_height_m": 1.5, **intrinsics})
    assert read_backgrounds(photos, W, H)[0].calibration == PhotoCalibration(20.0, 20.0, 15.5, 7.5, W, H, 1.5)


def test_a_photo_yaml_can_override_one_intrinsic(photos):
    write_yaml(photos / "0001.yaml", {"fx": 25.0})
    first, second = read_backgrounds(photos, W, H)
    assert (first.calibration.fx, first.calibration.fy, second.calibration.fx) == (25.0, 20.0, 20.0)


# --- depth, road mask, pixels ---------------------------------------------------------------------


def test_depth_png_is_kitti_metres_times_256_with_zero_unknown(photos):
    raw = np.zeros((H, W), dtype=np.uint16)
    raw[0, :4] = [0, 256, 5120, 65535]
    write_png(photos / "0001.depth.png", raw)
    first, second = read_backgrounds(photos, W, H)
    depth = first.load_depth()
    assert depth.dtype == np.float32 and depth.shape == (H, W)
    assert math.isnan(depth[0, 0]) and np.isnan(depth[1:]).all()
    np.testing.assert_allclose(depth[0, 1:4], [1.0, 20.0, 65535 / 256])
    assert second.depth_path is None and np.isnan(second.load_depth()).all()
    assert second.load_depth().shape == (H, W)


def test_depth_npy_is_float_metres_with_nonfinite_and_nonpositive_unknown(photos):
    depth = np.full((H, W), 7.25, dtype=np.float64)
    depth[0, :4] = [np.nan, np.inf, 0.0, -2.0]
    np.save(photos / "0002.depth.npy", depth)
    loaded = read_backgrounds(photos, W, H)[1].load_depth()
    assert loaded.dtype == np.float32
    assert np.isnan(loaded[0, :4]).all() and (loaded[0, 4:] == 7.25).all() and (loaded[1:] == 7.25).all()


def test_default_road_mask_is_below_the_horizon_and_pitch_moves_it(photos):
    write_yaml(photos / "0002.yaml", {"pitch_deg": 10.0})
    level, pitched = read_backgrounds(photos, W, H)
    mask = level.road_mask()
    assert mask.dtype == bool and mask.shape == (H, W)
    # Level camera: horizon at cy = 7.5, road strictly below 7.5 + 1 px: rows 9..15.
    assert not mask[:9].any() and mask[9:].all()
    horizon = 7.5 - 20.0 * math.tan(math.radians(10.0))  # 3.97: pitching down raises the horizon
    first_road_row = math.floor(horizon + 1.0) + 1
    pitched_mask = pitched.road_mask()
    assert not pitched_mask[:first_road_row].any() and pitched_mask[first_road_row:].all()
    assert pitched_mask.sum() > mask.sum()


def test_rolled_camera_horizon_slopes_across_the_mask(photos):
    write_yaml(photos / "0001.yaml", {"roll_deg": 10.0})
    mask = read_backgrounds(photos, W, H)[0].road_mask()
    first_rows = mask.argmax(axis=0)
    assert first_rows[-1] > first_rows[0]  # roll > 0: the horizon runs down to the right


def test_user_road_mask_nonzero_is_road(photos):
    values = np.zeros((H, W), dtype=np.uint8)
    values[10:, 5:20] = 255
    write_png(photos / "0001.road.png", values)
    rgba = np.zeros((H, W, 4), dtype=np.uint8)
    rgba[..., 3] = 255  # opaque but black: no road
    rgba[2, 3, 1] = 7
    write_png(photos / "0002.road.png", rgba)
    first, second = read_backgrounds(photos, W, H)
    assert [b.photo_id for b in read_backgrounds(photos, W, H)] == ["0001", "0002"]  # masks are not photos
    np.testing.assert_array_equal(first.road_mask(), values > 0)
    assert second.road_mask().sum() == 1 and second.road_mask()[2, 3]


def test_load_rgb_converts_rgba_and_grey_to_uint8_rgb(photos):
    rgba = np.zeros((H, W, 4), dtype=np.uint8)
    rgba[..., :3] = (200, 100, 50)
    write_png(photos / "0001.png", rgba)
    write_png(photos / "0002.png", np.full((H, W), 77, dtype=np.uint8))
    first, second = read_backgrounds(photos, W, H)
    assert first.load_rgb().shape == (H, W, 3) and first.load_rgb().dtype == np.uint8
    assert tuple(first.load_rgb()[3, 4]) == (200, 100, 50)
    assert (second.load_rgb() == 77).all() and second.load_rgb().shape == (H, W, 3)


def test_jpeg_photos_are_read_and_side_files_are_not_photos(photos):
    Image.new("RGB", (W, H), (1, 2, 3)).save(photos / "0003.jpg", quality=95)
    np.save(photos / "0003.depth.npy", np.ones((H, W), dtype=np.float32))
    (photos / ".0004.png").write_bytes(b"AppleDouble junk")
    ids = [b.photo_id for b in read_backgrounds(photos, W, H)]
    assert ids == ["0001", "0002", "0003"]


# --- KITTI raw ------------------------------------------------------------------------------------


def test_read_kitti_calibration_uses_camera_02_rectified(tmp_path):
    root = kitti_root(tmp_path)
    calibration = read_kitti_calibration(root / DATE / "calib_cam_to_cam.txt")
    assert calibration == PhotoCalibration(KITTI_FOCAL_PX, KITTI_FOCAL_PX, KITTI_CX_PX, KITTI_CY_PX, KW, KH,
                                           KITTI_CAMERA_HEIGHT_M, 0.0, 0.0, None)
    # Camera 00's rectified P has the same K; an unknown camera is refused.
    assert read_kitti_calibration(root / DATE / "calib_cam_to_cam.txt", camera="00").fx == KITTI_FOCAL_PX
    with pytest.raises(DepthprobeError) as excinfo:
        read_kitti_calibration(root / DATE / "calib_cam_to_cam.txt", camera="2")
    one_line_error(excinfo, "'2'", "02")


def test_kitti_raw_layout_with_ground_truth_depth_in_both_layouts(tmp_path):
    root = kitti_root(tmp_path)
    backgrounds = read_backgrounds(root, KW, KH)
    drive1 = f"{DATE}/{DATE}_drive_0001_sync/image_02/data"
    drive2 = f"{DATE}/{DATE}_drive_0002_sync/image_02/data"
    assert [b.photo_id for b in backgrounds] == [f"{drive1}/0000000005", f"{drive1}/0000000006",
                                                 f"{drive2}/0000000005"]
    first, second, third = backgrounds
    assert first.calibration.fx == KITTI_FOCAL_PX and first.calibration.height_m == KITTI_CAMERA_HEIGHT_M
    assert first.calibration_paths == (root / DATE / "calib_cam_to_cam.txt",)
    gt = "proj_depth/groundtruth/image_02/0000000005.png"
    assert first.depth_path == root / DATE / f"{DATE}_drive_0001_sync" / gt
    assert second.depth_path is None
    assert third.depth_path == root / f"{DATE}_drive_0002_sync" / gt
    assert first.load_depth()[300, 600] == 10.0 and np.isnan(first.load_depth()).sum() == KW * KH - 1
    assert third.load_depth()[300, 600] == 20.0
    assert first.load_rgb().shape == (KH, KW, 3)
    assert first.road_mask()[200:].all() and not first.road_mask()[:174].any()  # horizon at cy = 172.854


def test_kitti_calibration_yaml_beside_the_calib_file_overrides_height_and_pitch(tmp_path):
    root = kitti_root(tmp_path)
    write_yaml(root / DATE / "calibration.yaml", {"camera_height_m": 1.73, "pitch_deg": 1.5})
    background = read_backgrounds(root, KW, KH)[0]
    assert (background.calibration.height_m, background.calibration.pitch_deg) == (1.73, 1.5)
    assert background.calibration.fx == KITTI_FOCAL_PX
    assert background.calibration_paths[-1] == root / DATE / "calibration.yaml"
    assert read_kitti_calibration(root / DATE / "calib_cam_to_cam.txt").height_m == 1.73


# --- assignment and digest ------------------------------------------------------------------------


def make_backgrounds(n: int) -> list[Background]:
    calibration = PhotoCalibration(20.0, 20.0, 15.5, 7.5, W, H, 1.5)
    return [Background(f"{i:04d}", Path(f"{i:04d}.png"), calibration) for i in range(n)]


def test_assignment_is_deterministic_balanced_and_order_independent():
    photos = make_backgrounds(3)
    keys = [f"render_{i:03d}" for i in range(11)]
    assigned = assign_backgrounds(photos, keys, seed=7)
    assert set(assigned) == set(keys)
    assert assigned == assign_backgrounds(photos, keys, seed=7)
    assert assigned == assign_backgrounds(list(reversed(photos)), list(reversed(keys)), seed=7)
    counts = collections.Counter(b.photo_id for b in assigned.values())
    assert sorted(counts.values()) == [3, 4, 4]  # floor / ceil of 11 / 3
    seeds = {tuple(b.photo_id for _, b in sorted(assign_backgrounds(photos, keys, seed=s).items()))
             for s in range(10)}
    assert len(seeds) > 1  # the seed changes the assignment
    assert assign_backgrounds(photos, [], seed=1) == {}
    with pytest.raises(ValueError):
        assign_backgrounds(photos, ["a", "a"], seed=1)


def test_assignment_with_more_photos_than_keys_uses_each_at_most_once():
    assigned = assign_backgrounds(make_backgrounds(10), range(4), seed=0)
    assert len({b.photo_id for b in assigned.values()}) == 4


def test_digest_changes_when_a_photo_byte_or_a_calibration_changes(photos):
    digest = folder_digest(read_backgrounds(photos, W, H))
    assert digest == folder_digest(list(reversed(read_backgrounds(photos, W, H))))
    assert len(digest) == 64
    rgb = np.asarray(Image.open(photos / "0002.png")).copy()
    rgb[0, 0, 0] += 1
    write_png(photos / "0002.png", rgb)
    changed = folder_digest(read_backgrounds(photos, W, H))
    assert changed != digest
    write_yaml(photos / "calibration.yaml", {**BASE, "camera_height_m": 1.6})
    assert folder_digest(read_backgrounds(photos, W, H)) != changed


# --- one-line errors ------------------------------------------------------------------------------


def test_bad_K_names_the_file_and_K(photos):
    write_yaml(photos / "calibration.yaml", {**BASE, "K": [[20, 0], [0, 20]]})
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, "photos/calibration.yaml: K: expected a 3x3 matrix of numbers")


def test_skewed_K_is_refused(photos):
    write_yaml(photos / "calibration.yaml", {**BASE, "K": [[20, 1, 15.5], [0, 20, 7.5], [0, 0, 1]]})
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, "photos/calibration.yaml: K:", "skew")


def _remove_photos(folder: Path) -> None:
    for image in folder.glob("*.png"):
        image.unlink()
    (folder / "0001.depth.png").write_bytes(b"")


def _calibration_per_photo_only(folder: Path) -> None:
    (folder / "calibration.yaml").unlink()
    write_yaml(folder / "0001.yaml", BASE)


#: A broken flat photo folder (a change to the ``photos`` fixture) -> what its one-line error names.
BROKEN_FOLDERS = {
    "photo of the wrong size": (lambda f: write_png(f / "0002.png", (64, 32)),
                                ["photos/0002.png: 64x32 pixels, the camera is 32x16"]),
    "calibration of another size": (lambda f: write_yaml(f / "0001.yaml", {"width": 64}),
                                    ["photos/0001.yaml: width", "64x16", "32x16"]),
    "depth of another size": (lambda f: write_png(f / "0001.depth.png", np.zeros((H, W + 1), dtype=np.uint16)),
                              ["photos/0001.depth.png: 33x16 pixels"]),
    "folder without photos": (_remove_photos, ["photos/: no photos (*.png, *.jpg"]),
    "photo without calibration": (_calibration_per_photo_only,
                                  ["photos/0002.png: no calibration (no calibration.yaml in the folder, no 0002.yaml)"]),
    "calibration missing a required key": (
        lambda f: write_yaml(f / "calibration.yaml", {k: v for k, v in BASE.items() if k != "camera_height_m"}),
        ["photos/calibration.yaml: camera_height_m: missing"]),
    "nonpositive camera height": (lambda f: write_yaml(f / "0001.yaml", {"camera_height_m": 0}),
                                  ["photos/0001.yaml: camera_height_m: must be > 0"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FOLDERS))
def test_a_broken_photo_folder_is_one_line_naming_the_file(photos, case):
    breaks, parts = BROKEN_FOLDERS[case]
    breaks(photos)
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, *parts)


def test_eight_bit_depth_png_is_refused(photos):
    write_png(photos / "0001.depth.png", np.zeros((H, W), dtype=np.uint8))
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)[0].load_depth()
    one_line_error(excinfo, "photos/0001.depth.png", "16-bit")


def test_kitti_file_without_P_rect_02(tmp_path):
    root = kitti_root(tmp_path)
    calib = root / DATE / "calib_cam_to_cam.txt"
    calib.write_text("\n".join(l for l in KITTI_CALIB.splitlines() if not l.startswith("P_rect_02")), encoding="ascii")
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(root, KW, KH)
    one_line_error(excinfo, f"{calib}: P_rect_02 missing")


def test_kitti_P_rect_02_with_too_few_numbers(tmp_path):
    root = kitti_root(tmp_path)
    calib = root / DATE / "calib_cam_to_cam.txt"
    calib.write_text(KITTI_CALIB.replace("P_rect_02: 7.215377e+02 ", "P_rect_02: "), encoding="ascii")
    with pytest.raises(DepthprobeError) as excinfo:
        read_kitti_calibration(calib)
    one_line_error(excinfo, f"{calib}: P_rect_02: expected 12")


def test_kitti_drives_without_a_calibration_file(tmp_path):
    root = kitti_root(tmp_path)
    write_png(root / "2011_09_28" / "2011_09_28_drive_0002_sync" / "image_02" / "data" / "0000000000.png", (KW, KH))
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(root, KW, KH)
    one_line_error(excinfo, "2011_09_28/calib_cam_to_cam.txt", "missing")


@pytest.mark.parametrize("data, field", [({"pitch_deg": 90}, "pitch_deg: must be in (-90, 90)"),
                                         ({"roll_deg": -95}, "roll_deg: must be in (-90, 90)"),
                                         ({"width": 32.0}, "width: expected a whole number"),
                                         ({"sun": {"elevation_deg": 0, "azimuth_deg": 0, "strength": 3}},
                                          "sun.elevation_deg: must be in (0, 90]"),
                                         ({"sun": {"elevation_deg": 30, "azimuth_deg": 0}}, "sun.strength: missing"),
                                         ({"pitch_deg": "down"}, "pitch_deg: expected a number")])
def test_out_of_range_values_name_the_file_and_field(photos, data, field):
    write_yaml(photos / "0001.yaml", data)
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, f"photos/0001.yaml: {field}")


def test_unknown_key(photos):
    write_yaml(photos / "0001.yaml", {"foo": 1})
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, "photos/0001.yaml: unknown key 'foo'")


@pytest.mark.parametrize("text, problem", [("K: [1, 2\n", "not valid YAML"),
                                           ("- 1\n- 2\n", "expected a mapping"),
                                           ("a: &x [1]\nK: *x\n", "aliases"),
                                           ("K: !!python/object/apply:os.system ['true']\n", "not valid YAML")])
def test_calibration_that_is_not_a_yaml_mapping(photos, text, problem):
    (photos / "calibration.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, "photos/calibration.yaml:", problem)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_unreadable_image(photos, damage):
    good = (photos / "0001.png").read_bytes()
    (photos / "0004.png").write_bytes(b"not a png at all" if damage == "garbage" else good[: len(good) // 2])
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, "photos/0004.png: not a readable image")


def test_missing_folder(tmp_path):
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(tmp_path / "x" / "y", W, H)
    one_line_error(excinfo, f"photos folder {tmp_path / 'x' / 'y'} does not exist")


def test_two_photos_with_one_id(photos):
    Image.new("RGB", (W, H)).save(photos / "0001.jpg")
    with pytest.raises(DepthprobeError) as excinfo:
        read_backgrounds(photos, W, H)
    one_line_error(excinfo, "photos/0001", "same id '0001'")
