"""Weights of a reference network on disk: safetensors only, never pickle.

A trained network is a folder::

    model.safetensors   the state dict (floating tensors in ``stored_dtype``), and in the
                        file's metadata (str -> str) the architecture (``network_config``, JSON
                        of :class:`~evaluator.models.reference_network.NetworkConfig`), ``stored_dtype``,
                        ``name`` and ``format`` ("depthprobe-reference-network/1")
    model_card.json     how it was trained and how well (see :mod:`evaluator.training.card`)
    model_card.md       the same for a person
    training_log.jsonl  one line per validation (epoch)

:func:`load_network` reads only ``model.safetensors`` (with ``safetensors.torch.load_file``, which
parses a JSON header and raw tensor bytes and cannot execute code) and rebuilds the module from
the metadata, so a card that is missing or edited never changes what runs.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import torch

from scenes.storage import atomic_write_with
from evaluator.models.reference_network import DepthUNet, NetworkConfig, build_network

WEIGHTS_FILE = "model.safetensors"
CARD_JSON = "model_card.json"
CARD_MD = "model_card.md"
LOG_FILE = "training_log.jsonl"
FILE_FORMAT = "depthprobe-reference-network/1"
STORED_DTYPES = {"float32": torch.float32, "float16": torch.float16}


def save_weights(path: str | Path, network: DepthUNet, *, name: str, stored_dtype: str = "float32",
                 extra_metadata: dict[str, str] | None = None) -> Path:
    """Write ``network``'s state dict and architecture to a safetensors file (atomically).

    :param stored_dtype: ``"float32"`` or ``"float16"`` for floating tensors (BatchNorm's
        integer counters stay integers).  float16 halves the file; weights of this network
        round-trip with a relative error of about 5e-4, well below what depth metrics see.
    :returns: the path written.
    """
    from safetensors.torch import save_file

    if stored_dtype not in STORED_DTYPES:
        raise ValueError(f"stored_dtype must be one of {', '.join(STORED_DTYPES)}, got {stored_dtype!r}")
    dtype = STORED_DTYPES[stored_dtype]
    tensors = {k: (v.detach().to("cpu", dtype) if v.is_floating_point() else v.detach().cpu()).contiguous()
               for k, v in network.state_dict().items()}
    metadata = {"format": FILE_FORMAT, "name": name, "stored_dtype": stored_dtype,
                "network_config": json.dumps(network.config.to_dict(), sort_keys=True)}
    metadata.update(extra_metadata or {})
    path = Path(path)
    atomic_write_with(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))
    return path


def is_safetensors_file(path: str | Path) -> bool:
    """True when ``path`` has the safetensors layout: an 8-byte little-endian header length,
    then that many bytes of JSON object.  (A pickle or a torch zip archive is not.)"""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) != 8:
                return False
            (n,) = struct.unpack("<Q", head)
            if n <= 1 or n > path.stat().st_size - 8:
                return False
            header = json.loads(f.read(n).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, struct.error):
        return False
    return isinstance(header, dict)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The metadata dict of a safetensors file (empty when it has none)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return dict(f.metadata() or {})


def load_network(path: str | Path, device: str = "cpu") -> tuple[DepthUNet, dict[str, str]]:
    """Rebuild a network from a weights file or a folder holding ``model.safetensors``.

    Floating tensors are loaded as float32 whatever ``stored_dtype`` is; the module is in eval
    mode on ``device``.

    :returns: (network, the file's metadata).
    :raises FileNotFoundError: no weights file.
    :raises ValueError: not a safetensors file, not a depthprobe reference network, or weights
        that do not fit the architecture in its metadata (names the keys).
    """
    from safetensors.torch import load_file

    path = Path(path)
    if path.is_dir():
        path = path / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no weights file")
    if not is_safetensors_file(path):
        raise ValueError(f"{path}: not a safetensors file (reference networks are never loaded from pickle)")
    metadata = read_metadata(path)
    if metadata.get("format") != FILE_FORMAT or "network_config" not in metadata:
        raise ValueError(f"{path}: not a depthprobe reference network (metadata format "
                         f"{metadata.get('format')!r}, expected {FILE_FORMAT!r})")
    config = NetworkConfig.from_dict(json.loads(metadata["network_config"]))
    network = build_network(config)
    tensors = load_file(str(path), device="cpu")
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}
    expected = network.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{path}: weights do not fit the architecture (missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]})")
    bad = [k for k in expected if tuple(expected[k].shape) != tuple(state[k].shape)]
    if bad:
        raise ValueError(f"{path}: tensor shapes do not fit the architecture: {', '.join(bad[:3])}")
    network.load_state_dict(state, strict=True)
    return network.to(device).eval(), metadata


def read_card(folder: str | Path) -> dict[str, Any] | None:
    """The parsed ``model_card.json`` of a network folder, or None when there is none."""
    path = Path(folder) / CARD_JSON
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
