"""The semantic class vocabulary: the ids written to a stimulus set's ``semantic/<frame_id>.png``
(8-bit), shared by the renderer, the ray caster, the analyses and the image transforms."""
from __future__ import annotations

#: Semantic class ids written to semantic/<frame_id>.png.
SEMANTIC_CLASSES: dict[str, int] = {
    "sky": 0, "road": 1, "marking": 2, "verge": 3, "building": 4, "vegetation": 5,
    "vehicle": 6, "person": 7, "other_object": 8,
}
#: Semantic id of a photo's pixels outside its road mask (world.background): class unknown.
UNKNOWN_CLASS = 255
