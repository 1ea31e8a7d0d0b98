"""The reference network's architecture as plain data (no torch), beside the network it describes.

:class:`NetworkConfig` is stored in the weights file's metadata and the model card;
:func:`evaluator.models.reference_network.build_network` rebuilds the module from it.
Importing this module imports no torch, so a command line can check a config before the heavy
imports.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from scenes.errors import DepthprobeError

#: Name of the one architecture this code builds (stored in every weights file).
ARCHITECTURE = "depthprobe-unet-v1"


class NetworkConfigError(DepthprobeError, ValueError):
    """A network setting out of range (one line naming the setting)."""


@dataclass(frozen=True)
class NetworkConfig:
    """Plain-data description of a :class:`~evaluator.models.reference_network.DepthUNet`.

    :param channels: feature channels at 1/2, 1/4, 1/8, 1/16, 1/32 of the input size.
    :param convs: 3x3 convs per level after its (strided) entry conv, same length as channels.
    :param min_depth_m: smallest depth the output can take, metres (> 0).
    :param max_depth_m: largest depth the output can take, metres (> min_depth_m).
    :param input_size: (height, width) in pixels the network was trained at; both must be
        multiples of 32 (five stride-2 steps).
    :param mean, std: per-channel normalisation of [0, 1] RGB applied before the network
        (Monodepth2's 0.45 / 0.225, the same for the three channels).
    """

    channels: tuple[int, ...] = (16, 32, 64, 128, 128)
    convs: tuple[int, ...] = (1, 1, 1, 2, 2)
    min_depth_m: float = 0.5
    max_depth_m: float = 500.0
    input_size: tuple[int, int] = (96, 320)
    mean: tuple[float, float, float] = (0.45, 0.45, 0.45)
    std: tuple[float, float, float] = (0.225, 0.225, 0.225)
    architecture: str = field(default=ARCHITECTURE)

    def __post_init__(self) -> None:
        if self.architecture != ARCHITECTURE:
            raise NetworkConfigError(f"unknown architecture {self.architecture!r} (this code builds {ARCHITECTURE!r})")
        if len(self.channels) != 5 or len(self.convs) != 5:
            raise NetworkConfigError("channels and convs need one entry per level (5 levels: 1/2 ... 1/32)")
        if any(int(c) < 1 for c in self.channels) or any(int(n) < 0 for n in self.convs):
            raise NetworkConfigError(f"channels must be >= 1 and convs >= 0, got {self.channels}, {self.convs}")
        if not 0 < self.min_depth_m < self.max_depth_m:
            raise NetworkConfigError(f"need 0 < min_depth_m < max_depth_m, got {self.min_depth_m}, {self.max_depth_m}")
        h, w = self.input_size
        if h % 32 or w % 32 or h < 32 or w < 32:
            raise NetworkConfigError(f"input_size must be multiples of 32, got {self.input_size}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "NetworkConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error (a newer file, or a typo)."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise NetworkConfigError(f"unknown network config key(s): {', '.join(sorted(unknown))}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)
