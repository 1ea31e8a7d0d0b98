"""Bad-input cases of issue 18, items 3 and 6 (family ``readers``): every reader -- evaluate,
verify, export, sheet, report, compare -- opens a stimulus set or results folder through the one
checked path (scenes/formats/set_checks.py, evaluator/results/format.py) and refuses a damaged
one with one line: a future format version, wrong counts, a NaN true distance, a duplicated
object row, a non-numeric canonical camera, a layer missing from the manifest's list, a depth or
RGB layer of the wrong dtype handed to export, a damaged or deleted results table, wrong types
in a summary."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from scenes.formats.stimulus_set import layer_path
from tests.bad_input.harness import FIRST_FRAME, case, edit_table, evaluate, replace_layer, rewrite_manifest

FAMILY = "readers"


def export(sandbox: Path, fmt: str = "kitti", *extra: str) -> list[str]:
    return ["export", str(sandbox / "set"), "--format", fmt, *extra, "--out", str(sandbox / "new-export")]


def ply(sandbox: Path) -> list[str]:
    return export(sandbox, "ply", "--frame", FIRST_FRAME)


def verify(sandbox: Path) -> list[str]:
    return ["verify", str(sandbox / "set")]


def sheet(sandbox: Path) -> list[str]:
    return ["sheet", str(sandbox / "set"), "--out", str(sandbox / "new-sheet.png")]


def report(sandbox: Path) -> list[str]:
    return ["report", str(sandbox / "results"), "--out", str(sandbox / "new-report.html")]


def compare(sandbox: Path) -> list[str]:
    return ["compare", str(sandbox / "results"), str(sandbox / "results-plus"), "--format", "markdown"]


COMMANDS = {"evaluate": evaluate, "export": export, "ply": ply, "verify": verify, "sheet": sheet}


def set_reader_case(name: str, fragment: str, damage, command: str = "evaluate") -> None:
    def make(sandbox: Path) -> list[str]:
        damage(sandbox / "set")
        return COMMANDS[command](sandbox)
    case(FAMILY, f"{command}: {name}", fragment)(make)


def swap_unlisted_rgb(root: Path) -> None:
    """Drop a frame's RGB from the manifest's list, then swap the file for another frame's."""
    rel = layer_path(root, "rgb", FIRST_FRAME).relative_to(root).as_posix()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"][rel]
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (root / rel).write_bytes(layer_path(root, "rgb", "size_only_d2.0").read_bytes())


def duplicate_object_row(root: Path) -> None:
    edit_table("objects.parquet", lambda t: pd.concat([t, t.iloc[:1]]))(root)
    rewrite_manifest(lambda m: m["counts"].update(objects=m["counts"]["objects"] + 1))(root)


for command, name, fragment, damage in [
    ("evaluate", "format_version 99", "format_version 99", rewrite_manifest(lambda m: m.update(format_version=99))),
    ("verify", "format_version 99", "format_version 99", rewrite_manifest(lambda m: m.update(format_version=99))),
    ("evaluate", "counts say more frames", "counts", rewrite_manifest(lambda m: m["counts"].update(frames=7))),
    ("evaluate", "no counts", "counts", rewrite_manifest(lambda m: m.pop("counts") and None)),
    ("evaluate", "z_true all NaN", "z_true", edit_table("objects.parquet", lambda t: t.assign(z_true=np.nan))),
    ("evaluate", "z_true negative", "z_true", edit_table("objects.parquet", lambda t: t.assign(z_true=-t["z_true"]))),
    ("evaluate", "duplicated object row", "more than one row", duplicate_object_row),
    ("evaluate", "canonical_camera.fx = 'abc'", "canonical_camera fx",
     rewrite_manifest(lambda m: m["canonical_camera"].update(fx="abc"))),
    ("export", "canonical_camera.fx = 'abc'", "canonical_camera fx",
     rewrite_manifest(lambda m: m["canonical_camera"].update(fx="abc"))),
    ("evaluate", "rgb missing from the list, then swapped", "not listed in manifest.json", swap_unlisted_rgb),
    ("sheet", "rgb missing from the list, then swapped", "not listed in manifest.json", swap_unlisted_rgb),
    ("evaluate", "frame id escaping the set", "frame_id",
     edit_table("frames.parquet", lambda t: t.assign(frame_id=["../" + f for f in t["frame_id"]]))),
    ("evaluate", "frame width 100000 px", "width", edit_table("frames.parquet", lambda t: t.assign(width=100_000))),
    ("evaluate", "files not a map", "files", rewrite_manifest(lambda m: m.update(files=["rgb/x.png"]))),
    ("evaluate", "files entry outside the set", "files entry",
     rewrite_manifest(lambda m: m["files"].update({"../a-file.txt": "0" * 64}))),
    ("export", "depth altered, not rehashed", "does not match its hash", lambda r: layer_path(r, "depth", FIRST_FRAME)
     .write_bytes(layer_path(r, "depth", FIRST_FRAME).read_bytes()[:-4] + b"\0\0\x80\x7f")),
    ("export", "depth as int16, rehashed", "int16",
     replace_layer("depth", lambda a: np.nan_to_num(a, posinf=0).astype(np.int16))),
    ("export", "depth as float64, rehashed", "float64", replace_layer("depth", lambda a: a.astype(np.float64))),
    ("export", "depth with NaN, rehashed", "not > 0",
     replace_layer("depth", lambda a: np.where(a > 20, np.nan, a).astype(np.float32))),
    ("export", "negative depth, rehashed", "not > 0", replace_layer("depth", lambda a: -a)),
    ("ply", "greyscale rgb, rehashed", "RGB", replace_layer("rgb", lambda a: a[..., 0].copy())),
    ("sheet", "greyscale rgb, rehashed", "RGB", replace_layer("rgb", lambda a: a[..., 0].copy())),
    ("verify", "depth as float64, rehashed", "float64", replace_layer("depth", lambda a: a.astype(np.float64))),
    ("evaluate", "listed file missing", "file is missing (listed in manifest.json)",
     rewrite_manifest(lambda m: m["files"].update({"semantic/extra.png": "0" * 64}))),
    ("verify", "geometry export without its frame records", "file is missing (the set has a geometry export)",
     rewrite_manifest(lambda m: m["files"].update({"geometry/flat.glb": "0" * 64}))),
]:
    set_reader_case(name, fragment, damage, command)


# ------------------------------------------------------------------ results folders


def results_case(name: str, fragment: str, damage, command=report) -> None:
    def make(sandbox: Path) -> list[str]:
        damage(sandbox / "results")
        return command(sandbox)
    case(FAMILY, f"{command.__name__}: {name}", fragment)(make)


def summary_entry(key: str, value) -> callable:
    def damage(root: Path) -> None:
        summary = json.loads((root / "summary.json").read_text(encoding="utf-8"))
        summary[key] = value
        (root / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return damage


for name, fragment, damage, command in [
    ("damaged table PAR1garbage", "metrics.parquet",
     lambda r: (r / "metrics.parquet").write_bytes(b"PAR1garbage"), report),
    ("damaged table PAR1garbage", "curves.parquet",
     lambda r: (r / "curves.parquet").write_bytes(b"PAR1garbage"), compare),
    ("objects.parquet deleted", "objects.parquet: file is missing", lambda r: (r / "objects.parquet").unlink(), report),
    ("objects.parquet deleted", "objects.parquet: file is missing", lambda r: (r / "objects.parquet").unlink(), compare),
    ("metrics table a folder", "metrics.parquet", lambda r: ((r / "metrics.parquet").unlink(),
                                                            (r / "metrics.parquet").mkdir()), report),
    ("n_frames a string", "n_frames", summary_entry("n_frames", "six"), report),
    ("verdict_text a number", "verdict_text", summary_entry("verdict_text", 5), compare),
    ("alignment a list", "alignment", summary_entry("alignment", [1, 2]), report),
    ("metrics section a string", "metrics", summary_entry("metrics", "good"), report),
    ("n_objects true", "n_objects", summary_entry("n_objects", True), report),
]:
    results_case(name, fragment, damage, command)
