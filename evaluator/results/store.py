"""The prediction store: the aligned depth of every frame, so analyses can rerun without the model.

Layout (``OUT/predictions/``, format ``depthprobe-predictions``, version :data:`FORMAT_VERSION`)::

    index.json                 written last: the model record (the four entries summary.json has:
                               ``model``, ``output_kind``, ``model_contract``, ``device``; see
                               :class:`~evaluator.models.loading.ModelRecord`), alignment, dtype,
                               the stimulus set's identity (spec hash, SHA-256 of its frames and
                               objects tables), and the SHA-256 of every prediction file
    depth/<frame_id>.npy       aligned predicted depth, metres, (H, W), float32 (or float16)
    counterfactual/<frame_id>.npy
                               the same for the frame's counterfactual (object removed)

One ``.npy`` per frame (not one big array) so that writing and reading stay at one frame of
memory, frames of different sizes are possible, and the page cache -- not the process -- holds
what was written.  Each file is written to a temporary name and renamed (no fsync per frame:
the files are a cache whose hashes ``index.json`` records, and ``index.json`` is written
atomically and synced, last).  A folder without ``index.json`` is an unfinished run and is
refused for reuse.  float16 halves the size; it keeps 3 significant digits (relative error
<= 2^-11) and depths up to 65504 m, and +inf.

During a run the reference frames' raw (unaligned) outputs are kept in ``.raw/`` between the
alignment fit and the main pass, so that no frame goes through the model twice; ``.raw/`` is
removed when the store is finished.

Versions: 2 records the model as above; 1 (before) held it as one entry ``model`` with ``name``,
``output_kind``, ``contract`` and ``device``.  Both are read (:attr:`StoredPredictions.model_record`).
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.models.loading import ModelRecord
from scenes.errors import DepthprobeError, problems_line
from scenes.formats import FRAMES_TABLE, OBJECTS_TABLE, StimulusSet, layer_limit
from scenes.reading import open_regular, read_json
from scenes.storage import atomic_write_bytes, npy_bytes, sha256_file, sha256_regular, write_unsynced

PREDICTIONS_DIR = "predictions"
INDEX_FILE = "index.json"
FORMAT_NAME = "depthprobe-predictions"
FORMAT_VERSION = 2
#: Index versions this code reads (see the module docstring).
READABLE_VERSIONS = (1, 2)
DTYPES = ("float32", "float16")
KINDS = {"depth": "depth", "counterfactual": "counterfactual"}
RAW_DIR = ".raw"


class PredictionStoreError(DepthprobeError):
    """Stored predictions are missing, unfinished, damaged, or belong to another stimulus set."""


def check_dtype(dtype: str) -> str:
    """``dtype`` if it is one of DTYPES, else :class:`PredictionStoreError`."""
    if dtype not in DTYPES:
        raise PredictionStoreError(f"prediction dtype {dtype!r}: choose one of {', '.join(DTYPES)}")
    return dtype


def set_identity(stimulus_set: StimulusSet) -> dict[str, Any]:
    """What ties predictions to one stimulus set: spec hash and the hashes of its two tables."""
    root = Path(stimulus_set.root)
    return {"path": str(root.resolve()), "spec_hash": stimulus_set.manifest.get("spec_hash"),
            "frames_sha256": sha256_file(root / FRAMES_TABLE), "objects_sha256": sha256_file(root / OBJECTS_TABLE)}


class PredictionWriter:
    """Writes one run's predictions (see the module docstring).

    Creating it removes the folder's ``index.json`` (the folder is unfinished from then on) and
    any prediction files left by an earlier run.

    :param root: the predictions folder (``OUT/predictions``), created if needed.
    :param dtype: ``"float32"`` or ``"float16"``.
    """

    def __init__(self, root: Path, dtype: str = "float32") -> None:
        self.root = Path(root)
        self.dtype = check_dtype(dtype)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / INDEX_FILE).unlink(missing_ok=True)
        for folder in (*KINDS.values(), RAW_DIR):
            shutil.rmtree(self.root / folder, ignore_errors=True)
            (self.root / folder).mkdir()
        self.files: dict[str, str] = {}
        self._raw: set[str] = set()

    def path(self, kind: str, frame_id: str) -> Path:
        return self.root / KINDS[kind] / f"{frame_id}.npy"

    def write(self, kind: str, frame_id: str, depth: np.ndarray) -> None:
        """Store one aligned depth map (``kind`` ``"depth"`` or ``"counterfactual"``)."""
        path = self.path(kind, frame_id)
        digest = write_unsynced(path, npy_bytes(np.asarray(depth, dtype=self.dtype)))
        self.files[path.relative_to(self.root).as_posix()] = digest

    def keep_raw(self, frame_id: str, raw: np.ndarray) -> None:
        """Keep a raw (unaligned) output until :meth:`take_raw` (reference frames)."""
        write_unsynced(self.root / RAW_DIR / f"{frame_id}.npy", npy_bytes(np.asarray(raw, dtype=np.float32)))
        self._raw.add(frame_id)

    def has_raw(self, frame_id: str) -> bool:
        return frame_id in self._raw

    def take_raw(self, frame_id: str) -> np.ndarray:
        """The kept raw output (the file is removed)."""
        path = self.root / RAW_DIR / f"{frame_id}.npy"
        raw = np.load(path, allow_pickle=False)
        path.unlink()
        self._raw.discard(frame_id)
        return raw

    def finish(self, meta: Mapping[str, Any]) -> Path:
        """Write ``index.json`` (meta + file hashes), atomically and last; remove ``.raw/``.

        :param meta: the model record's entries (:meth:`ModelRecord.entries`), ``alignment``,
            ``stimulus_set`` (:func:`set_identity`), ``n_frames``, ``n_counterfactual``.
        """
        shutil.rmtree(self.root / RAW_DIR, ignore_errors=True)
        body = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "dtype": self.dtype, **meta,
                "files": dict(sorted(self.files.items()))}
        text = json.dumps(body, indent=1, sort_keys=False, allow_nan=False) + "\n"
        atomic_write_bytes(self.root / INDEX_FILE, text.encode("utf-8"))
        return self.root / INDEX_FILE


class StoredPredictions:
    """Predictions of a finished run, checked against a stimulus set (see :meth:`open`)."""

    def __init__(self, root: Path, index: dict[str, Any], limits: dict[str, int] | None = None) -> None:
        """:param limits: frame id -> the largest a prediction file of that frame may be, bytes
            (from the set's frame sizes: :meth:`open`); None: not bounded (a store we just wrote)."""
        self.root = Path(root)
        self.index = index
        self.limits = limits or {}

    @classmethod
    def open(cls, root: str | Path, stimulus_set: StimulusSet, check_hashes: bool = True) -> "StoredPredictions":
        """Open ``root`` and check it belongs to ``stimulus_set`` and is whole.

        Checks: ``index.json`` exists (the run finished) and is of this format; the set's spec
        hash and the SHA-256 of its frames and objects tables are the ones the predictions were
        made for; every frame (and every frame with ``has_counterfactual``) has its file; every
        file matches its recorded hash (``check_hashes``).

        :raises PredictionStoreError: one line listing the problems, each naming its file.
        """
        root = Path(root)
        index_path = root / INDEX_FILE
        if not index_path.is_file():
            hint = " (an unfinished run?)" if root.is_dir() else ""
            raise PredictionStoreError(f"{index_path}: no stored predictions{hint}; run evaluate first")
        index = read_json(index_path, PredictionStoreError, "valid predictions index")
        if not isinstance(index, dict) or index.get("format") != FORMAT_NAME:
            raise PredictionStoreError(f"{index_path}: not a depthprobe predictions index")
        if index.get("format_version") not in READABLE_VERSIONS:
            raise PredictionStoreError(f"{index_path}: predictions format_version {index.get('format_version')!r}; "
                                       f"this depthprobe reads {' and '.join(map(str, READABLE_VERSIONS))}")
        limits = {fid: layer_limit("depth", h, w) for fid, (h, w) in stimulus_set.frame_sizes().items()}
        store = cls(root, index, limits)
        try:
            _ = store.model_record  # readable in either version
        except (KeyError, TypeError):
            raise PredictionStoreError(f"{index_path}: damaged index, no complete model record") from None
        problems = store.problems(stimulus_set, check_hashes)
        if problems:
            raise PredictionStoreError(problems_line(problems, " with stored predictions"))
        return store

    @property
    def model_record(self) -> ModelRecord:
        """The record of the model that made these predictions (from an index of either version).

        :raises KeyError, TypeError: the index lacks part of it (refused by :meth:`open`).
        """
        if self.index.get("format_version") == 1:
            old = self.index["model"]
            return ModelRecord(old["name"], old["output_kind"], old["contract"], old.get("device"))
        return ModelRecord.from_entries(self.index)

    def problems(self, stimulus_set: StimulusSet, check_hashes: bool = True) -> list[str]:
        """Every reason these predictions cannot stand for ``stimulus_set`` (empty when none)."""
        found = []
        made_for = self.index.get("stimulus_set", {})
        now = set_identity(stimulus_set)
        for key, what in (("spec_hash", "spec hash"), ("frames_sha256", FRAMES_TABLE), ("objects_sha256", OBJECTS_TABLE)):
            if made_for.get(key) != now[key]:
                found.append(f"{self.root / INDEX_FILE}: made for a stimulus set with another {what} "
                             f"({made_for.get('path')}); evaluate again")
        files = self.index.get("files", {})
        with_cf = stimulus_set.counterfactual_frame_ids
        for fid in stimulus_set.frame_ids:
            for kind in (("depth", "counterfactual") if fid in with_cf else ("depth",)):
                rel = f"{KINDS[kind]}/{fid}.npy"
                path = self.root / rel
                if rel not in files or not path.is_file():
                    found.append(f"{path}: prediction is missing")
                elif check_hashes and self._sha256(path, fid) != files[rel]:
                    found.append(f"{path}: content does not match its hash in {INDEX_FILE}")
        return found

    def _sha256(self, path: Path, frame_id: str) -> str:
        """The file's SHA-256, read only if it is a regular file within its frame's size limit."""
        limit = self.limits.get(frame_id)
        return sha256_file(path) if limit is None else sha256_regular(path, limit, PredictionStoreError)

    def depth(self, frame_id: str, kind: str = "depth", verify: bool = False) -> np.ndarray:
        """The stored aligned depth of a frame as float32 metres.

        :param verify: first check the file against its hash in the index (for a reader that takes
            one frame from a store opened without ``check_hashes``).
        """
        rel = f"{KINDS[kind]}/{frame_id}.npy"
        path = self.root / rel
        if verify and self._sha256(path, frame_id) != self.index.get("files", {}).get(rel):
            raise PredictionStoreError(f"{path}: content does not match its hash in {INDEX_FILE}")
        try:
            with open_regular(path, self.limits.get(frame_id), PredictionStoreError) as handle:
                return np.load(handle, allow_pickle=False).astype(np.float32, copy=False)
        except (OSError, ValueError) as exc:
            raise PredictionStoreError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
