"""``depthprobe train``: render a training set (resumable) and train a reference network on it.
The generator (Blender) and the trainer (torch) are imported inside the command."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from depthprobe._cli.common import TORCH_DEVICE_HELP, load_spec_arg
from depthprobe.console import progress_bar, say
from scenes.spec import StimulusSpec


def run_train(spec: StimulusSpec, out: Path, limit: Optional[int], epochs: Optional[float],
              max_steps: Optional[int], batch_size: Optional[int], seed: Optional[int],
              device: Optional[str]) -> dict:
    """Render (or resume) the training set into ``OUT/stimuli``, train into ``OUT/model``; return the card."""
    import dataclasses

    from evaluator.training import TrainingConfig
    from evaluator.training.card import card_lines
    from evaluator.training.config import check_frame_size
    from evaluator.training.trainer import train_on_spec

    overrides = {k: v for k, v in (("epochs", epochs), ("max_steps", max_steps), ("batch_size", batch_size),
                                   ("seed", seed)) if v is not None}
    config = dataclasses.replace(TrainingConfig(), **overrides)  # a bad value fails here, before rendering
    check_frame_size(spec.name, spec.camera.width, spec.camera.height, config.network)
    from depthprobe.rendering import run_generate

    set_dir = run_generate(spec, out / "stimuli", limit, resume=True)
    with progress_bar("training") as progress:
        card = train_on_spec(spec, out, set_dir=set_dir, config=config, device=device, progress=progress)
    for line in card_lines(card, out / "model"):
        say(line)
    return card


def train(spec: str = typer.Argument(..., help="training spec YAML or preset name, e.g. training/ref_fixed_camera"),
          out: Path = typer.Option(..., "--out", help="folder: OUT/stimuli (the rendered set), OUT/model (the network)"),
          limit: Optional[int] = typer.Option(None, "--limit", help="render and train on at most N frames"),
          quick: bool = typer.Option(False, "--quick", help="the spec's --quick variant (<= 320 px, <= 8 samples)"),
          epochs: Optional[float] = typer.Option(None, "--epochs", help="passes over the training frames (default 30)"),
          max_steps: Optional[int] = typer.Option(None, "--max-steps", help="stop after N optimiser steps"),
          batch_size: Optional[int] = typer.Option(None, "--batch-size", help="frames per step (default 8)"),
          seed: Optional[int] = typer.Option(None, "--seed", help="initialisation, split and shuffling seed (default 0)"),
          device: Optional[str] = typer.Option(None, "--device", help=TORCH_DEVICE_HELP)) -> None:
    """Render a training set (resumable) and train a reference depth network on it (safetensors + model card)."""
    run_train(load_spec_arg(spec, quick), out, limit, epochs, max_steps, batch_size, seed, device)
