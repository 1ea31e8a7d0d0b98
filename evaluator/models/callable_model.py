"""Any Python callable as a depth model (the ``module:callable`` form of a model name).

The callable takes uint8 images (N, H, W, 3) and returns an array (N, H, W) of metric depth
in metres.  Optional attributes on the callable declare otherwise:

* ``output_kind``: ``"disparity"`` or ``"relative_inverse_depth"`` (default ``"metric_depth"``);
* ``input_size``: (height, width) it wants (default: the stimuli's native size).

A torch tensor result is accepted and converted; everything else must be a floating numpy
array (checked by :func:`evaluator.pipeline.batching.check_prediction`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from evaluator.models.base import DepthModel, OutputKind


class CallableModel(DepthModel):
    """Wrap ``fn(images) -> depth`` as a :class:`DepthModel`.

    :param fn: the callable (see the module docstring).
    :param name: the name results use, usually the ``module:callable`` string.
    :raises ValueError: when ``fn`` declares an unknown ``output_kind`` or a bad ``input_size``.
    """

    def __init__(self, fn: Callable[[np.ndarray], Any], name: str) -> None:
        self.fn = fn
        self.name = name
        kind = getattr(fn, "output_kind", OutputKind.METRIC_DEPTH)
        try:
            self.output_kind = OutputKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in OutputKind)
            raise ValueError(f"output_kind {kind!r} is not one of {kinds}") from None
        size = getattr(fn, "input_size", None)
        self.input_size = None if size is None else (int(size[0]), int(size[1]))

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Call the wrapped callable; convert a torch tensor result to numpy."""
        out = self.fn(images)
        if hasattr(out, "detach") and hasattr(out, "cpu"):  # a torch tensor
            out = out.detach().cpu().numpy()
        return out
