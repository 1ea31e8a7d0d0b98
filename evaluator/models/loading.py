"""One way to ask for, name, load and record a model, whatever form it is given in.

A model is given as a name (``str``: registered, adapter or ``module:callable``; see
:mod:`evaluator.models.registry`), a :class:`~evaluator.models.base.DepthModel` instance, or a
plain callable (wrapped as :class:`~evaluator.models.callable_model.CallableModel`).  Two steps:

1. :func:`check_model` -- cheap (no torch, no network code, no stimulus set): the name is
   resolved and checked once (an adapter name's spec is parsed here, once per run), an object is
   wrapped and checked against the contract; the result is a :class:`ModelRequest`;
2. :func:`load_depth_model` -- build it for a canonical camera and a device: a
   :class:`LoadedModel`, the model with its name and its :class:`ModelRecord`.

:func:`model_name` is the one name of a model as given (what a search records, what a wrapped
callable is called); :class:`ModelRecord` is the one shape in which results record a model
(``summary.json`` and the predictions index, see :mod:`evaluator.results.store`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from evaluator.errors import ModelLoadError
from evaluator.models.base import DepthModel, ModelContext, OutputKind, check_contract
from evaluator.models.callable_model import CallableModel
from evaluator.models.registry import resolve_model_name
from scenes.geometry import Camera

#: What a model may be given as (see the module docstring).
ModelSource = Union[str, DepthModel, Callable[[np.ndarray], Any]]


def model_name(source: ModelSource) -> str:
    """The one name of a model as given: a name as is, a DepthModel's ``name``, else
    ``module:qualname`` of the callable (of its class for a callable instance)."""
    if isinstance(source, str):
        return source
    if isinstance(source, DepthModel) and isinstance(getattr(source, "name", None), str):
        return source.name
    target = source if hasattr(source, "__qualname__") else type(source)
    return f"{getattr(target, '__module__', '?')}:{target.__qualname__}"


@dataclass(frozen=True)
class ModelRecord:
    """What results record of a model (the same four entries in ``summary.json`` and in the
    predictions index).

    :ivar name: the model's own name (``DepthModel.name``).
    :ivar output_kind: an :class:`OutputKind` value.
    :ivar contract: the declared contract (:meth:`DepthModel.describe`).
    :ivar device: the torch device it ran on, or None (numpy models).
    """

    name: str
    output_kind: str
    contract: Mapping[str, Any]
    device: str | None = None

    #: The entries' keys, in the order summary.json has always written them.
    KEYS = ("model", "output_kind", "model_contract", "device")

    @classmethod
    def of(cls, model: DepthModel) -> "ModelRecord":
        """The record of a built model."""
        return cls(model.name, OutputKind(model.output_kind).value, model.describe(), getattr(model, "device", None))

    def entries(self) -> dict[str, Any]:
        """The record as plain entries (keys :data:`KEYS`), for a results file."""
        return dict(zip(self.KEYS, (self.name, self.output_kind, dict(self.contract), self.device)))

    @classmethod
    def from_entries(cls, entries: Mapping[str, Any]) -> "ModelRecord":
        """The record in ``entries`` (a summary or a predictions index; other keys are ignored).

        :raises KeyError: an entry other than ``device`` is missing.
        """
        return cls(entries["model"], entries["output_kind"], entries["model_contract"], entries.get("device"))


@dataclass(frozen=True)
class LoadedModel:
    """A built model, its one name (:func:`model_name` of what was given) and its record."""

    model: DepthModel
    name: str
    record: ModelRecord


@dataclass(frozen=True)
class ModelRequest:
    """A model as asked for, checked but not built (see :func:`check_model`).

    :ivar name: :func:`model_name` of what was given.
    :ivar build: ``build(context) -> DepthModel``, checked against the contract.
    """

    name: str
    build: Callable[[ModelContext], DepthModel]


def check_model(source: ModelSource | ModelRequest) -> ModelRequest:
    """Check ``source`` cheaply (no torch, no network code): a name is resolved once (an adapter's
    options, folders and files checked); an object is wrapped (a plain callable) and checked.

    :raises UnknownModelError: an unknown name (with "did you mean" suggestions).
    :raises ModelLoadError: a bad adapter option or source, an object that breaks the contract.
    """
    if isinstance(source, ModelRequest):
        return source
    name = model_name(source)
    if isinstance(source, str):
        return ModelRequest(name, resolve_model_name(source))
    model = source
    try:
        if not isinstance(model, DepthModel) and callable(model):
            model = CallableModel(model, name=name)
        check_contract(model, "model")
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(str(exc)) from None
    return ModelRequest(name, lambda _context: model)


def load_depth_model(source: ModelSource | ModelRequest, canonical_camera: Camera,
                     device: str | None = None) -> LoadedModel:
    """Build ``source`` for the canonical camera (what geometric models are built from).

    :param source: a model name, a DepthModel, a callable, or a :class:`ModelRequest` already
        checked (so that nothing is resolved twice).
    :param canonical_camera: the camera the study assumes the network knows.
    :param device: torch device (``"cpu"``, ``"cuda"``, ...; None: CUDA if available, else CPU).
    :raises UnknownModelError, ModelLoadError: see :func:`check_model` and
        :func:`evaluator.models.registry.load_model`.
    """
    request = check_model(source)
    model = request.build(ModelContext(canonical_camera, device))
    return LoadedModel(model, request.name, ModelRecord.of(model))
