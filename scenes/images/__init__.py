"""Whole-image operations on rendered frames: the 18 image corruptions (ImageNet-C's 15 and
RoboDepth's 3, numpy/scipy/Pillow with explicit Generators; ``corruptions``) and the study's image
transforms (grayscale, false colours, semantic colours, class averages; ``transforms``).
"""
from scenes.images.corruptions import CORRUPTIONS, CORRUPTION_NAMES, FAMILIES, transform_id
from scenes.images.transforms import apply_transform

__all__ = [
    "CORRUPTIONS", "CORRUPTION_NAMES", "FAMILIES", "transform_id", "apply_transform",
]
