"""Model contract, registry, flat-road prior, and the inference helpers (resizing, checks)."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.errors import EvaluationArgumentError, ModelLoadError, ModelOutputError, UnknownModelError
from evaluator.models.device import resolve_device
from evaluator.pipeline.batching import check_prediction, predict_images, resize_maps
from evaluator.models.base import DepthModel, ModelContext, OutputKind
from evaluator.models.callable_model import CallableModel
from evaluator.models.flat_road import FlatRoadModel
from evaluator.models.registry import BUILTIN_MODELS, available_models, load_model
from scenes.geometry.camera import kitti_like_camera

CAMERA = kitti_like_camera(width=320, height=96)
CONTEXT = ModelContext(CAMERA, device="cpu")


class ConstantModel(DepthModel):
    """Predicts 5 m everywhere; built from the context."""

    output_kind = OutputKind.METRIC_DEPTH

    def __init__(self, name: str = "constant") -> None:
        self.name = name

    @classmethod
    def from_context(cls, context: ModelContext) -> "ConstantModel":
        return cls(name=f"constant@{context.canonical_camera.width}")

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.full(images.shape[:3], 5.0, dtype=np.float32)


def returns_disparity(images: np.ndarray) -> np.ndarray:
    return np.ones(images.shape[:3], dtype=np.float32)


returns_disparity.output_kind = "disparity"


def bad_kind(images: np.ndarray) -> np.ndarray:
    return np.ones(images.shape[:3], dtype=np.float32)


bad_kind.output_kind = "depth_in_feet"
not_callable = 3.5


def broken_factory(context: ModelContext) -> str:
    return "not a model"


def images(n: int = 2, height: int = 96, width: int = 320, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, height, width, 3), dtype=np.uint8)


def test_registry_lists_flat_road_and_is_read_only():
    assert "flat-road" in available_models()
    with pytest.raises(TypeError):
        BUILTIN_MODELS["x"] = "y:z"  # type: ignore[index]


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownModelError) as info:
        load_model("flatroad", CONTEXT)
    message = str(info.value)
    assert "did you mean 'flat-road'" in message and "module:callable" in message and "\n" not in message


def test_unknown_name_without_close_match_lists_known_models():
    with pytest.raises(UnknownModelError, match="known models: flat-road") as info:
        load_model("zoedepth-large", CONTEXT)
    assert "did you mean" not in str(info.value)


def test_import_failure_names_the_module():
    with pytest.raises(ModelLoadError, match="cannot import module 'no_such_pkg_dp.models'") as info:
        load_model("no_such_pkg_dp.models:predict", CONTEXT)
    assert "\n" not in str(info.value)


def test_missing_attribute_names_module_and_attribute():
    with pytest.raises(ModelLoadError, match="module 'math' has no attribute 'depth_net'"):
        load_model("math:depth_net", CONTEXT)


@pytest.mark.parametrize("attr, message", [("not_callable", "not callable"),
                                           ("bad_kind", "depth_in_feet")])
def test_unusable_targets_give_one_line(attr, message):
    with pytest.raises(ModelLoadError) as info:
        load_model(f"{__name__}:{attr}", CONTEXT)
    assert "\n" not in str(info.value) and message in str(info.value)


def test_broken_registered_factory_is_reported():
    with pytest.raises(ModelLoadError, match="expected a DepthModel"):
        load_model("mine", CONTEXT, registry={"mine": f"{__name__}:broken_factory"})


def test_callable_output_kind_is_read_from_the_callable():
    model = load_model(f"{__name__}:returns_disparity", CONTEXT)
    assert isinstance(model, CallableModel) and model.output_kind == OutputKind.DISPARITY
    assert model.name == f"{__name__}:returns_disparity" and model.input_size is None


def test_depth_model_class_is_built_from_context():
    model = load_model(f"{__name__}:ConstantModel", CONTEXT)
    assert model.name == "constant@320"


def test_flat_road_is_road_depth_below_horizon_and_inf_above():
    model = load_model("flat-road", CONTEXT)
    assert isinstance(model, FlatRoadModel) and model.input_size == (96, 320)
    pred = model.predict(images())
    horizon = CAMERA.horizon_row()
    assert pred.shape == (2, 96, 320) and pred.dtype == np.float32
    assert np.all(np.isinf(pred[:, : int(np.floor(horizon)) + 1]))
    row = 80
    assert pred[0, row, 17] == pytest.approx(CAMERA.fy * CAMERA.height_m / (row - CAMERA.cy), rel=1e-6)


def test_flat_road_ignores_image_content():
    model = FlatRoadModel(CAMERA)
    np.testing.assert_array_equal(model.predict(images(seed=1)), model.predict(images(seed=2)))


def test_inference_resizes_to_model_size_and_back():
    model = FlatRoadModel(CAMERA)
    pred = predict_images(model, images(height=48, width=160))
    assert pred.shape == (2, 48, 160)
    small = CAMERA.scaled(0.5)
    v = 40  # well below the horizon, far from the inf boundary
    assert pred[0, v, 80] == pytest.approx(small.fy * small.height_m / (v - small.cy), rel=0.02)
    assert np.isinf(pred[0, 0, 0])  # sky stays +inf: never blended into a finite value
    assert not np.isnan(pred).any()


def test_resize_maps_is_bilinear_where_finite():
    maps = np.array([[[1.0, 3.0], [1.0, 3.0]]], dtype=np.float32)
    out = resize_maps(maps, (2, 4))
    np.testing.assert_allclose(out[0, 0], [1.0, 1.5, 2.5, 3.0])


@pytest.mark.parametrize("pred, fragment", [
    ([[1.0]], "returned list"),
    (np.ones((2, 96, 320), dtype=np.int32), "dtype int32"),
    (np.ones((2, 1, 96, 320), dtype=np.float32), "shape (2, 1, 96, 320)"),
    (np.ones((2, 320, 96), dtype=np.float32), "shape (2, 320, 96)"),
])
def test_prediction_checks_are_one_line(pred, fragment):
    with pytest.raises(ModelOutputError) as info:
        check_prediction(pred, (2, 96, 320), "m")
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_float64_prediction_is_accepted_as_float32():
    out = check_prediction(np.ones((1, 2, 3)), (1, 2, 3), "m")
    assert out.dtype == np.float32


def test_device_resolution():
    import torch

    assert resolve_device(None) == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(EvaluationArgumentError, match="not a torch device"):
        resolve_device("gpu-please")
    if not torch.cuda.is_available():
        with pytest.raises(EvaluationArgumentError, match="CUDA is not available"):
            resolve_device("cuda")


@pytest.mark.torch
def test_torch_module_runs_without_autograd_with_normalisation_and_resizing():
    import torch

    from evaluator.models.base import IMAGENET_NORMALISATION
    from evaluator.models.torch_module import TorchModuleModel

    torch.manual_seed(0)
    seen = {}

    class TinyNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 1, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen["inference_mode"] = torch.is_inference_mode_enabled()
            seen["shape"] = tuple(x.shape)
            seen["min"] = float(x.min())
            return torch.nn.functional.softplus(self.conv(x)) + 1.0

    model = TorchModuleModel(TinyNet(), "tiny", "metric_depth", device=resolve_device("cpu"),
                             input_size=(64, 192), normalisation=IMAGENET_NORMALISATION)
    pred = predict_images(model, images(n=3))
    assert pred.shape == (3, 96, 320) and pred.dtype == np.float32 and np.all(pred >= 1.0)
    assert seen["inference_mode"] is True and seen["shape"] == (3, 3, 64, 192)
    assert seen["min"] < 0  # normalised, not [0, 1]
