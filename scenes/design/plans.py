"""Expansion of a spec into frames: the count, the expansion and the checks of a whole design.

:func:`expand` counts a design's frames before building them (one count per experiment kind,
:data:`scenes.design.kinds.FRAME_COUNTS`) and refuses more than :data:`MAX_FRAMES`; then it runs
the kind's expander (:data:`scenes.design.kinds.EXPANDERS`), on every photo for designs on
photographs, and checks the frames' ids and geometry.  What one frame is, with its id and seed,
is :mod:`scenes.design.frames`; the table rows of a frame are :mod:`scenes.design.records`.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from scenes.catalog import Catalog
from scenes.errors import SpecError
from scenes.spec import StimulusSpec
from scenes.design.frames import MIN_OBJECT_DEPTH_M, FramePlan, derive_seed
from scenes.design.kinds import EXPANDERS, FRAME_COUNTS

#: Most frames a design may have unless the caller raises it (``--max-frames``): 100 times the
#: largest preset (the 2000-frame training sets).  Expanding a frame takes 0.3 ms (fixed
#: placements) to 2.3 ms (random scenes) and keeps about 2 kB per plan, so 200 000 frames are
#: checked in 1 to 8 minutes and 0.4 GB; rendering them takes about 3.5 days on 2 CPU cores
#: (640x192, 16 samples).  Far larger designs are almost always a mistake in a range or a list.
MAX_FRAMES = 200_000


def frame_count(spec: StimulusSpec) -> int:
    """The number of frames of a spec's design, computed without expanding it."""
    return FRAME_COUNTS.get(spec.experiment.kind)(spec, spec.experiment)


def check_frame_count(spec: StimulusSpec, max_frames: int = MAX_FRAMES) -> int:
    """The design's frame count; SpecError when it is 0 or above ``max_frames``."""
    count = frame_count(spec)
    if count == 0:
        raise SpecError("experiment: the design has no frames")
    if count > max_frames:
        raise SpecError(f"experiment: the design has {count:,} frames, more than the limit of {max_frames:,} "
                        f"(scenes.design.plans.MAX_FRAMES is {MAX_FRAMES:,}; validate and generate take --max-frames N)")
    return count


def check_unique_ids(frames: list[FramePlan]) -> None:
    """SpecError when two frames share an id (they would overwrite each other's files)."""
    repeated = [frame_id for frame_id, n in Counter(f.frame_id for f in frames).items() if n > 1]
    if repeated:
        raise SpecError(f"experiment: {len(repeated)} frame id(s) repeat (first {repeated[0]!r}): their frames "
                        "would overwrite each other; make the levels, names and assets distinct")


def expand(spec: StimulusSpec, catalog: Catalog, max_frames: int = MAX_FRAMES) -> list[FramePlan]:
    """All frames of a spec, in a stable order, after checking their count, ids and geometry.

    :param max_frames: most frames accepted, counted before any frame is built (default
        :data:`MAX_FRAMES`).
    :raises SpecError: one line that starts with the spec's file (:attr:`StimulusSpec.source`):
        no frames or more than ``max_frames``, repeated frame ids, an unknown asset, objects
        behind the camera or out of the image.
    """
    expander = EXPANDERS.get(spec.experiment.kind)

    def expand_design(design: StimulusSpec) -> list[FramePlan]:
        check_frame_count(design, max_frames)
        return expander(design, design.experiment, catalog)

    try:
        if spec.world.background is None:
            frames = expand_design(spec)
        else:
            from scenes.design.photos import expand_on_photos  # reads the photo folder

            frames = expand_on_photos(spec, expand_design, derive_seed(spec.seed, "photos"))
        check_unique_ids(frames)
        check_geometry(frames, catalog)
    except SpecError as exc:
        if str(exc).startswith(f"{spec.source}:"):
            raise
        raise SpecError(f"{spec.source}: {exc}") from None
    return frames


def check_geometry(frames: list[FramePlan], catalog: Catalog) -> None:
    """Reject frames whose objects lie behind the camera or leave the image (box corners).

    Raises SpecError naming the experiment fields that place objects and the first bad frame.
    """
    for plan in frames:
        for obj in plan.objects:
            corners = obj.box_corners(catalog.get(obj.asset))
            u, v, z = plan.camera.project(corners)
            if np.any(z < MIN_OBJECT_DEPTH_M):
                raise SpecError(
                    f"experiment.base_distance_m: object {obj.asset!r} in frame {plan.frame_id!r} reaches "
                    f"{z.min():.2f} m from the camera (behind it or closer than {MIN_OBJECT_DEPTH_M} m)")
            cam = plan.camera
            if u.min() < -0.5 or u.max() > cam.width - 0.5 or v.min() < -0.5 or v.max() > cam.height - 0.5:
                raise SpecError(
                    f"experiment (base_distance_m, lateral_m, relative_distance): object {obj.asset!r} in frame "
                    f"{plan.frame_id!r} leaves the {cam.width}x{cam.height} image (its box spans columns "
                    f"{u.min():.0f}..{u.max():.0f}, rows {v.min():.0f}..{v.max():.0f})")

