"""Photographs as backgrounds: reading a folder or KITTI raw layout of photos with their
calibration (``backgrounds``, ``calibration``) and compositing rendered objects over a photo in
linear light (``compositing``).
"""
from scenes.photos.backgrounds import Background, assign_backgrounds, folder_digest, read_backgrounds
from scenes.photos.compositing import composite_over_photo

__all__ = [
    "Background", "assign_backgrounds", "folder_digest", "read_backgrounds", "composite_over_photo",
]
