"""The evaluation commands: ``evaluate`` (a model on a set), ``report`` (an earlier evaluation's
page), ``compare`` (models side by side) and ``models`` (the built-in names).  The evaluator
(torch for torch models) is imported inside the commands."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from depthprobe._cli.common import SET_HELP, TORCH_DEVICE_HELP
from depthprobe.console import say
from scenes.errors import DepthprobeError


def run_evaluate(set_dir: Path, model: Optional[str], out: Path, batch_size: int, device: Optional[str],
                 alignment: Optional[str], statistic: str = "median", seed: int = 0,
                 reuse_predictions: bool = False) -> dict:
    """Evaluate a model on a stimulus set (or rerun the analyses on its stored predictions) and
    print the verdict lines; return the summary."""
    from depthprobe.api import evaluate as evaluate_set
    from evaluator.pipeline.evaluate import analyse_predictions

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


def evaluate(set_dir: Path = typer.Argument(..., help=SET_HELP),
             model: Optional[str] = typer.Option(None, "--model", help="built-in name (see `depthprobe models`), "
                                                 "hf:<id-or-folder>, monodepth2:<folder>, hub:<folder>:<entrypoint> "
                                                 "or module:callable; options as NAME?kind=disparity,size=192x640"),
             out: Path = typer.Option(..., "--out", help="output directory for results"),
             batch_size: int = typer.Option(8, "--batch-size", min=1, help="frames per forward pass"),
             device: Optional[str] = typer.Option(None, "--device", help=TORCH_DEVICE_HELP),
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


def report(results_dir: Path = typer.Argument(..., help="the --out folder of an earlier evaluate"),
           out: Optional[Path] = typer.Option(None, "--out", help="the HTML report (default DIR/report.html); "
                                              "the Markdown summary goes beside it (.md)"),
           figures: bool = typer.Option(False, "--figures", help="also draw the figures (PNG) into DIR/figures/")) -> None:
    """Print an earlier evaluation's verdict and write its report (an HTML page and a Markdown summary).

    The lines are those of the evaluation (verdict, intervals, counts); the page, self-contained,
    adds figures, fit and metric tables, warnings and a gallery of chosen frames."""
    from depthprobe.api import read_results
    from evaluator.results.page import REPORT_HTML, check_report_target

    results = read_results(results_dir)
    target = out if out is not None else results.root / REPORT_HTML
    check_report_target(target, results.root)  # the page and its Markdown, before any line
    print_summary(results.summary)
    run_report(results, target, figures)


def run_report(results, out: Optional[Path] = None, figures: bool = False) -> Path:
    """Build the report of an opened results folder (in memory: a damaged table stops it before
    any file is written), draw the figure files if asked, write the pages; return the HTML path."""
    from evaluator.results.page import REPORT_HTML, build_report, check_report_target, write_report

    target = out if out is not None else results.root / REPORT_HTML
    check_report_target(target, results.root)
    page = build_report(results)
    if figures:
        run_figures(results)
    for note in page.notes:
        say(f"warning: {note}")
    html, markdown = write_report(page, target, results.root)
    say(f"report: {html} (summary: {markdown})")
    return html


def run_figures(results) -> None:
    """Draw the figures of an opened results folder and print where they are."""
    from evaluator.results.figures import write_figures

    for path in write_figures(results):
        say(f"figure: {path}")


def compare(results_dirs: list[Path] = typer.Argument(..., help="the --out folders of evaluations on one stimulus set"),
            out: Optional[Path] = typer.Option(None, "--out", help="file to write (html: default compare.html; "
                                               "csv, markdown: default stdout)"),
            output_format: str = typer.Option("html", "--format", help="html | csv | markdown"),
            allow_different_sets: bool = typer.Option(False, "--allow-different-sets",
                                                      help="compare results of different stimulus sets")) -> None:
    """One table across models evaluated on one stimulus set, the best per column marked.

    Verdict, cue coefficients, pose following, objects seen, Abs Rel and δ<1.25 per region;
    html adds a figure of the cue coefficients."""
    from depthprobe.api import compare as compare_results

    written = compare_results(results_dirs, out, output_format, allow_different_sets=allow_different_sets,
                              warn=lambda line: say(f"warning: {line}", err=True))
    if isinstance(written, str):
        typer.echo(written, nl=False)
    else:
        say(f"comparison: {written}")


def models() -> None:
    """List the built-in models (any module:callable works too)."""
    from evaluator.models.registry import BUILTIN_MODELS, available_models, prefix_forms

    for name in available_models():
        say(f"{name}  ({BUILTIN_MODELS[name]})")
    for form in prefix_forms().values():
        say(form)
    say("module:callable  any function: uint8 (N, H, W, 3) -> depth (N, H, W) (docs/extending.md)")
