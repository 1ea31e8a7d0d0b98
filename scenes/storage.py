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

:class:`FolderKind` is the one rule of "may I write here" for every output folder (stimulus set,
results, export, search): a target is new, empty, or an earlier output of the same kind (its
marker file says so) holding only that kind's entries; never inside (or the very folder of) a
stimulus set or results folder of another kind; never a user's file or a special file.  Hidden
names count as content, except the ones depthprobe itself leaves (temporaries, staging folders,
locks).  :func:`check_file_target` is the same rule for single files (pages, contact sheets), and
:class:`StagedOutput` writes a whole new output beside the old one and swaps it in on success.
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import math
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

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
LOCK_SUFFIX = ".depthprobe-lock"
#: Infix of a staging folder of :class:`StagedOutput` (``.<name>.staging-<random>``).
STAGING_INFIX = ".staging-"


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


def read_capped(path: Path, limit: int, error: type[DepthprobeError], unreadable: str, too_large: str) -> bytes:
    """The bytes of a small file a user hands us (a spec, a calibration), at most ``limit`` bytes.

    :param unreadable: what the one-line error says when the file cannot be read, before the OS's
        reason; ``too_large`` what it says after "larger than N KiB".
    :raises error: ``"<path>: <unreadable> (<reason>)"`` or ``"<path>: larger than N KiB<too_large>"``.
    """
    try:
        with open_regular(path, None, error, unreadable) as handle:  # a regular file only
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: {unreadable} ({_os_reason(exc)})") from None
    if len(raw) > limit:
        raise error(f"{path}: larger than {limit // 1024} KiB{too_large}")
    return raw


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


# ------------------------------------------------------------------ may I write here?


@dataclass(frozen=True)
class Marker:
    """The file that makes a folder an output of ours: its name, the ``"format"`` it declares
    (:func:`read_format_file`), and what a user calls such a folder (in messages)."""

    file: str
    format_name: str
    label: str

    def read(self, folder: str | Path) -> dict[str, Any] | None:
        """The parsed marker of ``folder`` if it declares this format (any version), else None."""
        return read_format_file(Path(folder) / self.file, self.format_name)


#: The outputs nothing else may be written inside, as a rerun would refuse or replace them: a
#: stimulus set (scenes/formats/stimulus_set.py) and a results folder (evaluator/results/format.py).
STIMULUS_SET_MARKER = Marker("manifest.json", "depthprobe-stimulus-set", "stimulus set")
RESULTS_MARKER = Marker("summary.json", "depthprobe-results", "results folder")
SEALED = (STIMULUS_SET_MARKER, RESULTS_MARKER)


def is_own_leftover(name: str) -> bool:
    """True for a hidden name depthprobe itself makes in or beside an output: a temporary file
    (:func:`is_temporary`), a staging folder of :class:`StagedOutput` (or its ``.old``), a
    :class:`WriterLock` file.  Nothing else counts as ours."""
    return name.startswith(".") and (is_temporary(Path(name)) or STAGING_INFIX in name or name.endswith(LOCK_SUFFIX))


def content_of(folder: Path) -> list[str]:
    """The names in ``folder`` that are content, sorted: all of them (hidden ones too: a folder
    holding only ``.git/`` is not empty) but :func:`is_own_leftover` names."""
    return sorted(p.name for p in folder.iterdir() if not is_own_leftover(p.name))


def refuse_inside(path: str | Path, error: type[DepthprobeError], option: str = "--out",
                  own: Marker | None = None, sealed: tuple[Marker, ...] = SEALED) -> None:
    """Raise ``error`` (one line) when ``path`` is a :data:`SEALED` output (other than one of
    kind ``own``), lies inside a ``sealed`` one, or lies below a file."""
    path = Path(path)
    resolved = path.resolve()
    for folder in (resolved, *resolved.parents):
        if folder != resolved and folder.exists() and not folder.is_dir():
            raise error(f"{option} {path}: {folder} is not a folder")
        for marker in SEALED if folder == resolved else sealed:
            if (folder == resolved and marker == own) or marker.read(folder) is None:
                continue
            where = f"is the {marker.label}" if folder == resolved else f"is inside the {marker.label} {folder}"
            raise error(f"{option} {path}: {where}; write it to a folder of its own")


def check_file_target(path: str | Path, error: type[DepthprobeError], option: str = "--out",
                      sealed: tuple[Marker, ...] = SEALED) -> Path:
    """``path`` if one file (a page, a contact sheet) may be written there, else ``error`` (one
    line): not inside a ``sealed`` output, not a folder, not a special file (device, pipe)."""
    path = Path(path)
    refuse_inside(path, error, option, sealed=sealed)
    if path.is_dir():
        raise error(f"{option} {path}: is a folder; give a file name")
    if os.path.lexists(path) and not path.is_file():
        raise error(f"{option} {path}: exists and is not a regular file; refusing to write over it")
    return path


@dataclass(frozen=True)
class OutputFolder:
    """A checked output folder (:meth:`FolderKind.check`).

    :ivar path: the folder (as given).
    :ivar record: the marker of the earlier output there (``{}`` for an unfinished one recognised
        by :attr:`FolderKind.unfinished`), or None when the folder is new or empty.
    """

    path: Path
    kind: "FolderKind"
    record: dict[str, Any] | None

    @property
    def earlier(self) -> bool:
        """True when the folder holds an earlier output of this kind."""
        return self.record is not None

    def lock(self, what: str) -> WriterLock:
        """The writer lock of the folder (``what``: the command, for a second writer's message)."""
        return WriterLock(self.path, what)

    def staged(self) -> "StagedOutput":
        """A new output written beside the folder and swapped in by :meth:`StagedOutput.commit`."""
        return StagedOutput(self.path)


@dataclass(frozen=True)
class FolderKind:
    """One kind of output folder and the one rule of where it may be written (module docstring).

    :ivar name: what the kind is called after "not" in a message ("a stimulus set", "depthprobe results").
    :ivar marker: the file that recognises an earlier output of this kind.
    :ivar entries: the top-level names such an output may hold (None: the caller vets them).
    :ivar error: the :class:`DepthprobeError` subclass of the refusals.
    :ivar unfinished: files that mark an unfinished output of ours before its marker is written
        (a stimulus set's ``progress.jsonl``).
    :ivar hint: the advice ending the refusal of a folder of other content.
    :ivar not_inside: the sealed outputs it may not lie inside (default all; results may lie
        inside results, which are of their own kind).
    """

    name: str
    marker: Marker
    entries: frozenset[str] | None
    error: type[DepthprobeError]
    unfinished: tuple[str, ...] = ()
    hint: str = "choose a new or empty folder"
    not_inside: tuple[Marker, ...] = SEALED

    def earlier_record(self, folder: Path) -> dict[str, Any] | None:
        """The marker of an earlier output of this kind in ``folder`` ({} for an unfinished one), else None."""
        if (folder / self.marker.file).exists():
            return self.marker.read(folder)
        return {} if any((folder / name).is_file() for name in self.unfinished) else None

    def refuse_foreign(self, out: Path, name: str, option: str = "--out") -> NoReturn:
        """Refuse ``out``, an earlier output of this kind, because it also holds ``name``."""
        raise self.error(f"{option} {out}: also holds {name!r}, which is not part of {self.name}; "
                         "move it away or choose another folder")

    def check(self, out: str | Path, option: str = "--out") -> OutputFolder:
        """``out`` checked against the rule (module docstring), nothing written; ``self.error``
        (one line) when it may not be written.  Checks proper to one kind (same spec, same
        search) are the caller's, on :attr:`OutputFolder.record`."""
        out = Path(out)
        refuse_inside(out, self.error, option, own=self.marker, sealed=self.not_inside)
        if not out.exists():
            if out.is_symlink():
                raise self.error(f"{option} {out}: is a link to nothing; refusing to write through it")
            return OutputFolder(out, self, None)
        if not out.is_dir():
            raise self.error(f"{option} {out}: exists and is not a folder")
        content = content_of(out)
        if not content:
            return OutputFolder(out, self, None)
        record = self.earlier_record(out)
        if record is None:
            raise self.error(f"{option} {out}: folder is not empty and not {self.name} (holds {content[0]!r}, "
                             f"no {self.marker.file} of ours); {self.hint}")
        foreign = [name for name in content if self.entries is not None and name not in self.entries]
        if foreign:
            self.refuse_foreign(out, foreign[0], option)
        return OutputFolder(out, self, record)


class StagedOutput:
    """A new output folder written beside ``out`` and swapped in only when the run succeeds.

    ``with StagedOutput(out) as staged:`` gives ``staged.path`` (a fresh sibling folder
    ``.<name>.staging-<random>``) to write everything into; :meth:`commit` then moves the
    entries named in ``keep`` from the old ``out`` into it (e.g. the stored predictions a rerun of
    the analyses reuses) and swaps it for ``out``.  Leaving the block without :meth:`commit` (an
    error) removes the staging folder: the old output stays exactly as it was.  Check ``out``
    first (:meth:`FolderKind.check`): the old folder is removed as a whole.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.path: Path | None = None
        self._committed = False

    def __enter__(self) -> "StagedOutput":
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}{STAGING_INFIX}"))
        return self

    def commit(self, keep: tuple[str, ...] = ()) -> None:
        """Swap the staged folder in for ``out`` (taking ``keep`` entries of the old one along)."""
        old = None
        if self.out.exists():
            for name in keep:
                if (self.out / name).exists() and not (self.path / name).exists():
                    os.replace(self.out / name, self.path / name)
            old = self.out.parent / f"{self.path.name}.old"
            os.replace(self.out, old)
        os.chmod(self.path, 0o777 & ~current_umask())
        os.replace(self.path, self.out)
        self._committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        if not self._committed and self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
