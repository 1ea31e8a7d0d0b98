"""The stimulus set on disk: the contract between the generator and the evaluator.

A stimulus set is a directory a person can browse and any tool can read::

    SET/
      manifest.json               resolved spec, hashes, versions, camera, counts, file hashes
      frames.parquet              one row per frame (factor levels, camera pose, horizon)
      objects.parquet             one row per object per frame (factors, ground truth, cues)
      rgb/<frame_id>.png          8-bit RGB
      depth/<frame_id>.npy        float32 z-depth in metres, +inf where no surface (sky); in
                                  frames on photos NaN where the photo's depth is unknown
      instances/<frame_id>.png    16-bit; 0 = no object, k = the object with object_id k
      semantic/<frame_id>.png     8-bit class ids, see SEMANTIC_CLASSES
      counterfactual/rgb/<frame_id>.png, counterfactual/depth/<frame_id>.npy
                                  the same frame without its objects, where the spec asks
      geometry/<variant>.glb      the geometry export (scenes/formats/geometry.py): what was
      geometry/meshes/<mesh>-<sha>.glb   rendered, read back from the Blender scene -- the static
      geometry/frames/<frame_id>.json    world of each variant (glTF, world coordinates, nodes
                                  "<class>:<instance>:<object>"), each placed object's mesh, and
                                  per frame the objects' instance ids and 4x4 transforms and the
                                  camera (K, size, world-to-camera); ``depthprobe verify``
                                  re-casts the layers from it (scenes/raycast/verify.py)
      progress.jsonl              one line per finished frame (used by --resume)

Every file is written atomically (temporary file in the same folder, then rename), so a
killed run never leaves a partial file under a final name.  The manifest hashes every file,
the geometry export's too.
"""
from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from scenes.geometry import Camera
from scenes.errors import StimulusSetError, first_line, problems_line
from scenes.reading import open_regular, read_bounded
from scenes.storage import TEMP_SUFFIX, atomic_write_bytes, is_temporary, npy_bytes, parquet_bytes, sha256_file
from scenes.outputs import STIMULUS_SET_MARKER, FolderKind

FORMAT_NAME = STIMULUS_SET_MARKER.format_name
FORMAT_VERSION = 1
MANIFEST = STIMULUS_SET_MARKER.file
FRAMES_TABLE = "frames.parquet"
OBJECTS_TABLE = "objects.parquet"
PROGRESS = "progress.jsonl"
#: Largest progress log read back (--resume): a record of a few hundred bytes to about 4 KiB
#: (files and hashes of a frame with counterfactuals) for each of at most scenes.design.MAX_FRAMES
#: (200,000) frames stays below 1 GiB.
MAX_PROGRESS_BYTES = 1 << 30


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
COUNTERFACTUAL_LAYERS = ("counterfactual_rgb", "counterfactual_depth")
#: Folder of the geometry export (its file names: scenes/formats/geometry.py).
GEOMETRY_FOLDER = "geometry"

FRAME_CAMERA_COLUMNS = ("width", "height", "fx", "fy", "cx", "cy", "camera_height_m",
                        "pitch_deg", "roll_deg")


def layer_path(root: Path | str, layer: str, frame_id: str) -> Path:
    """Path of one per-frame file, e.g. ``layer_path(root, "depth", "f1")`` -> root/depth/f1.npy."""
    folder, suffix = LAYERS[layer]
    return Path(root) / folder / f"{frame_id}{suffix}"


def encode_layer(layer: str, array: np.ndarray) -> bytes:
    """Encode one per-frame array to the bytes of its file format (PNG or .npy)."""
    if LAYERS[layer][1] == ".npy":
        return npy_bytes(np.asarray(array, dtype=np.float32))
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


def read_layer(path: Path, limit: int | None = None, size: tuple[int, int] | None = None) -> np.ndarray:
    """Read one per-frame file; raise StimulusSetError naming the file if it is missing or bad.

    :param limit: largest file size accepted, bytes (:func:`scenes.formats.set_checks.layer_limit`;
        None: any); a regular file only (no device, pipe or folder).
    :param size: the frame's (height, width) px: a PNG declaring another size is refused before
        its pixels are decoded (a decompression bomb is never unpacked).
    """
    if not path.exists() and not path.is_symlink():
        raise StimulusSetError(f"{path}: file is missing")
    with open_regular(path, limit, StimulusSetError) as handle:
        try:
            if path.suffix == ".npy":
                return np.load(handle, allow_pickle=False)
            with Image.open(handle) as image:
                if size is not None and (image.height, image.width) != (int(size[0]), int(size[1])):
                    raise ValueError(f"{image.width}x{image.height} px but the frames table says {size[1]}x{size[0]}")
                image.load()
                return np.asarray(image)
        except Exception as exc:  # any decoder error means the file is damaged
            raise StimulusSetError(f"{path}: cannot be read ({type(exc).__name__}: {first_line(exc)})") from None


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
    if not os.path.lexists(path):
        return records
    text = read_bounded(path, MAX_PROGRESS_BYTES, StimulusSetError).decode("utf-8", errors="replace")
    for line in text.splitlines():
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
        hashes[name] = atomic_write_bytes(Path(root) / name, parquet_bytes(table))
    return hashes


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Atomically write manifest.json (format name and version are added)."""
    body = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **manifest}
    atomic_write_bytes(Path(root) / MANIFEST, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())


def layer_content_problem(layer: str, array: np.ndarray, size: tuple[int, int] | None,
                          unknown_depth: bool = False) -> str | None:
    """What is wrong with a decoded layer (None when it is what the format says; see the module
    docstring), e.g. ``"depth has dtype int16, expected float32"``.

    :param size: the frame's (height, width) in pixels from the frames table, if known.
    :param unknown_depth: NaN depth is allowed (a frame on a photo: background depth unknown).
    """
    base = layer.removeprefix("counterfactual_")
    if base == "rgb":
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
            return f"RGB is {array.dtype} of shape {array.shape}, expected uint8 (H, W, 3)"
    elif base == "depth":
        if array.dtype != np.float32 or array.ndim != 2:
            return f"depth is {array.dtype} of shape {array.shape}, expected float32 (H, W) metres"
        bad = ~((array > 0) & ~np.isneginf(array))  # NaN, zero, negative or -inf
        if unknown_depth:
            bad &= ~np.isnan(array)
        if bad.any():
            return f"depth has {int(bad.sum())} value(s) that are not > 0 or +inf (NaN, zero or negative)"
    elif array.ndim != 2 or not np.issubdtype(array.dtype, np.unsignedinteger) or \
            (base == "semantic" and array.dtype != np.uint8):
        return f"{base} is {array.dtype} of shape {array.shape}, expected {'uint8' if base == 'semantic' else 'uint16'} (H, W)"
    if size is not None and tuple(array.shape[:2]) != (int(size[0]), int(size[1])):
        return f"{base} is {array.shape[1]}x{array.shape[0]} px but the frames table says {size[1]}x{size[0]}"
    return None


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

    def _read(self, layer: str, frame_id: str) -> np.ndarray:
        """One layer of a frame, read within its size limit (:func:`read_layer`)."""
        from scenes.formats.set_checks import layer_limit

        if frame_id not in self._frame_index:
            raise StimulusSetError(f"{self.root}: no frame with id {frame_id!r}")
        size = self.frame_sizes()[frame_id]
        return read_layer(layer_path(self.root, layer, frame_id), layer_limit(layer, *size), size)

    def frame_sizes(self) -> dict[str, tuple[int, int]]:
        """Frame id -> (height, width) in pixels, from the frames table."""
        return {fid: (int(h), int(w)) for fid, h, w in zip(self.frame_ids, self.frames["height"], self.frames["width"])}

    def rgb(self, frame_id: str) -> np.ndarray:
        """RGB image, uint8 (H, W, 3)."""
        return self._read("rgb", frame_id)[..., :3]

    def depth(self, frame_id: str) -> np.ndarray:
        """Ground-truth z-depth, float32 metres (H, W); +inf where no surface."""
        return self._read("depth", frame_id)

    def instances(self, frame_id: str) -> np.ndarray:
        """Instance mask, integer (H, W): 0 = no object, k = object with ``object_id`` k."""
        return self._read("instances", frame_id).astype(np.int32)

    def semantic(self, frame_id: str) -> np.ndarray:
        """Semantic class ids, uint8 (H, W); see SEMANTIC_CLASSES."""
        return self._read("semantic", frame_id)

    def counterfactual_rgb(self, frame_id: str) -> np.ndarray:
        """RGB of the same frame without its objects, uint8 (H, W, 3)."""
        return self._read("counterfactual_rgb", frame_id)[..., :3]

    def counterfactual_depth(self, frame_id: str) -> np.ndarray:
        """z-depth of the same frame without its objects, float32 metres (H, W)."""
        return self._read("counterfactual_depth", frame_id)

    def camera(self, frame_id: str) -> Camera:
        """The frame's camera (intrinsics and pose) from the frames table."""
        if frame_id not in self._frame_index:
            raise StimulusSetError(f"{self.root}: no frame with id {frame_id!r}")
        row = self.frames.iloc[self._frame_index[frame_id]]
        w, h, fx, fy, cx, cy, height_m, pitch, roll = (row[c] for c in FRAME_CAMERA_COLUMNS)
        return Camera(int(w), int(h), float(fx), float(fy), float(cx), float(cy), float(height_m), float(pitch),
                      float(roll))

    def objects_in(self, frame_id: str) -> pd.DataFrame:
        """Rows of the objects table for one frame."""
        return self.objects[self.objects["frame_id"] == frame_id]

    def problems(self, check_hashes: bool = True) -> list[str]:
        """Every problem of the set's files and layers, one line each naming the file (empty when
        intact): :func:`scenes.formats.set_checks.set_problems`, which :func:`open_stimulus_set` runs."""
        from scenes.formats.set_checks import set_problems

        return set_problems(self, check_hashes)

    def verify(self, check_hashes: bool = True) -> None:
        """Raise StimulusSetError listing every problem (see :meth:`problems`)."""
        found = self.problems(check_hashes)
        if found:
            raise StimulusSetError(problems_line(found))

    @property
    def canonical_camera(self) -> Camera:
        """The camera the study assumes the network knows (manifest ``canonical_camera``).

        :raises StimulusSetError: the manifest has no complete ``canonical_camera``.
        """
        from scenes.formats.set_checks import canonical_camera_problems

        if canonical_camera_problems(self.manifest, self.root / MANIFEST):
            raise StimulusSetError(f"{self.root / MANIFEST}: no complete canonical_camera")
        return Camera.from_record(self.manifest["canonical_camera"])

    def cameras(self) -> dict[str, Camera]:
        """Every frame's camera, as :meth:`camera` builds it, in one pass over the frames table."""
        columns = self.frames[list(FRAME_CAMERA_COLUMNS)].to_numpy(dtype=float)
        return {fid: Camera(int(w), int(h), fx, fy, cx, cy, height_m, pitch, roll)
                for fid, (w, h, fx, fy, cx, cy, height_m, pitch, roll) in zip(self.frame_ids, columns)}

    def _flagged(self, column: str) -> list[str]:
        """Ids of frames whose boolean ``column`` is true (none when the column is absent)."""
        if column not in self.frames.columns:
            return []
        return list(self.frames.loc[self.frames[column].fillna(False).astype(bool), "frame_id"])

    @property
    def reference_frame_ids(self) -> list[str]:
        """Ids of the reference frames (``is_reference``: canonical camera, no manipulation), in
        table order; the alignment of relative-depth models is fitted on them."""
        return self._flagged("is_reference")

    @property
    def counterfactual_frame_ids(self) -> frozenset[str]:
        """Ids of the frames that have a counterfactual (``has_counterfactual``: the same scene
        rendered without its objects)."""
        return frozenset(self._flagged("has_counterfactual"))

    @cached_property
    def photo_frame_ids(self) -> frozenset[str]:
        """Ids of the frames rendered into a photograph (world.background: a ``photo_id``)."""
        if "photo_id" not in self.frames:
            return frozenset()
        photo = self.frames["photo_id"]
        return frozenset(fid for fid, p in zip(self.frames["frame_id"], photo) if isinstance(p, str) and p)

    @property
    def frames_with_objects(self) -> list[str]:
        """Ids of frames with at least one row in the objects table, in frames-table order."""
        has = set(self.objects["frame_id"])
        return [fid for fid in self.frame_ids if fid in has]


def open_stimulus_set(path: str | Path, check_files: bool = True) -> StimulusSet:
    """Open a stimulus set for reading: the one checked way every reader opens one.

    Reads and checks the manifest and both tables (:mod:`scenes.formats.set_checks`: format and
    version, counts, columns and types, unique rows, true distances, canonical camera), then
    (``check_files``) every file: each frame's layers listed, present, within their size and of
    their SHA-256, decoded and of the dtype, size and range the format says; the geometry
    export's files listed and present.  Per-frame arrays are then read on request.

    :param check_files: False only for a set this process has just written and checked.
    :raises StimulusSetError: one line naming the file(s) and what is wrong.
    """
    from scenes.formats.set_checks import read_manifest, read_table, table_problems

    root = Path(path)
    if not root.is_dir():
        raise StimulusSetError(f"{root}: no such stimulus-set directory")
    manifest = read_manifest(root / MANIFEST, FORMAT_NAME, FORMAT_VERSION)
    frames = read_table(root / FRAMES_TABLE, ("frame_id",) + FRAME_CAMERA_COLUMNS)
    objects = read_table(root / OBJECTS_TABLE, ("frame_id", "object_id"))
    found = table_problems(root / FRAMES_TABLE, root / OBJECTS_TABLE, frames, objects, FRAME_CAMERA_COLUMNS)
    counts = manifest["counts"]
    if (counts["frames"], counts["objects"]) != (len(frames), len(objects)):
        found.append(f"{root / MANIFEST}: counts say {counts['frames']} frames and {counts['objects']} objects, the "
                     f"tables hold {len(frames)} and {len(objects)}")
    if found:
        raise StimulusSetError(problems_line(found))
    stimulus_set = StimulusSet(root, manifest, frames, objects)
    if check_files:
        stimulus_set.verify()
    return stimulus_set


#: Entries a stimulus set's folder may hold: its files, its layer folders (and the geometry
#: export), temporary files of unfinished writes, and nothing else.
SET_ENTRIES = frozenset({MANIFEST, FRAMES_TABLE, OBJECTS_TABLE, PROGRESS, GEOMETRY_FOLDER,
                         *(folder.split("/")[0] for folder, _ in LAYERS.values())})


#: Where a stimulus set may be written (:class:`scenes.outputs.FolderKind`): recognised by its
#: manifest, or while unfinished by its progress records.
SET_OUTPUT = FolderKind("a stimulus set", STIMULUS_SET_MARKER, SET_ENTRIES, StimulusSetError, unfinished=(PROGRESS,),
                        hint="choose a new or empty folder, or pass --resume to continue a set of ours")


def manifest_of(folder: str | Path) -> dict[str, Any] | None:
    """The parsed manifest of ``folder`` if it is a stimulus set of ours (any version), else None."""
    return STIMULUS_SET_MARKER.read(folder)


def check_set_target(out: str | Path, spec_hash: str, resume: bool) -> None:
    """Raise :class:`StimulusSetError` (one line) unless ``generate`` may write a set of the spec
    with ``spec_hash`` into ``out``: the rule of :data:`SET_OUTPUT` (a new path, an empty folder,
    or a set of ours holding nothing but its own files; never inside a stimulus set or results
    folder), and for a set of ours, ``resume`` and that very spec."""
    target = SET_OUTPUT.check(out)
    if not target.earlier:
        return
    if not resume:
        raise StimulusSetError(f"--out {out}: folder is not empty; pass --resume to continue it or choose another folder")
    if target.record and target.record.get("spec_hash") != spec_hash:
        raise StimulusSetError(f"--out {out}: holds a stimulus set of another spec (hash "
                               f"{str(target.record.get('spec_hash'))[:12]}, not {spec_hash[:12]}); choose another folder")


def remove_temporaries(root: Path) -> int:
    """Delete the temporary files that killed writes left in a set's own folders (the root and
    the layer folders; only names of the storage layer's pattern); returns how many."""
    root = Path(root)
    candidates = [root.glob(".*" + TEMP_SUFFIX),
                  *((root / name).rglob(".*" + TEMP_SUFFIX) for name in SET_ENTRIES if (root / name).is_dir())]
    removed = 0
    for found in candidates:
        for path in found:
            if path.is_file() and is_temporary(path):
                path.unlink(missing_ok=True)
                removed += 1
    return removed
