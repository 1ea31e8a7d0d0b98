"""The evaluator's own layering: the results folder never imports the pipeline (the pipeline
writes results, not the other way round), and the pipeline and results facades export what
they list."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.test_import_rules import imported_dotted

EVALUATOR = Path(__file__).resolve().parents[2] / "evaluator"


def test_results_never_import_the_pipeline():
    upward = {str(path.relative_to(EVALUATOR)): sorted(name for name in imported_dotted(path)
                                                       if name.startswith("evaluator.pipeline"))
              for path in sorted((EVALUATOR / "results").rglob("*.py"))}
    assert not {k: v for k, v in upward.items() if v}


@pytest.mark.parametrize("package", ["evaluator.pipeline", "evaluator.results"])
def test_facades_export_what_they_list(package):
    module = importlib.import_module(package)
    assert module.__doc__ and module.__all__
    assert all(hasattr(module, name) for name in module.__all__)
