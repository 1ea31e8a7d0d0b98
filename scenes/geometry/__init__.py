"""Camera and image geometry: the pinhole camera with its pose and ray directions (``camera``),
the sRGB transfer curve (``colour``), how an object's cues are measured from its exact masks and
depth (``measure``), and the semantic class vocabulary of the ``semantic`` layer (``classes``).
numpy only; every other part of ``scenes`` builds on this one.
"""
from scenes.geometry.camera import CAMERA_RECORD_KEYS, Camera, KITTI_CAMERA_HEIGHT_M, kitti_like_camera
from scenes.geometry.classes import SEMANTIC_CLASSES, UNKNOWN_CLASS
from scenes.geometry.colour import linear_to_srgb, srgb_to_linear
from scenes.geometry.measure import measure_object

__all__ = [
    "CAMERA_RECORD_KEYS", "Camera", "KITTI_CAMERA_HEIGHT_M", "kitti_like_camera",
    "SEMANTIC_CLASSES", "UNKNOWN_CLASS", "linear_to_srgb", "srgb_to_linear", "measure_object",
]
