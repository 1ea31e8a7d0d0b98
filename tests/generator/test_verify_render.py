"""`depthprobe verify` on real renders: every preset's quick render passes, a forged depth fails.

Rendering is the slow part, so the sets of tests/generator/test_render_presets.py (each preset,
quick, --limit 2) are reused when this session rendered them already: they are found under
pytest's base temporary folder by the preset's spec hash (and must hold a geometry export);
a preset without one is rendered here with --limit 1.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from generator.generate import generate
from generator.road_world import MARKING_LIFT_M
from scenes import open_stimulus_set
from scenes.catalog import default_catalog
from scenes.design.plans import expand
from scenes.formats.geometry import read_frame_geometry
from scenes.design.meshes import placement_matrix
from scenes.spec.schema import load_spec, preset_names, quick_spec
from scenes.storage import atomic_write_bytes, npy_bytes, sha256_file
from scenes.formats.stimulus_set import MANIFEST, layer_path, write_manifest
from scenes.raycast.verify import format_run, verify_set

pytestmark = pytest.mark.bpy


def _rendered_set(base: Path, spec_hash: str) -> Path | None:
    """A finished stimulus set under ``base`` of the spec with ``spec_hash`` and with a geometry export."""
    for manifest in sorted(base.glob("*/*/manifest.json")):
        try:
            body = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        files = body.get("files", {})
        if body.get("spec_hash") == spec_hash and any(rel.startswith("geometry/frames/") for rel in files):
            return manifest.parent
    return None


@pytest.fixture(scope="module")
def preset_sets(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.getbasetemp()
    sets = {}
    for name in preset_names():
        spec = quick_spec(load_spec(name))
        found = _rendered_set(base, spec.spec_hash())
        if found is None:
            found = tmp_path_factory.mktemp(f"verify_{name}") / "set"
            generate(spec, found, limit=1)
        sets[name] = found
    return sets


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_verifies(preset_sets, name):
    run = verify_set(preset_sets[name])
    print("\n" + "\n".join(format_run(run)))  # the measured figures (pytest -s shows them)
    assert run.checks and run.failed == [], format_run(run)
    on_photos = load_spec(name).world.background is not None  # only the objects are rendered and checked
    stimulus_set = open_stimulus_set(preset_sets[name])
    for check in run.checks:
        if on_photos:  # a share of the objects' pixels: a small car is mostly edge (1 px left out all round)
            assert check.depth.compared_fraction > 0.3 * (stimulus_set.instances(check.frame_id) > 0).mean()
        else:
            assert check.depth.compared_fraction > 0.6
        assert check.instance_agreement >= 0.99 and check.semantic_agreement >= 0.99
    if name == "novel_objects":  # the counterfactual depth is checked too
        assert all(c.counterfactual is not None and c.counterfactual.failing_px == 0 for c in run.checks)


def test_export_holds_what_was_rendered(preset_sets):
    """The read-back geometry is the rendered scene: markings 1 mm above the road, objects at
    their placement (to Blender's float32), the camera of the plan."""
    root = preset_sets["ground_contact"]
    s = open_stimulus_set(root)
    spec = quick_spec(load_spec("ground_contact"))
    plans = {p.frame_id: p for p in expand(spec, default_catalog())}
    for fid in s.frame_ids:
        geometry = read_frame_geometry(root, fid)
        classes = {n.semantic for n in geometry.world_nodes}
        assert {"road", "verge", "marking"} <= classes
        markings = next(n for n in geometry.world_nodes if n.semantic == "marking")
        np.testing.assert_allclose(markings.world_vertices()[:, 2], MARKING_LIFT_M, rtol=1e-6)
        plan = plans[fid]
        for p in plan.objects:
            node = next(n for n in geometry.objects if n.name == f"object_{p.object_id}")
            np.testing.assert_allclose(node.matrix_world, placement_matrix(p), atol=1e-5)
        np.testing.assert_allclose(np.linalg.inv(geometry.camera.world_to_camera), plan.camera.cam_to_world, atol=1e-6)
        np.testing.assert_allclose(geometry.camera.K, plan.camera.K, atol=1e-4)


def test_a_forged_depth_fails_naming_the_frame(preset_sets, tmp_path):
    root = tmp_path / "forged"
    shutil.copytree(preset_sets["position_vs_size"], root)
    s = open_stimulus_set(root)
    fid = s.frame_ids[-1]
    path = layer_path(root, "depth", fid)
    depth = np.load(path)
    car = s.instances(fid) > 0
    depth[car] *= np.float32(1.002)  # the car 0.2 % farther (2 ... 5 cm): the rest of the set is untouched
    atomic_write_bytes(path, npy_bytes(depth))
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["files"][path.relative_to(root).as_posix()] = sha256_file(path)
    write_manifest(root, manifest)
    assert open_stimulus_set(root).problems() == []  # the manifest's hashes pass
    run = verify_set(root)
    assert run.failed == [fid]
    assert fid in format_run(run)[-1] and "FAIL" in format_run(run)[-1]
