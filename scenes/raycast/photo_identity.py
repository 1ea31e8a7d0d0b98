"""``depthprobe verify`` of a set on photographs: are its photos still those it was rendered on?

The manifest of such a set records the digest of its photos (scenes/design/photos.py,
PHOTOS_DIGEST_KEY).  Where the photos changed since, every checked frame on a photo fails
naming the folder (exit 1); where the folder is gone or no longer reads, verify refuses before
any frame is cast (one line, exit 2): it cannot tell.  A set that records no digest (no photos,
or written before photo digests) has nothing to check here.  Pure Python.
"""
from __future__ import annotations

from scenes.design import PHOTOS_DIGEST_KEY, photos_change
from scenes.errors import DepthprobeError, StimulusSetError
from scenes.formats import MANIFEST, StimulusSet
from scenes.spec import parse_spec


def photo_problems(stimulus_set: StimulusSet) -> list[str]:
    """Why the frames on photos fail as a whole: the photos changed since the set was rendered
    (their digest against the manifest's PHOTOS_DIGEST_KEY; empty when unchanged, or when the set
    records none: no photos, or written before photo digests).

    :raises StimulusSetError: the photo folder is gone or no longer reads (verify cannot check it).
    """
    recorded = stimulus_set.manifest.get(PHOTOS_DIGEST_KEY)
    if recorded is None:
        return []
    where = stimulus_set.root / MANIFEST
    spec = parse_spec(stimulus_set.manifest.get("spec"), str(where))
    try:
        change = photos_change(spec, recorded, "the set was rendered")
    except DepthprobeError as exc:
        raise StimulusSetError(f"{stimulus_set.root}: cannot check the photos it was rendered on: {exc}") from None
    return [change] if change else []
