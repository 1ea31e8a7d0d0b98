"""The results format: what ``depthprobe evaluate --out OUT`` writes, as code (one writer, one reader).

Layout (format ``depthprobe-results``, version :data:`FORMAT_VERSION`)::

    OUT/
      summary.json          written last: ``format``, ``format_version``, the verdict with its
                            numbers, every analysis's section (each value with its interval,
                            method and count), provenance (model, alignment, stimulus set,
                            config, code version, date) and the paths of the files below
      objects.parquet       one row per object: ground truth, cues, estimate_m, ...
      cue_fit.parquet ...   one table per analysis that applies (see TABLE_FILES)
      predictions/          the aligned predictions (:mod:`evaluator.results.store`)
      figures/*.png         drawn later by ``depthprobe report --figures``

Every file is written atomically (:mod:`scenes.storage`); ``summary.json`` is written after
every table, so a ``summary.json`` always belongs to the tables beside it.  A table of an
analysis that does not apply this time is removed, so nothing stale sits beside a summary.

:func:`read_results` is the only reader: the report, the figures and the CLI read through it.
It refuses a folder without ``summary.json``, a summary of another format or version, and a
summary that lacks an entry every reader relies on, each with one line naming the file.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluator.analyses import TABLE_NAMES
from scenes.errors import DepthprobeError
from scenes.reading import open_regular, read_json
from scenes.storage import atomic_write_bytes, json_bytes, parquet_bytes
from scenes.outputs import RESULTS_MARKER, STIMULUS_SET_MARKER, FolderKind

FORMAT_NAME = RESULTS_MARKER.format_name
FORMAT_VERSION = 1
SUMMARY_FILE = RESULTS_MARKER.file
FIGURES_DIR = "figures"
#: Every table a run may write, by name (``OUT/<name>.parquet``).
TABLE_FILES = {name: f"{name}.parquet" for name in TABLE_NAMES}
#: Summary entries every reader relies on (the rest are optional sections), with their JSON types.
SUMMARY_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,), "output_kind": (str,), "alignment": (dict,), "n_frames": (int,), "n_objects": (int,),
    "n_objects_with_estimate": (int,), "statistic": (str,), "verdict": (str,), "verdict_text": (str,),
    "stimulus_set": (dict,), "config": (dict,)}
REQUIRED_KEYS = tuple(SUMMARY_TYPES)
#: Optional summary entries: JSON types when present (None: the section did not apply).
OPTIONAL_TYPES: dict[str, tuple[type, ...]] = {
    "warnings": (list,), "outputs": (dict,), "predictions": (dict,), "model_contract": (dict,), "cues": (dict,),
    "fit": (dict,), "factor_fit": (dict,), "metrics": (dict,), "curves": (dict,), "pose": (dict,),
    "obstacles": (dict,), "robustness": (dict,), "single_cue": (dict,), "elapsed_s": (int, float)}
#: Largest table read from a results folder (bytes): 1 GiB, as a stimulus set's tables
#: (scenes/formats/set_checks.py); one row per object of a set of at most MAX_FRAMES frames.
MAX_RESULTS_TABLE_BYTES = 1 << 30


class ResultsError(DepthprobeError):
    """A results folder is missing, damaged, or of another format or version (one line naming the file)."""


def write_results(out_dir: str | Path, tables: Mapping[str, pd.DataFrame | None], summary: Mapping[str, Any]) -> Path:
    """Write the tables, then ``summary.json`` with ``format`` and ``format_version`` (each atomically).

    A stale summary is removed first, and so is the table of an analysis that does not apply
    this time (``None``), so every file in ``out_dir`` belongs to this run.

    :returns: the path of ``summary.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_FILE).unlink(missing_ok=True)
    for name, file_name in TABLE_FILES.items():
        table = tables.get(name)
        if table is None:
            (out / file_name).unlink(missing_ok=True)
        else:
            atomic_write_bytes(out / file_name, parquet_bytes(table))
    body = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **summary}
    atomic_write_bytes(out / SUMMARY_FILE, json_bytes(body))
    return out / SUMMARY_FILE


@dataclass
class Results:
    """A results folder opened by :func:`read_results`: the summary now, the tables on request.

    :ivar root: the folder.
    :ivar summary: the parsed ``summary.json``.
    """

    root: Path
    summary: dict[str, Any]
    _tables: dict[str, pd.DataFrame | None] = field(default_factory=dict, repr=False)

    @property
    def summary_path(self) -> Path:
        return self.root / SUMMARY_FILE

    def has_table(self, name: str) -> bool:
        """True when the evaluation wrote table ``name``."""
        return name in TABLE_FILES and (self.root / TABLE_FILES[name]).is_file()

    def table(self, name: str) -> pd.DataFrame | None:
        """Table ``name`` (read once, then cached), or None when the evaluation wrote none.

        :raises ResultsError: unknown table name, or a table that cannot be read.
        """
        if name not in TABLE_FILES:
            raise ResultsError(f"{self.root}: no table {name!r} in the results format; known: {', '.join(TABLE_FILES)}")
        if name not in self._tables:
            self._tables[name] = _read_table(self.root / TABLE_FILES[name])
        return self._tables[name]


def _read_table(path: Path) -> pd.DataFrame | None:
    if not path.exists() and not path.is_symlink():
        return None
    try:
        with open_regular(path, MAX_RESULTS_TABLE_BYTES, ResultsError) as handle:
            return pd.read_parquet(handle)
    except ResultsError:
        raise
    except Exception as exc:  # any decoder error means a damaged table: say which file
        raise ResultsError(f"{path}: cannot be read as Parquet ({type(exc).__name__})") from None


def _check_tables(root: Path, summary: Mapping[str, Any], path: Path) -> None:
    """Every table the summary's ``outputs`` lists is there, a regular file within
    :data:`MAX_RESULTS_TABLE_BYTES`, and Parquet (its footer read, not its rows)."""
    import pyarrow.parquet as pq

    for name in sorted(set(summary.get("outputs") or {}) & set(TABLE_FILES)):
        table = root / TABLE_FILES[name]
        if not table.exists() and not table.is_symlink():
            raise ResultsError(f"{table}: file is missing, but {path.name} lists it; evaluate again")
        try:
            with open_regular(table, MAX_RESULTS_TABLE_BYTES, ResultsError) as handle:
                pq.read_metadata(handle)
        except ResultsError:
            raise
        except Exception as exc:
            raise ResultsError(f"{table}: cannot be read as Parquet ({type(exc).__name__}); evaluate again") from None


def read_results(results_dir: str | Path) -> Results:
    """Open a results folder: its ``summary.json`` read and checked, its tables read lazily.

    :raises ResultsError: no such folder or summary; not JSON; another format or version;
        required entries missing (all named).
    """
    root = Path(results_dir)
    path = root / SUMMARY_FILE
    if not path.exists() and not path.is_symlink():  # anything else there is judged by read_json
        where = "" if root.is_dir() else f"; {root} is no folder"
        raise ResultsError(f"{path}: no such file{where} (run depthprobe evaluate ... --out {root} first)")
    summary = read_json(path, ResultsError, "readable summary")
    if not isinstance(summary, dict):
        raise ResultsError(f"{path}: not a depthprobe summary (a JSON {type(summary).__name__}, not an object)")
    check_summary(summary, path)
    _check_tables(root, summary, path)
    return Results(root, summary)


def check_summary(summary: Mapping[str, Any], path: Path) -> None:
    """Raise :class:`ResultsError` unless ``summary`` is of this format and version and whole."""
    if summary.get("format") != FORMAT_NAME:
        found = summary.get("format")
        hint = ("written by a depthprobe before results had a format; run evaluate again (or evaluate "
                "--reuse-predictions)" if found is None else f"format {found!r}")
        raise ResultsError(f"{path}: not a {FORMAT_NAME} summary ({hint})")
    version = summary.get("format_version")
    if version != FORMAT_VERSION:
        raise ResultsError(f"{path}: results format_version {version!r}; this depthprobe reads version "
                           f"{FORMAT_VERSION} (use the depthprobe that wrote it, or evaluate again)")
    missing = [key for key in REQUIRED_KEYS if key not in summary]
    if missing:
        raise ResultsError(f"{path}: damaged summary, missing {', '.join(missing)}")
    for key, types in (*SUMMARY_TYPES.items(), *OPTIONAL_TYPES.items()):
        value = summary.get(key)
        if (key in SUMMARY_TYPES or value is not None) and (isinstance(value, bool) or not isinstance(value, types)):
            raise ResultsError(f"{path}: damaged summary, {key} is a JSON {type(value).__name__}, not "
                               f"{' or '.join(t.__name__ for t in types)}")


#: The report ``depthprobe report`` writes into the folder by default (evaluator/results/page.py).
REPORT_FILES = ("report.html", "report.md")
#: What a results folder may hold besides the tables (anything else: not ours to replace).
RESULTS_ENTRIES = frozenset({SUMMARY_FILE, FIGURES_DIR, "predictions", *REPORT_FILES, *TABLE_FILES.values()})

#: Where results may be written (:class:`scenes.outputs.FolderKind`): recognised by the summary;
#: never inside a stimulus set (inside a results folder, results are of their own kind).
RESULTS_OUTPUT = FolderKind("depthprobe results", RESULTS_MARKER, RESULTS_ENTRIES, ResultsError,
                            not_inside=(STIMULUS_SET_MARKER,))


def is_results_folder(folder: Path) -> bool:
    """True when ``folder`` holds a summary of this results format (readable, any version)."""
    return RESULTS_MARKER.read(folder) is not None


def check_results_target(out: str | Path) -> Path:
    """``out`` if an evaluation may write its results there, else :class:`ResultsError` (one line).

    The rule of :data:`RESULTS_OUTPUT`: a new path, an empty folder, or a results folder of ours
    holding only its own entries (which a finished run then replaces as a whole).  Refused: a
    file; a stimulus set or a folder inside one; a folder of other content.
    """
    return RESULTS_OUTPUT.check(out).path
