"""Which torch device a model runs on: the one asked for, or CUDA when there is one, else CPU."""
from __future__ import annotations

import re

from evaluator.errors import EvaluationArgumentError


def resolve_device(requested: str | None) -> str:
    """The torch device to use: ``requested``, or CUDA when available else CPU for ``None``/``"auto"``.

    :raises EvaluationArgumentError: unparseable device, or CUDA asked for but not available.
    """
    import torch

    if requested is None or requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(requested)
    except (RuntimeError, ValueError):
        raise EvaluationArgumentError(f"device {requested!r} is not a torch device (try 'cpu' or 'cuda')") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise EvaluationArgumentError(f"device {requested!r} asked for, but CUDA is not available here")
    return str(device)


#: Device names a user may give (torch's device strings; checked without importing torch).
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|meta|(cuda|xpu)(:\d+)?)$")


def check_device_name(requested: str | None) -> str | None:
    """``requested`` if it names a device (or None for the default), else :class:`EvaluationArgumentError`.

    Checked for every model, also those that do not use torch, so that a typo never passes unseen.
    """
    if requested is None or DEVICE_PATTERN.match(requested):
        return requested
    raise EvaluationArgumentError(f"--device {requested!r} is not a device; use auto, cpu, cuda, cuda:N, mps or xpu")
