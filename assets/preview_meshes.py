"""Quick matplotlib previews of the catalog meshes (for eyeballing, not for the renderer).

Run ``python -m assets.preview_meshes [--out DIR]``: writes ``<id>_<view>.png``
per asset and view, plus ``contact_sheet.png`` (all of them, shrunk), default to
``<tmp>/asset_previews``. Flat Lambert shading, back faces culled, orthographic.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import trimesh  # noqa: E402
import yaml  # noqa: E402
from mpl_toolkits.mplot3d.art3d import Poly3DCollection  # noqa: E402

from assets import ASSETS_DIR, CATALOG_PATH  # noqa: E402

# name -> (elevation deg, azimuth deg); azimuth 0 looks from +x, 90 from +y (the front)
VIEWS = {
    "rear": (6.0, -90.0),
    "rear_above": (25.0, -75.0),
    "front_left": (10.0, 135.0),
    "side_left": (5.0, 180.0),
}
ZOOM = 1.6  # matplotlib's default leaves a wide margin round the axes box
MAX_EDGE_M = 0.08  # triangles are split to this size so matplotlib's depth sort holds
LIGHT_DIR = np.array([-0.3, -0.5, 0.8])  # towards the light, world frame
AMBIENT = 0.35  # fraction of the base colour lit without the light
SHEET_SCALE = 2  # contact sheet: every n-th pixel of each view
FALLBACK_RGB = (1.0, 0.0, 1.0)  # parts without a material show magenta


def view_vector(elev_deg: float, azim_deg: float) -> np.ndarray:
    """Unit vector from the object towards the camera."""
    e, a = np.radians(elev_deg), np.radians(azim_deg)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def base_rgb(mesh: trimesh.Trimesh) -> np.ndarray:
    """Linear base colour (0..1) of a part's PBR material."""
    material = getattr(mesh.visual, "material", None)
    colour = getattr(material, "baseColorFactor", None)
    if colour is None:
        return np.array(FALLBACK_RGB)
    return np.asarray(colour[:3], dtype=float) / 255.0


def shaded_polygons(scene: trimesh.Scene, towards_camera: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Front-facing triangles of every part and their Lambert-shaded colours."""
    light = LIGHT_DIR / np.linalg.norm(LIGHT_DIR)
    polygons, colours = [], []
    for name in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[name]
        mesh = scene.geometry[geom_name].copy()
        mesh.apply_transform(transform)
        vertices, faces = trimesh.remesh.subdivide_to_size(mesh.vertices, mesh.faces, MAX_EDGE_M)
        mesh = trimesh.Trimesh(vertices, faces, process=False, visual=mesh.visual.copy())
        facing = mesh.face_normals @ towards_camera > 0.0
        lambert = np.clip(mesh.face_normals[facing] @ light, 0.0, 1.0)
        shade = AMBIENT + (1.0 - AMBIENT) * lambert
        rgb = base_rgb(mesh) ** (1 / 2.2)  # linear -> display
        polygons += list(mesh.triangles[facing])
        colours += list(np.clip(shade[:, None] * rgb[None, :], 0.0, 1.0))
    return polygons, colours


def render(scene: trimesh.Scene, view: tuple[float, float], path: pathlib.Path, size_px: tuple[int, int]) -> None:
    """Render one view of a scene to a PNG of about ``size_px`` (width, height)."""
    elev, azim = view
    polygons, colours = shaded_polygons(scene, view_vector(elev, azim))
    dpi = 100
    fig = plt.figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    ax = fig.add_subplot(projection="3d", proj_type="ortho")
    ax.add_collection3d(Poly3DCollection(polygons, facecolors=colours, edgecolors=colours, linewidths=0.2))
    lo, hi = scene.bounds
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre):
        setter(c - half, c + half)
    ax.set_box_aspect((1, 1, 1), zoom=ZOOM)
    ax.view_init(elev=elev, azim=azim)
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)
    fig.savefig(path, facecolor=(0.75, 0.8, 0.85))
    plt.close(fig)


def contact_sheet(paths: list[list[pathlib.Path]], out: pathlib.Path, scale: int) -> None:
    """Tile PNGs (rows of equal-size images), each shrunk by an integer ``scale``, into one PNG."""
    rows = [np.concatenate([plt.imread(p)[::scale, ::scale, :3] for p in row], axis=1) for row in paths]
    plt.imsave(out, np.concatenate(rows, axis=0))


def catalog_files() -> list[tuple[str, pathlib.Path]]:
    """(asset id, GLB path) of every catalog asset."""
    catalog = yaml.safe_load(CATALOG_PATH.read_text())
    return [(a["id"], ASSETS_DIR / a["file"]) for a in catalog["assets"]]


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = pathlib.Path(tempfile.gettempdir()) / "asset_previews"
    parser.add_argument("--out", type=pathlib.Path, default=default_out)
    parser.add_argument("--size", type=int, nargs=2, default=(800, 800), metavar=("W", "H"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sheet = []
    for asset_id, glb in catalog_files():
        scene = trimesh.load(glb, force="scene")
        sheet.append([args.out / f"{asset_id}_{view_name}.png" for view_name in VIEWS])
        for view, path in zip(VIEWS.values(), sheet[-1]):
            render(scene, view, path, tuple(args.size))
            print(path)
    contact_sheet(sheet, args.out / "contact_sheet.png", SHEET_SCALE)
    print(args.out / "contact_sheet.png")


if __name__ == "__main__":
    main()
