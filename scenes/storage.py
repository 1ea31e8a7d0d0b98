"""The one I/O layer of depthprobe: atomic and cache writes, SHA-256, Parquet, JSON and .npy bytes.

Every format (the stimulus set, the prediction store, the results folder, model cards and
figures) writes through these functions, so the guarantees are the same everywhere:

* :func:`atomic_write_bytes` -- temporary file in the same folder, flushed and ``fsync``-ed,
  then renamed over the final name (POSIX ``rename`` is atomic within a file system): a killed
  run never leaves a partial file under a final name;
* :func:`write_unsynced` -- the same without ``fsync``, for caches whose hashes a synced index
  records (one fsync per prediction map would cost more than the model on a laptop disk);
* :func:`atomic_write_with` -- for writers that want a path (matplotlib's ``savefig``,
  safetensors): they write the temporary path, which is then renamed.

Temporary files are named ``.<name>.<random>.tmp`` so that a resumed run can find them.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Bytes read at a time when hashing a file (1 MiB: large enough that Python's per-call cost
#: vanishes, small enough to stay in cache).
HASH_CHUNK_BYTES = 1 << 20
TEMP_SUFFIX = ".tmp"


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's content, read in :data:`HASH_CHUNK_BYTES` chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _temporary(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)


def _write(path: Path, data: bytes, sync: bool) -> str:
    fd, tmp = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha256_bytes(data)


def atomic_write_bytes(path: str | Path, data: bytes) -> str:
    """Write ``data`` to ``path`` via a synced temporary file and rename; return its SHA-256.

    The parent folder is created when missing.
    """
    return _write(Path(path), data, sync=True)


def write_unsynced(path: str | Path, data: bytes) -> str:
    """As :func:`atomic_write_bytes` without ``fsync`` (for caches an index hashes); SHA-256."""
    return _write(Path(path), data, sync=False)


def atomic_write_with(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and rename ``tmp_path`` to ``path`` (for path-taking writers)."""
    path = Path(path)
    fd, tmp = _temporary(path)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """A DataFrame as Parquet bytes (no index column)."""
    buf = io.BytesIO()
    table.to_parquet(buf, index=False)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    """An array as ``.npy`` bytes (no pickle)."""
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars made Python and NaN/inf made None (JSON has neither)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_bytes(value: Any, indent: int = 2, sort_keys: bool = False) -> bytes:
    """``value`` as UTF-8 JSON text ending in a newline; NaN/inf become null (:func:`json_safe`)."""
    text = json.dumps(json_safe(value), indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
