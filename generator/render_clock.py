"""Where a render's time goes: Cycles' own render time, read off Blender's render handlers, and
the memory of the rendering process.

Cycles' time is the span from Blender's ``render_pre`` to its ``render_post`` handler of each
frame: Blender's render pipeline (scene sync, BVH build, path tracing, and the compositor that
routes the depth and index passes to their outputs); everything else a BlenderProc render call
does (writing its EXR and PNG outputs to disk and reading them back) is outside it.  The timings of
one render are a plain dict of seconds (keys in :data:`TIMING_KEYS`), so they travel through
pipes and Ray like the rest of a render result.
"""
from __future__ import annotations

import resource
import time

#: Keys of a render's timings, seconds: its whole ``render_result`` call; Cycles' own render
#: time (both passes), and of it the 1-sample geometry pass; BlenderProc's render calls (Cycles
#: plus output files written and read back); building the world (0 when the variant was built).
TIMING_KEYS = ("render_s", "cycles_s", "cycles_geometry_s", "render_calls_s", "world_s")
#: Memory keys (MiB): resident now, and the peak of the process so far.
MEMORY_KEYS = ("rss_mib", "peak_rss_mib")
#: Linux reports ru_maxrss in KiB.
KIB_PER_MIB = 1024.0


class RenderClock:
    """Adds up Cycles' render time between Blender's render_pre and render_post handlers.

    One per process (install it once): ``clock.lap()`` returns the seconds since the last lap.
    """

    def __init__(self) -> None:
        import bpy

        self._started: float | None = None
        self._total = 0.0
        self._lap_from = 0.0
        bpy.app.handlers.render_pre.append(self._pre)
        bpy.app.handlers.render_post.append(self._post)

    def _pre(self, *_: object) -> None:
        self._started = time.perf_counter()

    def _post(self, *_: object) -> None:
        if self._started is not None:
            self._total += time.perf_counter() - self._started
            self._started = None

    @property
    def total(self) -> float:
        """Cycles seconds since the clock was made."""
        return self._total

    def lap(self) -> float:
        """Cycles seconds since the previous lap (or since the clock was made)."""
        seconds, self._lap_from = self._total - self._lap_from, self._total
        return seconds


def memory_mib() -> dict[str, float]:
    """This process's resident memory now and its peak so far, MiB (MEMORY_KEYS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MIB
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            resident_pages = int(f.read().split()[1])
        now = resident_pages * resource.getpagesize() / 2**20
    except (OSError, ValueError, IndexError):
        now = peak
    return {"rss_mib": round(now, 1), "peak_rss_mib": round(peak, 1)}
