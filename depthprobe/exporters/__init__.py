"""Exporters: a stimulus set for other tools, one module per format behind one protocol
(:class:`~depthprobe.exporters.base.Exporter`: check everything, then write with progress).

``depthprobe export`` is one call of :func:`export_set`; the formats are looked up by name in
:data:`EXPORTERS` (lazily: ``--format kitti`` does not import open3d).
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from depthprobe.exporters.base import Exported, Exporter
from depthprobe.exporters.target import EXPORT_FORMATS, ExportError, check_export_format
from scenes.formats import open_stimulus_set
from scenes.progress import Progress, no_progress
from scenes.registry import Registry

#: ``--format`` name -> its exporter class.
EXPORTERS: Registry[type[Exporter]] = Registry(
    "export format", subclass_of=Exporter, unknown_error=ExportError, load_error=ExportError,
    entries={"kitti": "depthprobe.exporters.kitti:KittiExporter", "ply": "depthprobe.exporters.ply:PlyExporter",
             "photos": "depthprobe.exporters.photos:PhotosExporter"})

#: A progress bar: called with a description, it gives a context manager yielding a :class:`Progress`
#: (as :func:`depthprobe.console.progress_bar`).
ProgressBar = Callable[[str], AbstractContextManager[Progress]]


def export_set(set_dir: str | Path, export_format: str, out: str | Path, *, frame: str | None = None,
               results: str | Path | None = None, progress_bar: ProgressBar | None = None) -> Exported:
    """Export the stimulus set ``set_dir`` in ``export_format`` (``kitti``, ``ply`` or ``photos``) into ``out``.

    Everything is checked (the format, the set, the options, the folder) before the progress bar
    starts and anything is written: a refused export writes nothing.

    :param frame: the frame to export (``ply`` only, which needs it).
    :param results: a results folder of an evaluation of this set: its stored prediction of
        ``frame`` is exported too (``ply`` only).
    :param progress_bar: opened with ``"exporting"`` around the writing (None: no progress).
    :returns: the folder, the files written and the lines to show.
    :raises ExportError, StimulusSetError, ResultsError, PredictionStoreError: one line each.
    """
    exporter_class = EXPORTERS.get(check_export_format(export_format))
    exporter = exporter_class(open_stimulus_set(set_dir), out, frame, results).check()
    with (progress_bar or (lambda _: nullcontext(no_progress)))("exporting") as progress:
        return exporter.write(progress)


__all__ = ["EXPORTERS", "EXPORT_FORMATS", "ExportError", "Exported", "Exporter", "ProgressBar", "export_set"]
