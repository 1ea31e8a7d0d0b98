"""``depthprobe demo``: the position-vs-size experiment end to end (render, evaluate, report)."""
from __future__ import annotations

import time
from pathlib import Path

import typer

from depthprobe._cli.common import load_spec_arg
from depthprobe._cli.evaluate import run_evaluate, run_report
from depthprobe.console import say

DEMO_SPEC = "position_vs_size"
#: The demo's model: the shipped reference network trained with a KITTI-like fixed camera
#: (evaluator/weights/ref-fixed-camera); ``--model flat-road`` gives the geometric baseline.
DEMO_MODEL = "ref-fixed-camera"


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
