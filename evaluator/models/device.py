"""Which torch device a model runs on: the one asked for, or CUDA when there is one, else CPU."""
from __future__ import annotations

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
