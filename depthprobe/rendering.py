"""The rendering commands' work: generate with a live progress line, and the calibration that
makes ``validate``'s render-time estimate this machine's (scenes/design/calibration.py)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from scenes.catalog import default_catalog
from scenes.design import (describe_design, MAX_FRAMES, FramePlan, expand, select_frames, Measurement,
                           machine_key, measurement_of, read_measurements,
                           record_measurement)
from scenes.spec import StimulusSpec
from scenes.formats import check_set_target
from depthprobe.console import progress_bar, say

#: Frames ``validate --calibrate`` renders (the first carries the start-up, the rest the rate).
CALIBRATION_FRAMES = 6


def executor_options(workers: int | None, threads: int | None, render_device: str, executor: str,
                     address: str | None, in_process: bool = True):
    """The command line's render options as generator.executors.ExecutorOptions (checked)."""
    from generator.executors import ExecutorOptions

    return ExecutorOptions(workers, threads, render_device, executor, address, in_process).checked()


def this_machine(render_device: str) -> str:
    """The calibration store's key of this machine for ``render_device`` (GPU or CPU rendering)."""
    from generator.render_device import count_gpus, wants_gpu

    gpus = count_gpus() if wants_gpu(render_device) else 0
    return machine_key(f"{gpus} GPU" if gpus else "CPU")


def describe_with_calibration(spec: StimulusSpec, frames: list[FramePlan], options) -> list[str]:
    """describe_design's lines, its estimate calibrated by this machine's stored measurements
    (those taken with as many workers as ``options`` render with, when there are such)."""
    from generator.executors import local_workers
    from generator.render_result import group_renders

    measured = read_measurements(this_machine(options.render_device))
    workers, _ = local_workers(options, len(group_renders(frames)))
    alike = [m for m in measured if m.workers == workers]
    return describe_design(spec, frames, alike or measured)


def run_generate(spec: StimulusSpec, out: Path, limit: int | None, resume: bool, max_frames: int = MAX_FRAMES,
                 options=None) -> Path:
    """Generate a stimulus set with a live progress line, store what its renders cost for the
    next estimate, and return its directory (DepthprobeError on bad input).

    :param options: generator.executors.ExecutorOptions; default: every core of this machine."""
    from generator.executors import ExecutorOptions
    from generator.generate import generate  # imports bpy lazily, at first render

    options = options or ExecutorOptions()

    check_set_target(out, spec.spec_hash(), resume)  # before a line is printed or anything rendered
    frames = select_frames(expand(spec, default_catalog(), max_frames=max_frames), limit)
    for line in describe_with_calibration(spec, frames, options):
        say(line, err=True)
    with progress_bar("rendering") as progress:
        result = generate(spec, out, resume=resume, progress=progress, plans=frames, executor=options)
    remember(spec, result.totals, options.render_device)
    say(f"stimulus set: {result.out} ({result.n_frames} frames: {result.n_rendered} rendered, "
        f"{result.n_reused} reused; {result.seconds:.0f} s)")
    return result.out


def remember(spec: StimulusSpec, totals, render_device: str) -> Measurement | None:
    """Store a run's steady rate and start-up in the calibration store (None: too few renders)."""
    per_render = totals.steady_seconds_per_render()
    if per_render is None:
        return None
    measurement = measurement_of(spec, per_render, totals.renders, totals.workers,
                                 (totals.first_result_s or 0.0) - per_render)
    return measurement if record_measurement(this_machine(render_device), measurement) else None


def calibrate(spec: StimulusSpec, frames: list[FramePlan], options) -> Measurement | None:
    """Render the first CALIBRATION_FRAMES renders of the design in render order (one world, as
    most renders of a run share theirs) into a temporary folder with ``options`` and store what
    they cost; the measurement, or None when too few rendered."""
    from generator.generate import generate
    from generator.render_result import group_renders

    sample = [plan for group in group_renders(frames)[:CALIBRATION_FRAMES] for plan in group]
    with tempfile.TemporaryDirectory(prefix="depthprobe-calibration-") as folder:
        with progress_bar("calibrating") as progress:
            result = generate(spec, Path(folder) / "set", plans=sample, progress=progress, executor=options)
    return remember(spec, result.totals, options.render_device)
