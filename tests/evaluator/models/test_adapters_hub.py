"""torch.hub adapter (``hub:<folder>:<entrypoint>``) on a local hub folder written by the test,
and the registry's adapter prefixes and their precedence."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from evaluator.errors import ModelLoadError, UnknownModelError  # noqa: E402
from evaluator.pipeline.batching import predict_images  # noqa: E402
from evaluator.models.base import IMAGENET_NORMALISATION, ModelContext, Normalisation, OutputKind  # noqa: E402
from evaluator.models.registry import MODEL_PREFIXES, check_model_name, load_model  # noqa: E402
from evaluator.models.spec import ModelOptionError, ModelSourceError, parse_spec  # noqa: E402
from evaluator.models.torch_hub import TorchHubModel  # noqa: E402
from scenes.geometry.camera import kitti_like_camera  # noqa: E402

pytestmark = pytest.mark.torch
CONTEXT = ModelContext(kitti_like_camera(width=160, height=48), device="cpu")


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_torch_thread):
    """Every test of this module on one torch thread (see conftest.py)."""

HUBCONF = '''
"""A MiDaS-like hub folder for tests: small random conv nets."""
import torch

dependencies = ["torch"]


class TinyDepth(torch.nn.Module):
    """Normalised RGB (N, 3, H, W) -> positive map (N, H, W); records what it saw."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 1, 3, padding=1)
        self.seen = []

    def forward(self, x):
        self.seen.append((tuple(x.shape), float(x.min()), float(x.max()), torch.is_inference_mode_enabled()))
        return torch.nn.functional.softplus(self.conv2(torch.relu(self.conv1(x))))[:, 0] + 0.1


def midas_like(pretrained=True):
    """Relative inverse depth by default (no attributes)."""
    assert pretrained is False, "tests never load weights"
    return TinyDepth()


def declared(pretrained=True):
    """Declares kind, size and normalisation as attributes."""
    model = TinyDepth()
    model.output_kind = "metric_depth"
    model.input_size = (32, 64)
    model.normalisation = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    return model


def plain():
    """No `pretrained` parameter: called without it."""
    return TinyDepth()


def not_a_module(pretrained=True):
    return "nope"


def broken(pretrained=True):
    raise RuntimeError("weights missing")
'''


@pytest.fixture
def hub_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny_hub"
    folder.mkdir()
    (folder / "hubconf.py").write_text(textwrap.dedent(HUBCONF), encoding="utf-8")
    return folder


def images(n: int = 2, height: int = 48, width: int = 160, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, height, width, 3), dtype=np.uint8)


def test_entrypoint_defaults_to_relative_inverse_depth_at_native_size(hub_folder):
    model = load_model(f"hub:{hub_folder}:midas_like", CONTEXT)
    assert isinstance(model, TorchHubModel) and model.output_kind == OutputKind.RELATIVE_INVERSE_DEPTH
    assert model.network_input_size is None and model.normalisation is None
    pred = predict_images(model, images())
    assert pred.shape == (2, 48, 160) and pred.dtype == np.float32 and np.all(np.isfinite(pred))
    shape, low, high, inference = model.module.seen[-1]
    assert shape == (2, 3, 48, 160) and 0.0 <= low and high <= 1.0 and inference


def test_module_attributes_declare_kind_size_and_normalisation(hub_folder):
    model = load_model(f"hub:{hub_folder}:declared", CONTEXT)
    assert model.output_kind == OutputKind.METRIC_DEPTH and model.network_input_size == (32, 64)
    assert model.normalisation == IMAGENET_NORMALISATION
    pred = model.predict(images(n=3))
    assert pred.shape == (3, 48, 160) and np.all(pred > 0) and np.all(np.isfinite(pred))
    shape, low, _, _ = model.module.seen[-1]
    assert shape == (3, 3, 32, 64) and low < 0  # resized to the declared size, normalised


def test_options_override_the_attributes(hub_folder):
    model = load_model(f"hub:{hub_folder}:declared?kind=disparity,size=24x40,norm=half,amp=false", CONTEXT)
    assert model.output_kind == OutputKind.DISPARITY and model.network_input_size == (24, 40)
    assert model.normalisation == Normalisation((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    assert model.predict(images(n=1)).shape == (1, 48, 160)
    assert model.module.seen[-1][0] == (1, 3, 24, 40)
    plain = TorchHubModel.from_folder(str(hub_folder), "declared", normalisation=None, device="cpu")
    assert plain.normalisation is None and plain.describe()["entrypoint"] == "declared"


def test_mixed_precision_only_on_cuda(hub_folder):
    import contextlib
    import warnings

    model = load_model(f"hub:{hub_folder}:midas_like", CONTEXT)
    assert isinstance(model.autocast(), contextlib.nullcontext) and model.describe()["mixed_precision"] is False
    model.device = "cuda"  # what the context gives on a GPU machine (no tensor is moved here)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "CUDA not available" on CPU-only machines
        assert isinstance(model.autocast(), torch.autocast)
    model.mixed_precision = False
    assert isinstance(model.autocast(), contextlib.nullcontext)


def test_hub_errors_name_the_folder_and_entrypoint(hub_folder, tmp_path):
    with pytest.raises(ModelSourceError, match="has no entrypoint 'midas'; it has") as info:
        load_model(f"hub:{hub_folder}:midas", CONTEXT)
    assert "midas_like" in str(info.value) and "\n" not in str(info.value)
    assert isinstance(load_model(f"hub:{hub_folder}:plain", CONTEXT), TorchHubModel)
    with pytest.raises(ModelSourceError, match="takes no 'pretrained' argument"):
        load_model(f"hub:{hub_folder}:plain?pretrained=true", CONTEXT)
    with pytest.raises(ModelSourceError, match="returned str, not a torch.nn.Module"):
        load_model(f"hub:{hub_folder}:not_a_module", CONTEXT)
    with pytest.raises(ModelSourceError, match="entrypoint 'broken' failed .*weights missing"):
        load_model(f"hub:{hub_folder}:broken", CONTEXT)
    with pytest.raises(ModelSourceError, match="expected 'hub:<folder>:<entrypoint>'"):
        check_model_name("hub:just_a_name")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelSourceError, match="has no hubconf.py") as info:
        check_model_name(f"hub:{empty}:midas_like")
    assert str(empty) in str(info.value)
    with pytest.raises(ModelSourceError, match="does not exist"):
        check_model_name(f"hub:{tmp_path / 'missing'}:midas_like")
    with pytest.raises(ModelOptionError, match="norm='imagenett'"):
        check_model_name(f"hub:{hub_folder}:midas_like?norm=imagenett")


# --- registry: prefixes, precedence, typos -------------------------------------------------------
def test_prefixes_are_registered_lazily():
    assert set(MODEL_PREFIXES) == {"hf", "monodepth2", "hub"}
    with pytest.raises(TypeError):
        MODEL_PREFIXES["x"] = "y"  # type: ignore[index]


def test_registered_names_come_before_prefixes_and_prefixes_before_modules(hub_folder):
    # a registered name that looks like an adapter name wins
    model = load_model("hub:special", CONTEXT, registry={"hub:special": "evaluator.models.flat_road:make_flat_road"})
    assert type(model).__name__ == "FlatRoadModel"
    # module:callable still works for everything that is not a known prefix
    model = load_model("evaluator.models.flat_road:FlatRoadModel", CONTEXT)
    assert type(model).__name__ == "FlatRoadModel"
    # an extra prefix can be given, like an extra registry
    model = load_model(f"mine:{hub_folder}:midas_like", CONTEXT,
                       prefixes={"mine": "evaluator.models.torch_hub"})
    assert isinstance(model, TorchHubModel)


@pytest.mark.parametrize("name, fragment", [
    ("monodepht2:/tmp/x", "did you mean 'monodepth2:'"),
    ("hff:some/model", "did you mean 'hf:'"),
    ("hubb:/tmp/x:entry", "did you mean 'hub:'"),
])
def test_misspelt_prefixes_suggest_the_adapter(name, fragment):
    with pytest.raises(UnknownModelError) as info:
        check_model_name(name)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_unknown_name_lists_the_adapter_forms():
    with pytest.raises(UnknownModelError) as info:
        load_model("depth-anything", CONTEXT)
    message = str(info.value)
    for form in ("'module:callable'", "'hf:<hub-id-or-folder>'", "'monodepth2:<folder>'", "'hub:<folder>:<entrypoint>'"):
        assert form in message


def test_adapter_errors_are_model_load_errors(tmp_path):
    with pytest.raises(ModelLoadError):
        load_model(f"monodepth2:{tmp_path / 'none'}", CONTEXT)


@pytest.mark.parametrize("name, fragment", [
    ("hub:/x:e?kind", "is not key=value"),
    ("hub:/x:e?kind=a,kind=b", "given twice"),
    ("hub:?kind=disparity", "nothing after 'hub:'"),
])
def test_spec_syntax_errors(name, fragment):
    with pytest.raises(ModelLoadError, match=fragment):
        parse_spec(name, "hub")


def test_spec_parsing_splits_target_and_options():
    spec = parse_spec("hf:org/model?kind=metric_depth&amp=false, size=10x20", "hf")
    assert spec.target == "org/model"
    assert dict(spec.options) == {"kind": "metric_depth", "amp": "false", "size": "10x20"}
    assert spec.output_kind == OutputKind.METRIC_DEPTH and spec.input_size == (10, 20)
    assert spec.mixed_precision is False
