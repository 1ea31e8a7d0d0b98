"""Designs on real photographs (``world.background``): the photos take the place of world variants.

How a design meets the photos (``world.background.assign``):

* ``seeded`` (default): the design is expanded once, with one placeholder variant named
  PLACEHOLDER_VARIANT, and each render is put on one photo drawn from the spec's seed
  (scenes/photos/backgrounds.py assign_backgrounds: balanced, independent of the order; frames that
  share a render share its photo);
* ``each``: every photo is a variant, so the whole design runs on every photo (frame ids end
  with the photo's variant name, as with rendered variants).

A set's photos keep their identity: :func:`photos_digest` (scenes/photos/backgrounds.py
``folder_digest``: the ids and bytes of every photo and the files it uses) is recorded in each
frame's progress record and in the manifest (key PHOTOS_DIGEST_KEY); ``generate --resume``
refuses to mix frames of photos that changed, and ``verify`` fails the frames of a set whose
photos changed since it was rendered (docs/guides/photographs.md).

Either way a frame's camera is its photo's calibrated camera (its K, height, pitch and roll are
the true pose; the spec's camera stays the canonical one), its variant carries the photo id
(``VariantSpec.photo``) and the photo's sun where the calibration gives one, and the frames
table gets the column ``photo_id``.  Experiments that vary the camera pose cannot run on photos,
whose pose is fixed.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

from scenes.photos import Background, assign_backgrounds, folder_digest, read_backgrounds
from scenes.errors import SpecError
from scenes.spec import StimulusSpec, SunSpec, VariantSpec

#: Variant name of the frames of a ``seeded`` design before each is put on its photo.
PLACEHOLDER_VARIANT = "photo"
#: Experiment kinds that vary the camera pose (a photo's pose is fixed).
POSE_KINDS = ("camera_pose",)
#: Characters a variant name may not hold (frame ids are file names; scenes.spec.types.check_name).
UNSAFE_NAME = re.compile(r"[^a-z0-9_]+")
#: Longest variant name (scenes.spec.types.check_name) and the hash digits that keep a shortened one unique.
MAX_NAME_CHARS = 64
NAME_HASH_CHARS = 8
#: Key of the photos' digest in a frame's progress record and in the manifest of a set on photos.
PHOTOS_DIGEST_KEY = "photos_digest"
#: Hex digits of a digest shown in messages.
SHOWN_DIGEST_CHARS = 12


@lru_cache(maxsize=8)
def _read(folder: str, width: int, height: int, kitti_camera: str, listing: tuple) -> tuple[Background, ...]:
    return tuple(read_backgrounds(folder, width, height, kitti_camera=kitti_camera))


def folder_listing(folder: str) -> tuple:
    """(relative path, mode, size, modification time in ns) of every entry under ``folder``, links
    not followed: what a read of it depends on (a link, FIFO or loop appearing changes it too;
    empty when it cannot be listed, the reader then says why)."""
    root = Path(folder)
    try:
        return tuple(sorted((str(p.relative_to(root)), st.st_mode, st.st_size, st.st_mtime_ns)
                            for p in root.rglob("*") if (st := p.lstat())))
    except (OSError, RuntimeError):
        return ()


def spec_backgrounds(spec: StimulusSpec) -> tuple[Background, ...]:
    """The photos of ``spec`` (empty without ``world.background``), read and checked again only
    when the folder's files changed (DepthprobeError naming the file and field when one is bad)."""
    background = spec.world.background
    if background is None:
        return ()
    return _read(background.photos, spec.camera.width, spec.camera.height, background.kitti_camera,
                 folder_listing(background.photos))


def photos_digest(spec: StimulusSpec) -> str | None:
    """The hex SHA-256 of the photos ``spec`` renders on (None without ``world.background``).

    :raises DepthprobeError: the photo folder is gone or no longer reads (one line naming it).
    """
    return folder_digest(spec_backgrounds(spec)) if spec.world.background is not None else None


def photos_change(spec: StimulusSpec, recorded: str | None, since: str, now: str | None = None) -> str | None:
    """None when the photos of ``spec`` still have the digest ``recorded``, else one phrase naming
    the folder: "the photos in FOLDER changed since ``since`` (digest ... then, ... now)".

    :param now: the photos' digest when the caller has it (default: computed here).
    :raises DepthprobeError: the photo folder is gone or no longer reads.
    """
    now = photos_digest(spec) if now is None else now
    if now == recorded:
        return None
    then = recorded[:SHOWN_DIGEST_CHARS] if isinstance(recorded, str) else "not recorded"
    folder = spec.world.background.photos if spec.world.background is not None else "(none)"
    return (f"the photos in {folder} changed since {since} (digest {then} then, "
            f"{(now or 'no photos')[:SHOWN_DIGEST_CHARS]} now)")


def variant_name(photo_id: str, taken: set[str]) -> str:
    """A variant name for a photo: ``photo_`` and its id in lower case with unsafe characters as
    ``_`` (a long id keeps its end and a hash of the whole), unique among ``taken``."""
    safe = UNSAFE_NAME.sub("_", photo_id.lower()).strip("_")
    base = f"photo_{safe}"
    if len(base) > MAX_NAME_CHARS:
        digest = hashlib.sha256(photo_id.encode("utf-8")).hexdigest()[:NAME_HASH_CHARS]
        keep = MAX_NAME_CHARS - len("photo__") - NAME_HASH_CHARS - 3
        base = f"photo_{safe[-keep:].strip('_')}_{digest}"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def photo_variants(spec: StimulusSpec, backgrounds: tuple[Background, ...]) -> dict[str, VariantSpec]:
    """photo id -> its variant: the photo's sun where its calibration has one, else world.sun."""
    taken: set[str] = set()
    variants = {}
    for background in backgrounds:
        sun = background.calibration.sun
        sun_spec = (SunSpec(elevation_deg=sun.elevation_deg, azimuth_deg=sun.azimuth_deg, strength=sun.strength)
                    if sun is not None else None)
        variants[background.photo_id] = VariantSpec(name=variant_name(background.photo_id, taken), sun=sun_spec,
                                                    photo=background.photo_id)
    return variants


def expand_on_photos(spec: StimulusSpec, expand_design: Callable[[StimulusSpec], list], seed: int) -> list:
    """The frames of ``spec`` on its photos (see the module docstring); ``expand_design`` expands
    a spec whose variants are given (scenes.design.kinds's expander of the kind); ``seed`` draws the
    photos of a ``seeded`` design."""
    kind = getattr(spec.experiment, "base", spec.experiment).kind
    if kind in POSE_KINDS:
        raise SpecError(f"world.background: experiment kind {kind!r} varies the camera pose, which is fixed in a "
                        "photo; use photos taken at different poses with position_vs_size or elevation")
    backgrounds = spec_backgrounds(spec)
    variants = photo_variants(spec, backgrounds)
    by_id = {b.photo_id: b for b in backgrounds}
    if spec.world.background.assign == "each":
        world = spec.world.model_copy(update={"variants": list(variants.values())})
        plans = expand_design(spec.model_copy(update={"world": world}))
        return [on_photo(plan, by_id[plan.variant.photo], plan.variant) for plan in plans]
    placeholder = spec.world.model_copy(update={"variants": [VariantSpec(name=PLACEHOLDER_VARIANT)]})
    plans = expand_design(spec.model_copy(update={"world": placeholder}))
    chosen = assign_backgrounds(backgrounds, sorted({p.render_id for p in plans}), seed)
    return [on_photo(plan, chosen[plan.render_id], variants[chosen[plan.render_id].photo_id]) for plan in plans]


def on_photo(plan, background: Background, variant: VariantSpec):
    """``plan`` put on ``background``: its camera, its variant (and the variant factor)."""
    camera = background.camera()
    camera = replace(camera, yaw_deg=plan.camera.yaw_deg, x_m=plan.camera.x_m, y_m=plan.camera.y_m)
    factors = {**plan.factors, "variant": variant.name} if "variant" in plan.factors else plan.factors
    return replace(plan, camera=camera, variant=variant, factors=factors)
