"""The geometry export of a stimulus set: what was rendered, as meshes, transforms and cameras.

The generator reads back, after each frame's render, the mesh data and ``matrix_world`` of every
mesh object Cycles rendered and the camera it rendered with, and writes them here (format
``depthprobe-geometry``, :data:`FORMAT_VERSION`); ``depthprobe verify`` (scenes/raycast/verify.py)
re-casts the frames from these files alone and compares them with the stored layers::

    SET/geometry/<variant>.glb            the static world of one world variant: road, verges,
                                          markings, buildings, trees, fences, parked cars;
                                          glTF binary, world coordinates (metres, z up), one node
                                          per Blender object, named "<class>:<instance>:<object>"
                                          (class a key of SEMANTIC_CLASSES, instance 0 = none)
    SET/geometry/meshes/<mesh>-<sha>.glb  one mesh of a placed object (a catalog asset, a base
                                          band) in its own frame, one node, no transform;
                                          named by its content (shared by every frame using it)
    SET/geometry/frames/<frame_id>.json   the frame: its world file, each placed object (node
                                          name, class, instance id, mesh file, 4x4 matrix_world),
                                          the camera (K, width, height, world_to_camera) and,
                                          for a counterfactual frame, which objects it showed,
                                          and for a frame drawn out of depth order, which
                                          objects were drawn over the rest ("drawn_over")

Units and conventions: metres, world x right, y forward, z up; vertices float32 as Blender
stores them; matrices float64 (the float32 values Blender holds, exactly); ``world_to_camera``
maps world points to OpenCV camera coordinates (x right, y down, z forward along the optical
axis); K in pixels with pixel centres at integer coordinates.  Triangles are Blender's own
triangulation of each polygon (``loop_triangles``), the one Cycles renders.  Appearance
(materials, colours, shadows) is not exported: only geometry.

Files are written through scenes/storage.py (atomic) and hashed in the manifest like the
layers; a file that is already on disk with the same content is not rewritten.  Pure Python:
numpy and trimesh (imported on first use).
"""
from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from scenes.errors import StimulusSetError
from scenes.formats.stimulus_set import GEOMETRY_FOLDER
from scenes.geometry import SEMANTIC_CLASSES
from scenes.formats.set_checks import MAX_LISTED_FILE_BYTES, is_inside
from scenes.reading import read_bounded, read_json
from scenes.storage import atomic_write_bytes, json_bytes, sha256_bytes, sha256_file

FORMAT_NAME = "depthprobe-geometry"
FORMAT_VERSION = 1
#: Sub-folders of the export (inside GEOMETRY_FOLDER of a stimulus set).
MESHES_FOLDER = f"{GEOMETRY_FOLDER}/meshes"
FRAMES_FOLDER = f"{GEOMETRY_FOLDER}/frames"
#: Hex digits of a mesh's SHA-256 in its file name.
MESH_DIGEST_CHARS = 16


@dataclass(frozen=True)
class MeshNode:
    """One rendered mesh object: triangles in its own frame and its object-to-world transform.

    :ivar name: the Blender object's name (``road``, ``markings``, ``parked_0``, ``object_1``, ...).
    :ivar semantic: its class, a key of SEMANTIC_CLASSES.
    :ivar instance_id: its value in the instance mask (0 for the world, k for object k).
    :ivar vertices: (N, 3) float32, metres, in the object's frame.
    :ivar faces: (M, 3) uint32 triangles (indices into ``vertices``).
    :ivar matrix_world: (4, 4) float64 object-to-world matrix (metres).
    :ivar mesh_name: the Blender mesh's name (``asset_car_sedan``, ``band_1``); names a placed
        object's mesh file (optional).
    """

    name: str
    semantic: str
    instance_id: int
    vertices: np.ndarray
    faces: np.ndarray
    matrix_world: np.ndarray
    mesh_name: str = ""

    @property
    def node_name(self) -> str:
        """The glTF node name ``<class>:<instance id>:<object name>``."""
        return f"{self.semantic}:{self.instance_id}:{self.name}"

    def world_vertices(self) -> np.ndarray:
        """Vertices (N, 3) in world coordinates, float64 metres (``matrix_world`` applied in float64)."""
        m = np.asarray(self.matrix_world, dtype=np.float64)
        return np.asarray(self.vertices, dtype=np.float64) @ m[:3, :3].T + m[:3, 3]

    def mesh_digest(self) -> str:
        """SHA-256 of the mesh itself (float32 vertices and uint32 faces; not its transform)."""
        v = np.ascontiguousarray(self.vertices, dtype="<f4").tobytes()
        f = np.ascontiguousarray(self.faces, dtype="<u4").tobytes()
        return sha256_bytes(len(v).to_bytes(8, "little") + v + f)


@dataclass(frozen=True)
class CameraGeometry:
    """The camera a frame was rendered with.

    :ivar K: (3, 3) intrinsics in pixels (OpenCV: pixel centres at integers, rows down).
    :ivar width: image width, pixels.
    :ivar height: image height, pixels.
    :ivar world_to_camera: (4, 4) world to OpenCV camera coordinates (metres).
    """

    K: np.ndarray
    width: int
    height: int
    world_to_camera: np.ndarray

    def pixel_rays(self) -> tuple[np.ndarray, np.ndarray]:
        """Origin (3,) and world directions (H*W, 3), float64, of the rays through every pixel
        centre, row-major; each direction has camera z-component 1, so a hit's ray parameter is
        its z-depth in metres."""
        vv, uu = np.mgrid[0:self.height, 0:self.width]
        pix = np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)], axis=1).astype(np.float64)
        d_cam = pix @ np.linalg.inv(np.asarray(self.K, dtype=np.float64)).T
        d_cam /= d_cam[:, 2:3]
        cam_to_world = np.linalg.inv(np.asarray(self.world_to_camera, dtype=np.float64))
        return cam_to_world[:3, 3].copy(), d_cam @ cam_to_world[:3, :3].T

    def to_record(self) -> dict[str, Any]:
        """Plain JSON data: K and world_to_camera as nested lists, width and height."""
        return {"K": np.asarray(self.K, float).tolist(), "width": int(self.width), "height": int(self.height),
                "world_to_camera": np.asarray(self.world_to_camera, float).tolist()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "CameraGeometry":
        """Inverse of :meth:`to_record` (KeyError / ValueError on a bad record; the caller names the file)."""
        K = np.asarray(record["K"], dtype=np.float64)
        pose = np.asarray(record["world_to_camera"], dtype=np.float64)
        if K.shape != (3, 3) or pose.shape != (4, 4):
            raise ValueError("K must be 3x3 and world_to_camera 4x4")
        return cls(K, int(record["width"]), int(record["height"]), pose)


@dataclass(frozen=True)
class FrameGeometry:
    """Everything one frame rendered.

    :ivar frame_id: the frame.
    :ivar world: the world variant's name (its file is ``geometry/<world>.glb``).
    :ivar world_nodes: the static world's meshes.
    :ivar objects: the placed objects' meshes (a stimulus object and its base band are two
        nodes with the same instance id).
    :ivar camera: the camera.
    :ivar counterfactual_objects: node names of the placed objects the counterfactual render
        showed (normally none), or None when the frame has no counterfactual.
    :ivar drawn_over: node names of the placed objects drawn over every other surface (depth
        order reversed, generator/draw_order.py): the layers show their own cast where they
        cover a pixel; () for a frame in physical order (the record then has no such key).
    """

    frame_id: str
    world: str
    world_nodes: tuple[MeshNode, ...]
    objects: tuple[MeshNode, ...]
    camera: CameraGeometry
    counterfactual_objects: tuple[str, ...] | None = None
    drawn_over: tuple[str, ...] = ()


def world_path(variant: str) -> str:
    """Relative path of a world variant's glTF file."""
    return f"{GEOMETRY_FOLDER}/{variant}.glb"


def frame_path(frame_id: str) -> str:
    """Relative path of a frame's JSON file."""
    return f"{FRAMES_FOLDER}/{frame_id}.json"


def mesh_path(node: MeshNode) -> str:
    """Relative path of a placed object's mesh file: a readable stem and the content digest."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", node.mesh_name or node.name).strip("_") or "mesh"
    return f"{MESHES_FOLDER}/{stem}-{node.mesh_digest()[:MESH_DIGEST_CHARS]}.glb"


def _trimesh(node: MeshNode):
    import trimesh

    return trimesh.Trimesh(np.asarray(node.vertices, dtype=np.float32).astype(np.float64),
                           np.asarray(node.faces, dtype=np.int64), process=False)


def glb_bytes(nodes: tuple[MeshNode, ...] | list[MeshNode]) -> bytes:
    """A glTF binary of ``nodes``: one node each, named by its node name, with its matrix_world;
    nodes with the same mesh share one glTF mesh."""
    import trimesh

    scene = trimesh.Scene()
    geometry_of: dict[str, str] = {}
    for node in nodes:
        matrix = np.asarray(node.matrix_world, dtype=np.float64)
        digest = node.mesh_digest()
        if digest not in geometry_of:
            geometry_of[digest] = f"mesh_{len(geometry_of)}"
            scene.add_geometry(_trimesh(node), geom_name=geometry_of[digest], node_name=node.node_name,
                               transform=matrix)
        else:
            scene.graph.update(frame_to=node.node_name, frame_from=scene.graph.base_frame, matrix=matrix,
                               geometry=geometry_of[digest])
    return scene.export(file_type="glb")


def mesh_glb_bytes(node: MeshNode) -> bytes:
    """A placed object's mesh file: its mesh alone, in its own frame (identity transform), as one
    node ``<class>:0:<file stem>`` (the frame files hold each object's instance id and matrix)."""
    stem = Path(mesh_path(node)).stem
    return glb_bytes([replace(node, name=stem, instance_id=0, matrix_world=np.eye(4))])


def parse_node_name(name: str) -> tuple[str, int, str]:
    """(class, instance id, object name) of a node name ``<class>:<instance>:<object>``.

    :raises ValueError: not of that form, or an unknown class.
    """
    semantic, instance, obj = name.split(":", 2)
    if semantic not in SEMANTIC_CLASSES:
        raise ValueError(f"unknown class {semantic!r} in node name {name!r}")
    return semantic, int(instance), obj


def read_glb(path: Path) -> tuple[MeshNode, ...]:
    """The nodes of a glTF binary written by :func:`glb_bytes` (sorted by node name).

    :raises StimulusSetError: the file is missing or cannot be read, or a node name is malformed.
    """
    import trimesh

    if not path.exists() and not path.is_symlink():
        raise StimulusSetError(f"{path}: geometry file is missing")
    data = read_bounded(path, MAX_LISTED_FILE_BYTES, StimulusSetError, too_large=" for a geometry file")
    try:
        scene = trimesh.load(io.BytesIO(data), file_type="glb", force="scene", process=False)
        nodes = []
        for name in sorted(scene.graph.nodes_geometry):
            matrix, geom = scene.graph[name]
            mesh = scene.geometry[geom]
            semantic, instance, obj = parse_node_name(name)
            nodes.append(MeshNode(obj, semantic, instance, np.asarray(mesh.vertices, dtype=np.float32),
                                  np.asarray(mesh.faces, dtype=np.uint32), np.asarray(matrix, dtype=np.float64)))
    except StimulusSetError:
        raise
    except Exception as exc:
        raise StimulusSetError(f"{path}: cannot be read as exported geometry ({type(exc).__name__}: {exc})") from None
    return tuple(nodes)


def frame_record(geometry: FrameGeometry) -> dict[str, Any]:
    """The JSON content of a frame's file (see the module docstring)."""
    objects = [{"node": n.node_name, "semantic": n.semantic, "instance_id": int(n.instance_id),
                "mesh": mesh_path(n), "matrix_world": np.asarray(n.matrix_world, float).tolist()}
               for n in geometry.objects]
    cf = None if geometry.counterfactual_objects is None else sorted(geometry.counterfactual_objects)
    record = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "frame_id": geometry.frame_id,
              "world": world_path(geometry.world), "camera": geometry.camera.to_record(), "objects": objects,
              "counterfactual_objects": cf}
    return {**record, "drawn_over": sorted(geometry.drawn_over)} if geometry.drawn_over else record


class GeometryWriter:
    """Writes the geometry export of a stimulus set, frame by frame, into ``root``.

    World and mesh files are encoded and written once per run (and not rewritten when the file
    on disk already has the same content, as on a resumed run).
    """

    def __init__(self, root: Path | str):
        self._root = Path(root)
        self._written: dict[str, str] = {}  # relative path -> sha256, this run
        self._worlds: dict[str, str] = {}  # variant -> sha256 of its glb

    def _write(self, rel: str, data: bytes) -> str:
        digest = sha256_bytes(data)
        if self._written.get(rel) == digest:
            return digest
        path = self._root / rel
        if not (path.is_file() and sha256_file(path) == digest):
            atomic_write_bytes(path, data)
        self._written[rel] = digest
        return digest

    def write(self, geometry: FrameGeometry) -> dict[str, str]:
        """Write one frame's files (its world and meshes when not yet written); return
        ``{relative path: sha256}`` of every file the frame needs."""
        files = {}
        rel = world_path(geometry.world)
        if geometry.world not in self._worlds:
            self._worlds[geometry.world] = self._write(rel, glb_bytes(geometry.world_nodes))
        files[rel] = self._worlds[geometry.world]
        for node in geometry.objects:
            rel = mesh_path(node)
            files[rel] = self._written.get(rel) or self._write(rel, mesh_glb_bytes(node))
        rel = frame_path(geometry.frame_id)
        files[rel] = self._write(rel, json_bytes(frame_record(geometry), indent=None))
        return files


def _frame_json(path: Path) -> dict[str, Any]:
    if not path.exists() and not path.is_symlink():
        raise StimulusSetError(f"{path}: geometry file is missing (a set rendered without the geometry export? "
                               "render it again to verify it)")
    record = read_json(path, StimulusSetError, "valid geometry record")
    if not isinstance(record, dict):
        raise StimulusSetError(f"{path}: not a geometry record (a JSON {type(record).__name__}, not an object)")
    if record.get("format") != FORMAT_NAME or record.get("format_version") != FORMAT_VERSION:
        raise StimulusSetError(f"{path}: not {FORMAT_NAME} version {FORMAT_VERSION} "
                               f"(format={record.get('format')!r}, version={record.get('format_version')!r})")
    return record


def read_frame_geometry(root: Path | str, frame_id: str, cache: dict[str, tuple[MeshNode, ...]] | None = None,
                        listed: Mapping[str, str] | None = None) -> FrameGeometry:
    """Read a frame's geometry export from a stimulus set (``cache`` keeps glTF files read before,
    by relative path).

    :param listed: the manifest's ``files``: the record and every file it names must be one of
        them (files the set's open hashed, within their size); None: any file inside the set.
    :raises StimulusSetError: a file is missing, unreadable, too large, of another format, not
        listed, or inconsistent.
    """
    root = Path(root)
    cache = {} if cache is None else cache
    path = root / frame_path(frame_id)
    record = _frame_json(path)

    def nodes(rel: str) -> tuple[MeshNode, ...]:
        if not isinstance(rel, str) or not is_inside(rel) or (listed is not None and rel not in listed):
            raise StimulusSetError(f"{path}: names {str(rel)[:80]!r}, which is not a file of the set's manifest")
        if rel not in cache:
            cache[rel] = read_glb(root / rel)
        return cache[rel]

    try:
        camera = CameraGeometry.from_record(record["camera"])
        world_rel = record["world"]
        objects = []
        for entry in record["objects"]:
            (mesh,) = nodes(entry["mesh"])
            semantic, instance, name = parse_node_name(entry["node"])
            objects.append(MeshNode(name, semantic, instance, mesh.vertices, mesh.faces,
                                    np.asarray(entry["matrix_world"], dtype=np.float64).reshape(4, 4)))
        cf = record.get("counterfactual_objects")
        drawn_over = tuple(str(name) for name in record.get("drawn_over", ()))
    except StimulusSetError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise StimulusSetError(f"{path}: malformed geometry record ({type(exc).__name__}: {exc})") from None
    world = Path(world_rel).stem
    return FrameGeometry(record.get("frame_id", frame_id), world, nodes(world_rel), tuple(objects), camera,
                         None if cf is None else tuple(cf), drawn_over)
