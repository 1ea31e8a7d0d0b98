"""A stimulus set in KITTI's layout, so that KITTI depth-evaluation scripts run on it.

``depthprobe export SET --format kitti --out DIR`` writes (modelled on the KITTI raw data and the
depth prediction/completion benchmark, ``data_depth_annotated``)::

    DIR/depthprobe-export.json                    the marker (depthprobe/exporters/target.py)
    DIR/frames.txt                                one line per frame, in frames-table order:
                                                  "image_02/data/<id>.png proj_depth/groundtruth/image_02/<id>.png <fx>"
                                                  (image, depth, focal length in px, shortest exact
                                                  decimal; the split-file form of BTS-style KITTI loaders)
    DIR/image_02/data/<frame_id>.png              8-bit RGB, as in KITTI raw (image_02: the left colour camera)
    DIR/proj_depth/groundtruth/image_02/<frame_id>.png
                                                  uint16 depth: metres x 256, 0 = no value
    DIR/calib/<frame_id>.txt                      the frame's camera in calib_cam_to_cam.txt form

**Depth PNG.** The convention of the KITTI depth devkit (``devkit/readme.txt`` of the 2017 depth
prediction/completion benchmarks, Uhrig et al., 3DV 2017): "Depth maps ... are saved as uint16
PNG images ... A 0 value indicates an invalid pixel ... Otherwise, the depth for a pixel can be
computed in meters by converting the uint16 value to float and dividing it by 256.0".  Our depth is
the exact z-depth of the render (dense, not LiDAR-sparse), rounded to the nearest 1/256 m (so
within 1/512 m; a depth below 1/512 m is written 1, never the invalid 0); 0 where it has no
value: sky (+inf) and depth beyond :data:`MAX_DEPTH_M` = 65535/256 m (255.996 m, the far road).

**Calibration.** Frames may differ in intrinsics and pose, so each has its own file in the format
of KITTI raw's ``calib_cam_to_cam.txt`` (devkit_raw_data readme: ``S_xx`` image size before
rectification, ``K_xx`` 3x3 calibration, ``D_xx`` 1x5 distortion, ``R_xx``/``T_xx`` extrinsic
rotation and translation, ``S_rect_xx``, ``R_rect_xx`` rectifying rotation, ``P_rect_xx`` 3x4
projection after rectification): one ``key: v v v`` line per entry, row-major, single spaces,
values in e-notation with as many digits as float64 needs to round-trip exactly (KITTI prints
``%e``, 7 digits; :func:`number_text`).  Our images are rendered rectified and without
distortion, and there is one camera: cameras 00 (KITTI's rectified reference) and 02 are the
same camera, so ``K_xx`` = K, ``D_xx`` = 0, ``R_xx`` = ``R_rect_xx`` = I, ``T_xx`` = 0 and
``P_rect_xx`` = [K | 0]; there is no 01 or 03 (no stereo pair).  Two extra lines of the same form
give the pose on the road: ``R_world_to_cam_02`` (3x3) and ``T_world_to_cam_02`` (metres), with
x_cam = R x_world + T, world x right, y forward, z up, road at z = 0 (docs/design.md).
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from scenes.geometry import Camera
from scenes.errors import StimulusSetError, problems_line
from depthprobe.exporters.base import Exporter
from depthprobe.exporters.target import ExportError
from scenes.progress import Progress
from scenes.formats import StimulusSet, layer_path
from scenes.storage import atomic_write_bytes

#: Scale of KITTI depth PNGs: value = metres x 256.
DEPTH_SCALE = 256.0
#: The largest depth a uint16 PNG holds, metres (65535 / 256).
MAX_DEPTH_M = 65535 / DEPTH_SCALE
IMAGE_DIR = "image_02/data"
DEPTH_DIR = "proj_depth/groundtruth/image_02"
CALIB_DIR = "calib"
FRAMES_LIST = "frames.txt"
#: Cameras written to each calibration file (00: the rectified reference; 02: left colour).
CAMERAS = ("00", "02")


def kitti_depth(depth_m: np.ndarray) -> np.ndarray:
    """z-depth in metres (H, W; +inf = sky) as KITTI's uint16 depth values (metres x 256,
    rounded; 0 where the depth is not finite, not > 0, or beyond :data:`MAX_DEPTH_M`; a valid
    depth below 1/512 m becomes 1, never the invalid 0)."""
    z = np.asarray(depth_m, dtype=np.float64)
    valid = np.isfinite(z) & (z > 0) & (z <= MAX_DEPTH_M)
    values = np.zeros(z.shape, dtype=np.uint16)
    values[valid] = np.clip(np.rint(z[valid] * DEPTH_SCALE), 1, 65535).astype(np.uint16)
    return values


def read_kitti_depth(path) -> np.ndarray:
    """A KITTI depth PNG as float64 metres (H, W), NaN where the value is 0 (no depth)."""
    with Image.open(path) as image:
        values = np.asarray(image, dtype=np.float64)
    return np.where(values > 0, values / DEPTH_SCALE, np.nan)


def png_bytes(array: np.ndarray) -> bytes:
    """uint8 RGB (H, W, 3) or uint16 (H, W) as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _line(key: str, values: Iterable[float]) -> str:
    return f"{key}: " + " ".join(number_text(v) for v in values)


def number_text(value: float) -> str:
    """``value`` in e-notation with the fewest digits that give it back exactly as a float64
    (``721.5377`` -> ``7.215377e+02``; ``-0.0`` is written ``0.0e+00``)."""
    return np.format_float_scientific(float(value) + 0.0, unique=True, trim="0", exp_digits=2)


def calib_text(camera: Camera) -> str:
    """The camera as a ``calib_cam_to_cam.txt`` (see the module docstring): pixels, metres."""
    K = camera.K
    P = np.hstack([K, np.zeros((3, 1))])
    size = (camera.width, camera.height)
    lines = []
    for cam in CAMERAS:
        lines += [_line(f"S_{cam}", size), _line(f"K_{cam}", K.ravel()), _line(f"D_{cam}", np.zeros(5)),
                  _line(f"R_{cam}", np.eye(3).ravel()), _line(f"T_{cam}", np.zeros(3)),
                  _line(f"S_rect_{cam}", size), _line(f"R_rect_{cam}", np.eye(3).ravel()),
                  _line(f"P_rect_{cam}", P.ravel())]
    rotation = camera.rotation_cam_to_world.T
    lines += [_line("R_world_to_cam_02", rotation.ravel()), _line("T_world_to_cam_02", -rotation @ camera.position)]
    return "\n".join(lines) + "\n"


def parse_calib(text: str) -> dict[str, np.ndarray]:
    """A ``calib_cam_to_cam.txt`` as {key: float64 array} (lines whose values are not numbers,
    such as KITTI's ``calib_time``, are skipped), as KITTI's readers parse it."""
    entries = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        try:
            entries[key.strip()] = np.array([float(v) for v in value.split()])
        except ValueError:
            continue
    return entries


def frame_files(frame_id: str) -> dict[str, str]:
    """The export's files of one frame, relative to DIR: ``image``, ``depth``, ``calib``."""
    return {"image": f"{IMAGE_DIR}/{frame_id}.png", "depth": f"{DEPTH_DIR}/{frame_id}.png",
            "calib": f"{CALIB_DIR}/{frame_id}.txt"}


def check_kitti_set(stimulus_set: StimulusSet) -> None:
    """:class:`ExportError` when a frame id cannot be a KITTI file name (whitespace would break
    ``frames.txt``); :class:`StimulusSetError` when a frame lacks its RGB or depth file."""
    spaced = [fid for fid in stimulus_set.frame_ids if any(c.isspace() for c in fid) or "/" in fid]
    if spaced:
        raise ExportError(f"{stimulus_set.root}: frame id {spaced[0]!r} holds whitespace or '/'; "
                          "it cannot name a file of the KITTI layout")
    missing = [f"{path}: file is missing" for fid in stimulus_set.frame_ids for layer in ("rgb", "depth")
               if not (path := layer_path(stimulus_set.root, layer, fid)).is_file()]
    if missing:
        raise StimulusSetError(problems_line(missing))


class KittiExporter(Exporter):
    """``--format kitti``: every frame in the KITTI layout (module docstring).  A rerun into an
    export of ours of the same set replaces it (frames it no longer has go)."""

    format_name = "kitti"

    def check_set(self) -> None:
        check_kitti_set(self.stimulus_set)

    def files(self) -> list[str]:
        return [FRAMES_LIST, *(rel for fid in self.stimulus_set.frame_ids for rel in frame_files(fid).values())]

    def write_files(self, out: Path, progress: Progress) -> None:
        ids = self.stimulus_set.frame_ids
        rows = []
        for done, fid in enumerate(ids, start=1):
            rows.append(_write_frame(self.stimulus_set, fid, out))
            progress("exporting", done, len(ids), fid)
        atomic_write_bytes(out / FRAMES_LIST, ("\n".join(rows) + "\n").encode("utf-8"))

    def lines(self, out: Path) -> list[str]:
        return [f"KITTI export: {out} ({len(self.stimulus_set.frame_ids)} frames)"]


def _write_frame(stimulus_set: StimulusSet, frame_id: str, out: Path) -> str:
    """Write one frame's image, depth PNG and calibration into ``out``; return its line of ``frames.txt``."""
    camera, rel = stimulus_set.camera(frame_id), frame_files(frame_id)
    atomic_write_bytes(out / rel["image"], png_bytes(np.ascontiguousarray(stimulus_set.rgb(frame_id))))
    atomic_write_bytes(out / rel["depth"], png_bytes(kitti_depth(stimulus_set.depth(frame_id))))
    atomic_write_bytes(out / rel["calib"], calib_text(camera).encode("ascii"))
    return f"{rel['image']} {rel['depth']} {float(camera.fx)!r}"
