"""Assembly and export: the asset list, one trimesh scene per asset, GLB files and the command line.

:data:`ASSETS` is read from ``parameters.yaml`` (see :mod:`.params`); each asset's
parts become one geometry and one node per part, named after it, with the part's
default PBR material (:data:`.parts.PART_MATERIALS`, with the asset's colour
overrides). The bounding box is checked against the declared size (metres) before
the scene is written as ``<asset_id>.glb``.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
from collections.abc import Sequence

import numpy as np
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from assets import ASSETS_DIR

from .animals import QuadrupedParams
from .constants import EXTENT_TOLERANCE_M
from .furniture import BarrelParams, ChairParams, ConeParams, FridgeParams
from .params import AssetParams, load_assets
from .parts import PART_MATERIALS, PartMaterial
from .people import CyclistParams, PedestrianParams
from .primitives import fit_to_size
from .relief import ReliefParams
from .truck import TruckParams
from .vehicles import VehicleParams

MESHES_DIR = ASSETS_DIR / "meshes"
DESCRIPTION = "Build the procedural meshes of the asset catalog."

#: Parameter class of each ``kind`` in parameters.yaml.
ASSET_KINDS: dict[str, type[AssetParams]] = {
    "vehicle": VehicleParams,
    "truck": TruckParams,
    "pedestrian": PedestrianParams,
    "cyclist": CyclistParams,
    "quadruped": QuadrupedParams,
    "chair": ChairParams,
    "cone": ConeParams,
    "barrel": BarrelParams,
    "fridge": FridgeParams,
    "relief": ReliefParams,
}

#: Every asset, in catalog order: the cars and the van (:data:`VEHICLES`), then the others (:data:`OBJECTS`).
ASSETS: tuple[AssetParams, ...] = load_assets(ASSET_KINDS)
VEHICLES: tuple[VehicleParams, ...] = tuple(p for p in ASSETS if isinstance(p, VehicleParams))
OBJECTS: tuple[AssetParams, ...] = tuple(p for p in ASSETS if not isinstance(p, VehicleParams))


def part_material(name: str, m: PartMaterial) -> PBRMaterial:
    """PBR material of a part, named after it (base colour as 0..255)."""
    return PBRMaterial(
        name=name,
        baseColorFactor=[round(c * 255) for c in m.base_colour],
        metallicFactor=m.metallic,
        roughnessFactor=m.roughness,
    )


def materials_for(p: AssetParams) -> dict[str, PartMaterial]:
    """PART_MATERIALS with the asset's colour overrides applied."""
    materials = dict(PART_MATERIALS)
    for name, rgb in p.colours:
        if name not in materials:
            raise ValueError(f"{p.asset_id}: colour for unknown part {name!r}")
        materials[name] = dataclasses.replace(materials[name], base_colour=(*rgb, 1.0))
    return materials


def build_scene(parts: dict[str, list[trimesh.Trimesh]], materials: dict[str, PartMaterial]) -> trimesh.Scene:
    """One geometry (and node) per non-empty part, named after the part, in the order of ``parts``."""
    scene = trimesh.Scene()
    for name, solids in parts.items():
        if not solids:
            continue
        if name not in materials:
            raise ValueError(f"part {name!r} has no material in PART_MATERIALS")
        mesh = trimesh.util.concatenate(solids)
        mesh = trimesh.Trimesh(vertices=mesh.vertices, faces=mesh.faces, process=False)
        mesh.visual = TextureVisuals(material=part_material(name, materials[name]))
        scene.add_geometry(mesh, geom_name=name, node_name=name)
    return scene


def check_extents(scene: trimesh.Scene, p: AssetParams) -> None:
    """Raise ValueError unless the bounding box is the declared size (metres), centred, on z = 0."""
    lo, hi = scene.bounds
    expected_lo = np.array([-p.width_m / 2, -p.length_m / 2, 0.0])
    expected_hi = np.array([p.width_m / 2, p.length_m / 2, p.height_m])
    error = max(np.abs(lo - expected_lo).max(), np.abs(hi - expected_hi).max())
    if error > EXTENT_TOLERANCE_M:
        raise ValueError(f"{p.asset_id}: bounds {lo}..{hi} differ from {expected_lo}..{expected_hi}")


def build_asset(p: AssetParams) -> trimesh.Scene:
    """Build and check the scene of one asset."""
    parts = p.parts()
    if not p.exact:
        parts = fit_to_size(parts, p)
    scene = build_scene(parts, materials_for(p))
    check_extents(scene, p)
    return scene


def write_all(out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Write ``<asset_id>.glb`` for every asset to ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for params in ASSETS:
        path = out_dir / f"{params.asset_id}.glb"
        path.write_bytes(build_asset(params).export(file_type="glb"))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: ``python -m assets.build_meshes [--out DIR]``."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--out", type=pathlib.Path, default=MESHES_DIR, help="output folder (default: assets/meshes)")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(f"{path}  {path.stat().st_size} bytes")
