"""No code from the working directory (issue 18, item 1): modules planted in the folder a command
runs in, or inside the stimulus set it is given, never run, whichever way the command is started;
a user's own model is a file given by path (``./mine.py:predict``) or a module on PYTHONPATH.

Each command runs in a subprocess (the import path is what is tested), started three ways:

* ``console``: as the installed ``depthprobe`` script (pip's launcher, from a folder of its own:
  Python puts that folder first on ``sys.path``, not the working directory);
* ``module``: ``python -m depthprobe.cli`` (Python puts the working directory first on ``sys.path``
  before any of our code runs; ``depthprobe/cli.py`` removes it before importing anything);
* ``code``: ``python -c "from depthprobe.cli import main; main()"`` (Python puts ``''`` first; the
  modules ``depthprobe.cli`` imports itself, typer and numpy, are looked up there before ``main``
  can remove it, so only modules imported later, open3d and torch, are planted for it).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.synthetic_set import write_synthetic_set

#: The repository root (on the subprocesses' PYTHONPATH, as an installed depthprobe would be).
ROOT = Path(__file__).resolve().parents[2]
#: Modules a command imports lazily (after main() runs), and those imported with depthprobe.cli.
LAZY_MODULES = ("open3d", "torch", "trimesh", "matplotlib")
EAGER_MODULES = ("numpy", "typer", "pandas", "rich", "yaml", "pydantic", "typing")
#: pip's console-script launcher for ``depthprobe = depthprobe.cli:main``.
LAUNCHER = ("import sys\nfrom depthprobe.cli import main\nif __name__ == '__main__':\n"
            "    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n    sys.exit(main())\n")
MODEL = "import numpy as np\ndef predict(images):\n    return np.full(images.shape[:3], 10.0, np.float32)\n"


def starter(how: str, tmp: Path) -> list[str]:
    """The command line that starts ``depthprobe`` the way ``how`` names (module docstring)."""
    if how == "console":
        launcher = tmp / "bin" / "depthprobe"
        launcher.parent.mkdir(exist_ok=True)
        launcher.write_text(LAUNCHER, encoding="utf-8")
        return [sys.executable, str(launcher)]
    if how == "module":
        return [sys.executable, "-m", "depthprobe.cli"]
    return [sys.executable, "-c", "from depthprobe.cli import main; main()"]


def run(command: list[str], cwd: Path, pythonpath: tuple[Path, ...] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (*pythonpath, ROOT))}
    env.pop("PYTHONSAFEPATH", None)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def plant(folder: Path, modules: tuple[str, ...], markers: Path) -> None:
    """A ``NAME.py`` in ``folder`` per module that, if ever imported, leaves a marker file."""
    for name in modules:
        (folder / f"{name}.py").write_text(
            f"open({str(markers / (folder.name + '-' + name))!r}, 'w').close()\n", encoding="utf-8")


@pytest.mark.parametrize("how", ["console", "module", "code"])
def test_modules_planted_in_the_working_folder_or_the_set_never_run(tmp_path, how):
    markers, work = tmp_path / "markers", tmp_path / "work"
    markers.mkdir()
    work.mkdir()
    stimuli = write_synthetic_set(tmp_path / "set", conditions=("position_and_size",), distances=(1.0, 1.5))
    modules = LAZY_MODULES + (EAGER_MODULES if how != "code" else ())
    plant(work, modules, markers)
    plant(stimuli, modules, markers)
    cli = starter(how, tmp_path)
    commands = [(stimuli, ["verify", "."]), (stimuli, ["evaluate", ".", "--model", "flat-road", "--out", "../r"]),
                (stimuli, ["report", "../r", "--out", "../page.html"]), (stimuli, ["validate", "camera_pitch"]),
                (work, ["verify", "../set"]), (work, ["evaluate", "../set", "--model", "flat-road", "--out", "../r2"])]
    outputs = []
    for cwd, args in commands if how != "code" else commands[:4]:
        done = run(cli + args, cwd)
        outputs.append(f"{cwd.name}$ {' '.join(args)} -> {done.returncode}: {done.stderr.strip()[-300:]}")
    assert sorted(p.name for p in markers.iterdir()) == [], "\n".join(outputs)
    assert (tmp_path / "r" / "summary.json").is_file() and (tmp_path / "page.html").is_file(), "\n".join(outputs)


@pytest.mark.parametrize("how", ["console", "module"])
def test_a_model_file_is_loaded_by_path_and_a_module_only_from_pythonpath(tmp_path, how):
    stimuli = write_synthetic_set(tmp_path / "set", conditions=("position_and_size",), distances=(1.0, 1.5))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "my_depth_model.py").write_text(MODEL, encoding="utf-8")
    cli = starter(how, tmp_path)
    by_file = run(cli + ["evaluate", str(stimuli), "--model", "./my_depth_model.py:predict", "--out", "../a"], mine)
    assert by_file.returncode == 0 and (tmp_path / "a" / "summary.json").is_file(), by_file.stderr[-500:]
    beside = run(cli + ["evaluate", str(stimuli), "--model", "my_depth_model:predict", "--out", "../b"], mine)
    assert beside.returncode == 2 and not (tmp_path / "b").exists(), beside.stderr[-500:]
    lines = [line for line in beside.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "not on the Python path" in lines[0] and "./file.py:callable" in lines[0], lines
    on_path = run(cli + ["evaluate", str(stimuli), "--model", "my_depth_model:predict", "--out", str(tmp_path / "c")],
                  stimuli, pythonpath=(mine,))
    assert on_path.returncode == 0 and (tmp_path / "c" / "summary.json").is_file(), on_path.stderr[-500:]


def test_the_working_directory_entry_is_dropped_only_where_python_put_it(tmp_path):
    from depthprobe.safe_path import drop_working_directory

    cwd = str(tmp_path)
    for first in ("", cwd):
        path = [first, "/usr/lib/python3"]
        assert drop_working_directory(path, cwd) and path == ["/usr/lib/python3"]
    kept = ["/opt/bin", cwd]  # the console script's folder first; the user's own PYTHONPATH entry later
    assert not drop_working_directory(kept, cwd) and kept == ["/opt/bin", cwd]
    own = [str(ROOT), "/usr/lib/python3"]  # a checkout run from its own root: its code runs anyway
    assert not drop_working_directory(own, str(ROOT)) and own == [str(ROOT), "/usr/lib/python3"]


SPAWNING_SCRIPT = """
import sys
from multiprocessing import get_context
from depthprobe.safe_path import protect_children

def work():
    return None

if __name__ == "__main__":
    if sys.argv[1] == "protect":
        protect_children()
    worker = get_context("spawn").Process(target=work)
    worker.start()
    worker.join()
"""


@pytest.mark.parametrize("protect", [True, False])
def test_spawned_workers_do_not_import_from_the_working_directory(tmp_path, protect):
    """A ``spawn`` worker (the render pool's) is ``python -c``: without :func:`protect_children` it
    imports a ``multiprocessing.py`` planted in the working folder (the control case)."""
    markers, work = tmp_path / "markers", tmp_path / "work"
    markers.mkdir()
    work.mkdir()
    plant(work, ("multiprocessing",), markers)
    script = tmp_path / "spawning.py"
    script.write_text(SPAWNING_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    subprocess.run([sys.executable, str(script), "protect" if protect else "plain"], cwd=work,
                   env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120)
    assert [p.name for p in markers.iterdir()] == ([] if protect else ["work-multiprocessing"])


def test_the_command_protects_the_processes_it_starts(monkeypatch):
    from depthprobe.cli import main

    monkeypatch.setenv("PYTHONSAFEPATH", "")  # recorded as it was (unset: removed again afterwards) ...
    monkeypatch.delenv("PYTHONSAFEPATH")  # ... then unset for main to set: later tests' children keep their path
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", ["depthprobe", "validate", "camera_pitch"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 0 and os.environ.get("PYTHONSAFEPATH") == "1"
