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
Files get the mode a plain ``open`` would give them (0666 less the umask), not mkstemp's 0600.
A full disk (or any other OS error while writing) is a one-line :class:`StorageError` naming the
file; the temporary file is removed, so nothing half-written remains under a final name.

:class:`WriterLock` makes one writer the owner of an output: a lock file beside the output
holding the writer's pid and host, refused to a second writer while the first lives, taken over
when the first is gone (a stale lock of a killed run on the same host).
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import math
import os
import socket
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenes.errors import DepthprobeError

#: Bytes read at a time when hashing a file (1 MiB: large enough that Python's per-call cost
#: vanishes, small enough to stay in cache).
HASH_CHUNK_BYTES = 1 << 20
TEMP_SUFFIX = ".tmp"
#: Mode of a new file before the umask (what ``open(path, "w")`` uses).
FILE_MODE = 0o666
LOCK_SUFFIX = ".depthprobe-lock"


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
    try:
        fd, tmp = _temporary(path)
    except OSError as exc:
        raise StorageError(f"{path}: cannot be written ({_os_reason(exc)})") from None
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
        raise StorageError(f"{path}: cannot be written ({_os_reason(exc)})") from None
    raise exc


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
    fd, tmp = _temporary(path)
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
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("format") == format_name else None


def json_bytes(value: Any, indent: int = 2, sort_keys: bool = False) -> bytes:
    """``value`` as UTF-8 JSON text ending in a newline; NaN/inf become null (:func:`json_safe`)."""
    text = json.dumps(json_safe(value), indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def is_temporary(path: Path) -> bool:
    """True for a temporary file of :func:`atomic_write_bytes` (``.<name>.<random>.tmp``)."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX) and path.name.count(".") >= 3


class WriterLock:
    """Exclusive ownership of ``target`` (a folder or file) by this process, as a context manager.

    The lock is the file ``<parent>/.<name>.depthprobe-lock`` holding ``{"pid", "host", "what"}``,
    created with ``O_EXCL`` (atomic on local file systems).  A lock whose writer is gone (same host,
    pid not alive) is stale and taken over; a live one gives :class:`StorageError` naming the
    writer.  Released (removed) on exit, also when the body raises.

    :param what: the command holding it, for the message a second writer sees.
    """

    def __init__(self, target: str | Path, what: str) -> None:
        self.target = Path(target)
        self.path = self.target.parent / f".{self.target.name}{LOCK_SUFFIX}"
        self.what = what
        self._held = False

    def __enter__(self) -> "WriterLock":
        self.target.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "what": self.what}).encode()
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            except FileExistsError:
                if self._stale():
                    self.path.unlink(missing_ok=True)
                    continue
                raise StorageError(f"{self.target}: being written by {self._holder()} (lock {self.path}); "
                                   "wait for it to finish, or remove the lock if that process is gone") from None
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            self._held = True
            return self
        raise StorageError(f"{self.target}: cannot take the lock {self.path}")

    def __exit__(self, *exc: object) -> None:
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return {}

    def _holder(self) -> str:
        data = self._read()
        return f"{data.get('what', 'another depthprobe')} (pid {data.get('pid', '?')} on {data.get('host', '?')})"

    def _stale(self) -> bool:
        data = self._read()
        if data.get("host") != socket.gethostname() or not isinstance(data.get("pid"), int):
            return not data  # an unreadable lock (killed while writing it) is stale; another host's is not
        try:
            os.kill(data["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
