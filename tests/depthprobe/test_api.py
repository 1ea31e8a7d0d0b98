"""The public Python API (depthprobe/api.py, docs/api.md): ``import depthprobe`` is lazy, the
entry points are the command line's code paths, and the example in docs/api.md runs."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import depthprobe
from scenes.errors import DepthprobeError
from tests.test_import_rules import imported_modules

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
#: Modules only generator/ (Blender) or evaluator/ (torch), or the commands that need them (open3d), may load.
HEAVY = ("torch", "bpy", "blenderproc", "open3d")


def loaded_after(code: str) -> list[str]:
    """The HEAVY modules in sys.modules after running ``code`` in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return [m for m in done.stdout.strip().splitlines()[-1].split(",") if m] if done.stdout.strip() else []


def test_importing_depthprobe_loads_no_backend():
    assert loaded_after("import depthprobe") == []


def test_the_entry_points_load_lazily_and_loading_a_spec_loads_no_backend():
    code = ("import depthprobe\n"
            "assert all(callable(getattr(depthprobe, n)) for n in depthprobe.__all__)\n"
            "spec = depthprobe.load_spec('position_vs_size', quick=True)\n"
            "assert spec.camera.width <= 320 and spec.render.samples <= 8")
    assert loaded_after(code) == []


def test_importing_the_command_line_loads_no_backend():
    assert loaded_after("import depthprobe.cli") == []


def test_the_public_names_are_documented_functions():
    assert sorted(depthprobe.__all__) == sorted(["load_spec", "generate", "open_stimulus_set", "evaluate",
                                                 "read_results", "compare", "search_failures"])
    for name in depthprobe.__all__:
        function = getattr(depthprobe, name)
        assert function.__doc__ and function.__module__ == "depthprobe.api", name
    assert set(depthprobe.__all__) <= set(dir(depthprobe))
    with pytest.raises(AttributeError):
        depthprobe.no_such_entry_point  # noqa: B018


def test_the_depthprobe_package_imports_neither_torch_nor_blender():
    broken = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & {"torch", "torchvision", "bpy", "blenderproc"})
              for p in sorted((ROOT / "depthprobe").rglob("*.py"))}
    assert not {k: v for k, v in broken.items() if v}


def test_load_spec_takes_a_preset_a_spec_or_its_quick_variant():
    spec = depthprobe.load_spec("position_vs_size")
    assert depthprobe.load_spec(spec) is spec
    quick = depthprobe.load_spec(spec, quick=True)
    assert (quick.camera.width, quick.render.samples) == (320, 8) and quick.name == spec.name


@pytest.mark.parametrize("call, fragment", [
    (lambda tmp: depthprobe.load_spec("no_such_preset"), "no_such_preset"),
    (lambda tmp: depthprobe.open_stimulus_set(tmp / "missing"), "no such stimulus-set directory"),
    (lambda tmp: depthprobe.read_results(tmp / "missing"), "no such file"),
    (lambda tmp: depthprobe.compare([tmp], fmt="pdf"), "--format pdf"),
    (lambda tmp: depthprobe.generate("position_vs_size", tmp / "set", render_device="tpu"), "--render-device"),
    (lambda tmp: depthprobe.search_failures("position_vs_size", tmp / "set", model="flat-road", budget=1), "search"),
])
def test_bad_input_is_a_depthprobe_error(call, fragment, tmp_path):
    with pytest.raises(DepthprobeError, match=re.escape(fragment)):
        call(tmp_path)
    assert not (tmp_path / "set").exists()


def doc_code(path: Path) -> str:
    """The ```python blocks of a Markdown file, joined in order."""
    return "\n".join(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S))


def test_the_doc_has_python_blocks():
    code = doc_code(API_DOC)
    assert code.count("depthprobe.") >= 7 and "ref-fixed-camera" in code
    compile(code, str(API_DOC), "exec")


@pytest.mark.bpy
def test_the_example_in_docs_api_md_runs(tmp_path):
    done = subprocess.run([sys.executable, "-c", doc_code(API_DOC)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "12 frames; depth of" in done.stdout and "verdict:" in done.stdout, done.stdout
    assert re.search(r"vertical: -?\d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\]", done.stdout), done.stdout
    assert (tmp_path / "api-demo" / "results" / "summary.json").is_file()
