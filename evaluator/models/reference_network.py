"""The reference networks' architecture: a small U-Net that predicts metric z-depth.

Shape (defaults of :class:`NetworkConfig`; sizes for the 96 x 320 training images)::

    RGB (3, 96, 320), normalised (x - 0.45) / 0.225
    stem   conv 3x3 stride 2, 3 -> 16                       (16, 48, 160)   1/2
    enc1   conv 3x3, 16 -> 16                               (16, 48, 160)   1/2
    enc2   conv 3x3 stride 2, 16 -> 32; conv 32 -> 32       (32, 24, 80)    1/4
    enc3   conv 3x3 stride 2, 32 -> 64; conv 64 -> 64       (64, 12, 40)    1/8
    enc4   conv 3x3 stride 2, 64 -> 128; 2 x conv 128       (128, 6, 20)    1/16
    enc5   conv 3x3 stride 2, 128 -> 128; 2 x conv 128      (128, 3, 10)    1/32
    decoder, from 1/32 up to 1/2: bilinear x2, 1x1 conv to the skip's channels, add the
           skip, conv 3x3 (FPN-style: adding instead of concatenating keeps the cost low)
    head   conv 3x3 16 -> 1 at 1/2, bilinear x2 to (96, 320)
    depth  = exp(log_min + (log_max - log_min) * sigmoid(head))      metres, (1, 96, 320)

Every conv is followed by BatchNorm and ReLU (except the head).  Four down-sampling levels
below the stem (1/4 ... 1/32) give a receptive field larger than the image height, so the
network can see a whole car (up to about 60 px tall at 5 m) and the horizon together.

Why this shape: on a 2-core CPU the cost is in the high-resolution levels, the parameters in
the low-resolution ones; so the full-resolution level is dropped (the stem strides at once),
high-resolution levels are thin (16, 32 channels) and the deep levels carry the parameters
(1.11 M parameters, 0.22 GMAC a 96 x 320 frame).  The output is predicted at half resolution and
upsampled; a bilinear step blurs depth edges by about one pixel, which an eroded-mask object
statistic does not see.

Output: a log depth bounded to [``min_depth_m``, ``max_depth_m``] through a sigmoid (as
Monodepth2 bounds its disparity), so the output is always finite and positive; sky, which has
no depth, gets whatever the network makes of it (trained: near ``max_depth_m``).

The module imports torch; :class:`NetworkConfig` is plain data (it goes into the weights file's
metadata and the model card, and :func:`build_network` rebuilds the module from it).
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from evaluator.models.reference_config import ARCHITECTURE, NetworkConfig

__all__ = ["ARCHITECTURE", "DepthUNet", "NetworkConfig", "build_network", "count_parameters", "normalise"]


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class DepthUNet(nn.Module):
    """The network of the module docstring; ``forward`` maps normalised RGB to metres.

    :param config: the architecture (see :class:`NetworkConfig`).
    """

    def __init__(self, config: NetworkConfig = NetworkConfig()) -> None:
        super().__init__()
        self.config = config
        ch = [int(c) for c in config.channels]
        self.encoder = nn.ModuleList()
        c_prev = 3
        for level, (c, n) in enumerate(zip(ch, config.convs)):
            layers = [_conv(c_prev, c, stride=2)] + [_conv(c, c) for _ in range(int(n))]
            self.encoder.append(nn.Sequential(*layers))
            c_prev = c
        # decoder step k goes from level k+1 to level k (k = 3, 2, 1, 0)
        self.lateral = nn.ModuleList([nn.Conv2d(ch[k + 1], ch[k], 1, bias=False) for k in range(4)])
        self.fuse = nn.ModuleList([_conv(ch[k], ch[k]) for k in range(4)])
        self.head = nn.Conv2d(ch[0], 1, 3, padding=1)
        self.log_min = math.log(config.min_depth_m)
        self.log_max = math.log(config.max_depth_m)

    def log_depth(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised RGB (N, 3, H, W) -> natural log of depth in metres (N, 1, H, W)."""
        skips = []
        y = x
        for block in self.encoder:
            y = block(y)
            skips.append(y)
        y = skips[-1]
        for k in (3, 2, 1, 0):
            up = F.interpolate(y, size=skips[k].shape[-2:], mode="bilinear", align_corners=False)
            y = self.fuse[k](self.lateral[k](up) + skips[k])
        # the head and the bounded log depth in float32 even under a bfloat16 autocast: 8 mantissa
        # bits on the sigmoid would quantise depth in steps of about 3 %
        with torch.autocast(device_type=y.device.type, enabled=False):
            logit = self.head(y.float())
            logit = F.interpolate(logit, size=x.shape[-2:], mode="bilinear", align_corners=False)
            return self.log_min + (self.log_max - self.log_min) * torch.sigmoid(logit)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised RGB (N, 3, H, W) -> depth in metres (N, 1, H, W), finite and positive."""
        return torch.exp(self.log_depth(x))


def build_network(config: NetworkConfig | dict[str, Any] | None = None) -> DepthUNet:
    """A freshly initialised :class:`DepthUNet` (default config when None)."""
    if isinstance(config, dict):
        config = NetworkConfig.from_dict(config)
    return DepthUNet(config or NetworkConfig())


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def normalise(images: torch.Tensor, config: NetworkConfig) -> torch.Tensor:
    """uint8 or [0, 255] float images (N, 3, H, W) -> normalised float32 input."""
    x = images.float() / 255.0
    mean = torch.tensor(config.mean, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(config.std, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std
