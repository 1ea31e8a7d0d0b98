"""Run BlenderProc 2.8.0 from a plain Python 3.11 process with the ``bpy`` 4.2 wheel.

This is the only module of depthprobe that touches BlenderProc's internals.

Why it is needed (facts measured on our machines, see docs/design.md "Rendering"):

* The PyPI release ``blenderproc==2.8.0`` expects to run inside Blender's bundled
  interpreter, started by its ``blenderproc run`` command.  Imported from any other
  process, ``blenderproc/__init__.py`` raises ``RuntimeError`` unless the environment
  variable ``OUTSIDE_OF_THE_INTERNAL_BLENDER_PYTHON_ENVIRONMENT_BUT_IN_RUN_SCRIPT`` is set,
  and then exposes nothing but ``__version__``.
* With ``INSIDE_OF_THE_INTERNAL_BLENDER_PYTHON_ENVIRONMENT`` set instead, the package removes
  its own site-packages folder from ``sys.path`` and calls ``SetupUtility.setup``, which
  pip-installs packages into Blender's bundled interpreter.  Neither is wanted in a venv:
  the venv already holds those packages (they are depthprobe's ``render`` extra).
* ``bproc.init()`` sets the UI language to ``en_US``; the bpy module build only has the
  language ``DEFAULT`` and raises.  The rest of ``init`` works.

What this module does instead: it imports the package with the "outside" variable set only
for the duration of that import (the variable is restored afterwards), points
BlenderProc's temporary directory at a folder we own, imports the public API sub-modules
the same way ``blenderproc/__init__.py`` does, and replaces ``init`` by :func:`init_blenderproc`,
which runs the steps of ``bproc.init`` except the language switch.  Upstream BlenderProc
after 2.8.0 supports this directly (``USE_EXTERNAL_BPY_MODULE=1``); when we move to such a
release this module shrinks to ``import blenderproc``.
"""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
import types
from contextlib import contextmanager
from typing import Iterator

_OUTSIDE_FLAG = "OUTSIDE_OF_THE_INTERNAL_BLENDER_PYTHON_ENVIRONMENT_BUT_IN_RUN_SCRIPT"
_API_MODULES = (
    "loader", "utility", "sampler", "math", "postprocessing", "writer", "material",
    "lighting", "camera", "renderer", "world", "constructor", "types", "object", "filter",
)
_loaded: types.ModuleType | None = None


@contextmanager
def _temporary_env(name: str, value: str) -> Iterator[None]:
    """Set environment variable ``name`` for the duration of the block, then restore it."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def load_blenderproc(temp_dir: str | None = None) -> types.ModuleType:
    """Import BlenderProc's public API (``bproc``) into this process and initialise a scene.

    :param temp_dir: folder for BlenderProc's intermediate render files (EXR, PNG).
        A fresh temporary folder when None.
    :return: the ``blenderproc`` package with its API sub-modules (``bproc.object``,
        ``bproc.renderer``, ...) as attributes, ready to use; repeated calls return the same
        module without initialising again.
    """
    global _loaded  # one Blender scene per process: bpy itself is process-wide state
    if _loaded is not None:
        return _loaded
    import bpy  # noqa: F401  (Blender must be loaded before BlenderProc's modules)

    with _temporary_env(_OUTSIDE_FLAG, "1"):
        bproc = importlib.import_module("blenderproc")
    from blenderproc.python.utility.SetupUtility import SetupUtility

    SetupUtility.main_setup_called = True
    SetupUtility.setup_utility_paths(temp_dir or tempfile.mkdtemp(prefix="depthprobe-bproc-"))
    for name in _API_MODULES:
        setattr(bproc, name, importlib.import_module(f"blenderproc.api.{name}"))
    from blenderproc.python.utility.Initializer import clean_up

    bproc.clean_up = clean_up
    _init_scene()
    _loaded = bproc
    return bproc


def _init_scene() -> None:
    """The steps of ``blenderproc.python.utility.Initializer.init`` without the UI language."""
    import bpy
    from blenderproc.python.renderer import RendererUtility
    from blenderproc.python.utility.GlobalStorage import GlobalStorage
    from blenderproc.python.utility.Initializer import _Initializer, clean_up

    clean_up(clean_up_camera=True)
    bpy.context.scene.render.engine = "CYCLES"
    RendererUtility.set_render_devices()
    _Initializer.set_default_parameters()
    GlobalStorage.add("bproc_init_complete", True)


def exit_process(code: int) -> None:
    """End the process now with ``code``, skipping the interpreter's teardown.

    Measured: once BlenderProc 2.8.0's API modules are imported next to the bpy 4.2 module
    (e.g. ``import blenderproc.python.material.MaterialLoaderUtility``), the interpreter
    crashes with a segmentation fault while it shuts down, after all our work is done and
    written (exit code 139 instead of 0).  Callers that imported BlenderProc flush their
    output and leave through this function instead.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send what Blender and BlenderProc print during the block to /dev/null (file descriptor 1;
    stderr is kept)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
