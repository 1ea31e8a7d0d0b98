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
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from scenes.catalog import default_catalog
from scenes.design import FramePlan, expand, select_frames
from scenes.errors import DepthprobeError
from scenes.spec import StimulusSpec, load_spec, quick_spec

#: Measured on a 2-core CPU (Cycles, no denoiser): seconds per frame per (megapixel x sample),
#: from 640x192 at 16 samples taking about 1.5 s in our road world.  Only for estimates.
SECONDS_PER_MEGAPIXEL_SAMPLE = 1.5 / (640 * 192 / 1e6 * 16)
DEMO_SPEC = "position_vs_size"
#: The demo's model: the shipped reference network trained with a KITTI-like fixed camera
#: (evaluator/weights/ref-fixed-camera); ``--model flat-road`` gives the geometric baseline.
DEMO_MODEL = "ref-fixed-camera"

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Controlled 3D road stimuli with exact depth, and which cue a depth network uses.")
out_console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> None:
    """Print a one-line error and exit with code 2."""
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _load(spec_arg: str, quick: bool) -> StimulusSpec:
    spec = load_spec(spec_arg)
    return quick_spec(spec) if quick else spec


def estimate_seconds(spec: StimulusSpec, n_frames: int) -> float:
    """Rough render time on a 2-core CPU, seconds (see SECONDS_PER_MEGAPIXEL_SAMPLE)."""
    per_frame = SECONDS_PER_MEGAPIXEL_SAMPLE * spec.camera.width * spec.camera.height / 1e6 * spec.render.samples
    per_frame = max(per_frame, 0.3) * (2.0 if spec.render.counterfactual else 1.0)
    return per_frame * n_frames


def describe_design(spec: StimulusSpec, frames: list[FramePlan]) -> list[str]:
    """Human lines: the factors with their levels, the frame count and the render estimate."""
    lines = [f"spec {spec.name} v{spec.version} (seed {spec.seed}, hash {spec.spec_hash()[:12]})",
             f"experiment: {spec.experiment.kind}"]
    factor_names = list(frames[0].factors) if frames else []
    for name in factor_names:
        levels = Counter(str(f.factors[name]) for f in frames)
        shown = ", ".join(list(levels)[:8]) + (f", ... ({len(levels)} levels)" if len(levels) > 8 else "")
        lines.append(f"  factor {name}: {shown}")
    cam = spec.camera
    lines.append(f"camera: {cam.width}x{cam.height} px, height {cam.height_m} m, pitch {cam.pitch_deg} deg, "
                 f"roll {cam.roll_deg} deg; render: {spec.render.samples} samples"
                 f"{', denoised' if spec.render.denoise else ''}"
                 f"{', with counterfactual frames' if spec.render.counterfactual else ''}")
    renders = len({f.render_id for f in frames})
    minutes = estimate_seconds(spec, renders) / 60
    lines.append(f"frames: {len(frames)} ({renders} renders); objects: {sum(len(f.objects) for f in frames)}; "
                 f"estimated render time on 2 CPU cores: {minutes:.1f} min")
    return lines


@app.command()
def validate(spec: str = typer.Argument(..., help="spec YAML file or built-in preset name"),
             quick: bool = typer.Option(False, "--quick", help="check the --quick variant (<= 320 px, <= 8 samples)"),
             preview: bool = typer.Option(False, "--preview",
                                          help="ray-cast every frame (open3d, no Blender): objects out of frame, "
                                               "occluded, overlapping; write a contact sheet of preview depth"),
             sheet: Optional[Path] = typer.Option(None, "--sheet", help="contact sheet PNG (default: SPECNAME-preview.png)")) -> None:
    """Check a spec (schema and geometry) and print its design: factors, levels, frame count."""
    try:
        resolved = _load(spec, quick)
        frames = expand(resolved, default_catalog())
        for line in describe_design(resolved, frames):
            out_console.print(line, markup=False, highlight=False)
        if preview:
            run_design_preview(resolved, frames, sheet or Path(f"{resolved.name}-preview.png"))
    except DepthprobeError as exc:
        fail(str(exc))
    out_console.print("valid", style="green")


def run_design_preview(spec: StimulusSpec, frames: list[FramePlan], sheet: Path) -> None:
    """Preview every frame's exact geometry; DepthprobeError (exit 2) when issues are not allowed."""
    from scenes.preview import run_preview  # imports open3d

    with _progress_bar() as bar:
        task = bar.add_task("previewing", total=len(frames), item="")
        lines, issues = run_preview(spec, default_catalog(), sheet, allow_issues=spec.checks.allow_issues,
                                    occlusion_threshold=spec.checks.occlusion_threshold, plans=frames,
                                    progress=lambda done, total, item="": bar.update(task, completed=done, total=total))
    for line in lines:
        out_console.print(line, markup=False, highlight=False)
    if issues and not spec.checks.allow_issues:
        raise DepthprobeError(f"{spec.name}: {len(issues)} preview issue(s) in "
                              f"{len({i.frame_id for i in issues})} frame(s), first: {issues[0].line()}; "
                              f"contact sheet {sheet}; set checks.allow_issues: true to accept them")


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), TextColumn("{task.fields[item]}"), console=err_console)


def run_generate(spec_arg: str, out: Path, limit: Optional[int], quick: bool, resume: bool) -> Path:
    """Generate a stimulus set with a progress bar; return its directory (DepthprobeError on bad input)."""
    from generator.generate import generate  # imports bpy lazily, at first render

    resolved = _load(spec_arg, quick)
    frames = select_frames(expand(resolved, default_catalog()), limit)
    for line in describe_design(resolved, frames):
        err_console.print(line, markup=False, highlight=False)
    with _progress_bar() as bar:
        task = bar.add_task("rendering", total=len(frames), item="")

        def report(done: int, total: int, item: str) -> None:
            bar.update(task, completed=done, total=total, item=item)

        result = generate(resolved, out, limit=limit, resume=resume, progress=report)
    out_console.print(f"stimulus set: {result.out} ({result.n_frames} frames: {result.n_rendered} rendered, "
                      f"{result.n_reused} reused; {result.seconds:.0f} s)", markup=False, highlight=False)
    return result.out


@app.command()
def generate(spec: str = typer.Argument(..., help="spec YAML file or built-in preset name"),
             out: Path = typer.Option(..., "--out", help="output directory of the stimulus set"),
             limit: Optional[int] = typer.Option(None, "--limit", help="render at most N frames, spread over the design"),
             quick: bool = typer.Option(False, "--quick", help="small and fast: <= 320 px wide, <= 8 samples"),
             resume: bool = typer.Option(False, "--resume", help="continue: redo only missing or damaged frames")) -> None:
    """Render a stimulus set with BlenderProc (RGB, exact depth, instance and semantic maps, tables)."""
    try:
        run_generate(spec, out, limit, quick, resume)
    except DepthprobeError as exc:
        fail(str(exc))


def run_evaluate(set_dir: Path, model: Optional[str], out: Path, batch_size: int, device: Optional[str],
                 alignment: Optional[str], statistic: str = "median", seed: int = 0,
                 reuse_predictions: bool = False) -> dict:
    """Evaluate a model on a stimulus set (or rerun the analyses on its stored predictions) and
    print the verdict lines; return the summary."""
    from evaluator.run import analyse_predictions, evaluate_set

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
    from evaluator.report import format_summary

    for line in format_summary(summary):
        out_console.print(line, markup=False, highlight=False)


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
    try:
        run_evaluate(set_dir, model, out, batch_size, device, alignment, statistic, seed, reuse_predictions)
    except DepthprobeError as exc:
        fail(str(exc))


@app.command()
def report(results_dir: Path = typer.Argument(..., help="the --out folder of an earlier evaluate"),
           figures: bool = typer.Option(False, "--figures", help="also draw the figures (PNG) into DIR/figures/")) -> None:
    """Print the verdict, intervals and counts of an earlier evaluation (its summary.json)."""
    from evaluator.figures import read_summary

    try:
        summary = read_summary(results_dir)
    except DepthprobeError as exc:
        fail(str(exc))
    try:
        print_summary(summary)
    except (KeyError, TypeError, ValueError) as exc:
        fail(f"{results_dir / 'summary.json'}: not a depthprobe summary (missing or bad field {exc})")
    if figures:
        run_figures(results_dir, summary)


def run_figures(results_dir: Path, summary: Optional[dict] = None) -> None:
    """Draw the figures of a results folder and print where they are (DepthprobeError: exit 2)."""
    from evaluator.figures import write_figures

    try:
        paths = write_figures(results_dir, summary)
    except DepthprobeError as exc:
        fail(str(exc))
    for path in paths:
        out_console.print(f"figure: {path}", markup=False, highlight=False)


def run_train(spec_arg: str, out: Path, limit: Optional[int], quick: bool, epochs: Optional[float],
              max_steps: Optional[int], batch_size: Optional[int], seed: Optional[int],
              device: Optional[str]) -> dict:
    """Render (or resume) the training set into ``OUT/stimuli``, train into ``OUT/model``; return the card."""
    import dataclasses

    from evaluator.training import TrainingConfig
    from evaluator.training.card import card_lines
    from evaluator.training.config import check_frame_size
    from evaluator.training.trainer import train_from_spec

    overrides = {k: v for k, v in (("epochs", epochs), ("max_steps", max_steps), ("batch_size", batch_size),
                                   ("seed", seed)) if v is not None}
    config = dataclasses.replace(TrainingConfig(), **overrides)  # a bad value fails here, before rendering
    spec = _load(spec_arg, quick)
    check_frame_size(spec.name, spec.camera.width, spec.camera.height, config.network)
    set_dir = run_generate(spec_arg, out / "stimuli", limit, quick, resume=True)
    card = train_from_spec(spec_arg, out, set_dir=set_dir, quick=quick, config=config, device=device)
    for line in card_lines(card, out / "model"):
        out_console.print(line, markup=False, highlight=False)
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
    try:
        run_train(spec, out, limit, quick, epochs, max_steps, batch_size, seed, device)
    except DepthprobeError as exc:
        fail(str(exc))


@app.command()
def sheet(set_dir: Path = typer.Argument(..., help="stimulus-set directory"),
          out: Path = typer.Option(..., "--out", help="PNG file to write"),
          limit: Optional[int] = typer.Option(12, "--limit", help="at most N frames, spread over the set"),
          columns: int = typer.Option(3, "--columns", min=1)) -> None:
    """Write a contact sheet (PNG grid of RGB frames with their ids) of a stimulus set."""
    from scenes.contact_sheet import spread, write_rgb_sheet
    from scenes.stimulus_set import open_stimulus_set

    try:
        stimulus_set = open_stimulus_set(set_dir)
        path = write_rgb_sheet(stimulus_set, out, spread(stimulus_set.frame_ids, limit), columns)
    except DepthprobeError as exc:
        fail(str(exc))
    out_console.print(f"contact sheet: {path}", markup=False, highlight=False)


@app.command()
def models() -> None:
    """List the built-in models (any module:callable works too)."""
    from evaluator.models.registry import BUILTIN_MODELS, PREFIX_FORMS, available_models

    for name in available_models():
        out_console.print(f"{name}  ({BUILTIN_MODELS[name]})", markup=False, highlight=False)
    for form in PREFIX_FORMS.values():
        out_console.print(form, markup=False, highlight=False)
    out_console.print("module:callable  any function: uint8 (N, H, W, 3) -> depth (N, H, W) (README, 'Adding a model')",
                      markup=False, highlight=False)


@app.command()
def demo(out: Path = typer.Option(Path("depthprobe-demo"), "--out", help="folder for the set and the results"),
         model: str = typer.Option(DEMO_MODEL, "--model", help="model to evaluate"),
         full: bool = typer.Option(False, "--full", help="render at the preset's full size (640x192, 16 samples)")) -> None:
    """Render the position-vs-size experiment, evaluate the default model, print the verdict."""
    start = time.perf_counter()
    try:
        set_dir = run_generate(DEMO_SPEC, out / ("stimuli-full" if full else "stimuli-quick"), None, not full,
                               resume=True)
        summary = run_evaluate(set_dir, model, out / "results", 8, None, None)
    except DepthprobeError as exc:
        fail(str(exc))
    run_figures(out / "results", summary)
    out_console.print(f"demo finished in {time.perf_counter() - start:.0f} s; outputs in {out}/",
                      markup=False, highlight=False)


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
