"""Train a reference network on rendered stimulus sets (supervised, exact z-depth).

:func:`train` is the whole procedure; :class:`TrainingConfig` holds its settings, and its
defaults are the settings of the shipped networks ``ref-fixed-camera`` and
``ref-varied-camera`` (see ``evaluator/weights/*/model_card.md``).  ``depthprobe train SPEC
--out DIR`` renders (or resumes) the training set at ``DIR/stimuli`` and calls
``train([DIR/stimuli], DIR/model, ...)``; :func:`train_on_spec` is the same second step for a
set generated elsewhere.

Procedure:

1. read every frame (:mod:`evaluator.training.data`) and split by frame into training and
   validation (``val_fraction``, seeded numpy Generator);
2. build the network (:mod:`evaluator.models.reference_network`), initialised from ``seed`` (inside
   :func:`torch.random.fork_rng`, so the caller's global torch RNG is left untouched);
3. minimise the loss below with AdamW (``lr``, ``weight_decay``) under a linear warm-up
   (``warmup_fraction`` of the steps) then cosine decay to ``lr * final_lr_fraction``, for
   ``epochs`` passes over the training frames in batches of ``batch_size`` (shuffled and
   flipped with a seeded torch Generator), or ``max_steps`` optimiser steps if that is fewer;
4. after every epoch, predict the validation frames and log the loss and metrics
   (``training_log.jsonl``; a progress bar when ``progress``);
5. write ``model.safetensors`` and the model card (:mod:`evaluator.training.card`).

Loss: weighted mean over pixels of ``|log(pred) - log(clamp(gt))|`` (L1 on log depth, which is
scale-aware: a 10 % error costs the same at 5 m and at 50 m), over pixels with finite true
depth only (sky, +inf, carries no depth and is left out).  The true depth is clamped to the
network's output range (0.5 ... 500 m) so the far road near the horizon (up to 3 km) asks for
"as far as you can" instead of an unreachable value.  Object pixels (instance id > 0) weigh
``object_weight`` (default 5): cars cover about 4 % of the pixels, so without a weight the road
dominates the loss and the cheapest solution paints each car with the depth of the road behind
it -- a network that sees no objects, whose cue fit would measure only the road.  With 5 they
carry about a fifth of the loss.

Validation metrics (:func:`evaluator.analyses.metrics.frame_metrics`, the evaluator's definitions):
Abs Rel, RMSE log and delta < 1.25, mean over frames, on all, road and object pixels, true
depth capped at 80 m.  The final card also holds the cue fit on the validation frames' objects
(:func:`evaluator.analyses.cue_fit.fit_cues` on the median prediction over each object's eroded mask,
:func:`evaluator.analyses.objects.estimate_objects`).
"""
from __future__ import annotations

import dataclasses
import json
import math
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from evaluator.training.card import write_card
from evaluator.models.checkpoint import LOG_FILE, WEIGHTS_FILE, save_weights
from evaluator.training.data import (REGION_IGNORE, REGION_OBJECT, REGION_ROAD, FrameData, load_frames,
                                     set_name, split_frames)
from evaluator.training.config import REFERENCE_NETWORKS, TrainingConfig, reference_for_spec
from evaluator.models.reference_network import DepthUNet, NetworkConfig, build_network, count_parameters, normalise
from scenes.reading import read_json
from scenes.errors import DepthprobeError, StimulusSetError
from scenes.progress import Progress, no_progress
from scenes.spec import StimulusSpec

#: Frames of the training split on which the card's final "train" metrics are computed.
TRAIN_METRIC_FRAMES = 200
#: Metrics reported per region in the log and the card.
LOGGED_METRICS = ("abs_rel", "rmse_log", "a1")


def train(set_dirs: Sequence[str | Path] | str | Path, out_dir: str | Path, *,
          config: TrainingConfig | None = None, name: str | None = None,
          epochs: float | None = None, batch_size: int | None = None, lr: float | None = None,
          seed: int | None = None, max_steps: int | None = None, device: str | None = None,
          progress: Progress | None = None, intended_use: str | None = None) -> dict[str, Any]:
    """Train a reference network on ``set_dirs`` and write it to ``out_dir``.

    :param set_dirs: one or more stimulus-set directories (frames at the network's input size).
    :param out_dir: created if needed; gets ``model.safetensors``, ``model_card.json``,
        ``model_card.md`` and ``training_log.jsonl``.
    :param config: all settings (default :class:`TrainingConfig`); the keyword arguments
        ``epochs``, ``batch_size``, ``lr``, ``seed``, ``max_steps`` override its fields.
    :param name: the network's name in its card and file metadata (default: the folder name
        of ``out_dir``, or its parent's when that is ``model``).
    :param device: torch device (None: CUDA when available, else CPU).
    :param progress: told ``("train", step, steps, "epoch E loss L")`` after each step and
        ``("epoch", step, steps, <log line>)`` after each epoch (:mod:`scenes.progress`).
    :param intended_use: a paragraph for the card.
    :returns: the model card (the content of ``model_card.json``).
    :raises StimulusSetError: a set is missing, damaged, or of the wrong image size.
    """
    from evaluator.models.device import resolve_device

    started = time.perf_counter()
    overrides = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed, "max_steps": max_steps}
    cfg = dataclasses.replace(config or TrainingConfig(), **{k: v for k, v in overrides.items() if v is not None})
    set_dirs = [set_dirs] if isinstance(set_dirs, (str, Path)) else set_dirs
    out = Path(out_dir)
    name = name or (out.parent.name if out.name == "model" else out.name)
    device = resolve_device(device)
    net_cfg = cfg.network

    data, sets = load_frames(set_dirs, net_cfg.input_size, cfg.limit_per_set)
    train_data, val_data = split_data(data, cfg)
    run = start_training(cfg, device, len(train_data))
    out.mkdir(parents=True, exist_ok=True)
    (out / LOG_FILE).unlink(missing_ok=True)
    step, history = run_epochs(run, train_data, val_data, cfg, out / LOG_FILE, progress or no_progress, started)

    network = run.network
    network.eval()
    train_eval_idx = np.random.default_rng(cfg.seed + 2).permutation(len(train_data))[:TRAIN_METRIC_FRAMES]
    final_train = evaluate_frames(network, train_data.subset(np.sort(train_eval_idx)), device,
                                  cfg.object_weight, batch_size=16)
    final_val = history[-1].get("validation") if history else None
    cue_fit = validation_cue_fit(network, val_data, sets, device) if len(val_data) else None
    seconds = time.perf_counter() - started
    weights = save_weights(out / WEIGHTS_FILE, network.cpu(), name=name, stored_dtype=cfg.stored_dtype)
    card = build_card(name=name, sets=sets, set_dirs=set_dirs, data=data, n_train=len(train_data),
                      n_val=len(val_data), cfg=cfg, network=network, weights=weights, steps=step,
                      steps_per_epoch=run.steps_per_epoch, seconds=seconds, device=device,
                      final_train=final_train, final_val=final_val, cue_fit=cue_fit,
                      intended_use=intended_use, precision=run.precision)
    write_card(out, card)
    return card


def split_data(data: FrameData, cfg: TrainingConfig) -> tuple[FrameData, FrameData]:
    """Step 1's split: (training, validation) frames, by frame (``val_fraction``, numpy Generator
    seeded with ``cfg.seed``).

    :raises StimulusSetError: no frame is left for training.
    """
    train_idx, val_idx = split_frames(len(data), cfg.val_fraction, np.random.default_rng(cfg.seed))
    if len(train_idx) == 0:
        raise StimulusSetError(f"no frames left for training ({len(data)} frame(s), val_fraction {cfg.val_fraction})")
    return data.subset(train_idx), data.subset(val_idx)


@dataclass
class TrainingRun:
    """What the optimisation loop works on (made by :func:`start_training`).

    :ivar generator: torch Generator (seed ``cfg.seed + 1``) that shuffles and flips the batches.
    :ivar precision: ``"float32"`` or ``"bfloat16"`` (:func:`resolve_precision`).
    :ivar drop_last, steps_per_epoch, total_steps: as :func:`plan_steps` gives them.
    """

    network: DepthUNet
    optimiser: Any
    scheduler: Any
    generator: torch.Generator
    precision: str
    drop_last: bool
    steps_per_epoch: int
    total_steps: int
    device: str


def start_training(cfg: TrainingConfig, device: str, n_train: int) -> TrainingRun:
    """Step 2 and the optimiser: the network initialised from ``cfg.seed`` (inside
    :func:`torch.random.fork_rng`: the caller's global torch RNG is left untouched), AdamW and
    the warm-up/cosine schedule over the steps ``n_train`` training frames give."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        network = build_network(cfg.network).to(device, memory_format=torch.channels_last)
    precision = resolve_precision(cfg.precision, device)
    generator = torch.Generator().manual_seed(cfg.seed + 1)
    optimiser = torch.optim.AdamW(network.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    drop_last, steps_per_epoch, total_steps = plan_steps(n_train, cfg)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, _schedule(total_steps, cfg))
    return TrainingRun(network, optimiser, scheduler, generator, precision, drop_last, steps_per_epoch, total_steps,
                       device)


def run_epochs(run: TrainingRun, train_data: FrameData, val_data: FrameData, cfg: TrainingConfig, log_path: Path,
               progress: Progress, started: float) -> tuple[int, list[dict[str, Any]]]:
    """Steps 3 and 4: epochs until ``run.total_steps`` optimiser steps, each followed by the
    validation loss and metrics, appended to ``log_path`` and told to ``progress``.

    :param started: :func:`time.perf_counter` when training began (the log's ``seconds``).
    :returns: (steps done, one record per epoch).
    """
    step, epoch, history, loss_ema = 0, 0, [], None
    while step < run.total_steps:
        run.network.train()
        step, epoch_loss, epoch_batches, loss_ema = train_epoch(
            run.network, run.optimiser, run.scheduler, train_data, cfg, run.generator, run.drop_last, run.device,
            run.precision, step, run.total_steps,
            lambda done, ema: progress("train", done, run.total_steps, f"epoch {epoch + 1} loss {ema:.4f}"), loss_ema)
        epoch += 1
        record = {"epoch": epoch, "step": step, "epochs_done": step / run.steps_per_epoch,
                  "train_loss": epoch_loss / max(epoch_batches, 1), "lr": run.scheduler.get_last_lr()[0],
                  "seconds": round(time.perf_counter() - started, 1)}
        if len(val_data):
            record["validation"] = evaluate_frames(run.network, val_data, run.device, cfg.object_weight, batch_size=16)
        history.append(record)
        append_log(log_path, record)
        progress("epoch", step, run.total_steps, epoch_line(record))
    return step, history


def plan_steps(n_train: int, cfg: TrainingConfig) -> tuple[bool, int, int]:
    """(drop the last partial batch?, optimiser steps per epoch, total steps) for ``n_train`` frames."""
    drop_last = n_train >= cfg.batch_size
    steps_per_epoch = n_train // cfg.batch_size if drop_last else math.ceil(n_train / cfg.batch_size)
    total_steps = max(1, int(math.ceil(cfg.epochs * steps_per_epoch)))
    if cfg.max_steps is not None:
        total_steps = min(total_steps, int(cfg.max_steps))
    return drop_last, steps_per_epoch, total_steps


def append_log(path: Path, record: dict[str, Any]) -> None:
    """Append one epoch record to the training log (one JSON line)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def train_epoch(network: DepthUNet, optimiser, scheduler, train_data: FrameData, cfg: TrainingConfig,
                generator: torch.Generator, drop_last: bool, device: str, precision: str, step: int,
                total_steps: int, on_step: Callable[[int, float], None],
                loss_ema: float | None) -> tuple[int, float, int, float | None]:
    """One pass over the shuffled training frames (stops early at ``total_steps``).

    :param on_step: called as ``on_step(step, loss_ema)`` after each optimiser step.
    :returns: (steps done so far, summed loss, batches, exponential moving average of the loss).
    """
    epoch_loss, epoch_batches = 0.0, 0
    for batch in train_data.batches(cfg.batch_size, generator, shuffle=True, flip=cfg.flip, drop_last=drop_last):
        x = normalise(batch.images.to(device), cfg.network).contiguous(memory_format=torch.channels_last)
        with _autocast(precision, device):
            pred_log = network.log_depth(x)
        loss = log_l1_loss(pred_log, batch.depth.to(device), batch.region.to(device), cfg.network, cfg.object_weight)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        scheduler.step()
        step += 1
        value = float(loss.detach())
        epoch_loss += value
        epoch_batches += 1
        loss_ema = value if loss_ema is None else 0.95 * loss_ema + 0.05 * value
        on_step(step, loss_ema)
        if step >= total_steps:
            break
    return step, epoch_loss, epoch_batches, loss_ema


def train_on_spec(spec: StimulusSpec, out_dir: str | Path, *, set_dir: str | Path | None = None,
                  **kwargs: Any) -> dict[str, Any]:
    """Train on the stimulus set already generated from a training spec.

    The set at ``set_dir`` (default ``out_dir/stimuli``, where ``depthprobe train`` renders it)
    must be finished (``manifest.json``) and made from ``spec`` (the same spec hash; for the
    ``--quick`` variant, pass that variant), so a model card never names the wrong distribution.
    The network goes to ``out_dir/model``.

    :param spec: the parsed training spec (:func:`scenes.spec.schema.load_spec`, parsed once by the caller).
    :param kwargs: passed on to :func:`train` (``config``, ``epochs``, ``max_steps``, ...).
    :raises DepthprobeError: missing or unfinished set, or a set of another spec.
    """
    from scenes.formats import MANIFEST

    out = Path(out_dir)
    stimuli = Path(set_dir) if set_dir is not None else out / "stimuli"
    manifest_path = stimuli / MANIFEST
    if not manifest_path.is_file():
        raise StimulusSetError(f"{stimuli}: no finished stimulus set (no {MANIFEST}); generate it first "
                               f"(depthprobe generate {spec.name} --out {stimuli})")
    manifest = read_json(manifest_path, StimulusSetError, "valid stimulus-set manifest")
    manifest = manifest if isinstance(manifest, dict) else {}
    if manifest.get("spec_hash") != spec.spec_hash():
        raise DepthprobeError(f"{stimuli}: made from spec hash {str(manifest.get('spec_hash'))[:12]}, "
                              f"not from {spec.name} ({spec.spec_hash()[:12]})")
    reference = reference_for_spec(spec.name)
    kwargs.setdefault("name", reference or spec.name.replace("_", "-"))
    if reference is not None:
        kwargs.setdefault("intended_use", REFERENCE_NETWORKS[reference]["intended_use"])
    return train([stimuli], out / "model", **kwargs)


def resolve_precision(requested: str, device: str) -> str:
    """``"float32"`` or ``"bfloat16"`` for the training steps (see TrainingConfig.precision)."""
    if requested != "auto":
        return requested
    if torch.device(device).type == "cpu":
        try:
            supported = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            supported = False
        return "bfloat16" if supported else "float32"
    return "float32"


def _autocast(precision: str, device: str):
    import contextlib

    if precision == "bfloat16":
        return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def log_l1_loss(pred_log: torch.Tensor, depth: torch.Tensor, region: torch.Tensor, net_cfg: NetworkConfig,
                object_weight: float) -> torch.Tensor:
    """Weighted mean of ``|pred_log - log(clamp(depth))|`` over pixels with finite depth (module doc)."""
    valid = region != REGION_IGNORE
    target = torch.log(torch.where(valid, depth, torch.ones_like(depth)).clamp(net_cfg.min_depth_m,
                                                                               net_cfg.max_depth_m))
    weight = valid.float() + (object_weight - 1.0) * (region == REGION_OBJECT).float()
    return (weight * (pred_log - target).abs()).sum() / weight.sum().clamp_min(1.0)


def _schedule(total_steps: int, cfg: TrainingConfig) -> Callable[[int], float]:
    warmup = int(round(cfg.warmup_fraction * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return 0.1 + 0.9 * step / max(warmup, 1)
        t = (step - warmup) / max(total_steps - warmup, 1)
        return cfg.final_lr_fraction + (1 - cfg.final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))

    return factor


def predict_frames(network: DepthUNet, data: FrameData, device: str, batch_size: int = 16):
    """Yield (batch, predicted depth numpy (B, H, W)) over ``data`` in order, eval mode."""
    network.eval()
    with torch.inference_mode():
        for batch in data.batches(batch_size):
            x = normalise(batch.images.to(device), network.config).contiguous(memory_format=torch.channels_last)
            depth = network(x)
            yield batch, depth[:, 0].float().cpu().numpy()


def evaluate_frames(network: DepthUNet, data: FrameData, device: str, object_weight: float,
                    batch_size: int = 16) -> dict[str, Any]:
    """Loss and metrics (mean over frames) per region on ``data``; see the module docstring."""
    from evaluator.analyses.metrics import frame_metrics
    from scenes.geometry import SEMANTIC_CLASSES

    rows, losses = [], []
    road = SEMANTIC_CLASSES["road"]
    for batch, pred in predict_frames(network, data, device, batch_size):
        pred_log = torch.log(torch.from_numpy(pred))[:, None]
        losses.append(float(log_l1_loss(pred_log, batch.depth, batch.region, network.config, object_weight))
                      * len(batch.index))
        for i, k in enumerate(batch.index.tolist()):
            region = batch.region[i, 0].numpy()
            semantic = np.where(region == REGION_ROAD, road, 0).astype(np.uint8)
            instances = (region == REGION_OBJECT).astype(np.int32)
            rows += frame_metrics(data.frame_ids[k], pred[i], batch.depth[i, 0].numpy(), semantic, instances)
    table = pd.DataFrame(rows)
    out: dict[str, Any] = {"loss": sum(losses) / max(len(data), 1), "n_frames": len(data)}
    for region in ("all", "road", "object"):
        part = table[table["region"] == region] if len(table) else table
        out[region] = ({m: float(part[m].mean()) for m in LOGGED_METRICS} | {"n_frames": int(len(part))}
                       if len(part) else None)
    return out


def validation_cue_fit(network: DepthUNet, val_data: FrameData, sets: list, device: str) -> dict[str, Any] | None:
    """Cue fit (evaluator.analyses.cue_fit) of the network's object estimates on the validation frames."""
    from evaluator.analyses.cue_fit import fit_cues
    from evaluator.analyses.objects import estimate_objects

    tables = {set_name(s): s for s in sets}
    rows = []
    for batch, pred in predict_frames(network, val_data, device):
        for i, k in enumerate(batch.index.tolist()):
            name, fid = val_data.frame_ids[k].split("/", 1)
            s = tables.get(name)
            if s is None or "z_vertical" not in s.objects or "z_size" not in s.objects:
                continue
            objs = s.objects[s.objects["frame_id"] == fid]
            if objs.empty:
                continue
            # the flip is never applied to validation frames, so the set's instance layer fits
            estimates = estimate_objects(pred[i], s.instances(fid), objs["object_id"].tolist())
            for (_, row), est in zip(objs.iterrows(), estimates):
                rows.append({"frame_id": val_data.frame_ids[k], "estimate_m": est.estimate_m,
                             "z_vertical": row["z_vertical"], "z_size": row["z_size"], "z_true": row["z_true"]})
    if not rows:
        return None
    table = pd.DataFrame(rows)
    fit = fit_cues(table).to_dict()
    ok = np.isfinite(table["estimate_m"]) & np.isfinite(table["z_true"]) & (table["z_true"] > 0)
    rel = (np.abs(table["estimate_m"] - table["z_true"]) / table["z_true"])[ok]
    return {"verdict": fit["verdict"], "verdict_text": fit["verdict_text"], "cues": fit["cues"],
            "difference_vertical_minus_size": fit["difference_vertical_minus_size"],
            "single_cue": fit["single_cue"], "cue_correlation": fit["cue_correlation"],
            "n_objects": fit["n_objects"], "object_abs_rel_median_estimate": float(rel.mean()) if len(rel) else None}


def build_card(*, name: str, sets: list, set_dirs: Sequence, data: FrameData, n_train: int, n_val: int,
               cfg: TrainingConfig, network: DepthUNet, weights: Path, steps: int, steps_per_epoch: int,
               seconds: float, device: str, final_train: dict, final_val: dict | None,
               cue_fit: dict | None, intended_use: str | None, precision: str) -> dict[str, Any]:
    """The model card (see :mod:`evaluator.training.card`)."""
    import safetensors

    from scenes.versioning import code_version

    versions = code_version()
    set_entries = []
    for s, d in zip(sets, set_dirs):
        spec = s.manifest.get("spec") or {}
        n = sum(1 for fid in data.frame_ids if fid.split("/", 1)[0] == set_name(s))
        set_entries.append({"name": set_name(s), "spec_hash": s.manifest.get("spec_hash"),
                            "seed": s.manifest.get("seed"), "path": str(Path(d).resolve()), "n_frames": n,
                            "camera": spec.get("camera"), "render": spec.get("render"),
                            "world_variants": [v.get("name") for v in (spec.get("world") or {}).get("variants", [])],
                            "experiment": spec.get("experiment")})
    net_cfg = network.config
    return {
        "name": name,
        "intended_use": intended_use,
        "training_data": {"sets": set_entries,
                          "split": {"by": "frame", "seed": cfg.seed, "n_train": n_train, "n_validation": n_val}},
        "architecture": {"network_config": net_cfg.to_dict(), "n_parameters": count_parameters(network),
                         "input_size": list(net_cfg.input_size),
                         "normalisation": {"mean": list(net_cfg.mean), "std": list(net_cfg.std),
                                           "on": "RGB scaled to [0, 1]"},
                         "output": (f"metric z-depth in metres (output kind metric_depth), "
                                    f"{net_cfg.min_depth_m} ... {net_cfg.max_depth_m} m"),
                         "weights_file": WEIGHTS_FILE, "weights_bytes": weights.stat().st_size,
                         "stored_dtype": cfg.stored_dtype},
        "training": {"config": cfg.to_dict(), "epochs_done": steps / max(steps_per_epoch, 1), "steps": steps,
                     "steps_per_epoch": steps_per_epoch,
                     "loss": (f"L1 on log depth over pixels with finite true depth (clamped to "
                              f"{net_cfg.min_depth_m}...{net_cfg.max_depth_m} m), object pixels weighted "
                              f"{cfg.object_weight}"),
                     "optimiser": "AdamW, linear warm-up then cosine decay",
                     "augmentation": "random horizontal flip" if cfg.flip else "none",
                     "precision": precision, "seconds": round(seconds, 1), "device": device, "threads": torch.get_num_threads(),
                     "torch_version": torch.__version__, "safetensors_version": safetensors.__version__,
                     "platform": platform.platform(), "cpu": platform.processor() or platform.machine()},
        "metrics": {"train": final_train, "validation": final_val,
                    "definitions": ("evaluator.analyses.metrics.frame_metrics (monodepth2 compute_errors), mean over "
                                    "frames, true depth <= 80 m; a1 = fraction with max(gt/pred, pred/gt) < 1.25")},
        "validation_cue_fit": cue_fit,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "depthprobe_version": versions.get("depthprobe_version"),
        "git_commit": versions.get("git_commit"),
    }


def epoch_line(record: dict) -> str:
    """One log line for an epoch record."""
    text = f"epoch {record['epoch']} step {record['step']}: train loss {record['train_loss']:.4f}"
    val = record.get("validation")
    if val:
        text += f", val loss {val['loss']:.4f}"
        for region in ("all", "road", "object"):
            m = val.get(region)
            if m:
                text += f"; {region} AbsRel {m['abs_rel']:.3f} RMSElog {m['rmse_log']:.3f} d1 {m['a1']:.3f}"
    return text + f" ({record['seconds']:.0f} s)"
