"""One frame's depth as coloured point clouds (PLY), to look at in any 3D viewer.

``depthprobe export SET --format ply --frame ID [--eval EVAL_DIR] --out DIR`` writes::

    DIR/depthprobe-export.json     the marker (depthprobe/exporters/target.py)
    DIR/<frame_id>_true.ply        the frame's true z-depth as points
    DIR/<frame_id>_pred.ply        with --eval: the evaluation's aligned predicted depth

Each pixel (u, v) with a finite depth z > 0 is back-projected through the frame's K (OpenCV
convention, pixel centres at integers): X = (u - cx) z / fx, Y = (v - cy) z / fy, Z = z, in
metres in the camera frame (x right, y down, z forward), coloured by the frame's RGB.  Points
are in row-major pixel order; coordinates float64, colours 8-bit (binary little-endian PLY as
open3d writes it).  Sky (+inf) has no point in the true cloud; the predicted cloud has a point
wherever the prediction is finite and > 0 (sky included: what the network said).  Several
frames may be exported into one folder; exporting a frame again replaces its files (its old
``_pred.ply`` is removed when no --eval is given).

open3d is imported on first use (as in scenes/raycast/preview.py); files go through scenes/storage.py.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from scenes.raycast import load_open3d
from scenes.geometry import Camera
from depthprobe.exporters.base import Exporter
from depthprobe.exporters.target import ExportError, ExportTarget
from scenes.formats import StimulusSet
from scenes.progress import Progress
from scenes.storage import StorageError, atomic_write_bytes


def _open3d() -> Any:
    return load_open3d('--format ply')


def back_project(depth_m: np.ndarray, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame points (N, 3) float64 metres of the pixels with finite depth > 0, and the
    (H, W) mask of those pixels (points in row-major order of the mask)."""
    z_all = np.asarray(depth_m, dtype=np.float64)
    mask = np.isfinite(z_all) & (z_all > 0)
    v, u = np.nonzero(mask)
    z = z_all[mask]
    points = np.stack([(u - camera.cx) * z / camera.fx, (v - camera.cy) * z / camera.fy, z], axis=1)
    return points, mask


def ply_bytes(points: np.ndarray, rgb: np.ndarray) -> bytes:
    """A coloured point cloud as PLY bytes written by open3d.

    :param points: (N, 3) metres.
    :param rgb: (N, 3) uint8 colours.
    """
    o3d = _open3d()
    cloud = o3d.geometry.PointCloud()
    cloud.points = o3d.utility.Vector3dVector(np.asarray(points, dtype=np.float64))
    cloud.colors = o3d.utility.Vector3dVector(np.asarray(rgb, dtype=np.float64) / 255.0)
    with tempfile.TemporaryDirectory(prefix="depthprobe-ply-") as folder:
        path = Path(folder) / "cloud.ply"  # open3d picks the format by the name's extension only
        if not o3d.io.write_point_cloud(str(path), cloud, write_ascii=False):
            raise StorageError(f"{path}: open3d could not write the point cloud")
        return path.read_bytes()


def cloud_of(depth_m: np.ndarray, image: np.ndarray, camera: Camera, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(points, colours) of one depth map; :class:`ExportError` when its shape is not the
    frame's or it has no pixel with a finite depth (``what`` names it in the message)."""
    shape = (camera.height, camera.width)
    if np.shape(depth_m) != shape:
        raise ExportError(f"{what}: depth map is {np.shape(depth_m)}, but the frame is {shape[1]}x{shape[0]} px")
    points, mask = back_project(depth_m, camera)
    if not len(points):
        raise ExportError(f"{what}: no pixel has a finite depth; nothing to export")
    return points, image[mask]


def frame_file_names(frame_id: str) -> tuple[str, str]:
    """The names of a frame's true and predicted clouds in DIR."""
    return f"{frame_id}_true.ply", f"{frame_id}_pred.ply"


def check_frame_id(stimulus_set: StimulusSet, frame_id: str) -> str:
    """``frame_id`` if the set has it, else :class:`ExportError` naming the set."""
    ids = stimulus_set.frame_ids
    if frame_id not in ids:
        example = f" (e.g. {ids[0]!r})" if ids else ""
        raise ExportError(f"--frame {frame_id}: no frame with this id in {stimulus_set.root}{example}")
    return frame_id


def stored_prediction(results_dir: str | Path, stimulus_set: StimulusSet, frame_id: str) -> np.ndarray:
    """One frame's aligned predicted depth (float32 metres, (H, W)) from an evaluation's results
    folder, read through the results reader and the prediction store's reader: refused
    (ResultsError, PredictionStoreError) unless made for this very set, complete, and this frame's
    file matches its hash in the store's index (the other frames' files are not hashed)."""
    from evaluator.results.store import PREDICTIONS_DIR, StoredPredictions
    from evaluator.results.format import read_results

    store = StoredPredictions.open(read_results(results_dir).root / PREDICTIONS_DIR, stimulus_set, check_hashes=False)
    return store.depth(frame_id, verify=True)


class PlyExporter(Exporter):
    """``--format ply``: one frame's true (and, given a results folder, predicted) depth as point
    clouds (module docstring).  Every cloud is computed by :meth:`check`: a refused export writes
    nothing.  Other frames' clouds in the folder stay; this frame's are replaced."""

    format_name = "ply"
    one_frame = True

    def __init__(self, stimulus_set: StimulusSet, out: str | Path, frame: str | None = None,
                 results: str | Path | None = None, predicted_m: np.ndarray | None = None) -> None:
        """As :class:`Exporter`; ``predicted_m``: the predicted depth (float metres, (H, W)) when
        it does not come from ``results``."""
        super().__init__(stimulus_set, out, frame, results)
        self.predicted_m = predicted_m
        self.data: list[bytes] = []

    def check_set(self) -> None:
        if self.frame is None:
            raise ExportError("--frame: missing; --format ply exports one frame (give one of the set's frame ids)")
        frame_id = check_frame_id(self.stimulus_set, self.frame)
        predicted = self.predicted_m
        if self.results is not None:
            predicted = stored_prediction(self.results, self.stimulus_set, frame_id)
        self.data = frame_clouds(self.stimulus_set, frame_id, predicted)

    def files(self) -> list[str]:
        return list(frame_file_names(self.frame)[:len(self.data)])

    def write_files(self, out: Path, progress: Progress) -> None:
        for done, (name, body) in enumerate(zip(self.files(), self.data), start=1):
            atomic_write_bytes(out / name, body)
            progress("exporting", done, len(self.data), name)

    def lines(self, out: Path) -> list[str]:
        return [f"point cloud: {out / name}" for name in self.files()]

    def kept_files(self, target: ExportTarget) -> set[str]:
        return set(target.old_files) - set(frame_file_names(self.frame))


def frame_clouds(stimulus_set: StimulusSet, frame_id: str, predicted_m: np.ndarray | None) -> list[bytes]:
    """The PLY bytes of a frame's true cloud and, given ``predicted_m`` (float metres, (H, W)), its predicted one."""
    camera, image = stimulus_set.camera(frame_id), stimulus_set.rgb(frame_id)
    clouds = [cloud_of(stimulus_set.depth(frame_id), image, camera, f"frame {frame_id!r} true depth")]
    if predicted_m is not None:
        clouds.append(cloud_of(predicted_m, image, camera, f"frame {frame_id!r} predicted depth"))
    return [ply_bytes(points, colours) for points, colours in clouds]
