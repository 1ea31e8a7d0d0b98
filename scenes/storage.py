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

Temporary files are named ``.<name>.depthprobe-<8 random>.tmp`` so that a resumed run can find
them and tell them from a user's hidden ``.draft.v2.tmp`` (:func:`is_temporary`; the names of
older versions, ``.<name>.<8 random>.tmp``, are still recognised).
Files get the mode a plain ``open`` would give them (0666 less the umask), not mkstemp's 0600.
A full disk (or any other OS error while writing) is a one-line :class:`StorageError` naming the
file; the temporary file is removed, so nothing half-written remains under a final name.

The one output rule -- may a command write here (:class:`FolderKind`, :func:`check_file_target`),
the writer lock (:class:`WriterLock`), staged outputs (:class:`StagedOutput`) -- lives in
scenes/outputs.py, which builds on this module.
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from scenes.errors import DepthprobeError
from scenes.reading import open_regular, read_json

#: Bytes read at a time when hashing a file (1 MiB: large enough that Python's per-call cost
#: vanishes, small enough to stay in cache).
HASH_CHUNK_BYTES = 1 << 20
TEMP_SUFFIX = ".tmp"
#: Mode of a new file before the umask (what ``open(path, "w")`` uses).
FILE_MODE = 0o666
#: The infix of every name depthprobe makes beside or inside an output (temporary files,
#: staging folders, locks: scenes/outputs.py), so that a user's hidden file is never taken for ours.
OWN_INFIX = "depthprobe-"
#: The random part of a name from :mod:`tempfile` (8 of ``[a-z0-9_]``, its ``_RandomNameSequence``).
RANDOM_NAME = "[a-z0-9_]{8}"
#: A temporary file of this version or an older one (without the infix).
TEMPORARY_NAME = re.compile(rf"\..+\.(?:{OWN_INFIX})?{RANDOM_NAME}{re.escape(TEMP_SUFFIX)}")


class StorageError(DepthprobeError):
    """A file cannot be written (disk full, permission, ...) or an output is owned by another writer."""


def current_umask() -> int:
    """The process's umask, read without changing it (Linux ``/proc``; elsewhere the classic
    set-and-restore, which is safe here because depthprobe creates no files from other threads
    meanwhile)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _sha256_of(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(HASH_CHUNK_BYTES), b""):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's content (one depthprobe wrote), read in :data:`HASH_CHUNK_BYTES` chunks."""
    with open(path, "rb") as f:
        return _sha256_of(f)


def sha256_regular(path: str | Path, limit: int, error: type[DepthprobeError]) -> str:
    """Hex SHA-256 of a file someone handed us: a regular file of at most ``limit`` bytes
    (:func:`scenes.reading.open_regular`), else ``error`` (one line) before a byte is read."""
    with open_regular(path, limit, error) as f:
        return _sha256_of(f)


def _temporary(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{OWN_INFIX}", suffix=TEMP_SUFFIX)


def _write(path: Path, data: bytes, sync: bool) -> str:
    try:
        fd, tmp = _temporary(path)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        _publish(tmp, path)
    except BaseException as exc:
        _discard(tmp, path, exc)
    return sha256_bytes(data)


def _publish(tmp: str, path: Path) -> None:
    """Give the finished temporary file the umask's mode and rename it to its final name."""
    os.chmod(tmp, FILE_MODE & ~current_umask())
    os.replace(tmp, path)


def _discard(tmp: str, path: Path, exc: BaseException) -> None:
    """Remove the temporary file of a failed write and raise: an OS error as one line."""
    Path(tmp).unlink(missing_ok=True)
    if isinstance(exc, OSError):
        raise cannot_write(path, exc) from None
    raise exc


def cannot_write(path: str | Path, exc: OSError) -> StorageError:
    """The one-line error of an OS error while writing or claiming ``path`` (full disk,
    permission, a read-only or special file system such as ``/proc``)."""
    return StorageError(f"{path}: cannot be written ({_os_reason(exc)})")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device; free some and run the command again (finished work is kept)"
    return exc.strerror or type(exc).__name__


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
    try:
        fd, tmp = _temporary(path)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    os.close(fd)
    try:
        write(Path(tmp))
        _publish(tmp, path)
    except BaseException as exc:
        _discard(tmp, path, exc)


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


def read_format_file(path: str | Path, format_name: str) -> dict[str, Any] | None:
    """The parsed JSON object at ``path`` if it declares ``"format": format_name`` (a manifest,
    summary or marker of ours, any version), else None: missing, unreadable, not JSON, not an
    object, or another format -- the one test of "is this file ours"."""
    try:
        data = read_json(path, DepthprobeError)  # bounded: size, depth, a regular file
    except DepthprobeError:
        return None
    return data if isinstance(data, dict) and data.get("format") == format_name else None


def json_bytes(value: Any, indent: int = 2, sort_keys: bool = False) -> bytes:
    """``value`` as UTF-8 JSON text ending in a newline; NaN/inf become null (:func:`json_safe`)."""
    text = json.dumps(json_safe(value), indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def is_temporary(path: Path) -> bool:
    """True for a temporary file of :func:`atomic_write_bytes` (``.<name>.depthprobe-<8 random>.tmp``,
    or an older version's ``.<name>.<8 random>.tmp``); a user's ``.draft.v2.tmp`` is not one."""
    return TEMPORARY_NAME.fullmatch(path.name) is not None
