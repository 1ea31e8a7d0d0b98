"""Training of the reference networks (small depth CNNs on rendered stimulus sets).

* :class:`TrainingConfig`, :class:`NetworkConfig` -- settings (plain data, no torch);
* :func:`train` -- train on stimulus sets, write ``model.safetensors`` and the model card;
* :func:`train_on_spec` -- the same on the set rendered from a training spec;
* :func:`load_network` -- rebuild a trained network from its safetensors file (no pickle).

Importing the package imports no torch; the functions import it when first used.
"""
from __future__ import annotations

from typing import Any

from evaluator.models.reference_config import NetworkConfig
from evaluator.training.config import REFERENCE_NETWORKS, TrainingConfig, TrainingConfigError

__all__ = ["REFERENCE_NETWORKS", "NetworkConfig", "TrainingConfig", "TrainingConfigError", "load_network", "train",
           "train_on_spec"]

_LAZY = {"train": "evaluator.training.trainer", "train_on_spec": "evaluator.training.trainer",
         "load_network": "evaluator.models.checkpoint"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'evaluator.training' has no attribute {name!r}")
