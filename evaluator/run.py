"""Evaluate one model on one stimulus set: verify, load, align, estimate, fit, write.

:func:`evaluate_set` is what the CLI calls.  Each step is its own function so that notebooks
and other analyses can reuse them:

1. :func:`~evaluator.stimuli.open_verified` -- open the set, check every file first;
2. :func:`load_for_set` -- build the model for the set's canonical camera;
3. :func:`fit_set_alignment` -- predict the reference frames, fit the alignment on their road
   pixels (skipped for policy ``none``);
4. :func:`estimate_set_objects` -- predict every frame that has objects, align, estimate each
   object (the reference frames are predicted a second time here: the price of keeping memory
   at one batch whatever the size of the set);
5. :func:`~evaluator.cue_fit.fit_cues` -- the cue regression and verdict;
6. :func:`write_results` -- ``OUT/objects.parquet`` then ``OUT/summary.json``, each atomically.

Nothing is written before every step has succeeded, and an old ``summary.json`` in ``OUT`` is
removed before new results are written, so a ``summary.json`` always belongs to the
``objects.parquet`` beside it and to a complete run.
"""
from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluator.alignment import (Alignment, AlignmentPolicy, RoadSamples, choose_policy, fit_alignment,
                                 parse_policy)
from evaluator.cue_fit import CueFit, fit_cues
from evaluator.errors import AlignmentError, ModelLoadError
from evaluator.inference import ProgressCallback, check_batch_size, iter_predictions
from evaluator.models.base import DepthModel, ModelContext, OutputKind, check_contract
from evaluator.models.callable_model import CallableModel
from evaluator.models.registry import check_model_name, load_model
from evaluator.objects import check_statistic, estimate_objects
from evaluator.provenance import code_version
from evaluator.stimuli import canonical_camera, frames_with_objects, open_verified, reference_frame_ids
from scenes.errors import StimulusSetError
from scenes.stimulus_set import MANIFEST, StimulusSet, atomic_write_bytes

OBJECTS_FILE = "objects.parquet"
SUMMARY_FILE = "summary.json"


def evaluate_set(set_path: str | Path, model_name: str | DepthModel | Callable[[np.ndarray], Any],
                 out_dir: str | Path, *,
                 batch_size: int = 8, device: str | None = None, alignment: str | None = None,
                 statistic: str = "median", progress: ProgressCallback | None = None,
                 seed: int = 0) -> dict[str, Any]:
    """Run ``model_name`` on the stimulus set at ``set_path`` and write results to ``out_dir``.

    :param set_path: a stimulus-set directory.
    :param model_name: a registered model name, ``module:callable``, a DepthModel instance, or
        a callable as described for ``module:callable``.
    :param out_dir: where ``objects.parquet`` and ``summary.json`` go (created if needed).
    :param batch_size: frames per model call (>= 1).
    :param device: torch device for torch models (``None``: CUDA if available, else CPU).
    :param alignment: ``"none"``, ``"median"`` or ``"lstsq"``; ``None`` = the default for the
        model's output kind (see :mod:`evaluator.alignment`).
    :param statistic: per-object statistic, ``"median"`` or ``"mean"``.
    :param progress: ``progress(stage, done, total)`` after each batch; stages ``"align"``
        (reference frames) and ``"predict"`` (frames with objects).
    :param seed: seeds the Generator that subsamples road pixels for the alignment fit
        (only used when a set has more than ``MAX_ALIGNMENT_PX`` reference road pixels).
    :returns: the summary (the content of ``summary.json``).
    :raises StimulusSetError: missing or damaged files (all listed), missing columns.
    :raises DepthprobeError: unknown model, model that fails to load or breaks its contract,
        alignment that cannot be fitted, bad arguments.
    """
    started = time.perf_counter()
    check_statistic(statistic)
    batch_size = check_batch_size(batch_size)
    parse_policy(alignment)  # arguments are checked before any file is read
    if isinstance(model_name, str):
        check_model_name(model_name)  # a typo fails before the set's files are hashed
    stimulus_set = open_verified(set_path)
    model = load_for_set(model_name, stimulus_set, device)
    policy = choose_policy(model.output_kind, alignment)
    fitted = fit_set_alignment(stimulus_set, model, policy, batch_size, np.random.default_rng(seed), progress)
    objects = estimate_set_objects(stimulus_set, model, fitted, batch_size, statistic, progress)
    fit = fit_cues(objects)
    config = {"batch_size": int(batch_size), "device": device, "alignment": alignment,
              "statistic": statistic, "seed": seed}
    summary = build_summary(stimulus_set, model, fitted, objects, fit, config, Path(out_dir),
                            time.perf_counter() - started)
    write_results(Path(out_dir), objects, summary)
    return summary


def load_for_set(model_name: str | DepthModel | Callable[[np.ndarray], Any], stimulus_set: StimulusSet,
                 device: str | None = None) -> DepthModel:
    """The model, built for the set's canonical camera.

    A DepthModel instance is used as is; a plain callable is wrapped as for ``module:callable``.

    :raises UnknownModelError, ModelLoadError: see :func:`evaluator.models.registry.load_model`.
    """
    if isinstance(model_name, str):
        return load_model(model_name, ModelContext(canonical_camera(stimulus_set), device))
    model = model_name
    try:
        if not isinstance(model, DepthModel) and callable(model):
            model = CallableModel(model, name=_callable_name(model))
        check_contract(model, "model")
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(str(exc)) from None
    return model


def _callable_name(fn: Callable) -> str:
    target = fn if hasattr(fn, "__qualname__") else type(fn)
    return f"{target.__module__}:{target.__qualname__}"


def fit_set_alignment(stimulus_set: StimulusSet, model: DepthModel, policy: AlignmentPolicy,
                      batch_size: int, rng: np.random.Generator,
                      progress: ProgressCallback | None = None) -> Alignment:
    """Fit ``policy`` once on road pixels of the set's reference frames (see evaluator.alignment).

    :raises AlignmentError: the policy needs reference frames and the set has none (raised
        before any prediction is made), or too few usable road pixels.
    """
    kind = OutputKind(model.output_kind)
    if policy == AlignmentPolicy.NONE:
        return fit_alignment(None, policy, kind)
    refs = reference_frame_ids(stimulus_set)
    if not refs:
        raise AlignmentError(f"{stimulus_set.root}: no reference frames (is_reference) to fit the "
                             f"{policy.value!r} alignment of {kind.value} output from model {model.name!r}; "
                             "include the natural condition at the canonical camera")
    samples = RoadSamples.for_frames(len(refs), rng)
    for ids, preds in iter_predictions(stimulus_set, model, refs, batch_size, progress, stage="align"):
        for fid, pred in zip(ids, preds):
            true_depth, semantic = stimulus_set.depth(fid), stimulus_set.semantic(fid)
            _check_shape(stimulus_set, fid, pred.shape, true_depth.shape, "depth")
            _check_shape(stimulus_set, fid, pred.shape, semantic.shape, "semantic")
            samples.add(pred, true_depth, semantic)
    return fit_alignment(samples, policy, kind)


def estimate_set_objects(stimulus_set: StimulusSet, model: DepthModel, fitted: Alignment,
                         batch_size: int, statistic: str = "median",
                         progress: ProgressCallback | None = None) -> pd.DataFrame:
    """The set's objects table plus ``estimate_m`` (metres), ``n_valid_px``, ``mask_eroded``.

    Predicts every frame that has objects, applies ``fitted`` unchanged, and takes
    ``statistic`` over each object's eroded mask (see :mod:`evaluator.objects`).
    """
    objects = stimulus_set.objects.reset_index(drop=True)
    estimate = np.full(len(objects), np.nan)
    n_valid = np.zeros(len(objects), dtype=np.int64)
    eroded = np.zeros(len(objects), dtype=bool)
    rows_by_frame = objects.groupby("frame_id", sort=False).indices
    frame_ids = frames_with_objects(stimulus_set)
    for ids, preds in iter_predictions(stimulus_set, model, frame_ids, batch_size, progress, stage="predict"):
        for fid, pred in zip(ids, preds):
            instances = stimulus_set.instances(fid)
            _check_shape(stimulus_set, fid, pred.shape, instances.shape, "instances")
            rows = rows_by_frame[fid]
            found = estimate_objects(fitted.apply(pred), instances, objects["object_id"].iloc[rows], statistic)
            estimate[rows] = [e.estimate_m for e in found]
            n_valid[rows] = [e.n_valid_px for e in found]
            eroded[rows] = [e.mask_eroded for e in found]
    return objects.assign(estimate_m=estimate, n_valid_px=n_valid, mask_eroded=eroded)


def _check_shape(stimulus_set: StimulusSet, fid: str, expected: tuple, got: tuple, layer: str) -> None:
    if tuple(expected) != tuple(got):
        raise StimulusSetError(f"{stimulus_set.root}: frame {fid!r} {layer} is {tuple(got)} "
                               f"but its RGB image is {tuple(expected)}")


def build_summary(stimulus_set: StimulusSet, model: DepthModel, fitted: Alignment,
                  objects: pd.DataFrame, fit: CueFit, config: Mapping[str, Any], out_dir: Path,
                  elapsed_s: float) -> dict[str, Any]:
    """The content of summary.json (see the report for what a person reads of it)."""
    fit_dict = fit.to_dict()
    versions = code_version()
    return {
        "model": model.name,
        "output_kind": OutputKind(model.output_kind).value,
        "model_contract": model.describe(),
        "device": getattr(model, "device", None),
        "alignment": fitted.to_dict(),
        "n_frames": int(len(stimulus_set.frames)),
        "n_reference_frames": len(reference_frame_ids(stimulus_set)),
        "n_objects": int(len(objects)),
        "n_objects_with_estimate": int(np.isfinite(objects["estimate_m"]).sum()),
        "statistic": config["statistic"],
        "verdict": fit.verdict,
        "verdict_text": fit.verdict_text,
        "verdict_reason": fit.reason,
        "cues": {k: _coef_dict(v) for k, v in fit_dict["cues"].items()},
        "cue_difference": fit_dict["difference_vertical_minus_size"],
        "single_cue": fit_dict["single_cue"],
        "joint": fit_dict["joint"],
        "fit": {k: fit_dict[k] for k in ("model", "n_objects", "n_frames", "n_excluded", "cue_correlation", "intercept")},
        "stimulus_set": _set_provenance(stimulus_set),
        "config": dict(config),
        "depthprobe_version": versions["depthprobe_version"],
        "git_commit": versions["git_commit"],
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "elapsed_s": round(float(elapsed_s), 3),
        "outputs": {"objects": str(out_dir / OBJECTS_FILE), "summary": str(out_dir / SUMMARY_FILE)},
    }


def _coef_dict(value: dict | None) -> dict | None:
    return None if value is None else {k: value[k] for k in ("coef", "ci_low", "ci_high", "se")}


def _set_provenance(stimulus_set: StimulusSet) -> dict[str, Any]:
    manifest = stimulus_set.manifest
    return {"path": str(Path(stimulus_set.root).resolve()), "spec_hash": manifest.get("spec_hash"),
            "seed": manifest.get("seed"), "format_version": manifest.get("format_version"),
            "manifest": str(Path(stimulus_set.root).resolve() / MANIFEST)}


def write_results(out_dir: Path, objects: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    """Write objects.parquet, then summary.json (atomically; a stale summary is removed first)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SUMMARY_FILE).unlink(missing_ok=True)
    buf = io.BytesIO()
    objects.to_parquet(buf, index=False)
    atomic_write_bytes(out_dir / OBJECTS_FILE, buf.getvalue())
    text = json.dumps(json_safe(summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_bytes(out_dir / SUMMARY_FILE, text.encode("utf-8"))


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars made Python and NaN/inf made None (JSON has neither)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
