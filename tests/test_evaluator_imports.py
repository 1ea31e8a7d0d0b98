"""The evaluator's import rules: never generator or bpy; torch only when a torch model needs it."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

EVALUATOR = Path(__file__).resolve().parents[1] / "evaluator"
FORBIDDEN = ("generator", "bpy", "blenderproc")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_evaluator_imports_generator_or_blender():
    for path in EVALUATOR.rglob("*.py"):
        assert not imported_modules(path) & set(FORBIDDEN), path


def test_importing_the_evaluator_does_not_import_torch_or_generator():
    code = ("import sys, evaluator.pipeline.evaluate, evaluator.results.report, evaluator.models.registry; "
            "bad = [m for m in ('torch', 'generator', 'bpy') if m in sys.modules]; "
            "print(','.join(bad))")
    result = subprocess.run([sys.executable, "-c", code], cwd=EVALUATOR.parent, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == ""
