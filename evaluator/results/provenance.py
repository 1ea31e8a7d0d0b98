"""Which code produced a result: package version and, in a source checkout, the git commit.

The commit is read from the ``.git`` files directly (no ``git`` process); it is None when the
code does not run from a checkout.
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path


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
    """``{"depthprobe_version": ..., "git_commit": ...}`` for the results summary."""
    return {"depthprobe_version": package_version(), "git_commit": git_commit()}
