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
from typing import Any, Iterable

import numpy as np
import pandas as pd
from PIL import Image

from scenes.geometry import CAMERA_RECORD_KEYS, Camera
from scenes.errors import StimulusSetError, problems_line
from scenes.storage import (STIMULUS_SET_MARKER, TEMP_SUFFIX, FolderKind, atomic_write_bytes, is_temporary, npy_bytes,
                            parquet_bytes, sha256_file)

FORMAT_NAME = STIMULUS_SET_MARKER.format_name
FORMAT_VERSION = 1
MANIFEST = STIMULUS_SET_MARKER.file
FRAMES_TABLE = "frames.parquet"
OBJECTS_TABLE = "objects.parquet"
PROGRESS = "progress.jsonl"


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
        w, h, fx, fy, cx, cy, height_m, pitch, roll = (row[c] for c in FRAME_CAMERA_COLUMNS)
        return Camera(int(w), int(h), float(fx), float(fy), float(cx), float(cy), float(height_m), float(pitch),
                      float(roll))

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
            raise StimulusSetError(problems_line(found))

    @property
    def canonical_camera(self) -> Camera:
        """The camera the study assumes the network knows (manifest ``canonical_camera``).

        :raises StimulusSetError: the manifest has no complete ``canonical_camera``.
        """
        if self.canonical_camera_problems():
            raise StimulusSetError(f"{self.root / MANIFEST}: no complete canonical_camera")
        return Camera.from_record(self.manifest["canonical_camera"])

    def canonical_camera_problems(self) -> list[str]:
        """Why the manifest's ``canonical_camera`` cannot be read (empty when it can)."""
        cam = self.manifest.get("canonical_camera")
        where = self.root / MANIFEST
        if not isinstance(cam, dict):
            return [f"{where}: no canonical_camera"]
        missing = [k for k in CAMERA_RECORD_KEYS if k not in cam]
        return [f"{where}: canonical_camera lacks {', '.join(missing)}"] if missing else []

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

    def layer_problems(self, frame_ids: Iterable[str] | None = None, layers: Iterable[str] = REQUIRED_LAYERS
                       ) -> list[str]:
        """Decode each layer file and check what it holds (one line per problem, naming the file):
        RGB uint8 (H, W, 3 or 4); depth float32 (H, W) with every value > 0 or +inf (no NaN, no
        zero, no negative; NaN allowed in frames on photos, where background depth is unknown);
        instances an unsigned integer image; semantic uint8; every layer of the frame's size in
        the frames table.  Missing files are left to :meth:`problems`."""
        found = []
        sizes = dict(zip(self.frame_ids, zip(self.frames["height"], self.frames["width"])))
        on_photo = self.photo_frame_ids
        layers = tuple(layers)
        for fid in (self.frame_ids if frame_ids is None else frame_ids):
            for layer in layers:
                path = layer_path(self.root, layer, fid)
                if not path.is_file():
                    continue
                try:
                    array = read_layer(path)
                except StimulusSetError as exc:
                    found.append(str(exc))
                    continue
                problem = layer_content_problem(layer, array, sizes.get(fid), fid in on_photo)
                if problem:
                    found.append(f"{path}: {problem}")
        return found

    def counterfactual_problems(self) -> list[str]:
        """Missing or undecodable counterfactual files of frames that claim to have them (the
        counterfactual layers are optional per frame, so :meth:`problems` does not check them)."""
        found = []
        for fid in sorted(self.counterfactual_frame_ids):
            for layer in COUNTERFACTUAL_LAYERS:
                path = layer_path(self.root, layer, fid)
                if not path.is_file():
                    found.append(f"{path}: file is missing (frame {fid!r} has has_counterfactual true)")
        return found + self.layer_problems(sorted(self.counterfactual_frame_ids), COUNTERFACTUAL_LAYERS)


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
    if not isinstance(manifest, dict):
        raise StimulusSetError(f"{root / MANIFEST}: not a depthprobe stimulus set (a JSON {type(manifest).__name__}, "
                               "not an object)")
    if manifest.get("format") != FORMAT_NAME:
        raise StimulusSetError(f"{root / MANIFEST}: not a depthprobe stimulus set (format={manifest.get('format')!r})")
    frames = _read_table(root / FRAMES_TABLE, ("frame_id",) + FRAME_CAMERA_COLUMNS)
    objects = _read_table(root / OBJECTS_TABLE, ("frame_id", "object_id"))
    if frames["frame_id"].duplicated().any():
        raise StimulusSetError(f"{root / FRAMES_TABLE}: frame_id values are not unique")
    for column in FRAME_CAMERA_COLUMNS:
        values = pd.to_numeric(frames[column], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            raise StimulusSetError(f"{root / FRAMES_TABLE}: column {column} holds values that are not finite numbers")
    return StimulusSet(root, manifest, frames, objects)


#: Entries a stimulus set's folder may hold: its files, its layer folders (and the geometry
#: export), temporary files of unfinished writes, and nothing else.
SET_ENTRIES = frozenset({MANIFEST, FRAMES_TABLE, OBJECTS_TABLE, PROGRESS, GEOMETRY_FOLDER,
                         *(folder.split("/")[0] for folder, _ in LAYERS.values())})


#: Where a stimulus set may be written (:class:`scenes.storage.FolderKind`): recognised by its
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
