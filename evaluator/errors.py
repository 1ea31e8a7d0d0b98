"""User-facing errors of the evaluator (one-line messages; the CLI prints them and exits 2)."""
from __future__ import annotations

from scenes.errors import DepthprobeError


class UnknownModelError(DepthprobeError):
    """A model name is neither registered nor of the form ``module:callable``."""


class ModelLoadError(DepthprobeError):
    """A model's module cannot be imported, its attribute is missing, or it cannot be built."""


class ModelOutputError(DepthprobeError):
    """A model returned a prediction of the wrong type, dtype or shape."""


class AlignmentError(DepthprobeError):
    """Scale alignment cannot be fitted (no reference frames, no road pixels, bad policy)."""


class EvaluationArgumentError(DepthprobeError):
    """An argument of an evaluation is out of range (batch size, statistic, device, ...)."""
