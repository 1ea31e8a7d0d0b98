"""The contract of an adapter family: what stands behind a model-name prefix (``hf:``, ``hub:``, ...).

A family is registered under its prefix in :data:`evaluator.models.registry.ADAPTER_FAMILIES`
(lazily, by import path); the registry checks the loaded object against :class:`AdapterFamily`.
The built-in families are modules that satisfy it themselves (:mod:`.huggingface`,
:mod:`.monodepth2`, :mod:`.torch_hub`): module-level ``TARGET_FORM``, ``check_spec`` and
``load_spec``.  Any object with those members will do.

This module imports no torch.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from evaluator.models.base import DepthModel, ModelContext
from evaluator.models.spec import AdapterSpec


@runtime_checkable
class AdapterFamily(Protocol):
    """A family of models named ``<prefix>:<target>[?options]`` (see :mod:`evaluator.models.spec`).

    :ivar TARGET_FORM: how the part after ``<prefix>:`` is written, for messages and
        ``depthprobe models``: ``"<hub-id-or-folder>"`` (so the family's form is
        ``hf:<hub-id-or-folder>``).
    """

    TARGET_FORM: str

    def check_spec(self, spec: AdapterSpec) -> None:
        """Cheap checks (no torch, no network code): options, folders and files.

        :raises ModelLoadError: its subclasses ``ModelOptionError`` (bad option) and
            ``ModelSourceError`` (missing folder or file).
        """

    def load_spec(self, spec: AdapterSpec, context: ModelContext) -> DepthModel:
        """Build the model ``spec`` names for a stimulus set (``context``: camera and device)."""
