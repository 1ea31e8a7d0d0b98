"""The code version recorded in manifests and results: package version plus git commit."""
from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """``depthprobe <version> (git <short sha>[+dirty])``, or without git part outside a checkout."""
    try:
        text = f"depthprobe {version('depthprobe')}"
    except PackageNotFoundError:
        text = "depthprobe (not installed)"
    try:
        sha = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        text += f" (git {sha}{'+dirty' if dirty else ''})"
    except (OSError, subprocess.SubprocessError):
        pass
    return text
