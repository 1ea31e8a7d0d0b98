"""Pinhole camera above a flat road: pose, projection, horizon, and road depth.

Conventions (docs/design.md): world in metres with x right, y forward, z up and the road at z = 0.
Camera coordinates follow OpenCV: x right, y down, z forward along the optical axis; pixel
centres at integer coordinates, rows grow downward.  Depth means z-depth along the optical
axis.

Angles, in degrees:

* ``pitch_deg`` > 0 tilts the camera down toward the road; the horizon then moves up in the
  image, to row ``cy - fy * tan(pitch)`` at the centre column.
* ``roll_deg`` > 0 turns the camera counter-clockwise about its optical axis as seen from
  behind it; the horizon then runs down to the right with slope ``tan(roll)`` (rows per column).
* ``yaw_deg`` > 0 turns the camera to the left (counter-clockwise seen from above).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

#: KITTI raw calibration (Geiger et al. 2013), the camera the paper's networks were trained on.
KITTI_FOCAL_PX = 721.5377
KITTI_CX_PX = 609.5593
KITTI_CY_PX = 172.854
KITTI_WIDTH_PX = 1242
KITTI_HEIGHT_PX = 375
KITTI_CAMERA_HEIGHT_M = 1.65
#: Keys :meth:`Camera.from_record` needs (``to_record`` also writes the derived ``horizon_row``).
CAMERA_RECORD_KEYS = ("width", "height", "fx", "fy", "cx", "cy", "height_m", "pitch_deg", "roll_deg")


@dataclass(frozen=True)
class Camera:
    """Intrinsics (pixels) and pose (metres, degrees) of a pinhole camera above the road.

    :param width: image width, pixels (> 0).
    :param height: image height, pixels (> 0).
    :param fx: focal length along x, pixels.
    :param fy: focal length along y, pixels.
    :param cx: principal point column, pixels (pixel centres at integers).
    :param cy: principal point row, pixels.
    :param height_m: height of the optical centre above the road, metres (> 0).
    :param pitch_deg: downward tilt, degrees (-90, 90).
    :param roll_deg: counter-clockwise roll seen from behind, degrees (-90, 90).
    :param yaw_deg: turn to the left, degrees.
    :param x_m: lateral position of the camera, metres.
    :param y_m: forward position of the camera, metres.
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    height_m: float
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    yaw_deg: float = 0.0
    x_m: float = 0.0
    y_m: float = 0.0

    def to_record(self) -> dict[str, float]:
        """The camera as plain JSON data (a manifest's ``canonical_camera``): intrinsics in
        pixels, ``height_m`` in metres, pitch and roll in degrees, and the centre column's
        ``horizon_row`` (derived, for readers; :meth:`from_record` ignores it)."""
        return {"width": self.width, "height": self.height, "fx": self.fx, "fy": self.fy, "cx": self.cx,
                "cy": self.cy, "height_m": self.height_m, "pitch_deg": self.pitch_deg, "roll_deg": self.roll_deg,
                "horizon_row": self.horizon_row()}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "Camera":
        """Inverse of :meth:`to_record`.

        :raises KeyError: a key of :data:`CAMERA_RECORD_KEYS` is missing (the caller names the file).
        """
        return cls(int(record["width"]), int(record["height"]), float(record["fx"]), float(record["fy"]),
                   float(record["cx"]), float(record["cy"]), float(record["height_m"]),
                   float(record["pitch_deg"]), float(record["roll_deg"]))

    @property
    def K(self) -> np.ndarray:
        """3x3 intrinsic matrix (OpenCV convention)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def position(self) -> np.ndarray:
        """Optical centre in world coordinates, metres, shape (3,)."""
        return np.array([self.x_m, self.y_m, self.height_m])

    @property
    def rotation_cam_to_world(self) -> np.ndarray:
        """3x3 rotation whose columns are the camera's x, y, z axes in world coordinates."""
        p, r, y = np.radians([self.pitch_deg, self.roll_deg, self.yaw_deg])
        # Level camera looking along +y: x_c = +x, y_c = -z (down), z_c = +y.
        base = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
        pitch = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(p), np.sin(p)], [0.0, -np.sin(p), np.cos(p)]])
        roll = np.array([[np.cos(r), np.sin(r), 0.0], [-np.sin(r), np.cos(r), 0.0], [0.0, 0.0, 1.0]])
        yaw = np.array([[np.cos(y), -np.sin(y), 0.0], [np.sin(y), np.cos(y), 0.0], [0.0, 0.0, 1.0]])
        return yaw @ base @ pitch @ roll

    @property
    def cam_to_world(self) -> np.ndarray:
        """4x4 camera-to-world transform in the OpenCV camera convention."""
        m = np.eye(4)
        m[:3, :3] = self.rotation_cam_to_world
        m[:3, 3] = self.position
        return m

    def scaled(self, factor: float) -> "Camera":
        """The same camera with the image resized by ``factor`` (intrinsics scale with it).

        Pixel centres stay at integer coordinates: ``c' = (c + 0.5) * factor - 0.5``.
        """
        width = max(1, int(round(self.width * factor)))
        height = max(1, int(round(self.height * factor)))
        sx, sy = width / self.width, height / self.height
        return Camera(width, height, self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5,
                      (self.cy + 0.5) * sy - 0.5, self.height_m, self.pitch_deg, self.roll_deg,
                      self.yaw_deg, self.x_m, self.y_m)

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """World points (N, 3) in metres to camera coordinates (N, 3); column 2 is z-depth."""
        pts = np.asarray(points_world, dtype=float).reshape(-1, 3)
        return (pts - self.position) @ self.rotation_cam_to_world

    def project(self, points_world: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Project world points (N, 3) to pixel columns u, rows v and z-depth (metres).

        Points behind the camera (z-depth <= 0) get u = v = nan.
        """
        pc = self.to_camera(points_world)
        z = pc[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(z > 0, self.fx * pc[:, 0] / z + self.cx, np.nan)
            v = np.where(z > 0, self.fy * pc[:, 1] / z + self.cy, np.nan)
        return u, v, z

    def pixel_rays(self, u: np.ndarray | None = None, v: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Origin (3,) and world directions (N, 3), float64, of the rays through pixels (u, v).

        ``u``, ``v``: pixel columns and rows (any shape, flattened; pixel centres at integers);
        left out, every pixel centre of the image, row-major (N = width * height).  Directions
        are ``R K^-1 [u, v, 1]``: their camera-z component is 1, so the ray parameter of a hit
        is its z-depth in metres.
        """
        if u is None or v is None:
            v, u = np.mgrid[0:self.height, 0:self.width]
        u = np.asarray(u, dtype=np.float64).ravel()
        v = np.asarray(v, dtype=np.float64).ravel()
        d_cam = np.stack([(u - self.cx) / self.fx, (v - self.cy) / self.fy, np.ones_like(u)], axis=1)
        return self.position.astype(np.float64), d_cam @ self.rotation_cam_to_world.T

    def _ray_up_component(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """World z-component of the ray through pixel (u, v) scaled to unit camera z."""
        r3 = self.rotation_cam_to_world[2]
        return r3[0] * (u - self.cx) / self.fx + r3[1] * (v - self.cy) / self.fy + r3[2]

    def horizon_row(self, u: float | np.ndarray | None = None) -> float | np.ndarray:
        """Row of the horizon (points at infinite depth on a level road) at column(s) u.

        Defaults to the principal column ``cx``.  Equals ``cy - fy * tan(pitch)`` without roll.
        """
        u = self.cx if u is None else np.asarray(u, dtype=float)
        r3 = self.rotation_cam_to_world[2]
        v = self.cy - self.fy * (r3[0] * (u - self.cx) / self.fx + r3[2]) / r3[1]
        return float(v) if np.ndim(v) == 0 else v

    def road_depth(self, u: np.ndarray, v: np.ndarray, road_z_m: float = 0.0) -> np.ndarray:
        """z-depth (metres) of the level plane z = ``road_z_m`` seen at pixels (u, v).

        ``+inf`` where the ray does not meet the plane in front of the camera (above the horizon).
        With no pitch or roll this is ``fy * (H - road_z) / (v - cy)``.
        """
        up = self._ray_up_component(np.asarray(u, dtype=float), np.asarray(v, dtype=float))
        drop = self.height_m - road_z_m
        with np.errstate(divide="ignore", invalid="ignore"):
            depth = np.where(up < 0, drop / -up, np.inf)
        return depth

    def road_depth_map(self) -> np.ndarray:
        """z-depth of the road at every pixel, shape (height, width), float32, +inf above the horizon."""
        v, u = np.mgrid[0:self.height, 0:self.width]
        return self.road_depth(u, v).astype(np.float32)


def kitti_like_camera(width: int = 640, height: int = 192, height_m: float = KITTI_CAMERA_HEIGHT_M,
                      pitch_deg: float = 0.0, roll_deg: float = 0.0) -> Camera:
    """The KITTI camera (f = 721.5 px on 1242x375) scaled to ``width`` pixels, square pixels.

    The focal length and principal point scale by ``width / 1242``; ``height`` crops or pads
    the bottom of the image, so the horizon keeps its KITTI place relative to the top.
    """
    s = width / KITTI_WIDTH_PX
    return Camera(width, height, KITTI_FOCAL_PX * s, KITTI_FOCAL_PX * s,
                  (KITTI_CX_PX + 0.5) * s - 0.5, (KITTI_CY_PX + 0.5) * s - 0.5,
                  height_m, pitch_deg, roll_deg)
