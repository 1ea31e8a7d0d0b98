"""What a search leaves in its folder: the trial table, the worst cases as a stimulus set, and a
short text of the factor ranges where the model fails.

* ``OUT/trials.parquet`` -- one row per trial: ``trial``, ``state`` (COMPLETE, PRUNED = skipped,
  FAIL = left by a killed run and asked again), ``objective``, ``frame_id``, every factor's value
  (:data:`depthprobe.search.space.FACTORS`), what the objective recorded (``z_true_m``,
  ``estimate_m``, ``fraction``, ``missed``, ...), ``skipped`` (why), ``retry_of``, ``seconds``;
* ``OUT/worst/`` -- the worst decile of the evaluated trials (at least one), rendered again from
  their plans (same seeds) by the search's render executor and written by ``generator.generate``
  (:meth:`depthprobe.search.render.SearchFrames.write_set`: layers, geometry export, tables,
  manifest), plus the reference frame (``is_reference``), so ``evaluate``, ``report``, ``sheet``
  and ``verify`` work on it; written beside and swapped in, so a failed write leaves the
  previous one;
* ``OUT/failures.md`` -- for every searched factor, the range (or the level counts) of the worst
  decile against all evaluated trials.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from depthprobe.search.render import SearchFrames
from depthprobe.search.space import FACTORS, SearchSpace
from scenes.errors import DepthprobeError
from scenes.spec import StimulusSpec
from scenes.formats import open_stimulus_set
from scenes.storage import atomic_write_bytes, parquet_bytes
from scenes.outputs import StagedOutput

TRIALS_FILE = "trials.parquet"
WORST_DIR = "worst"
FAILURES_FILE = "failures.md"
#: Share of the evaluated trials kept as the worst cases (at least one trial).
WORST_FRACTION = 0.1
#: A depth error above this (log units: δ >= 1.25, the standard metric's threshold) is a failure.
DEPTH_FAILURE_LOG = math.log(1.25)


def trials_table(study, space: SearchSpace) -> pd.DataFrame:
    """One row per trial of the study (see the module docstring), in trial order."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        values = space.values(trial.params)
        seconds = ((trial.datetime_complete - trial.datetime_start).total_seconds()
                   if trial.datetime_complete and trial.datetime_start else math.nan)
        rows.append({"trial": trial.number, "state": trial.state.name,
                     "objective": trial.value if trial.value is not None else math.nan,
                     "frame_id": trial.user_attrs.get("frame_id", ""),
                     **{k: (math.nan if v is None else v) for k, v in values.items()},
                     **trial.user_attrs.get("outcome", {}),
                     "skipped": trial.user_attrs.get("skipped", ""),
                     "retry_of": trial.user_attrs.get("retry_of", -1), "seconds": seconds})
    table = pd.DataFrame(rows, columns=None if rows else ["trial", "state", "objective", "frame_id", *FACTORS])
    for column in table.columns:
        present = table[column].dropna()
        if len(present) and present.map(lambda v: isinstance(v, (bool, np.bool_))).all():
            table[column] = table[column].astype("boolean")
    return table


def evaluated(table: pd.DataFrame) -> pd.DataFrame:
    """The trials with an objective value."""
    return table[table["state"] == "COMPLETE"]


def worst_count(n_evaluated: int) -> int:
    """How many trials the worst decile holds (at least one when any was evaluated)."""
    return max(1, math.ceil(WORST_FRACTION * n_evaluated)) if n_evaluated else 0


def worst_trials(table: pd.DataFrame) -> list[int]:
    """Trial numbers of the worst decile, worst first (ties: the earlier trial)."""
    done = evaluated(table).sort_values(["objective", "trial"], ascending=[False, True], kind="stable")
    return [int(n) for n in done["trial"].head(worst_count(len(done)))]


def _trials(n: int) -> str:
    return f"{n} trial" if n == 1 else f"{n} trials"


def _range_text(values: pd.Series) -> str:
    return f"{values.min():.4g} ... {values.max():.4g}" if len(values) else "-"


def _levels_text(values: pd.Series) -> str:
    counts = values.value_counts()
    return ", ".join(f"{level} {int(n)}" for level, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def factor_rows(table: pd.DataFrame, space: SearchSpace) -> list[str]:
    """Markdown table rows: each searched factor's worst-decile range (or level counts) vs all."""
    done = evaluated(table)
    worst = done[done["trial"].isin(worst_trials(table))]
    rows = [f"| factor | worst decile ({_trials(len(worst))}) | all evaluated ({_trials(len(done))}) |", "|---|---|---|"]
    for factor in space.searched():
        text = _levels_text if factor in ("asset", "roadside") else _range_text
        rows.append(f"| {factor} | {text(worst[factor])} | {text(done[factor])} |")
    return rows


def failure_count_line(done: pd.DataFrame, objective: str) -> list[str]:
    """How many evaluated trials fail by the objective's own criterion (built-in objectives)."""
    if objective == "depth-error":
        n = int((done["objective"] > DEPTH_FAILURE_LOG).sum())
        return [f"Trials with a depth error above log 1.25 = {DEPTH_FAILURE_LOG:.3f} (δ >= 1.25): {n} of {len(done)}."]
    if objective == "missed" and "missed" in done.columns:
        n = int(done["missed"].fillna(False).sum())
        return [f"Objects missed (shown less than half of their true log-depth change): {n} of {len(done)}."]
    return []


def failure_lines(table: pd.DataFrame, space: SearchSpace, identity: dict[str, Any]) -> list[str]:
    """The text of ``failures.md`` (also what the command prints)."""
    done = evaluated(table)
    finished = table[table["state"].isin(["COMPLETE", "PRUNED"])]
    lines = [f"# Failure search: {space.spec.name}, model {identity['model']}, objective {identity['objective']}", "",
             f"{len(finished)} trials finished ({len(done)} evaluated, {len(finished) - len(done)} skipped: "
             f"object out of the image or not judged), sampler {identity['sampler']}, seed {identity['seed']}."]
    if done.empty:
        return lines + ["", "No trial was evaluated: nothing to report."]
    worst = worst_trials(table)
    top = done.set_index("trial").loc[worst]
    lines += [f"Objective (larger = worse): worst {top['objective'].iloc[0]:.4g} (trial {worst[0]}), "
              f"worst decile {top['objective'].min():.4g} ... {top['objective'].max():.4g}, "
              f"median of all {done['objective'].median():.4g}.", *failure_count_line(done, identity["objective"]),
              "", "Factor ranges where the model fails (the worst decile against all evaluated trials):", "",
              *factor_rows(table, space), "",
              f"The worst decile is the stimulus set {WORST_DIR}/ (frames {', '.join(top['frame_id'])})."]
    if identity["sampler"] != "random":
        lines += ["", f"The {identity['sampler']} sampler looks most where the model already failed, so a factor narrow "
                      "in the worst decile is a lead, not a proof: check it with --sampler random or a sweep."]
    return lines


def write_worst_set(out: Path, spec: StimulusSpec, space: SearchSpace, source: SearchFrames, table: pd.DataFrame,
                    counterfactual: bool, seed: int) -> Path | None:
    """Write ``OUT/worst/`` (see the module docstring); None when no trial was evaluated.  A set
    already holding exactly these frames of this spec is kept as it is."""
    numbers = worst_trials(table)
    if not numbers:
        return None
    rows = table.set_index("trial").loc[numbers]
    plans = [space.reference_plan(seed)] + [
        space.trial_plan(space.values(_params(row)), int(n), seed) for n, row in rows.iterrows()]
    render = spec.render.model_copy(update={"counterfactual": spec.render.counterfactual or counterfactual})
    set_spec = spec.model_copy(update={"render": render})
    target = out / WORST_DIR
    if _holds(target, set_spec.spec_hash(), [p.frame_id for p in plans]):
        return target
    with StagedOutput(target) as staged:
        source.write_set(set_spec, plans, staged.path)
        staged.commit()
    return target


def _params(row: pd.Series) -> dict[str, Any]:
    """A trial-table row's factor values (NaN hue: the mesh's own paint)."""
    values = {k: row[k] for k in FACTORS if k in row.index}
    if isinstance(values.get("hue_deg"), float) and math.isnan(values["hue_deg"]):
        values["hue_deg"] = None
    return values


def _holds(target: Path, spec_hash: str, frame_ids: Sequence[str]) -> bool:
    """Whether ``target`` is an intact stimulus set (every file checked by :func:`open_stimulus_set`)
    of ``spec_hash`` with exactly ``frame_ids``."""
    if not (target / "manifest.json").exists():
        return False
    try:
        found = open_stimulus_set(target)
    except DepthprobeError:
        return False
    return found.manifest.get("spec_hash") == spec_hash and found.frame_ids == list(frame_ids)  # opened: checked


def write_outputs(out: Path, spec: StimulusSpec, space: SearchSpace, source: SearchFrames, table: pd.DataFrame,
                  failures: list[str], counterfactual: bool, seed: int) -> None:
    """``trials.parquet``, ``worst/`` and ``failures.md`` (each written atomically)."""
    atomic_write_bytes(out / TRIALS_FILE, parquet_bytes(table))
    write_worst_set(out, spec, space, source, table, counterfactual, seed)
    atomic_write_bytes(out / FAILURES_FILE, ("\n".join(failures) + "\n").encode("utf-8"))
