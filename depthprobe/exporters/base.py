"""The one protocol of the exporters, in the shape of Hugging Face datasets' ``io/`` (an abstract
base here, one module per format: :mod:`depthprobe.exporters.kitti`, :mod:`~depthprobe.exporters.ply`,
:mod:`~depthprobe.exporters.photos`; the facade :mod:`depthprobe.exporters` dispatches by format).

An exporter is made with what the user asked, then :meth:`Exporter.check` checks everything --
the target folder (:func:`~depthprobe.exporters.target.check_export_target`) and what the format
needs of the set -- and computes what must be computed, with nothing written; then
:meth:`Exporter.write` takes the writer lock, writes the files with progress into a staging
folder and swaps it in for the target with its marker: a refused or failed export changes nothing.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from depthprobe.exporters.target import ExportError, ExportTarget, check_export_target, claimed, commit_export
from scenes.formats import StimulusSet
from scenes.progress import Progress, no_progress
from scenes.outputs import StagedOutput


@dataclass(frozen=True)
class Exported:
    """What an export wrote.

    :ivar out: the export folder.
    :ivar files: the files written now (absolute or as ``out`` was given).
    :ivar lines: what the command line says about it, one line each.
    """

    out: Path
    files: list[Path]
    lines: list[str]


class Exporter(ABC):
    """One export format: ``Exporter(set, out, ...).check().write(progress)``.

    :param stimulus_set: the opened set.
    :param out: the export folder (``--out``).
    :param frame: the one frame to export (formats with :attr:`one_frame` only).
    :param results: a results folder of an evaluation of the set, whose stored predictions are
        exported too (formats with :attr:`one_frame` only).
    """

    #: The name of ``--format`` (and the marker's ``export_format``).
    format_name: ClassVar[str]
    #: True for formats of one frame, which take ``--frame`` and ``--eval``.
    one_frame: ClassVar[bool] = False

    def __init__(self, stimulus_set: StimulusSet, out: str | Path, frame: str | None = None,
                 results: str | Path | None = None) -> None:
        if not self.one_frame and (frame is not None or results is not None):
            raise ExportError(f"--{'frame' if frame is not None else 'eval'}: only with --format ply "
                              f"(--format {self.format_name} exports every frame)")
        self.stimulus_set = stimulus_set
        self.out = Path(out)
        self.frame = frame
        self.results = None if results is None else Path(results)
        self.target: ExportTarget | None = None

    def check(self) -> "Exporter":
        """Check the target folder, then the set (:meth:`check_set`); nothing is written."""
        self.target = check_export_target(self.out, self.stimulus_set, self.format_name)
        self.check_set()
        return self

    @abstractmethod
    def check_set(self) -> None:
        """Everything the format needs of the set (and compute what can fail), nothing written."""

    @abstractmethod
    def files(self) -> list[str]:
        """The files this export writes, relative to the folder (after :meth:`check`)."""

    @abstractmethod
    def write_files(self, out: Path, progress: Progress) -> None:
        """Write :meth:`files` into ``out``, telling ``progress`` ("exporting", done, total, item)."""

    @abstractmethod
    def lines(self, out: Path) -> list[str]:
        """What the command line says once the export is written."""

    def kept_files(self, target: ExportTarget) -> set[str]:
        """Files of the earlier export in the folder that stay (default: none, the export is replaced)."""
        return set()

    def write(self, progress: Progress = no_progress) -> Exported:
        """Write the checked export under its writer lock (module docstring)."""
        if self.target is None:
            self.check()
        with claimed(self.target, self.stimulus_set) as target, StagedOutput(target.out) as staged:
            files = self.files()
            self.write_files(staged.path, progress)
            commit_export(target, staged, files, self.kept_files(target))
        return Exported(target.out, [target.out / name for name in files], self.lines(target.out))
