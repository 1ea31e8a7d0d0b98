"""Checks of the asset catalog and the procedural meshes (no Blender needed)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest
import trimesh
import yaml

from assets import ASSETS_DIR, CATALOG_PATH
from assets.build_meshes import PART_NAMES, VEHICLES

REPO_ROOT = ASSETS_DIR.parent
DIM_TOLERANCE_M = 1e-3
GROUND_TOLERANCE_M = 1e-6
REQUIRED_PARTS = {"paint", "tyre", "glass"}
ASSET_KEYS = {"id", "class", "familiarity", "length_m", "width_m", "height_m", "file", "source", "licence"}


def load_catalog() -> dict:
    """The parsed catalog.yaml."""
    return yaml.safe_load(CATALOG_PATH.read_text())


CATALOG = load_catalog()
ASSETS = CATALOG["assets"]
ASSET_IDS = [a["id"] for a in ASSETS]


def load_scene(asset: dict) -> trimesh.Scene:
    """The asset's GLB as a trimesh scene."""
    return trimesh.load(ASSETS_DIR / asset["file"], force="scene")


def part_vertices(scene: trimesh.Scene, part: str) -> np.ndarray:
    """World-frame vertices (metres) of every node showing the named geometry."""
    chunks = []
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        if geom_name == part:
            chunks.append(trimesh.transform_points(scene.geometry[part].vertices, transform))
    return np.vstack(chunks)


def test_catalog_schema() -> None:
    assert CATALOG["version"] == 1
    for name, cls in CATALOG["classes"].items():
        assert cls["usual_height_m"] > 0, name
        assert isinstance(cls["semantic"], str), name
    assert len(set(ASSET_IDS)) == len(ASSET_IDS), "duplicate asset ids"
    for asset in ASSETS:
        assert set(asset) == ASSET_KEYS, asset["id"]
        assert asset["class"] in CATALOG["classes"], asset["id"]
        assert asset["familiarity"] in ("familiar", "novel"), asset["id"]


def test_catalog_lists_every_procedural_vehicle_with_its_parameters() -> None:
    by_id = {a["id"]: a for a in ASSETS}
    for params in VEHICLES:
        asset = by_id[params.asset_id]
        assert asset["class"] == params.vehicle_class
        assert asset["file"] == f"meshes/{params.asset_id}.glb"
        assert asset["source"] == "procedural: assets/build_meshes.py"
        got = (asset["length_m"], asset["width_m"], asset["height_m"])
        assert got == pytest.approx((params.length_m, params.width_m, params.height_m), abs=1e-9)


@pytest.mark.parametrize("asset", ASSETS, ids=ASSET_IDS)
def test_mesh_parts(asset: dict) -> None:
    path = ASSETS_DIR / asset["file"]
    assert path.is_file()
    assert path.stat().st_size < 1_000_000
    scene = load_scene(asset)
    names = set(scene.geometry)
    assert names <= set(PART_NAMES), names - set(PART_NAMES)
    assert REQUIRED_PARTS <= names
    for node in scene.graph.nodes_geometry:
        assert scene.graph[node][1] == node, "node name differs from its geometry name"


@pytest.mark.parametrize("asset", ASSETS, ids=ASSET_IDS)
def test_mesh_size_and_ground(asset: dict) -> None:
    scene = load_scene(asset)
    lo, hi = scene.bounds
    size_xyz = (asset["width_m"], asset["length_m"], asset["height_m"])
    np.testing.assert_allclose(hi - lo, size_xyz, atol=DIM_TOLERANCE_M)
    np.testing.assert_allclose((lo[:2] + hi[:2]) / 2, (0.0, 0.0), atol=DIM_TOLERANCE_M)
    assert abs(lo[2]) < GROUND_TOLERANCE_M
    assert abs(part_vertices(scene, "tyre")[:, 2].min()) < GROUND_TOLERANCE_M


@pytest.mark.parametrize("asset", ASSETS, ids=ASSET_IDS)
def test_mesh_parts_are_closed_and_outward(asset: dict) -> None:
    for name, mesh in load_scene(asset).geometry.items():
        assert mesh.is_watertight, name
        assert mesh.is_winding_consistent, name
        assert mesh.volume > 0, name


def test_build_reproduces_committed_meshes(tmp_path: pathlib.Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "assets.build_meshes", "--out", str(tmp_path)],
        cwd=REPO_ROOT, check=True, capture_output=True,
    )
    for params in VEHICLES:
        name = f"{params.asset_id}.glb"
        committed = ASSETS_DIR / "meshes" / name
        rebuilt = tmp_path / name
        if committed.read_bytes() == rebuilt.read_bytes():
            continue
        old, new = trimesh.load(committed, force="scene"), trimesh.load(rebuilt, force="scene")
        assert set(old.geometry) == set(new.geometry), name
        for part in old.geometry:
            np.testing.assert_allclose(old.geometry[part].vertices, new.geometry[part].vertices, atol=1e-6)
            np.testing.assert_array_equal(old.geometry[part].faces, new.geometry[part].faces)
