"""The project's reference networks: small depth CNNs trained on rendered scenes, shipped weights.

Built in (``evaluator/weights/<name>/``, each with ``model.safetensors`` and a model card):

* ``ref-fixed-camera`` -- trained with the camera's height and pitch fixed (1.65 m, level, as
  KITTI) and car sizes varying widely within each class (scale 0.6 ... 1.6): vertical position
  is a reliable distance cue in its training data, apparent size is not;
* ``ref-varied-camera`` -- trained with camera height 1.0 ... 2.5 m and pitch -5 ... +5 degrees
  at random and a third of the cars raised 0 ... 1 m above the road, at their class sizes:
  apparent size is reliable, vertical position is not.

Each outputs metric z-depth in metres (``metric_depth``, so no alignment is needed) for RGB at
the size it was trained at (``input_size`` = (96, 320); :mod:`evaluator.pipeline.batching` resizes the
stimuli to it and the map back), normalised as its ``normalisation`` says (applied here).
The weights are read from safetensors only (:func:`evaluator.models.checkpoint.load_network`:
no pickle, no ``torch.load``); the architecture comes from the file's metadata.  They run on
CPU in a few milliseconds a frame; ``context.device`` picks CUDA when asked.

Retrain with ``depthprobe train scenes/presets/training/<name>.yaml --out DIR`` (see
docs/commands.md); :meth:`ReferenceNetworkModel.from_folder` loads the result (``DIR/model``).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluator.errors import ModelLoadError
from evaluator.models.base import DepthModel, ModelContext, Normalisation, OutputKind
from scenes.storage import sha256_file

if TYPE_CHECKING:  # torch is imported only when a network is built
    import torch

    from evaluator.models.reference_network import DepthUNet

#: Folder of the shipped weights: evaluator/weights/<name>/model.safetensors.
WEIGHTS_ROOT = Path(__file__).resolve().parents[1] / "weights"
#: The built-in reference networks (name = folder under WEIGHTS_ROOT).
REFERENCE_NAMES = ("ref-fixed-camera", "ref-varied-camera")


class ReferenceNetworkModel(DepthModel):
    """A trained :class:`~evaluator.models.reference_network.DepthUNet` as a depth model.

    :param network: the network (put in eval mode on ``device``).
    :param name: the name results use.
    :param device: a resolved torch device string.
    :param details: extra plain data for :meth:`describe` (weights file, hash, training set).
    """

    framework = "torch"
    output_kind = OutputKind.METRIC_DEPTH

    def __init__(self, network: "DepthUNet", name: str, device: str = "cpu",
                 details: dict[str, Any] | None = None) -> None:
        config = network.config
        self.name = name
        self.device = device
        self.network = network.to(device).eval()
        self.input_size = (int(config.input_size[0]), int(config.input_size[1]))
        self.normalisation = Normalisation(tuple(config.mean), tuple(config.std))
        self.details = dict(details or {})

    @classmethod
    def from_folder(cls, folder: str | Path, *, device: str | None = None,
                    name: str | None = None) -> "ReferenceNetworkModel":
        """Load ``folder/model.safetensors`` (or a ``.safetensors`` file given directly).

        :param device: torch device, or None for CUDA when available, else CPU.
        :param name: the model's name (default: the name in the file's metadata).
        :raises ModelLoadError: missing file, not safetensors, or weights that do not fit.
        """
        from evaluator.models.device import resolve_device
        from evaluator.models.checkpoint import WEIGHTS_FILE, load_network, read_card

        path = Path(folder)
        weights = path / WEIGHTS_FILE if path.is_dir() else path
        label = name or str(folder)
        if not weights.is_file():
            raise ModelLoadError(f"reference network {label!r}: no weights file {weights}")
        resolved = resolve_device(device)
        try:
            network, metadata = load_network(weights, device=resolved)
        except (ValueError, OSError) as exc:
            raise ModelLoadError(f"reference network {label!r}: {exc}") from None
        card = read_card(weights.parent) or {}
        sets = (card.get("training_data") or {}).get("sets") or []
        details = {"weights": str(weights), "weights_sha256": sha256_file(weights),
                   "stored_dtype": metadata.get("stored_dtype"),
                   "architecture": network.config.architecture,
                   "training_sets": [{"name": s.get("name"), "spec_hash": s.get("spec_hash")} for s in sets]}
        return cls(network, name or metadata.get("name") or weights.parent.name, resolved, details)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Depth in metres, float32 (N, H, W), for uint8 RGB (N, H, W, 3) at ``input_size``."""
        import torch

        if (not isinstance(images, np.ndarray) or images.ndim != 4 or images.shape[-1] != 3
                or tuple(images.shape[1:3]) != self.input_size):
            raise ValueError(f"model {self.name!r} expects uint8 images (N, {self.input_size[0]}, "
                             f"{self.input_size[1]}, 3), got {getattr(images, 'shape', type(images).__name__)}")
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device).permute(0, 3, 1, 2)
            x = self._normalise(x).contiguous(memory_format=torch.channels_last)
            depth = self.network(x)
            return depth[:, 0].float().cpu().numpy()

    def _normalise(self, x: "torch.Tensor") -> "torch.Tensor":
        from evaluator.models.reference_network import normalise

        return normalise(x, self.network.config)

    def describe(self) -> dict:
        """The declared contract plus the weights file, its hash and the training sets."""
        out = super().describe()
        out.update(self.details)
        return out


def load_reference(name: str, context: ModelContext) -> ReferenceNetworkModel:
    """The shipped network ``name`` (one of :data:`REFERENCE_NAMES`) for ``context.device``."""
    if name not in REFERENCE_NAMES:
        raise ModelLoadError(f"unknown reference network {name!r}; known: {', '.join(REFERENCE_NAMES)}")
    return ReferenceNetworkModel.from_folder(WEIGHTS_ROOT / name, device=context.device, name=name)


def make_ref_fixed_camera(context: ModelContext) -> ReferenceNetworkModel:
    """Registry factory for ``ref-fixed-camera`` (module docstring)."""
    return load_reference("ref-fixed-camera", context)


def make_ref_varied_camera(context: ModelContext) -> ReferenceNetworkModel:
    """Registry factory for ``ref-varied-camera`` (module docstring)."""
    return load_reference("ref-varied-camera", context)
