"""Batching and read-ahead: frames to the model in batches, resized to its input size and back.

Frames are read ``batch_size`` at a time (:func:`read_batches`), decoded one batch ahead in a
helper thread (:func:`prefetched`) and predicted one model call per batch
(:func:`model_batches`); :func:`pipelined` hands each batch of predictions to a consumer
(align, store, analyse) in one worker thread while the next batch is made.  Memory therefore
stays at two batches of images and maps whatever the size of the set.  Torch models run under ``torch.inference_mode()``; numpy models
just run.  Every prediction is checked against the contract (float, (N, H, W)) before use.

Resizing (only when a model declares an ``input_size`` different from the frames):
images go to the model's size by bilinear interpolation with antialiasing; the map comes back
to the frame's size by bilinear interpolation (pixel centres aligned, ``align_corners=False``),
except next to non-finite values (+inf sky, NaN), where the nearest value is taken so that
``inf`` never turns into a large finite depth or NaN.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from evaluator.errors import EvaluationArgumentError, ModelOutputError
from evaluator.models.base import DepthModel
from scenes.formats import StimulusSet

#: ``progress(stage, frames_done, frames_total)``, called after every batch.
ProgressCallback = Callable[[str, int, int], None]


def resize_images(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 images (N, H, W, 3) -> uint8 (N, h, w, 3) for ``size`` = (h, w), bilinear + antialias."""
    if tuple(images.shape[1:3]) == tuple(size):
        return images
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    y = F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False, antialias=True)
    return y.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def resize_maps(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """float maps (N, h, w) -> float32 (N, H, W) for ``size`` = (H, W) (see the module docstring)."""
    maps = np.asarray(maps, dtype=np.float32)
    if tuple(maps.shape[1:3]) == tuple(size):
        return maps
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(maps))[:, None]
    finite = torch.isfinite(x)
    smooth = F.interpolate(torch.where(finite, x, torch.zeros_like(x)), size=tuple(size),
                           mode="bilinear", align_corners=False)
    weight = F.interpolate(finite.float(), size=tuple(size), mode="bilinear", align_corners=False)
    nearest = F.interpolate(x, size=tuple(size), mode="nearest-exact")
    out = torch.where(weight > 1.0 - 1e-6, smooth, nearest)
    return out[:, 0].numpy()


def check_prediction(pred: Any, expected: tuple[int, int, int], model_name: str) -> np.ndarray:
    """Return ``pred`` as float32 (N, H, W) or raise :class:`ModelOutputError` (one line).

    :param expected: (N, H, W) of the images the model was given.
    """
    if not isinstance(pred, np.ndarray):
        raise ModelOutputError(f"model {model_name!r} returned {type(pred).__name__}; "
                               f"expected a float numpy array of shape {expected}")
    if not np.issubdtype(pred.dtype, np.floating):
        raise ModelOutputError(f"model {model_name!r} returned dtype {pred.dtype}; "
                               f"expected float32 (float16/float64 are accepted)")
    if tuple(pred.shape) != tuple(expected):
        raise ModelOutputError(f"model {model_name!r} returned shape {tuple(pred.shape)}; "
                               f"expected (N, H, W) = {tuple(expected)}")
    return pred.astype(np.float32, copy=False)


def check_batch_size(batch_size: object) -> int:
    """``batch_size`` as an int >= 1, or :class:`EvaluationArgumentError`."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise EvaluationArgumentError(f"batch size must be a whole number >= 1, got {batch_size!r}")
    return int(batch_size)


def _guard(model: DepthModel) -> contextlib.AbstractContextManager:
    if model.framework == "torch":
        import torch

        return torch.inference_mode()
    return contextlib.nullcontext()


def predict_images(model: DepthModel, images: np.ndarray) -> np.ndarray:
    """Predict maps for same-sized uint8 images (N, H, W, 3); float32 (N, H, W) at their size."""
    n, height, width = images.shape[:3]
    size = model.input_size or (height, width)
    model_images = resize_images(images, size)
    try:
        with _guard(model):
            raw = model.predict(model_images)
    except SystemExit as exc:  # a model must not end the evaluation (and exit 0 with nothing written)
        raise ModelOutputError(f"model {model.name!r} called sys.exit({exc.code!r}) while predicting") from None
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise ModelOutputError(f"model {model.name!r} raised {type(exc).__name__} while predicting"
                               f"{': ' + text[0] if text else ''}") from exc
    pred = check_prediction(raw, (n, size[0], size[1]), model.name)
    return resize_maps(pred, (height, width))


def pipelined(batches: Iterator[tuple], consume: Callable[..., None]) -> None:
    """``consume(*batch)`` for each batch, in order, in one worker thread, while the calling
    thread makes the next batch (reads images, runs the model).

    The model only ever runs in the calling thread; at most two batches are in memory (the one
    being consumed and the one being made).  An exception in either thread is raised here.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="depthprobe-analysis") as pool:
        pending = None
        try:
            for batch in batches:
                if pending is not None:
                    pending.result()
                pending = pool.submit(consume, *batch)
        except BaseException:
            if pending is not None:
                pending.exception()  # let the worker finish; the error being raised is the one to report
            raise
        if pending is not None:
            pending.result()


def read_batches(stimulus_set: StimulusSet, frame_ids: Sequence[str], batch_size: int,
                 layer: str = "rgb") -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, uint8 images (B, H, W, 3)) ``batch_size`` at a time; a size change starts a new batch.

    :param layer: ``"rgb"`` or ``"counterfactual_rgb"``.
    """
    read = stimulus_set.rgb if layer == "rgb" else stimulus_set.counterfactual_rgb
    ids: list[str] = []
    images: list[np.ndarray] = []
    for fid in frame_ids:
        image = read(fid)
        if images and (len(ids) == batch_size or image.shape != images[0].shape):
            yield ids, np.stack(images)
            ids, images = [], []
        ids.append(fid)
        images.append(image)
    if ids:
        yield ids, np.stack(images)


def model_batches(stimulus_set: StimulusSet, model: DepthModel, frame_ids: Sequence[str], batch_size: int,
                  layer: str = "rgb") -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, raw float32 maps (B, H, W)) for ``frame_ids``, one model call per batch; the next
    batch's images are read (decoded) in a helper thread while the model runs on this one."""
    for ids, images in prefetched(read_batches(stimulus_set, frame_ids, batch_size, layer)):
        yield ids, predict_images(model, images)


def prefetched(items: Iterator[Any]) -> Iterator[Any]:
    """The items of ``items``, each produced in a helper thread while the caller works on the
    previous one (one item ahead: memory for two)."""
    iterator = iter(items)
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="depthprobe-read") as pool:
        ahead = pool.submit(next, iterator, done)
        while True:
            item = ahead.result()
            if item is done:
                return
            ahead = pool.submit(next, iterator, done)
            yield item
