"""Where a search's frames come from: a :class:`FrameSource` renders a batch of plans and writes
a stimulus set of chosen plans.

* :class:`BlenderFrames` -- the real renderer (generator/frame_renderer.py), in this process,
  one frame after another; its stimulus sets are written by ``generator.generate`` (with the
  geometry export, so ``verify`` works on them).
* :class:`PoolFrames` -- the same renders from the generator's worker pool (generator/pool.py),
  a batch of trials at a time in parallel, the pool kept open between batches (each worker
  keeps its world); :func:`blender_frames` chooses it for more than one worker.
* :class:`BoxFrames` -- exact ray-cast boxes of scenes/formats/synthetic.py (no Blender; tests and quick
  checks of an objective): each object is a fronto-parallel box of its asset's width and height
  at the nearest point of its footprint, in its paint colour; sun and roadside are not drawn.

Only this module imports the generator (lazily, inside the Blender source).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from scenes.catalog import Catalog
from scenes.geometry import linear_to_srgb, SEMANTIC_CLASSES
from scenes.design import FramePlan
from scenes.formats import RenderedFrame, OBJECT_RGB, Box, FrameSpec, render_spec, write_frames
from scenes.spec import StimulusSpec

#: One rendered plan: the frame, and its counterfactual (the same frame without objects) or None.
Rendered = tuple[RenderedFrame, RenderedFrame | None]
#: Frame index written into the RGB of a box frame that is not a trial (the reference frame).
REFERENCE_INDEX = 65535


class FrameSource(Protocol):
    """Renders plans for a search and writes stimulus sets of them.

    :ivar workers: how many frames it renders at once (the trials asked together).
    """

    workers: int

    def render(self, plans: Sequence[FramePlan], counterfactual: bool) -> list[Rendered]:
        """The plans rendered, in order (with counterfactuals when asked)."""
        ...

    def write_set(self, spec: StimulusSpec, plans: Sequence[FramePlan], out: Path) -> None:
        """Write a stimulus set of ``plans`` into the new folder ``out``, rendered with ``spec``."""
        ...

    def close(self) -> None:
        """Release what rendering holds (worker processes); rendering again reopens it."""
        ...


class BlenderFrames:
    """Cycles renders in this process: one :class:`generator.frame_renderer.FrameRenderer`, built
    at the first render (bpy holds one scene per process), frames one after another."""

    workers = 1

    def __init__(self, spec: StimulusSpec, catalog: Catalog) -> None:
        self.spec = spec
        self.catalog = catalog
        self._renderer = None

    def render(self, plans: Sequence[FramePlan], counterfactual: bool) -> list[Rendered]:
        """Render each plan (and its counterfactual) with the spec's render settings."""
        if self._renderer is None:
            from generator.frame_renderer import FrameRenderer  # imports bpy: only when rendering

            self._renderer = FrameRenderer(self.spec, self.catalog)
        return [self._renderer.render(plan, counterfactual=counterfactual) for plan in plans]

    def write_set(self, spec: StimulusSpec, plans: Sequence[FramePlan], out: Path) -> None:
        """``generator.generate`` of these plans: layers, geometry export, tables, manifest."""
        from generator.generate import generate

        self._renderer = None  # generate builds its own renderer (and world) in this process
        generate(spec, out, catalog=self.catalog, plans=list(plans))

    def close(self) -> None:
        """Nothing to release (the renderer lives as long as this process's Blender)."""


class PoolFrames:
    """Cycles renders from a pool of ``workers`` worker processes (generator/pool.py), opened at
    the first render and kept until :meth:`close`; this process never loads Blender."""

    def __init__(self, spec: StimulusSpec, catalog: Catalog, workers: int) -> None:
        self.spec = spec
        self.catalog = catalog
        self.workers = workers
        self._pool = None

    def render(self, plans: Sequence[FramePlan], counterfactual: bool) -> list[Rendered]:
        """Render the plans in parallel; returned in their order."""
        if self._pool is None:
            from generator.pool import RenderPool

            self._pool = RenderPool(self.spec, self.catalog, workers=self.workers).__enter__()
        results = {r.render_id: r for r in self._pool.render(plans, counterfactual)}
        return [(results[p.render_id].frame, results[p.render_id].counterfactual) for p in plans]

    def write_set(self, spec: StimulusSpec, plans: Sequence[FramePlan], out: Path) -> None:
        """``generator.generate`` of these plans with this many workers (its own pool)."""
        from generator.executors import ExecutorOptions
        from generator.generate import generate

        self.close()  # free the cores for generate's pool
        generate(spec, out, catalog=self.catalog, plans=list(plans),
                 executor=ExecutorOptions(workers=self.workers, in_process=False))

    def close(self) -> None:
        """Stop the pool's workers (a later render starts a new pool)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def blender_frames(spec: StimulusSpec, catalog: Catalog, workers: int = 1) -> FrameSource:
    """The real renderer for ``workers`` frames at a time: in this process for 1, else a pool."""
    workers = max(1, int(workers))
    return BlenderFrames(spec, catalog) if workers == 1 else PoolFrames(spec, catalog, workers)


def linear_to_srgb8(rgb: tuple[float, float, float]) -> tuple[int, int, int]:
    """Linear RGB 0..1 to display sRGB 0..255 (scenes/geometry/colour.py, rounded)."""
    return tuple(int(round(255 * float(v))) for v in linear_to_srgb(rgb))  # type: ignore[return-value]


class BoxFrames:
    """Ray-cast boxes (scenes/formats/synthetic.py) instead of renders; see the module docstring.  The
    frame's index in the RGB (``scenes.formats.synthetic.encode_index``) is its trial number."""

    workers = 1

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def frame_spec(self, plan: FramePlan, counterfactual: bool) -> FrameSpec:
        """The synthetic frame of a plan: one box per object."""
        boxes = []
        for p in plan.objects:
            asset = self.catalog.get(p.asset)
            rgb = OBJECT_RGB if p.appearance.paint_rgb is None else linear_to_srgb8(p.appearance.paint_rgb)
            nearest = p.y_m - asset.length_m * p.scale / 2
            boxes.append(Box(z_m=nearest, height_m=asset.height_m * p.scale, width_m=asset.width_m * p.scale,
                             x_m=p.x_m, elevation_m=p.elevation_m, rgb=rgb, shadow=p.appearance.shadow,
                             columns={"asset": p.asset, **p.factors},
                             class_height_m=self.catalog.class_of(p.asset).usual_height_m))
        return FrameSpec(plan.frame_id, plan.camera, tuple(boxes), dict(plan.factors), plan.is_reference,
                         counterfactual)

    def render(self, plans: Sequence[FramePlan], counterfactual: bool) -> list[Rendered]:
        """Ray-cast each plan (and its counterfactual: the road alone)."""
        out = []
        for plan in plans:
            trial = int(plan.factors.get("trial", -1))
            index = trial % REFERENCE_INDEX if trial >= 0 else REFERENCE_INDEX
            layers = render_spec(self.frame_spec(plan, counterfactual), index)["layers"]
            frame = RenderedFrame(layers["rgb"], layers["depth"], layers["instances"], layers["semantic"])
            without = None
            if counterfactual:
                semantic = np.where(np.isfinite(layers["counterfactual_depth"]), SEMANTIC_CLASSES["road"],
                                    SEMANTIC_CLASSES["sky"]).astype(np.uint8)
                without = RenderedFrame(layers["counterfactual_rgb"], layers["counterfactual_depth"],
                                        np.zeros_like(layers["instances"]), semantic)
            out.append((frame, without))
        return out

    def close(self) -> None:
        """Nothing to release."""

    def write_set(self, spec: StimulusSpec, plans: Sequence[FramePlan], out: Path) -> None:
        """A synthetic stimulus set of the plans (``scenes.formats.synthetic.write_frames``)."""
        specs = [self.frame_spec(p, spec.render.counterfactual) for p in plans]
        write_frames(out, specs, canonical=spec.camera.to_camera(), spec_hash=spec.spec_hash())

