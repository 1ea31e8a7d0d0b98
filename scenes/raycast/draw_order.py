"""Re-casting a frame drawn out of depth order (the geometry export's ``drawn_over``; the
depth-order experiment's ``reversed`` frames, generator/draw_order.py).

The generator draws the named objects over every other surface: where one of them covers a
pixel centre, the stored layers hold its own z-depth, instance and class, even where another
object is physically in front.  The re-cast does the same: every node is cast (the physical
picture), the drawn-over nodes are cast again alone, and where they hit, their hit replaces the
physical one (depth, node, ids, triangle plane).  So ``depthprobe verify`` passes on such a frame
only if its layers show the drawn-over surfaces -- the physical layers fail it -- and a frame
without ``drawn_over`` is cast exactly as before.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from scenes.errors import StimulusSetError
from scenes.formats import CameraGeometry, MeshNode


def cast_in_draw_order(recast: Callable[[Sequence[MeshNode], CameraGeometry], Any], nodes: Sequence[MeshNode],
                       drawn_over: Sequence[str], camera: CameraGeometry) -> Any:
    """``recast(nodes, camera)`` with the nodes named in ``drawn_over`` drawn over the rest.

    :param recast: the caster (scenes/raycast/verify.py ``recast``), returning a ``Recast``.
    :param drawn_over: node names (``<class>:<instance>:<object>``); () casts in physical order.
    :raises StimulusSetError: a name in ``drawn_over`` is none of ``nodes``.
    """
    cast = recast(nodes, camera)
    if not drawn_over:
        return cast
    front_index = [i for i, node in enumerate(nodes) if node.node_name in set(drawn_over)]
    missing = set(drawn_over) - {nodes[i].node_name for i in front_index}
    if missing:
        raise StimulusSetError(f"geometry record: drawn_over names {sorted(missing)[0]!r}, which is no node of the frame")
    front = recast([nodes[i] for i in front_index], camera)
    drawn = front.node >= 0
    node = np.where(drawn, np.asarray(front_index, dtype=np.int64)[np.maximum(front.node, 0)], cast.node)
    return replace(cast, depth=np.where(drawn, front.depth, cast.depth), node=node,
                   instances=np.where(drawn, front.instances, cast.instances),
                   semantic=np.where(drawn, front.semantic, cast.semantic),
                   normal=np.where(drawn[..., None], front.normal, cast.normal),
                   offset=np.where(drawn, front.offset, cast.offset))
