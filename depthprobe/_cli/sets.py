"""The stimulus-set commands: ``validate`` (a spec and its design), ``generate`` (render a set),
``sheet`` (a contact sheet) and ``verify`` (re-cast its ground truth).  Blender (generator/)
and open3d (scenes.raycast) are imported inside the commands that need them."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from depthprobe._cli.common import (ADDRESS_HELP, DEVICE_HELP, EXECUTOR_HELP, MAX_FRAMES_HELP, SET_HELP, SPEC_HELP,
                                    THREADS_HELP, WORKERS_HELP, load_spec_arg)
from depthprobe.console import out_console, progress_bar, say
from scenes.catalog import default_catalog
from scenes.design import MAX_FRAMES, FramePlan, expand
from scenes.errors import DepthprobeError
from scenes.spec import StimulusSpec


def validate(spec: str = typer.Argument(..., help=SPEC_HELP),
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
    sheet = preview_sheet_target(sheet or Path(f"{resolved.name}-preview.png")) if preview else None
    frames = expand(resolved, default_catalog(), max_frames=max_frames)
    options = executor_options(workers, None, render_device, "local", None, in_process=False)
    if calibrate:
        run_calibration(resolved, frames, options)
    for line in describe_with_calibration(resolved, frames, options):
        say(line)
    if preview:
        run_design_preview(resolved, frames, sheet)
    out_console.print("valid", style="green")


def preview_sheet_target(sheet: Path) -> Path:
    """The preview's contact sheet checked by the one file rule before anything runs."""
    from scenes.raycast import PREVIEW_SIGNATURE, check_sheet_target

    return check_sheet_target(sheet, PREVIEW_SIGNATURE, "--sheet", DepthprobeError)


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


def generate(spec: str = typer.Argument(..., help=SPEC_HELP),
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
    from depthprobe.api import generate as generate_set

    generate_set(spec, out, quick=quick, limit=limit, resume=resume, workers=workers, threads=threads,
                 render_device=render_device, executor=executor, address=address, max_frames=max_frames,
                 in_process=True)


def sheet(set_dir: Path = typer.Argument(..., help=SET_HELP),
          out: Path = typer.Option(..., "--out", help="PNG file to write"),
          limit: Optional[int] = typer.Option(12, "--limit", help="at most N frames, spread over the set"),
          columns: int = typer.Option(3, "--columns", min=1)) -> None:
    """Write a contact sheet (PNG grid of RGB frames with their ids) of a stimulus set."""
    from scenes.raycast import check_sheet_target, spread, write_rgb_sheet
    from scenes.formats import open_stimulus_set

    stimulus_set = open_stimulus_set(set_dir)
    target = check_sheet_target(out)
    path = write_rgb_sheet(stimulus_set, target, spread(stimulus_set.frame_ids, limit), columns)
    say(f"contact sheet: {path}")


def verify(set_dir: Path = typer.Argument(..., help=SET_HELP),
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
