"""The bad-input cases of issue 18, item 1 and the leftovers beside it: a user's code is loaded by
one loader (a module on PYTHONPATH, or a file given by path), whatever it does on import or on
call (``sys.exit`` included) is one line, and a model cannot declare an input of 100000 x 100000
px (family ``code``).  That planted modules never run is tested by subprocess in
tests/depthprobe/test_no_code_from_cwd.py."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tests.bad_input.harness import base_spec, case, evaluate, write_spec

#: A model file's body for each case: (case name, body, fragment of the one error line).
MODEL_FILES = [
    ("file calls sys.exit(0) on import", "import sys\nsys.exit(0)\n", "sys.exit(0)"),
    ("file calls exit() on import", "exit()\n", "sys.exit(None)"),
    ("file calls sys.exit(3) on import", "raise SystemExit(3)\n", "sys.exit(3)"),
    ("file raises on import", "raise ValueError('the import broke')\n", "the import broke"),
    ("file is not Python", "def predict(:\n", "SyntaxError"),
    ("file imports a missing module", "import no_such_helper_dp\n", "no_such_helper_dp"),
    ("file lacks the callable", "def other(images):\n    return images\n", "has no attribute 'predict'"),
    ("file's attribute is not callable", "predict = 42\n", "not callable"),
    ("file's model exits when built",
     "from evaluator.models.base import DepthModel\nimport sys\n"
     "class predict(DepthModel):\n    @classmethod\n    def from_context(cls, context):\n        sys.exit(0)\n"
     "    def predict(self, images):\n        return images\n", "sys.exit(0)"),
    ("file's callable exits when called", "import sys\ndef predict(images):\n    sys.exit(0)\n", "sys.exit(0)"),
    ("file declares a 100000x100000 input",
     "import numpy as np\ndef predict(images):\n    return np.ones(images.shape[:3], np.float32)\n"
     "predict.input_size = (100000, 100000)\n", "8192"),
    ("file declares an input of 0 px", "def predict(images):\n    return images\npredict.input_size = (0, 9)\n",
     "input_size"),
]


def model_file(body: str, name: str = "mine.py"):
    """A case: ``body`` written to SANDBOX/models/``name`` and evaluated as ``PATH:predict``."""
    def make(sandbox: Path) -> list[str]:
        path = sandbox / "models" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(body, encoding="utf-8")
        return evaluate(sandbox, f"{path}:predict")
    return make


for name, body, fragment in MODEL_FILES:
    case("code", name, fragment)(model_file(body))

case("code", "file path missing", "not found")(lambda sandbox: evaluate(sandbox, f"{sandbox}/models/nope.py:predict"))
case("code", "relative file path missing", "file './nope.py': not found")(lambda sandbox: evaluate(sandbox, "./nope.py:predict"))


#: A module on the path that calls ``sys.exit(0)`` when imported.
EXITING_MODULE = "tests.bad_input.planted_exit"
case("code", "module calls sys.exit(0) on import", "sys.exit(0)")(
    lambda sandbox: evaluate(sandbox, f"{EXITING_MODULE}:predict"))


def _not_a_file(make: Callable[[Path], object]) -> Callable[[Path], list[str]]:
    """A case whose ``models/mine.py`` is made by ``make(path)`` (a folder, a pipe), not a file."""
    def run(sandbox: Path) -> list[str]:
        (sandbox / "models").mkdir()
        make(sandbox / "models" / "mine.py")
        return evaluate(sandbox, f"{sandbox}/models/mine.py:predict")
    return run


case("code", "file path is a folder", "not a regular file")(_not_a_file(Path.mkdir))
case("code", "file path is a pipe", "not a regular file")(_not_a_file(os.mkfifo))


@case("code", "module beside the set, not on the path", "not on the Python path")
def _module_not_on_path(sandbox: Path) -> list[str]:
    (sandbox / "set" / "depthprobe_planted_model.py").write_text("def predict(images):\n    return images\n",
                                                                encoding="utf-8")
    return evaluate(sandbox, "depthprobe_planted_model:predict")


@case("code", "adapter option size=100000x100000", "8192")
def _huge_size_option(sandbox: Path) -> list[str]:
    (sandbox / "models" / "md2").mkdir(parents=True)
    return evaluate(sandbox, f"monodepth2:{sandbox}/models/md2?size=100000x100000")


@case("code", "hub folder whose hubconf calls sys.exit(0)", "sys.exit(0)")
def _hub_exits(sandbox: Path) -> list[str]:
    folder = sandbox / "models" / "hub"
    folder.mkdir(parents=True)
    (folder / "hubconf.py").write_text("import sys\nsys.exit(0)\n", encoding="utf-8")
    return evaluate(sandbox, f"hub:{folder}:net")


def search(sandbox: Path, objective: str) -> list[str]:
    """``search`` of a valid spec with a search section, with ``--objective objective``."""
    spec = base_spec()
    spec["search"] = {"assets": ["car_sedan"], "distance_m": {"min": 6, "max": 12}}
    return ["search", write_spec(sandbox, spec), "--model", "flat-road", "--budget", "1",
            "--objective", objective, "--out", str(sandbox / "new-out")]


def objective_file(body: str):
    """A case: a search whose ``--objective`` is SANDBOX/models/score.py (holding ``body``):score."""
    def make(sandbox: Path) -> list[str]:
        path = sandbox / "models" / "score.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(body, encoding="utf-8")
        return search(sandbox, f"{path}:score")
    return make


case("code", "objective file calls sys.exit(0) on import", "sys.exit(0)")(objective_file("import sys\nsys.exit(0)\n"))
case("code", "objective file lacks the callable", "has no attribute 'score'")(objective_file("x = 1\n"))
case("code", "objective module calls sys.exit(0) on import", "sys.exit(0)")(
    lambda sandbox: search(sandbox, f"{EXITING_MODULE}:score"))
