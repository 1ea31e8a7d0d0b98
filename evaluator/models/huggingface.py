"""Hugging Face depth-estimation models as depth models: ``hf:<hub-id-or-folder>[?options]``.

Loads ``AutoModelForDepthEstimation`` (Depth Anything v1/v2, DPT, GLPN, ZoeDepth, …) from a
local folder (as written by ``save_pretrained``) or a hub id.  A hub id is looked up in the
local Hugging Face cache and downloaded only when the environment allows it (set
``HF_HUB_OFFLINE=1`` to forbid downloads).  Remote code is not run unless
``trust_remote_code=true`` is given.

Output kind, from the ``kind=`` option, else the config, else the architecture:

* ``depth_estimation_type`` in the config (Depth Anything): ``relative`` ->
  ``relative_inverse_depth``, ``metric`` -> ``metric_depth`` (the metric Depth Anything
  checkpoints);
* ``dpt`` (dpt-large, dpt-hybrid-midas: MiDaS-style) -> ``relative_inverse_depth``;
* ``glpn``, ``zoedepth`` -> ``metric_depth``;
* other depth-estimation architectures: give ``kind=``.

Preprocessing follows the model's image processor (``preprocessor_config.json``, read through
``AutoImageProcessor``), done in torch on the whole batch (:mod:`evaluator.models.torch_adapter`):

* DPT / Depth Anything: resize to ``size``, keeping the aspect ratio if ``keep_aspect_ratio``
  (the scale closer to 1 wins) and rounding each side to ``ensure_multiple_of``; rescale and
  normalise; centre zero-padding to ``size_divisor`` if ``do_pad`` (cropped off the output);
* GLPN: each side rounded down to a multiple of ``size_divisor``; values in [0, 1], no
  normalisation;
* ZoeDepth: reflect-padding by ``int(3 * sqrt(side / 2))`` pixels, then as DPT; the padding is
  cropped off the output after resizing it back, as ZoeDepth's post-processing does.

Differences from the processors, on purpose: resizing is bilinear (antialiased when shrinking)
where the processors use bicubic (DPT, Depth Anything) or bilinear with ``align_corners=True``
(ZoeDepth); the output is resized back bilinearly (the processors' post-processing uses bicubic);
ZoeDepth's optional flip averaging is not done.  Without a ``preprocessor_config.json`` the
released checkpoints' values are used: Depth Anything 518x518 keeping the aspect ratio,
multiple of 14, ImageNet mean/std; DPT 384x384, mean = std = 0.5; GLPN multiple of 32;
ZoeDepth 384x512 keeping the aspect ratio, multiple of 32, mean = std = 0.5, padding.

Options (besides ``kind``, ``size``, ``amp``, see :mod:`evaluator.models.spec`):
``trust_remote_code=true|false`` (default false), ``revision=<branch, tag or commit>``.
``size=<h>x<w>`` replaces the processor's resizing by a fixed size.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluator.models.base import IMAGENET_NORMALISATION, ModelContext, Normalisation, OutputKind
from scenes.errors import first_line
from evaluator.models.spec import (COMMON_OPTIONS, AdapterSpec, ModelOptionError, ModelSourceError,
                                   existing_folder, looks_like_path, parse_bool,
                                   required_file)
from evaluator.models.torch_adapter import TorchAdapterModel, as_maps, resize_bilinear

if TYPE_CHECKING:
    import torch

PREFIX = "hf"
#: How a name of this family is written after ``hf:`` (this module is an
#: :class:`~evaluator.models.family.AdapterFamily`).
TARGET_FORM = "<hub-id-or-folder>"
OPTIONS = COMMON_OPTIONS | {"trust_remote_code", "revision"}

#: Output kind by ``model_type`` where the config has no ``depth_estimation_type``.
KIND_BY_MODEL_TYPE: dict[str, OutputKind] = {
    "dpt": OutputKind.RELATIVE_INVERSE_DEPTH,
    "depth_anything": OutputKind.RELATIVE_INVERSE_DEPTH,
    "glpn": OutputKind.METRIC_DEPTH,
    "zoedepth": OutputKind.METRIC_DEPTH,
}
#: ``depth_estimation_type`` (Depth Anything configs) -> output kind.
KIND_BY_ESTIMATION_TYPE: dict[str, OutputKind] = {
    "relative": OutputKind.RELATIVE_INVERSE_DEPTH,
    "metric": OutputKind.METRIC_DEPTH,
}
_HALF = Normalisation((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
#: ZoeDepth pads each side by int(sqrt(side / 2) * 3) pixels (``ZoeDepthImageProcessor``).
ZOE_PADDING_FACTOR = 3


@dataclass(frozen=True)
class HFPreprocessing:
    """Image geometry and normalisation the adapter applies (see the module docstring).

    :param resize: ``"fit"`` (DPT, Depth Anything, ZoeDepth rule), ``"floor"`` (GLPN: sides
        rounded down to ``multiple``) or ``"fixed"`` (exactly ``size``).
    :param size: target (height, width) in pixels for ``fit`` and ``fixed``.
    :param keep_aspect_ratio: ``fit`` scales both sides by the factor closer to 1.
    :param multiple: ``fit``: sides rounded to a multiple of it; ``floor``: the divisor.
    :param pad_to_multiple: centre zero-padding of the normalised input to a multiple of this
        (DPT ``do_pad``), or None.
    :param reflect_pad: ZoeDepth's reflect padding before resizing.
    :param normalisation: mean/std on [0, 1] RGB, or None for [0, 1] input.
    :param source: where the values come from (for the results summary).
    """

    resize: str
    size: tuple[int, int] | None
    keep_aspect_ratio: bool = False
    multiple: float = 1
    pad_to_multiple: int | None = None
    reflect_pad: bool = False
    normalisation: Normalisation | None = None
    source: str = "preprocessor_config.json"

    def padding(self, height: int, width: int) -> tuple[int, int]:
        """ZoeDepth's reflect padding (rows, columns) added on each side, or (0, 0)."""
        if not self.reflect_pad:
            return 0, 0
        pad_h = int(math.sqrt(height / 2) * ZOE_PADDING_FACTOR)
        pad_w = int(math.sqrt(width / 2) * ZOE_PADDING_FACTOR)
        return min(pad_h, height - 1), min(pad_w, width - 1)

    def network_size(self, height: int, width: int) -> tuple[int, int]:
        """Network input (height, width) for a (padded) image of (height, width)."""
        if self.resize == "fixed":
            return self.size
        if self.resize == "floor":
            d = int(self.multiple)
            return max(d, height // d * d), max(d, width // d * d)
        scale_h = self.size[0] / height
        scale_w = self.size[1] / width
        if self.keep_aspect_ratio:
            if abs(1 - scale_w) < abs(1 - scale_h):
                scale_h = scale_w
            else:
                scale_w = scale_h
        return _to_multiple(scale_h * height, self.multiple), _to_multiple(scale_w * width, self.multiple)

    def describe(self) -> dict:
        return {"resize": self.resize, "size": list(self.size) if self.size else None,
                "keep_aspect_ratio": self.keep_aspect_ratio, "multiple": self.multiple,
                "pad_to_multiple": self.pad_to_multiple, "reflect_pad": self.reflect_pad,
                "source": self.source}


def _to_multiple(value: float, multiple: float) -> int:
    """Round to the nearest multiple (as DPT's ``constrain_to_multiple_of``), at least one multiple."""
    x = round(value / multiple) * multiple
    if x <= 0:
        x = math.ceil(value / multiple) * multiple
    return max(1, int(x))


#: Values of the released checkpoints' processors, used when a folder has none.
FALLBACK_PREPROCESSING: dict[str, HFPreprocessing] = {
    "depth_anything": HFPreprocessing("fit", (518, 518), True, 14, None, False, IMAGENET_NORMALISATION,
                                      "defaults of the released Depth Anything processors"),
    "dpt": HFPreprocessing("fit", (384, 384), False, 1, None, False, _HALF,
                           "defaults of the released DPT processors"),
    "glpn": HFPreprocessing("floor", None, False, 32, None, False, None,
                            "defaults of the released GLPN processors"),
    "zoedepth": HFPreprocessing("fit", (384, 512), True, 32, None, True, _HALF,
                                "defaults of the released ZoeDepth processors"),
}


class HuggingFaceDepthModel(TorchAdapterModel):
    """An ``AutoModelForDepthEstimation`` with its processor's preprocessing (module docstring).

    Build with :meth:`from_pretrained` or through the registry (``hf:<id-or-folder>``).
    ``network_input_size`` is the network's input for the canonical camera's images.
    """

    def __init__(self, model: "torch.nn.Module", preprocessing: HFPreprocessing, name: str,
                 output_kind: OutputKind, device: str, image_size: tuple[int, int] | None = None,
                 mixed_precision: bool = True, details: dict | None = None) -> None:
        network_size = None
        if image_size is not None:
            pad_h, pad_w = preprocessing.padding(*image_size)
            network_size = preprocessing.network_size(image_size[0] + 2 * pad_h, image_size[1] + 2 * pad_w)
        elif preprocessing.resize == "fixed":
            network_size = preprocessing.size
        details = dict(details or {})
        details["preprocessing"] = preprocessing.describe()
        super().__init__(name, output_kind, device, network_size, preprocessing.normalisation,
                         mixed_precision=mixed_precision, details=details)
        self.model = model.to(device).eval()
        self.preprocessing = preprocessing

    @classmethod
    def from_pretrained(cls, source: str | Path, *, device: str | None = None,
                        output_kind: OutputKind | str | None = None, trust_remote_code: bool = False,
                        revision: str | None = None, input_size: tuple[int, int] | None = None,
                        image_size: tuple[int, int] | None = None, mixed_precision: bool = True,
                        name: str | None = None) -> "HuggingFaceDepthModel":
        """Load a depth-estimation model from a folder or hub id.

        :param output_kind: override of the kind read from the config.
        :param input_size: fixed network (height, width), replacing the processor's resizing.
        :param image_size: (height, width) of the images it will see (for ``network_input_size``).
        :raises ModelSourceError: missing folder, no config, not a depth-estimation model, ...
        """
        options = {"trust_remote_code": str(bool(trust_remote_code))}
        if output_kind is not None:
            options["kind"] = OutputKind(output_kind).value
        if revision:
            options["revision"] = revision
        if input_size is not None:
            options["size"] = f"{int(input_size[0])}x{int(input_size[1])}"
        if not mixed_precision:
            options["amp"] = "false"
        spec = AdapterSpec(name=name or f"{PREFIX}:{source}", prefix=PREFIX, target=str(source), options=options)
        return _load(spec, device, image_size)

    def network_size(self, height: int, width: int) -> tuple[int, int]:
        return self.preprocessing.network_size(height, width)

    def run_network(self, x: "torch.Tensor") -> "torch.Tensor":
        return self.model(pixel_values=x).predicted_depth

    def forward_images(self, x: "torch.Tensor") -> "torch.Tensor":
        """[0, 1] RGB (N, 3, H, W) -> maps (N, H, W) with the processor's padding and resizing."""
        import torch.nn.functional as F

        height, width = x.shape[-2:]
        pad_h, pad_w = self.preprocessing.padding(height, width)
        if pad_h or pad_w:
            x = F.pad(x, (pad_w, pad_w, pad_h, pad_h), mode="reflect")
        padded = tuple(x.shape[-2:])
        z = self.normalise(resize_bilinear(x, self.network_size(*padded)))
        border = (0, 0, 0, 0)
        if self.preprocessing.pad_to_multiple:
            border = _centre_padding(z.shape[-2], z.shape[-1], self.preprocessing.pad_to_multiple)
            z = F.pad(z, border)
        out = as_maps(self.run_network(z), f"model {self.name!r}")
        if any(border):
            out = _crop_border(out, border, tuple(z.shape[-2:]))
        out = resize_bilinear(out, padded)
        if pad_h or pad_w:
            out = out[:, pad_h:padded[0] - pad_h, pad_w:padded[1] - pad_w]
        return out


def _centre_padding(height: int, width: int, multiple: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) zero padding to the next multiple (DPT ``pad_image``)."""
    def split(size: int) -> tuple[int, int]:
        pad = math.ceil(size / multiple) * multiple - size
        return pad // 2, pad - pad // 2

    left, right = split(width)
    top, bottom = split(height)
    return left, right, top, bottom


def _crop_border(out: "torch.Tensor", border: tuple[int, int, int, int], padded: tuple[int, int]) -> "torch.Tensor":
    """Crop a (left, right, top, bottom) input border off an output whose size is a multiple of
    the input's (DPT outputs twice the input size)."""
    sy = out.shape[-2] / padded[0]
    sx = out.shape[-1] / padded[1]
    left, right, top, bottom = (round(border[0] * sx), round(border[1] * sx),
                                round(border[2] * sy), round(border[3] * sy))
    return out[:, top:out.shape[-2] - bottom, left:out.shape[-1] - right]


# --- loading -----------------------------------------------------------------------------------
def check_spec(spec: AdapterSpec) -> None:
    """Cheap checks (no torch, no transformers): options, and a local folder with config.json."""
    spec.check_options(OPTIONS)
    spec.get("trust_remote_code", parse_bool, False)
    if looks_like_path(spec.target):
        folder = existing_folder(spec, spec.target, "Hugging Face model")
        required_file(spec, folder, "config.json", "Hugging Face model")


def load_spec(spec: AdapterSpec, context: ModelContext) -> HuggingFaceDepthModel:
    """Registry entry for ``hf:<id-or-folder>``; the canonical camera gives the image size."""
    camera = context.canonical_camera
    return _load(spec, context.device, (int(camera.height), int(camera.width)))


def _load(spec: AdapterSpec, device: str | None, image_size: tuple[int, int] | None) -> HuggingFaceDepthModel:
    check_spec(spec)
    import torch

    from evaluator.models.device import resolve_device

    try:
        import transformers
        from transformers import AutoConfig, AutoModelForDepthEstimation
        from transformers.models.auto.modeling_auto import MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES
    except ImportError as exc:
        raise ModelSourceError(f"model {spec.name!r}: needs the 'transformers' package "
                               f"(pip install transformers): {first_line(exc)}") from None

    local = looks_like_path(spec.target)
    source = str(Path(os.path.expanduser(spec.target))) if local else spec.target
    kwargs: dict[str, Any] = {"trust_remote_code": spec.get("trust_remote_code", parse_bool, False)}
    revision = spec.get("revision", str, None)
    if revision:
        kwargs["revision"] = revision
    if local:
        kwargs["local_files_only"] = True
    where = f"folder {source!r}" if local else f"hub id {source!r}"

    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
    except Exception as exc:
        raise ModelSourceError(f"model {spec.name!r}: cannot load the config of {where} "
                               f"({type(exc).__name__}: {_explain(exc)})") from None
    model_type = getattr(config, "model_type", None)
    remote = "AutoModelForDepthEstimation" in (getattr(config, "auto_map", None) or {})
    if model_type not in MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES and not remote:
        known = ", ".join(sorted(MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES))
        raise ModelSourceError(f"model {spec.name!r}: {where} is not a depth-estimation model "
                               f"(config model_type {model_type!r}; depth-estimation types: {known})")
    kind = spec.output_kind or kind_from_config(config)
    if kind is None:
        raise ModelOptionError(f"model {spec.name!r}: cannot tell the output kind of model_type {model_type!r}; "
                               "give it as option kind=metric_depth|disparity|relative_inverse_depth")
    try:
        model = AutoModelForDepthEstimation.from_pretrained(source, config=config, dtype=torch.float32, **kwargs)
    except Exception as exc:
        raise ModelSourceError(f"model {spec.name!r}: cannot load the weights of {where} "
                               f"({type(exc).__name__}: {_explain(exc)})") from None
    preprocessing = _preprocessing(spec, source, model_type, kwargs)
    details = {"adapter": PREFIX, "source": source, "architecture": type(model).__name__,
               "model_type": model_type, "transformers": transformers.__version__,
               "trust_remote_code": kwargs["trust_remote_code"]}
    return HuggingFaceDepthModel(model, preprocessing, spec.name, kind, resolve_device(device), image_size,
                                 mixed_precision=spec.mixed_precision, details=details)


def kind_from_config(config: Any) -> OutputKind | None:
    """Output kind the config implies (``depth_estimation_type`` first, then ``model_type``), or None."""
    estimation = getattr(config, "depth_estimation_type", None)
    if estimation in KIND_BY_ESTIMATION_TYPE:
        return KIND_BY_ESTIMATION_TYPE[estimation]
    return KIND_BY_MODEL_TYPE.get(getattr(config, "model_type", None))


def _preprocessing(spec: AdapterSpec, source: str, model_type: str, kwargs: dict) -> HFPreprocessing:
    """What the model's image processor does (or the family's fallback), as HFPreprocessing."""
    from transformers import AutoImageProcessor

    try:
        processor = AutoImageProcessor.from_pretrained(source, **kwargs)
    except Exception:  # no preprocessor_config.json (or an unknown processor): family defaults
        processor = None
    if processor is not None:
        prep = preprocessing_from_processor(processor, model_type)
    elif model_type in FALLBACK_PREPROCESSING:
        prep = FALLBACK_PREPROCESSING[model_type]
    elif spec.input_size is not None:
        prep = HFPreprocessing("fixed", spec.input_size, normalisation=IMAGENET_NORMALISATION,
                               source="size option; ImageNet normalisation (no processor found)")
    else:
        raise ModelSourceError(f"model {spec.name!r}: {source!r} has no preprocessor_config.json and "
                               f"model_type {model_type!r} has no known defaults; give option size=<h>x<w>")
    if spec.input_size is not None:
        prep = HFPreprocessing("fixed", spec.input_size, pad_to_multiple=prep.pad_to_multiple,
                               reflect_pad=prep.reflect_pad, normalisation=prep.normalisation,
                               source=f"size option; {prep.source}")
    return prep


def preprocessing_from_processor(processor: Any, model_type: str) -> HFPreprocessing:
    """Read resizing, padding and normalisation from a transformers image processor."""
    normalisation = _normalisation(processor)
    name = type(processor).__name__
    if model_type == "glpn" or (getattr(processor, "size", None) is None
                                and getattr(processor, "size_divisor", None)):
        return HFPreprocessing("floor", None, multiple=int(getattr(processor, "size_divisor", None) or 32),
                               normalisation=normalisation, source=name)
    size = _size(processor)
    keep = bool(getattr(processor, "keep_aspect_ratio", False))
    multiple = getattr(processor, "ensure_multiple_of", None) or 1
    if not getattr(processor, "do_resize", True):
        size, keep, multiple = None, False, 1
    reflect = model_type == "zoedepth" and bool(getattr(processor, "do_pad", False))
    divisor = getattr(processor, "size_divisor", None)
    pad = int(divisor) if (not reflect and getattr(processor, "do_pad", False) and divisor) else None
    if size is None:  # no resizing: the network takes the image as it is (then padding)
        return HFPreprocessing("floor", None, multiple=1, pad_to_multiple=pad, reflect_pad=reflect,
                               normalisation=normalisation, source=name)
    return HFPreprocessing("fit", size, keep, multiple, pad, reflect, normalisation, name)


def _size(processor: Any) -> tuple[int, int] | None:
    size = getattr(processor, "size", None)
    if size is None:
        return None
    get = size.get if isinstance(size, dict) else (lambda k, d=None: getattr(size, k, d))
    if get("height", None) and get("width", None):
        return int(get("height")), int(get("width"))
    edge = get("shortest_edge", None)
    return (int(edge), int(edge)) if edge else None


def _normalisation(processor: Any) -> Normalisation | None:
    """The processor's rescale and normalise steps as a Normalisation of [0, 1] RGB.

    A value v = 255 x f (f = ``rescale_factor``, or 1 without rescaling) normalised to
    (v - m) / s equals (x - m / (255 f)) / (s / (255 f)).
    """
    factor = float(getattr(processor, "rescale_factor", 1 / 255)) if getattr(processor, "do_rescale", True) else 1.0
    unit = 255.0 * factor
    if getattr(processor, "do_normalize", False) and getattr(processor, "image_mean", None) is not None:
        mean = _triple(processor.image_mean)
        std = _triple(processor.image_std)
        return Normalisation(tuple(m / unit for m in mean), tuple(s / unit for s in std))
    if abs(unit - 1.0) < 1e-6:
        return None
    return Normalisation((0.0, 0.0, 0.0), (1.0 / unit,) * 3)


def _triple(value: Any) -> tuple[float, float, float]:
    values = [float(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
    return tuple(values * 3)[:3] if len(values) == 1 else tuple(values[:3])


def _explain(exc: BaseException) -> str:
    text = first_line(exc)
    if "trust_remote_code" in str(exc):
        text += " -- add option trust_remote_code=true if you trust its code"
    return text
