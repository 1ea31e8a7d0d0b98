"""Model cards of the reference networks: ``model_card.json`` (data) and ``model_card.md`` (prose).

The JSON card is what :func:`evaluator.training.train` returns; its keys:

* ``name``, ``created_utc``, ``depthprobe_version``, ``git_commit``;
* ``training_data``: per stimulus set its name, spec hash, seed, path, number of frames, the
  experiment block of its spec (the distribution of camera poses, distances, scales,
  elevations) and the split (frames for training and validation, the split seed);
* ``architecture``: the network config, parameter count, input size (height, width),
  normalisation, output (metric z-depth in metres), weights file, its size and stored dtype;
* ``training``: the :class:`~evaluator.training.config.TrainingConfig` used, epochs and steps
  done, the loss, seconds, device, torch and safetensors versions, threads;
* ``metrics``: final ``train`` (a subset of training frames) and ``validation`` metrics per
  region (``all``, ``road``, ``object``): Abs Rel, RMSE log, delta < 1.25 (mean over frames,
  ground truth capped at 80 m as in :mod:`evaluator.analyses.metrics`), plus the loss;
* ``validation_cue_fit``: the cue fit (:func:`evaluator.analyses.cue_fit.fit_cues`) on the validation
  frames' objects -- on the training distribution, which cue tracks the predictions;
* ``intended_use``: one paragraph.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scenes.storage import atomic_write_bytes
from evaluator.models.checkpoint import CARD_JSON, CARD_MD, LOG_FILE, WEIGHTS_FILE


def write_card(folder: str | Path, card: dict[str, Any]) -> None:
    """Write ``model_card.json`` and ``model_card.md`` into ``folder`` (atomically)."""
    folder = Path(folder)
    text = json.dumps(card, indent=2, sort_keys=False, allow_nan=False, default=_plain) + "\n"
    atomic_write_bytes(folder / CARD_JSON, text.encode("utf-8"))
    atomic_write_bytes(folder / CARD_MD, card_markdown(card).encode("utf-8"))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def card_markdown(card: dict[str, Any]) -> str:
    """The card as Markdown for a person."""
    arch = card["architecture"]
    tr = card["training"]
    lines = [f"# Reference network `{card['name']}`", ""]
    if card.get("intended_use"):
        lines += [card["intended_use"], ""]
    lines += ["## Training data", ""]
    for s in card["training_data"]["sets"]:
        lines.append(f"- stimulus set `{s['name']}` (spec hash `{str(s['spec_hash'])[:12]}`, seed {s['seed']}): "
                     f"{s['n_frames']} frames at {arch['input_size'][1]}x{arch['input_size'][0]} px")
        exp = s.get("experiment") or {}
        if exp:
            lines.append("  - distribution: " + ", ".join(f"{k} {_short(v)}" for k, v in exp.items()
                                                      if v is not None and k != "max_attempts"))
    split = card["training_data"]["split"]
    lines += [f"- split by frame (seed {split['seed']}): {split['n_train']} training, "
              f"{split['n_validation']} validation frames", "", "## Architecture", "",
              f"- {arch['network_config']['architecture']}: channels {arch['network_config']['channels']}, "
              f"{arch['n_parameters']:,} parameters",
              f"- input: RGB {arch['input_size'][1]} px wide x {arch['input_size'][0]} px high (the evaluator resizes "
              f"stimuli to it), scaled to [0, 1] then normalised (x - {arch['normalisation']['mean']}) / "
              f"{arch['normalisation']['std']}",
              f"- output: {arch['output']}",
              f"- weights: `{arch['weights_file']}` ({arch['weights_bytes'] / 1e6:.2f} MB, {arch['stored_dtype']}, "
              "safetensors)", "", "## Training", "",
              f"- {tr['epochs_done']:.2f} epochs, {tr['steps']} steps of batch {tr['config']['batch_size']}, "
              f"AdamW lr {tr['config']['lr']} (cosine), weight decay {tr['config']['weight_decay']}",
              f"- loss: {tr['loss']}",
              f"- augmentation: {tr['augmentation']}",
              f"- {tr['seconds'] / 60:.1f} min on {tr['device']} ({tr['threads']} threads, {tr.get('precision', 'float32')} "
              f"steps), torch {tr['torch_version']}",
              "", "## Metrics (mean over frames, true depth <= 80 m)", "",
              "| split | region | Abs Rel | RMSE log | δ<1.25 |", "|---|---|---|---|---|"]
    for split_name, region, m in _region_metrics(card, ("all", "road", "object")):
        lines.append(f"| {split_name} | {region} | {_fmt(m['abs_rel'])} | {_fmt(m['rmse_log'])} | "
                     f"{_fmt(m['a1'])} |")
    cue = card.get("validation_cue_fit")
    if cue:
        lines += ["", "## Cue fit on the validation frames (training distribution)", "", cue.get("verdict_text", "")]
    lines += ["", f"Created {card.get('created_utc')} with depthprobe {card.get('depthprobe_version')} "
              f"(commit {card.get('git_commit')}).", ""]
    return "\n".join(lines)


def _region_metrics(card: dict[str, Any], regions: tuple[str, ...]):
    """``(split, region, metrics)`` for the train and validation splits and each of ``regions``
    that the card has metrics for, in that order."""
    for split_name in ("train", "validation"):
        measured = (card.get("metrics") or {}).get(split_name) or {}
        for region in regions:
            if measured.get(region):
                yield split_name, region, measured[region]


def _short(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"min", "max"}:
        return f"{value['min']}...{value['max']}"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def card_lines(card: dict[str, Any], model_dir: Path) -> list[str]:
    """Terminal lines for a person (``depthprobe train``): where the network is, how long it took,
    its metrics with their frame counts and the validation cue fit; :func:`card_markdown` is the
    card's full text."""
    tr, split = card["training"], card["training_data"]["split"]
    lines = [f"network {card['name']}: {model_dir}/ ({WEIGHTS_FILE}, {CARD_MD}, {LOG_FILE})",
             f"trained {tr['steps']} steps in {tr['seconds'] / 60:.1f} min on {tr['device']}; "
             f"{split['n_train']} training, {split['n_validation']} validation frames"]
    for split_name, region, m in _region_metrics(card, ("road", "object")):
        lines.append(f"  {split_name} {region}: Abs Rel {m['abs_rel']:.3f}, delta<1.25 {m['a1']:.3f} "
                     f"(mean over {m['n_frames']} frames)")
    cue_fit = card.get("validation_cue_fit")
    if cue_fit:
        lines.append(f"  cue fit on the validation frames: {cue_fit['verdict_text']}")
    return lines
