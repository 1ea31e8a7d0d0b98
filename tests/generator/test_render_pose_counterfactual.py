"""Real renders with camera pitch and counterfactual frames (tiny: 3 frames at 320x96)."""
import numpy as np
import pytest
import yaml
from scipy import ndimage

from generator.generate import generate
from scenes import open_stimulus_set
from scenes.spec.schema import load_spec, quick_spec
from scenes.geometry.classes import SEMANTIC_CLASSES

pytestmark = pytest.mark.bpy

SPEC = {
    "include": "_base.yaml", "name": "cf_test", "version": 1, "seed": 5,
    "render": {"counterfactual": True},
    "experiment": {"kind": "camera_pose", "vary": "pitch_deg", "levels": [-2.0, 0.0, 3.0],
                   "objects": [{"asset": "car_sedan", "distance_m": 10.0, "lateral_m": 0.0},
                               {"asset": "car_suv", "distance_m": 20.0, "lateral_m": -3.5}]},
}


@pytest.fixture(scope="module")
def pitched_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pose")
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    generate(quick_spec(load_spec(path)), folder / "set")
    return open_stimulus_set(folder / "set")


def test_pitched_road_depth_and_horizon_are_exact(pitched_set):
    s = pitched_set
    assert sorted(s.frames["pitch_deg"]) == [-2.0, 0.0, 3.0]
    for fid in s.frame_ids:
        cam = s.camera(fid)
        assert s.frames.set_index("frame_id").loc[fid, "horizon_row"] == pytest.approx(
            cam.cy - cam.fy * np.tan(np.radians(cam.pitch_deg)))
        road = s.semantic(fid) == SEMANTIC_CLASSES["road"]
        expected = cam.road_depth_map()
        near = road & (expected <= 100.0)
        rel = np.abs(s.depth(fid)[near] - expected[near]) / expected[near]
        assert rel.max() < 1e-4


def test_contact_rows_follow_the_true_pose_and_z_vertical_assumes_the_canonical_one(pitched_set):
    s = pitched_set
    for row in s.objects.itertuples():
        assert abs(row.contact_row - row.contact_row_geometric) <= 1.0
        pitch = s.frames.set_index("frame_id").loc[row.frame_id, "pitch_deg"]
        if pitch == 0.0:
            assert row.z_vertical == pytest.approx(row.z_vertical_true_pose)
        elif pitch > 0:  # camera tilted down: contact rows move up, so a level camera reads them farther
            assert row.z_vertical > row.z_vertical_true_pose
        else:
            assert row.z_vertical < row.z_vertical_true_pose


def test_counterfactual_differs_only_at_objects_and_their_shadows(pitched_set):
    s = pitched_set
    for fid in s.frame_ids:
        objects = s.instances(fid) > 0
        with_depth, without_depth = s.depth(fid), s.counterfactual_depth(fid)
        np.testing.assert_array_equal(with_depth[~objects], without_depth[~objects])
        assert np.all(without_depth[objects] > with_depth[objects])  # the road behind the objects
        with_rgb = s.rgb(fid).astype(int)
        without_rgb = s.counterfactual_rgb(fid).astype(int)
        diff = np.abs(with_rgb - without_rgb).max(-1)
        near = ndimage.binary_dilation(objects, iterations=2)
        sky = s.semantic(fid) == SEMANTIC_CLASSES["sky"]
        assert diff[sky & ~near].max() == 0  # (near: the RGB pixel filter blends edges)
        big = (diff > 8) & ~near
        darker = (with_rgb - without_rgb).sum(-1) < 0
        # outside the objects, clear changes are the shadows (darker); the rest is path-tracing
        # noise where a light path met the object (rare, small)
        assert (big & ~darker).sum() <= 0.005 * (~near).sum()
        assert np.abs(diff[~near]).mean() < 1.0
