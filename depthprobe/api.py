"""depthprobe's public Python API: the command line's work, callable from a script or a notebook.

Each function here is the code path of the command of the same name (``search_failures``:
``depthprobe search``; the commands in :mod:`depthprobe._cli` call these functions, then print);
docs/api.md shows them in use::

    import depthprobe

    spec = depthprobe.load_spec("position_vs_size", quick=True)
    set_dir = depthprobe.generate(spec, "sets/pvs", limit=12)
    summary = depthprobe.evaluate(set_dir, "ref-fixed-camera", "results/pvs")
    depthprobe.read_results("results/pvs").summary["cues"]["vertical"]

The backends load only when a function needs them: ``generate`` loads BlenderProc (in its
render workers), ``evaluate`` and ``search_failures`` torch; loading a spec, opening a set or
results, and comparing results load neither.  Bad input raises a
:class:`scenes.errors.DepthprobeError` subclass with a one-line message.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenes.design import MAX_FRAMES

if TYPE_CHECKING:  # the types of the answers, without importing their modules at run time
    from depthprobe.search.runner import SearchResult
    from evaluator.results.format import Results
    from scenes.formats import StimulusSet
    from scenes.spec import StimulusSpec

__all__ = ["load_spec", "generate", "open_stimulus_set", "evaluate", "read_results", "compare", "search_failures"]


def load_spec(spec_or_preset: StimulusSpec | str | Path, quick: bool = False) -> StimulusSpec:
    """A stimulus spec, parsed and checked: from a YAML file, a built-in preset name (e.g.
    ``"position_vs_size"``, ``"training/ref_fixed_camera"``) or an already loaded spec.

    :param quick: its quick variant: at most 320 px wide and 8 Cycles samples a pixel, the
        field of view and the design unchanged.
    :raises SpecError: no such file or preset, or a spec that fails its checks (the file named).
    """
    from scenes.spec import StimulusSpec, quick_spec
    from scenes.spec import load_spec as parse_spec

    spec = spec_or_preset if isinstance(spec_or_preset, StimulusSpec) else parse_spec(spec_or_preset)
    return quick_spec(spec) if quick else spec


def generate(spec: StimulusSpec | str | Path, out: str | Path, *, quick: bool = False, limit: int | None = None,
             resume: bool = False, workers: int | None = 1, threads: int | None = None,
             render_device: str = "auto", executor: str = "local", address: str | None = None,
             max_frames: int = MAX_FRAMES, in_process: bool = False) -> Path:
    """Render a stimulus set with BlenderProc (RGB, exact depth, instance and semantic maps, the
    frame and object tables) into ``out``: ``depthprobe generate``.  Prints the design and the
    render-time estimate on stderr, a live progress line, and the set's path.

    :param spec: a spec, spec file or preset name (see :func:`load_spec`).
    :param quick: render its quick variant (<= 320 px wide, <= 8 samples).
    :param limit: at most this many frames, spread evenly over the design (None: all).
    :param resume: continue an earlier run into ``out``: redo only frames missing or damaged.
    :param workers: render processes, >= 1 (None: one per GPU, else 1 below 4 cores, else cores // 2).
    :param threads: Cycles CPU threads per worker (None: the cores split between the workers).
    :param render_device: ``auto``, ``cpu``, ``cuda`` or ``optix``.
    :param executor: ``local`` (processes here) or ``ray`` (Ray actors; ``address`` joins a cluster).
    :param max_frames: refuse a design of more frames than this (counted before it is built).
    :param in_process: with one local worker, render in this process, which then loads Blender
        and must leave through ``generator.blenderproc_runtime.exit_process`` (the command line
        does); False: in worker processes (spawned: a script keeps its top-level code under
        ``if __name__ == "__main__":``), so that this process never loads Blender.
    :returns: the stimulus-set folder (open it with :func:`open_stimulus_set`).
    :raises DepthprobeError: a bad spec or option; ``out`` not empty (without ``resume``), or
        being written by another run.
    """
    from depthprobe.rendering import executor_options, run_generate

    options = executor_options(workers, threads, render_device, executor, address, in_process)
    return run_generate(load_spec(spec, quick), Path(out), limit, resume, max_frames, options)


def open_stimulus_set(path: str | Path) -> StimulusSet:
    """Open a stimulus set for reading: ``.frames`` and ``.objects`` (pandas tables, one row a
    frame / an object), ``.frame_ids``, and per frame ``.rgb(id)`` (uint8 H x W x 3) and
    ``.depth(id)`` (float32 H x W, metres along the optical axis), read on request.

    :raises StimulusSetError: no such folder, or a missing or damaged manifest or table.
    """
    from scenes.formats import open_stimulus_set as open_set

    return open_set(path)


def evaluate(set_dir: str | Path, model: str | Callable[..., Any], out: str | Path, *, device: str | None = None,
             batch_size: int = 8, alignment: str | None = None, statistic: str = "median",
             seed: int = 0) -> dict[str, Any]:
    """Run a depth model on a stimulus set and fit which cue explains its object distances:
    ``depthprobe evaluate`` (without its printing).  Writes the tables, ``summary.json`` and the
    stored predictions into ``out``.

    :param model: a built-in name (``depthprobe models``, e.g. ``"ref-fixed-camera"``),
        ``hf:...``, ``monodepth2:...``, ``hub:...``, ``module:callable``, a DepthModel, or a
        callable ``uint8 (N, H, W, 3) -> depth (N, H, W)`` (metres, or relative depth or
        disparity, aligned on the road).
    :param device: torch device, e.g. ``"cpu"`` (None: CUDA when available, else the CPU).
    :param batch_size: frames per forward pass, >= 1.
    :param alignment: ``none``, ``median`` or ``lstsq`` (None: by the model's output kind).
    :param statistic: per-object estimate over its eroded mask: ``median`` or ``mean``.
    :param seed: seed of the alignment's pixel sample and of the bootstraps (>= 0).
    :returns: the summary (the content of ``out/summary.json``): ``verdict``, and ``cues`` --
        per cue (``vertical``, ``size``) its coefficient ``value`` (the exponent of distance the
        estimates follow through that cue; 1 = fully, 0 = not at all) with its 95 % interval
        ``ci_low``, ``ci_high`` (``method`` ``ols-hc3-t``) and the count behind it, ``n_objects``.
    :raises DepthprobeError: a damaged set, an unknown model, a model that breaks its contract.
    """
    from evaluator.pipeline.evaluate import evaluate_set

    return evaluate_set(set_dir, model, out, batch_size=batch_size, device=device, alignment=alignment,
                        statistic=statistic, seed=seed)


def read_results(results_dir: str | Path) -> Results:
    """Open an evaluation's results folder: ``.summary`` (the dict :func:`evaluate` returned),
    ``.table(name)`` (pandas, read on request, e.g. ``"objects"``), ``.root``.

    :raises ResultsError: no such folder or summary, another format, missing entries.
    """
    from evaluator.results.format import read_results as open_results

    return open_results(results_dir)


def compare(results_dirs: Sequence[str | Path], out: str | Path | None = None, fmt: str = "html", *,
            allow_different_sets: bool = False, warn: Callable[[str], None] | None = None) -> Path | str:
    """One table across models evaluated on one stimulus set, the best per column marked:
    ``depthprobe compare``.

    :param out: the file to write (html: default ``compare.html``; csv and markdown: None
        returns the text instead).
    :param fmt: ``html``, ``csv`` or ``markdown``.
    :param allow_different_sets: compare results of different stimulus sets.
    :param warn: told each warning line (default: :func:`warnings.warn`).
    :returns: the written file, or the table's text when nothing was written.
    :raises DepthprobeError: a bad format or ``out``, a missing or damaged results folder,
        results of different sets (unless allowed).
    """
    from evaluator.results.compare import (FORMATS, check_compare_target, compare_results, to_csv, to_html,
                                           to_markdown, write_text)
    from scenes.errors import DepthprobeError

    if fmt not in FORMATS:
        raise DepthprobeError(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
    out = check_compare_target(out, fmt)  # the one file rule, before any folder is read
    comparison = compare_results(results_dirs, allow_different_sets)  # reads every folder before writing
    for line in comparison.warnings:
        (warn or warnings.warn)(line)
    text = {"html": to_html, "csv": to_csv, "markdown": to_markdown}[fmt](comparison)
    return text if out is None else write_text(out, text)


def search_failures(spec: StimulusSpec | str | Path, out: str | Path, *, model: str | Any, budget: int,
                    objective: str = "depth-error", sampler: str = "tpe", workers: int = 1, seed: int = 0,
                    quick: bool = False, device: str | None = None, threads: int | None = None,
                    render_device: str = "auto", executor: str = "local", address: str | None = None,
                    in_process: bool = False, progress=None) -> SearchResult:
    """Search the spec's ``search:`` factors (Optuna) for the frames where ``model`` fails most:
    ``depthprobe search``; resumable (a rerun adds only the missing trials).  (Not named
    ``search``: ``depthprobe.search`` is the search's subpackage, and importing it -- as this
    function does -- makes the package attribute of that name the subpackage.)

    :param budget: finished trials wanted in total, >= 1.
    :param objective: ``depth-error``, ``missed`` or ``module:callable(plan, frame, prediction)``.
    :param sampler: ``tpe``, ``cmaes`` or ``random`` (seeded by ``seed``).
    :param workers: render workers, >= 1: the trials asked and rendered together.
    :param threads, render_device, executor, address, in_process: how the trials are rendered, as
        for :func:`generate` (the generator's executors: this process or worker processes, CPU or
        GPU, local or Ray).
    :param progress: told ``(stage, done, total, item)`` after each trial (scenes.progress).
    :returns: the run's SearchResult: ``out``, trial counts, the worst trials, the failure lines.
    :raises DepthprobeError: no search section, bad arguments, a foreign ``out``.
    """
    from depthprobe.rendering import executor_options
    from depthprobe.search.runner import run_search

    options = executor_options(workers, threads, render_device, executor, address, in_process)
    return run_search(load_spec(spec, quick), out, model=model, budget=budget, objective=objective, sampler=sampler,
                      seed=seed, device=device, progress=progress, executor=options)
