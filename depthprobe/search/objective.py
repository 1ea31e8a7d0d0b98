"""What a search maximises: how badly the model does on one trial's frame.

The model runs through the evaluator (:func:`evaluator.models.loading.load_depth_model`, the batching
code's :func:`~evaluator.pipeline.batching.predict_images`) and its output is aligned to metres
as ``evaluate`` aligns it (:mod:`evaluator.pipeline.alignment`): metric output as is; disparity
and relative output with a scale (and shift) fitted once, on the road pixels of one reference
frame of the spec's canonical camera (:meth:`SearchSpace.reference_plan`), then applied to every
trial.  Objectives (larger = worse for the model):

* ``depth-error`` -- ``|log estimate - log z_true|`` of the trial's object: the estimate is
  :func:`evaluator.analyses.objects.estimate_objects` (median of the aligned prediction over the
  eroded mask), ``z_true`` the median true z-depth over the mask (as in the objects table); an
  object with no usable predicted pixel gets :data:`UNUSABLE_LOG_ERROR`;
* ``missed`` -- ``1 - fraction``, where ``fraction`` is the share of the true log-depth change
  the model shows when the object is there (:func:`evaluator.analyses.obstacles.object_responses`,
  from the counterfactual frame); the object is *missed* when ``fraction`` is below
  ``SEEN_FRACTION`` (0.5), i.e. the objective is above 0.5;
* ``module:callable`` -- a user's function ``f(plan, frame, prediction) -> float`` (the
  :class:`~scenes.design.FramePlan`, the :class:`~scenes.formats.rendered_frame.RenderedFrame`, the
  aligned prediction in metres (H, W)); it should return a finite number.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from depthprobe.search.space import InfeasibleTrial, SearchError
from evaluator.analyses.objects import estimate_objects
from evaluator.analyses.obstacles import SEEN_FRACTION, object_responses
from evaluator.models.base import DepthModel, OutputKind
from evaluator.models.loading import ModelSource, load_depth_model
from evaluator.pipeline.alignment import (Alignment, AlignmentPolicy, RoadSamples, choose_policy, fit_alignment)
from evaluator.pipeline.batching import predict_images
from scenes.geometry import Camera
from scenes.design import FramePlan
from scenes.registry import import_target
from scenes.formats import RenderedFrame

BUILTIN_OBJECTIVES = ("depth-error", "missed")
#: The depth-error of an object over which every prediction is unusable (NaN, inf, <= 0): a
#: factor e^10 off, worse than any real estimate.
UNUSABLE_LOG_ERROR = 10.0


@dataclass(frozen=True)
class TrialFrames:
    """One trial's frame, as rendered and as predicted (aligned depth, metres)."""

    plan: FramePlan
    frame: RenderedFrame
    prediction: np.ndarray
    without: RenderedFrame | None = None
    prediction_without: np.ndarray | None = None


@dataclass(frozen=True)
class Outcome:
    """An objective's value and what else the trial table records of it (plain numbers)."""

    value: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Objective:
    """A named objective: ``evaluate(trial) -> Outcome``; ``needs_counterfactual`` renders and
    predicts the frame without its objects as well."""

    name: str
    evaluate: Callable[[TrialFrames], Outcome]
    needs_counterfactual: bool = False


def true_depth(frame: RenderedFrame, object_id: int) -> float:
    """Median finite true z-depth over the object's mask (the objects table's ``z_true``); NaN if unseen."""
    values = frame.depth[frame.instances == object_id]
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else math.nan


def depth_error(trial: TrialFrames) -> Outcome:
    """``|log estimate - log z_true|`` of the trial's object (see the module docstring)."""
    object_id = trial.plan.objects[0].object_id
    z_true = true_depth(trial.frame, object_id)
    if not z_true > 0:
        raise InfeasibleTrial("the object is not visible in the frame")
    found = estimate_objects(trial.prediction, trial.frame.instances, [object_id])[0]
    if not (math.isfinite(found.estimate_m) and found.estimate_m > 0):
        return Outcome(UNUSABLE_LOG_ERROR, {"z_true_m": z_true, "estimate_m": math.nan, "n_valid_px": 0})
    error = abs(math.log(found.estimate_m) - math.log(z_true))
    return Outcome(error, {"z_true_m": z_true, "estimate_m": found.estimate_m, "n_valid_px": found.n_valid_px})


def missed(trial: TrialFrames) -> Outcome:
    """``1 - fraction`` of the object's true log-depth change the model shows (module docstring)."""
    if trial.without is None or trial.prediction_without is None:
        raise SearchError("objective 'missed' needs the counterfactual frame")
    object_id = trial.plan.objects[0].object_id
    row = object_responses(trial.plan.frame_id, trial.prediction, trial.prediction_without, trial.frame.depth,
                           trial.without.depth, trial.frame.instances, [object_id])[0]
    if not math.isfinite(row["fraction"]):
        raise InfeasibleTrial(f"no response can be judged ({row['n_px']} usable px, true change "
                              f"{row['true_change']:.3g})")
    return Outcome(1.0 - row["fraction"], {"fraction": row["fraction"], "response": row["response"],
                                           "true_change": row["true_change"],
                                           "missed": bool(row["fraction"] < SEEN_FRACTION)})


def user_objective(target: str) -> Objective:
    """``module:callable`` or ``path/file.py:callable`` as an objective: ``f(plan, frame, prediction)
    -> float`` (loaded by :func:`scenes.registry.import_target`, the one loader of user code)."""
    fn = import_target(target, f"--objective {target!r}", SearchError)
    if not callable(fn):
        raise SearchError(f"--objective {target!r}: {type(fn).__name__} object is not callable")

    def evaluate(trial: TrialFrames) -> Outcome:
        """Call the user's function; its value must be a finite number."""
        try:
            value = fn(trial.plan, trial.frame, trial.prediction)
        except SystemExit as exc:  # the user's function must not end the search (with exit 0)
            raise SearchError(f"--objective {target!r} called sys.exit({exc.code!r})") from None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SearchError(f"--objective {target!r} returned {type(value).__name__}, not a number") from None
        if not math.isfinite(number):
            raise SearchError(f"--objective {target!r} returned {number} for {trial.plan.frame_id}; "
                              "it must return a finite number")
        return Outcome(number)

    return Objective(target, evaluate)


def load_objective(name: str) -> Objective:
    """The objective called ``name``: ``depth-error``, ``missed`` or ``module:callable``."""
    if name == "depth-error":
        return Objective(name, depth_error)
    if name == "missed":
        return Objective(name, missed, needs_counterfactual=True)
    if ":" in name:
        return user_objective(name)
    raise SearchError(f"--objective {name!r}: choose depth-error, missed or module:callable")


class AlignedModel:
    """A depth model with its alignment: :meth:`predict` gives depth in metres."""

    def __init__(self, model: DepthModel, policy: AlignmentPolicy, alignment: Alignment | None = None) -> None:
        self.model = model
        self.policy = policy
        self.alignment = alignment

    @classmethod
    def load(cls, model: ModelSource, canonical: Camera, device: str | None = None,
             alignment: str | None = None) -> "AlignedModel":
        """Build ``model`` (a name as for ``evaluate``, a DepthModel or a callable) for the
        canonical camera (:func:`evaluator.models.loading.load_depth_model`); its alignment is
        fitted later (:meth:`fit`) unless it needs none."""
        built = load_depth_model(model, canonical, device).model
        policy = choose_policy(built.output_kind, alignment)
        fitted = fit_alignment(None, policy, OutputKind(built.output_kind)) if policy == AlignmentPolicy.NONE else None
        return cls(built, policy, fitted)

    def fit(self, reference: RenderedFrame, rng: np.random.Generator) -> Alignment:
        """Fit the alignment on the road pixels of one reference frame (once per search)."""
        samples = RoadSamples.for_frames(1, rng)
        samples.add(self.raw(reference.rgb[None])[0], reference.depth, reference.semantic)
        self.alignment = fit_alignment(samples, self.policy, OutputKind(self.model.output_kind))
        return self.alignment

    def raw(self, images: np.ndarray) -> np.ndarray:
        """The model's own output (N, H, W) for uint8 images (N, H, W, 3)."""
        return predict_images(self.model, images)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Aligned depth in metres (N, H, W) for uint8 images (N, H, W, 3)."""
        if self.alignment is None:
            raise RuntimeError("the alignment has not been fitted")
        return np.stack([self.alignment.apply(raw) for raw in self.raw(images)])
