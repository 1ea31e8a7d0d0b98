"""Helpers of the generator tests that render in fresh processes and compare whole stimulus
sets file by file."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from scenes import open_stimulus_set
from scenes.formats.stimulus_set import read_progress
from scenes.storage import sha256_file

ROOT = Path(__file__).resolve().parents[2]
#: ``depthprobe ...`` in a fresh interpreter (the arguments follow).
CLI = [sys.executable, "-c", "from depthprobe.cli import main; main()"]
#: Files that may differ between equal sets: the manifest (render seconds; its file hashes are
#: compared) and the progress log (its line order; its records are compared).
UNSTABLE = {"manifest.json", "progress.jsonl"}


def write_spec(folder: Path, spec: dict) -> Path:
    """``spec`` as a YAML file in ``folder``."""
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def cli_generate(spec_path: Path, out: Path, *options: str) -> None:
    """``depthprobe generate`` in a fresh process (quiet; fails the test on a non-zero exit)."""
    command = [*CLI, "generate", str(spec_path), "--out", str(out), *options]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def set_digest(root: Path) -> dict[str, object]:
    """Everything a stimulus set holds that must not depend on how it was rendered: the SHA-256
    of every file, the manifest's file hashes and counts, and the progress records by frame."""
    files = {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*"))
             if p.is_file() and p.name not in UNSTABLE}
    manifest = open_stimulus_set(root).manifest
    return {"files": files, "manifest_files": manifest["files"], "counts": manifest["counts"],
            "progress": read_progress(root)}


def assert_same_set(a: Path, b: Path) -> None:
    """The two sets hold the same files with the same bytes (and the same records)."""
    da, db = set_digest(a), set_digest(b)
    differ = sorted(rel for rel in set(da["files"]) | set(db["files"]) if da["files"].get(rel) != db["files"].get(rel))
    assert not differ, f"{len(differ)} files differ, e.g. {differ[:5]}"
    assert da == db
