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
