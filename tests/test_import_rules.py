"""The layering of the packages, read from the source: which package may import what.

scenes/ never imports bpy, torch, the generator or the evaluator; generator/ never imports
the evaluator (nor torch); the evaluator never imports the generator or Blender; the analyses
and the results format are torch-free; only the command line may import rich's progress bars.
Inside scenes/, the subpackages form a fixed order (geometry at the bottom, raycast at the top),
and code outside a subpackage reaches it only through its facade (its ``__init__``).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: folder -> top-level modules no file below it may import.
RULES = {
    "scenes": ("bpy", "blenderproc", "torch", "torchvision", "generator", "evaluator", "depthprobe", "rich"),
    "generator": ("evaluator", "torch", "torchvision", "depthprobe"),
    "evaluator": ("generator", "bpy", "blenderproc", "depthprobe", "rich"),
    "evaluator/analyses": ("torch", "torchvision"),
    "evaluator/results": ("torch", "torchvision"),
    "assets": ("generator", "evaluator", "torch", "depthprobe"),
    "depthprobe/search": ("rich",),  # library code of the command line: progress through scenes.progress
}


#: scenes subpackage -> the scenes subpackages it may import (the kernel modules at the top of
#: scenes/ -- errors, storage, outputs, registry, progress, versioning, catalog -- are open to all).
SCENES_LAYERS = {
    "geometry": (),
    "images": ("geometry",),
    "photos": ("geometry",),
    "formats": ("geometry",),
    "spec": ("geometry", "images"),
    "design": ("geometry", "images", "photos", "spec"),
    "raycast": ("geometry", "photos", "spec", "design", "formats"),
}
SCENES_KERNEL = ("errors", "reading", "storage", "outputs", "registry", "progress", "versioning", "catalog")


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file (at any depth, lazy ones included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", sorted(RULES))
def test_package_imports_follow_the_layering(folder):
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, folder
    broken = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & set(RULES[folder])) for p in files}
    assert not {k: v for k, v in broken.items() if v}


def test_the_rule_checker_sees_lazy_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import torch.nn\n    from bpy import types\n", encoding="utf-8")
    assert imported_modules(probe) == {"torch", "bpy"}


def test_importing_the_evaluator_does_not_import_torch_or_generator():
    code = ("import sys, evaluator.pipeline.evaluate, evaluator.results.report, evaluator.models.registry; "
            "print(','.join(m for m in ('torch', 'generator', 'bpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_importing_scenes_and_the_analyses_loads_neither_torch_nor_blender():
    code = ("import sys, scenes.spec.schema, scenes.design.plans, scenes.formats.stimulus_set, scenes.raycast.preview, scenes.formats.synthetic, "
            "evaluator.analyses.set_analysis, evaluator.results.format, evaluator.results.figures; "
            "print(','.join(m for m in ('torch', 'bpy', 'blenderproc', 'generator') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def imported_dotted(path: Path) -> set[str]:
    """Full dotted names of every absolute ``from X import`` / ``import X`` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_scenes_has_its_kernel_and_subpackages_only():
    top = sorted(p.stem for p in (ROOT / "scenes").glob("*.py") if p.stem != "__init__")
    assert top == sorted(SCENES_KERNEL)
    subpackages = sorted(p.parent.name for p in (ROOT / "scenes").glob("*/__init__.py"))
    assert subpackages == sorted(SCENES_LAYERS)


@pytest.mark.parametrize("sub", sorted(SCENES_LAYERS))
def test_scenes_subpackages_import_only_the_layers_below(sub):
    allowed = set(SCENES_LAYERS[sub]) | {sub}
    broken = {}
    for path in sorted((ROOT / "scenes" / sub).rglob("*.py")):
        used = {name.split(".")[1] for name in imported_dotted(path)
                if name.startswith("scenes.") and name.split(".")[1] in SCENES_LAYERS}
        if used - allowed:
            broken[str(path.relative_to(ROOT))] = sorted(used - allowed)
    assert not broken


def test_outside_a_scenes_subpackage_only_its_facade_is_imported():
    broken = {}
    for folder in ("scenes", "generator", "evaluator", "depthprobe", "assets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in imported_dotted(path):
                parts = name.split(".")
                if len(parts) > 2 and parts[0] == "scenes" and parts[1] in SCENES_LAYERS:
                    inside = path.is_relative_to(ROOT / "scenes" / parts[1])
                    if not inside:
                        broken.setdefault(str(path.relative_to(ROOT)), []).append(name)
    assert not broken


def test_the_facade_rule_sees_a_reach_past_the_facade(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from scenes.spec.schema import load_spec\nimport scenes.design\n", encoding="utf-8")
    assert imported_dotted(probe) == {"scenes.spec.schema", "scenes.design"}
