"""The world of a photograph (``world.background``): a shadow-catcher road plane at z = 0 under
the photo's sun and our sky, and nothing else; and how a render in it becomes a frame.

The plane catches the objects' shadows (Cycles ``is_shadow_catcher``: it is left out of the
image but darkens it where it is in shadow) and gives the geometry pass its ground, so an
object's contact with it is exact.  The film is transparent, so the RGB render is the objects
over a clear background with their shadows as partial alpha; scenes/photos/compositing.py lays it over
the photo.  Depth, instance and semantic maps: the objects' exact z-depth and masks; elsewhere
the photo's ground-truth depth where it has one (NaN where not), semantic ``road`` inside the
photo's road mask and UNKNOWN_CLASS outside it.
"""
from __future__ import annotations

import bpy
import numpy as np

from generator import materials
from generator.primitives import add_rect
from generator.road_world import OVERCAST_SKY, add_sun
from scenes.photos import Background, composite_over_photo
from scenes.formats import RenderedFrame
from scenes.spec import VariantSpec, WorldSpec
from scenes.geometry import SEMANTIC_CLASSES, UNKNOWN_CLASS
from scenes.design import GROUND_Y_RANGE_M

#: Half width of the shadow-catcher plane (m): wider than any ground the camera sees below the
#: horizon within GROUND_Y_RANGE_M at the widest field of view we render.
CATCHER_HALF_WIDTH_M = 500.0
#: Object name of the plane; the geometry export holds it as the world's road (what the geometry
#: pass hit), and ``depthprobe verify`` checks only the objects of frames on photos.
CATCHER_NAME = "shadow_catcher"


def build_photo_world(world: WorldSpec, variant: VariantSpec) -> None:
    """Build the photo world of ``variant`` into the (empty) scene (see the module docstring)."""
    y0, y1 = GROUND_Y_RANGE_M
    plane = add_rect(CATCHER_NAME, -CATCHER_HALF_WIDTH_M, CATCHER_HALF_WIDTH_M, y0, y1, 0.0,
                     materials.named("asphalt", noise_scale=8.0, noise_amount=0.35), "road")
    plane.is_shadow_catcher = True
    if variant.overcast:
        materials.set_sky(**OVERCAST_SKY)
    else:
        add_sun(variant.sun or world.sun)
        materials.set_sky()


def set_transparent_film(transparent: bool) -> None:
    """Render RGBA over a clear background (photo worlds) or opaque RGB (road worlds)."""
    scene = bpy.context.scene
    scene.render.film_transparent = transparent
    scene.render.image_settings.color_mode = "RGBA" if transparent else "RGB"


def photo_frame(colors: np.ndarray, depth: np.ndarray, instances: np.ndarray, semantic: np.ndarray,
                photo: RenderedFrame) -> RenderedFrame:
    """A frame of the photo world: the render composited over the photo, the objects' depth and
    masks over the photo's known depth and road mask.

    :param photo: the photo as a frame without objects (:func:`background_frame`, read once per photo).
    :param colors: the RGB pass, uint8 (H, W, 4) straight alpha.
    :param depth: the geometry pass's z-depth (m); used only on object pixels.
    :param instances: object ids (0 = none), uint16 (H, W).
    :param semantic: class ids of the geometry pass; used only on object pixels.
    """
    objects = instances > 0
    return RenderedFrame(composite_over_photo(colors, photo.rgb), np.where(objects, depth, photo.depth).astype(np.float32),
                         instances, np.where(objects, semantic, photo.semantic).astype(np.uint8))


def background_frame(background: Background) -> RenderedFrame:
    """The photo itself as a frame without objects (the counterfactual of every frame on it)."""
    road = background.road_mask()
    semantic = np.where(road, SEMANTIC_CLASSES["road"], UNKNOWN_CLASS).astype(np.uint8)
    rgb = background.load_rgb()
    return RenderedFrame(rgb, background.load_depth().astype(np.float32), np.zeros(rgb.shape[:2], np.uint16), semantic)

