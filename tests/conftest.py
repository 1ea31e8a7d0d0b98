"""Shared test set-up: a test marked with an optional dependency (``bpy``, ``torch``) is skipped
where that dependency is not installed (a module that imports it at its top uses
``pytest.importorskip`` instead, which skips the whole module the same way).  The render-time
calibration store (scenes/design/calibration.py) of the tests' renders, and of the commands
they start, is a temporary folder, never the user's ``~/.cache/depthprobe``."""
import importlib.util
import os
import tempfile

import pytest

#: marker -> (modules it needs, how to install them).
OPTIONAL = {"bpy": (("bpy", "blenderproc"), "pip install -e '.[render]'"),
            "torch": (("torch",), "pip install -e '.[torch]'")}


def pytest_configure(config):
    os.environ["DEPTHPROBE_CACHE"] = tempfile.mkdtemp(prefix="depthprobe-test-cache-")  # also for the commands tests start


def pytest_collection_modifyitems(config, items):
    for marker, (modules, install) in OPTIONAL.items():
        if all(importlib.util.find_spec(m) is not None for m in modules):
            continue
        skip = pytest.mark.skip(reason=f"needs {' and '.join(modules)} ({install})")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    session.config._depthprobe_exitstatus = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without interpreter teardown once BlenderProc was loaded (it segfaults there)."""
    import sys

    if "blenderproc" in sys.modules:
        from generator.blenderproc_runtime import exit_process

        exit_process(getattr(config, "_depthprobe_exitstatus", 0))
