"""The one output rule of depthprobe: may a command write here, who owns the output while it is
written, and how a whole output is swapped in.  (scenes/storage.py writes the bytes; its names
for this module's classes stay importable from there.)

**Folders** (:class:`FolderKind`: stimulus set, results, export, search): a target is new,
empty, or an earlier output of the same kind (its marker file says so) holding only that kind's
entries; never inside (or the very folder of) a stimulus set or results folder of another kind;
never a user's file or a special file.  Hidden names count as content (a folder holding only
``.git/`` is not empty), except the ones depthprobe itself makes (:func:`is_own_leftover`).  A
folder held by another live writer (:class:`WriterLock`) is refused by the check, before a line
is printed.

**Single files** (:func:`check_file_target`: compare's table, report's page and its Markdown,
contact sheets): the target is new, or an earlier output of the same command recognised by its
:class:`FileSignature` (one mechanism per format: an HTML ``<meta name="generator">`` tag, a PNG
``tEXt`` chunk ``Software``, the first line of a Markdown or CSV file); never inside a stimulus
set or results folder (walking up every folder), never a user's existing file, never a folder,
device, FIFO or socket.  A link is followed: the file it points to must pass the rule and is
the one written (the link stays).

**Names depthprobe makes** beside or inside an output carry the ``depthprobe-`` infix: temporary
files ``.<name>.depthprobe-<8 random>.tmp`` (scenes/storage.py), staging folders
``.<name>.depthprobe-staging-<8 random>`` (and ``...old`` during the swap), locks
``.<name>.depthprobe-lock``.  The names of older versions (``.<name>.<8 random>.tmp``,
``.<name>.staging-<8 random>``) are still recognised; nothing else is ours to remove.

**Leftovers of a killed run**: a stale lock (its process gone) is taken over by the next
writer; a :class:`StagedOutput` removes the staging folders of its target that a killed run
left, and puts back a previous output a kill caught in the middle of the swap.

**Links**: a :class:`WriterLock` and a :class:`StagedOutput` of a target that is a symbolic
link work on the folder it points to (the new output replaces that folder; the link stays).

Every OS error while claiming or creating an output (lock file, staging folder, parent folders)
is one :class:`~scenes.storage.StorageError` line naming the path.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from scenes.errors import DepthprobeError
from scenes.storage import (FILE_MODE, OWN_INFIX, RANDOM_NAME, StorageError, cannot_write, current_umask, is_temporary,
                            read_format_file)

LOCK_SUFFIX = f".{OWN_INFIX}lock"
#: Infix of a staging folder of :class:`StagedOutput` (``.<name>.depthprobe-staging-<random>``).
STAGING_INFIX = f".{OWN_INFIX}staging-"
#: A staging folder of this version or an older one (without the infix), or its ``.old`` half-swap.
STAGING_NAME = re.compile(rf"\.(?P<target>.+)\.(?:{OWN_INFIX})?staging-{RANDOM_NAME}(?P<old>\.old)?")
#: Bytes of a file's start read to recognise its signature (4 KiB: the HTML head's first lines,
#: a PNG's chunks before its image data, a CSV header).
SIGNATURE_WINDOW_BYTES = 4096
#: The first bytes of every PNG file (PNG specification, section 5.2).
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: A PNG ``tEXt`` chunk's type and the keyword ``Software`` (PNG specification, 11.3.4).
PNG_SOFTWARE = b"tEXtSoftware"


def followed(path: Path) -> Path:
    """``path``, or the path it points to when it is a symbolic link (StorageError: a loop)."""
    if not path.is_symlink():
        return path
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError) as exc:
        raise StorageError(f"{path}: a link that cannot be followed ({exc})") from None


class WriterLock:
    """Exclusive ownership of ``target`` (a folder or file) by this process, as a context manager.

    The lock is the file ``<parent>/.<name>.depthprobe-lock`` holding ``{"pid", "host", "what"}``,
    created with ``O_EXCL`` (atomic on local file systems).  A lock whose writer is gone (same host,
    pid not alive) is stale and taken over; a live one gives :class:`StorageError` naming the
    writer.  Released (removed) on exit, also when the body raises.  A linked target is locked
    where it points.

    :param what: the command holding it, for the message a second writer sees.
    """

    def __init__(self, target: str | Path, what: str) -> None:
        self.target = followed(Path(target))
        self.path = self.target.parent / f".{self.target.name}{LOCK_SUFFIX}"
        self.what = what
        self._held = False

    def __enter__(self) -> "WriterLock":
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "what": self.what}).encode()
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            for _ in range(2):
                try:
                    fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
                except FileExistsError:
                    data = self._read()
                    if not self._stale(data):
                        raise self._refusal(data) from None
                    self.path.unlink(missing_ok=True)
                    continue
                self._held = True
                with os.fdopen(fd, "wb") as f:
                    f.write(body)
                return self
        except OSError as exc:
            self.__exit__()
            raise cannot_write(self.path, exc) from None
        raise StorageError(f"{self.target}: cannot take the lock {self.path}")

    def __exit__(self, *exc: object) -> None:
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False

    def refuse_if_held(self) -> None:
        """Raise :class:`StorageError` when another live writer holds the lock (nothing taken;
        a lock of this very process is no refusal: its command checks its own output)."""
        if not os.path.lexists(self.path):
            return
        data = self._read()
        if not (self._stale(data) or self._mine(data)):
            raise self._refusal(data)

    def _refusal(self, data: dict) -> StorageError:
        return StorageError(f"{self.target}: being written by {self._holder(data)} (lock {self.path}); "
                            "wait for it to finish, or remove the lock if that process is gone")

    def _read(self) -> dict:
        try:
            with open(self.path, "rb", opener=_nonblocking) as f:
                data = json.loads(f.read(SIGNATURE_WINDOW_BYTES).decode("utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return {}

    @staticmethod
    def _holder(data: dict) -> str:
        return f"{data.get('what', 'another depthprobe')} (pid {data.get('pid', '?')} on {data.get('host', '?')})"

    @staticmethod
    def _mine(data: dict) -> bool:
        return data.get("host") == socket.gethostname() and data.get("pid") == os.getpid()

    @staticmethod
    def _stale(data: dict) -> bool:
        if data.get("host") != socket.gethostname() or not isinstance(data.get("pid"), int):
            return not data  # an unreadable lock (killed while writing it) is stale; another host's is not
        try:
            os.kill(data["pid"], 0)
        except ProcessLookupError:
            return True
        except (PermissionError, OverflowError):
            return False
        return False


def _nonblocking(path: str, flags: int) -> int:
    """``open``'s opener that never waits on a FIFO (a reader of a pipe blocks until a writer comes)."""
    return os.open(path, flags | os.O_NONBLOCK)


# ------------------------------------------------------------------ may I write here?


@dataclass(frozen=True)
class Marker:
    """The file that makes a folder an output of ours: its name, the ``"format"`` it declares
    (:func:`scenes.storage.read_format_file`), and what a user calls such a folder (in messages)."""

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
    (:func:`scenes.storage.is_temporary`), a staging folder of :class:`StagedOutput` (or its
    ``.old``), a :class:`WriterLock` file -- of this version or an older one (module docstring).
    Nothing else counts as ours."""
    return is_temporary(Path(name)) or STAGING_NAME.fullmatch(name) is not None or (
        name.startswith(".") and name.endswith(LOCK_SUFFIX))


def content_of(folder: Path) -> list[str]:
    """The names in ``folder`` that are content, sorted: all of them (hidden ones too: a folder
    holding only ``.git/`` is not empty) but :func:`is_own_leftover` names."""
    return sorted(p.name for p in folder.iterdir() if not is_own_leftover(p.name))


def refuse_inside(path: str | Path, error: type[DepthprobeError], option: str = "--out",
                  own: Marker | None = None, sealed: tuple[Marker, ...] = SEALED, home: Path | None = None) -> None:
    """Raise ``error`` (one line) when ``path`` is a :data:`SEALED` output (other than one of
    kind ``own``), lies inside a ``sealed`` one (other than the folder ``home``), or lies below
    a file."""
    path = Path(path)
    resolved = path.resolve()
    home = home.resolve() if home is not None else None
    for folder in (resolved, *resolved.parents):
        if folder != resolved and folder.exists() and not folder.is_dir():
            raise error(f"{option} {path}: {folder} is not a folder")
        for marker in SEALED if folder == resolved else sealed:
            if (folder == resolved and marker == own) or folder == home or marker.read(folder) is None:
                continue
            where = f"is the {marker.label}" if folder == resolved else f"is inside the {marker.label} {folder}"
            raise error(f"{option} {path}: {where}; write it to a folder of its own")


@dataclass(frozen=True)
class FileSignature:
    """How depthprobe recognises a file it wrote itself (an earlier output of one command in one
    format): the file starts with ``start`` and, when ``marks`` are given, holds one of them in
    its first :data:`SIGNATURE_WINDOW_BYTES` bytes.  The writer puts them there (the first mark
    is the one written; later ones recognise older versions' files).

    :ivar label: what such a file is called in a refusal ("a depthprobe report page").
    """

    label: str
    start: bytes
    marks: tuple[bytes, ...] = ()

    @classmethod
    def html(cls, label: str, generator: str, *older: bytes) -> "FileSignature":
        """An HTML page's: ``<meta name="generator" content="<generator>">`` in its head."""
        return cls(label, b"<!DOCTYPE html>", (f'<meta name="generator" content="{generator}">'.encode(), *older))

    @classmethod
    def png(cls, label: str, software: str) -> "FileSignature":
        """A PNG's: a ``tEXt`` chunk ``Software`` = ``software`` before its image data (PIL
        writes the text of ``PngInfo`` there)."""
        return cls(label, PNG_MAGIC, (PNG_SOFTWARE + b"\x00" + software.encode("latin-1"),))

    @property
    def software(self) -> str:
        """The ``Software`` text of a PNG signature (what the writer puts in its ``tEXt`` chunk)."""
        return self.marks[0].removeprefix(PNG_SOFTWARE + b"\x00").decode("latin-1")

    def recognises(self, path: Path) -> bool:
        """True when the regular file ``path`` carries this signature (read: its first 4 KiB)."""
        try:
            with open(path, "rb", opener=_nonblocking) as f:
                head = f.read(SIGNATURE_WINDOW_BYTES) if stat.S_ISREG(os.fstat(f.fileno()).st_mode) else b""
        except OSError:
            return False
        return head.startswith(self.start) and (not self.marks or any(mark in head for mark in self.marks))


def check_file_target(path: str | Path, error: type[DepthprobeError], signature: FileSignature,
                      option: str = "--out", sealed: tuple[Marker, ...] = SEALED, home: Path | None = None) -> Path:
    """The path to write if one file (a page, a table, a contact sheet) may be written at
    ``path`` (module docstring), else ``error`` (one line).  A link is followed: the returned
    path is the file it points to.

    :param signature: how an earlier output of the same command is recognised (it may be replaced).
    :param home: a sealed folder the file may lie in (a report's own results folder).
    """
    given = Path(path)
    if given.is_symlink() and not given.exists():
        raise error(f"{option} {given}: is a link to nothing (or a loop); refusing to write through it")
    path = followed(given)
    refuse_inside(path, error, option, sealed=sealed, home=home)
    if path.is_dir():
        raise error(f"{option} {given}: is a folder; give a file name")
    if not os.path.lexists(path):
        return path
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise error(f"{option} {given}: exists and is not a regular file (a device, pipe or socket); "
                    "refusing to write over it")
    if not signature.recognises(path):
        raise error(f"{option} {given}: exists and is not {signature.label}; refusing to overwrite it "
                    "(choose a new file name)")
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
        (one line) when it may not be written, :class:`StorageError` when another live writer
        holds it.  Checks proper to one kind (same spec, same search) are the caller's, on
        :attr:`OutputFolder.record`."""
        out = Path(out)
        refuse_inside(out, self.error, option, own=self.marker, sealed=self.not_inside)
        if not out.exists():
            if out.is_symlink():
                raise self.error(f"{option} {out}: is a link to nothing; refusing to write through it")
            WriterLock(out, "").refuse_if_held()
            return OutputFolder(out, self, None)
        if not out.is_dir():
            raise self.error(f"{option} {out}: exists and is not a folder")
        WriterLock(out, "").refuse_if_held()
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
    ``.<name>.depthprobe-staging-<random>``) to write everything into; :meth:`commit` then moves
    the entries named in ``keep`` from the old ``out`` into it (e.g. the stored predictions a
    rerun of the analyses reuses) and swaps it for ``out``.  Leaving the block without
    :meth:`commit` (an error) removes the staging folder: the old output stays exactly as it
    was.  Check ``out`` first (:meth:`FolderKind.check`): the old folder is removed as a whole.
    Hold the writer lock of ``out`` (or of a folder above it): entering removes the staging
    folders of ``out`` that killed runs left (:func:`recover_staged`).  A linked ``out`` is
    staged and replaced where it points; the link stays.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = followed(Path(out))
        self.path: Path | None = None
        self._committed = False

    def __enter__(self) -> "StagedOutput":
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            recover_staged(self.out)
            self.path = Path(tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}{STAGING_INFIX}"))
        except OSError as exc:
            raise cannot_write(self.out, exc) from None
        return self

    def commit(self, keep: tuple[str, ...] = ()) -> None:
        """Swap the staged folder in for ``out`` (taking ``keep`` entries of the old one along)."""
        old = None
        try:
            if self.out.exists():
                for name in keep:
                    if (self.out / name).exists() and not (self.path / name).exists():
                        os.replace(self.out / name, self.path / name)
                old = self.out.parent / f"{self.path.name}.old"
                os.replace(self.out, old)
            os.chmod(self.path, 0o777 & ~current_umask())
            os.replace(self.path, self.out)
        except OSError as exc:
            raise cannot_write(self.out, exc) from None
        self._committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        if not self._committed and self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


def recover_staged(out: Path) -> list[str]:
    """Clear the staging folders of ``out`` that killed runs left beside it (names of
    :data:`STAGING_NAME` for this very ``out``): a half-swapped ``.old`` is put back when ``out``
    is missing (the kill came between the two renames of :meth:`StagedOutput.commit`), every
    other one is removed.  Call it holding the writer lock.  Returns the names handled."""
    if not out.parent.is_dir():
        return []
    found = sorted((p for p in out.parent.iterdir() if _stages(p.name, out.name)),
                   key=lambda p: not p.name.endswith(".old"))  # a half-swapped .old first
    for path in found:
        if path.name.endswith(".old") and not os.path.lexists(out) and path.is_dir() and not path.is_symlink():
            os.replace(path, out)
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return [p.name for p in found]


def _stages(name: str, target: str) -> bool:
    match = STAGING_NAME.fullmatch(name)
    return match is not None and match["target"] == target
