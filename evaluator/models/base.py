"""The model contract: images in, a depth-like map out, with what it is declared.

Every model the evaluator runs is a :class:`DepthModel`.  It declares

* ``name`` -- how results refer to it;
* ``output_kind`` -- what its map means (:class:`OutputKind`), which decides how the
  map is aligned to metres (see :mod:`evaluator.pipeline.alignment`);
* ``input_size`` -- the (height, width) in pixels it wants, or ``None`` for the native size
  of the stimuli; each side at most :data:`MAX_INPUT_SIDE_PX` (as a torch adapter's
  ``network_input_size``);
* ``normalisation`` -- the per-channel mean and std it expects on images scaled to [0, 1],
  or ``None`` (adapters apply it; the inference code does not);
* ``framework`` -- ``"torch"`` when :meth:`DepthModel.predict` runs torch modules (the
  inference code then disables autograd), else ``"numpy"``.

:meth:`DepthModel.predict` takes uint8 images (N, H, W, 3) and returns float32 maps (N, H, W)
at the resolution of the images it was given.  Resizing the stimuli to ``input_size`` and the
prediction back is done by :mod:`evaluator.pipeline.batching`, not by each model.
"""
from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from scenes.geometry import Camera

#: The largest height or width in pixels a model may declare for its input (``input_size``, a
#: torch adapter's ``network_input_size``, the ``size=`` option): the largest image side a spec
#: may ask for (``camera.width`` <= 8192 in :mod:`scenes.spec.schema`).  Stimuli are resized to the
#: declared size, so 100000 x 100000 would be a 30 GB image; 8192 x 8192 RGB is 200 MB.
MAX_INPUT_SIDE_PX = 8192


class OutputKind(str, enum.Enum):
    """What a model's output map means.

    * ``metric_depth``: z-depth in metres (positive; +inf allowed for "no surface").
    * ``disparity``: proportional to 1 / depth with an unknown positive scale (e.g. the
      output of a self-supervised network such as Monodepth2).
    * ``relative_inverse_depth``: affine in 1 / depth with unknown scale and shift (e.g. MiDaS,
      Depth Anything relative models).
    """

    METRIC_DEPTH = "metric_depth"
    DISPARITY = "disparity"
    RELATIVE_INVERSE_DEPTH = "relative_inverse_depth"


Framework = Literal["numpy", "torch"]


@dataclass(frozen=True)
class Normalisation:
    """Per-channel normalisation ``(x - mean) / std`` of RGB scaled to [0, 1].

    :param mean: (R, G, B) means, each in [0, 1].
    :param std: (R, G, B) standard deviations, each > 0.
    """

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __post_init__(self) -> None:
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError("normalisation needs three means and three stds (R, G, B)")
        if any(s <= 0 for s in self.std):
            raise ValueError(f"normalisation stds must be > 0, got {self.std}")


#: The ImageNet statistics most torchvision-style encoders expect.
IMAGENET_NORMALISATION = Normalisation((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@dataclass(frozen=True)
class ModelContext:
    """What a model factory may use to build a model for one stimulus set.

    :param canonical_camera: the camera the study assumes the network knows (from the set's
        manifest); geometric baselines such as ``flat-road`` are built from it.
    :param device: requested torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``) or ``None``
        for automatic choice (CUDA when available, else CPU).  Numpy models ignore it.
    """

    canonical_camera: Camera
    device: str | None = None


class DepthModel(ABC):
    """A monocular depth model as the evaluator sees it (see the module docstring)."""

    name: str
    output_kind: OutputKind
    input_size: tuple[int, int] | None = None
    normalisation: Normalisation | None = None
    framework: ClassVar[Framework] = "numpy"

    @classmethod
    def from_context(cls, context: ModelContext) -> "DepthModel":
        """Build the model for a stimulus set; subclasses that need arguments override this."""
        return cls()

    @abstractmethod
    def predict(self, images: np.ndarray) -> np.ndarray:
        """Predict a depth-like map per image.

        :param images: uint8 array (N, H, W, 3), RGB, N >= 1.
        :returns: float32 array (N, H, W) in the units of ``output_kind``.
        """

    def describe(self) -> dict:
        """The declared contract as plain data (for the results summary)."""
        return {
            "name": self.name,
            "output_kind": OutputKind(self.output_kind).value,
            "input_size": list(self.input_size) if self.input_size is not None else None,
            "normalisation": (
                {"mean": list(self.normalisation.mean), "std": list(self.normalisation.std)}
                if self.normalisation is not None else None),
            "framework": self.framework,
        }


def check_contract(model: object, where: str) -> None:
    """Raise ``TypeError`` naming ``where`` if ``model`` does not declare the contract.

    Checks the attribute types only; the shape of predictions is checked at inference time.
    """
    if not isinstance(model, DepthModel):
        raise TypeError(f"{where}: expected a DepthModel, got {type(model).__name__}")
    if not isinstance(getattr(model, "name", None), str) or not model.name:
        raise TypeError(f"{where}: model has no name")
    try:
        OutputKind(model.output_kind)
    except ValueError:
        kinds = ", ".join(k.value for k in OutputKind)
        raise TypeError(f"{where}: output_kind {model.output_kind!r} is not one of {kinds}") from None
    for attribute in ("input_size", "network_input_size"):
        check_input_size(getattr(model, attribute, None), f"{where}: {attribute}")
    if model.framework not in ("numpy", "torch"):
        raise TypeError(f"{where}: framework must be 'numpy' or 'torch', got {model.framework!r}")


def check_input_size(size: object, where: str) -> None:
    """Raise ``TypeError`` naming ``where`` unless ``size`` is None or (height, width) in whole
    pixels, each 1 .. :data:`MAX_INPUT_SIDE_PX`."""
    if size is None:
        return
    try:
        valid = len(size) == 2 and all(int(s) == s and s >= 1 for s in size)
    except (TypeError, ValueError, OverflowError):
        valid = False
    if not valid:
        raise TypeError(f"{where} must be (height, width) in pixels or None, got {size!r}")
    if max(size) > MAX_INPUT_SIDE_PX:
        raise TypeError(f"{where} {size[0]}x{size[1]} is larger than {MAX_INPUT_SIDE_PX} px a side "
                        "(the largest image a spec may ask for)")
