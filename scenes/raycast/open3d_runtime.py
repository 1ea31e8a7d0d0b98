"""open3d, imported once and lazily, with a one-line error where it cannot be (the preview, the
ground-truth check and the PLY export need it; nothing else does)."""
from __future__ import annotations

from typing import Any

from scenes.errors import DepthprobeError


def load_open3d(feature: str) -> Any:
    """The open3d module, or :class:`DepthprobeError` naming ``feature`` (e.g. ``"--preview"``) and
    the fix: its wheel links the system library libusb-1.0, which slim systems lack."""
    try:
        import open3d
    except ImportError as exc:
        hint = " (install the system library: apt-get install libusb-1.0-0)" if "libusb" in str(exc) else ""
        raise DepthprobeError(f"{feature}: open3d cannot be imported: {exc}{hint}") from None
    return open3d
