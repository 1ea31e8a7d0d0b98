"""Shared test set-up: tests marked ``bpy`` are skipped where Blender's module is not installed."""
import importlib.util

import pytest


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("bpy") is not None and importlib.util.find_spec("blenderproc") is not None:
        return
    skip = pytest.mark.skip(reason="needs bpy and blenderproc (pip install -e '.[render]')")
    for item in items:
        if "bpy" in item.keywords:
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
