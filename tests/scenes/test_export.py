"""``depthprobe export``: KITTI layout (images, uint16 depth PNGs, per-frame calib_cam_to_cam) and
PLY point clouds of one frame's true and predicted depth; where an export may be written."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from depthprobe.cli import app
from depthprobe.exporters.kitti import (CALIB_DIR, DEPTH_DIR, FRAMES_LIST, IMAGE_DIR, MAX_DEPTH_M, kitti_depth, parse_calib,
                                 read_kitti_depth)
from depthprobe.exporters.target import FORMAT_NAME, FORMAT_VERSION, MARKER
from scenes.formats.stimulus_set import open_stimulus_set, write_layer
from scenes.outputs import WriterLock
from scenes.formats.synthetic import CAMERA, Box, FrameSpec, write_frames
from tests.synthetic_set import write_synthetic_set

runner = CliRunner()
#: A second camera: other intrinsics (not round numbers) and another pose.
OTHER_CAMERA = replace(CAMERA, fx=201.23456789012345, fy=199.87654321098765, cx=150.3333333333333,
                       cy=47.123456789, height_m=1.3, pitch_deg=2.0, roll_deg=-3.0)
FRAMES = (FrameSpec("near", CAMERA, (Box(8.0),), {"variant": "open"}, True),
          FrameSpec("tilted", OTHER_CAMERA, (Box(15.0, x_m=-2.0),), {"variant": "open"}, False))


def make_set(root: Path, frames=FRAMES, spec_hash: str = "export-test") -> Path:
    """A two-frame set whose first frame's depth also holds the edge values of the PNG range."""
    write_frames(root, list(frames), spec_hash=spec_hash)
    depth = open_stimulus_set(root).depth(frames[0].frame_id).copy()
    depth[-1, :6] = [MAX_DEPTH_M, np.nextafter(np.float32(MAX_DEPTH_M), np.float32(np.inf)), 300.0, 1e-4, 0.5, 1.0]
    rel, digest = write_layer(root, "depth", frames[0].frame_id, depth)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][rel] = digest  # every reader checks the hashes: keep the set intact
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def stimuli(tmp_path_factory) -> Path:
    return make_set(tmp_path_factory.mktemp("export") / "set")


def tree(root: Path) -> list:
    """Every path below ``root`` with the bytes of the files: what a refused command must not change."""
    return sorted((p.relative_to(root).as_posix(), p.read_bytes() if p.is_file() else None) for p in root.rglob("*"))


def export(*args) -> object:
    return runner.invoke(app, ["export", *map(str, args)])


def assert_refused(result, *words: str) -> None:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for word in words:
        assert word in lines[0]


# ------------------------------------------------------------------------------------------------ KITTI


def test_kitti_depth_values_follow_the_devkit_convention():
    z = np.array([np.inf, np.nan, 300.0, MAX_DEPTH_M, MAX_DEPTH_M + 1e-9, 1e-4, 0.5, 10.0 + 0.6 / 256])
    assert kitti_depth(z).tolist() == [0, 0, 0, 65535, 0, 1, 128, 2561]
    assert kitti_depth(z).dtype == np.uint16


def test_kitti_export_round_trips_depth_images_and_calibration(stimuli, tmp_path):
    out = tmp_path / "kitti"
    result = export(stimuli, "--format", "kitti", "--out", out)
    assert result.exit_code == 0, result.output
    stimulus_set = open_stimulus_set(stimuli)
    lines = (out / FRAMES_LIST).read_text(encoding="utf-8").splitlines()
    assert [line.split()[:2] for line in lines] == [[f"{IMAGE_DIR}/{f}.png", f"{DEPTH_DIR}/{f}.png"]
                                                    for f in stimulus_set.frame_ids]
    for line, fid in zip(lines, stimulus_set.frame_ids):
        camera, depth = stimulus_set.camera(fid), stimulus_set.depth(fid).astype(np.float64)
        assert float(line.split()[2]) == camera.fx
        with Image.open(out / DEPTH_DIR / f"{fid}.png") as image:
            assert image.mode in ("I;16", "I") and image.size == (camera.width, camera.height)
            values = np.array(image, dtype=int)  # the devkit's depth_read
        valid = np.isfinite(depth) & (depth <= MAX_DEPTH_M)
        assert (~valid).any() and (np.isfinite(depth) & ~valid).any()  # sky and far road both occur
        assert np.all(values[~valid] == 0) and np.all(values[valid] > 0)
        assert np.max(np.abs(values[valid] / 256.0 - depth[valid])) <= 1 / 256
        np.testing.assert_array_equal(np.isnan(read_kitti_depth(out / DEPTH_DIR / f"{fid}.png")), ~valid)
        with Image.open(out / IMAGE_DIR / f"{fid}.png") as image:
            assert image.mode == "RGB"
            np.testing.assert_array_equal(np.asarray(image), stimulus_set.rgb(fid))
        calib = parse_calib((out / CALIB_DIR / f"{fid}.txt").read_text(encoding="ascii"))
        for cam in ("00", "02"):
            K, P = calib[f"K_{cam}"].reshape(3, 3), calib[f"P_rect_{cam}"].reshape(3, 4)
            assert (K[0, 0], K[1, 1], K[0, 2], K[1, 2]) == (camera.fx, camera.fy, camera.cx, camera.cy)
            np.testing.assert_array_equal(P, np.hstack([camera.K, np.zeros((3, 1))]))
            assert calib[f"S_rect_{cam}"].tolist() == [camera.width, camera.height]
            np.testing.assert_array_equal(calib[f"R_rect_{cam}"].reshape(3, 3), np.eye(3))
        world_to_cam = np.eye(4)
        world_to_cam[:3, :3] = calib["R_world_to_cam_02"].reshape(3, 3)
        world_to_cam[:3, 3] = calib["T_world_to_cam_02"]
        np.testing.assert_allclose(world_to_cam @ camera.cam_to_world, np.eye(4), atol=1e-12)


def test_the_edge_depths_are_written_as_the_devkit_reads_them(stimuli, tmp_path):
    out = tmp_path / "kitti"
    assert export(stimuli, "--format", "kitti", "--out", out).exit_code == 0
    with Image.open(out / DEPTH_DIR / "near.png") as image:
        assert np.array(image, dtype=int)[-1, :6].tolist() == [65535, 0, 0, 1, 128, 256]


def test_the_calibration_lines_parse_as_kitti_readers_parse_them(stimuli, tmp_path):
    out = tmp_path / "kitti"
    assert export(stimuli, "--format", "kitti", "--out", out).exit_code == 0
    for line in (out / CALIB_DIR / "tilted.txt").read_text(encoding="ascii").splitlines():
        key, value = line.split(":", 1)  # monodepth2 / pykitti: "key: v v v", single spaces, floats only
        assert value.startswith(" ") and set(value.strip()) <= set("0123456789.e+- ")
        assert [float(v) for v in value.strip().split(" ")]
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert (marker["format"], marker["format_version"], marker["export_format"], marker["state"]) == \
        (FORMAT_NAME, FORMAT_VERSION, "kitti", "complete")
    assert marker["stimulus_set"]["spec_hash"] == "export-test"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(marker["files"] + [MARKER])


def test_a_rerun_replaces_its_own_export_and_removes_stale_frames(stimuli, tmp_path):
    out = tmp_path / "kitti"
    assert export(stimuli, "--format", "kitti", "--out", out).exit_code == 0
    assert export(stimuli, "--format", "kitti", "--out", out).exit_code == 0
    subset = make_set(tmp_path / "subset", FRAMES[:1])  # same spec, fewer frames (as generate --limit)
    assert export(subset, "--format", "kitti", "--out", out).exit_code == 0
    assert sorted(p.name for p in (out / CALIB_DIR).iterdir()) == ["near.txt"]
    assert len((out / FRAMES_LIST).read_text(encoding="utf-8").splitlines()) == 1


# ------------------------------------------------------------------------------------------------ PLY


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    from evaluator.pipeline.evaluate import evaluate_set

    root = tmp_path_factory.mktemp("ply")
    stimuli = write_synthetic_set(root / "set", conditions=("position_and_size",), distances=(1.0, 2.0))
    evaluate_set(stimuli, "flat-road", root / "results")
    return stimuli, root / "results"


def read_cloud(path: Path) -> tuple[np.ndarray, np.ndarray]:
    o3d = pytest.importorskip("open3d")
    cloud = o3d.io.read_point_cloud(str(path))
    return np.asarray(cloud.points), np.rint(np.asarray(cloud.colors) * 255).astype(np.uint8)


def assert_back_projects(points, colours, depth, camera, rgb):
    """Every point lies on its pixel's ray at the stored depth, in the pixel's colour."""
    finite = np.isfinite(depth) & (depth > 0)
    assert len(points) == int(finite.sum())
    z = points[:, 2]
    u = points[:, 0] * camera.fx / z + camera.cx
    v = points[:, 1] * camera.fy / z + camera.cy
    cols, rows = np.rint(u).astype(int), np.rint(v).astype(int)
    assert np.max(np.abs(u - cols)) < 1e-6 and np.max(np.abs(v - rows)) < 1e-6
    np.testing.assert_array_equal(z, depth[rows, cols].astype(np.float64))
    np.testing.assert_array_equal(colours, rgb[rows, cols])
    assert len(set(zip(rows.tolist(), cols.tolist()))) == len(points)


def test_ply_export_of_true_and_predicted_depth(evaluated, tmp_path):
    pytest.importorskip("open3d")
    from evaluator.results.store import StoredPredictions

    stimuli, results = evaluated
    stimulus_set = open_stimulus_set(stimuli)
    fid = stimulus_set.frame_ids[1]
    out = tmp_path / "clouds"
    result = export(stimuli, "--format", "ply", "--frame", fid, "--eval", results, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, f"{fid}_true.ply", f"{fid}_pred.ply"])
    camera, rgb = stimulus_set.camera(fid), stimulus_set.rgb(fid)
    depth = stimulus_set.depth(fid)
    assert not np.isfinite(depth).all()  # the sky has no point
    assert_back_projects(*read_cloud(out / f"{fid}_true.ply"), depth, camera, rgb)
    predicted = StoredPredictions.open(results / "predictions", stimulus_set).depth(fid)
    assert_back_projects(*read_cloud(out / f"{fid}_pred.ply"), predicted, camera, rgb)
    # the same frame again without --eval: its prediction cloud goes; another frame joins the folder
    assert export(stimuli, "--format", "ply", "--frame", fid, "--out", out).exit_code == 0
    other = stimulus_set.frame_ids[0]
    assert export(stimuli, "--format", "ply", "--frame", other, "--out", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, f"{fid}_true.ply", f"{other}_true.ply"])


# ------------------------------------------------------------------------------------------------ refusals


def refusal_cases(tmp: Path, results: Path) -> list[tuple[Path, list, tuple[str, ...]]]:
    """(set, arguments, words of the message) of every refusal, set up under ``tmp``."""
    stimuli = make_set(tmp / "set")
    evaluated_copy = tmp / "evaluated-set"
    shutil.copytree(results.parent / "set", evaluated_copy)
    fid = open_stimulus_set(evaluated_copy).frame_ids[0]
    more_frames = write_synthetic_set(tmp / "more-frames", conditions=("position_and_size",), distances=(1.0, 2.0, 3.0))
    foreign = tmp / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine\n", encoding="utf-8")
    ply_export = tmp / "ply-export"
    assert export(stimuli, "--format", "ply", "--frame", "near", "--out", ply_export).exit_code == 0
    new = tmp / "new"
    return [
        (stimuli, ["--format", "kitti", "--out", stimuli / "kitti"], ("inside the stimulus set",)),
        (stimuli, ["--format", "kitti", "--out", stimuli], ("is the stimulus set",)),
        (stimuli, ["--format", "ply", "--frame", "near", "--out", stimuli / "depth"], ("inside the stimulus set",)),
        (stimuli, ["--format", "kitti", "--out", foreign], ("not a depthprobe export", "notes.txt")),
        (stimuli, ["--format", "ply", "--frame", "foreign", "--out", foreign], ("not a depthprobe export",)),
        (stimuli, ["--format", "ply", "--frame", "no-such-frame", "--out", new], ("--frame no-such-frame",)),
        (stimuli, ["--format", "obj", "--out", new], ("--format obj", "kitti, ply")),
        (stimuli, ["--format", "kitti", "--out", ply_export], ("'ply' export",)),
        (stimuli, ["--format", "kitti", "--frame", "near", "--out", new], ("--frame", "only with --format ply")),
        (stimuli, ["--format", "kitti", "--eval", results, "--out", new], ("--eval", "only with --format ply")),
        (stimuli, ["--format", "ply", "--out", new], ("--frame: missing",)),
        (more_frames, ["--format", "ply", "--frame", fid, "--eval", results, "--out", new],
         ("another frames.parquet",)),
        (evaluated_copy, ["--format", "ply", "--frame", fid, "--eval", tmp / "no-results", "--out", new],
         ("summary.json",)),
        (tmp / "no-set", ["--format", "kitti", "--out", new], ("no-set",)),
    ]


def test_refusals_are_one_line_exit_2_and_write_nothing(evaluated, tmp_path):
    pytest.importorskip("open3d")  # one case needs a ply export to exist
    _, results = evaluated
    for stimuli, args, words in refusal_cases(tmp_path, results):
        before = tree(tmp_path), tree(results)
        assert_refused(export(stimuli, *args), *words)
        assert (tree(tmp_path), tree(results)) == before, args


def test_an_export_of_another_set_is_not_replaced(stimuli, tmp_path):
    out = tmp_path / "kitti"
    assert export(stimuli, "--format", "kitti", "--out", out).exit_code == 0
    other = make_set(tmp_path / "other", spec_hash="another-spec")
    before = tree(out)
    assert_refused(export(other, "--format", "kitti", "--out", out), "another stimulus set")
    (out / "extra.txt").write_text("x", encoding="utf-8")
    before = tree(out)
    assert_refused(export(stimuli, "--format", "kitti", "--out", out), "extra.txt")
    assert tree(out) == before


def test_a_second_writer_is_refused(stimuli, tmp_path):
    out = tmp_path / "kitti"
    with WriterLock(out, "depthprobe export --format kitti"):
        result = export(stimuli, "--format", "kitti", "--out", out)
    last = result.output.strip().splitlines()[-1]  # the lock is taken once the progress bar runs
    assert result.exit_code == 2 and last.startswith("error: ") and "being written by" in last
    assert not out.exists()


# ------------------------------------------------------------------------------------------------ one entry point


def test_every_format_is_an_exporter_registered_by_its_name():
    from depthprobe.exporters import EXPORT_FORMATS, EXPORTERS, Exporter

    assert sorted(EXPORTERS) == sorted(EXPORT_FORMATS)
    for name in EXPORT_FORMATS:
        assert issubclass(EXPORTERS.get(name), Exporter) and EXPORTERS.get(name).format_name == name


def test_export_set_refuses_before_the_progress_bar_and_writes_nothing(stimuli, tmp_path):
    from depthprobe.exporters import ExportError, export_set

    opened = []
    for args, message in ((("obj",), "--format obj"), (("kitti",), "inside the stimulus set"),
                          (("ply",), "--frame: missing")):
        out = stimuli / "depth" / "x" if message.startswith("inside") else tmp_path / "new"
        with pytest.raises(ExportError, match=message):
            export_set(stimuli, *args, out, progress_bar=opened.append)
    assert opened == [] and not (tmp_path / "new").exists()


def test_a_damaged_stored_prediction_is_refused_through_the_store_reader(evaluated, tmp_path):
    pytest.importorskip("open3d")
    from depthprobe.exporters import export_set
    from evaluator.results.store import PredictionStoreError

    stimuli, results = evaluated
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    fid = open_stimulus_set(stimuli).frame_ids[0]
    damaged = next((copy / "predictions").rglob(f"{fid}.npy"))
    damaged.write_bytes(damaged.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(PredictionStoreError, match="does not match its hash"):
        export_set(stimuli, "ply", tmp_path / "clouds", frame=fid, results=copy)
    assert not (tmp_path / "clouds").exists()
    exported = export_set(stimuli, "ply", tmp_path / "clouds", frame=fid, results=results)
    assert [p.name for p in exported.files] == [f"{fid}_true.ply", f"{fid}_pred.ply"]
    assert exported.lines == [f"point cloud: {p}" for p in exported.files]
