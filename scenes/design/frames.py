"""What one frame of a design is: its plan (:class:`FramePlan`), its objects
(:class:`ObjectPlacement`, :class:`Appearance`), its stable id and seed, and the placement helpers
the experiment kinds (scenes/design/kinds.py) and the search share.

A frame's id is built from its factor levels (``position_only-d1.50-trees``), so it does not
change when other levels are added; its seed is derived from the set's seed and its id, so any
frame, shard or resumed run renders exactly as in a full run.  A level is written with two
decimals, or with as many as it needs when two would round it (:func:`level_text`), so distinct
levels always give distinct ids.  World coordinates in metres (x right, y ahead, z up), angles
in degrees.
"""
from __future__ import annotations

import colorsys
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenes.geometry import Camera, srgb_to_linear
from scenes.catalog import Asset
from scenes.spec import StimulusSpec, SunSpec, VariantSpec

#: Nearest distance (m) from the camera at which an object may start (Blender's clip_start is 0.1 m).
MIN_OBJECT_DEPTH_M = 0.5


def level_text(value: float, spec: str = ".2f") -> str:
    """A factor level as written in frame ids: ``format(value, spec)`` when that reads back as
    exactly ``value`` (``1.50``, ``+0.50``, ``15``), else the shortest text that does
    (``1.004``, ``+0.001``, ``3.0000001``).

    Every level is written the same way whatever the other levels are, and two distinct levels
    never share a text (each text reads back as its own value).

    :param spec: the format used when it is exact: ``".2f"``, ``"+.2f"`` (signed) or ``"g"``.
    """
    text = format(value, spec)
    if float(text) == value:
        return text
    shortest = repr(float(value))
    return "+" + shortest if spec.startswith("+") and not shortest.startswith("-") else shortest


def derive_seed(set_seed: int, key: str) -> int:
    """A 63-bit seed from the set's seed and a key (frame id, ``world:<variant>``)."""
    digest = hashlib.sha256(f"{set_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def frame_rng(seed: int) -> np.random.Generator:
    """The explicit random generator for everything sampled in one frame."""
    return np.random.default_rng(seed)


@dataclass(frozen=True)
class Appearance:
    """How an object looks, apart from its mesh (defaults: as the mesh file says, with a shadow).

    :param shadow: whether it casts a shadow.
    :param paint_rgb: linear RGB (0..1) replacing its ``paint`` part colour; None keeps the file's.
    :param flat_rgb: linear RGB (0..1) of an unshaded, flat-coloured silhouette (every part
        emits this colour, no shading); None = normal shading.
    :param band_thickness_m: height (m) of a flat-coloured band across its nearest face at its
        base (the study's "bottom edge"); 0 = no band.
    :param band_value: brightness (0 black ... 1 white) of the band.
    """

    shadow: bool = True
    paint_rgb: tuple[float, float, float] | None = None
    flat_rgb: tuple[float, float, float] | None = None
    band_thickness_m: float = 0.0
    band_value: float = 0.0
    #: Squares per metre of a two-tone checker on its ``paint`` part, in object coordinates (the
    #: texture experiment's detail); None keeps the paint as it is.
    detail_squares_per_m: float | None = None


@dataclass(frozen=True)
class ObjectPlacement:
    """One object in one frame.

    :param object_id: its value in the instance mask, 1 ... 65535.
    :param asset: catalog id.
    :param x_m: footprint centre, metres right of the camera.
    :param y_m: footprint centre, metres ahead of the camera.
    :param yaw_deg: heading, degrees; 0 = its front faces away from the camera (+y), > 0 turns left.
    :param scale: uniform scale factor applied to the catalog mesh (> 0).
    :param elevation_m: height of its lowest point above the road, metres (>= 0).
    :param factors: factor levels that concern this object (condition, relative_distance, ...).
    """

    object_id: int
    asset: str
    x_m: float
    y_m: float
    yaw_deg: float = 0.0
    scale: float = 1.0
    elevation_m: float = 0.0
    factors: dict[str, Any] = field(default_factory=dict)
    appearance: Appearance = Appearance()

    def box_corners(self, asset: Asset) -> np.ndarray:
        """The 8 corners (8, 3) of its bounding box in world coordinates, metres."""
        hx, hy, h = asset.width_m / 2, asset.length_m / 2, asset.height_m
        local = np.array([[sx * hx, sy * hy, sz * h] for sx in (-1, 1) for sy in (-1, 1) for sz in (0, 1)])
        return self.to_world(local)

    def to_world(self, local: np.ndarray) -> np.ndarray:
        """Asset-frame points (N, 3), metres, to world coordinates (scale, yaw, then move)."""
        c, s = np.cos(np.radians(self.yaw_deg)), np.sin(np.radians(self.yaw_deg))
        rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        return (np.asarray(local, float) * self.scale) @ rot.T + [self.x_m, self.y_m, self.elevation_m]


@dataclass(frozen=True)
class RoadTexture:
    """A cobble texture on the road (the texture experiment; scenes/design/texture.py).

    :param mapping: ``world`` (fixed to the road plane), ``screen`` (fixed to the image: constant
        image density) or ``reversed`` (image density falling with distance).
    :param cell_m: cobble cell size on the road plane under the world mapping, metres.
    :param reference_depth_m: z-depth (m) where the screen and reversed mappings have the world
        mapping's horizontal image density.
    :param camera: the camera the screen mappings are computed for (pixels, intrinsics).
    """

    mapping: str
    cell_m: float
    reference_depth_m: float
    camera: Camera


@dataclass(frozen=True)
class FramePlan:
    """Everything needed to render one frame and describe it in the frames table."""

    frame_id: str
    seed: int
    variant: VariantSpec
    camera: Camera
    objects: tuple[ObjectPlacement, ...]
    factors: dict[str, Any]
    is_reference: bool
    transform: str = "none"
    render_key: str = ""
    #: Seed of the image transform's random draws (corruptions; 0 for the deterministic ones).
    transform_seed: int = 0
    #: The road's texture (the texture experiment); None = the usual asphalt.
    road_texture: RoadTexture | None = None
    #: This frame's sun (the shading kind's sweeps); None = its variant's sun, as every other kind.
    sun: SunSpec | None = None
    #: Object ids drawn over every other surface (depth order reversed, scenes/design/depth_order.py;
    #: their own geometry gives the depth and masks where they cover a pixel); () = physical order.
    drawn_over: tuple[int, ...] = ()

    @property
    def render_id(self) -> str:
        """Frames with the same render id share one render (they differ only by image transform)."""
        return self.render_key or self.frame_id


def plain_frame(spec: StimulusSpec, frame_id: str, variant: VariantSpec, camera: Camera,
                objects: tuple[ObjectPlacement, ...], factors: dict[str, Any], is_reference: bool) -> FramePlan:
    """The plan of one frame rendered on its own: seeded from the set's seed and its id, its
    factor levels followed by its variant's name (the experiment kinds' usual frame)."""
    return FramePlan(frame_id, derive_seed(spec.seed, frame_id), variant, camera, objects,
                     {**factors, "variant": variant.name}, is_reference=is_reference)


def nearest_footprint_offset(asset: Asset, yaw_deg: float, scale: float) -> float:
    """Forward distance (m) from the footprint centre back to its nearest point, for a yaw."""
    c, s = abs(np.cos(np.radians(yaw_deg))), abs(np.sin(np.radians(yaw_deg)))
    return scale * (asset.length_m / 2 * c + asset.width_m / 2 * s)


def standing(asset: Asset, object_id: int, distance_m: float, lateral_m: float, yaw_deg: float,
             scale: float = 1.0, elevation_m: float = 0.0, factors: dict[str, Any] | None = None) -> ObjectPlacement:
    """An object whose footprint's nearest point is ``distance_m`` (m, > 0) ahead of the camera,
    its footprint centre ``lateral_m`` (m) right of it, turned by ``yaw_deg`` (degrees), scaled by
    ``scale`` (> 0) and raised by ``elevation_m`` (m, >= 0); ``factors`` are its object-table levels."""
    y = distance_m + nearest_footprint_offset(asset, yaw_deg, scale)
    return ObjectPlacement(object_id, asset.id, lateral_m, y, yaw_deg, scale, elevation_m, dict(factors or {}))


def hsv_to_linear_rgb(hue_deg: float, saturation: float, value: float) -> tuple[float, float, float]:
    """An HSV colour given in display space as linear RGB for the renderer."""
    r, g, b = srgb_to_linear(colorsys.hsv_to_rgb(hue_deg / 360.0, saturation, value))
    return (float(r), float(g), float(b))
