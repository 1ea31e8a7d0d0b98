"""Hugging Face adapter (``hf:``) on randomly initialised models of the real architectures.

Each family (DPT, Depth Anything relative and metric, GLPN, ZoeDepth) is built from a tiny
config, saved with ``save_pretrained`` to a temporary folder (with or without an image
processor) and loaded back through the adapter.  Nothing is downloaded: ``HF_HUB_OFFLINE=1``
and a fresh ``HF_HOME`` are set before transformers is imported.
"""
from __future__ import annotations

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="depthprobe-hf-home-")

import json  # noqa: E402
import textwrap  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from evaluator.errors import ModelLoadError  # noqa: E402
from evaluator.pipeline.batching import predict_images  # noqa: E402
from evaluator.models.base import IMAGENET_NORMALISATION, ModelContext, Normalisation, OutputKind  # noqa: E402
from evaluator.models.huggingface import (FALLBACK_PREPROCESSING, HuggingFaceDepthModel,  # noqa: E402
                                          preprocessing_from_processor)
from evaluator.models.registry import check_model_name, load_model  # noqa: E402
from evaluator.models.spec import ModelOptionError, ModelSourceError  # noqa: E402
from scenes.geometry.camera import kitti_like_camera  # noqa: E402

pytestmark = pytest.mark.torch
CAMERA = kitti_like_camera(width=160, height=48)
CONTEXT = ModelContext(CAMERA, device="cpu")
HALF = Normalisation((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_torch_thread):
    """Every test of this module on one torch thread (see conftest.py)."""


def tiny_dinov2():
    return transformers.Dinov2Config(hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64,
                                     image_size=28, patch_size=14, out_indices=[1, 2, 3, 4],
                                     reshape_hidden_states=False)


def tiny_configs() -> dict:
    t = transformers
    beit = t.BeitConfig(image_size=32, patch_size=8, num_hidden_layers=4, hidden_size=32, intermediate_size=64,
                        num_attention_heads=2, use_relative_position_bias=True, reshape_hidden_states=False,
                        out_features=["stage1", "stage2", "stage3", "stage4"])
    head = dict(neck_hidden_sizes=[8, 16, 24, 32], fusion_hidden_size=16)
    return {
        "dpt": t.DPTConfig(hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64,
                           image_size=32, patch_size=8, backbone_out_indices=[0, 1, 2, 3],
                           use_auxiliary_head=False, **head),
        "depth_anything": t.DepthAnythingConfig(backbone_config=tiny_dinov2(), reassemble_hidden_size=32,
                                                patch_size=14, head_hidden_size=8, **head),
        "depth_anything_metric": t.DepthAnythingConfig(backbone_config=tiny_dinov2(), reassemble_hidden_size=32,
                                                       patch_size=14, head_hidden_size=8,
                                                       depth_estimation_type="metric", max_depth=80, **head),
        "glpn": t.GLPNConfig(num_encoder_blocks=4, depths=[1, 1, 1, 1], sr_ratios=[8, 4, 2, 1],
                             hidden_sizes=[8, 16, 24, 32], patch_sizes=[7, 3, 3, 3], strides=[4, 2, 2, 2],
                             num_attention_heads=[1, 1, 1, 1], mlp_ratios=[2, 2, 2, 2], decoder_hidden_size=16,
                             max_depth=80),
        "zoedepth": t.ZoeDepthConfig(backbone_config=beit, num_relative_features=8, bottleneck_features=16,
                                     bin_embedding_dim=8, num_attractors=[4, 2, 2, 1],
                                     bin_configurations=[{"n_bins": 8, "min_depth": 0.001, "max_depth": 80.0}],
                                     **head),
    }


def tiny_processors() -> dict:
    """Processors as the released checkpoints configure them, at small sizes (GLPN: none saved,
    so the adapter's fallback is used)."""
    t = transformers
    imagenet = dict(image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    return {
        "dpt": t.DPTImageProcessor(size={"height": 64, "width": 64}, image_mean=[0.5] * 3, image_std=[0.5] * 3),
        "depth_anything": t.DPTImageProcessor(size={"height": 56, "width": 56}, keep_aspect_ratio=True,
                                              ensure_multiple_of=14, **imagenet),
        "depth_anything_metric": t.DPTImageProcessor(size={"height": 56, "width": 56}, keep_aspect_ratio=True,
                                                     ensure_multiple_of=14, **imagenet),
        "glpn": None,
        "zoedepth": t.ZoeDepthImageProcessor(size={"height": 64, "width": 96}, keep_aspect_ratio=True,
                                             ensure_multiple_of=32, do_pad=True, image_mean=[0.5] * 3,
                                             image_std=[0.5] * 3),
    }


EXPECTED_KIND = {
    "dpt": OutputKind.RELATIVE_INVERSE_DEPTH,
    "depth_anything": OutputKind.RELATIVE_INVERSE_DEPTH,
    "depth_anything_metric": OutputKind.METRIC_DEPTH,
    "glpn": OutputKind.METRIC_DEPTH,
    "zoedepth": OutputKind.METRIC_DEPTH,
}
# Network input for the 48x160 canonical images, by each processor's rule:
EXPECTED_NETWORK_SIZE = {
    "dpt": (64, 64),              # fixed size
    "depth_anything": (56, 182),  # keep aspect: scale 56/48 (closer to 1), sides rounded to 14
    "depth_anything_metric": (56, 182),
    "glpn": (32, 160),            # sides floored to 32 (fallback: no processor saved)
    "zoedepth": (64, 192),        # reflect-padded to 76x212, keep aspect 64/78, multiple of 32
}


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """family -> folder with a random tiny model (and processor) written by save_pretrained."""
    folders = {}
    processors = tiny_processors()
    for family, config in tiny_configs().items():
        torch.manual_seed(0)
        model = transformers.AutoModelForDepthEstimation.from_config(config)
        folder = tmp_path_factory.mktemp(family)
        model.save_pretrained(folder)
        if processors[family] is not None:
            processors[family].save_pretrained(folder)
        folders[family] = folder
    return folders


def images(n: int = 2, height: int = 48, width: int = 160, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, height, width, 3), dtype=np.uint8)


def test_downloads_are_off():
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE


@pytest.mark.parametrize("family", list(EXPECTED_KIND))
def test_each_family_loads_and_predicts_at_image_size(tiny_models, family):
    name = f"hf:{tiny_models[family]}"
    check_model_name(name)
    model = load_model(name, CONTEXT)
    assert isinstance(model, HuggingFaceDepthModel) and model.name == name
    assert model.output_kind == EXPECTED_KIND[family]
    assert model.network_input_size == EXPECTED_NETWORK_SIZE[family]
    pred = predict_images(model, images())
    assert pred.shape == (2, 48, 160) and pred.dtype == np.float32 and np.all(np.isfinite(pred))
    if model.output_kind == OutputKind.METRIC_DEPTH:
        assert np.all(pred > 0)
    other = model.predict(images(n=1, height=37, width=91))  # any size in, same size out
    assert other.shape == (1, 37, 91) and np.all(np.isfinite(other))
    summary = model.describe()
    assert summary["model_type"] == family.replace("_metric", "") and summary["source"] == str(tiny_models[family])
    assert summary["mixed_precision"] is False and summary["input_size"] is None
    json.dumps(summary)  # goes into the results summary as is


def test_normalisation_is_read_from_the_processor_or_fallback(tiny_models):
    assert HuggingFaceDepthModel.from_pretrained(tiny_models["dpt"]).normalisation == HALF
    da = HuggingFaceDepthModel.from_pretrained(tiny_models["depth_anything"])
    assert da.normalisation == IMAGENET_NORMALISATION
    glpn = HuggingFaceDepthModel.from_pretrained(tiny_models["glpn"])
    assert glpn.normalisation is None and glpn.preprocessing == FALLBACK_PREPROCESSING["glpn"]


@pytest.mark.parametrize("family", ["dpt", "depth_anything", "zoedepth"])
@pytest.mark.parametrize("height, width", [(48, 160), (375, 1242), (120, 90)])
def test_network_size_matches_the_processor(family, height, width):
    """Oracle: the processor's own output size for the same image."""
    processor = tiny_processors()[family]
    prep = preprocessing_from_processor(processor, family)
    pad_h, pad_w = prep.padding(height, width)
    ours = prep.network_size(height + 2 * pad_h, width + 2 * pad_w)
    pixels = processor(images=np.zeros((height, width, 3), dtype=np.uint8), return_tensors="pt").pixel_values
    assert ours == tuple(pixels.shape[-2:])


def test_dpt_centre_padding_matches_the_processor_and_is_cropped_off(tiny_models, tmp_path):
    processor = transformers.DPTImageProcessor(size={"height": 56, "width": 56}, do_pad=True, size_divisor=32,
                                               image_mean=[0.5] * 3, image_std=[0.5] * 3)
    pixels = processor(images=np.zeros((48, 160, 3), dtype=np.uint8), return_tensors="pt").pixel_values
    assert tuple(pixels.shape[-2:]) == (64, 64)  # 56 -> padded to a multiple of 32
    folder = tmp_path / "dpt_pad"
    transformers.AutoModelForDepthEstimation.from_pretrained(tiny_models["dpt"]).save_pretrained(folder)
    processor.save_pretrained(folder)
    model = load_model(f"hf:{folder}", CONTEXT)
    assert model.preprocessing.pad_to_multiple == 32 and model.network_input_size == (56, 56)
    seen = {}
    run = model.run_network

    def spy(x):
        seen["shape"] = tuple(x.shape)
        out = run(x)
        seen["out"] = tuple(out.shape)
        return out

    model.run_network = spy
    pred = model.predict(images(n=1))
    assert seen["shape"] == (1, 3, 64, 64) and seen["out"] == (1, 128, 128)  # DPT outputs twice the input
    assert pred.shape == (1, 48, 160) and np.all(np.isfinite(pred))


def test_glpn_processor_size_rule_matches():
    processor = transformers.GLPNImageProcessor(size_divisor=32)
    prep = preprocessing_from_processor(processor, "glpn")
    pixels = processor(images=np.zeros((100, 333, 3), dtype=np.uint8), return_tensors="pt").pixel_values
    assert prep.network_size(100, 333) == tuple(pixels.shape[-2:]) and prep.normalisation is None


def test_normalised_input_matches_the_processor_at_network_size(tiny_models):
    """At the network size no resizing happens, so the adapter's input equals the processor's."""
    model = HuggingFaceDepthModel.from_pretrained(tiny_models["depth_anything"], image_size=(56, 182))
    seen = {}
    run = model.run_network

    def spy(x):
        seen["x"] = x.clone()
        return run(x)

    model.run_network = spy
    batch = images(n=1, height=56, width=182, seed=4)
    model.predict(batch)
    processor = transformers.AutoImageProcessor.from_pretrained(tiny_models["depth_anything"])
    expected = processor(images=batch[0], return_tensors="pt").pixel_values
    assert tuple(seen["x"].shape) == tuple(expected.shape) == (1, 3, 56, 182)
    np.testing.assert_allclose(seen["x"].numpy(), expected.numpy(), atol=1e-4)


def test_options_override_kind_and_size(tiny_models):
    model = load_model(f"hf:{tiny_models['dpt']}?kind=metric_depth,size=32x96,amp=false", CONTEXT)
    assert model.output_kind == OutputKind.METRIC_DEPTH and model.network_input_size == (32, 96)
    assert model.describe()["preprocessing"]["resize"] == "fixed"
    with pytest.raises(ModelOptionError, match="did you mean 'trust_remote_code'"):
        check_model_name(f"hf:{tiny_models['dpt']}?trust_remote=true")
    with pytest.raises(ModelOptionError, match="kind='depth'"):
        load_model(f"hf:{tiny_models['dpt']}?kind=depth", CONTEXT)


# --- errors ----------------------------------------------------------------------------------------
def test_missing_folder_and_missing_config_are_named(tmp_path):
    missing = tmp_path / "no_model"
    with pytest.raises(ModelSourceError, match="does not exist") as info:
        check_model_name(f"hf:{missing}")
    assert str(missing) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ModelSourceError, match="has no config.json"):
        load_model(f"hf:{tmp_path}", CONTEXT)


def test_config_of_another_task_is_refused(tmp_path):
    transformers.ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=32).save_pretrained(tmp_path)
    with pytest.raises(ModelSourceError, match="is not a depth-estimation model .*model_type 'vit'") as info:
        load_model(f"hf:{tmp_path}", CONTEXT)
    assert str(tmp_path) in str(info.value) and "\n" not in str(info.value)


def test_uncached_hub_id_fails_offline_in_one_line():
    with pytest.raises(ModelSourceError, match="hub id 'depthprobe-tests/no-such-model'") as info:
        load_model("hf:depthprobe-tests/no-such-model", CONTEXT)
    assert "\n" not in str(info.value)


REMOTE_CONFIG = '''
from transformers import PretrainedConfig


class TinyRemoteConfig(PretrainedConfig):
    model_type = "tiny_remote_depth"
'''
REMOTE_MODEL = '''
import torch
from transformers import PreTrainedModel
from transformers.modeling_outputs import DepthEstimatorOutput

from .configuration_tiny import TinyRemoteConfig


class TinyRemoteDepth(PreTrainedModel):
    config_class = TinyRemoteConfig
    main_input_name = "pixel_values"

    def __init__(self, config):
        super().__init__(config)
        self.conv = torch.nn.Conv2d(3, 1, 3, padding=1)
        self.post_init()

    def forward(self, pixel_values, **kwargs):
        return DepthEstimatorOutput(predicted_depth=torch.nn.functional.softplus(self.conv(pixel_values))[:, 0])
'''


def test_remote_code_runs_only_when_asked(tmp_path):
    (tmp_path / "configuration_tiny.py").write_text(textwrap.dedent(REMOTE_CONFIG), encoding="utf-8")
    (tmp_path / "modeling_tiny.py").write_text(textwrap.dedent(REMOTE_MODEL), encoding="utf-8")
    config = {"model_type": "tiny_remote_depth",
              "auto_map": {"AutoConfig": "configuration_tiny.TinyRemoteConfig",
                           "AutoModelForDepthEstimation": "modeling_tiny.TinyRemoteDepth"}}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    from safetensors.torch import save_file

    save_file({"conv.weight": torch.randn(1, 3, 3, 3), "conv.bias": torch.zeros(1)}, str(tmp_path / "model.safetensors"))

    with pytest.raises(ModelSourceError, match="trust_remote_code=true") as info:
        load_model(f"hf:{tmp_path}", CONTEXT)
    assert "\n" not in str(info.value)
    with pytest.raises(ModelOptionError, match="cannot tell the output kind"):
        load_model(f"hf:{tmp_path}?trust_remote_code=true", CONTEXT)
    with pytest.raises(ModelSourceError, match="no preprocessor_config.json"):
        load_model(f"hf:{tmp_path}?trust_remote_code=true,kind=metric_depth", CONTEXT)
    model = load_model(f"hf:{tmp_path}?trust_remote_code=true,kind=metric_depth,size=32x64", CONTEXT)
    pred = model.predict(images(n=1))
    assert model.output_kind == OutputKind.METRIC_DEPTH and pred.shape == (1, 48, 160) and np.all(pred > 0)
    assert isinstance(model, HuggingFaceDepthModel) and isinstance(ModelSourceError("x"), ModelLoadError)
