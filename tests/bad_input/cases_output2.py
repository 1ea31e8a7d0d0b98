"""Bad output targets of the second probe round (issue 18, items 2, 6 and 7; family ``output2``):
every command that writes -- ``compare``, ``report``, ``sheet``, ``generate``, ``evaluate``,
``export`` -- goes through the one output rule of scenes/outputs.py.  A single file is new or an
earlier output of the same command (recognised by its signature), never inside a stimulus set
or a results folder of another kind, never a user's file, a special file or a link to one; a
folder's hidden files count; an OS error while claiming an output is one line."""
from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import numpy as np
from PIL import Image

from scenes.formats.stimulus_set import layer_path
from tests.bad_input.harness import FIRST_FRAME, case

FAMILY = "output2"
#: A path below /proc that cannot be created (the kernel refuses every new name there).
PROC_TARGET = "/proc/depthprobe-output2"


def compare(sandbox: Path, fmt: str, out: str | Path) -> list[str]:
    return ["compare", str(sandbox / "results"), "--format", fmt, "--out", str(out)]


def report(sandbox: Path, out: str | Path) -> list[str]:
    return ["report", str(sandbox / "results"), "--out", str(out)]


def sheet(sandbox: Path, out: str | Path) -> list[str]:
    return ["sheet", str(sandbox / "set"), "--out", str(out), "--limit", "2"]


def generate(out: Path) -> list[str]:
    return ["generate", "camera_pitch", "--quick", "--limit", "1", "--out", str(out)]


def users_file(sandbox: Path, name: str, body: bytes = b"my own notes\n") -> Path:
    path = sandbox / name
    path.write_bytes(body)
    return path


def fifo(sandbox: Path, name: str) -> Path:
    path = sandbox / name
    os.mkfifo(path)
    return path


def link(sandbox: Path, name: str, to: str | Path) -> Path:
    path = sandbox / name
    path.symlink_to(to)
    return path


def users_png(sandbox: Path, name: str = "holiday.png") -> Path:
    path = sandbox / name
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(path, format="PNG")
    return path


# ------------------------------------------------------------------ compare

case(FAMILY, "compare csv over a set's manifest", "stimulus set")(
    lambda s: compare(s, "csv", s / "set" / "manifest.json"))
case(FAMILY, "compare markdown over a user's text file", "refusing to overwrite")(
    lambda s: compare(s, "markdown", s / "a-file.txt"))
case(FAMILY, "compare html into a stimulus set", "stimulus set")(
    lambda s: compare(s, "html", s / "set" / "compare.html"))
case(FAMILY, "compare csv into a results folder", "results folder")(
    lambda s: compare(s, "csv", s / "results" / "compare.csv"))
case(FAMILY, "compare html over a user's page", "refusing to overwrite")(
    lambda s: compare(s, "html", users_file(s, "page.html", b"<html>mine</html>\n")))
case(FAMILY, "compare csv into a FIFO", "not a regular file")(lambda s: compare(s, "csv", fifo(s, "pipe.csv")))
case(FAMILY, "compare csv through a link to /dev/null", "not a regular file")(
    lambda s: compare(s, "csv", link(s, "null.csv", os.devnull)))
case(FAMILY, "compare markdown through a link to a user's file", "refusing to overwrite")(
    lambda s: compare(s, "markdown", link(s, "notes.md", s / "a-file.txt")))
case(FAMILY, "compare csv below /dev/full", "not a folder")(lambda s: compare(s, "csv", "/dev/full/compare.csv"))
case(FAMILY, "compare markdown below /proc", PROC_TARGET)(lambda s: compare(s, "markdown", f"{PROC_TARGET}/c.md"))

# ------------------------------------------------------------------ report


@case(FAMILY, "report beside a user's markdown of the same name", "page.md")
def _report_beside_users_markdown(sandbox: Path) -> list[str]:
    users_file(sandbox, "page.md", b"# my notes\n")
    return report(sandbox, sandbox / "page.html")


@case(FAMILY, "report with a FIFO as its markdown", "not a regular file")
def _report_fifo_markdown(sandbox: Path) -> list[str]:
    fifo(sandbox, "page.md")
    return report(sandbox, sandbox / "page.html")


case(FAMILY, "report into a stimulus set", "stimulus set")(lambda s: report(s, s / "set" / "report.html"))
case(FAMILY, "report over a user's page", "refusing to overwrite")(
    lambda s: report(s, users_file(s, "page.html", b"<!DOCTYPE html><title>mine</title>\n")))
case(FAMILY, "report into another results folder", "results folder")(
    lambda s: report(s, s / "results-plus" / "report.html"))
case(FAMILY, "report below /proc", PROC_TARGET)(lambda s: report(s, f"{PROC_TARGET}/report.html"))

# ------------------------------------------------------------------ sheet


@case(FAMILY, "sheet over another set's frame", "stimulus set")
def _sheet_over_another_sets_frame(sandbox: Path) -> list[str]:
    shutil.copytree(sandbox / "set", sandbox / "set2")
    return sheet(sandbox, layer_path(sandbox / "set2", "rgb", FIRST_FRAME))


case(FAMILY, "sheet over a user's PNG", "refusing to overwrite")(lambda s: sheet(s, users_png(s)))
case(FAMILY, "sheet into a results folder", "results folder")(lambda s: sheet(s, s / "results" / "sheet.png"))
case(FAMILY, "sheet through a link to a user's PNG", "refusing to overwrite")(
    lambda s: sheet(s, link(s, "sheet.png", users_png(s))))
case(FAMILY, "sheet below /proc", PROC_TARGET)(lambda s: sheet(s, f"{PROC_TARGET}/sheet.png"))

# ------------------------------------------------------------------ generate, evaluate, export


@case(FAMILY, "generate into a folder holding only .git", ".git")
def _generate_into_git_only(sandbox: Path) -> list[str]:
    (sandbox / "repo" / ".git").mkdir(parents=True)
    (sandbox / "repo" / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    return generate(sandbox / "repo")


@case(FAMILY, "generate into a folder holding a user's .draft.v2.tmp", ".draft.v2.tmp")
def _generate_into_users_tmp(sandbox: Path) -> list[str]:
    (sandbox / "drafts").mkdir()
    (sandbox / "drafts" / ".draft.v2.tmp").write_text("my draft", encoding="utf-8")
    return generate(sandbox / "drafts")


@case(FAMILY, "generate into a folder a live writer holds", "being written by")
def _generate_held(sandbox: Path) -> list[str]:
    lock = {"pid": 1, "host": socket.gethostname(), "what": "depthprobe evaluate"}  # init: alive, not us
    (sandbox / ".held.depthprobe-lock").write_text(json.dumps(lock), encoding="utf-8")
    return generate(sandbox / "held")


case(FAMILY, "evaluate below /proc", PROC_TARGET)(
    lambda s: ["evaluate", str(s / "set"), "--model", "flat-road", "--out", f"{PROC_TARGET}/results"])
case(FAMILY, "evaluate into a new name in /proc/self", "/proc/self/")(
    lambda s: ["evaluate", str(s / "set"), "--model", "flat-road", "--out", "/proc/self/depthprobe-output2"])
case(FAMILY, "export below /proc", PROC_TARGET)(
    lambda s: ["export", str(s / "set"), "--format", "kitti", "--out", f"{PROC_TARGET}/kitti"])
case(FAMILY, "evaluate into /sys", "/sys/")(
    lambda s: ["evaluate", str(s / "set"), "--model", "flat-road", "--out", "/sys/depthprobe-output2"])


# ------------------------------------------------------------------ bench --out (the figures file)
def bench(out: str | Path) -> list[str]:
    """``bench evaluation`` at its smallest: the target is checked before anything runs."""
    return ["bench", "evaluation", "--frames", "1", "--no-memory", "--repeats", "1", "--width", "8", "--height", "8",
            "--out", str(out)]


case(FAMILY, "bench figures over a user's file", "refusing to overwrite")(
    lambda s: bench(users_file(s, "figures.json", b'{"mine": true}\n')))
case(FAMILY, "bench figures over a set's manifest", "stimulus set")(lambda s: bench(s / "set" / "manifest.json"))
case(FAMILY, "bench figures into a results folder", "results folder")(lambda s: bench(s / "results" / "bench.json"))
case(FAMILY, "bench figures into a FIFO", "not a regular file")(lambda s: bench(fifo(s, "bench.json")))
