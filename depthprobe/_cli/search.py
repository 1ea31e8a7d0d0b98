"""``depthprobe search``: a black-box search (Optuna) of a spec's factors for a model's failures.
The search (Optuna, Blender, torch) is imported inside the command."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from depthprobe._cli.common import ADDRESS_HELP, DEVICE_HELP, EXECUTOR_HELP, THREADS_HELP, TORCH_DEVICE_HELP
from depthprobe.console import progress_bar, say


def search(spec: str = typer.Argument(..., help="spec YAML file or preset with a search: section"),
           model: str = typer.Option(..., "--model", help="model to probe, as for evaluate"),
           budget: int = typer.Option(..., "--budget", min=1, help="trials in total (a rerun adds only the missing)"),
           objective: str = typer.Option("depth-error", "--objective",
                                         help="depth-error | missed | module:callable(plan, frame, prediction)"),
           sampler: str = typer.Option("tpe", "--sampler", help="tpe | cmaes | random (Optuna, seeded)"),
           workers: int = typer.Option(1, "--workers", min=1,
                                       help="render workers: the trials asked and rendered together"),
           threads: Optional[int] = typer.Option(None, "--threads", min=1, help=THREADS_HELP),
           render_device: str = typer.Option("auto", "--render-device", help=DEVICE_HELP),
           executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
           address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
           out: Path = typer.Option(..., "--out", help="search folder: search.db, trials.parquet, worst/, failures.md"),
           seed: int = typer.Option(0, "--seed", min=0, help="seed of the sampler and the frames"),
           quick: bool = typer.Option(False, "--quick", help="render small and fast: <= 320 px wide, <= 8 samples"),
           device: Optional[str] = typer.Option(None, "--device", help=TORCH_DEVICE_HELP)) -> None:
    """Search the spec's searchable factors (Optuna) for the frames where a model fails most; resumable.

    Writes the trial table, the worst decile as a stimulus set (OUT/worst) and OUT/failures.md
    (printed): the factor ranges of the worst trials against all."""
    from depthprobe.api import search_failures

    with progress_bar("searching") as progress:
        result = search_failures(spec, out, model=model, budget=budget, objective=objective, sampler=sampler,
                                 workers=workers, seed=seed, quick=quick, device=device, threads=threads,
                                 render_device=render_device, executor=executor, address=address,
                                 in_process=True, progress=progress)
    for line in result.failures:
        say(line)
    say(f"search: {result.out} ({result.n_finished} trials: {result.n_new} run now, {result.n_skipped} skipped)")
