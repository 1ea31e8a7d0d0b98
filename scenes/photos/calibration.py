"""Camera calibration of a user's road photographs: ``calibration.yaml`` files and KITTI's
``calib_cam_to_cam.txt``.

A calibration YAML file holds any of these keys (others are an error naming the key and file):

* ``K``: the 3x3 intrinsic matrix ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` or ``[fx, fy, cx, cy]``,
  pixels (pixel centres at integer coordinates, OpenCV); or the keys ``fx``, ``fy``, ``cx``, ``cy``;
  fx and fy within the lenses Blender renders, ``max(width, height) / 36`` ... ``x 5000 / 36`` px
  (1 ... 5000 mm on its 36 mm sensor: BLENDER_LENS_RANGE_MM);
* ``width``, ``height``: the image size the intrinsics belong to, whole pixels > 0;
* ``camera_height_m``: the optical centre above the road, metres > 0;
* ``pitch_deg`` (> 0 tilts down), ``roll_deg``: degrees in (-90, 90), default 0;
* ``sun``: ``{elevation_deg: (0, 90], azimuth_deg: degrees, strength: > 0}`` or absent/null.

Files are layered: a later file (a photo's own ``<stem>.yaml``) overrides an earlier one (the
folder's ``calibration.yaml``, or KITTI's file) key by key.  YAML is read with PyYAML's safe
loader only (a user's file never runs code) and without aliases.  Every mistake is a one-line
:class:`~scenes.errors.DepthprobeError` naming the file and the key.  Pure Python.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from scenes.geometry import KITTI_CAMERA_HEIGHT_M, Camera
from scenes.errors import DepthprobeError
from scenes.photos.entries import is_present_file
from scenes.reading import load_yaml, read_bounded

CALIBRATION_FILE = "calibration.yaml"
#: KITTI raw devkit (Geiger et al. 2013, raw_data readme): per-date camera calibration file.
KITTI_CALIB_FILE = "calib_cam_to_cam.txt"
#: KITTI raw devkit: cameras 00/01 grey left/right, 02/03 colour left/right.
KITTI_CAMERAS = ("00", "01", "02", "03")
KITTI_LEFT_COLOUR_CAMERA = "02"
#: Largest calibration file read, bytes (64 KiB; KITTI's calib_cam_to_cam.txt is about 5 KB).
MAX_CALIBRATION_FILE_BYTES = 64 * 1024
#: Pitch and roll must lie strictly inside (-90, 90) degrees (Camera's convention).
MAX_ABS_ANGLE_DEG = 90.0
#: Blender's camera (bpy.types.Camera): the default sensor width BlenderProc fits the larger image
#: side to (mm), and the shortest and longest lens Blender renders (mm; the hard minimum -- Blender
#: silently clamps a shorter lens -- and the soft maximum of its lens property).  A focal length
#: f px of an image whose larger side is s px is a lens of f * 36 / s mm.
BLENDER_SENSOR_MM = 36.0
BLENDER_LENS_RANGE_MM = (1.0, 5000.0)
INTRINSIC_KEYS = ("fx", "fy", "cx", "cy")
YAML_KEYS = ("K", *INTRINSIC_KEYS, "width", "height", "camera_height_m", "pitch_deg", "roll_deg", "sun")
SUN_KEYS = ("elevation_deg", "azimuth_deg", "strength")
#: PhotoCalibration field -> the YAML key a user writes (for messages).
_YAML_NAME = {"height_m": "camera_height_m"}
_DEFAULTS: dict[str, Any] = {"pitch_deg": 0.0, "roll_deg": 0.0, "sun": None}
_K_SHAPE = "expected a 3x3 matrix of numbers (or [fx, fy, cx, cy])"


@dataclass(frozen=True)
class SunCalibration:
    """The sun seen in a photograph, for lighting rendered objects like the scene.

    :param elevation_deg: above the horizon, degrees (0, 90].
    :param azimuth_deg: where the sun shines from, degrees; 0 = ahead, 90 = right (docs/design.md).
    :param strength: Blender sun strength, W/m^2-like irradiance (> 0).
    """

    elevation_deg: float
    azimuth_deg: float
    strength: float


@dataclass(frozen=True)
class PhotoCalibration:
    """Intrinsics (pixels) and pose above the road (metres, degrees) of the camera of a photo.

    :param fx: focal length along x, pixels (> 0).
    :param fy: focal length along y, pixels (> 0).
    :param cx: principal point column, pixels (pixel centres at integers).
    :param cy: principal point row, pixels.
    :param width: image width the intrinsics belong to, pixels (> 0).
    :param height: image height, pixels (> 0).
    :param height_m: optical centre above the road, metres (> 0).
    :param pitch_deg: downward tilt, degrees (-90, 90).
    :param roll_deg: counter-clockwise roll seen from behind, degrees (-90, 90).
    :param sun: the sun of the photo, or None when unknown.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    height_m: float
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    sun: SunCalibration | None = None

    @property
    def K(self) -> np.ndarray:
        """3x3 intrinsic matrix, pixels (OpenCV convention)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def camera(self) -> Camera:
        """The :class:`~scenes.geometry.camera.Camera` of the photo (at x = y = 0, yaw 0)."""
        return Camera(self.width, self.height, self.fx, self.fy, self.cx, self.cy, self.height_m,
                      self.pitch_deg, self.roll_deg)


def _fail(where: Path | str, key: str, problem: str) -> DepthprobeError:
    return DepthprobeError(f"{where}: {key}: {problem}")


def _read_text(path: Path) -> str:
    """The file's UTF-8 text (at most MAX_CALIBRATION_FILE_BYTES)."""
    raw = read_bounded(path, MAX_CALIBRATION_FILE_BYTES, DepthprobeError, "cannot be read", ", not a calibration file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DepthprobeError(f"{path}: not UTF-8 text, not a calibration file") from None


def _refuse_aliases(text: str, path: Path) -> None:
    """Refuse a calibration file with an alias (``*name``): one line naming its line."""
    load_yaml(text, path, DepthprobeError)  # first within the limits: a bomb never reaches the scan
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise DepthprobeError(f"{path}: line {line}: aliases (*name) are not allowed in a calibration file")


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A calibration YAML file as a mapping (empty file: ``{}``); safe loader, no aliases."""
    text = _read_text(path)
    if "*" in text:  # cheap: only then look for aliases, event by event (within the limits below)
        _refuse_aliases(text, path)
    data = load_yaml(text, path, DepthprobeError)  # depth, node and alias limits (scenes.reading)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DepthprobeError(f"{path}: expected a mapping of calibration keys ({', '.join(YAML_KEYS)})")
    return data


def _number(value: Any, where: Path, key: str, low: float = -math.inf, high: float = math.inf,
            low_open: bool = True, what: str = "") -> float:
    """``value`` as a finite float within (low, high] or [low, high]; else an error naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(where, key, f"expected a number (got {value!r})")
    if value < low or (low_open and value == low) or value > high:
        raise _fail(where, key, what or f"must be > {low:g}")
    return float(value)


def _pixels(value: Any, where: Path, key: str) -> int:
    """A whole number of pixels > 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(where, key, f"expected a whole number of pixels > 0 (got {value!r})")
    return value


def _intrinsics_from_K(value: Any, where: Path) -> dict[str, float]:
    """fx, fy, cx, cy (pixels) from ``K``: a 3x3 zero-skew matrix or ``[fx, fy, cx, cy]``."""
    def is_number(x: Any) -> bool:
        return not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x)

    if isinstance(value, list) and len(value) == 4 and all(is_number(x) for x in value):
        fx, fy, cx, cy = (float(x) for x in value)
    elif (isinstance(value, list) and len(value) == 3
          and all(isinstance(row, list) and len(row) == 3 and all(is_number(x) for x in row) for row in value)):
        if value[0][1] != 0 or value[1][0] != 0 or [float(x) for x in value[2]] != [0.0, 0.0, 1.0]:
            raise _fail(where, "K", "expected [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] (no skew, last row 0 0 1)")
        fx, fy, cx, cy = float(value[0][0]), float(value[1][1]), float(value[0][2]), float(value[1][2])
    else:
        raise _fail(where, "K", _K_SHAPE)
    if fx <= 0 or fy <= 0:
        raise _fail(where, "K", f"focal lengths must be > 0 pixels (got fx = {fx:g}, fy = {fy:g})")
    return {"fx": fx, "fy": fy, "cx": cx, "cy": cy}


def _sun(value: Any, where: Path) -> SunCalibration | None:
    """The ``sun`` mapping (null: no sun)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(where, "sun", f"expected a mapping with {', '.join(SUN_KEYS)} (or null)")
    unknown = sorted(str(k) for k in value if k not in SUN_KEYS)
    if unknown:
        raise _fail(where, "sun", f"unknown key {unknown[0]!r} (expected {', '.join(SUN_KEYS)})")
    missing = [k for k in SUN_KEYS if k not in value]
    if missing:
        raise _fail(where, f"sun.{missing[0]}", "missing")
    return SunCalibration(
        _number(value["elevation_deg"], where, "sun.elevation_deg", 0.0, 90.0, what="must be in (0, 90] degrees"),
        _number(value["azimuth_deg"], where, "sun.azimuth_deg"),
        _number(value["strength"], where, "sun.strength", 0.0))


def read_calibration_file(path: str | Path) -> dict[str, Any]:
    """The :class:`PhotoCalibration` fields one YAML file sets (a partial layer), validated.

    :raises DepthprobeError: unreadable, not YAML, unknown key, or a value out of range.
    """
    path = Path(path)
    data = _read_yaml_mapping(path)
    for key in data:
        if key not in YAML_KEYS:
            raise DepthprobeError(f"{path}: unknown key {str(key)!r} (expected {', '.join(YAML_KEYS)})")
    fields: dict[str, Any] = {}
    if "K" in data:
        both = next((k for k in INTRINSIC_KEYS if k in data), None)
        if both:
            raise _fail(path, "K", f"given with {both}; give the intrinsics once (K, or fx, fy, cx, cy)")
        fields.update(_intrinsics_from_K(data["K"], path))
    for key in INTRINSIC_KEYS:
        if key in data:
            fields[key] = _number(data[key], path, key, 0.0) if key in ("fx", "fy") else _number(data[key], path, key)
    for key in ("width", "height"):
        if key in data:
            fields[key] = _pixels(data[key], path, key)
    if "camera_height_m" in data:
        fields["height_m"] = _number(data["camera_height_m"], path, "camera_height_m", 0.0)
    for key in ("pitch_deg", "roll_deg"):
        if key in data:
            fields[key] = _number(data[key], path, key, -MAX_ABS_ANGLE_DEG, MAX_ABS_ANGLE_DEG,
                                  what="must be in (-90, 90) degrees")
            if abs(fields[key]) == MAX_ABS_ANGLE_DEG:
                raise _fail(path, key, "must be in (-90, 90) degrees")
    if "sun" in data:
        fields["sun"] = _sun(data["sun"], path)
    return fields


def merge_calibration(layers: list[tuple[Path, dict[str, Any]]]) -> tuple[PhotoCalibration, dict[str, Path]]:
    """Layer partial calibrations (later ones override earlier ones key by key) into one.

    :returns: the calibration and, for each field set by a file, the file that set it.
    :raises DepthprobeError: a required key (K, width, height, camera_height_m) is set by no layer.
    """
    fields: dict[str, Any] = dict(_DEFAULTS)
    sources: dict[str, Path] = {}
    for path, layer in layers:
        fields.update(layer)
        sources.update({key: path for key in layer})
    where = ", ".join(str(path) for path, _ in reversed(layers))
    missing = [k for k in INTRINSIC_KEYS if k not in fields]
    if missing:
        key = "K" if len(missing) == len(INTRINSIC_KEYS) else missing[0]
        raise _fail(where, key, "missing (K: [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], or fx, fy, cx, cy)")
    for key in ("width", "height", "height_m"):
        if key not in fields:
            raise _fail(where, _YAML_NAME.get(key, key), "missing")
    _check_focal_lengths(fields, sources)
    return PhotoCalibration(**fields), sources


def _check_focal_lengths(fields: dict[str, Any], sources: dict[str, Path]) -> None:
    """fx and fy (pixels) within the lenses Blender renders for the image size: from
    ``max(width, height) * lens / BLENDER_SENSOR_MM`` for each end of BLENDER_LENS_RANGE_MM
    (a horizontal field of view under about 174 degrees and over 0.4 degrees)."""
    side = max(fields["width"], fields["height"])
    low, high = (side * lens / BLENDER_SENSOR_MM for lens in BLENDER_LENS_RANGE_MM)
    for key in ("fx", "fy"):
        if not low <= fields[key] <= high:
            where = sources.get(key) or sources.get("width") or "calibration"
            raise _fail(where, key, f"{fields[key]:g} pixels is outside {low:.4g} ... {high:.6g} for a "
                                    f"{fields['width']}x{fields['height']} image (the lenses Blender renders, "
                                    f"{BLENDER_LENS_RANGE_MM[0]:g} ... {BLENDER_LENS_RANGE_MM[1]:g} mm on its "
                                    f"{BLENDER_SENSOR_MM:g} mm sensor)")


def read_kitti_entries(path: Path) -> dict[str, str]:
    """``KEY: values`` lines of a KITTI calibration file (values as text; ``calib_time`` is a date)."""
    entries = {}
    for line in _read_text(path).splitlines():
        key, colon, rest = line.partition(":")
        if colon and key.strip():
            entries[key.strip()] = rest.strip()
    return entries


def _kitti_numbers(entries: dict[str, str], key: str, count: int, path: Path) -> list[float]:
    if key not in entries:
        raise DepthprobeError(f"{path}: {key} missing")
    try:
        values = [float(v) for v in entries[key].split()]
    except ValueError:
        raise _fail(path, key, f"expected {count} numbers") from None
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise _fail(path, key, f"expected {count} finite numbers (got {len(values)} values)")
    return values


def kitti_calibration_fields(path: str | Path, camera: str = KITTI_LEFT_COLOUR_CAMERA) -> dict[str, Any]:
    """PhotoCalibration fields of one rectified KITTI camera: K from ``P_rect_<camera>`` (3x4,
    row-major), size from ``S_rect_<camera>``; height :data:`~scenes.geometry.camera.KITTI_CAMERA_HEIGHT_M`
    (1.65 m, KITTI's setup; the file has none), pitch and roll 0.

    :raises DepthprobeError: unknown camera, unreadable file, an entry missing or malformed.
    """
    path = Path(path)
    if camera not in KITTI_CAMERAS:
        raise DepthprobeError(f"KITTI camera {camera!r}: expected one of {', '.join(KITTI_CAMERAS)}")
    entries = read_kitti_entries(path)
    p = _kitti_numbers(entries, f"P_rect_{camera}", 12, path)
    if p[0] <= 0 or p[5] <= 0 or p[1] != 0 or p[4] != 0 or p[8:11] != [0.0, 0.0, 1.0]:
        raise _fail(path, f"P_rect_{camera}",
                    "expected [[fx, 0, cx, tx], [0, fy, cy, ty], [0, 0, 1, tz]] with fx, fy > 0")
    size = _kitti_numbers(entries, f"S_rect_{camera}", 2, path)
    if any(s <= 0 or s != round(s) for s in size):
        raise _fail(path, f"S_rect_{camera}", f"expected the image size in whole pixels (got {size[0]:g} {size[1]:g})")
    return {"fx": p[0], "fy": p[5], "cx": p[2], "cy": p[6], "width": int(size[0]), "height": int(size[1]),
            "height_m": KITTI_CAMERA_HEIGHT_M, "pitch_deg": 0.0, "roll_deg": 0.0}


def kitti_calibration_layers(path: str | Path, camera: str = KITTI_LEFT_COLOUR_CAMERA
                             ) -> list[tuple[Path, dict[str, Any]]]:
    """KITTI's fields, then those of a ``calibration.yaml`` beside the file (any subset of keys)."""
    path = Path(path)
    layers = [(path, kitti_calibration_fields(path, camera))]
    override = path.parent / CALIBRATION_FILE
    if is_present_file(override):
        layers.append((override, read_calibration_file(override)))
    return layers


def read_kitti_calibration(path: str | Path, camera: str = KITTI_LEFT_COLOUR_CAMERA) -> PhotoCalibration:
    """The calibration of a KITTI raw ``calib_cam_to_cam.txt`` for ``camera`` (default 02, the
    left colour camera, rectified), overridden key by key by a ``calibration.yaml`` beside it.

    :raises DepthprobeError: the file or an entry is missing or malformed (one line).
    """
    path = Path(path)
    if not is_present_file(path):
        raise DepthprobeError(f"{path}: KITTI calibration file does not exist")
    return merge_calibration(kitti_calibration_layers(path, camera))[0]
