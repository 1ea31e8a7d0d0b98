"""Where ``depthprobe export`` may write, and the marker that makes an export folder ours.

An export folder (KITTI layout, :mod:`depthprobe.exporters.kitti`; point clouds, :mod:`depthprobe.exporters.ply`;
photos with calibration, :mod:`depthprobe.exporters.photos`)
holds, beside what it exports, the marker ``depthprobe-export.json``::

    {"format": "depthprobe-export", "format_version": 1, "export_format": "kitti" | "ply" | "photos",
     "stimulus_set": {"path": ..., "spec_hash": ...}, "state": "complete" (an older depthprobe also left "writing"),
     "files": [every file of the export, relative to the folder, sorted]}

``--out`` may be a new path, an empty folder, or an export of ours in the same ``export_format``
of a set with the same spec hash that holds nothing but the files its marker lists (leftover
temporaries of a killed write are allowed and removed): the one rule of
:class:`scenes.outputs.FolderKind`.  Never a stimulus set or results folder, nor a folder inside one.  Every check runs before anything is written, so a refused export writes
nothing.

Writing (under :func:`claimed`, then :func:`commit_export`): every file is written into a
staging folder beside ``--out`` (:class:`scenes.outputs.StagedOutput`), the files of the earlier
export that stay (other frames' point clouds) are moved in, the marker is written, ``complete``,
listing exactly what is there, and the staging folder is swapped in for ``--out``.  A refused or
killed export leaves the earlier export (or nothing) exactly as it was.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from scenes.errors import DepthprobeError
from scenes.formats import StimulusSet
from scenes.storage import atomic_write_bytes, json_bytes
from scenes.outputs import FolderKind, Marker, StagedOutput, WriterLock, is_own_leftover

FORMAT_NAME = "depthprobe-export"
FORMAT_VERSION = 1
MARKER = "depthprobe-export.json"
#: Export formats of ``depthprobe export --format``.
EXPORT_FORMATS = ("kitti", "ply", "photos")


class ExportError(DepthprobeError):
    """An export cannot be written where or as asked (one line naming the problem)."""


def check_export_format(name: str) -> str:
    """``name`` if it is one of :data:`EXPORT_FORMATS`, else :class:`ExportError`."""
    if name not in EXPORT_FORMATS:
        raise ExportError(f"--format {name}: unknown export format; choose one of {', '.join(EXPORT_FORMATS)}")
    return name


@dataclass(frozen=True)
class ExportTarget:
    """A checked ``--out`` folder: its path and the files an earlier export of ours left there."""

    out: Path
    export_format: str
    spec_hash: Any
    set_path: str
    old_files: frozenset[str]


#: Where an export may be written (:class:`scenes.outputs.FolderKind`): recognised by its
#: marker, which lists its files (checked by :func:`check_export_target`, at any depth).
EXPORT_OUTPUT = FolderKind("a depthprobe export", Marker(MARKER, FORMAT_NAME, "export"), None, ExportError)


def read_marker(out: Path) -> dict[str, Any] | None:
    """The parsed marker of ``out`` if it is an export of ours (any version), else None."""
    return EXPORT_OUTPUT.marker.read(out)


def _entries_in(out: Path) -> list[str]:
    """Every file and folder below ``out`` (relative POSIX paths), leftovers of ours left out."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if not is_own_leftover(p.name))


def check_export_target(out: str | Path, stimulus_set: StimulusSet, export_format: str) -> ExportTarget:
    """``out`` checked as the folder of an ``export_format`` export of ``stimulus_set`` (see the
    module docstring; the rule of :data:`EXPORT_OUTPUT`); :class:`ExportError` (one line) when it
    may not be written."""
    folder = EXPORT_OUTPUT.check(out)
    target = ExportTarget(folder.path, export_format, stimulus_set.manifest.get("spec_hash"),
                          str(Path(stimulus_set.root).resolve()), frozenset())
    return target if folder.record is None else _check_own_export(target, folder.record)


def _check_own_export(target: ExportTarget, marker: dict[str, Any]) -> ExportTarget:
    out = target.out
    if marker.get("format_version") != FORMAT_VERSION:
        raise ExportError(f"--out {out / MARKER}: export format_version {marker.get('format_version')!r}, not "
                          f"{FORMAT_VERSION}; choose a new or empty folder")
    if marker.get("export_format") != target.export_format:
        raise ExportError(f"--out {out}: holds a {marker.get('export_format')!r} export, not "
                          f"{target.export_format!r}; choose a new or empty folder")
    if (marker.get("stimulus_set") or {}).get("spec_hash") != target.spec_hash:
        raise ExportError(f"--out {out}: holds an export of another stimulus set (spec hash "
                          f"{str((marker.get('stimulus_set') or {}).get('spec_hash'))[:12]}); choose another folder")
    listed = set(marker.get("files") or ()) | {MARKER}
    folders = {parent.as_posix() for name in listed for parent in PurePosixPath(name).parents}
    foreign = [name for name in _entries_in(out) if name not in listed | folders]
    if foreign:
        EXPORT_OUTPUT.refuse_foreign(out, foreign[0])
    return ExportTarget(out, target.export_format, target.spec_hash, target.set_path, frozenset(listed - {MARKER}))


@contextmanager
def claimed(target: ExportTarget, stimulus_set: StimulusSet) -> Iterator[ExportTarget]:
    """Hold the writer lock of ``target.out`` (:class:`scenes.outputs.WriterLock`: a second
    export into it is refused while this one runs) and yield the target checked again under it."""
    with WriterLock(target.out, f"depthprobe export --format {target.export_format}"):
        yield check_export_target(target.out, stimulus_set, target.export_format)


def _write_marker(folder: Path, target: ExportTarget, files: Iterable[str], state: str) -> None:
    body = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "export_format": target.export_format,
            "stimulus_set": {"path": target.set_path, "spec_hash": target.spec_hash}, "state": state,
            "files": sorted(set(files))}
    atomic_write_bytes(folder / MARKER, json_bytes(body))


def commit_export(target: ExportTarget, staged: StagedOutput, new_files: Iterable[str], kept: Iterable[str]) -> Path:
    """Finish an export written into ``staged.path``: move the ``kept`` files of the earlier
    export in, write the marker (state ``complete``, listing the new and kept files) and swap the
    staged folder in for ``target.out`` (the earlier export's other files go with the old folder);
    return the marker's path."""
    kept = set(kept) - set(new_files)
    for rel in sorted(kept):
        source, dest = target.out / rel, staged.path / rel
        if source.is_file() and not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, dest)
    _write_marker(staged.path, target, kept | set(new_files), "complete")
    staged.commit()
    return target.out / MARKER
