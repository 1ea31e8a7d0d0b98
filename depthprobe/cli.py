"""The ``depthprobe`` command: validate, generate, verify, evaluate, report, compare, export, train, sheet, models, demo.

Every user mistake (bad spec, missing file, unknown model) is printed as one line starting
with ``error:`` and the command exits with code 2; nothing already written is touched.
``generator`` (bpy) and ``evaluator`` (torch) are imported only by the commands that need
them, so a machine without Blender can still validate and evaluate.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup
from depthprobe.console import err_console, out_console, progress_bar, say

from scenes.catalog import default_catalog
from scenes.design import MAX_FRAMES, FramePlan, expand
from scenes.errors import DepthprobeError, first_line
from scenes.spec import StimulusSpec, load_spec, quick_spec

DEMO_SPEC = "position_vs_size"
#: The demo's model: the shipped reference network trained with a KITTI-like fixed camera
#: (evaluator/weights/ref-fixed-camera); ``--model flat-road`` gives the geometric baseline.
DEMO_MODEL = "ref-fixed-camera"
#: Exit code of every user mistake (bad spec, missing file, unknown model), as click's usage errors.
USER_ERROR_EXIT = 2
#: Exit code of an unexpected error (a bug), and of Ctrl-C (128 + SIGINT, as shells report it).
BUG_EXIT = 1
INTERRUPTED_EXIT = 130



class Commands(TyperGroup):
    """The command group: the one place where a :class:`DepthprobeError` becomes ``error: ...``
    on stderr and exit code 2 (no traceback for a user's mistake)."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except DepthprobeError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=USER_ERROR_EXIT) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; finished work is kept (generate --resume continues it)",
                              markup=False, highlight=False)
            raise typer.Exit(code=INTERRUPTED_EXIT) from None
        except Exception as exc:
            if is_command_line_exception(exc):  # usage errors and exits: click's own one-line handling
                raise
            log = write_crash_log(exc)  # a bug of ours or of a library: one line, the traceback in a file
            err_console.print(f"error: unexpected {type(exc).__name__}: {first_line(exc)} (a bug; details in {log})",
                              markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=BUG_EXIT) from None


def is_command_line_exception(exc: BaseException) -> bool:
    """True for click's usage errors, exits and aborts (typer vendors click, so check both homes)."""
    return type(exc).__module__.split(".")[0] in ("click", "typer")




def write_crash_log(exc: BaseException) -> Path:
    """Write ``exc``'s traceback to a new file in the temporary folder; return its path."""
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix="depthprobe-error-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"depthprobe {' '.join(sys.argv[1:])}\n")
        f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return Path(name)


app = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=True,
                  help="Controlled 3D road stimuli with exact depth, and which cue a depth network uses.")


#: Help of ``--max-frames`` (validate, generate): the design's frame count is checked before it is expanded.
MAX_FRAMES_HELP = f"refuse a design of more than N frames, counted before it is built (default {MAX_FRAMES})"
#: The render options of generate and validate --calibrate (generator/executors.py).
WORKERS_HELP = "render workers (default: one per GPU, else 1 below 4 cores, else cores // 2)"
THREADS_HELP = "Cycles CPU threads per worker (default: the cores split between the workers)"
DEVICE_HELP = "auto | cpu | cuda | optix (auto: OptiX or CUDA when Cycles finds a GPU, else the CPU)"
EXECUTOR_HELP = "local (processes on this machine) | ray (Ray actors; with --address on a cluster)"
ADDRESS_HELP = "Ray cluster to join (e.g. auto, ray://head:10001); default: start a local Ray"


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
             sheet: Optional[Path] = typer.Option(None, "--sheet", help="contact sheet PNG (default: SPECNAME-preview.png)"),
             max_frames: int = typer.Option(MAX_FRAMES, "--max-frames", min=1, help=MAX_FRAMES_HELP),
             calibrate: bool = typer.Option(False, "--calibrate",
                                            help="render a few frames here first, so the time estimate is this machine's"),
             workers: Optional[int] = typer.Option(None, "--workers", min=1, help=WORKERS_HELP),
             render_device: str = typer.Option("auto", "--render-device", help=DEVICE_HELP)) -> None:
    """Check a spec (schema and geometry) and print its design: factors, levels, frame count, and
    the render time it should take on this machine."""
    from depthprobe.rendering import calibrate as run_calibration
    from depthprobe.rendering import describe_with_calibration, executor_options

    resolved = load_spec_arg(spec, quick)
    frames = expand(resolved, default_catalog(), max_frames=max_frames)
    options = executor_options(workers, None, render_device, "local", None, in_process=False)
    if calibrate:
        run_calibration(resolved, frames, options)
    for line in describe_with_calibration(resolved, frames, options):
        say(line)
    if preview:
        run_design_preview(resolved, frames, sheet or Path(f"{resolved.name}-preview.png"))
    out_console.print("valid", style="green")


def run_design_preview(spec: StimulusSpec, frames: list[FramePlan], sheet: Path) -> None:
    """Preview every frame's exact geometry; DepthprobeError (exit 2) when issues are not allowed."""
    from scenes.raycast import run_preview  # imports open3d

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


@app.command()
def generate(spec: str = typer.Argument(..., help="spec YAML file or built-in preset name"),
             out: Path = typer.Option(..., "--out", help="output directory of the stimulus set"),
             limit: Optional[int] = typer.Option(None, "--limit", help="render at most N frames, spread over the design"),
             quick: bool = typer.Option(False, "--quick", help="small and fast: <= 320 px wide, <= 8 samples"),
             resume: bool = typer.Option(False, "--resume", help="continue: redo only missing or damaged frames"),
             max_frames: int = typer.Option(MAX_FRAMES, "--max-frames", min=1, help=MAX_FRAMES_HELP),
             workers: Optional[int] = typer.Option(None, "--workers", min=1, help=WORKERS_HELP),
             threads: Optional[int] = typer.Option(None, "--threads", min=1, help=THREADS_HELP),
             render_device: str = typer.Option("auto", "--render-device", help=DEVICE_HELP),
             executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
             address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP)) -> None:
    """Render a stimulus set with BlenderProc (RGB, exact depth, instance and semantic maps, tables)."""
    from depthprobe.rendering import executor_options, run_generate

    options = executor_options(workers, threads, render_device, executor, address)
    run_generate(load_spec_arg(spec, quick), out, limit, resume, max_frames, options)


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
           out: Optional[Path] = typer.Option(None, "--out", help="the HTML report (default DIR/report.html); "
                                              "the Markdown summary goes beside it (.md)"),
           figures: bool = typer.Option(False, "--figures", help="also draw the figures (PNG) into DIR/figures/")) -> None:
    """Print an earlier evaluation's verdict and write its report (an HTML page and a Markdown summary).

    The lines are those of the evaluation (verdict, intervals, counts); the page, self-contained,
    adds figures, fit and metric tables, warnings and a gallery of chosen frames."""
    from evaluator.results.format import read_results
    from evaluator.results.page import REPORT_HTML, check_page_target

    results = read_results(results_dir)
    target = check_page_target(out if out is not None else results.root / REPORT_HTML)  # before any line
    print_summary(results.summary)
    run_report(results, target, figures)


def run_report(results, out: Optional[Path] = None, figures: bool = False) -> Path:
    """Build the report of an opened results folder (in memory: a damaged table stops it before
    any file is written), draw the figure files if asked, write the pages; return the HTML path."""
    from evaluator.results.page import REPORT_HTML, build_report, check_page_target, write_report

    target = check_page_target(out if out is not None else results.root / REPORT_HTML)
    page = build_report(results)
    if figures:
        run_figures(results)
    for note in page.notes:
        say(f"warning: {note}")
    html, markdown = write_report(page, target)
    say(f"report: {html} (summary: {markdown})")
    return html


def run_figures(results) -> None:
    """Draw the figures of an opened results folder and print where they are."""
    from evaluator.results.figures import write_figures

    for path in write_figures(results):
        say(f"figure: {path}")


@app.command()
def compare(results_dirs: list[Path] = typer.Argument(..., help="the --out folders of evaluations on one stimulus set"),
            out: Optional[Path] = typer.Option(None, "--out", help="file to write (html: default compare.html; "
                                               "csv, markdown: default stdout)"),
            output_format: str = typer.Option("html", "--format", help="html | csv | markdown"),
            allow_different_sets: bool = typer.Option(False, "--allow-different-sets",
                                                      help="compare results of different stimulus sets")) -> None:
    """One table across models evaluated on one stimulus set, the best per column marked.

    Verdict, cue coefficients, pose following, objects seen, Abs Rel and δ<1.25 per region;
    html adds a figure of the cue coefficients."""
    from evaluator.results.compare import FORMATS, compare_results, to_csv, to_html, to_markdown, write_text
    from evaluator.results.page import check_page_target

    if output_format not in FORMATS:
        raise DepthprobeError(f"--format {output_format}: choose one of {', '.join(FORMATS)}")
    if output_format == "html":
        out = check_page_target(out if out is not None else Path("compare.html"))
    elif out is not None and out.is_dir():
        raise DepthprobeError(f"--out {out}: is a folder; give a file name")
    comparison = compare_results(results_dirs, allow_different_sets)  # reads every folder before writing
    for line in comparison.warnings:
        say(f"warning: {line}", err=True)
    text = {"html": to_html, "csv": to_csv, "markdown": to_markdown}[output_format](comparison)
    if out is None:
        typer.echo(text, nl=False)
    else:
        say(f"comparison: {write_text(out, text)}")


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
    from scenes.raycast import check_sheet_target, spread, write_rgb_sheet
    from scenes.formats import open_stimulus_set

    stimulus_set = open_stimulus_set(set_dir)
    check_sheet_target(out, stimulus_set.root)
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
    """Render the position-vs-size experiment, evaluate the default model, print the verdict, write the report."""
    from depthprobe.rendering import run_generate
    from evaluator.results.format import read_results

    start = time.perf_counter()
    set_dir = run_generate(load_spec_arg(DEMO_SPEC, not full), out / ("stimuli-full" if full else "stimuli-quick"),
                           None, resume=True)
    run_evaluate(set_dir, model, out / "results", 8, None, None)
    report_path = run_report(read_results(out / "results"), figures=True)
    say(f"demo finished in {time.perf_counter() - start:.0f} s; outputs in {out}/; report: {report_path}")


@app.command()
def bench(spec: str = typer.Option("position_vs_size", "--spec", help="preset or spec file to render"),
          frames: int = typer.Option(30, "--frames", help="renders per timed run"),
          memory_frames: str = typer.Option("50,500", "--memory-frames", help="the two render counts of the memory figure"),
          baseline_scenes: int = typer.Option(8, "--baseline-scenes", min=1, help="plain-BlenderProc processes"),
          tiny: bool = typer.Option(False, "--tiny", help="every size 64x32, 1 sample: checks that it all runs"),
          out: Optional[Path] = typer.Option(None, "--out", help="also write the figures to this JSON file")) -> None:
    """Measure generation as ratios in one run: overhead over Cycles, speed against plain
    BlenderProc, worker scaling, memory growth (see depthprobe/bench.py)."""
    from depthprobe.bench import bench_lines, bench_plan, run_bench
    from scenes.storage import atomic_write_bytes, json_bytes

    figures = run_bench(bench_plan(spec, frames, memory_frames, baseline_scenes, tiny))
    for line in bench_lines(figures):
        say(line)
    if out is not None:
        atomic_write_bytes(out, json_bytes(figures))
        say(f"figures: {out}")


@app.command()
def verify(set_dir: Path = typer.Argument(..., help="stimulus-set directory"),
           sample: Optional[int] = typer.Option(None, "--sample", help="check N frames drawn at random (default: all)"),
           seed: int = typer.Option(0, "--seed", help="seed of the --sample draw")) -> None:
    """Re-cast frames from the set's geometry export (open3d) and check depth, masks and road depth;
    exit 1 naming the frames that fail."""
    from scenes.raycast import format_run, verify_set  # imports open3d

    with progress_bar("verifying") as progress:
        run = verify_set(set_dir, sample=sample, seed=seed, progress=progress)
    for line in format_run(run):
        say(line)
    if run.failed:
        say(f"verify: {len(run.failed)} frame(s) fail: {', '.join(run.failed)}", err=True)
        raise typer.Exit(code=1)


@app.command()
def export(set_dir: Path = typer.Argument(..., help="stimulus-set directory"),
           format_name: str = typer.Option(..., "--format", help="kitti (KITTI depth-benchmark layout of every frame) "
                                                                  "| ply (one frame's depth as coloured point clouds) "
                                                                  "| photos (empty roads as photos for world.background)"),
           out: Path = typer.Option(..., "--out", help="new or empty folder, or an earlier export of this set in this "
                                                       "format"),
           frame: Optional[str] = typer.Option(None, "--frame", help="frame id to export (--format ply)"),
           eval_dir: Optional[Path] = typer.Option(None, "--eval", help="results folder of an evaluate run on SET: "
                                                   "also the predicted depth (--format ply)")) -> None:
    """Export a stimulus set for other tools: KITTI's layout (images, 16-bit depth PNGs, calibration),
    or one frame's true (and predicted) depth as coloured PLY point clouds."""
    from depthprobe.exporters.target import ExportError, check_export_format
    from scenes.formats import open_stimulus_set

    kind = check_export_format(format_name)
    stimulus_set = open_stimulus_set(set_dir)
    if kind != "ply" and (frame is not None or eval_dir is not None):
        raise ExportError(f"--{'frame' if frame is not None else 'eval'}: only with --format ply "
                          f"(--format {kind} exports every frame)")
    if kind == "photos":
        from depthprobe.exporters.photos import write_photos_export

        with progress_bar("exporting") as progress:
            target = write_photos_export(stimulus_set, out, progress)
        say(f"photos: {target.out} (every frame with a counterfactual, without its objects)")
        return
    if kind == "kitti":
        from depthprobe.exporters.kitti import check_kitti_export, write_kitti_export

        check_kitti_export(stimulus_set, out)  # refusals before the progress bar
        with progress_bar("exporting") as progress:
            target = write_kitti_export(stimulus_set, out, progress)
        say(f"KITTI export: {target.out} ({len(stimulus_set.frame_ids)} frames)")
        return
    from depthprobe.exporters.ply import check_frame_id, write_ply_export

    if frame is None:
        raise ExportError("--frame: missing; --format ply exports one frame (give one of the set's frame ids)")
    predicted = None if eval_dir is None else stored_prediction(eval_dir, stimulus_set,
                                                                check_frame_id(stimulus_set, frame))
    for path in write_ply_export(stimulus_set, frame, out, predicted):
        say(f"point cloud: {path}")


def stored_prediction(eval_dir: Path, stimulus_set, frame_id: str):
    """One frame's aligned predicted depth (float32 metres) from an evaluation's results folder, read
    through the results and prediction-store readers: refused unless made for this very set and intact."""
    from evaluator.results.store import KINDS, PREDICTIONS_DIR, PredictionStoreError, StoredPredictions
    from evaluator.results.format import read_results
    from scenes.storage import sha256_file

    store = StoredPredictions.open(read_results(eval_dir).root / PREDICTIONS_DIR, stimulus_set, check_hashes=False)
    rel = f"{KINDS['depth']}/{frame_id}.npy"
    if sha256_file(store.root / rel) != store.index.get("files", {}).get(rel):
        raise PredictionStoreError(f"{store.root / rel}: content does not match its hash in index.json")
    return store.depth(frame_id)


@app.command()
def search(spec: str = typer.Argument(..., help="spec YAML file or preset with a search: section"),
           model: str = typer.Option(..., "--model", help="model to probe, as for evaluate"),
           budget: int = typer.Option(..., "--budget", min=1, help="trials in total (a rerun adds only the missing)"),
           objective: str = typer.Option("depth-error", "--objective",
                                         help="depth-error | missed | module:callable(plan, frame, prediction)"),
           sampler: str = typer.Option("tpe", "--sampler", help="tpe | cmaes | random (Optuna, seeded)"),
           workers: int = typer.Option(1, "--workers", min=1, help="trials asked and rendered together"),
           out: Path = typer.Option(..., "--out", help="search folder: search.db, trials.parquet, worst/, failures.md"),
           seed: int = typer.Option(0, "--seed", min=0, help="seed of the sampler and the frames"),
           quick: bool = typer.Option(False, "--quick", help="render small and fast: <= 320 px wide, <= 8 samples"),
           device: Optional[str] = typer.Option(None, "--device", help="cuda, cpu, ... (default: cuda if available)")) -> None:
    """Search the spec's searchable factors (Optuna) for the frames where a model fails most; resumable.

    Writes the trial table, the worst decile as a stimulus set (OUT/worst) and OUT/failures.md
    (printed): the factor ranges of the worst trials against all."""
    from depthprobe.search.runner import run_search

    resolved = load_spec_arg(spec, quick)
    with progress_bar("searching") as progress:
        result = run_search(resolved, out, model=model, budget=budget, objective=objective, sampler=sampler,
                            workers=workers, seed=seed, device=device, progress=progress)
    for line in result.failures:
        say(line)
    say(f"search: {result.out} ({result.n_finished} trials: {result.n_new} run now, {result.n_skipped} skipped)")


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
