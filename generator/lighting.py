"""Per-frame lighting: the sun lamp of a road world re-aimed for one frame (the shading kind's
``FramePlan.sun``) without rebuilding the world.

A frame with ``sun`` None is lit by its variant's sun exactly as built by
:func:`generator.road_world.add_sun` (this module then touches nothing, so the frames of every
other kind render as before); a frame with a sun turns the lamp to it, and the next frame without
one turns it back.  Sun azimuth is where it shines from (0 = ahead, +y; 90 = from the right, +x),
elevation above the horizon, degrees; strength in W/m^2 (Blender's sun units).
"""
from __future__ import annotations

import bpy
import numpy as np
from mathutils import Euler, Vector

from scenes.spec import SunSpec

#: The name of the road world's sun lamp (generator/road_world.py add_sun).
SUN_OBJECT_NAME = "sun"


def sun_rotation(sun: SunSpec) -> Euler:
    """Rotation of a sun lamp (which shines along its local -Z) shining from (azimuth, elevation)."""
    az, el = np.radians(sun.azimuth_deg), np.radians(sun.elevation_deg)
    toward_sun = Vector((np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)))
    return toward_sun.to_track_quat("Z", "Y").to_euler()


class FrameSun:
    """Aims the current world's sun lamp at each frame's sun; knows whether it was moved."""

    def __init__(self) -> None:
        self._aimed = False

    def world_built(self) -> None:
        """A new world stands, its lamp as its variant says."""
        self._aimed = False

    def apply(self, sun: SunSpec | None, variant_sun: SunSpec) -> None:
        """Light the next frame by ``sun`` (None: by ``variant_sun``, the lamp as built).

        A world without a sun lamp (overcast, photographs) is left as it is."""
        if sun is None and not self._aimed:
            return
        lamp = bpy.data.objects.get(SUN_OBJECT_NAME)
        if lamp is None or lamp.type != "LIGHT":
            return
        target = variant_sun if sun is None else sun
        lamp.rotation_euler = sun_rotation(target)
        lamp.data.energy = target.strength
        self._aimed = sun is not None
