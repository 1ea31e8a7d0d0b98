"""One loader for every form a model is given in (name, DepthModel, callable): its one name, its
record, the same in the search and in evaluate; an adapter name is parsed once per run."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

import evaluator.models.loading as loading
import evaluator.models.registry as registry
from depthprobe.search.objective import AlignedModel
from evaluator.errors import ModelLoadError, UnknownModelError
from evaluator.models.base import OutputKind
from evaluator.models.callable_model import CallableModel
from evaluator.models.flat_road import FlatRoadModel
from evaluator.models.loading import (LoadedModel, ModelRecord, ModelRequest, check_model, load_depth_model,
                                      model_name)
from scenes.geometry.camera import kitti_like_camera
from tests.evaluator.models.test_evaluator_models import ConstantModel, returns_disparity

CAMERA = kitti_like_camera(width=64, height=32)


class CallableInstance:
    """A callable object (no ``__qualname__`` of its own): named by its class."""

    output_kind = "disparity"

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return np.ones(images.shape[:3], dtype=np.float32)


def test_one_name_for_every_form():
    assert model_name("flat-road") == "flat-road"
    assert model_name(ConstantModel("mine")) == "mine"
    assert model_name(returns_disparity) == "tests.evaluator.models.test_evaluator_models:returns_disparity"
    assert model_name(CallableInstance()) == f"{__name__}:CallableInstance"


@pytest.mark.parametrize("source", ["flat-road", ConstantModel("mine"), returns_disparity, CallableInstance()])
def test_the_loader_takes_every_form_and_names_it_once(source):
    loaded = load_depth_model(source, CAMERA, "cpu")
    assert isinstance(loaded, LoadedModel) and loaded.name == model_name(source)
    assert loaded.record == ModelRecord.of(loaded.model) and loaded.record.name == loaded.model.name
    if callable(source) and not isinstance(source, ConstantModel):
        assert isinstance(loaded.model, CallableModel) and loaded.model.name == loaded.name
    assert AlignedModel.load(source, CAMERA, "cpu").model.name == loaded.model.name  # the search loads the same


def test_a_registered_name_is_built_for_the_canonical_camera():
    loaded = load_depth_model("flat-road", CAMERA)
    assert isinstance(loaded.model, FlatRoadModel)
    assert loaded.model.predict(np.zeros((1, 32, 64, 3), np.uint8)).shape == (1, 32, 64)


def test_the_record_has_the_summary_entries():
    record = load_depth_model(returns_disparity, CAMERA).record
    entries = record.entries()
    assert list(entries) == ["model", "output_kind", "model_contract", "device"]
    assert entries["output_kind"] == OutputKind.DISPARITY.value and entries["model_contract"]["framework"] == "numpy"
    assert ModelRecord.from_entries({**entries, "other": 1}) == record


def test_bad_models_are_one_line_errors_before_anything_is_built():
    with pytest.raises(UnknownModelError, match="flat-road"):
        check_model("flatroad")
    with pytest.raises(ModelLoadError, match="expected a DepthModel, got int"):
        check_model(42)
    bad = CallableInstance()
    bad.output_kind = "depthish"
    with pytest.raises(ModelLoadError, match="output_kind 'depthish'") as info:
        check_model(bad)
    assert "\n" not in str(info.value)


def test_a_checked_request_is_not_resolved_again(monkeypatch):
    request = check_model("flat-road")
    assert isinstance(request, ModelRequest) and check_model(request) is request
    monkeypatch.setattr(loading, "resolve_model_name", lambda *a, **k: pytest.fail("resolved twice"))
    assert load_depth_model(request, CAMERA).name == "flat-road"


@pytest.mark.torch
def test_an_adapter_name_is_parsed_once_per_run(monkeypatch, tmp_path):
    pytest.importorskip("torch")
    from evaluator.pipeline.evaluate import evaluate_set
    from tests.evaluator.models.test_adapters_hub import HUBCONF
    from tests.synthetic_set import write_synthetic_set

    hub = tmp_path / "hub"
    hub.mkdir()
    (hub / "hubconf.py").write_text(textwrap.dedent(HUBCONF), encoding="utf-8")
    calls = []
    parse = registry.parse_spec
    monkeypatch.setattr(registry, "parse_spec", lambda *args: calls.append(args) or parse(*args))
    name = f"hub:{hub}:midas_like?kind=metric_depth"
    summary = evaluate_set(write_synthetic_set(tmp_path / "set", distances=(1.0, 2.0)), name, tmp_path / "out",
                           device="cpu")
    assert summary["model"] == name and len(calls) == 1
