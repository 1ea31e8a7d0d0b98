"""The stimulus set on disk: the contract between the generator and the evaluator.

A stimulus set is a directory a person can browse and any tool can read::

    SET/
      manifest.json               resolved spec, hashes, versions, camera, counts, file hashes
      frames.parquet              one row per frame (factor levels, camera pose, horizon)
      objects.parquet             one row per object per frame (factors, ground truth, cues)
      rgb/<frame_id>.png          8-bit RGB
      depth/<frame_id>.npy        float32 z-depth in metres, +inf where no surface (sky)
      instances/<frame_id>.png    16-bit; 0 = no object, k = the object with object_id k
      semantic/<frame_id>.png     8-bit class ids, see SEMANTIC_CLASSES
      counterfactual/rgb/<frame_id>.png, counterfactual/depth/<frame_id>.npy
                                  the same frame without its objects, where the spec asks
      progress.jsonl              one line per finished frame (used by --resume)

Every file is written atomically (temporary file in the same folder, then rename), so a
killed run never leaves a partial file under a final name.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
from PIL import Image

from scenes.camera import Camera
from scenes.errors import StimulusSetError

FORMAT_NAME = "depthprobe-stimulus-set"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FRAMES_TABLE = "frames.parquet"
OBJECTS_TABLE = "objects.parquet"
PROGRESS = "progress.jsonl"

#: Semantic class ids written to semantic/<frame_id>.png.
SEMANTIC_CLASSES: dict[str, int] = {
    "sky": 0, "road": 1, "marking": 2, "verge": 3, "building": 4, "vegetation": 5,
    "vehicle": 6, "person": 7, "other_object": 8,
}

#: Per-frame layers: name -> (folder, file suffix).
LAYERS: dict[str, tuple[str, str]] = {
    "rgb": ("rgb", ".png"),
    "depth": ("depth", ".npy"),
    "instances": ("instances", ".png"),
    "semantic": ("semantic", ".png"),
    "counterfactual_rgb": ("counterfactual/rgb", ".png"),
    "counterfactual_depth": ("counterfactual/depth", ".npy"),
}
REQUIRED_LAYERS = ("rgb", "depth", "instances", "semantic")

FRAME_CAMERA_COLUMNS = ("width", "height", "fx", "fy", "cx", "cy", "camera_height_m",
                        "pitch_deg", "roll_deg")


def layer_path(root: Path | str, layer: str, frame_id: str) -> Path:
    """Path of one per-frame file, e.g. ``layer_path(root, "depth", "f1")`` -> root/depth/f1.npy."""
    folder, suffix = LAYERS[layer]
    return Path(root) / folder / f"{frame_id}{suffix}"


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` via a temporary file and rename; return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha256_bytes(data)


def encode_layer(layer: str, array: np.ndarray) -> bytes:
    """Encode one per-frame array to the bytes of its file format (PNG or .npy)."""
    if LAYERS[layer][1] == ".npy":
        buf = io.BytesIO()
        np.save(buf, np.asarray(array, dtype=np.float32), allow_pickle=False)
        return buf.getvalue()
    if layer == "instances":
        if array.max(initial=0) > np.iinfo(np.uint16).max:
            raise ValueError("instance ids above 65535 cannot be stored")
        image = Image.fromarray(np.asarray(array, dtype=np.uint16))
    else:
        image = Image.fromarray(np.asarray(array, dtype=np.uint8))
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def write_layer(root: Path, layer: str, frame_id: str, array: np.ndarray) -> tuple[str, str]:
    """Atomically write one per-frame array; return (path relative to root, SHA-256)."""
    path = layer_path(root, layer, frame_id)
    digest = atomic_write_bytes(path, encode_layer(layer, array))
    return path.relative_to(root).as_posix(), digest


def read_layer(path: Path) -> np.ndarray:
    """Read one per-frame file; raise StimulusSetError naming the file if it is missing or bad."""
    if not path.is_file():
        raise StimulusSetError(f"{path}: file is missing")
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        with Image.open(path) as image:
            image.load()
            return np.asarray(image)
    except Exception as exc:  # any decoder error means the file is damaged
        raise StimulusSetError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None


def append_progress(root: Path, record: dict[str, Any]) -> None:
    """Append one finished frame's record (one JSON line, flushed and synced) to progress.jsonl."""
    line = json.dumps(record, sort_keys=True, allow_nan=True) + "\n"
    with open(Path(root) / PROGRESS, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_progress(root: Path) -> dict[str, dict[str, Any]]:
    """Finished-frame records by frame id; a truncated last line (killed run) is ignored."""
    path = Path(root) / PROGRESS
    records: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        records[record["frame_id"]] = record
    return records


def record_is_intact(root: Path, record: dict[str, Any]) -> bool:
    """True when every file a progress record lists exists and matches its hash."""
    for rel, digest in record.get("files", {}).items():
        path = Path(root) / rel
        if not path.is_file() or sha256_file(path) != digest:
            return False
    return True


def write_tables(root: Path, frames: pd.DataFrame, objects: pd.DataFrame) -> dict[str, str]:
    """Atomically write frames.parquet and objects.parquet; return their hashes by file name."""
    hashes = {}
    for name, table in ((FRAMES_TABLE, frames), (OBJECTS_TABLE, objects)):
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        hashes[name] = atomic_write_bytes(Path(root) / name, buf.getvalue())
    return hashes


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Atomically write manifest.json (format name and version are added)."""
    body = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **manifest}
    atomic_write_bytes(Path(root) / MANIFEST, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())


@dataclass
class StimulusSet:
    """A stimulus set opened for reading (see :func:`open_stimulus_set`).

    :ivar root: the set's directory.
    :ivar manifest: the parsed manifest.json.
    :ivar frames: one row per frame (pandas DataFrame, column ``frame_id`` unique).
    :ivar objects: one row per object per frame (``frame_id``, ``object_id``, ...).
    """

    root: Path
    manifest: dict[str, Any]
    frames: pd.DataFrame
    objects: pd.DataFrame
    _frame_index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._frame_index = {fid: i for i, fid in enumerate(self.frames["frame_id"])}

    @property
    def frame_ids(self) -> list[str]:
        """Frame ids in table order."""
        return list(self.frames["frame_id"])

    def _path(self, layer: str, frame_id: str) -> Path:
        if frame_id not in self._frame_index:
            raise StimulusSetError(f"{self.root}: no frame with id {frame_id!r}")
        return layer_path(self.root, layer, frame_id)

    def rgb(self, frame_id: str) -> np.ndarray:
        """RGB image, uint8 (H, W, 3)."""
        return read_layer(self._path("rgb", frame_id))[..., :3]

    def depth(self, frame_id: str) -> np.ndarray:
        """Ground-truth z-depth, float32 metres (H, W); +inf where no surface."""
        return read_layer(self._path("depth", frame_id))

    def instances(self, frame_id: str) -> np.ndarray:
        """Instance mask, integer (H, W): 0 = no object, k = object with ``object_id`` k."""
        return read_layer(self._path("instances", frame_id)).astype(np.int32)

    def semantic(self, frame_id: str) -> np.ndarray:
        """Semantic class ids, uint8 (H, W); see SEMANTIC_CLASSES."""
        return read_layer(self._path("semantic", frame_id))

    def counterfactual_rgb(self, frame_id: str) -> np.ndarray:
        """RGB of the same frame without its objects, uint8 (H, W, 3)."""
        return read_layer(self._path("counterfactual_rgb", frame_id))[..., :3]

    def counterfactual_depth(self, frame_id: str) -> np.ndarray:
        """z-depth of the same frame without its objects, float32 metres (H, W)."""
        return read_layer(self._path("counterfactual_depth", frame_id))

    def camera(self, frame_id: str) -> Camera:
        """The frame's camera (intrinsics and pose) from the frames table."""
        if frame_id not in self._frame_index:
            raise StimulusSetError(f"{self.root}: no frame with id {frame_id!r}")
        row = self.frames.iloc[self._frame_index[frame_id]]
        return Camera(int(row.width), int(row.height), float(row.fx), float(row.fy), float(row.cx),
                      float(row.cy), float(row.camera_height_m), float(row.pitch_deg),
                      float(row.roll_deg))

    def objects_in(self, frame_id: str) -> pd.DataFrame:
        """Rows of the objects table for one frame."""
        return self.objects[self.objects["frame_id"] == frame_id]

    def problems(self, check_hashes: bool = True) -> list[str]:
        """Every file-level problem found, one line each naming the file (empty when intact).

        Checks that each frame of the frames table has its required files, that the objects
        table names only known frames, and (``check_hashes``) that every file the manifest
        lists still has its recorded SHA-256.
        """
        found = []
        files = self.manifest.get("files", {})
        for fid in self.frame_ids:
            for layer in REQUIRED_LAYERS:
                path = layer_path(self.root, layer, fid)
                if not path.is_file():
                    found.append(f"{path}: file is missing")
        unknown = set(self.objects["frame_id"]) - set(self._frame_index)
        for fid in sorted(unknown):
            found.append(f"{self.root / OBJECTS_TABLE}: rows for frame {fid!r}, which is not in {FRAMES_TABLE}")
        if check_hashes:
            for rel, digest in sorted(files.items()):
                path = self.root / rel
                if path.is_file() and sha256_file(path) != digest:
                    found.append(f"{path}: content does not match its hash in {MANIFEST}")
        return found

    def verify(self, check_hashes: bool = True) -> None:
        """Raise StimulusSetError listing every problem (see :meth:`problems`)."""
        found = self.problems(check_hashes)
        if found:
            extra = f"; and {len(found) - 5} more" if len(found) > 5 else ""
            raise StimulusSetError("; ".join(found[:5]) + extra)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise StimulusSetError(f"{path}: file is missing (not a finished stimulus set?)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StimulusSetError(f"{path}: not valid JSON ({exc})") from None


def _read_table(path: Path, required: Iterable[str]) -> pd.DataFrame:
    if not path.is_file():
        raise StimulusSetError(f"{path}: file is missing")
    try:
        table = pd.read_parquet(path)
    except Exception as exc:
        raise StimulusSetError(f"{path}: cannot be read as Parquet ({type(exc).__name__})") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise StimulusSetError(f"{path}: missing column(s) {', '.join(missing)}")
    return table


def open_stimulus_set(path: str | Path) -> StimulusSet:
    """Open a stimulus set directory for reading.

    Reads the manifest and both tables (cheap); per-frame arrays are read on request.
    Raises StimulusSetError (naming the file) when the directory, the manifest or a table is
    missing or unreadable, or the manifest is of another format.
    """
    root = Path(path)
    if not root.is_dir():
        raise StimulusSetError(f"{root}: no such stimulus-set directory")
    manifest = _read_json(root / MANIFEST)
    if manifest.get("format") != FORMAT_NAME:
        raise StimulusSetError(f"{root / MANIFEST}: not a depthprobe stimulus set (format={manifest.get('format')!r})")
    frames = _read_table(root / FRAMES_TABLE, ("frame_id",) + FRAME_CAMERA_COLUMNS)
    objects = _read_table(root / OBJECTS_TABLE, ("frame_id", "object_id"))
    if frames["frame_id"].duplicated().any():
        raise StimulusSetError(f"{root / FRAMES_TABLE}: frame_id values are not unique")
    return StimulusSet(root, manifest, frames, objects)
