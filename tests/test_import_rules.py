"""The layering of the packages, read from the source: which package may import what.

scenes/ is pure Python (no bpy, no torch, no generator or evaluator); generator/ never imports
the evaluator (nor torch); the evaluator never imports the generator or Blender; the analyses
and the results format are torch-free; only the command line may import rich's progress bars.
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
    code = ("import sys, scenes.spec, scenes.design, scenes.stimulus_set, scenes.preview, scenes.synthetic, "
            "evaluator.analyses.set_analysis, evaluator.results.format, evaluator.results.figures; "
            "print(','.join(m for m in ('torch', 'bpy', 'blenderproc', 'generator') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
