"""The benchmark network of ``depthprobe bench evaluation`` (depthprobe/bench/evaluation.py): a small
encoder-decoder conv net, randomly initialised with a fixed seed, disparity output.

It stands for "a model": the benchmark measures what the evaluator adds around any model's
forward pass, so the network's weights do not matter, only that its cost is that of a real
conv net of the size asked for.
"""
from __future__ import annotations

from evaluator.models.torch_module import TorchModuleModel

#: Added to the softplus output so that no disparity is 0 (a division by zero in depth = 1 / d).
MIN_DISPARITY = 1e-3


def bench_model(channels: int = 32, seed: int = 0) -> TorchModuleModel:
    """The benchmark network (:class:`BenchNet`) as a CPU :class:`TorchModuleModel` named
    ``benchnet-c<channels>``.

    :param channels: width of the first encoder stage, >= 1 (the others double, up to 4x).
    :param seed: torch's seed for the random initialisation (same seed, same weights).
    """
    import torch
    from torch import nn

    torch.manual_seed(seed)
    c = channels

    def block(i: int, o: int, stride: int = 1) -> nn.Module:
        return nn.Sequential(nn.Conv2d(i, o, 3, stride, 1), nn.ReLU(inplace=True))

    class BenchNet(nn.Module):
        """Encoder (3 stride-2 stages) and decoder (3 upsampling stages), softplus disparity.
        Input (N, 3, H, W) with H and W multiples of 8; output (N, 1, H, W)."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Sequential(block(3, c, 2), block(c, 2 * c, 2), block(2 * c, 4 * c, 2),
                                         block(4 * c, 4 * c))
            self.decoder = nn.Sequential(nn.Upsample(scale_factor=2), block(4 * c, 2 * c),
                                         nn.Upsample(scale_factor=2), block(2 * c, c),
                                         nn.Upsample(scale_factor=2), nn.Conv2d(c, 1, 3, 1, 1))

        def forward(self, x):
            return nn.functional.softplus(self.decoder(self.encoder(x))) + MIN_DISPARITY

    return TorchModuleModel(BenchNet(), name=f"benchnet-c{c}", output_kind="disparity", device="cpu")
