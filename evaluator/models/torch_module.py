"""A torch ``nn.Module`` as a depth model: the base that network adapters build on.

The module receives a float32 tensor (N, 3, H, W) on ``device``: RGB scaled to [0, 1], then
normalised with ``normalisation`` when one is declared.  It returns (N, H', W') or
(N, 1, H', W'); the map is returned as float32 numpy (N, H', W').  Adapters for network
families (Hugging Face, Monodepth2, torch.hub) subclass this or wrap their network's forward
in a small module.  Autograd is disabled by :mod:`evaluator.pipeline.batching` (``inference_mode``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evaluator.models.base import DepthModel, Normalisation, OutputKind

if TYPE_CHECKING:  # torch is imported only when a torch model is built
    import torch


class TorchModuleModel(DepthModel):
    """Run ``module`` on normalised images (see the module docstring).

    :param module: the network; put in eval mode and moved to ``device``.
    :param name: the name results use.
    :param output_kind: what the module's output means.
    :param device: a resolved torch device string (see :func:`evaluator.models.device.resolve_device`).
    :param input_size: (height, width) in pixels the module wants, or None for native size.
    :param normalisation: per-channel mean/std on [0, 1] RGB, or None.
    """

    framework = "torch"

    def __init__(self, module: "torch.nn.Module", name: str, output_kind: OutputKind | str,
                 device: str = "cpu", input_size: tuple[int, int] | None = None,
                 normalisation: Normalisation | None = None) -> None:
        import torch  # noqa: F401  (fail here, not mid-run, if torch is missing)

        self.name = name
        self.output_kind = OutputKind(output_kind)
        self.device = device
        self.input_size = input_size
        self.normalisation = normalisation
        self.module = module.to(device).eval()

    def to_tensor(self, images: np.ndarray) -> "torch.Tensor":
        """uint8 (N, H, W, 3) -> normalised float32 tensor (N, 3, H, W) on ``device``."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
        x = x.permute(0, 3, 1, 2).float().div_(255.0)
        if self.normalisation is not None:
            mean = torch.tensor(self.normalisation.mean, device=self.device).view(1, 3, 1, 1)
            std = torch.tensor(self.normalisation.std, device=self.device).view(1, 3, 1, 1)
            x = (x - mean) / std
        return x

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Module output as float32 numpy (N, H, W) (a channel axis of size 1 is dropped)."""
        out = self.module(self.to_tensor(images))
        if out.ndim == 4 and out.shape[1] == 1:
            out = out[:, 0]
        return out.detach().float().cpu().numpy()
