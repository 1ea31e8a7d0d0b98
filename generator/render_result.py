"""What a render executor hands back, and how frame plans group into renders (no bpy here).

An executor (generator/serial.py: in this process; generator/pool.py: in worker processes) is
handed frame plans and gives back one :class:`RenderResult` per render as it finishes.  Frames
with the same render id differ only by their image transform, so they share one render.
The writer (generator/generate.py) stays in the calling process.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Protocol

from scenes.design import FramePlan
from scenes.formats import FrameGeometry, RenderedFrame


@dataclass(frozen=True)
class RenderResult:
    """One render and the frames it serves.

    :ivar plans: the frames of this render (same render id, variant and scene; they differ only
        by image transform), in the order they were handed in.
    :ivar frame: the rendered arrays (RGB untransformed).
    :ivar counterfactual: the same frame without its objects, or None when the spec asks for none.
    :ivar contacts: per object_id, (image row in pixels, z-depth in metres) of its ground contact.
    :ivar geometry: what the render showed (scenes/formats/geometry.py), with the first plan's frame id.
    :ivar timings: seconds and MiB of this render (generator/render_clock.py TIMING_KEYS, MEMORY_KEYS).
    :ivar device: what Cycles rendered it on, e.g. ``"CPU"`` (generator/render_device.py).
    """

    plans: tuple[FramePlan, ...]
    frame: RenderedFrame
    counterfactual: RenderedFrame | None
    contacts: dict[int, tuple[float, float]]
    geometry: FrameGeometry
    timings: dict[str, float] = field(default_factory=dict)
    device: str = ""

    @property
    def render_id(self) -> str:
        """The render id its plans share."""
        return self.plans[0].render_id


class RenderExecutor(Protocol):
    """Renders frame plans; a context manager that owns its renderer(s).

    :ivar n_workers: workers it renders with (inside its with-block).
    :ivar failures: worker index -> times that worker died and was started again.
    """

    n_workers: int
    failures: dict[int, int]

    def __enter__(self) -> "RenderExecutor": ...

    def __exit__(self, *exc: object) -> None: ...

    def render(self, plans: Iterable[FramePlan], counterfactual: bool | None = None) -> Iterator[RenderResult]:
        """One result per distinct render id of ``plans``, as each render finishes
        (``counterfactual``: also render each without its objects; None = as the spec says)."""
        ...


def group_renders(plans: Iterable[FramePlan]) -> list[tuple[FramePlan, ...]]:
    """The plans grouped by render id, ordered by (variant name, render id): one group per render."""
    groups: dict[str, list[FramePlan]] = {}
    for plan in plans:
        groups.setdefault(plan.render_id, []).append(plan)
    ordered = sorted(groups.values(), key=lambda g: (g[0].variant.name, g[0].render_id))
    return [tuple(group) for group in ordered]
