"""Training data: the frames of one or more stimulus sets, in memory, split by frame.

What a sample is: the frame's RGB (uint8, kept as is until the batch is normalised), its true
z-depth (float32 metres, +inf for sky) and a per-pixel region code (:data:`REGION_IGNORE`
for pixels without a finite depth, :data:`REGION_OTHER`, :data:`REGION_ROAD`,
:data:`REGION_OBJECT` from the semantic and instance layers) that the loss weights and the
validation metrics use.

Sets are read once with :func:`scenes.open_stimulus_set` (each frame's four layers); 2000
frames at 96 x 320 take about 0.3 GB.  Every frame must have the size the network is trained
at: the inference code resizes stimuli to the network's size, but training images are never
resized or cropped, because that would change the very cues the training sets plant (the
contact row of a fixed camera, apparent size).

Augmentation: a random horizontal flip per sample, and nothing else.  A flip keeps every
row (vertical position, horizon) and every apparent size; scale, crop, shift or rotation
augmentations would move the horizon or rescale objects and so blur the planted cues.

Randomness: the validation split uses a ``numpy.random.Generator``; batch order and flips use
an explicit ``torch.Generator``.  Nothing touches global random state.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from scenes.errors import StimulusSetError
from scenes.formats import StimulusSet, open_stimulus_set
from scenes.geometry import SEMANTIC_CLASSES

REGION_IGNORE = 0
REGION_OTHER = 1
REGION_ROAD = 2
REGION_OBJECT = 3
ROAD_CLASS = SEMANTIC_CLASSES["road"]


@dataclass
class FrameData:
    """Frames in memory (N frames of H x W).

    :ivar images: uint8 (N, 3, H, W) RGB.
    :ivar depth: float32 (N, 1, H, W) z-depth in metres, +inf where no surface.
    :ivar region: uint8 (N, 1, H, W) region codes (module docstring).
    :ivar frame_ids: "<set name>/<frame id>" per frame.
    """

    images: torch.Tensor
    depth: torch.Tensor
    region: torch.Tensor
    frame_ids: list[str]

    def __len__(self) -> int:
        return len(self.frame_ids)

    def subset(self, index: Sequence[int] | np.ndarray) -> "FrameData":
        """The frames at ``index`` (copies)."""
        idx = torch.as_tensor(np.asarray(index, dtype=np.int64))
        return FrameData(self.images[idx], self.depth[idx], self.region[idx],
                         [self.frame_ids[int(i)] for i in idx])

    def batches(self, batch_size: int, generator: torch.Generator | None = None, shuffle: bool = False,
                flip: bool = False, drop_last: bool = False) -> Iterator["Batch"]:
        """Batches in a random (``shuffle``) or the stored order; ``flip`` mirrors each sample
        left-right with probability 1/2 (draws from ``generator``)."""
        n = len(self)
        order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
        stop = n - n % batch_size if drop_last and n >= batch_size else n
        for start in range(0, stop, batch_size):
            idx = order[start:start + batch_size]
            images, depth, region = self.images[idx], self.depth[idx], self.region[idx]
            if flip:
                mirror = torch.rand(len(idx), generator=generator) < 0.5
                if bool(mirror.any()):
                    images, depth, region = images.clone(), depth.clone(), region.clone()
                    images[mirror] = images[mirror].flip(-1)
                    depth[mirror] = depth[mirror].flip(-1)
                    region[mirror] = region[mirror].flip(-1)
            yield Batch(images, depth, region, idx)


@dataclass
class Batch:
    """One batch: uint8 images (B, 3, H, W), depth and region (B, 1, H, W), frame indices (B,)."""

    images: torch.Tensor
    depth: torch.Tensor
    region: torch.Tensor
    index: torch.Tensor


def region_codes(depth: np.ndarray, semantic: np.ndarray, instances: np.ndarray) -> np.ndarray:
    """uint8 (H, W) region codes of one frame (see the module docstring)."""
    code = np.full(depth.shape, REGION_OTHER, dtype=np.uint8)
    code[semantic == ROAD_CLASS] = REGION_ROAD
    code[instances > 0] = REGION_OBJECT
    code[~(np.isfinite(depth) & (depth > 0))] = REGION_IGNORE
    return code


def load_frames(set_dirs: Sequence[str | Path], input_size: tuple[int, int],
                limit_per_set: int | None = None) -> tuple[FrameData, list[StimulusSet]]:
    """Read every frame of the sets (the first ``limit_per_set`` of each when given).

    :param input_size: (height, width) every frame must have.
    :returns: the frames and the opened sets (for their manifests).
    :raises StimulusSetError: a missing or unreadable set or file, or a frame of another size.
    """
    if not set_dirs:
        raise StimulusSetError("no training stimulus set given")
    sets, images, depths, regions, ids = [], [], [], [], []
    height, width = int(input_size[0]), int(input_size[1])
    for set_dir in set_dirs:
        stimulus_set = open_stimulus_set(set_dir)
        sets.append(stimulus_set)
        name = set_name(stimulus_set)
        frame_ids = stimulus_set.frame_ids
        if limit_per_set is not None:
            frame_ids = frame_ids[:limit_per_set]
        for fid in frame_ids:
            rgb = stimulus_set.rgb(fid)
            if rgb.shape[:2] != (height, width):
                raise StimulusSetError(f"{stimulus_set.root}: frame {fid!r} is {rgb.shape[1]}x{rgb.shape[0]} px; "
                                       f"the network trains at {width}x{height} (render the training set at "
                                       "that size: training never resizes, see evaluator.training.data)")
            depth = stimulus_set.depth(fid).astype(np.float32)
            code = region_codes(depth, stimulus_set.semantic(fid), stimulus_set.instances(fid))
            images.append(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
            depths.append(depth[None])
            regions.append(code[None])
            ids.append(f"{name}/{fid}")
    if not ids:
        raise StimulusSetError(f"no frames in {', '.join(str(s) for s in set_dirs)}")
    data = FrameData(torch.from_numpy(np.stack(images)), torch.from_numpy(np.stack(depths)),
                     torch.from_numpy(np.stack(regions)), ids)
    return data, sets


def set_name(stimulus_set: StimulusSet) -> str:
    """The name frames of a set are known by: its spec name (manifest), else its folder name."""
    return str(stimulus_set.manifest.get("name") or Path(stimulus_set.root).name)


def split_frames(n_frames: int, val_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices), a random split by frame; both sorted.

    At least one frame goes to validation when ``val_fraction`` > 0 and there are 2+ frames.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    n_val = int(round(n_frames * val_fraction))
    if val_fraction > 0 and n_frames >= 2:
        n_val = max(n_val, 1)
    perm = rng.permutation(n_frames)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])
