"""Where a search's frames come from: the generator's render executors (generator/executors.py).

A search renders through one executor from start to end, held by :class:`SearchFrames`:

* opened from :class:`generator.executors.ExecutorOptions` (what ``generate`` takes: workers,
  threads, render device ``auto|cpu|cuda|optix``, executor ``local|ray``, Ray address) at the
  first render -- this process for one local worker (it then loads Blender), else a pool of
  worker processes (generator/pool.py) or Ray actors (generator/ray_executor.py) -- and closed
  when the search ends; or
* brought by the caller: any :class:`generator.render_result.RenderExecutor` already open
  (frame plans in, one RenderResult per render out), used as it is and left open; the tests
  bring exact ray-cast boxes this way (tests/depthprobe/box_executor.py).

Trials are rendered a batch at a time, as many as the executor has workers, and the executor
stays open between batches (each worker keeps the world it built).  The worst-case stimulus set
is written by ``generator.generate`` with the same executor (layers, geometry export, tables,
manifest), so ``evaluate``, ``report``, ``sheet`` and ``verify`` work on it.  Renders are
history-free, so which worker rendered a trial never changes its frame.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from generator.executors import ExecutorOptions, use_executor
from generator.render_result import RenderExecutor
from scenes.catalog import Catalog
from scenes.design import FramePlan
from scenes.formats import RenderedFrame
from scenes.spec import StimulusSpec

#: One rendered plan: the frame, and its counterfactual (the same frame without objects) or None.
Rendered = tuple[RenderedFrame, RenderedFrame | None]


class SearchFrames:
    """The frames of one search, from one render executor (see the module docstring); a context
    manager that closes the executor it opened.

    :param spec: the searched spec (the executor renders its world, camera and render settings).
    :param executor: options to open an executor with at the first render, or a render executor
        already open (used as it is, left open).
    :param n_renders: renders still to come (trials left, plus the reference frame), >= 1: an
        executor opened here starts no more workers than that.
    """

    def __init__(self, spec: StimulusSpec, catalog: Catalog, executor: ExecutorOptions | RenderExecutor,
                 n_renders: int) -> None:
        self.spec = spec
        self.catalog = catalog
        self._executor = executor
        self._n_renders = max(1, n_renders)
        self._stack = ExitStack()
        self._open: RenderExecutor | None = None

    def __enter__(self) -> "SearchFrames":
        return self

    def __exit__(self, *exc: object) -> None:
        self._open = None
        self._stack.__exit__(*exc)

    def executor(self) -> RenderExecutor:
        """The open executor (opened now from the options at the first call)."""
        if self._open is None:
            self._open = self._stack.enter_context(use_executor(self.spec, self.catalog, self._executor,
                                                                self._n_renders))
        return self._open

    @property
    def workers(self) -> int:
        """How many frames the executor renders at once: the trials asked together."""
        return self.executor().n_workers

    def render(self, plans: Sequence[FramePlan], counterfactual: bool) -> list[Rendered]:
        """The plans rendered (with counterfactuals when asked), in the order of ``plans``."""
        results = {r.render_id: r for r in self.executor().render(plans, counterfactual)}
        return [(results[p.render_id].frame, results[p.render_id].counterfactual) for p in plans]

    def write_set(self, spec: StimulusSpec, plans: Sequence[FramePlan], out: Path) -> None:
        """Write a stimulus set of ``plans`` into the new folder ``out`` with ``generator.generate``
        (rendered by this executor; ``spec`` may differ from the searched one only in
        ``render.counterfactual``)."""
        from generator.generate import generate

        generate(spec, out, catalog=self.catalog, plans=list(plans), executor=self.executor())
