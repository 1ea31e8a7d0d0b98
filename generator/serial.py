"""The in-process render executor: one FrameRenderer in this process, renders in plan order.

This is ``--workers 1``: BlenderProc is loaded into the calling process (which must then leave
through generator.blenderproc_runtime.exit_process), and renders go variant by variant, so each
world is built once.  See generator/render_result.py for the executor contract and
generator/pool.py for the multi-process one.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from scenes.catalog import Catalog
from scenes.design import FramePlan
from scenes.spec import StimulusSpec
from generator.render_result import RenderResult, group_renders


class SerialRenderer:
    """Renders frame plans in this process, one render after another (variant by variant).

    :param threads: Cycles threads; None = Blender's automatic choice (every core).
    :param device: ``--render-device`` choice (generator/render_device.py).
    """

    def __init__(self, spec: StimulusSpec, catalog: Catalog, threads: int | None = None, device: str = "cpu"):
        self._spec = spec
        self._catalog = catalog
        self._threads = threads
        self._device = device
        self._renderer = None
        self.n_workers = 1
        self.failures: dict[int, int] = {}  # this process never restarts

    def __enter__(self) -> "SerialRenderer":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def render(self, plans: Iterable[FramePlan], counterfactual: bool | None = None) -> Iterator[RenderResult]:
        """One result per render id, in (variant, render id) order; BlenderProc loads at the first
        (``counterfactual``: also render each without its objects; None = as the spec says)."""
        for group in group_renders(plans):
            if self._renderer is None:
                from generator.frame_renderer import FrameRenderer  # imports bpy: only when rendering

                self._renderer = FrameRenderer(self._spec, self._catalog, threads=self._threads, device=self._device)
            yield self._renderer.render_result(group, counterfactual)
