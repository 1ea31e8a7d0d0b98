"""depthprobe: controlled road scenes with exact depth, and which cue a depth network uses.

The Python API (docs/api.md): :func:`load_spec`, :func:`generate`, :func:`open_stimulus_set`,
:func:`evaluate`, :func:`read_results`, :func:`compare` and :func:`search_failures`, defined in
:mod:`depthprobe.api` and loaded on first use (PEP 562), so that ``import depthprobe`` loads
neither torch nor Blender nor open3d.  The command line lives in :mod:`depthprobe.cli`; the work
in ``scenes`` (specs, geometry, the stimulus-set format), ``generator`` (BlenderProc rendering)
and ``evaluator`` (torch models and analyses).
"""
from __future__ import annotations

# No imports here: under ``python -m depthprobe.cli`` this package is imported while the working
# directory is still first on sys.path (see depthprobe.safe_path).

#: The public entry points, all in :mod:`depthprobe.api`.
__all__ = ["load_spec", "generate", "open_stimulus_set", "evaluate", "read_results", "compare", "search_failures"]


def __getattr__(name: str) -> object:
    """``depthprobe.NAME`` for the names of ``__all__``: taken from :mod:`depthprobe.api`, which is
    imported when one is first asked for."""
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("depthprobe.api"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
