"""``depthprobe bench``: the benchmarks (depthprobe/bench/), one subcommand each --
``bench generation`` (what rendering costs) and ``bench evaluation`` (what the evaluator adds
to a model's forward pass).  Each imports its benchmark inside the command."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from depthprobe.console import say

bench_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Measure what generation and evaluation cost, as ratios taken in one run "
                             "(bench generation, bench evaluation; see depthprobe/bench/).")

#: Help of ``--out`` of both benchmarks.
OUT_HELP = "also write the figures to this JSON file"


#: The first key of a figures file, by which a rerun recognises (and may replace) an earlier one.
FIGURES_FORMAT = "depthprobe-bench"


def check_figures_target(out: Optional[Path]) -> Optional[Path]:
    """Where a benchmark's figures may be written (the one file rule, scenes.outputs.check_file_target):
    a new file or an earlier figures file; checked before the benchmark runs.  None without ``out``."""
    from scenes.errors import DepthprobeError
    from scenes.outputs import FileSignature, check_file_target

    if out is None:
        return None
    signature = FileSignature("a depthprobe benchmark figures file", f'{{\n  "format": "{FIGURES_FORMAT}"'.encode())
    return check_file_target(out, DepthprobeError, signature)


def write_figures(out: Optional[Path], figures: dict[str, Any]) -> None:
    """Write a benchmark's figures as JSON to ``out`` (checked by :func:`check_figures_target`),
    atomically, and say where; nothing without ``out``."""
    from scenes.storage import atomic_write_bytes, json_bytes

    if out is not None:
        atomic_write_bytes(out, json_bytes({"format": FIGURES_FORMAT, **figures}))
        say(f"figures: {out}")


@bench_app.command()
def generation(spec: str = typer.Option("position_vs_size", "--spec", help="preset or spec file to render"),
               frames: int = typer.Option(30, "--frames", help="renders per timed run"),
               memory_frames: str = typer.Option("50,500", "--memory-frames",
                                                 help="the two render counts of the memory figure"),
               baseline_scenes: int = typer.Option(8, "--baseline-scenes", min=1, help="plain-BlenderProc processes"),
               tiny: bool = typer.Option(False, "--tiny", help="every size 64x32, 1 sample: checks that it all runs"),
               out: Optional[Path] = typer.Option(None, "--out", help=OUT_HELP)) -> None:
    """Measure generation as ratios in one run: overhead over Cycles, speed against plain
    BlenderProc, worker scaling, memory growth (see depthprobe/bench/generation.py)."""
    from depthprobe.bench.generation import bench_lines, bench_plan, run_bench

    out = check_figures_target(out)
    figures = run_bench(bench_plan(spec, frames, memory_frames, baseline_scenes, tiny))
    for line in bench_lines(figures):
        say(line)
    write_figures(out, figures)


@bench_app.command()
def evaluation(frames: int = typer.Option(100, "--frames", min=1, help="frames of the timing run"),
               batch_size: int = typer.Option(8, "--batch-size", min=1, help="frames per forward pass"),
               channels: int = typer.Option(32, "--channels", min=1, help="width of the benchmark net's first stage"),
               width: int = typer.Option(640, "--width", min=8, help="image width in pixels (a multiple of 8)"),
               height: int = typer.Option(192, "--height", min=8, help="image height in pixels (a multiple of 8)"),
               memory_frames: str = typer.Option("100,1000", "--memory-frames",
                                                 help="set sizes of the memory runs, comma-separated (each in its own "
                                                      "process)"),
               no_memory: bool = typer.Option(False, "--no-memory", help="skip the memory runs"),
               memory_channels: int = typer.Option(8, "--memory-channels", min=1,
                                                   help="net width for the memory runs (smaller: 1000 frames in a "
                                                        "few minutes)"),
               repeats: int = typer.Option(3, "--repeats", min=1,
                                           help="evaluations in the timing run (median ratio is kept)"),
               out: Optional[Path] = typer.Option(None, "--out", help=OUT_HELP)) -> None:
    """Measure what the evaluator adds to a model's bare forward pass (wall and CPU time, ms per
    frame), and its memory at each --memory-frames set size (see depthprobe/bench/evaluation.py)."""
    from depthprobe.bench.evaluation import evaluation_plan, run_evaluation_bench

    plan = evaluation_plan(frames, batch_size, channels, width, height, memory_frames, no_memory, memory_channels,
                           repeats)
    out = check_figures_target(out)
    write_figures(out, run_evaluation_bench(plan, say))
