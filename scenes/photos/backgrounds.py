"""A user's folder of road photographs with their calibration, depth and road masks: the
backgrounds that rendered objects are composited into.

Two layouts, detected automatically (a ``calib_cam_to_cam.txt`` in the folder or one level down
means KITTI):

* **flat**: photos ``<stem>.png`` / ``.jpg`` / ``.jpeg`` directly in the folder; beside each,
  optionally, a depth map ``<stem>.depth.png`` (16-bit, KITTI's metres x 256, 0 = unknown) or
  ``<stem>.depth.npy`` (float metres; non-finite or <= 0 = unknown), a road mask
  ``<stem>.road.png`` (nonzero = road) and a calibration ``<stem>.yaml`` that overrides the
  folder's ``calibration.yaml`` key by key (:mod:`scenes.photos.calibration`).
* **KITTI raw**: ``<root>/<date>/calib_cam_to_cam.txt`` and
  ``<root>/<date>/<date>_drive_<nnnn>_sync/image_02/data/*.png`` (camera 02, rectified), with
  optional ground-truth depth of KITTI depth completion, ``proj_depth/groundtruth/image_02/<name>``
  inside the raw drive folder or under ``<root>/<drive>_sync/`` (``data_depth_annotated``, also
  ``<root>/train/`` and ``<root>/val/``).  KITTI heights and poses default to 1.65 m, level;
  a ``calibration.yaml`` beside ``calib_cam_to_cam.txt`` overrides them.

Photo ids are the image path relative to the folder, posix, without extension.  Every user
mistake is a one-line :class:`~scenes.errors.DepthprobeError` naming the file.  Pure Python
(numpy, Pillow, PyYAML).
"""
from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from scenes.geometry import Camera
from scenes.errors import DepthprobeError
from scenes.photos.entries import check_photo_folder, is_present_file
from scenes.photos.calibration import (CALIBRATION_FILE, KITTI_CALIB_FILE, KITTI_LEFT_COLOUR_CAMERA,
                                      PhotoCalibration, kitti_calibration_layers, merge_calibration,
                                      read_calibration_file, read_kitti_calibration)
from scenes.storage import sha256_file

__all__ = ["Background", "PhotoCalibration", "assign_backgrounds", "folder_digest", "read_backgrounds",
           "read_kitti_calibration"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DEPTH_PNG_SUFFIX = ".depth.png"
DEPTH_NPY_SUFFIX = ".depth.npy"
ROAD_MASK_SUFFIX = ".road.png"
#: Side files of the flat layout that are not photos.
SIDE_FILE_SUFFIXES = (DEPTH_PNG_SUFFIX, ROAD_MASK_SUFFIX)
#: KITTI depth devkit (data_depth_annotated readme): depth_m = uint16 / 256, 0 = no measurement.
KITTI_DEPTH_SCALE = 256.0
#: Pillow modes of a 16-bit grey PNG ("I" in older Pillow versions).
DEPTH_PNG_MODES = ("I;16", "I;16B", "I;16L", "I")
UINT16_MAX = 65535
#: Rows a default road mask keeps clear below the horizon, pixels (the horizon itself is at
#: infinite depth; objects are never composited onto it).
HORIZON_MARGIN_PX = 1.0
#: KITTI raw layout (raw_data readme): drive folders and their rectified camera images.
KITTI_DRIVE_GLOB = "*_drive_*_sync"
#: KITTI depth completion: ground truth of drive <d> and camera <c> in <d>/proj_depth/groundtruth/image_<c>.
KITTI_GROUNDTRUTH_DIR = ("proj_depth", "groundtruth")
#: Folders below the root where data_depth_annotated may keep its drives ("" = the root itself).
KITTI_ANNOTATED_SPLITS = ("", "train", "val")


@dataclass(frozen=True)
class Background:
    """One photograph to composite into, with its calibration and optional depth and road mask.

    :param photo_id: the image path relative to the folder root, posix, without extension.
    :param image_path: the photo (PNG or JPEG, 8-bit).
    :param calibration: its camera.
    :param depth_path: ``.png`` (16-bit, metres x 256, 0 = unknown) or ``.npy`` (float metres), or None.
    :param road_mask_path: PNG, nonzero = road, or None (then everything below the horizon).
    :param calibration_paths: the files the calibration was read from, in layering order.
    """

    photo_id: str
    image_path: Path
    calibration: PhotoCalibration
    depth_path: Path | None = None
    road_mask_path: Path | None = None
    calibration_paths: tuple[Path, ...] = ()

    def camera(self) -> Camera:
        """The photo's camera (intrinsics in pixels, height in metres, pitch and roll in degrees)."""
        return self.calibration.camera()

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the photo, pixels."""
        return self.calibration.width, self.calibration.height

    def load_rgb(self) -> np.ndarray:
        """The photo as uint8 sRGB, shape (height, width, 3); alpha dropped, grey repeated."""
        with _open_image(self.image_path) as image:
            if image.mode.startswith("I;16"):
                grey = (np.asarray(image, dtype=np.float64) / 257.0).round().astype(np.uint8)
                return np.repeat(grey[..., None], 3, axis=2)
            return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()

    def load_depth(self) -> np.ndarray:
        """Measured z-depth, float32 metres, shape (height, width), NaN where unknown (everywhere
        when the photo has no depth file).

        :raises DepthprobeError: the depth file is unreadable, not 16-bit, or not float ``.npy``.
        """
        if self.depth_path is None:
            return np.full((self.calibration.height, self.calibration.width), np.nan, dtype=np.float32)
        return read_depth_file(self.depth_path)

    def road_mask(self) -> np.ndarray:
        """Pixels where objects may stand, bool (height, width): the user's mask (nonzero = road)
        or, by default, every pixel more than :data:`HORIZON_MARGIN_PX` below the horizon of the
        photo's camera (``Camera.horizon_row(u)`` per column u, so pitch and roll move it)."""
        if self.road_mask_path is not None:
            with _open_image(self.road_mask_path) as image:
                if image.mode in ("P", "PA"):
                    image = image.convert("RGBA")
                values = np.asarray(image)
            if values.ndim == 3:  # drop alpha: LA -> L, RGBA -> RGB
                values = values[..., :3] if values.shape[2] >= 3 else values[..., :1]
                return np.any(values != 0, axis=2)
            return values != 0
        camera = self.camera()
        horizon = np.asarray(camera.horizon_row(np.arange(camera.width, dtype=float)))
        rows = np.arange(camera.height, dtype=float)[:, None]
        return rows > horizon[None, :] + HORIZON_MARGIN_PX


def _open_image(path: Path) -> Image.Image:
    """The decoded image at ``path`` (a context manager); one-line errors for a bad file."""
    try:
        image = Image.open(path)
        image.load()
        return image
    except FileNotFoundError:
        raise DepthprobeError(f"{path}: file is missing") from None
    except Exception as exc:  # any decoder error means the file is damaged or not an image
        raise DepthprobeError(f"{path}: not a readable image ({type(exc).__name__})") from None


def _image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image, pixels, after checking its structure (PNG chunk CRCs)."""
    try:
        with Image.open(path) as image:
            size = image.size
            image.verify()
        return size
    except Exception as exc:
        raise DepthprobeError(f"{path}: not a readable image ({type(exc).__name__})") from None


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:
        raise DepthprobeError(f"{path}: not a readable .npy array ({type(exc).__name__})") from None


def read_depth_file(path: Path) -> np.ndarray:
    """A photo's measured z-depth file as float32 metres, shape (height, width), NaN where unknown:
    the one reader and check of depth files (the folder reader runs it on every depth file, so a
    spec is refused by ``validate`` as by ``generate``).

    :param path: ``.npy`` (float metres; non-finite or <= 0 = unknown) or a 16-bit grey PNG
        (KITTI: metres x :data:`KITTI_DEPTH_SCALE`, 0 = unknown).
    :raises DepthprobeError: unreadable, not 16-bit grey, values outside 0..65535, or not a float
        (height, width) ``.npy``.
    """
    if path.suffix == ".npy":
        return _npy_depth(path)
    with _open_image(path) as image:
        if image.mode not in DEPTH_PNG_MODES:
            raise DepthprobeError(f"{path}: depth PNG must be 16-bit grey (KITTI: metres x 256), got mode {image.mode}")
        raw = np.asarray(image).astype(np.int64)
    if raw.ndim != 2 or raw.min(initial=0) < 0 or raw.max(initial=0) > UINT16_MAX:
        raise DepthprobeError(f"{path}: depth values outside 0..{UINT16_MAX}")
    depth = (raw / KITTI_DEPTH_SCALE).astype(np.float32)
    depth[raw == 0] = np.nan
    return depth


def _npy_depth(path: Path) -> np.ndarray:
    """Float depth in metres from ``.npy``; non-finite or <= 0 -> NaN."""
    depth = _load_npy(path)
    if depth.ndim != 2 or depth.dtype.kind != "f":
        raise DepthprobeError(f"{path}: expected a float (height, width) depth map in metres, "
                              f"got {depth.dtype} of shape {depth.shape}")
    depth = depth.astype(np.float32)
    depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
    return depth


def _side_file_size(path: Path, depth: bool) -> tuple[int, int]:
    """(width, height) of a depth file (read and checked in full: :func:`read_depth_file`) or a
    road mask, pixels."""
    if depth:
        shape = read_depth_file(path).shape
        return shape[1], shape[0]
    return _image_size(path)


def _check_sizes(background: Background, sources: dict[str, Path], width: int, height: int) -> None:
    """Photo, calibration, depth and mask all (width, height) pixels, else a one-line error."""
    w, h = _image_size(background.image_path)
    if (w, h) != (width, height):
        raise DepthprobeError(f"{background.image_path}: {w}x{h} pixels, the camera is {width}x{height}")
    calibration = background.calibration
    if (calibration.width, calibration.height) != (width, height):
        where = sources.get("width") if calibration.width != width else sources.get("height")
        raise DepthprobeError(f"{where}: width, height: {calibration.width}x{calibration.height} "
                              f"pixels, the camera is {width}x{height}")
    for side, depth in ((background.depth_path, True), (background.road_mask_path, False)):
        sw, sh = _side_file_size(side, depth) if side is not None else (width, height)
        if (sw, sh) != (width, height):
            size = f"{sw}x{sh} pixels" if sw > 0 else "not a (height, width) array"
            raise DepthprobeError(f"{side}: {size}, the photo {background.image_path.name} is {width}x{height}")


def _is_photo(path: Path) -> bool:
    """Whether ``path`` is a photo (by its name); DepthprobeError when it is named like one but is
    not a regular file (a link loop, a FIFO, a folder: scenes/photos/entries.py)."""
    name = path.name.lower()
    named_so = not name.startswith(".") and name.endswith(IMAGE_SUFFIXES) and not name.endswith(SIDE_FILE_SUFFIXES)
    return named_so and is_present_file(path)


def _photo_id(path: Path, root: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def _flat_background(image: Path, folder: Path, width: int, height: int) -> Background:
    """One photo of the flat layout with its side files and layered calibration."""
    stem = image.name[: -len(image.suffix)]
    candidates = dict.fromkeys((folder / CALIBRATION_FILE, folder / f"{stem}.yaml"))  # once for calibration.png
    layers = [(p, read_calibration_file(p)) for p in candidates if is_present_file(p)]
    if not layers:
        raise DepthprobeError(f"{image}: no calibration (no {CALIBRATION_FILE} in the folder, no {stem}.yaml)")
    calibration, sources = merge_calibration(layers)
    depths = [p for p in (folder / f"{stem}{DEPTH_PNG_SUFFIX}", folder / f"{stem}{DEPTH_NPY_SUFFIX}")
              if is_present_file(p)]
    if len(depths) > 1:
        raise DepthprobeError(f"{depths[0]}: depth given twice (also {depths[1].name}); keep one")
    mask = folder / f"{stem}{ROAD_MASK_SUFFIX}"
    background = Background(_photo_id(image, folder), image, calibration, depths[0] if depths else None,
                            mask if is_present_file(mask) else None, tuple(p for p, _ in layers))
    _check_sizes(background, sources, width, height)
    return background


def _flat_backgrounds(folder: Path, width: int, height: int) -> list[Background]:
    images = sorted(p for p in folder.iterdir() if _is_photo(p))
    if not images:
        raise DepthprobeError(f"{folder}/: no photos (*.png, *.jpg, *.jpeg) found")
    return [_flat_background(image, folder, width, height) for image in images]


def _kitti_depth_path(root: Path, drive: Path, camera: str, name: str) -> Path | None:
    """Ground-truth depth of one KITTI frame: inside the raw drive folder, else data_depth_annotated's."""
    tail = Path(*KITTI_GROUNDTRUTH_DIR, f"image_{camera}", name)
    candidates = [drive / tail] + [root / split / drive.name / tail for split in KITTI_ANNOTATED_SPLITS]
    return next((p for p in candidates if is_present_file(p)), None)


def _kitti_date_dirs(root: Path, camera: str) -> list[Path]:
    """Folders holding a calib_cam_to_cam.txt or drives with camera images (root or one level down)."""
    def is_date(d: Path) -> bool:
        return is_present_file(d / KITTI_CALIB_FILE) or any((drive / f"image_{camera}" / "data").is_dir()
                                                       for drive in d.glob(KITTI_DRIVE_GLOB))
    return sorted(d for d in [root, *root.iterdir()] if d.is_dir() and is_date(d))


def _kitti_backgrounds(root: Path, camera: str, width: int, height: int) -> list[Background]:
    backgrounds = []
    for date in _kitti_date_dirs(root, camera):
        calib = date / KITTI_CALIB_FILE
        if not is_present_file(calib):
            raise DepthprobeError(f"{calib}: KITTI calibration file missing (the drives in {date.name}/ need it)")
        layers = kitti_calibration_layers(calib, camera)
        calibration, sources = merge_calibration(layers)
        for drive in sorted(d for d in date.glob(KITTI_DRIVE_GLOB) if d.is_dir()):
            images = drive / f"image_{camera}" / "data"
            for image in sorted(p for p in images.glob("*.png") if _is_photo(p)) if images.is_dir() else []:
                background = Background(_photo_id(image, root), image, calibration,
                                        _kitti_depth_path(root, drive, camera, image.name), None,
                                        tuple(p for p, _ in layers))
                _check_sizes(background, sources, width, height)
                backgrounds.append(background)
    if not backgrounds:
        raise DepthprobeError(f"{root}/: no photos (<date>/<date>_drive_<nnnn>_sync/image_{camera}/data/*.png) found")
    return backgrounds


def is_kitti_folder(folder: str | Path) -> bool:
    """True when ``folder`` (or a folder one level down) holds a KITTI ``calib_cam_to_cam.txt``."""
    folder = Path(folder)
    return is_present_file(folder / KITTI_CALIB_FILE) or any(is_present_file(d / KITTI_CALIB_FILE)
                                                            for d in folder.iterdir() if d.is_dir())


def read_backgrounds(folder: str | Path, width: int, height: int,
                     kitti_camera: str = KITTI_LEFT_COLOUR_CAMERA) -> list[Background]:
    """Every photo of a folder (flat or KITTI raw layout, see the module docstring), sorted by id.

    :param width: the camera's image width, pixels; every photo, calibration, depth and mask must match.
    :param height: the camera's image height, pixels.
    :param kitti_camera: the KITTI camera of a KITTI folder ("02", the left colour camera).
    Every depth file is read and checked in full (:func:`read_depth_file`), and every name the
    reader looks for must be a regular file (scenes/photos/entries.py), so a folder that reads
    here renders.

    :raises DepthprobeError: a missing folder, no photos, a missing or bad calibration, a size
        mismatch, an unreadable image or depth file, a photo-folder name that is a link loop,
        FIFO or other non-file (one line naming the file and the field).
    """
    folder = check_photo_folder(folder)
    try:
        kitti = is_kitti_folder(folder)
        found = _kitti_backgrounds(folder, kitti_camera, width, height) if kitti else \
            _flat_backgrounds(folder, width, height)
    except OSError as exc:  # a folder below that cannot be listed
        reason = exc.strerror or type(exc).__name__
        raise DepthprobeError(f"{exc.filename or folder}: cannot be read ({reason})") from None
    found.sort(key=lambda b: b.photo_id)
    for first, second in zip(found, found[1:]):
        if first.photo_id == second.photo_id:
            raise DepthprobeError(f"{second.image_path}: another photo has the same id {first.photo_id!r} "
                                  f"({first.image_path.name}); rename one")
    return found


def assign_backgrounds(backgrounds: Sequence[Background], keys: Iterable[Hashable], seed: int
                       ) -> dict[Any, Background]:
    """A photo for every key (e.g. a render id), drawn with ``np.random.default_rng(seed)``.

    Balanced: each photo serves floor or ceil(n_keys / n_photos) keys (rounds of random
    permutations of the photos).  Keys and photos are sorted first (photos by id), so the result
    depends only on the sets of keys and photos and the seed, never on their order.

    :raises ValueError: duplicate keys or photo ids, or keys without photos.
    """
    ordered_keys = sorted(keys)
    photos = sorted(backgrounds, key=lambda b: b.photo_id)
    if len(set(ordered_keys)) != len(ordered_keys):
        raise ValueError("assign_backgrounds: duplicate keys")
    if len({b.photo_id for b in photos}) != len(photos):
        raise ValueError("assign_backgrounds: duplicate photo ids")
    if not ordered_keys:
        return {}
    if not photos:
        raise ValueError("assign_backgrounds: keys but no photos")
    rng = np.random.default_rng(seed)
    rounds = -(-len(ordered_keys) // len(photos))
    order = np.concatenate([rng.permutation(len(photos)) for _ in range(rounds)])
    return {key: photos[int(i)] for key, i in zip(ordered_keys, order)}


def folder_digest(backgrounds: Iterable[Background]) -> str:
    """Hex SHA-256 over the photo ids and the bytes of every file each uses (image, depth, road
    mask, calibration files), photos in id order: the record of exactly which photos a set used.

    :raises DepthprobeError: a file can no longer be read.
    """
    digest = hashlib.sha256()
    cache: dict[Path, str] = {}
    for background in sorted(backgrounds, key=lambda b: b.photo_id):
        files = [("image", background.image_path), ("depth", background.depth_path),
                 ("road", background.road_mask_path), *(("calibration", p) for p in background.calibration_paths)]
        digest.update(f"photo\t{background.photo_id}\n".encode())
        for role, path in files:
            if path is None:
                continue
            if path not in cache:
                try:
                    cache[path] = sha256_file(path)
                except OSError as exc:
                    raise DepthprobeError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
            digest.update(f"{role}\t{path.name}\t{cache[path]}\n".encode())
    return digest.hexdigest()
