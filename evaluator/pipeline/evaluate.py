"""Evaluate one model on one stimulus set: verify, load, align, predict, store, analyse, write.

:func:`evaluate_set` is what the CLI calls; :func:`analyse_predictions` reruns every analysis
from the predictions an earlier run stored, without the model.  Each step is its own function so
that notebooks and other analyses can reuse them:

1. :func:`~evaluator.pipeline.verify.open_verified` -- open the set, check every file first
   (the four layers of every frame, every hashed file, the counterfactual layers of frames
   that claim them);
2. :func:`~evaluator.models.loading.load_depth_model` -- build the model for the set's canonical
   camera (its name checked once, before the set is read: :func:`~evaluator.models.loading.check_model`);
3. :func:`fit_set_alignment` -- predict the reference frames, fit the alignment on their road
   pixels (skipped for policy ``none``); their raw outputs are kept on disk for step 4, so no
   frame goes through the model twice;
4. :func:`predict_and_analyse` -- predict every frame (and counterfactual), align, store the
   aligned depth under ``OUT/predictions/`` (:mod:`evaluator.results.store`) and hand each
   frame to the streaming analyses (:class:`evaluator.analyses.set_analysis.SetAnalysis`), one
   batch in memory (batching and read-ahead: :mod:`evaluator.pipeline.batching`);
5. :meth:`~evaluator.analyses.set_analysis.SetAnalysis.finish` -- object estimates, cue and factor fits,
   metrics, curves, pose, obstacles: tables and summary sections;
6. :func:`~evaluator.results.format.write_results` -- the tables (``OUT/*.parquet``) then
   ``OUT/summary.json``, each atomically (the results format).

``OUT`` must be new, empty, or a results folder of ours
(:func:`~evaluator.results.format.check_results_target`: never a stimulus set, a folder inside
one, or a folder of other content).  Nothing is written before the set is verified, the model
loaded and the alignment known to be possible; then the whole run writes into a staging folder
beside ``OUT`` (:class:`~scenes.outputs.StagedOutput`) under a writer lock, and the
staged folder replaces ``OUT`` only when every step has succeeded: a failed run, even one that
stops with exit 2, leaves the previous results exactly as they were.  A model whose output is
mostly unusable (non-finite or <= 0 after alignment) gets no results (:func:`require_valid_output`).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.pipeline.alignment import (Alignment, AlignmentPolicy, RoadSamples, choose_policy, fit_alignment,
                                          parse_policy)
from evaluator.analyses.set_analysis import AnalysisResult, SetAnalysis, check_shape
from evaluator.errors import AlignmentError, EvaluationArgumentError, ModelOutputError
from evaluator.pipeline.batching import ProgressCallback, check_batch_size, model_batches, pipelined
from evaluator.analyses.metrics import MAX_DEPTH_M, MAX_INVALID_FRACTION
from evaluator.models.base import DepthModel, OutputKind
from evaluator.models.device import check_device_name
from evaluator.models.loading import LoadedModel, ModelRecord, ModelSource, check_model, load_depth_model
from evaluator.analyses.objects import check_statistic
from scenes.versioning import code_version
from evaluator.pipeline.verify import open_verified
from evaluator.results.format import (SUMMARY_FILE, TABLE_FILES, check_results_target,
                                      write_results)
from evaluator.results.store import PREDICTIONS_DIR, PredictionWriter, StoredPredictions, check_dtype, set_identity
from scenes.errors import StimulusSetError
from scenes.formats import MANIFEST, StimulusSet
from scenes.outputs import StagedOutput, WriterLock


def evaluate_set(set_path: str | Path, model_name: ModelSource,
                 out_dir: str | Path, *,
                 batch_size: int = 8, device: str | None = None, alignment: str | None = None,
                 statistic: str = "median", progress: ProgressCallback | None = None,
                 seed: int = 0, prediction_dtype: str = "float32",
                 max_depth_m: float | None = MAX_DEPTH_M) -> dict[str, Any]:
    """Run ``model_name`` on the stimulus set at ``set_path`` and write results to ``out_dir``.

    :param set_path: a stimulus-set directory.
    :param model_name: a registered model name, ``module:callable``, a DepthModel instance, or
        a callable as described for ``module:callable``.
    :param out_dir: where the tables, ``summary.json`` and ``predictions/`` go (created if needed).
    :param batch_size: frames per model call (>= 1).
    :param device: torch device for torch models (``None``: CUDA if available, else CPU).
    :param alignment: ``"none"``, ``"median"`` or ``"lstsq"``; ``None`` = the default for the
        model's output kind (see :mod:`evaluator.pipeline.alignment`).
    :param statistic: per-object statistic, ``"median"`` or ``"mean"``.
    :param progress: ``progress(stage, done, total)`` after each batch; stages ``"align"``
        (reference frames) and ``"predict"`` (every frame).
    :param seed: seeds the Generator that subsamples road pixels for the alignment fit, and the
        bootstrap Generators of the analyses (see :mod:`evaluator.analyses.set_analysis`).
    :param prediction_dtype: ``"float32"`` or ``"float16"`` for ``OUT/predictions/``.
    :param max_depth_m: upper depth cap of the standard metrics (None: no cap).
    :returns: the summary (the content of ``summary.json``).
    :raises StimulusSetError: missing or damaged files (all listed), missing columns.
    :raises DepthprobeError: unknown model, model that fails to load or breaks its contract,
        alignment that cannot be fitted, bad arguments.
    """
    started = time.perf_counter()
    check_statistic(statistic)
    batch_size = check_batch_size(batch_size)
    check_dtype(prediction_dtype)
    seed = check_seed(seed)
    parse_policy(alignment)  # arguments are checked before any file is read
    check_device_name(device)
    request = check_model(model_name)  # a typo fails before the set's files are hashed
    out = check_results_target(out_dir)
    stimulus_set = open_verified(set_path)
    loaded = load_depth_model(request, stimulus_set.canonical_camera, device)
    policy = choose_policy(loaded.model.output_kind, alignment)
    require_references(stimulus_set, loaded.model, policy)  # before anything is predicted or written
    config = {"batch_size": int(batch_size), "device": device, "alignment": alignment, "statistic": statistic,
              "seed": seed, "prediction_dtype": prediction_dtype, "max_depth_m": max_depth_m}
    with WriterLock(out, "depthprobe evaluate"), StagedOutput(out) as staged:
        summary = run_model(stimulus_set, loaded, policy, config, staged.path, out, progress, started)
        staged.commit()
    return summary


def run_model(stimulus_set: StimulusSet, loaded: LoadedModel, policy: AlignmentPolicy, config: Mapping[str, Any],
              staging: Path, out: Path, progress: ProgressCallback | None, started: float) -> dict[str, Any]:
    """Steps 3 to 6 of :func:`evaluate_set`, written into ``staging`` (which becomes ``out``).

    :param config: the checked arguments of :func:`evaluate_set` (``summary["config"]``).
    :param started: :func:`time.perf_counter` when the run began (for ``elapsed_s``).
    :returns: the summary.
    """
    batch_size, seed = config["batch_size"], config["seed"]
    writer = PredictionWriter(staging / PREDICTIONS_DIR, config["prediction_dtype"])
    fitted = fit_set_alignment(stimulus_set, loaded.model, policy, batch_size, np.random.default_rng(seed), progress,
                               keep_raw=writer.keep_raw)
    analysis = SetAnalysis(stimulus_set, config["statistic"], config["max_depth_m"])
    predict_and_analyse(stimulus_set, loaded.model, fitted, batch_size, writer, analysis, progress)
    counts = {"n_frames": len(stimulus_set.frames), "n_counterfactual": len(analysis.counterfactual_ids)}
    writer.finish({**loaded.record.entries(), "alignment": fitted.to_dict(),
                   "stimulus_set": set_identity(stimulus_set), **counts})
    result = analysis.finish(seed)
    require_valid_output(result, loaded.record.name)
    predictions = {"path": str(out / PREDICTIONS_DIR), "dtype": config["prediction_dtype"], "reused": False, **counts}
    summary = build_summary(stimulus_set, loaded.record, fitted.to_dict(), result, config, out,
                            time.perf_counter() - started, predictions)
    write_results(staging, result.tables, summary)
    return summary


def analyse_predictions(set_path: str | Path, out_dir: str | Path, *, predictions_dir: str | Path | None = None,
                        statistic: str = "median", seed: int = 0, max_depth_m: float | None = MAX_DEPTH_M,
                        progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Rerun every analysis from stored predictions (no model): the ``--reuse-predictions`` path.

    :param predictions_dir: the ``predictions`` folder of an earlier :func:`evaluate_set` (default
        ``OUT/predictions``).  It must be finished (``index.json``) and made for this very set
        (spec hash and both tables' hashes), every file intact.
    :param statistic, seed, max_depth_m: as for :func:`evaluate_set` (may differ from the
        earlier run: the analyses are recomputed).
    :returns: the summary; ``summary["predictions"]["reused"]`` is True.
    :raises StimulusSetError: damaged stimulus set (all problems listed).
    :raises PredictionStoreError: predictions missing, unfinished, damaged or of another set.
    """
    started = time.perf_counter()
    check_statistic(statistic)
    seed = check_seed(seed)
    out = check_results_target(out_dir)
    stimulus_set = open_verified(set_path)
    pred_root = Path(predictions_dir) if predictions_dir is not None else out / PREDICTIONS_DIR
    stored = StoredPredictions.open(pred_root, stimulus_set)
    with WriterLock(out, "depthprobe evaluate --reuse-predictions"), StagedOutput(out) as staged:
        analysis = SetAnalysis(stimulus_set, statistic, max_depth_m)
        frame_ids = stimulus_set.frame_ids
        for i, fid in enumerate(frame_ids):
            without = stored.depth(fid, "counterfactual") if fid in analysis.counterfactual_ids else None
            analysis.add_frame(fid, stored.depth(fid), without)
            if progress is not None and ((i + 1) % 50 == 0 or i + 1 == len(frame_ids)):
                progress("analyse", i + 1, len(frame_ids))
        result = analysis.finish(seed)
        index, record = stored.index, stored.model_record
        require_valid_output(result, record.name)
        config = {"statistic": statistic, "seed": seed, "max_depth_m": max_depth_m, "reused_predictions": True}
        predictions = {"path": str(pred_root), "dtype": index.get("dtype"), "reused": True,
                       "n_frames": index.get("n_frames"), "n_counterfactual": index.get("n_counterfactual")}
        summary = build_summary(stimulus_set, record, index["alignment"], result, config, out,
                                time.perf_counter() - started, predictions)
        write_results(staged.path, result.tables, summary)
        in_out = pred_root.resolve() == (out / PREDICTIONS_DIR).resolve()
        staged.commit(keep=(PREDICTIONS_DIR,) if in_out else ())
    return summary


def require_valid_output(result: AnalysisResult, model_name: str) -> None:
    """:class:`ModelOutputError` when most predictions were unusable (see
    :data:`evaluator.analyses.metrics.MAX_INVALID_FRACTION`): no numbers from the few left."""
    validity = (result.summary.get("metrics") or {}).get("validity") or {}
    fraction = validity.get("fraction_invalid")
    if fraction is None or not fraction > MAX_INVALID_FRACTION:
        return
    kinds = ", ".join(f"{validity[k]} {word}" for k, word in (("n_px_pred_nan", "NaN"), ("n_px_pred_inf", "inf"),
                                                               ("n_px_pred_nonpositive", "<= 0")) if validity.get(k))
    raise ModelOutputError(f"model {model_name!r}: {100 * fraction:.1f} % of the {validity['n_pixels_judged']} "
                           f"pixels with ground truth got an unusable prediction after alignment ({kinds}); "
                           "no metrics and no verdict from the rest")


def check_seed(seed: object) -> int:
    """``seed`` as an int >= 0, or :class:`EvaluationArgumentError`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EvaluationArgumentError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(seed)


def require_references(stimulus_set: StimulusSet, model: DepthModel, policy: AlignmentPolicy) -> None:
    """Raise :class:`AlignmentError` when ``policy`` needs reference frames and the set has none."""
    if policy == AlignmentPolicy.NONE or stimulus_set.reference_frame_ids:
        return
    kind = OutputKind(model.output_kind)
    raise AlignmentError(f"{stimulus_set.root}: no reference frames (is_reference) to fit the "
                         f"{policy.value!r} alignment of {kind.value} output from model {model.name!r}; "
                         "include the natural condition at the canonical camera")


def fit_set_alignment(stimulus_set: StimulusSet, model: DepthModel, policy: AlignmentPolicy,
                      batch_size: int, rng: np.random.Generator,
                      progress: ProgressCallback | None = None,
                      keep_raw: Callable[[str, np.ndarray], None] | None = None) -> Alignment:
    """Fit ``policy`` once on road pixels of the set's reference frames (see evaluator.pipeline.alignment).

    :param keep_raw: called as ``keep_raw(frame_id, raw_output)`` for each reference frame (so
        the caller need not predict it again).
    :raises AlignmentError: the policy needs reference frames and the set has none (raised
        before any prediction is made), or too few usable road pixels.
    """
    kind = OutputKind(model.output_kind)
    if policy == AlignmentPolicy.NONE:
        return fit_alignment(None, policy, kind)
    require_references(stimulus_set, model, policy)
    refs = stimulus_set.reference_frame_ids
    samples = RoadSamples.for_frames(len(refs), rng)
    done = 0

    def consume(ids: list[str], preds: np.ndarray) -> None:
        nonlocal done
        for fid, pred in zip(ids, preds):
            true_depth, semantic = stimulus_set.depth(fid), stimulus_set.semantic(fid)
            check_shape(stimulus_set, fid, pred.shape, true_depth.shape, "depth")
            check_shape(stimulus_set, fid, pred.shape, semantic.shape, "semantic")
            samples.add(pred, true_depth, semantic)
            if keep_raw is not None:
                keep_raw(fid, pred)
        done += len(ids)
        if progress is not None:
            progress("align", done, len(refs))

    pipelined(model_batches(stimulus_set, model, refs, batch_size), consume)
    return fit_alignment(samples, policy, kind)


def predict_and_analyse(stimulus_set: StimulusSet, model: DepthModel, fitted: Alignment, batch_size: int,
                        writer: PredictionWriter, analysis: SetAnalysis,
                        progress: ProgressCallback | None = None) -> None:
    """Predict, align, store and analyse every frame (and counterfactual), batch by batch.

    The model runs in the calling thread; aligning, storing and analysing a batch run in one
    worker thread meanwhile (:func:`pipelined`), so the evaluator's own work overlaps the
    model's.  Reference frames whose raw output ``writer`` kept during the alignment fit are
    not predicted again.  Memory: two batches of images and maps.
    """
    frame_ids = stimulus_set.frame_ids
    total, done = len(frame_ids), 0
    with_cf = analysis.counterfactual_ids
    kept = [fid for fid in frame_ids if writer.has_raw(fid)]
    todo = [fid for fid in frame_ids if not writer.has_raw(fid)]

    def with_counterfactuals(batches: Iterator[tuple[list[str], Sequence[np.ndarray]]]) -> Iterator[tuple]:
        for ids, raws in batches:
            cf_ids = [fid for fid in ids if fid in with_cf]
            without = {}
            for cids, preds in model_batches(stimulus_set, model, cf_ids, batch_size, "counterfactual_rgb"):
                without.update(zip(cids, preds))
            yield ids, raws, without

    def kept_batches() -> Iterator[tuple[list[str], list[np.ndarray]]]:
        for start in range(0, len(kept), batch_size):
            ids = kept[start:start + batch_size]
            yield ids, [writer.take_raw(fid) for fid in ids]

    def consume(ids: list[str], raws: Sequence[np.ndarray], without: dict[str, np.ndarray]) -> None:
        nonlocal done
        for fid, raw in zip(ids, raws):
            aligned = fitted.apply(raw)
            aligned_without = fitted.apply(without[fid]) if fid in without else None
            writer.write("depth", fid, aligned)
            if aligned_without is not None:
                writer.write("counterfactual", fid, aligned_without)
            analysis.add_frame(fid, aligned, aligned_without)
        done += len(ids)
        if progress is not None:
            progress("predict", done, total)

    pipelined(with_counterfactuals(kept_batches()), consume)
    pipelined(with_counterfactuals(model_batches(stimulus_set, model, todo, batch_size)), consume)


def build_summary(stimulus_set: StimulusSet, model: ModelRecord, alignment: Mapping[str, Any],
                  result: AnalysisResult, config: Mapping[str, Any], out_dir: Path, elapsed_s: float,
                  predictions: Mapping[str, Any]) -> dict[str, Any]:
    """The content of summary.json (see :mod:`evaluator.results.format`): provenance, then every
    analysis's entries.

    :param model: the model's record (or the one stored with reused predictions).
    :param alignment: the alignment's ``to_dict()``.
    """
    versions = code_version()
    outputs = {name: str(out_dir / TABLE_FILES[name]) for name, table in result.tables.items() if table is not None}
    outputs.update(summary=str(out_dir / SUMMARY_FILE), predictions=str(predictions["path"]))
    return {
        **model.entries(),
        "alignment": dict(alignment),
        "n_frames": int(len(stimulus_set.frames)),
        "n_reference_frames": len(stimulus_set.reference_frame_ids),
        **result.summary,
        "warnings": result_warnings(result.summary),
        "predictions": dict(predictions),
        "stimulus_set": set_provenance(stimulus_set),
        "config": dict(config),
        "depthprobe_version": versions["depthprobe_version"],
        "git_commit": versions["git_commit"],
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "elapsed_s": round(float(elapsed_s), 3),
        "outputs": outputs,
    }


def result_warnings(entries: Mapping[str, Any]) -> list[str]:
    """What a careful reader must know before trusting the numbers: predictions that were unusable
    on part of the pixels, objects without an estimate."""
    warnings = []
    validity = (entries.get("metrics") or {}).get("validity") or {}
    if validity.get("n_pixels_invalid"):
        warnings.append(f"{100 * validity['fraction_invalid']:.2f} % of the {validity['n_pixels_judged']} pixels with "
                        f"ground truth got an unusable prediction (NaN {validity['n_px_pred_nan']}, inf "
                        f"{validity['n_px_pred_inf']}, <= 0 {validity['n_px_pred_nonpositive']}) in "
                        f"{validity['n_frames_with_invalid']} frame(s); they are counted and left out of every metric")
    missing = int(entries.get("n_objects", 0)) - int(entries.get("n_objects_with_estimate", 0))
    if missing:
        warnings.append(f"{missing} of {entries['n_objects']} objects have no estimate (no usable predicted pixel "
                        "over their mask); every object analysis leaves them out")
    return warnings


def set_provenance(stimulus_set: StimulusSet) -> dict[str, Any]:
    """Which stimulus set the results are of: path, spec hash, seed, format version, manifest."""
    manifest = stimulus_set.manifest
    return {"path": str(Path(stimulus_set.root).resolve()), "spec_hash": manifest.get("spec_hash"),
            "seed": manifest.get("seed"), "format_version": manifest.get("format_version"),
            "manifest": str(Path(stimulus_set.root).resolve() / MANIFEST)}
