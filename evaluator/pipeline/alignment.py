"""Scale alignment of a model's output to metres, fitted once per model and stimulus set.

Policies (:class:`AlignmentPolicy`):

* ``none`` -- the output is used as metric depth as is (default for ``metric_depth``);
* ``median`` -- median scaling (Zhou et al. 2017; monodepth2's evaluation): the output is
  turned into depth (``1/x`` for disparity), then multiplied by
  ``s = median(true depth) / median(predicted depth)`` (default for ``disparity``);
* ``lstsq`` -- least-squares scale and shift in inverse depth (Ranftl et al., MiDaS):
  ``s, t = argmin sum (s * x + t - 1/true depth)^2`` with ``x`` the output as inverse depth;
  depth is ``1 / (s * x + t)`` (``+inf`` where that is <= 0) (default for
  ``relative_inverse_depth``).

Where it is fitted: on road pixels (semantic class ``road``, finite positive true depth, finite
prediction) of the reference frames only (``is_reference``: canonical camera, natural
unmanipulated condition), pooled, once; then the same parameters are applied to every frame.
Never per frame: a per-frame fit would absorb exactly what the study measures -- a network
that ignores a pitch or camera-height change predicts the wrong road depth in that frame, and a
per-frame fit would rescale that error away (and likewise a per-frame fit in a position-only
frame would be pulled by the one manipulated object's surroundings).  The road is used because
its true depth is known everywhere and it is the same surface in every frame; objects are
left out so that the quantity under test never enters its own normalisation.

To keep memory bounded, at most ``MAX_ALIGNMENT_PX`` road pixels are kept in total, an equal
share per reference frame drawn without replacement with an explicit ``numpy`` Generator.
"""
from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evaluator.errors import AlignmentError
from evaluator.models.base import OutputKind
from scenes.geometry import SEMANTIC_CLASSES

#: Upper bound on pooled road pixels kept for the fit (two float32 arrays: 16 MB).
MAX_ALIGNMENT_PX = 2_000_000
#: Fewer usable road pixels than this and the fit is refused (a scale from a handful of
#: pixels would be dominated by the rows they happen to lie on).
MIN_ALIGNMENT_PX = 100
ROAD_CLASS = SEMANTIC_CLASSES["road"]


class AlignmentPolicy(str, enum.Enum):
    """How a model's output is mapped to metres (see the module docstring)."""

    NONE = "none"
    MEDIAN = "median"
    LSTSQ = "lstsq"


DEFAULT_POLICY: dict[OutputKind, AlignmentPolicy] = {
    OutputKind.METRIC_DEPTH: AlignmentPolicy.NONE,
    OutputKind.DISPARITY: AlignmentPolicy.MEDIAN,
    OutputKind.RELATIVE_INVERSE_DEPTH: AlignmentPolicy.LSTSQ,
}

#: Policies that give metres for each output kind.  ``none`` needs metric output; ``median``
#: cannot undo the unknown shift of relative inverse depth.
ALLOWED_POLICIES: dict[OutputKind, tuple[AlignmentPolicy, ...]] = {
    OutputKind.METRIC_DEPTH: (AlignmentPolicy.NONE, AlignmentPolicy.MEDIAN, AlignmentPolicy.LSTSQ),
    OutputKind.DISPARITY: (AlignmentPolicy.MEDIAN, AlignmentPolicy.LSTSQ),
    OutputKind.RELATIVE_INVERSE_DEPTH: (AlignmentPolicy.LSTSQ,),
}


def parse_policy(requested: str | None) -> AlignmentPolicy | None:
    """The policy called ``requested`` (None stays None: "the default for the output kind").

    :raises AlignmentError: unknown name (listing the known ones).
    """
    if requested is None:
        return None
    try:
        return AlignmentPolicy(requested)
    except ValueError:
        names = ", ".join(p.value for p in AlignmentPolicy)
        raise AlignmentError(f"unknown alignment {requested!r}; choose one of {names}") from None


def choose_policy(output_kind: OutputKind | str, requested: str | None) -> AlignmentPolicy:
    """The policy for a model: ``requested`` if it suits the output kind, else the default.

    :raises AlignmentError: unknown policy name, or one that cannot give metres for this kind.
    """
    kind = OutputKind(output_kind)
    policy = parse_policy(requested)
    if policy is None:
        return DEFAULT_POLICY[kind]
    allowed = ALLOWED_POLICIES[kind]
    if policy not in allowed:
        raise AlignmentError(f"alignment {policy.value!r} cannot turn {kind.value} output into metres; "
                             f"use {' or '.join(p.value for p in allowed)}")
    return policy


def as_depth(raw: np.ndarray, kind: OutputKind) -> np.ndarray:
    """Output as (unscaled) depth: metric as is; otherwise ``1/x`` (0 -> +inf, < 0 -> NaN)."""
    raw = np.asarray(raw, dtype=np.float32)
    if kind == OutputKind.METRIC_DEPTH:
        return raw
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(raw >= 0, np.float32(1.0) / raw, np.nan).astype(np.float32)


def as_inverse_depth(raw: np.ndarray, kind: OutputKind) -> np.ndarray:
    """Output as (unscaled) inverse depth: ``1/x`` for metric (inf -> 0, <= 0 -> NaN), else as is."""
    raw = np.asarray(raw, dtype=np.float32)
    if kind != OutputKind.METRIC_DEPTH:
        return raw
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(raw > 0, np.float32(1.0) / raw, np.nan).astype(np.float32)


@dataclass(frozen=True)
class Alignment:
    """Fitted alignment: ``depth = scale * d`` (median), ``1 / (scale * x + shift)`` (lstsq),
    or the output itself (none).

    :ivar n_px: road pixels the fit used (0 for ``none``).
    :ivar n_frames: reference frames they came from.
    """

    policy: AlignmentPolicy
    output_kind: OutputKind
    scale: float = 1.0
    shift: float = 0.0
    n_px: int = 0
    n_frames: int = 0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Aligned depth in metres, float32, same shape as ``raw``; NaN/inf where undefined."""
        if self.policy == AlignmentPolicy.NONE:
            return np.asarray(raw, dtype=np.float32)
        if self.policy == AlignmentPolicy.MEDIAN:
            return (np.float32(self.scale) * as_depth(raw, self.output_kind)).astype(np.float32)
        inv = np.float64(self.scale) * as_inverse_depth(raw, self.output_kind) + np.float64(self.shift)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(inv > 0, 1.0 / inv, np.where(np.isnan(inv), np.nan, np.inf)).astype(np.float32)

    def to_dict(self) -> dict:
        """Plain data for the results summary."""
        return {"policy": self.policy.value, "output_kind": self.output_kind.value,
                "scale": self.scale, "shift": self.shift, "n_px": self.n_px,
                "n_frames": self.n_frames,
                "fitted_on": None if self.policy == AlignmentPolicy.NONE else "road pixels of reference frames"}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Alignment":
        """The alignment :meth:`to_dict` wrote (``fitted_on`` is derived, so it is not read back).

        :raises AlignmentError: a missing entry, an unknown policy or output kind, a value that
            is not a number (one line).
        """
        try:
            return cls(AlignmentPolicy(data["policy"]), OutputKind(data["output_kind"]), float(data["scale"]),
                       float(data["shift"]), int(data["n_px"]), int(data["n_frames"]))
        except KeyError as exc:
            raise AlignmentError(f"recorded alignment has no {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise AlignmentError(f"recorded alignment is damaged ({exc})") from None


@dataclass
class RoadSamples:
    """Road pixels (raw prediction, true depth) pooled over reference frames for the fit.

    :param per_frame_cap: most pixels kept from one frame (>= 1).
    :param rng: draws the kept pixels when a frame has more than the cap.
    """

    per_frame_cap: int
    rng: np.random.Generator
    raw: list[np.ndarray] = field(default_factory=list)
    true_depth: list[np.ndarray] = field(default_factory=list)
    n_frames: int = 0
    n_available: int = 0

    @classmethod
    def for_frames(cls, n_frames: int, rng: np.random.Generator) -> "RoadSamples":
        """Samples with an equal share of ``MAX_ALIGNMENT_PX`` per frame."""
        return cls(max(1, math.ceil(MAX_ALIGNMENT_PX / max(1, n_frames))), rng)

    def add(self, raw: np.ndarray, true_depth: np.ndarray, semantic: np.ndarray) -> None:
        """Add one frame: raw output, true depth (metres) and semantic ids, all (H, W)."""
        keep = (semantic == ROAD_CLASS) & np.isfinite(true_depth) & (true_depth > 0) & np.isfinite(raw)
        idx = np.flatnonzero(keep)
        self.n_frames += 1
        self.n_available += idx.size
        if idx.size > self.per_frame_cap:
            idx = np.sort(self.rng.choice(idx, self.per_frame_cap, replace=False))
        self.raw.append(raw.ravel()[idx].astype(np.float32))
        self.true_depth.append(true_depth.ravel()[idx].astype(np.float32))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All kept (raw, true depth) pairs as two float64 arrays."""
        if not self.raw:
            return np.empty(0), np.empty(0)
        return np.concatenate(self.raw).astype(np.float64), np.concatenate(self.true_depth).astype(np.float64)


def fit_alignment(samples: RoadSamples | None, policy: AlignmentPolicy,
                  output_kind: OutputKind) -> Alignment:
    """Fit ``policy`` on pooled road samples (``None`` allowed only for policy ``none``).

    :raises AlignmentError: no reference frames, too few usable road pixels, or a fit that
        does not give positive depth (e.g. an output that grows with distance when it should
        shrink).
    """
    kind = OutputKind(output_kind)
    if policy == AlignmentPolicy.NONE:
        return Alignment(policy, kind)
    if samples is None or samples.n_frames == 0:
        raise AlignmentError(f"alignment {policy.value!r} needs reference frames (is_reference) "
                             "and the stimulus set has none")
    raw, true_depth = samples.arrays()
    if policy == AlignmentPolicy.MEDIAN:
        return _fit_median(raw, true_depth, kind, samples.n_frames)
    return _fit_lstsq(raw, true_depth, kind, samples.n_frames)


def _too_few(n: int, policy: AlignmentPolicy, n_frames: int) -> AlignmentError:
    return AlignmentError(f"alignment {policy.value!r}: only {n} usable road pixels in {n_frames} "
                          f"reference frame(s) (need {MIN_ALIGNMENT_PX}); is the road labelled "
                          "and predicted finite?")


def _fit_median(raw: np.ndarray, true_depth: np.ndarray, kind: OutputKind, n_frames: int) -> Alignment:
    depth = as_depth(raw, kind).astype(np.float64)
    ok = np.isfinite(depth) & (depth > 0)
    if ok.sum() < MIN_ALIGNMENT_PX:
        raise _too_few(int(ok.sum()), AlignmentPolicy.MEDIAN, n_frames)
    scale = float(np.median(true_depth[ok]) / np.median(depth[ok]))
    return Alignment(AlignmentPolicy.MEDIAN, kind, scale, 0.0, int(ok.sum()), n_frames)


def _fit_lstsq(raw: np.ndarray, true_depth: np.ndarray, kind: OutputKind, n_frames: int) -> Alignment:
    x = as_inverse_depth(raw, kind).astype(np.float64)
    ok = np.isfinite(x)
    if ok.sum() < MIN_ALIGNMENT_PX:
        raise _too_few(int(ok.sum()), AlignmentPolicy.LSTSQ, n_frames)
    x, y = x[ok], 1.0 / true_depth[ok]
    if np.ptp(x) == 0:
        raise AlignmentError("alignment 'lstsq': the prediction is constant over the reference road "
                             "pixels, so no scale can be fitted")
    design = np.column_stack([x, np.ones_like(x)])
    (scale, shift), *_ = np.linalg.lstsq(design, y, rcond=None)
    if not scale > 0:
        raise AlignmentError(f"alignment 'lstsq': fitted scale {scale:.3g} is not positive "
                             f"(the {kind.value} output does not fall with distance on the road)")
    return Alignment(AlignmentPolicy.LSTSQ, kind, float(scale), float(shift), int(ok.sum()), n_frames)
