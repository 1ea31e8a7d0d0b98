"""The one rule of "may I write here" (scenes.outputs.FolderKind), for every kind of output
folder: a stimulus set, results, an export, a search.  Each accepts a new path, an empty folder
(our own leftovers do not count) and its own earlier output; each refuses a stimulus set or a
results folder (or a folder inside one), a user's file, a special file, a folder of other
content (hidden names count) and its own earlier output holding a user's file.  The single-file
targets (page, contact sheet) and the staged commit are checked here too."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from depthprobe.exporters.target import FORMAT_NAME as EXPORT_FORMAT, MARKER, check_export_target
from depthprobe.search.runner import FORMAT_NAME as SEARCH_FORMAT, SEARCH_FILE, STUDY_FILE, check_search_target
from evaluator.results.format import FORMAT_NAME as RESULTS_FORMAT, SUMMARY_FILE, check_results_target
from evaluator.results.page import REPORT_PAGE, check_page_target
from scenes.errors import DepthprobeError
from scenes.formats import open_stimulus_set
from scenes.formats.stimulus_set import FORMAT_NAME as SET_FORMAT, MANIFEST, check_set_target
from scenes.raycast import check_sheet_target
from scenes.outputs import StagedOutput, content_of, is_own_leftover
from tests.synthetic_set import write_synthetic_set

SPEC_HASH = "0123456789abcdef" * 4
#: What a search's record must match to be continued (depthprobe/search/runner.py IDENTITY_KEYS).
IDENTITY = {"format": SEARCH_FORMAT, "format_version": 1, "spec_hash": SPEC_HASH, "seed": 0, "model": "m",
            "objective": "depth-error", "sampler": "tpe", "study_name": "s"}


def write_json(path: Path, body: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body), encoding="utf-8")


def make_set(folder: Path) -> None:
    write_json(folder / MANIFEST, {"format": SET_FORMAT, "format_version": 1, "spec_hash": SPEC_HASH})
    (folder / "rgb").mkdir()


def make_results(folder: Path) -> None:
    write_json(folder / SUMMARY_FILE, {"format": RESULTS_FORMAT, "format_version": 1})
    (folder / "figures").mkdir()


def make_export(folder: Path) -> None:
    write_json(folder / MARKER, {"format": EXPORT_FORMAT, "format_version": 1, "export_format": "kitti",
                                 "stimulus_set": {"spec_hash": SPEC_HASH}, "files": ["frames.txt"]})
    (folder / "frames.txt").write_text("", encoding="utf-8")


def make_search(folder: Path) -> None:
    write_json(folder / SEARCH_FILE, IDENTITY)
    (folder / STUDY_FILE).write_bytes(b"")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The stimulus set an export is made of, with the spec hash of the fake outputs."""
    root = write_synthetic_set(tmp_path_factory.mktemp("rule") / "source", conditions=("position_and_size",),
                               distances=(1.0,))
    stimulus_set = open_stimulus_set(root)
    stimulus_set.manifest["spec_hash"] = SPEC_HASH
    return stimulus_set


#: kind -> (check(out, source set), make an earlier output of the kind in a folder)
KINDS = {
    "stimulus set": (lambda out, s: check_set_target(out, SPEC_HASH, resume=True), make_set),
    "results": (lambda out, s: check_results_target(out), make_results),
    "export": (lambda out, s: check_export_target(out, s, "kitti"), make_export),
    "search": (lambda out, s: check_search_target(Path(out), IDENTITY), make_search),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request, source):
    check, make = KINDS[request.param]
    return request.param, (lambda out: check(out, source)), make


def test_accepts_a_new_path_an_empty_folder_and_its_own_earlier_output(kind, tmp_path):
    _, check, make = kind
    check(tmp_path / "new" / "deeper")
    (tmp_path / "empty").mkdir()
    check(tmp_path / "empty")
    (tmp_path / "leftovers").mkdir()
    (tmp_path / "leftovers" / ".summary.json.k3j2h1ab.tmp").write_bytes(b"")  # a killed write of ours
    check(tmp_path / "leftovers")
    make(tmp_path / "earlier")
    check(tmp_path / "earlier")


#: sealed output -> (make one, a folder of it)
SEALED = {"stimulus set": (make_set, "rgb"), "results folder": (make_results, "figures")}


@pytest.mark.parametrize("sealed", sorted(SEALED))
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_refuses_a_stimulus_set_or_results_folder_and_any_folder_inside_one(kind, tmp_path, sealed, depth):
    name, check, _ = kind
    make, inner = SEALED[sealed]
    make(tmp_path / "sealed")
    target = tmp_path.joinpath("sealed", *[inner, "deeper"][:depth])
    if sealed.startswith(name):  # its own kind: the folder is its earlier output; results may nest in results
        if depth == 0 or name == "results":
            check(target)
            return
    with pytest.raises(DepthprobeError, match=f"is the {sealed}" if depth == 0 else f"inside the {sealed}"):
        check(target)


def test_refuses_a_users_file_a_special_file_and_a_path_below_a_file(kind, tmp_path):
    _, check, _ = kind
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    for target in (tmp_path / "notes.txt", Path(os.devnull)):
        with pytest.raises(DepthprobeError, match="exists and is not a folder"):
            check(target)
    with pytest.raises(DepthprobeError, match="is not a folder"):
        check(tmp_path / "notes.txt" / "out")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("hidden", [".git", ".notes.tmp", ".DS_Store"])
def test_a_folder_holding_only_hidden_names_is_not_empty(kind, tmp_path, hidden):
    _, check, _ = kind
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / hidden).mkdir()
    with pytest.raises(DepthprobeError, match=f"not empty and not .*{hidden}"):
        check(tmp_path / "out")


@pytest.mark.parametrize("foreign", ["thesis.tex", ".git"])
def test_refuses_its_own_earlier_output_that_also_holds_a_users_file(kind, tmp_path, foreign):
    _, check, make = kind
    make(tmp_path / "out")
    (tmp_path / "out" / foreign).mkdir()
    with pytest.raises(DepthprobeError, match=f"also holds '{foreign}'"):
        check(tmp_path / "out")


def test_refuses_an_earlier_output_of_another_kind(kind, tmp_path):
    name, check, _ = kind
    for other, (_, make) in KINDS.items():
        if other != name:
            make(tmp_path / other)
            with pytest.raises(DepthprobeError):
                check(tmp_path / other)


def test_only_names_depthprobe_makes_are_its_leftovers(tmp_path):
    ours = [".f1.png.k3j2h1ab.tmp", ".f1.png.depthprobe-k3j2h1ab.tmp", ".out.staging-x1y2z3w4",
            ".out.staging-x1y2z3w4.old", ".out.depthprobe-staging-x1y2z3w4", ".out.depthprobe-lock"]
    theirs = [".git", ".notes.tmp", ".draft.v2.tmp", ".out.staging-x", "out.staging-x", ".DS_Store", "a.tmp"]
    assert all(is_own_leftover(n) for n in ours) and not any(is_own_leftover(n) for n in theirs)
    for name in ours + theirs:
        (tmp_path / name).write_bytes(b"")
    assert content_of(tmp_path) == sorted(theirs)


def test_file_targets_refuse_special_files_and_sealed_folders(tmp_path, source):
    make_set(tmp_path / "set")
    make_results(tmp_path / "results")
    with pytest.raises(DepthprobeError, match="not a regular file"):
        check_sheet_target(os.devnull)
    with pytest.raises(DepthprobeError, match="inside the stimulus set"):
        check_sheet_target(tmp_path / "set" / "sheet.png")
    with pytest.raises(DepthprobeError, match="inside the stimulus set"):
        check_sheet_target(source.root / "sheet.png")
    with pytest.raises(DepthprobeError, match="inside the results folder"):
        check_sheet_target(tmp_path / "results" / "sheet.png")
    with pytest.raises(DepthprobeError, match="inside the stimulus set"):
        check_page_target(tmp_path / "set" / "report.html", REPORT_PAGE)
    with pytest.raises(DepthprobeError, match="inside the results folder"):
        check_page_target(tmp_path / "results" / "report.html", REPORT_PAGE)
    home = tmp_path / "results"
    assert check_page_target(home / "report.html", REPORT_PAGE, home=home) == home / "report.html"
    assert check_sheet_target(tmp_path / "sheet.png") == tmp_path / "sheet.png"


def test_a_staged_output_replaces_the_old_one_only_on_commit(tmp_path):
    out = tmp_path / "out"
    make_results(out)
    (out / "predictions").mkdir()
    with pytest.raises(RuntimeError):
        with StagedOutput(out) as staged:
            (staged.path / "half").write_bytes(b"")
            raise RuntimeError("killed")
    assert sorted(p.name for p in out.iterdir()) == ["figures", "predictions", SUMMARY_FILE]
    with StagedOutput(out) as staged:
        (staged.path / "new").write_bytes(b"")
        staged.commit(keep=("predictions",))
    assert sorted(p.name for p in out.iterdir()) == ["new", "predictions"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
