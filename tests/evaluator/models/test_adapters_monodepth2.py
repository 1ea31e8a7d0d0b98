"""Monodepth2 adapter: our network against the original code, checkpoints, kinds, errors.

The oracle is the original network code as published on PyPI (``monodepth2==1.0.0``, a
test-only dependency).  That wheel installs its files as top-level modules with generic names
(``networks``, ``layers``, ``utils``, ``options``, ...), and ``networks/depth_decoder.py`` does
``from layers import *``.  To keep those names out of ``sys.modules``, the three files needed
(``layers.py``, ``networks/resnet_encoder.py``, ``networks/depth_decoder.py``) are loaded by
file path under private names, with ``layers`` put in ``sys.modules`` only while the decoder's
file runs.  With torchvision 0.29 the original ``ResnetEncoder(n, False)`` still works: the
positional ``pretrained`` argument goes through torchvision's deprecated-argument shim (a
warning, silenced here) and means ``weights=None``.  ``evaluate_depth.py`` (which holds
``STEREO_SCALE_FACTOR``) cannot be imported (it imports a ``datasets`` package the
wheel does not ship), so its constant is read with ``ast``.
"""
from __future__ import annotations

import ast
import json
import importlib.metadata
import importlib.util
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from evaluator.errors import ModelLoadError  # noqa: E402
from evaluator.pipeline.batching import predict_images  # noqa: E402
from evaluator.models import monodepth2_net as net  # noqa: E402
from evaluator.models.base import ModelContext, OutputKind  # noqa: E402
from evaluator.models.monodepth2 import Monodepth2Model  # noqa: E402
from evaluator.models.registry import check_model_name, load_model  # noqa: E402
from evaluator.models.spec import ModelOptionError, ModelSourceError  # noqa: E402
from scenes.geometry.camera import kitti_like_camera  # noqa: E402

pytestmark = pytest.mark.torch
CONTEXT = ModelContext(kitti_like_camera(width=160, height=48), device="cpu")
SIZE = (64, 96)  # checkpoint "height"/"width": small multiples of 32 keep the tests fast


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_torch_thread):
    """Every test of this module on one torch thread (see conftest.py)."""


def images(n: int = 2, height: int = SIZE[0], width: int = SIZE[1], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, height, width, 3), dtype=np.uint8)


def _load_file(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def original():
    """The original monodepth2 modules, loaded by path (see the module docstring)."""
    try:
        dist = importlib.metadata.distribution("monodepth2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs the original code: pip install monodepth2==1.0.0")
    locate = lambda rel: Path(dist.locate_file(rel))  # noqa: E731
    layers = _load_file("_monodepth2_original_layers", locate("layers.py"))
    previous = sys.modules.get("layers")
    sys.modules["layers"] = layers
    try:
        decoder = _load_file("_monodepth2_original_depth_decoder", locate("networks/depth_decoder.py"))
    finally:
        if previous is None:
            del sys.modules["layers"]
        else:
            sys.modules["layers"] = previous
    encoder = _load_file("_monodepth2_original_resnet_encoder", locate("networks/resnet_encoder.py"))
    return SimpleNamespace(layers=layers, ResnetEncoder=encoder.ResnetEncoder,
                           DepthDecoder=decoder.DepthDecoder, root=locate(""))


def randomise_batch_norm(module: "torch.nn.Module", seed: int) -> None:
    """Non-trivial BN statistics, so that a wrong eval/train mode or key would show."""
    gen = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


def save_checkpoint(folder: Path, encoder_state: dict, decoder_state: dict, *, height: int | None = SIZE[0],
                    width: int | None = SIZE[1], use_stereo: bool | None = False, legacy: bool = False) -> Path:
    """Write encoder.pth / depth.pth as the original ``Trainer.save_model`` does."""
    folder.mkdir(parents=True, exist_ok=True)
    state = dict(encoder_state)
    for key, value in (("height", height), ("width", width), ("use_stereo", use_stereo)):
        if value is not None:
            state[key] = value
    kwargs = {"_use_new_zipfile_serialization": False} if legacy else {}
    torch.save(state, folder / "encoder.pth", **kwargs)
    torch.save(dict(decoder_state), folder / "depth.pth", **kwargs)
    return folder


def our_checkpoint(folder: Path, num_layers: int = 18, seed: int = 0, **kwargs) -> tuple[Path, "torch.nn.Module"]:
    torch.manual_seed(seed)
    network = net.Monodepth2Network(num_layers).eval()
    randomise_batch_norm(network, seed)
    return save_checkpoint(folder, network.encoder.state_dict(), network.depth_decoder.state_dict(),
                           **kwargs), network


def original_scaled_disp(encoder, decoder, layers, batch: np.ndarray) -> np.ndarray:
    """The original pipeline on [0, 1] images at the feed size: disp -> disp_to_depth(0.1, 100)."""
    with torch.no_grad():
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0
        disp = decoder(encoder(x))[("disp", 0)]
        scaled_disp, _ = layers.disp_to_depth(disp, 0.1, 100)
    return scaled_disp[:, 0].numpy()


# --- the oracle: same weights, same output as the original code ----------------------------------
@pytest.mark.parametrize("num_layers", [18, 50])
def test_original_weights_give_the_original_output(original, tmp_path, num_layers):
    torch.manual_seed(num_layers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's deprecation of the positional `pretrained`
        encoder = original.ResnetEncoder(num_layers, False)
    decoder = original.DepthDecoder(encoder.num_ch_enc, scales=range(4))
    randomise_batch_norm(encoder, 1)
    encoder.eval(), decoder.eval()
    folder = save_checkpoint(tmp_path / "ckpt", encoder.state_dict(), decoder.state_dict())

    model = Monodepth2Model.from_folder(folder, device="cpu")
    batch = images(seed=num_layers)
    ours = model.predict(batch)
    expected = original_scaled_disp(encoder, decoder, original.layers, batch)
    assert model.output_kind == OutputKind.DISPARITY
    assert model.details["architecture"] == f"ResNet-{num_layers} + DepthDecoder"
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=0)
    assert np.std(ours) > 0 and not np.allclose(ours[0], ours[1])  # not a constant map


@pytest.mark.parametrize("num_layers", [18, 50])
def test_our_weights_load_into_the_original_classes(original, tmp_path, num_layers):
    folder, ours = our_checkpoint(tmp_path / "ckpt", num_layers, seed=num_layers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoder = original.ResnetEncoder(num_layers, False)
    decoder = original.DepthDecoder(encoder.num_ch_enc, scales=range(4))
    state = torch.load(folder / "encoder.pth", weights_only=True)
    encoder.load_state_dict({k: v for k, v in state.items() if k not in ("height", "width", "use_stereo")})
    decoder.load_state_dict(torch.load(folder / "depth.pth", weights_only=True))
    encoder.eval(), decoder.eval()
    batch = images(n=1, seed=3)
    with torch.no_grad():
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0
        np.testing.assert_allclose(ours(x).numpy(), decoder(encoder(x))[("disp", 0)].numpy(), rtol=1e-5, atol=0)


def test_stereo_checkpoint_is_metric_with_the_original_scale_factor(original, tmp_path):
    source = (original.root / "evaluate_depth.py").read_text(encoding="utf-8")
    constants = {t.id: node.value.value for node in ast.parse(source).body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant)}
    assert net.STEREO_SCALE_FACTOR == constants["STEREO_SCALE_FACTOR"] == 5.4

    folder, network = our_checkpoint(tmp_path / "stereo", use_stereo=True)
    model = Monodepth2Model.from_folder(folder, device="cpu")
    batch = images(n=1, seed=5)
    with torch.no_grad():
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0
        _, depth = original.layers.disp_to_depth(network(x), 0.1, 100)
    pred = model.predict(batch)
    assert model.output_kind == OutputKind.METRIC_DEPTH and model.details["stereo_scale_factor"] == 5.4
    np.testing.assert_allclose(pred, 5.4 * depth[:, 0].numpy(), rtol=1e-5)
    assert np.all(pred > 0) and np.all(np.isfinite(pred))


# --- the adapter -------------------------------------------------------------------------------
def test_registry_prefix_loads_the_folder_and_returns_maps_at_image_size(tmp_path):
    folder, _ = our_checkpoint(tmp_path / "mono")
    name = f"monodepth2:{folder}"
    check_model_name(name)
    model = load_model(name, CONTEXT)
    assert isinstance(model, Monodepth2Model) and model.name == name
    assert model.network_input_size == SIZE and model.input_size is None
    assert model.describe()["network_input_size"] == list(SIZE)
    json.dumps(model.describe())  # goes into the results summary as is
    pred = predict_images(model, images(n=3, height=48, width=160))  # through the evaluator's inference
    assert pred.shape == (3, 48, 160) and pred.dtype == np.float32
    assert np.all(np.isfinite(pred)) and np.all(pred > 0)
    # disparity of disp_to_depth(0.1, 100) lies in [1/100, 1/0.1]
    assert pred.min() >= 0.01 - 1e-6 and pred.max() <= 10.0 + 1e-5


def test_images_at_the_network_size_pass_unresized(tmp_path):
    folder, network = our_checkpoint(tmp_path / "mono")
    model = Monodepth2Model.from_folder(folder, device="cpu")
    batch = images(n=1, seed=9)
    with torch.no_grad():
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0
        expected, _ = net.disp_to_depth(network(x))
    np.testing.assert_allclose(model.predict(batch), expected[:, 0].numpy(), rtol=1e-6)


def test_options_override_kind_size_and_range(tmp_path):
    folder, _ = our_checkpoint(tmp_path / "stereo", use_stereo=True)
    model = load_model(f"monodepth2:{folder}?kind=disparity,size=64x128,min_depth=1,max_depth=50", CONTEXT)
    assert model.output_kind == OutputKind.DISPARITY and model.network_input_size == (64, 128)
    pred = model.predict(images(n=1))
    assert pred.shape == (1, *SIZE) and pred.min() >= 1 / 50 - 1e-6 and pred.max() <= 1.0 + 1e-6

    mono, _ = our_checkpoint(tmp_path / "mono")
    assert load_model(f"monodepth2:{mono}?stereo=true", CONTEXT).output_kind == OutputKind.METRIC_DEPTH


def test_legacy_checkpoint_format_and_missing_use_stereo(tmp_path):
    folder, _ = our_checkpoint(tmp_path / "old", legacy=True, use_stereo=None)
    model = Monodepth2Model.from_folder(folder, device="cpu")
    assert model.output_kind == OutputKind.DISPARITY and model.details["use_stereo"] is False


# --- errors: one line, naming the path ---------------------------------------------------------
def one_line(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message
    return message


def test_missing_folder_and_files_are_named(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(ModelSourceError) as info:
        check_model_name(f"monodepth2:{missing}")
    assert str(missing) in one_line(info) and "does not exist" in one_line(info)

    folder, _ = our_checkpoint(tmp_path / "ckpt")
    (folder / "encoder.pth").unlink()
    with pytest.raises(ModelSourceError, match="has no encoder.pth") as info:
        load_model(f"monodepth2:{folder}", CONTEXT)
    assert str(folder) in one_line(info)

    folder2, _ = our_checkpoint(tmp_path / "ckpt2")
    (folder2 / "depth.pth").unlink()
    with pytest.raises(ModelSourceError, match="has no depth.pth"):
        load_model(f"monodepth2:{folder2}", CONTEXT)


def test_checkpoint_problems_are_one_line(tmp_path):
    # encoder of ResNet-18 with the decoder of a ResNet-50
    enc18 = net.ResnetEncoder(18)
    dec50 = net.DepthDecoder(net.ResnetEncoder(50).num_ch_enc)
    folder = save_checkpoint(tmp_path / "mixed", enc18.state_dict(), dec50.state_dict())
    with pytest.raises(ModelSourceError, match="does not match a Monodepth2 depth decoder") as info:
        Monodepth2Model.from_folder(folder)
    one_line(info)

    no_size = save_checkpoint(tmp_path / "nosize", enc18.state_dict(), net.DepthDecoder(enc18.num_ch_enc).state_dict(),
                              height=None, width=None)
    with pytest.raises(ModelSourceError, match="size=<height>x<width>"):
        Monodepth2Model.from_folder(no_size)
    assert Monodepth2Model.from_folder(no_size, input_size=(64, 64)).network_input_size == (64, 64)

    pose = dict(enc18.state_dict())
    pose["encoder.conv1.weight"] = torch.zeros(64, 6, 7, 7)
    pose_folder = save_checkpoint(tmp_path / "pose", pose, {})
    with pytest.raises(ModelSourceError, match="6 input channels"):
        Monodepth2Model.from_folder(pose_folder)

    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "encoder.pth").write_bytes(b"not a checkpoint")
    (garbage / "depth.pth").write_bytes(b"")
    with pytest.raises(ModelSourceError, match="cannot read") as info:
        Monodepth2Model.from_folder(garbage)
    assert str(garbage / "encoder.pth") in one_line(info)


class _Payload:
    """Unpickling this would create a file (the code a malicious checkpoint would run)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_malicious_pickle_is_refused_without_running_and_without_bad_advice(tmp_path):
    import pickle

    folder = tmp_path / "evil"
    folder.mkdir()
    marker = tmp_path / "pwned"
    (folder / "encoder.pth").write_bytes(pickle.dumps({"weights": _Payload(str(marker))}))
    (folder / "depth.pth").write_bytes(pickle.dumps({}))
    with pytest.raises(ModelSourceError, match="refused") as info:
        Monodepth2Model.from_folder(folder)
    message = one_line(info)
    assert not marker.exists(), "the pickle's code ran"
    assert "weights_only" not in message and str(folder / "encoder.pth") in message


@pytest.mark.parametrize("options, fragment", [
    ("kind=metric_depth", "needs a stereo-trained checkpoint"),
    ("kind=relative_inverse_depth", "gives disparity (mono) or metric depth"),
    ("size=100x100", "multiples of 32"),
    ("size=32x64", "at least 64"),
    ("min_depth=5,max_depth=1", "must be < max_depth"),
    ("stero=true", "did you mean 'stereo'"),
    ("amp=maybe", "expected true or false"),
    ("size", "is not key=value"),
])
def test_bad_options_are_one_line(tmp_path, options, fragment):
    folder, _ = our_checkpoint(tmp_path / "mono")
    with pytest.raises(ModelOptionError) as info:
        load_model(f"monodepth2:{folder}?{options}", CONTEXT)
    assert fragment in one_line(info) and isinstance(info.value, ModelLoadError)


def test_resnet_depth_is_read_from_the_state_dict():
    with pytest.raises(ValueError, match="none of"):
        net.resnet_depth_from_state_dict({"encoder.conv1.weight": torch.zeros(64, 3, 7, 7),
                                          "encoder.layer1.0.conv1.weight": torch.zeros(1)})
    assert net.resnet_depth_from_state_dict(net.ResnetEncoder(34).state_dict()) == 34
