"""Common base of the network adapters (Hugging Face, Monodepth2, torch.hub).

An adapter takes the stimuli at their own resolution and does what the network's own
preprocessing does, in torch, for the whole batch at once on the chosen device:

1. uint8 RGB (N, H, W, 3) -> float32 (N, 3, H, W) in [0, 1];
2. bilinear resize (antialiased when shrinking, ``align_corners=False``) to the network input
   size (:meth:`TorchAdapterModel.network_size`, which may depend on (H, W), e.g. for models
   that keep the aspect ratio);
3. per-channel normalisation ``(x - mean) / std``, unless the network does it itself;
4. the network, under ``torch.inference_mode()``, with float16 autocast only on CUDA
   (``mixed_precision``; never on CPU);
5. the map back to (H, W) by bilinear interpolation (``align_corners=False``), then
   :meth:`TorchAdapterModel.finish` (e.g. Monodepth2 turns disparity into metric depth *after*
   resizing, as the original evaluation does).

Because the adapter resizes itself (the input size of some networks depends on the image's
aspect ratio, some pad the image, and Monodepth2 interpolates disparity, not depth), it declares
``input_size = None`` to :mod:`evaluator.pipeline.batching` ("give me the stimuli as they are") and
states the network's size for the canonical camera in ``network_input_size``; both appear in
:meth:`TorchAdapterModel.describe`.  Images given at the network size pass step 2 unchanged.
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluator.errors import ModelOutputError
from evaluator.models.base import DepthModel, Normalisation, OutputKind

if TYPE_CHECKING:  # torch is imported only when an adapter is built
    import torch


class TorchAdapterModel(DepthModel):
    """Base class: resize, normalise, run, resize back (see the module docstring).

    Subclasses implement :meth:`run_network` and may override :meth:`network_size`,
    :meth:`forward_images` (for padding schemes) and :meth:`finish`.

    :param name: the name results use.
    :param output_kind: what :meth:`predict` returns.
    :param device: a resolved torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
    :param network_input_size: (height, width) in pixels the network gets for the canonical
        camera's images, or None when it takes images at their own size.
    :param normalisation: per-channel mean/std on [0, 1] RGB the network expects, or None.
    :param normalise_in_network: True when the network applies ``normalisation`` itself
        (declared for the record; the adapter then passes [0, 1] RGB).
    :param mixed_precision: use float16 autocast on CUDA (ignored on CPU).
    :param details: extra plain data for :meth:`describe` (source, architecture, ...).
    """

    framework = "torch"
    input_size = None

    def __init__(self, name: str, output_kind: OutputKind | str, device: str,
                 network_input_size: tuple[int, int] | None, normalisation: Normalisation | None,
                 normalise_in_network: bool = False, mixed_precision: bool = True,
                 details: dict[str, Any] | None = None) -> None:
        self.name = name
        self.output_kind = OutputKind(output_kind)
        self.device = device
        self.network_input_size = (None if network_input_size is None
                                   else (int(network_input_size[0]), int(network_input_size[1])))
        self.normalisation = normalisation
        self.normalise_in_network = normalise_in_network
        self.mixed_precision = mixed_precision
        self.details = dict(details or {})

    # --- what subclasses provide -------------------------------------------------------------
    def network_size(self, height: int, width: int) -> tuple[int, int]:
        """Network input (height, width) for images of (height, width); default: the fixed
        ``network_input_size``, or the images' own size when that is None."""
        return self.network_input_size or (height, width)

    def run_network(self, x: "torch.Tensor") -> "torch.Tensor":
        """The network on a prepared batch (N, 3, h, w); returns (N, h', w') or (N, 1, h', w')."""
        raise NotImplementedError

    def finish(self, maps: "torch.Tensor") -> "torch.Tensor":
        """Turn resized maps (N, H, W), float32, into ``output_kind`` units (default: as is)."""
        return maps

    # --- the pipeline --------------------------------------------------------------------------
    def forward_images(self, x: "torch.Tensor") -> "torch.Tensor":
        """[0, 1] RGB (N, 3, H, W) -> maps (N, H, W): resize, normalise, run, resize back."""
        height, width = x.shape[-2:]
        z = self.normalise(resize_bilinear(x, self.network_size(height, width)))
        return resize_bilinear(as_maps(self.run_network(z), f"model {self.name!r}"), (height, width))

    def predict(self, images: np.ndarray) -> np.ndarray:
        """float32 maps (N, H, W) in ``output_kind`` units for uint8 RGB images (N, H, W, 3)."""
        import torch

        if not isinstance(images, np.ndarray) or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"model {self.name!r} expects uint8 images (N, H, W, 3), "
                             f"got {getattr(images, 'shape', type(images).__name__)}")
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
            x = x.permute(0, 3, 1, 2).float().div_(255.0)
            with self.autocast():
                maps = self.forward_images(x)
            maps = self.finish(maps.float())
            return maps.cpu().numpy().astype(np.float32, copy=False)

    def normalise(self, x: "torch.Tensor") -> "torch.Tensor":
        """``(x - mean) / std`` with the declared normalisation (unless the network does it)."""
        if self.normalisation is None or self.normalise_in_network:
            return x
        import torch

        mean = torch.tensor(self.normalisation.mean, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.normalisation.std, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        return (x - mean) / std

    def autocast(self) -> contextlib.AbstractContextManager:
        """float16 autocast on CUDA when ``mixed_precision``; a no-op elsewhere."""
        if self.mixed_precision and str(self.device).startswith("cuda"):
            import torch

            return torch.autocast(device_type="cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def describe(self) -> dict:
        """The declared contract plus the network size, who resizes and normalises, and details."""
        out = super().describe()
        out["network_input_size"] = (list(self.network_input_size)
                                     if self.network_input_size is not None else None)
        out["resized_by"] = "adapter (bilinear)"
        out["normalised_by"] = ("network" if self.normalise_in_network else "adapter") \
            if self.normalisation is not None else None
        out["mixed_precision"] = bool(self.mixed_precision and str(self.device).startswith("cuda"))
        out.update(self.details)
        return out


def resize_bilinear(x: "torch.Tensor", size: tuple[int, int]) -> "torch.Tensor":
    """(N, C, H, W) or (N, H, W) float -> same rank at ``size``; bilinear, ``align_corners=False``,
    antialiased when shrinking; returned unchanged when already at ``size``."""
    import torch.nn.functional as F

    size = (int(size[0]), int(size[1]))
    if tuple(x.shape[-2:]) == size:
        return x
    squeeze = x.ndim == 3
    y = x[:, None] if squeeze else x
    shrink = size[0] < y.shape[-2] or size[1] < y.shape[-1]
    y = F.interpolate(y, size=size, mode="bilinear", align_corners=False, antialias=shrink)
    return y[:, 0] if squeeze else y


def as_maps(out: Any, name: str = "network") -> "torch.Tensor":
    """A network output (N, h, w) or (N, 1, h, w) tensor -> (N, h, w).

    :raises ModelOutputError: anything else (one line naming ``name``).
    """
    import torch

    if not isinstance(out, torch.Tensor):
        raise ModelOutputError(f"{name} returned {type(out).__name__}; expected a tensor (N, H, W) or (N, 1, H, W)")
    if out.ndim == 4 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim != 3:
        raise ModelOutputError(f"{name} returned shape {tuple(out.shape)}; expected (N, H, W) or (N, 1, H, W)")
    return out
