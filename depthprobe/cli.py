"""The ``depthprobe`` command: validate, generate, evaluate, report, train, sheet, models, demo.

Every user mistake (bad spec, missing file, unknown model) is printed as one line starting
with ``error:`` and the command exits with code 2; nothing already written is touched.
``generator`` (bpy) and ``evaluator`` (torch) are imported only by the commands that need
them, so a machine without Blender can still validate and evaluate.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import click
import typer
from typer.core import TyperGroup
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from scenes.catalog import default_catalog
from scenes.describe import describe_design
from scenes.design import FramePlan, expand, select_frames
from scenes.errors import DepthprobeError
from scenes.progress import Progress
from scenes.spec import StimulusSpec, load_spec, quick_spec

DEMO_SPEC = "position_vs_size"
#: The demo's model: the shipped reference network trained with a KITTI-like fixed camera
#: (evaluator/weights/ref-fixed-camera); ``--model flat-road`` gives the geometric baseline.
DEMO_MODEL = "ref-fixed-camera"
#: Exit code of every user mistake (bad spec, missing file, unknown model), as click's usage errors.
USER_ERROR_EXIT = 2

out_console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


class Commands(TyperGroup):
    """The command group: the one place where a :class:`DepthprobeError` becomes ``error: ...``
    on stderr and exit code 2 (no traceback for a user's mistake)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DepthprobeError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=USER_ERROR_EXIT) from None


app = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=True,
                  help="Controlled 3D road stimuli with exact depth, and which cue a depth network uses.")


def say(line: str, err: bool = False) -> None:
    """One line for a person (stdout, or stderr with ``err``), printed as is (no markup)."""
    (err_console if err else out_console).print(line, markup=False, highlight=False)


def load_spec_arg(spec_arg: str, quick: bool) -> StimulusSpec:
    """The spec named on the command line (a file or preset), parsed once; its --quick variant."""
    spec = load_spec(spec_arg)
    return quick_spec(spec) if quick else spec


@app.command()
def validate(spec: str = typer.Argument(..., help="spec YAML file or built-in preset name"),
             quick: bool = typer.Option(False, "--quick", help="check the --quick variant (<= 320 px, <= 8 samples)"),
             preview: bool = typer.Option(False, "--preview",
                                          help="ray-cast every frame (open3d, no Blender): objects out of frame, "
                                               "occluded, overlapping; write a contact sheet of preview depth"),
             sheet: Optional[Path] = typer.Option(None, "--sheet", help="contact sheet PNG (default: SPECNAME-preview.png)")) -> None:
    """Check a spec (schema and geometry) and print its design: factors, levels, frame count."""
    resolved = load_spec_arg(spec, quick)
    frames = expand(resolved, default_catalog())
    for line in describe_design(resolved, frames):
        say(line)
    if preview:
        run_design_preview(resolved, frames, sheet or Path(f"{resolved.name}-preview.png"))
    out_console.print("valid", style="green")


def run_design_preview(spec: StimulusSpec, frames: list[FramePlan], sheet: Path) -> None:
    """Preview every frame's exact geometry; DepthprobeError (exit 2) when issues are not allowed."""
    from scenes.preview import run_preview  # imports open3d

    with progress_bar("previewing") as progress:
        lines, issues = run_preview(spec, default_catalog(), sheet, allow_issues=spec.checks.allow_issues,
                                    occlusion_threshold=spec.checks.occlusion_threshold, plans=frames,
                                    progress=progress)
    for line in lines:
        say(line)
    if issues and not spec.checks.allow_issues:
        raise DepthprobeError(f"{spec.name}: {len(issues)} preview issue(s) in "
                              f"{len({i.frame_id for i in issues})} frame(s), first: {issues[0].line()}; "
                              f"contact sheet {sheet}; set checks.allow_issues: true to accept them")


@contextmanager
def progress_bar(description: str) -> Iterator[Progress]:
    """A rich progress bar on stderr, handed out as the one progress protocol
    (:class:`scenes.progress.Progress`); a stage ``"epoch"`` prints its item as a log line."""
    bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       TimeRemainingColumn(), TextColumn("{task.fields[item]}"), console=err_console)
    task = bar.add_task(description, total=None, item="")

    def report(stage: str, done: int, total: int, item: str = "") -> None:
        if stage == "epoch":
            bar.console.print(item, markup=False, highlight=False)
        else:
            bar.update(task, completed=done, total=total, item=item)

    with bar:
        yield report


def run_generate(spec: StimulusSpec, out: Path, limit: Optional[int], resume: bool) -> Path:
    """Generate a stimulus set with a progress bar; return its directory (DepthprobeError on bad input)."""
    from generator.generate import generate  # imports bpy lazily, at first render

    frames = select_frames(expand(spec, default_catalog()), limit)
    for line in describe_design(spec, frames):
        say(line, err=True)
    with progress_bar("rendering") as progress:
        result = generate(spec, out, resume=resume, progress=progress, plans=frames)
    say(f"stimulus set: {result.out} ({result.n_frames} frames: {result.n_rendered} rendered, "
        f"{result.n_reused} reused; {result.seconds:.0f} s)")
    return result.out


@app.command()
def generate(spec: str = typer.Argument(..., help="spec YAML file or built-in preset name"),
             out: Path = typer.Option(..., "--out", help="output directory of the stimulus set"),
             limit: Optional[int] = typer.Option(None, "--limit", help="render at most N frames, spread over the design"),
             quick: bool = typer.Option(False, "--quick", help="small and fast: <= 320 px wide, <= 8 samples"),
             resume: bool = typer.Option(False, "--resume", help="continue: redo only missing or damaged frames")) -> None:
    """Render a stimulus set with BlenderProc (RGB, exact depth, instance and semantic maps, tables)."""
    run_generate(load_spec_arg(spec, quick), out, limit, resume)


def run_evaluate(set_dir: Path, model: Optional[str], out: Path, batch_size: int, device: Optional[str],
                 alignment: Optional[str], statistic: str = "median", seed: int = 0,
                 reuse_predictions: bool = False) -> dict:
    """Evaluate a model on a stimulus set (or rerun the analyses on its stored predictions) and
    print the verdict lines; return the summary."""
    from evaluator.pipeline.evaluate import analyse_predictions, evaluate_set

    if reuse_predictions:
        if model is not None or alignment is not None:
            raise DepthprobeError("--reuse-predictions: the stored predictions carry their model and alignment; "
                                  "leave out --model and --alignment")
        summary = analyse_predictions(set_dir, out, statistic=statistic, seed=seed)
    else:
        if model is None:
            raise DepthprobeError("--model: missing (or give --reuse-predictions to rerun the analyses of OUT)")
        summary = evaluate_set(set_dir, model, out, batch_size=batch_size, device=device, alignment=alignment,
                               statistic=statistic, seed=seed)
    print_summary(summary)
    return summary


def print_summary(summary: dict) -> None:
    """The summary's lines for a person, on stdout."""
    from evaluator.results.report import format_summary

    for line in format_summary(summary):
        say(line)


@app.command()
def evaluate(set_dir: Path = typer.Argument(..., help="stimulus-set directory"),
             model: Optional[str] = typer.Option(None, "--model", help="built-in name (see `depthprobe models`), "
                                                 "hf:<id-or-folder>, monodepth2:<folder>, hub:<folder>:<entrypoint> "
                                                 "or module:callable; options as NAME?kind=disparity,size=192x640"),
             out: Path = typer.Option(..., "--out", help="output directory for results"),
             batch_size: int = typer.Option(8, "--batch-size", min=1, help="frames per forward pass"),
             device: Optional[str] = typer.Option(None, "--device", help="cuda, cpu, ... (default: cuda if available)"),
             alignment: Optional[str] = typer.Option(None, "--alignment",
                                                     help="none | median | lstsq (default: by the model's output kind)"),
             statistic: str = typer.Option("median", "--statistic",
                                           help="per-object estimate over its eroded mask: median | mean (the paper's)"),
             seed: int = typer.Option(0, "--seed", help="seed of the alignment's pixel sample and the bootstraps"),
             reuse_predictions: bool = typer.Option(False, "--reuse-predictions",
                                                    help="no model: rerun every analysis on OUT/predictions of an "
                                                         "earlier run on this set")) -> None:
    """Run a depth model on a stimulus set and fit which cue explains its object distances."""
    run_evaluate(set_dir, model, out, batch_size, device, alignment, statistic, seed, reuse_predictions)


@app.command()
def report(results_dir: Path = typer.Argument(..., help="the --out folder of an earlier evaluate"),
           figures: bool = typer.Option(False, "--figures", help="also draw the figures (PNG) into DIR/figures/")) -> None:
    """Print the verdict, intervals and counts of an earlier evaluation (its summary.json)."""
    from evaluator.results.format import read_results

    results = read_results(results_dir)
    print_summary(results.summary)
    if figures:
        run_figures(results)


def run_figures(results) -> None:
    """Draw the figures of an opened results folder and print where they are."""
    from evaluator.results.figures import write_figures

    for path in write_figures(results):
        say(f"figure: {path}")


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
    set_dir = run_generate(spec, out / "stimuli", limit, resume=True)
    with progress_bar("training") as progress:
        card = train_on_spec(spec, out, set_dir=set_dir, config=config, device=device, progress=progress)
    for line in card_lines(card, out / "model"):
        say(line)
    return card


@app.command()
def train(spec: str = typer.Argument(..., help="training spec YAML or preset name, e.g. training/ref_fixed_camera"),
          out: Path = typer.Option(..., "--out", help="folder: OUT/stimuli (the rendered set), OUT/model (the network)"),
          limit: Optional[int] = typer.Option(None, "--limit", help="render and train on at most N frames"),
          quick: bool = typer.Option(False, "--quick", help="the spec's --quick variant (<= 320 px, <= 8 samples)"),
          epochs: Optional[float] = typer.Option(None, "--epochs", help="passes over the training frames (default 30)"),
          max_steps: Optional[int] = typer.Option(None, "--max-steps", help="stop after N optimiser steps"),
          batch_size: Optional[int] = typer.Option(None, "--batch-size", help="frames per step (default 8)"),
          seed: Optional[int] = typer.Option(None, "--seed", help="initialisation, split and shuffling seed (default 0)"),
          device: Optional[str] = typer.Option(None, "--device", help="cuda, cpu, ... (default: cuda if available)")) -> None:
    """Render a training set (resumable) and train a reference depth network on it (safetensors + model card)."""
    run_train(load_spec_arg(spec, quick), out, limit, epochs, max_steps, batch_size, seed, device)


@app.command()
def sheet(set_dir: Path = typer.Argument(..., help="stimulus-set directory"),
          out: Path = typer.Option(..., "--out", help="PNG file to write"),
          limit: Optional[int] = typer.Option(12, "--limit", help="at most N frames, spread over the set"),
          columns: int = typer.Option(3, "--columns", min=1)) -> None:
    """Write a contact sheet (PNG grid of RGB frames with their ids) of a stimulus set."""
    from scenes.contact_sheet import spread, write_rgb_sheet
    from scenes.stimulus_set import open_stimulus_set

    stimulus_set = open_stimulus_set(set_dir)
    path = write_rgb_sheet(stimulus_set, out, spread(stimulus_set.frame_ids, limit), columns)
    say(f"contact sheet: {path}")


@app.command()
def models() -> None:
    """List the built-in models (any module:callable works too)."""
    from evaluator.models.registry import BUILTIN_MODELS, available_models, prefix_forms

    for name in available_models():
        say(f"{name}  ({BUILTIN_MODELS[name]})")
    for form in prefix_forms().values():
        say(form)
    say("module:callable  any function: uint8 (N, H, W, 3) -> depth (N, H, W) (README, 'Adding a model')")


@app.command()
def demo(out: Path = typer.Option(Path("depthprobe-demo"), "--out", help="folder for the set and the results"),
         model: str = typer.Option(DEMO_MODEL, "--model", help="model to evaluate"),
         full: bool = typer.Option(False, "--full", help="render at the preset's full size (640x192, 16 samples)")) -> None:
    """Render the position-vs-size experiment, evaluate the default model, print the verdict."""
    from evaluator.results.format import read_results

    start = time.perf_counter()
    set_dir = run_generate(load_spec_arg(DEMO_SPEC, not full), out / ("stimuli-full" if full else "stimuli-quick"),
                           None, resume=True)
    run_evaluate(set_dir, model, out / "results", 8, None, None)
    run_figures(read_results(out / "results"))
    say(f"demo finished in {time.perf_counter() - start:.0f} s; outputs in {out}/")


def main() -> None:
    """Console-script entry point.

    The current directory goes on ``sys.path`` (as with ``python -m``), so that
    ``--model mymodule:predict`` finds a module next to where the command is run.
    """
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if "blenderproc" in sys.modules:  # see generator.blenderproc_runtime.exit_process
        from generator.blenderproc_runtime import exit_process

        exit_process(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
