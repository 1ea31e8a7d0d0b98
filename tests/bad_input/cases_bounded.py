"""Bad-input cases of issue 18, item 4 (family ``bounded``): every file read from a set, a
results folder, a prediction store, an export or a geometry record is a regular file within a
size cap, and JSON within a nesting cap (scenes/reading.py; layer caps from the frame size,
scenes/formats/set_checks.py); ``search --budget`` has a limit.  The 8 GiB sparse files of the
issue are in tests/scenes/test_bounded_reads.py (the harness hashes every file of the sandbox)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import yaml

from scenes.formats.geometry import CameraGeometry, frame_path
from scenes.formats.stimulus_set import layer_path
from scenes.formats import open_stimulus_set
from scenes.storage import sha256_file
from tests.bad_input.harness import FIRST_FRAME, base_spec, case, evaluate, rehashed, write_spec
from tests.bad_input.cases_readers import export, report, verify

FAMILY = "bounded"
#: JSON nested this deep: the issue's RecursionError.
DEEP = 200_000


def deep_json() -> bytes:
    return b"[" * DEEP + b"]" * DEEP


def nested_manifest(sandbox: Path) -> list[str]:
    (sandbox / "set" / "manifest.json").write_bytes(deep_json())
    return evaluate(sandbox)


def device_link(path: Path) -> None:
    """Replace ``path`` by a link to /dev/zero (endless; never read, it is no regular file)."""
    path.unlink()
    os.symlink("/dev/zero", path)


for name, fragment, make in [
    ("evaluate: manifest nested 200000 deep", "nested deeper than", nested_manifest),
    ("verify: manifest nested 200000 deep", "nested deeper than",
     lambda s: (nested_manifest(s), verify(s))[1]),
    ("export: manifest nested 200000 deep", "nested deeper than",
     lambda s: (nested_manifest(s), export(s))[1]),
    ("report: summary nested 200000 deep", "nested deeper than",
     lambda s: ((s / "results" / "summary.json").write_bytes(deep_json()), report(s))[1]),
    ("compare: summary nested 200000 deep", "nested deeper than",
     lambda s: ((s / "results-plus" / "summary.json").write_bytes(deep_json()),
                ["compare", str(s / "results"), str(s / "results-plus"), "--format", "csv"])[1]),
    ("export ply --eval: predictions index nested deep", "nested deeper than",
     lambda s: ((s / "results" / "predictions" / "index.json").write_bytes(deep_json()),
                export(s, "ply", "--frame", FIRST_FRAME, "--eval", str(s / "results")))[1]),
    ("evaluate: manifest a link to /dev/zero", "not a regular file",
     lambda s: (device_link(s / "set" / "manifest.json"), evaluate(s))[1]),
    ("evaluate: manifest a folder", "not a regular file",
     lambda s: ((s / "set" / "manifest.json").unlink(), (s / "set" / "manifest.json").mkdir(), evaluate(s))[2]),
    ("evaluate: frames table a link to /dev/zero", "not a regular file",
     lambda s: (device_link(s / "set" / "frames.parquet"), evaluate(s))[1]),
    ("export: rgb layer a link to /dev/zero", "not a regular file",
     lambda s: (device_link(layer_path(s / "set", "rgb", FIRST_FRAME)), export(s))[1]),
    ("report: summary a link to /dev/zero", "not a regular file",
     lambda s: (device_link(s / "results" / "summary.json"), report(s))[1]),
    ("report: objects table a link to /dev/zero", "not a regular file",
     lambda s: (device_link(s / "results" / "objects.parquet"), report(s))[1]),
]:
    case(FAMILY, name, fragment)(make)


@case(FAMILY, "evaluate: depth layer larger than its frame allows", "larger than")
def _oversized_depth(sandbox: Path) -> list[str]:
    root = sandbox / "set"
    path = layer_path(root, "depth", FIRST_FRAME)
    frame = open_stimulus_set(root).frames.set_index("frame_id").loc[FIRST_FRAME]
    too_many = 2 * int(frame["height"]) * int(frame["width"]) * 8 + (1 << 20)  # beyond any cap of the frame
    path.write_bytes(path.read_bytes() + b"\0" * too_many)
    rehashed(root, path.relative_to(root).as_posix())
    return evaluate(sandbox)


def geometry_export(sandbox: Path, world: str, objects: list | None = None) -> None:
    """Give the set a geometry export (a record per frame, listed and hashed) whose records name
    ``world`` as their world file."""
    root = sandbox / "set"
    stimulus_set = open_stimulus_set(root)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for fid in stimulus_set.frame_ids:
        cam = stimulus_set.camera(fid)
        record = {"format": "depthprobe-geometry", "format_version": 1, "frame_id": fid, "world": world,
                  "camera": CameraGeometry(cam.K, cam.width, cam.height, np.linalg.inv(cam.cam_to_world)).to_record(),
                  "objects": objects or [], "counterfactual_objects": None}
        path = root / frame_path(fid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")
        manifest["files"][frame_path(fid)] = sha256_file(path)
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@case(FAMILY, "verify: geometry record naming a file outside the set", "not a file of the set's manifest")
def _record_outside(sandbox: Path) -> list[str]:
    geometry_export(sandbox, "../../a-file.txt")
    return verify(sandbox)


@case(FAMILY, "verify: geometry record naming an unlisted file", "not a file of the set's manifest")
def _record_unlisted(sandbox: Path) -> list[str]:
    geometry_export(sandbox, "depth/../../other/notes.txt")
    return verify(sandbox)


@case(FAMILY, "verify: geometry record nested deep", "nested deeper than")
def _record_deep(sandbox: Path) -> list[str]:
    geometry_export(sandbox, "geometry/flat.glb")
    root = sandbox / "set"
    path = root / frame_path(FIRST_FRAME)
    path.write_bytes(deep_json())
    rehashed(root, frame_path(FIRST_FRAME))
    return verify(sandbox)


@case(FAMILY, "export: existing export's marker nested deep", "depthprobe-export.json")
def _marker_deep(sandbox: Path) -> list[str]:
    (sandbox / "new-export").mkdir()
    (sandbox / "new-export" / "depthprobe-export.json").write_bytes(deep_json())
    return export(sandbox)


@case(FAMILY, "search --budget above its limit", "--budget")
def _budget(sandbox: Path) -> list[str]:
    spec = base_spec()
    spec["search"] = {"assets": ["car_sedan"], "distance_m": {"min": 6, "max": 40}}
    return ["search", write_spec(sandbox, yaml.safe_dump(spec)), "--model", "flat-road", "--budget", "1000000000",
            "--out", str(sandbox / "new-search")]
