"""The geometry export's format and `depthprobe verify`, without Blender.

A synthetic stimulus set (scenes/formats/synthetic.py: boxes on a flat road, ray-cast analytically) gets
a geometry export of the same scene written with the generator's writer (GeometryWriter): the
road as one large quad, each box as a two-triangle mesh moved by its matrix_world.  The
verifier re-casts it with open3d, so passing means the two independent computations agree.
"""
import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes import open_stimulus_set
from scenes.geometry.camera import kitti_like_camera
from scenes.errors import DepthprobeError, StimulusSetError
from scenes.formats.geometry import (CameraGeometry, FrameGeometry, GeometryWriter, MeshNode, frame_path, glb_bytes,
                                    mesh_path, read_frame_geometry, read_glb, world_path)
from scenes.storage import atomic_write_bytes, npy_bytes
from scenes.formats.stimulus_set import MANIFEST, encode_layer, layer_path, write_manifest
from scenes.formats.synthetic import Box, FrameSpec, write_frames
from scenes.raycast.verify import (DEPTH_TOLERANCE_M, depth_tolerance, format_run, near_discontinuity, recast, sample_frames,
                           verify_set)

pytest.importorskip("open3d")

#: Road quad of the synthetic world (m): wide and long enough that every pixel below the horizon
#: of the test cameras meets it.
ROAD_HALF_WIDTH_M, ROAD_LENGTH_M = 20_000.0, 200_000.0

FRAMES = [
    FrameSpec("level", kitti_like_camera(320, 96), (Box(10.0, x_m=-1.0), Box(18.0, x_m=2.5, elevation_m=0.3)),
              {"condition": "a"}, True),
    FrameSpec("tilted", kitti_like_camera(320, 96, pitch_deg=2.0, roll_deg=-4.0), (Box(12.0, width_m=2.2),),
              {"condition": "b"}, False, counterfactual=True),
    FrameSpec("empty", kitti_like_camera(320, 96, height_m=2.0), (), {"condition": "c"}, False),
]


def road_node() -> MeshNode:
    x, y = ROAD_HALF_WIDTH_M, ROAD_LENGTH_M
    verts = np.array([[-x, -20.0, 0.0], [x, -20.0, 0.0], [x, y, 0.0], [-x, y, 0.0]], dtype=np.float32)
    return MeshNode("road", "road", 0, verts, np.array([[0, 1, 2], [0, 2, 3]], np.uint32), np.eye(4))


def box_node(k: int, box: Box) -> MeshNode:
    """A synthetic box (the plane y = z_m) as a quad in its own frame, placed by its matrix_world."""
    w, h = box.width_m / 2, box.height_m
    verts = np.array([[-w, 0, 0], [w, 0, 0], [w, 0, h], [-w, 0, h]], dtype=np.float32)
    matrix = np.eye(4)
    matrix[:3, 3] = [box.x_m, box.z_m, box.elevation_m]
    return MeshNode(f"object_{k}", "vehicle", k, verts, np.array([[0, 1, 2], [0, 2, 3]], np.uint32), matrix,
                    mesh_name=f"box_{box.width_m:g}x{box.height_m:g}")


def export_of(spec: FrameSpec) -> FrameGeometry:
    cam = spec.camera
    camera = CameraGeometry(cam.K, cam.width, cam.height, np.linalg.inv(cam.cam_to_world))
    objects = tuple(box_node(k, box) for k, box in enumerate(spec.boxes, start=1))
    return FrameGeometry(spec.frame_id, "flat", (road_node(),), objects, camera, () if spec.counterfactual else None)


def rehash(root) -> None:
    """Rewrite the manifest with the current hash of every file it lists (a deliberate forgery)."""
    from scenes.storage import sha256_file

    manifest = json.loads((root / MANIFEST).read_text())
    manifest["files"] = {rel: sha256_file(root / rel) for rel in manifest["files"]}
    write_manifest(root, manifest)


@pytest.fixture
def exported_set(tmp_path):
    root = write_frames(tmp_path / "set", FRAMES)
    writer = GeometryWriter(root)
    manifest = json.loads((root / MANIFEST).read_text())
    for spec in FRAMES:
        manifest["files"].update(writer.write(export_of(spec)))
    write_manifest(root, manifest)
    return root


def test_glb_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(1)
    matrix = np.eye(4)
    matrix[:3, :3] = np.linalg.qr(rng.normal(size=(3, 3)))[0] * 1.4
    matrix[:3, 3] = [0.1, 1 / 3, 2.0]
    a = MeshNode("parked_0", "vehicle", 0, rng.random((7, 3)).astype(np.float32),
                 np.array([[0, 1, 2], [2, 3, 4], [4, 5, 6], [0, 0, 0]], np.uint32), matrix)
    b = MeshNode("parked_1", "vehicle", 0, a.vertices, a.faces, np.eye(4))
    data = glb_bytes([road_node(), a, b])
    assert data == glb_bytes([road_node(), a, b])  # deterministic: a resumed run writes the same bytes
    path = tmp_path / "w.glb"
    path.write_bytes(data)
    back = {n.node_name: n for n in read_glb(path)}
    assert sorted(back) == ["road:0:road", "vehicle:0:parked_0", "vehicle:0:parked_1"]
    for node in (road_node(), a, b):
        got = back[node.node_name]
        np.testing.assert_array_equal(got.vertices, node.vertices)
        np.testing.assert_array_equal(got.faces, node.faces)  # degenerate faces kept too
        np.testing.assert_array_equal(got.matrix_world, node.matrix_world)


def test_writer_shares_mesh_files_and_hashes_everything(exported_set):
    s = open_stimulus_set(exported_set)
    assert s.problems() == []
    files = s.manifest["files"]
    assert world_path("flat") in files and frame_path("level") in files
    meshes = [rel for rel in files if rel.startswith("geometry/meshes/")]
    assert len(meshes) == 2  # the 1.8 m and the 2.2 m wide box; level's two boxes share one
    assert mesh_path(box_node(1, FRAMES[0].boxes[0])) in meshes
    record = json.loads((exported_set / frame_path("level")).read_text())
    assert [o["instance_id"] for o in record["objects"]] == [1, 2]
    assert record["camera"]["width"] == 320 and len(record["camera"]["world_to_camera"]) == 4
    before = os.stat(exported_set / meshes[0]).st_mtime_ns
    GeometryWriter(exported_set).write(export_of(FRAMES[0]))  # a resumed run: same content, not rewritten
    assert os.stat(exported_set / meshes[0]).st_mtime_ns == before


def test_export_reads_back_as_written(exported_set):
    geometry = read_frame_geometry(exported_set, "level")
    expected = export_of(FRAMES[0])
    assert [n.node_name for n in geometry.objects] == ["vehicle:1:object_1", "vehicle:2:object_2"]
    for got, want in zip(geometry.objects, expected.objects):
        np.testing.assert_array_equal(got.world_vertices(), want.world_vertices())
    np.testing.assert_array_equal(geometry.camera.K, expected.camera.K)
    assert read_frame_geometry(exported_set, "tilted").counterfactual_objects == ()
    assert read_frame_geometry(exported_set, "level").counterfactual_objects is None


def test_recast_agrees_with_the_analytic_synthetic_set(exported_set):
    s = open_stimulus_set(exported_set)
    for spec in FRAMES:
        cast = recast(export_of(spec).world_nodes + export_of(spec).objects, export_of(spec).camera)
        near = near_discontinuity(cast, s.instances(spec.frame_id))
        depth = s.depth(spec.frame_id).astype(float)
        compared = ~near & np.isfinite(depth)
        assert compared.mean() > 0.5
        np.testing.assert_allclose(cast.depth[compared], depth[compared], rtol=1e-6)
        assert (cast.instances == s.instances(spec.frame_id)).mean() > 0.995
        if spec.boxes:  # box outlines are excluded, their interiors are compared
            box = s.instances(spec.frame_id) == 1
            assert (near & box).any() and (~near & box).any()


def test_verify_passes_on_a_faithful_set(exported_set):
    run = verify_set(exported_set)
    assert run.failed == [], format_run(run)
    assert [c.frame_id for c in run.checks] == ["level", "tilted", "empty"]
    tilted = run.checks[1]
    assert tilted.counterfactual is not None and tilted.counterfactual.failing_px == 0
    assert all(c.depth.max_error_m < DEPTH_TOLERANCE_M for c in run.checks)
    assert all(c.instance_agreement > 0.995 and c.road_rel_error < 1e-6 for c in run.checks)
    lines = format_run(run)
    assert lines[0].startswith("frame") and len(lines) == 1 + 3 + 2
    assert "all pass" in lines[-1] and "3 of 3 frames" in lines[-1]


def test_an_altered_and_rehashed_depth_fails_naming_the_frame(exported_set):
    path = layer_path(exported_set, "depth", "level")
    depth = np.load(path)
    instances = open_stimulus_set(exported_set).instances("level")
    depth[instances == 2] += 0.01  # the second box 1 cm farther
    atomic_write_bytes(path, npy_bytes(depth))
    rehash(exported_set)
    assert open_stimulus_set(exported_set).problems() == []  # the hashes no longer notice
    run = verify_set(exported_set)
    assert run.failed == ["level"]
    level = run.checks[0]
    assert level.depth.max_error_m == pytest.approx(0.01, rel=1e-3) and level.depth.failing_px > 10
    lines = format_run(run)
    assert any(line.startswith("level: depth:") for line in lines)
    assert "1 FAIL (level)" in lines[-1]


def test_an_altered_instance_mask_or_road_fails(exported_set):
    path = layer_path(exported_set, "instances", "tilted")
    instances = open_stimulus_set(exported_set).instances("tilted")
    instances[60:90, 10:60] = 1  # a second region labelled object 1
    atomic_write_bytes(path, encode_layer("instances", instances.astype(np.uint16)))
    path = layer_path(exported_set, "depth", "empty")
    atomic_write_bytes(path, npy_bytes(np.load(path) * np.float32(1.0005)))  # road 0.05 % too far
    rehash(exported_set)
    run = verify_set(exported_set)
    assert run.failed == ["tilted", "empty"]
    tilted, empty = run.checks[1], run.checks[2]
    assert tilted.instance_agreement < 0.99 and any("instance mask" in p for p in tilted.problems)
    assert empty.road_rel_error == pytest.approx(5e-4, rel=0.01) and any("road depth" in p for p in empty.problems)


def test_bad_input_is_a_user_error(exported_set, tmp_path):
    (exported_set / frame_path("empty")).unlink()
    with pytest.raises(StimulusSetError, match="empty.json: file is missing"):
        verify_set(exported_set)
    with pytest.raises(StimulusSetError, match="no such stimulus-set directory"):
        verify_set(tmp_path / "nowhere")
    path = layer_path(exported_set, "depth", "level")
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")  # damaged, not rehashed
    with pytest.raises(StimulusSetError, match="does not match its hash"):
        verify_set(exported_set, sample=1)
    with pytest.raises(DepthprobeError, match="--sample"):
        sample_frames(["a", "b"], 0, seed=0)


def test_sample_is_seeded_and_in_table_order():
    ids = [f"f{i:02d}" for i in range(30)]
    a = sample_frames(ids, 5, seed=3)
    assert a == sample_frames(ids, 5, seed=3) and a == sorted(a) and len(set(a)) == 5
    assert a != sample_frames(ids, 5, seed=4)
    assert sample_frames(ids, None, 0) == ids and sample_frames(ids, 99, 0) == ids


def test_tolerance_is_1_mm_or_cycles_relative_accuracy():
    np.testing.assert_allclose(depth_tolerance(np.array([2.0, 10.0, 50.0, 100.0, 500.0])),
                               [1e-3, 1e-3, 5e-3, 1e-2, 0.5])


def test_cli_exit_codes(exported_set):
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", str(exported_set), "--sample", "2", "--seed", "1"])
    assert ok.exit_code == 0, ok.output
    assert "2 of 3 frames (sample of 2, seed 1): all pass" in ok.output
    path = layer_path(exported_set, "depth", "empty")
    atomic_write_bytes(path, npy_bytes(np.load(path) + np.float32(0.05)))
    rehash(exported_set)
    failed = runner.invoke(app, ["verify", str(exported_set)])
    assert failed.exit_code == 1 and "FAIL (empty)" in failed.output
    (exported_set / world_path("flat")).unlink()
    missing = runner.invoke(app, ["verify", str(exported_set)])
    assert missing.exit_code == 2 and "flat.glb: file is missing" in missing.output


def test_an_object_erased_from_its_instance_mask_fails_though_the_frame_agrees(exported_set):
    path = layer_path(exported_set, "instances", "level")
    instances = open_stimulus_set(exported_set).instances("level")
    instances[instances == 2] = 0  # the far box erased: a small share of the frame's pixels
    atomic_write_bytes(path, encode_layer("instances", instances.astype(np.uint16)))
    rehash(exported_set)
    run = verify_set(exported_set)
    level = run.checks[0]
    assert level.instance_agreement >= 0.99  # the frame-wide check alone would pass
    assert run.failed == ["level"] and level.objects[2] == 0.0 and level.objects[1] == 1.0
    assert any(p.startswith("instance mask of object 2") for p in level.problems)
