"""Training settings of the reference networks as plain data (no torch).

:class:`TrainingConfig` holds the settings of :func:`evaluator.training.train`; its defaults
are those of the shipped networks.  The network itself is described by
:class:`evaluator.models.reference_config.NetworkConfig` (training depends on models, never
the other way round).  Importing this module imports no torch, so a command line can build and
check a config before the heavy imports.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from evaluator.models.reference_config import NetworkConfig
from scenes.errors import DepthprobeError


class TrainingConfigError(DepthprobeError, ValueError):
    """A training setting out of range (one line naming the setting)."""


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of :func:`train`; the defaults trained the shipped reference networks.

    :param epochs: passes over the training frames (30: about 7 min for 1800 frames of
        96 x 320 on 2 CPU cores; see the model cards for the measured time).
    :param batch_size: frames per optimiser step.
    :param lr: peak AdamW learning rate.
    :param weight_decay: AdamW decoupled weight decay.
    :param warmup_fraction: fraction of the steps with a linear warm-up from ``lr / 10``.
    :param final_lr_fraction: the cosine decays to ``lr * final_lr_fraction``.
    :param seed: seeds the split, the initialisation, batch order and flips.
    :param val_fraction: fraction of frames held out for validation (split by frame).
    :param object_weight: loss weight of object pixels relative to other pixels (module doc).
    :param flip: random horizontal flips (the only augmentation; see evaluator.training.data).
    :param max_steps: stop after this many optimiser steps (None: ``epochs`` decide); the
        schedule is laid out for the steps actually run.
    :param stored_dtype: ``"float32"`` or ``"float16"`` weights in the safetensors file.
    :param precision: arithmetic of the training steps: ``"float32"``; ``"bfloat16"`` (autocast
        of the convolutions, float32 weights, loss and output head); ``"auto"`` = bfloat16 on a
        CPU with native bfloat16 support (about 1.6x faster per step on the 2-core AMD EPYC we
        trained on), float32 elsewhere.  Validation and inference always run in float32.
    :param network: the architecture.
    :param limit_per_set: use only the first N frames of each set (smoke tests).
    """

    epochs: float = 30.0
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.03
    final_lr_fraction: float = 0.02
    seed: int = 0
    val_fraction: float = 0.1
    object_weight: float = 5.0
    flip: bool = True
    max_steps: int | None = None
    stored_dtype: str = "float32"
    precision: str = "auto"
    network: NetworkConfig = field(default_factory=NetworkConfig)
    limit_per_set: int | None = None

    def __post_init__(self) -> None:
        if not self.epochs > 0:
            raise TrainingConfigError(f"epochs must be > 0, got {self.epochs}")
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise TrainingConfigError(f"batch_size must be a whole number >= 1, got {self.batch_size}")
        if not self.lr > 0 or self.weight_decay < 0:
            raise TrainingConfigError(f"need lr > 0 and weight_decay >= 0, got {self.lr}, {self.weight_decay}")
        if self.max_steps is not None and (int(self.max_steps) != self.max_steps or self.max_steps < 1):
            raise TrainingConfigError(f"max_steps must be a whole number >= 1 or None, got {self.max_steps}")
        if self.object_weight <= 0:
            raise TrainingConfigError(f"object_weight must be > 0, got {self.object_weight}")
        if not 0 <= self.warmup_fraction < 1 or not 0 < self.final_lr_fraction <= 1:
            raise TrainingConfigError("need 0 <= warmup_fraction < 1 and 0 < final_lr_fraction <= 1")
        if isinstance(self.seed, bool) or int(self.seed) != self.seed or self.seed < 0:
            raise TrainingConfigError(f"seed must be a whole number >= 0, got {self.seed}")
        if self.stored_dtype not in ("float32", "float16"):
            raise TrainingConfigError(f"stored_dtype must be 'float32' or 'float16', got {self.stored_dtype!r}")
        if self.precision not in ("auto", "float32", "bfloat16"):
            raise TrainingConfigError(f"precision must be 'auto', 'float32' or 'bfloat16', got {self.precision!r}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise TrainingConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.limit_per_set is not None and self.limit_per_set < 1:
            raise TrainingConfigError(f"limit_per_set must be >= 1 or None, got {self.limit_per_set}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (the network config nested)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "network"}
        out["network"] = self.network.to_dict()
        return out




def check_frame_size(spec_name: str, width: int, height: int, network: NetworkConfig) -> None:
    """Refuse a training spec whose frames (``width`` x ``height`` px) are not the network's input
    size: training never resizes (see :mod:`evaluator.training.data`), so this is checked before
    anything is rendered.

    :raises TrainingConfigError: one line naming the spec's camera fields.
    """
    want_h, want_w = network.input_size
    if (int(height), int(width)) != (want_h, want_w):
        raise TrainingConfigError(f"{spec_name}: camera: {width}x{height} px, but the reference network trains on "
                                  f"{want_w}x{want_h} px frames; set camera.width: {want_w} and camera.height: {want_h}")


#: The shipped reference networks: their training spec (a preset name, usable as
#: ``depthprobe train SPEC``) and the paragraph their model card opens with.
REFERENCE_NETWORKS: dict[str, dict[str, str]] = {
    "ref-fixed-camera": {
        "spec": "training/ref_fixed_camera",
        "intended_use": (
            "A reference network for the cue analyses: trained on rendered road scenes in which the camera's "
            "height (1.65 m) and pitch (0 deg) never change and car sizes vary widely within each class "
            "(scale 0.6 ... 1.6), so an object's vertical position (contact row) is a reliable distance cue "
            "and its apparent size is not. It should follow vertical position. Not a general depth network: "
            "it has seen only these synthetic scenes, four car models, at 320x96 px."),
    },
    "ref-varied-camera": {
        "spec": "training/ref_varied_camera",
        "intended_use": (
            "A reference network for the cue analyses: trained on rendered road scenes in which the camera's "
            "height (1.0 ... 2.5 m) and pitch (-5 ... +5 deg) change at random and a third of the cars float "
            "0 ... 1 m above the road, all at their class sizes, so apparent size is a reliable distance cue "
            "and the contact row is not. It should follow apparent size. Not a general depth network: it has "
            "seen only these synthetic scenes, four car models, at 320x96 px."),
    },
}


def reference_for_spec(spec_name: str) -> str | None:
    """The reference network trained from a spec named ``spec_name`` (e.g. ``ref_fixed_camera``), or None."""
    for name, entry in REFERENCE_NETWORKS.items():
        if entry["spec"].rsplit("/", 1)[-1] == spec_name:
            return name
    return None
