"""What a stimulus set must be before anyone reads it: the checks of :func:`open_stimulus_set`.

Every reader (evaluate, verify, export, sheet, the gallery, training, the API) opens a set
through :func:`scenes.formats.stimulus_set.open_stimulus_set`, which runs these checks once, the
same way, before anything else is read:

* the manifest (:func:`read_manifest`): a regular JSON file of at most
  :data:`scenes.reading.MAX_JSON_BYTES`, of this format and version, ``counts`` equal to the
  tables, ``files`` a map of relative paths inside the set to SHA-256 digests, every
  ``canonical_camera`` field a finite number;
* the tables (:func:`read_table`, :func:`table_problems`): regular Parquet files of at most
  :data:`MAX_TABLE_BYTES` with the columns and types readers rely on -- frame ids unique names,
  frame sizes whole numbers in 1 ... :data:`MAX_FRAME_SIDE_PX`, camera columns finite, object rows
  unique per (frame_id, object_id), ``z_true`` finite and > 0 wherever the object is visible;
* the files (:func:`file_problems`): every layer of every frame (and the counterfactual layers of
  the frames that claim them, and the geometry record of every frame of a set with a geometry
  export) listed in the manifest; every listed file present, a regular file no larger than its
  kind allows (a layer: :func:`layer_limit` of its frame's size), and of its recorded SHA-256;
* the layers (:func:`layer_problems`): decoded, of the dtype, shape and range the format says.
"""
from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from scenes.errors import StimulusSetError
from scenes.geometry import CAMERA_RECORD_KEYS
from scenes.reading import open_regular, read_json
from scenes.storage import sha256_regular

if TYPE_CHECKING:
    from scenes.formats.stimulus_set import StimulusSet

#: Largest frames or objects table read (bytes): 1 GiB; a table of MAX_FRAMES (200 000) frames
#: with a hundred objects each is about 0.5 GB of Parquet.
MAX_TABLE_BYTES = 1 << 30
#: Largest geometry-export or other listed file read or hashed (bytes): 512 MiB; a world of a
#: variant with buildings and trees is a few MB of glTF.
MAX_LISTED_FILE_BYTES = 512 << 20
#: Largest frame side (pixels): the spec's camera limit (scenes/spec/schema.py, width <= 8192).
MAX_FRAME_SIDE_PX = 8192
#: Room for a ``.npy`` header and PNG chunks, filters and zlib framing beyond the pixel bytes
#: (bytes); numpy pads its header to 64 bytes, a PNG of ours adds under 0.1 % to its raw rows.
LAYER_OVERHEAD_BYTES = 64 << 10
#: Bytes per pixel of each layer (scenes/formats/stimulus_set.py): RGB(A) 8-bit, instances 16-bit,
#: semantic 8-bit; depth is float32 (4), allowed 8 so that a float64 map is read and named by its
#: dtype (:func:`scenes.formats.stimulus_set.layer_content_problem`) rather than by its size.
LAYER_PIXEL_BYTES = {"rgb": 4, "depth": 8, "instances": 2, "semantic": 1}
#: Length of a hex SHA-256 digest.
SHA256_HEX_CHARS = 64


def layer_limit(layer: str, height: int, width: int) -> int:
    """Largest size (bytes) a layer file of a ``height`` x ``width`` frame may have: its pixel
    bytes, one filter byte a row, 1 % and :data:`LAYER_OVERHEAD_BYTES` (PNG never grows more)."""
    raw = int(height) * (int(width) * LAYER_PIXEL_BYTES[layer.removeprefix("counterfactual_")] + 1)
    return raw + raw // 100 + LAYER_OVERHEAD_BYTES


def is_inside(rel: str) -> bool:
    """True for a relative POSIX path that stays inside the set (no ``..``, not absolute, no NUL)."""
    path = PurePosixPath(rel)
    return bool(rel) and "\x00" not in rel and not path.is_absolute() and ".." not in path.parts


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_manifest(path: Path, format_name: str, format_version: int) -> dict[str, Any]:
    """The manifest at ``path``, checked (module docstring) except the counts (:func:`table_problems`).

    :raises StimulusSetError: one line naming the file and what is wrong.
    """
    if not path.exists() and not path.is_symlink():
        raise StimulusSetError(f"{path}: file is missing (not a finished stimulus set?)")
    manifest = read_json(path, StimulusSetError, "valid stimulus-set manifest")
    if not isinstance(manifest, dict):
        raise StimulusSetError(f"{path}: not a depthprobe stimulus set (a JSON {type(manifest).__name__}, not an object)")
    if manifest.get("format") != format_name:
        raise StimulusSetError(f"{path}: not a depthprobe stimulus set (format={manifest.get('format')!r})")
    if manifest.get("format_version") != format_version:
        raise StimulusSetError(f"{path}: stimulus-set format_version {manifest.get('format_version')!r}; this "
                               f"depthprobe reads version {format_version} (use the depthprobe that wrote it)")
    files = manifest.get("files", {})
    if not isinstance(files, dict):
        raise StimulusSetError(f"{path}: files is a {type(files).__name__}, not a map of paths to SHA-256 digests")
    bad = next((rel for rel, digest in files.items() if not is_inside(rel) or not isinstance(digest, str)
                or len(digest) != SHA256_HEX_CHARS), None)
    if bad is not None:
        raise StimulusSetError(f"{path}: files entry {bad[:80]!r} is not a path inside the set with a SHA-256 digest")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(counts.get(k), int) and not isinstance(counts.get(k), bool)
                                               for k in ("frames", "objects")):
        raise StimulusSetError(f"{path}: counts must give whole numbers of frames and objects (got {counts!r:.80})")
    cam = manifest.get("canonical_camera")
    if isinstance(cam, dict):
        wrong = [k for k in CAMERA_RECORD_KEYS if k in cam and not _number(cam[k])]
        if wrong:
            raise StimulusSetError(f"{path}: canonical_camera {', '.join(wrong)} not a finite number "
                                   f"(got {cam[wrong[0]]!r:.40})")
    return manifest


def canonical_camera_problems(manifest: dict[str, Any], where: Path) -> list[str]:
    """Why the manifest's ``canonical_camera`` cannot be read (empty when it can)."""
    cam = manifest.get("canonical_camera")
    if not isinstance(cam, dict):
        return [f"{where}: no canonical_camera"]
    missing = [k for k in CAMERA_RECORD_KEYS if k not in cam]
    return [f"{where}: canonical_camera lacks {', '.join(missing)}"] if missing else []


def read_table(path: Path, required: Iterable[str]) -> pd.DataFrame:
    """A set's Parquet table: a regular file of at most :data:`MAX_TABLE_BYTES` with ``required`` columns."""
    if not path.exists() and not path.is_symlink():
        raise StimulusSetError(f"{path}: file is missing")
    try:
        with open_regular(path, MAX_TABLE_BYTES, StimulusSetError) as handle:
            table = pd.read_parquet(handle)
    except StimulusSetError:
        raise
    except Exception as exc:
        raise StimulusSetError(f"{path}: cannot be read as Parquet ({type(exc).__name__})") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise StimulusSetError(f"{path}: missing column(s) {', '.join(missing)}")
    return table


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    """The column as float64 (NaN where a value is no number; booleans are no numbers)."""
    if pd.api.types.is_bool_dtype(table[column]):
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)


def table_problems(frames_path: Path, objects_path: Path, frames: pd.DataFrame, objects: pd.DataFrame,
                   camera_columns: Iterable[str]) -> list[str]:
    """What is wrong with the tables' content (module docstring), one line each naming the table."""
    found = []
    ids = frames["frame_id"]
    if not all(isinstance(fid, str) and is_inside(fid) and "/" not in fid for fid in ids):
        found.append(f"{frames_path}: frame_id values must be names without '/' or '..'")
    elif ids.duplicated().any():
        found.append(f"{frames_path}: frame_id values are not unique")
    for column in camera_columns:
        values = _numbers(frames, column)
        if not np.all(np.isfinite(values)):
            found.append(f"{frames_path}: column {column} holds values that are not finite numbers")
        elif column in ("width", "height") and not np.all((values >= 1) & (values <= MAX_FRAME_SIDE_PX)
                                                          & (values == np.round(values))):
            found.append(f"{frames_path}: column {column} holds sizes that are not whole numbers of 1 ... "
                         f"{MAX_FRAME_SIDE_PX} px")
    object_ids = _numbers(objects, "object_id")
    if not np.all(np.isfinite(object_ids) & (object_ids >= 1) & (object_ids == np.round(object_ids))):
        found.append(f"{objects_path}: object_id values must be whole numbers >= 1")
    elif objects.duplicated(["frame_id", "object_id"]).any():
        row = objects[objects.duplicated(["frame_id", "object_id"])].iloc[0]
        found.append(f"{objects_path}: object {row['object_id']} of frame {row['frame_id']!r} has more than one row")
    unknown = set(objects["frame_id"]) - set(ids)
    found += [f"{objects_path}: rows for frame {fid!r}, which is not in {frames_path.name}" for fid in sorted(map(str, unknown))]
    return found + _object_value_problems(objects_path, objects)


def _object_value_problems(objects_path: Path, objects: pd.DataFrame) -> list[str]:
    """``z_true`` finite and > 0 wherever the object is visible (``visible_px`` > 0; every row
    when the column is absent); the cue columns numbers or NaN (an object without the cue)."""
    found = []
    if "z_true" in objects:
        z = _numbers(objects, "z_true")
        visible = _numbers(objects, "visible_px") > 0 if "visible_px" in objects else np.ones(len(z), bool)
        bad = (visible & ~(np.isfinite(z) & (z > 0))) | (np.isfinite(z) & (z <= 0))
        if bad.any():
            found.append(f"{objects_path}: z_true of {int(bad.sum())} visible object(s) is not a finite number > 0")
    for column in ("z_vertical", "z_size", "visible_px"):
        if column in objects and (pd.api.types.is_bool_dtype(objects[column]) or
                                  pd.to_numeric(objects[column], errors="coerce").isna().sum()
                                  > objects[column].isna().sum()):
            found.append(f"{objects_path}: column {column} holds values that are not numbers")
    return found


def _needed_files(stimulus_set: "StimulusSet") -> dict[str, tuple[int, str]]:
    """Relative path -> (size limit in bytes, what a missing one is told) of every file the set's
    frames need: their layers, counterfactual layers where claimed, geometry records where the set
    has a geometry export."""
    from scenes.formats.geometry import frame_path
    from scenes.formats.stimulus_set import COUNTERFACTUAL_LAYERS, GEOMETRY_FOLDER, REQUIRED_LAYERS, layer_path

    root, files = stimulus_set.root, stimulus_set.manifest.get("files", {})
    has_export = (root / GEOMETRY_FOLDER).is_dir() or any(rel.startswith(f"{GEOMETRY_FOLDER}/") for rel in files)
    counterfactual = stimulus_set.counterfactual_frame_ids
    needed = {}
    for fid, (height, width) in stimulus_set.frame_sizes().items():
        claims = f" (frame {fid!r} has has_counterfactual true)"
        for layer in REQUIRED_LAYERS + (COUNTERFACTUAL_LAYERS if fid in counterfactual else ()):
            rel = layer_path(root, layer, fid).relative_to(root).as_posix()
            needed[rel] = (layer_limit(layer, height, width), claims if layer in COUNTERFACTUAL_LAYERS else "")
        if has_export:
            needed[frame_path(fid)] = (MAX_LISTED_FILE_BYTES, " (the set has a geometry export)")
    return needed


def file_problems(stimulus_set: "StimulusSet", check_hashes: bool = True) -> list[str]:
    """Files needed but missing or not listed in the manifest; listed files missing, not regular,
    too large, or (``check_hashes``) not of their SHA-256 (module docstring), one line each."""
    from scenes.formats.stimulus_set import FRAMES_TABLE, MANIFEST, OBJECTS_TABLE

    root, files = stimulus_set.root, stimulus_set.manifest.get("files", {})
    found, reported = [], set()
    needed = _needed_files(stimulus_set)
    for rel, (_, why) in needed.items():
        path = root / rel
        if not path.exists() and not path.is_symlink():
            found.append(f"{path}: file is missing{why}")
            reported.add(rel)
        elif rel not in files:
            found.append(f"{path}: not listed in {MANIFEST} (its content cannot be checked)")
    for rel, digest in sorted(files.items()):
        path = root / rel
        if rel in reported:
            continue
        if not path.exists() and not path.is_symlink():
            found.append(f"{path}: file is missing (listed in {MANIFEST})")
            continue
        if not check_hashes:
            continue
        limit = needed[rel][0] if rel in needed else (
            MAX_TABLE_BYTES if rel in (FRAMES_TABLE, OBJECTS_TABLE) else MAX_LISTED_FILE_BYTES)
        try:
            if sha256_regular(path, limit, StimulusSetError) != digest:
                found.append(f"{path}: content does not match its hash in {MANIFEST}")
        except StimulusSetError as exc:
            found.append(str(exc))
    return found


def layer_problems(stimulus_set: "StimulusSet", frame_ids: Iterable[str] | None = None,
                   layers: Iterable[str] | None = None) -> list[str]:
    """Decode each layer file (default: every frame's required layers and the counterfactual
    layers of the frames that claim them) and check what it holds (one line per problem, naming
    the file): RGB uint8 (H, W, 3 or 4); depth float32 (H, W) with every value > 0 or +inf (NaN
    allowed in frames on photos, where background depth is unknown); instances an unsigned
    integer image; semantic uint8; every layer of the frame's size.  Missing files are left to
    :func:`file_problems`."""
    from scenes.formats.stimulus_set import (COUNTERFACTUAL_LAYERS, REQUIRED_LAYERS, layer_content_problem,
                                             layer_path, read_layer)

    found = []
    sizes, on_photo = stimulus_set.frame_sizes(), stimulus_set.photo_frame_ids
    counterfactual = stimulus_set.counterfactual_frame_ids
    for fid in (stimulus_set.frame_ids if frame_ids is None else frame_ids):
        chosen = layers if layers is not None else REQUIRED_LAYERS + (
            COUNTERFACTUAL_LAYERS if fid in counterfactual else ())
        for layer in chosen:
            path = layer_path(stimulus_set.root, layer, fid)
            if not path.is_file():
                continue
            try:
                array = read_layer(path, layer_limit(layer, *sizes[fid]), sizes[fid])
            except StimulusSetError as exc:
                found.append(str(exc))
                continue
            problem = layer_content_problem(layer, array, sizes[fid], fid in on_photo)
            if problem:
                found.append(f"{path}: {problem}")
    return found


def set_problems(stimulus_set: "StimulusSet", check_hashes: bool = True) -> list[str]:
    """Every problem of an opened set's files (:func:`file_problems`, then the layers of the
    intact ones, :func:`layer_problems`) and its canonical camera, one line each."""
    from scenes.formats.stimulus_set import MANIFEST

    found = file_problems(stimulus_set, check_hashes)
    found += canonical_camera_problems(stimulus_set.manifest, stimulus_set.root / MANIFEST)
    if not found:
        found = layer_problems(stimulus_set)
    return found
