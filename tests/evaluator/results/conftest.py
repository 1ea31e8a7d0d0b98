"""Shared set-up of the report and comparison tests: one tiny position-vs-size set with
counterfactual frames (320x96, the reference networks' size) and evaluations on it, made once."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.synthetic_set import position_vs_size_specs, write_frames

#: The three models the comparison puts side by side (two reference networks need torch).
COMPARED_MODELS = ("ref-fixed-camera", "ref-varied-camera", "flat-road")


def tiny_specs(variants: tuple[str, ...] = ("open", "trees")):
    """Three conditions x d = 1, 2, 3 x ``variants``, each frame with its counterfactual."""
    return [dataclasses.replace(spec, counterfactual=True)
            for spec in position_vs_size_specs(variants=variants, distances=(1.0, 2.0, 3.0))]


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory) -> Path:
    """The tiny set (18 frames and 18 counterfactuals)."""
    return write_frames(tmp_path_factory.mktemp("report-sets") / "tiny", tiny_specs())


@pytest.fixture(scope="session")
def flat_road_run(tiny_set, tmp_path_factory) -> Path:
    """``flat-road`` (numpy, no torch) evaluated on the tiny set: its results folder."""
    from evaluator.pipeline.evaluate import evaluate_set

    out = tmp_path_factory.mktemp("report-runs") / "flat-road"
    evaluate_set(tiny_set, "flat-road", out, device="cpu")
    return out


@pytest.fixture(scope="session")
def model_runs(tiny_set, flat_road_run, tmp_path_factory) -> dict[str, Path]:
    """Every model of COMPARED_MODELS evaluated on the tiny set (skipped without torch)."""
    pytest.importorskip("torch", reason="the reference networks need torch (pip install -e '.[torch]')")
    from evaluator.pipeline.evaluate import evaluate_set

    root = tmp_path_factory.mktemp("compare-runs")
    runs = {"flat-road": flat_road_run}
    for model in COMPARED_MODELS:
        if model not in runs:
            evaluate_set(tiny_set, model, root / model, device="cpu")
            runs[model] = root / model
    return runs
