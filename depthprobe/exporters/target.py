"""Where ``depthprobe export`` may write, and the marker that makes an export folder ours.

An export folder (KITTI layout, :mod:`depthprobe.exporters.kitti`; point clouds, :mod:`depthprobe.exporters.ply`;
photos with calibration, :mod:`depthprobe.exporters.photos`)
holds, beside what it exports, the marker ``depthprobe-export.json``::

    {"format": "depthprobe-export", "format_version": 1, "export_format": "kitti" | "ply" | "photos",
     "stimulus_set": {"path": ..., "spec_hash": ...}, "state": "writing" | "complete",
     "files": [every file of the export, relative to the folder, sorted]}

``--out`` may be a new path, an empty folder, or an export of ours in the same ``export_format``
of a set with the same spec hash that holds nothing but the files its marker lists (leftover
temporaries of a killed write are allowed and removed).  Never the stimulus set, nor a folder
inside a stimulus set.  Every check runs before anything is written, so a refused export writes
nothing.

Writing (under :func:`claimed`, :func:`begin_export`, :func:`finish_export`): the marker is written first with state
``writing`` listing the old and the new files, then the files, then the stale files are removed
and the marker is written again, ``complete``, listing exactly what is there.  A killed export
thus leaves a folder that the next export into it accepts and replaces.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenes.errors import DepthprobeError
from scenes.formats import StimulusSet, manifest_of
from scenes.storage import WriterLock, atomic_write_bytes, is_temporary, json_bytes, read_format_file

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


def read_marker(out: Path) -> dict[str, Any] | None:
    """The parsed marker of ``out`` if it is an export of ours (any version), else None."""
    return read_format_file(Path(out) / MARKER, FORMAT_NAME)


def _files_in(out: Path) -> list[str]:
    """Every file below ``out`` (relative POSIX paths), temporaries of ours left out."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and not is_temporary(p))


def check_export_target(out: str | Path, stimulus_set: StimulusSet, export_format: str) -> ExportTarget:
    """``out`` checked as the folder of an ``export_format`` export of ``stimulus_set`` (see the
    module docstring); :class:`ExportError` (one line) when it may not be written."""
    out = Path(out)
    resolved, set_root = out.resolve(), Path(stimulus_set.root).resolve()
    for folder in (resolved, *resolved.parents):
        if folder == set_root or manifest_of(folder) is not None:
            where = "is the stimulus set" if folder == resolved else f"is inside the stimulus set {folder}"
            raise ExportError(f"--out {out}: {where}; export to a folder of its own")
    spec_hash = stimulus_set.manifest.get("spec_hash")
    target = ExportTarget(out, export_format, spec_hash, str(set_root), frozenset())
    if not out.exists():
        return target
    if not out.is_dir():
        raise ExportError(f"--out {out}: exists and is not a folder")
    if not any(out.iterdir()):
        return target
    return _check_own_export(target)


def _check_own_export(target: ExportTarget) -> ExportTarget:
    out = target.out
    marker = read_marker(out)
    if marker is None:
        first = sorted(p.name for p in out.iterdir())[0]
        raise ExportError(f"--out {out}: folder is not empty and not a depthprobe export (holds {first!r}); "
                          "choose a new or empty folder")
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
    foreign = [name for name in _files_in(out) if name not in listed]
    if foreign:
        raise ExportError(f"--out {out}: holds {foreign[0]!r}, which is not part of its export; "
                          "move it away or choose another folder")
    return ExportTarget(out, target.export_format, target.spec_hash, target.set_path, frozenset(listed - {MARKER}))


@contextmanager
def claimed(target: ExportTarget, stimulus_set: StimulusSet) -> Iterator[ExportTarget]:
    """Hold the writer lock of ``target.out`` (:class:`scenes.storage.WriterLock`: a second
    export into it is refused while this one runs) and yield the target checked again under it."""
    with WriterLock(target.out, f"depthprobe export --format {target.export_format}"):
        yield check_export_target(target.out, stimulus_set, target.export_format)


def _write_marker(target: ExportTarget, files: Iterable[str], state: str) -> None:
    body = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "export_format": target.export_format,
            "stimulus_set": {"path": target.set_path, "spec_hash": target.spec_hash}, "state": state,
            "files": sorted(set(files))}
    atomic_write_bytes(target.out / MARKER, json_bytes(body))


def begin_export(target: ExportTarget, new_files: Iterable[str]) -> None:
    """Create ``out`` and write the marker (state ``writing``: the old and the new files)."""
    target.out.mkdir(parents=True, exist_ok=True)
    for path in target.out.rglob(".*"):
        if path.is_file() and is_temporary(path):
            path.unlink(missing_ok=True)
    _write_marker(target, set(target.old_files) | set(new_files), "writing")


def finish_export(target: ExportTarget, files: Iterable[str]) -> Path:
    """Remove the old files not in ``files`` (and folders left empty), then write the marker
    (state ``complete``, listing ``files``); return the marker's path."""
    files = set(files)
    for rel in sorted(target.old_files - files):
        path = target.out / rel
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == target.out or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()
    _write_marker(target, files, "complete")
    return target.out / MARKER
