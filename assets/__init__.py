"""Procedural assets (meshes and catalog) for depthprobe scenes."""

import pathlib

ASSETS_DIR = pathlib.Path(__file__).parent
CATALOG_PATH = ASSETS_DIR / "catalog.yaml"
