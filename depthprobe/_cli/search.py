"""``depthprobe search``: a black-box search (Optuna) of a spec's factors for a model's failures.
The search (Optuna, Blender, torch) is imported inside the command."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from depthprobe._cli.common import load_spec_arg
from depthprobe.console import progress_bar, say


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
