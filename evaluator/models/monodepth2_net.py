"""The Monodepth2 depth network (Godard et al., ICCV 2019), written for this project.

Same architecture, module names and state-dict keys as the original code
(``networks/resnet_encoder.py``, ``networks/depth_decoder.py`` and ``layers.py`` of
github.com/nianticlabs/monodepth2), so the released ``encoder.pth`` and ``depth.pth`` load
as they are, and the same weights give the same output (checked against the original classes
in ``tests/test_adapters_monodepth2.py``).  Only what depth prediction needs is here: one input
image (no pose encoder), and the decoder returns the finest-scale disparity only (the heads of
scales 1-3 exist so that checkpoints load strictly, but prediction does not use them).

Shapes: the encoder takes RGB in [0, 1], (N, 3, H, W) with H and W multiples of 32, and
normalises it itself; the decoder returns the sigmoid disparity (N, 1, H, W) in (0, 1), which
:func:`disp_to_depth` maps to depth.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tv_models

#: The encoder's input normalisation ``(x - 0.45) / 0.225`` on [0, 1] RGB, the same value for
#: every channel (``ResnetEncoder.forward`` in the original ``networks/resnet_encoder.py``).
INPUT_MEAN = 0.45
INPUT_STD = 0.225
#: Depth range that the sigmoid disparity is mapped to, in the units of training (metres up to
#: an unknown scale for mono models): ``--min_depth`` / ``--max_depth`` defaults of the original
#: ``options.py``, used by its ``test_simple.py`` and ``evaluate_depth.py``.
MIN_DEPTH = 0.1
MAX_DEPTH = 100.0
#: Stereo-trained models learnt with a nominal stereo baseline of 0.1 units; the KITTI rig's is
#: 0.54 m, so their depth times 5.4 is metres (``STEREO_SCALE_FACTOR`` in the original
#: ``evaluate_depth.py``).  Valid for stereo and mono+stereo models trained on KITTI only.
STEREO_SCALE_FACTOR = 5.4
#: Decoder channels per scale (``num_ch_dec`` in the original ``networks/depth_decoder.py``).
DECODER_CHANNELS = (16, 32, 64, 128, 256)
#: ResNet depth -> (torchvision constructor, blocks per stage, bottleneck blocks).
RESNETS = {
    18: (tv_models.resnet18, (2, 2, 2, 2), False),
    34: (tv_models.resnet34, (3, 4, 6, 3), False),
    50: (tv_models.resnet50, (3, 4, 6, 3), True),
    101: (tv_models.resnet101, (3, 4, 23, 3), True),
    152: (tv_models.resnet152, (3, 8, 36, 3), True),
}


class ResnetEncoder(nn.Module):
    """A torchvision ResNet as a 5-level feature pyramid (the original ``ResnetEncoder``).

    :param num_layers: 18, 34, 50, 101 or 152.  Weights are random (torchvision's
        initialisation); load a checkpoint with ``load_state_dict``.
    """

    def __init__(self, num_layers: int) -> None:
        super().__init__()
        if num_layers not in RESNETS:
            raise ValueError(f"{num_layers} is not a ResNet depth Monodepth2 supports ({sorted(RESNETS)})")
        constructor, _, bottleneck = RESNETS[num_layers]
        self.num_layers = num_layers
        self.encoder = constructor(weights=None)
        expansion = 4 if bottleneck else 1
        self.num_ch_enc = (64, 64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """RGB in [0, 1] (N, 3, H, W) -> features at strides 2, 4, 8, 16, 32."""
        x = (image - INPUT_MEAN) / INPUT_STD
        enc = self.encoder
        features = [enc.relu(enc.bn1(enc.conv1(x)))]
        features.append(enc.layer1(enc.maxpool(features[-1])))
        features.append(enc.layer2(features[-1]))
        features.append(enc.layer3(features[-1]))
        features.append(enc.layer4(features[-1]))
        return features


class Conv3x3(nn.Module):
    """Reflection padding by 1, then a 3x3 convolution (the original ``layers.Conv3x3``)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv = nn.Conv2d(int(in_channels), int(out_channels), 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class ConvBlock(nn.Module):
    """:class:`Conv3x3` then ELU (the original ``layers.ConvBlock``)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = Conv3x3(in_channels, out_channels)
        self.nonlin = nn.ELU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlin(self.conv(x))


class DepthDecoder(nn.Module):
    """U-Net decoder with skip connections and sigmoid disparity heads (the original
    ``DepthDecoder`` with ``scales=range(4)``, one output channel, skips on).

    The modules sit in ``self.decoder`` (a ModuleList) in the original order -- ``upconv``
    (i, 0) and (i, 1) for i = 4 .. 0, then ``dispconv`` 0 .. 3 -- so the state-dict keys
    (``decoder.<index>.…``) are the original ones.

    :param num_ch_enc: channels of the five encoder features.
    """

    SCALES = (0, 1, 2, 3)

    def __init__(self, num_ch_enc: tuple[int, ...]) -> None:
        super().__init__()
        self.num_ch_enc = tuple(int(c) for c in num_ch_enc)
        convs: OrderedDict[tuple, nn.Module] = OrderedDict()
        for i in range(4, -1, -1):
            num_in = self.num_ch_enc[-1] if i == 4 else DECODER_CHANNELS[i + 1]
            convs[("upconv", i, 0)] = ConvBlock(num_in, DECODER_CHANNELS[i])
            num_in = DECODER_CHANNELS[i] + (self.num_ch_enc[i - 1] if i > 0 else 0)
            convs[("upconv", i, 1)] = ConvBlock(num_in, DECODER_CHANNELS[i])
        for s in self.SCALES:
            convs[("dispconv", s)] = Conv3x3(DECODER_CHANNELS[s], 1)
        self._index = {key: n for n, key in enumerate(convs)}
        self.decoder = nn.ModuleList(list(convs.values()))

    def conv(self, *key) -> nn.Module:
        """The module the original code calls ``self.convs[key]``."""
        return self.decoder[self._index[key]]

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        """Encoder features -> sigmoid disparity (N, 1, H, W) at the input resolution (scale 0)."""
        x = features[-1]
        for i in range(4, -1, -1):
            x = self.conv("upconv", i, 0)(x)
            x = [F.interpolate(x, scale_factor=2, mode="nearest")]
            if i > 0:
                x.append(features[i - 1])
            x = self.conv("upconv", i, 1)(torch.cat(x, 1))
        return torch.sigmoid(self.conv("dispconv", 0)(x))


class Monodepth2Network(nn.Module):
    """Encoder and decoder: RGB in [0, 1] (N, 3, H, W) -> sigmoid disparity (N, 1, H, W).

    :param num_layers: ResNet depth of the encoder (18 or 50 for the released models).
    """

    def __init__(self, num_layers: int) -> None:
        super().__init__()
        self.encoder = ResnetEncoder(num_layers)
        self.depth_decoder = DepthDecoder(self.encoder.num_ch_enc)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.depth_decoder(self.encoder(image))


def disp_to_depth(disp: torch.Tensor, min_depth: float = MIN_DEPTH,
                  max_depth: float = MAX_DEPTH) -> tuple[torch.Tensor, torch.Tensor]:
    """Sigmoid output -> (scaled disparity, depth), as the original ``layers.disp_to_depth``.

    ``scaled_disp = 1/max_depth + (1/min_depth - 1/max_depth) * disp`` and
    ``depth = 1 / scaled_disp``, so depth lies in [min_depth, max_depth] (training units).
    """
    min_disp = 1.0 / max_depth
    max_disp = 1.0 / min_depth
    scaled_disp = min_disp + (max_disp - min_disp) * disp
    return scaled_disp, 1.0 / scaled_disp


def resnet_depth_from_state_dict(state: dict) -> int:
    """The ResNet depth (18, 34, 50, 101, 152) of an encoder state dict (keys ``encoder.…``).

    :raises ValueError: the keys are not those of a one-image ResNet encoder.
    """
    if "encoder.conv1.weight" not in state:
        raise ValueError("no 'encoder.conv1.weight': not a Monodepth2 ResNet encoder")
    in_channels = tuple(state["encoder.conv1.weight"].shape)[1]
    if in_channels != 3:
        raise ValueError(f"encoder takes {in_channels} input channels (a pose encoder?); "
                         "the depth encoder takes 3")
    bottleneck = "encoder.layer1.0.conv3.weight" in state
    blocks = []
    for stage in range(1, 5):
        prefix = f"encoder.layer{stage}."
        indices = {int(k[len(prefix):].split(".")[0]) for k in state if k.startswith(prefix)}
        blocks.append(len(indices))
    for depth, (_, layout, is_bottleneck) in RESNETS.items():
        if tuple(blocks) == layout and bottleneck == is_bottleneck:
            return depth
    kind = "bottleneck" if bottleneck else "basic"
    raise ValueError(f"ResNet with {blocks} {kind} blocks per stage is none of {sorted(RESNETS)}")
