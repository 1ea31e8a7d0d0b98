"""Which code produced a file: package version and, in a source checkout, the git commit.

One home for provenance: :func:`code_version` (a dict, for results summaries and model cards)
and :func:`code_version_text` (one string, for stimulus-set manifests, with ``+dirty`` when
the checkout has uncommitted changes).  The commit is read from the ``.git`` files directly
(no ``git`` process) for the dict; it is None when the code does not run from a checkout.
"""
from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib import metadata
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_version_text() -> str:
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


def package_version(distribution: str = "depthprobe") -> str | None:
    """Installed version of ``distribution``, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def git_commit(start: Path | None = None) -> str | None:
    """Commit hash of the checkout containing ``start`` (default: this file), or None."""
    here = (start or Path(__file__)).resolve()
    for folder in [here, *here.parents]:
        git = folder / ".git"
        if git.is_dir():
            return _resolve_head(git)
        if git.is_file():  # a worktree: ".git" holds "gitdir: <path>"
            try:
                text = git.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                return None
            if text.startswith("gitdir:"):
                return _resolve_head((folder / text.split(":", 1)[1].strip()).resolve())
            return None
    return None


def _resolve_head(git: Path) -> str | None:
    """Follow HEAD to a commit in ``git`` (or its common dir, for worktrees)."""
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(None, 1)[1]
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for folder in dict.fromkeys([git, common]):
            if (folder / ref).is_file():
                return (folder / ref).read_text(encoding="utf-8").strip() or None
            packed = folder / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8").splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        return parts[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    return None


def code_version() -> dict[str, str | None]:
    """``{"depthprobe_version": ..., "git_commit": ...}`` for results summaries and model cards."""
    return {"depthprobe_version": package_version(), "git_commit": git_commit()}
