"""Monodepth2 checkpoints as depth models: ``monodepth2:<folder>[?options]``.

The folder holds ``encoder.pth`` and ``depth.pth`` as the original training code saves them
(``Trainer.save_model``) and as the released models ship (``mono_640x192``,
``stereo_640x192``, ``mono+stereo_640x192``, the ``_no_pt`` and ``1024x320`` variants, …):
``encoder.pth`` is the encoder's state dict plus three extra entries, ``height`` and ``width``
(the input size the network was trained at, e.g. 192 and 640 for the KITTI models) and
``use_stereo`` (True for stereo and mono+stereo training).  The ResNet depth (18 or 50 for
the released models) is read from the encoder's keys.  The network is
:mod:`evaluator.models.monodepth2_net`, which loads these files as they are.

Prediction follows the original ``test_simple.py`` / ``evaluate_depth.py``: images are resized
(bilinear) to the checkpoint's width x height, stretched as the original does; the encoder
normalises ``(x - 0.45) / 0.225`` itself; the sigmoid output goes through
``disp_to_depth(min_depth=0.1, max_depth=100)``; the scaled disparity is resized back to the
image size (bilinear, as the original resizes disparity, not depth), and then:

* mono models (``use_stereo`` False): output kind ``disparity`` -- the scaled disparity
  ``1 / depth``, whose scale is unknown (the evaluator's ``median`` alignment is the original
  median scaling);
* stereo and mono+stereo models: output kind ``metric_depth`` -- ``STEREO_SCALE_FACTOR / scaled
  disparity``, i.e. depth times 5.4 (they were trained with a nominal baseline of 0.1 units and
  the KITTI rig's is 0.54 m, ``STEREO_SCALE_FACTOR`` of the original ``evaluate_depth.py``).
  This is metres only for the KITTI-trained stereo models.

Options (besides ``kind``, ``size`` and ``amp``, see :mod:`evaluator.models.spec`):

* ``stereo=true|false`` -- override ``use_stereo`` of the checkpoint (e.g. for a checkpoint
  saved without it);
* ``min_depth=0.1``, ``max_depth=100`` -- the depth range of ``disp_to_depth``, if the model
  was trained with other values.

``kind=disparity`` on a stereo model returns its scaled disparity; ``kind=metric_depth`` on a
mono model is refused (its scale is unknown).
"""
from __future__ import annotations

import pickle

from pathlib import Path
from typing import TYPE_CHECKING

from evaluator.models.base import ModelContext, Normalisation, OutputKind
from scenes.errors import first_line
from evaluator.models.spec import (COMMON_OPTIONS, AdapterSpec, ModelOptionError, ModelSourceError,
                                   existing_folder, parse_bool, parse_positive_float, required_file)
from evaluator.models.torch_adapter import TorchAdapterModel

if TYPE_CHECKING:
    import torch

PREFIX = "monodepth2"
#: How a name of this family is written after ``monodepth2:`` (this module is an
#: :class:`~evaluator.models.family.AdapterFamily`).
TARGET_FORM = "<folder>"
OPTIONS = COMMON_OPTIONS | {"stereo", "min_depth", "max_depth"}
ENCODER_FILE = "encoder.pth"
DECODER_FILE = "depth.pth"
#: Entries of encoder.pth that are not weights (written by the original ``Trainer.save_model``).
CHECKPOINT_EXTRAS = ("height", "width", "use_stereo")
#: The encoder's own normalisation (declared; applied inside the network, as in the original).
MONODEPTH2_NORMALISATION = Normalisation((0.45, 0.45, 0.45), (0.225, 0.225, 0.225))
#: The decoder upsamples by 2 five times and concatenates skips, so sizes must divide by 32.
SIZE_MULTIPLE = 32
#: The decoder reflection-pads the stride-32 features by 1 pixel, which needs 2 of them.
MIN_SIZE = 2 * SIZE_MULTIPLE


class Monodepth2Model(TorchAdapterModel):
    """A Monodepth2 network with the original pre- and post-processing (see the module docstring).

    Build with :meth:`from_folder`.  ``network_input_size`` is the checkpoint's (height, width).
    """

    def __init__(self, network: "torch.nn.Module", name: str, output_kind: OutputKind, device: str,
                 input_size: tuple[int, int], min_depth: float, max_depth: float,
                 mixed_precision: bool = True, details: dict | None = None) -> None:
        super().__init__(name, output_kind, device, input_size, MONODEPTH2_NORMALISATION,
                         normalise_in_network=True, mixed_precision=mixed_precision, details=details)
        self.network = network.to(device).eval()
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)

    def run_network(self, x: "torch.Tensor") -> "torch.Tensor":
        """[0, 1] RGB at the checkpoint size -> scaled disparity ``1 / depth`` (N, 1, h, w)."""
        from evaluator.models.monodepth2_net import disp_to_depth

        scaled_disp, _ = disp_to_depth(self.network(x).float(), self.min_depth, self.max_depth)
        return scaled_disp

    def finish(self, maps: "torch.Tensor") -> "torch.Tensor":
        """Scaled disparity at image size -> the output kind (disparity as is; metric depth
        ``STEREO_SCALE_FACTOR / disparity``)."""
        if self.output_kind == OutputKind.METRIC_DEPTH:
            from evaluator.models.monodepth2_net import STEREO_SCALE_FACTOR

            return STEREO_SCALE_FACTOR / maps
        return maps

    @classmethod
    def from_folder(cls, folder: str | Path, *, device: str | None = None,
                    output_kind: OutputKind | str | None = None, stereo: bool | None = None,
                    input_size: tuple[int, int] | None = None, min_depth: float | None = None,
                    max_depth: float | None = None, mixed_precision: bool = True,
                    name: str | None = None) -> "Monodepth2Model":
        """Load ``encoder.pth`` and ``depth.pth`` from ``folder``.

        :param device: torch device, or None for CUDA when available else CPU.
        :param output_kind: override (``disparity``, or ``metric_depth`` for stereo models).
        :param stereo: override the checkpoint's ``use_stereo``.
        :param input_size: (height, width) override of the checkpoint's size (multiples of 32).
        :param min_depth: ``disp_to_depth`` minimum depth (default 0.1).
        :param max_depth: ``disp_to_depth`` maximum depth (default 100).
        :param name: the model's name (default ``monodepth2:<folder>``).
        :raises ModelSourceError: missing folder or file, unreadable or mismatching weights.
        :raises ModelOptionError: bad size, depth range or output kind.
        """
        options: dict[str, str] = {}
        for key, value in (("kind", output_kind), ("stereo", stereo), ("min_depth", min_depth),
                           ("max_depth", max_depth)):
            if value is not None:
                options[key] = OutputKind(value).value if key == "kind" else str(value)
        if input_size is not None:
            options["size"] = f"{int(input_size[0])}x{int(input_size[1])}"
        if not mixed_precision:
            options["amp"] = "false"
        spec = AdapterSpec(name=name or f"{PREFIX}:{folder}", prefix=PREFIX, target=str(folder),
                           options=options)
        return _load(spec, device)


def check_spec(spec: AdapterSpec) -> None:
    """Cheap checks (no torch): options, the folder and its two files."""
    spec.check_options(OPTIONS)
    _options(spec)
    folder = existing_folder(spec, spec.target, "Monodepth2 checkpoint")
    required_file(spec, folder, ENCODER_FILE, "Monodepth2 checkpoint")
    required_file(spec, folder, DECODER_FILE, "Monodepth2 checkpoint")


def load_spec(spec: AdapterSpec, context: ModelContext) -> Monodepth2Model:
    """Registry entry for ``monodepth2:<folder>`` (``context.device`` picks the device)."""
    return _load(spec, context.device)


def _options(spec: AdapterSpec) -> tuple[OutputKind | None, bool | None, tuple[int, int] | None,
                                         float | None, float | None]:
    """The parsed options (None: not given); imports no torch."""
    kind = spec.output_kind
    if kind == OutputKind.RELATIVE_INVERSE_DEPTH:
        raise ModelOptionError(f"model {spec.name!r}: option kind=relative_inverse_depth: Monodepth2 "
                               "gives disparity (mono) or metric depth (stereo)")
    stereo = spec.get("stereo", parse_bool, None)
    size = spec.input_size
    if size is not None and (size[0] % SIZE_MULTIPLE or size[1] % SIZE_MULTIPLE or min(size) < MIN_SIZE):
        raise ModelOptionError(f"model {spec.name!r}: option size={size[0]}x{size[1]}: height and width "
                               f"must be multiples of {SIZE_MULTIPLE}, at least {MIN_SIZE}")
    min_depth = spec.get("min_depth", parse_positive_float, None)
    max_depth = spec.get("max_depth", parse_positive_float, None)
    return kind, stereo, size, min_depth, max_depth


def _load(spec: AdapterSpec, device: str | None) -> Monodepth2Model:
    from evaluator.models.device import resolve_device
    from evaluator.models import monodepth2_net as net

    check_spec(spec)
    kind, stereo, size, min_depth, max_depth = _options(spec)
    min_depth = net.MIN_DEPTH if min_depth is None else min_depth
    max_depth = net.MAX_DEPTH if max_depth is None else max_depth
    if min_depth >= max_depth:
        raise ModelOptionError(f"model {spec.name!r}: min_depth {min_depth} must be < max_depth {max_depth}")
    folder = existing_folder(spec, spec.target, "Monodepth2 checkpoint")
    encoder_state = _read(spec, folder / ENCODER_FILE)
    decoder_state = _read(spec, folder / DECODER_FILE)

    extras = {k: encoder_state.pop(k) for k in CHECKPOINT_EXTRAS if k in encoder_state}
    if size is None:
        if "height" not in extras or "width" not in extras:
            raise ModelSourceError(f"model {spec.name!r}: {folder / ENCODER_FILE} has no 'height'/'width' "
                                   "entries; give the training size as option size=<height>x<width>")
        size = (int(extras["height"]), int(extras["width"]))
    if stereo is None:
        stereo = bool(extras.get("use_stereo", False))
    if kind is None:
        kind = OutputKind.METRIC_DEPTH if stereo else OutputKind.DISPARITY
    elif kind == OutputKind.METRIC_DEPTH and not stereo:
        raise ModelOptionError(f"model {spec.name!r}: kind=metric_depth needs a stereo-trained checkpoint "
                               f"(use_stereo is False in {ENCODER_FILE}; say stereo=true if it is one)")

    try:
        num_layers = net.resnet_depth_from_state_dict(encoder_state)
    except ValueError as exc:
        raise ModelSourceError(f"model {spec.name!r}: {folder / ENCODER_FILE}: {exc}") from None
    network = net.Monodepth2Network(num_layers)
    _load_state(spec, network.encoder, encoder_state, folder / ENCODER_FILE, f"ResNet-{num_layers} encoder")
    _load_state(spec, network.depth_decoder, decoder_state, folder / DECODER_FILE, "depth decoder")

    details = {"adapter": PREFIX, "source": str(folder), "architecture": f"ResNet-{num_layers} + DepthDecoder",
               "use_stereo": bool(stereo), "min_depth": min_depth, "max_depth": max_depth,
               "stereo_scale_factor": net.STEREO_SCALE_FACTOR if kind == OutputKind.METRIC_DEPTH else None}
    return Monodepth2Model(network, spec.name, kind, resolve_device(device), size, min_depth, max_depth,
                           mixed_precision=spec.mixed_precision, details=details)


def _read(spec: AdapterSpec, path: Path) -> dict:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's weights-only unpickler refused it: nothing was run
        raise ModelSourceError(f"model {spec.name!r}: cannot read {path}: not a plain state dict of tensors "
                               "(a damaged file, or pickled objects, which are refused: depthprobe never runs "
                               "code from a checkpoint; save the tensors, or convert them to safetensors)") from None
    except Exception as exc:  # a corrupt or truncated file
        raise ModelSourceError(f"model {spec.name!r}: cannot read {path} ({type(exc).__name__}: "
                               f"{first_line(exc)})") from None
    if not isinstance(state, dict):
        raise ModelSourceError(f"model {spec.name!r}: {path} holds {type(state).__name__}, not a state dict")
    return dict(state)


def _load_state(spec: AdapterSpec, module: "torch.nn.Module", state: dict, path: Path, what: str) -> None:
    """Load ``state`` strictly, or one-line :class:`ModelSourceError` on missing, unexpected or
    mis-shaped entries."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mis_shaped = [k for k in expected if k in state and tuple(getattr(state[k], "shape", ())) != tuple(expected[k].shape)]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys, e.g. {missing[0]!r}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys, e.g. {unexpected[0]!r}")
    if mis_shaped:
        k = mis_shaped[0]
        problems.append(f"{len(mis_shaped)} tensors of another shape, e.g. {k!r} "
                        f"{tuple(state[k].shape)} instead of {tuple(expected[k].shape)}")
    if problems:
        raise ModelSourceError(f"model {spec.name!r}: {path} does not match a Monodepth2 {what} "
                               f"({'; '.join(problems)})")
    module.load_state_dict(state, strict=True)
