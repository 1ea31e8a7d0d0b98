"""Frames drawn out of depth order (``FramePlan.drawn_over``, the depth-order experiment's
``reversed`` condition): some objects drawn over every other surface, everything else as in the
normal render.

After the frame's normal render (RGB and the pixel-centre geometry pass), the scene is rendered
once more with only the drawn-over objects visible to camera rays: every other object and the
world are made camera-invisible (``visible_camera = False``) but still cast shadows, reflect and
light the scene, and the film is transparent.  That gives the drawn-over objects' anti-aliased
RGBA exactly as lit in the full scene (their shading, and the shadows other objects cast on
them, unchanged; same seed, same samples, no denoiser).  It is composited over the normal render
in linear light (scenes/photos/compositing.py: ``alpha * over + (1 - alpha) * normal``), so
every other pixel, shadow and object stays as rendered and only where the objects overlap does
the drawn-over one show: the T-junctions reverse, nothing else changes.

Depth, instance and semantic layers come from the same pass's pixel-centre geometry render:
where a drawn-over object covers the pixel centre, its own z-depth and ids (the surface drawn
there); elsewhere the normal render's.  The geometry export records the drawn-over objects
(``FrameGeometry.drawn_over``) and ``depthprobe verify`` re-casts them over the rest the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import bpy
import numpy as np

from generator.photo_world import set_transparent_film
from generator.primitives import OBJECT_INDEX_OFFSET
from scenes.formats import FrameGeometry, RenderedFrame
from scenes.photos import composite_over_photo


@contextmanager
def only_drawn(object_ids: tuple[int, ...]) -> Iterator[None]:
    """Within the block, camera rays see only the placed objects ``object_ids`` (film transparent);
    every other mesh keeps its shadows, light and reflections.  Restored afterwards."""
    scene = bpy.context.scene
    transparent = scene.render.film_transparent
    hidden = [obj for obj in scene.objects
              if obj.type == "MESH" and obj.visible_camera and obj.pass_index - OBJECT_INDEX_OFFSET not in object_ids]
    for obj in hidden:
        obj.visible_camera = False
    set_transparent_film(True)
    try:
        yield
    finally:
        for obj in hidden:
            obj.visible_camera = True
        set_transparent_film(transparent)


def draw_over(frame: RenderedFrame, geometry: FrameGeometry, object_ids: tuple[int, ...],
              render_alone: Callable[[], tuple[np.ndarray, RenderedFrame]]) -> tuple[RenderedFrame, FrameGeometry]:
    """The frame with ``object_ids`` drawn over everything (see the module docstring).

    :param frame: the normal render (RGB uint8 (H, W, 3), depth, instances, semantic).
    :param geometry: its geometry export; returned with ``drawn_over`` set to the objects' node names.
    :param render_alone: renders the current scene and returns (RGBA uint8 (H, W, 4), straight
        alpha; the geometry pass's layers); called with only ``object_ids`` visible to the camera.
    """
    with only_drawn(tuple(object_ids)):
        rgba, alone = render_alone()
    rgba = np.asarray(rgba)
    if rgba.shape[-1] != 4:
        raise RuntimeError(f"the drawn-over pass gave {rgba.shape[-1]} channels, not RGBA")
    drawn = np.isin(alone.instances, np.asarray(object_ids, dtype=np.int64))
    out = RenderedFrame(composite_over_photo(rgba.astype(np.uint8), frame.rgb),
                        np.where(drawn, alone.depth, frame.depth).astype(np.float32),
                        np.where(drawn, alone.instances, frame.instances).astype(np.uint16),
                        np.where(drawn, alone.semantic, frame.semantic).astype(np.uint8))
    names = tuple(sorted(n.node_name for n in geometry.objects if n.instance_id in object_ids))
    return out, replace(geometry, drawn_over=names)
