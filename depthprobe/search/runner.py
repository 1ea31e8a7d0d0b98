"""``depthprobe search``: black-box optimisation (Optuna) of a model's failure over a spec's
searchable factors.

Each trial: the sampler picks the searched factors' values (:mod:`depthprobe.search.space`),
they make one frame plan, the generator's render executor renders it (and its counterfactual
when the objective needs it; :mod:`depthprobe.search.render`), the model predicts it at once,
aligned to metres (:mod:`depthprobe.search.objective`), and the objective's value is told to the
study, which maximises it.  Trials are asked as many at a time as the executor has workers
(TPE's constant liar keeps pending trials apart) and rendered as one batch; with TPE or CMA-ES
the trials a search draws therefore depend on its number of workers.

Resumable: the study lives in ``OUT/search.db`` (SQLite; study name from the spec hash and the
seed) and ``OUT/search.json`` records what the search is (format, spec hash, seed, model,
objective, sampler, the fitted alignment); a rerun with the same spec, seed, model, objective
and sampler continues it until ``budget`` trials are finished (complete or skipped), never
repeating a finished trial.  A trial left running by a killed run is marked failed and its
values are asked again (enqueued), so the resumed run evaluates what the killed one was
evaluating.  The sampler's seed is derived from the search seed and the number of trials already
in the study, so a resumed run does not draw the first run's values again.  A writer lock on
``OUT`` keeps a second search out.

Outputs (:mod:`depthprobe.search.report`): ``OUT/trials.parquet``, ``OUT/worst/`` (the worst
decile as a stimulus set), ``OUT/failures.md``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from depthprobe.search.objective import AlignedModel, Objective, Outcome, TrialFrames, load_objective
from depthprobe.search.render import SearchFrames
from depthprobe.search.report import (FAILURES_FILE, TRIALS_FILE, WORST_DIR, failure_lines, trials_table,
                                      worst_trials, write_outputs)
from depthprobe.search.space import InfeasibleTrial, SearchError, SearchSpace
from evaluator.pipeline.alignment import Alignment, AlignmentPolicy
from evaluator.models.loading import model_name
from generator.executors import ExecutorOptions
from generator.render_result import RenderExecutor
from scenes.catalog import Catalog, default_catalog
from scenes.design import MAX_FRAMES, derive_seed
from scenes.progress import Progress
from scenes.spec import StimulusSpec
from scenes.storage import atomic_write_bytes, json_bytes
from scenes.outputs import FolderKind, Marker, WriterLock

FORMAT_NAME = "depthprobe-search"
FORMAT_VERSION = 1
SEARCH_FILE = "search.json"
STUDY_FILE = "search.db"
SAMPLERS = ("tpe", "cmaes", "random")
#: Most trials a search may be asked for (``--budget``): each trial renders one frame, so a search
#: is bounded like a design's frame count (:data:`scenes.design.MAX_FRAMES`, 200 000 frames: days of
#: rendering and an Optuna study of that many trials, about 2 kB each in search.db).  Larger
#: budgets are almost always a typing mistake.
MAX_BUDGET = MAX_FRAMES
#: Keys of search.json that a resumed run must match.
IDENTITY_KEYS = ("format", "format_version", "spec_hash", "seed", "model", "objective", "sampler", "study_name")
#: Where a search may be written (:class:`scenes.outputs.FolderKind`): recognised by its record;
#: the study's SQLite files (with its write-ahead log) and the outputs of depthprobe/search/report.py.
SEARCH_OUTPUT = FolderKind("a search folder", Marker(SEARCH_FILE, FORMAT_NAME, "search folder"),
                           frozenset({SEARCH_FILE, STUDY_FILE, f"{STUDY_FILE}-wal", f"{STUDY_FILE}-shm",
                                      f"{STUDY_FILE}-journal", TRIALS_FILE, WORST_DIR, FAILURES_FILE}), SearchError)


@dataclass(frozen=True)
class SearchResult:
    """What a search run left: the folder, trial counts, the worst trials, the failure summary."""

    out: Path
    n_finished: int
    n_new: int
    n_skipped: int
    worst: list[int]
    failures: list[str]


def study_name(spec_hash: str, seed: int) -> str:
    """The Optuna study name of a search: from the spec hash and the seed."""
    return f"depthprobe-{spec_hash[:16]}-seed{seed}"


def check_arguments(budget: int, seed: int, sampler: str) -> None:
    """SearchError for a budget below 1 or above :data:`MAX_BUDGET`, a negative seed, an unknown sampler."""
    for name, value, low in (("--budget", budget, 1), ("--seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise SearchError(f"{name}: must be a whole number >= {low} (got {value!r})")
    if budget > MAX_BUDGET:
        raise SearchError(f"--budget {budget}: more than {MAX_BUDGET} trials (each renders a frame, like a design's "
                          "frame limit); run the search in parts, each resuming the last")
    if sampler not in SAMPLERS:
        raise SearchError(f"--sampler {sampler!r}: choose one of {', '.join(SAMPLERS)}")


def make_sampler(name: str, seed: int):
    """A seeded Optuna sampler: ``tpe`` (multivariate TPE, constant liar), ``cmaes`` (CMA-ES;
    categorical factors drawn at random) or ``random``."""
    import optuna

    seed = seed % 2**32
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=8, constant_liar=True)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False,
                                            independent_sampler=optuna.samplers.RandomSampler(seed=seed))
    return optuna.samplers.RandomSampler(seed=seed)


def check_search_target(out: Path, identity: dict[str, Any]) -> dict[str, Any] | None:
    """The search record of ``out`` when it continues this very search; None for a new or empty
    folder; SearchError for anything else (the rule of :data:`SEARCH_OUTPUT`: another search,
    other files, a folder inside a stimulus set or results folder, whose worst cases could not be
    written there)."""
    record = SEARCH_OUTPUT.check(out).record
    for key in IDENTITY_KEYS if record is not None else ():
        if record.get(key) != identity[key]:
            raise SearchError(f"--out {out}: holds a search with {key} {record.get(key)!r}, not {identity[key]!r}; "
                              "rerun it with the same spec, seed, model, objective and sampler, or choose another folder")
    return record


def open_study(out: Path, name: str, sampler: str, seed: int):
    """(study, storage): the study in ``OUT/search.db`` (created or loaded), with a sampler seeded
    from ``seed`` and the number of trials it already has; dispose ``storage.engine`` after use."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # library code does not print
    storage = optuna.storages.RDBStorage(f"sqlite:///{(out / STUDY_FILE).resolve()}")
    fast_sqlite(storage.engine)
    study = optuna.create_study(storage=storage, study_name=name, direction="maximize", load_if_exists=True)
    study.sampler = make_sampler(sampler, derive_seed(seed, f"sampler:{len(study.trials)}"))
    return study, storage


def fast_sqlite(engine) -> None:
    """Write-ahead logging with ``synchronous=NORMAL`` on every connection of ``engine``: a commit
    no longer waits for the disk (Optuna commits about 18 times a trial: 0.2 s of fsync), and a
    killed process still loses nothing that was committed (only a power loss could lose the last
    commits)."""
    from sqlalchemy import event

    def on_connect(connection, _record) -> None:
        """Set the two pragmas on a new SQLite connection."""
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections made before the listener was attached are closed


def recover_stale(study) -> int:
    """Trials a killed run left running: each is marked failed and its values enqueued again."""
    from optuna.trial import TrialState

    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in stale:
        study.enqueue_trial(dict(trial.params), user_attrs={"retry_of": trial.number})
        study.tell(trial.number, state=TrialState.FAIL)
    return len(stale)


def finished_count(study) -> int:
    """Trials that count against the budget: complete or skipped (pruned)."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


@dataclass
class SearchRun:
    """Everything one trial needs: the space, the model, the objective, the frames, the study."""

    space: SearchSpace
    model: AlignedModel
    objective: Objective
    source: SearchFrames
    study: Any
    seed: int

    def run_batch(self, size: int) -> list[tuple[int, Outcome | None]]:
        """Ask ``size`` trials, render them together, evaluate and tell each; (number, outcome or None)."""
        from optuna.trial import TrialState

        trials, plans, told = [], [], []
        for _ in range(size):
            trial = self.study.ask()
            try:
                plan = self.space.trial_plan(self.space.suggest(trial), trial.number, self.seed)
            except InfeasibleTrial as exc:
                self._skip(trial, str(exc))
                told.append((trial.number, None))
                continue
            trial.set_user_attr("frame_id", plan.frame_id)
            trials.append(trial)
            plans.append(plan)
        for trial, plan, frames in zip(trials, plans, self.frames(plans)):
            try:
                outcome = self.objective.evaluate(frames)
            except InfeasibleTrial as exc:
                self._skip(trial, str(exc))
                told.append((trial.number, None))
                continue
            trial.set_user_attr("outcome", outcome.details)
            self.study.tell(trial, outcome.value, state=TrialState.COMPLETE)
            told.append((trial.number, outcome))
        return told

    def frames(self, plans: list) -> list[TrialFrames]:
        """Render the plans (with counterfactuals if the objective needs them) and predict them."""
        if not plans:
            return []
        rendered = self.source.render(plans, self.objective.needs_counterfactual)
        predictions = self.model.predict(np.stack([frame.rgb for frame, _ in rendered]))
        without = [None] * len(plans)
        if self.objective.needs_counterfactual:
            without = list(self.model.predict(np.stack([w.rgb for _, w in rendered])))
        return [TrialFrames(plan, frame, pred, cf, pred_cf)
                for plan, (frame, cf), pred, pred_cf in zip(plans, rendered, predictions, without)]

    def _skip(self, trial, reason: str) -> None:
        from optuna.trial import TrialState

        trial.set_user_attr("skipped", reason)
        self.study.tell(trial, state=TrialState.PRUNED)


def prepare_alignment(run: SearchRun, record: dict[str, Any] | None) -> dict[str, Any] | None:
    """The model's alignment: metric output needs none; otherwise the one a resumed search
    recorded, else fitted now on the reference frame.  Returns it as plain data."""
    model = run.model
    if model.policy == AlignmentPolicy.NONE:
        return model.alignment.to_dict()
    saved = (record or {}).get("alignment")
    if saved:
        model.alignment = Alignment.from_dict(saved)
    else:
        frame, _ = run.source.render([run.space.reference_plan(run.seed)], False)[0]
        model.fit(frame, np.random.default_rng(run.seed))
    return model.alignment.to_dict()


def run_search(spec: StimulusSpec, out: str | Path, *, model: str | Any, budget: int,
               objective: str = "depth-error", sampler: str = "tpe", workers: int = 1, seed: int = 0,
               device: str | None = None, alignment: str | None = None, catalog: Catalog | None = None,
               progress: Progress | None = None,
               executor: ExecutorOptions | RenderExecutor | None = None) -> SearchResult:
    """Search (or continue searching) ``spec``'s ``search:`` factors for the model's failures.

    :param model: a model name as for ``evaluate`` (or a DepthModel, or a callable).
    :param budget: finished trials wanted in total (a rerun adds only what is missing).
    :param objective: ``depth-error``, ``missed`` or ``module:callable``.
    :param sampler: ``tpe``, ``cmaes`` or ``random``, seeded from ``seed``.
    :param workers: render workers, >= 1 (1: in this process, which then loads Blender; more: a
        pool of worker processes); the trials asked and rendered together.  Ignored when
        ``executor`` is given.
    :param device: the model's torch device (``cuda``, ``cpu``, ...; None: cuda if available).
    :param executor: how to render, as for ``generator.generate``: ExecutorOptions (workers,
        threads, render device, local or Ray, Ray address; checked with the same one-line
        errors), or a render executor already open (generator/render_result.py; e.g. your own
        renderer), used as it is and left open.  Trials go in batches of its workers.
    :param progress: told ``("search", finished, budget, "<frame id> <value>")`` after each trial.
    :raises SpecError: the spec has no search section; SearchError: bad arguments or ``out``;
        DepthprobeError: bad executor options.
    """
    check_arguments(budget, seed, sampler)
    if executor is None or isinstance(executor, ExecutorOptions):
        executor = (executor or ExecutorOptions(workers=workers)).checked()
    catalog = catalog or default_catalog()
    space = SearchSpace.from_spec(spec, catalog)
    chosen = load_objective(objective)
    out = Path(out)
    identity = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "spec_hash": spec.spec_hash(),
                "seed": seed, "model": model_name(model), "objective": chosen.name, "sampler": sampler,
                "study_name": study_name(spec.spec_hash(), seed)}
    record = check_search_target(out, identity)
    aligned = AlignedModel.load(model, spec.camera.to_camera(), device, alignment)
    with WriterLock(out, "depthprobe search"):
        out.mkdir(parents=True, exist_ok=True)
        write_record(out, {**(record or {}), **identity}, spec)  # first: a folder with a study is always ours
        with warnings.catch_warnings():
            quiet_optuna()
            study, storage = open_study(out, identity["study_name"], sampler, seed)
            try:
                frames = SearchFrames(spec, catalog, executor, budget - finished_count(study) + 1)
                with frames:
                    run = SearchRun(space, aligned, chosen, frames, study, seed)
                    n_new, table, failures = search_and_report(out, run, record, identity, budget, progress)
            finally:
                storage.engine.dispose()
    finished = table[table["state"].isin(["COMPLETE", "PRUNED"])]
    return SearchResult(out, len(finished), n_new, int((finished["state"] == "PRUNED").sum()),
                        worst_trials(table), failures)


def search_and_report(out: Path, run: SearchRun, record: dict[str, Any] | None, identity: dict[str, Any],
                      budget: int, progress: Progress | None) -> tuple[int, pd.DataFrame, list[str]]:
    """Align the model, run trials until ``budget`` are finished, and write the outputs
    (:func:`depthprobe.search.report.write_outputs`, the worst set with the search's executor);
    (trials run now, the trial table, the lines of failures.md)."""
    write_record(out, {**identity, "alignment": prepare_alignment(run, record)}, run.space.spec)
    recover_stale(run.study)
    n_new = run_until(run, budget, progress)
    table = trials_table(run.study, run.space)
    failures = failure_lines(table, run.space, identity)
    write_outputs(out, run.space.spec, run.space, run.source, table, failures,
                  run.objective.needs_counterfactual, run.seed)
    return n_new, table, failures


def quiet_optuna() -> None:
    """Inside ``warnings.catch_warnings()``: Optuna's notes on experimental features are not shown."""
    from optuna.exceptions import ExperimentalWarning

    warnings.simplefilter("ignore", category=ExperimentalWarning)


def write_record(out: Path, record: dict[str, Any], spec: StimulusSpec) -> None:
    """``OUT/search.json``: what the search is (identity, alignment) and the resolved spec."""
    atomic_write_bytes(out / SEARCH_FILE, json_bytes({**record, "spec": spec.model_dump(mode="json")}))


def run_until(run: SearchRun, budget: int, progress: Progress | None) -> int:
    """Run trials until ``budget`` are finished; the number of trials run now."""
    done = finished_count(run.study)
    new = 0
    while done < budget:
        for number, outcome in run.run_batch(min(run.source.workers, budget - done)):
            done += 1
            new += 1
            if progress is not None:
                value = "skipped" if outcome is None else f"{outcome.value:.4g}"
                progress("search", min(done, budget), budget, f"trial {number}: {value}")
    if progress is not None and new == 0:
        progress("search", budget, budget, "nothing left to run")
    return new

