"""The rows a frame plan contributes to a stimulus set's tables before anything is rendered
(the frames table: :func:`frame_record`; the objects table: :func:`object_record`), and the
even choice of frames for ``--limit`` (:func:`select_frames`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from scenes.geometry import Camera
from scenes.catalog import Catalog
from scenes.errors import SpecError
from scenes.spec import VariantSpec, WorldSpec
from scenes.design.frames import FramePlan, ObjectPlacement


def variant_levels(variant: VariantSpec, world: WorldSpec) -> dict[str, Any]:
    """The world levels a frame of ``variant`` is rendered with (for the frames table)."""
    sun = variant.sun or world.sun
    levels = {"roadside": variant.roadside, "lanes": variant.lanes or world.road.lanes,
              "overcast": variant.overcast, "parked_cars": variant.parked_cars,
              "sun_elevation_deg": sun.elevation_deg, "sun_azimuth_deg": sun.azimuth_deg}
    if variant.photo is not None:
        levels["photo_id"] = variant.photo
    return levels


def frame_record(plan: FramePlan, experiment: str, canonical: Camera, world: WorldSpec) -> dict[str, Any]:
    """The frames-table row of a plan (factor levels, world levels, camera, horizon) before rendering."""
    cam = plan.camera
    return {
        "frame_id": plan.frame_id, "experiment": experiment, **plan.factors,
        **variant_levels(plan.variant if plan.sun is None else plan.variant.model_copy(update={"sun": plan.sun}),
                         world), "seed": plan.seed, "n_objects": len(plan.objects),
        "width": cam.width, "height": cam.height, "fx": cam.fx, "fy": cam.fy, "cx": cam.cx, "cy": cam.cy,
        "camera_height_m": cam.height_m, "pitch_deg": cam.pitch_deg, "roll_deg": cam.roll_deg,
        "horizon_row": cam.horizon_row(), "canonical_horizon_row": canonical.horizon_row(),
        "canonical_camera_height_m": canonical.height_m, "is_reference": plan.is_reference,
    }


def select_frames(frames: list[FramePlan], limit: int | None) -> list[FramePlan]:
    """At most ``limit`` frames spread evenly over the design (every level range is touched).

    The choice depends only on the design, so a limited run is reproducible and resumable.
    """
    if limit is None or limit >= len(frames):
        return frames
    if limit < 1:
        raise SpecError(f"--limit: must be at least 1 (got {limit})")
    picks = np.unique(np.round(np.linspace(0, len(frames) - 1, limit)).astype(int))
    return [frames[i] for i in picks]


def object_record(plan: FramePlan, placement: ObjectPlacement, catalog: Catalog) -> dict[str, Any]:
    """The objects-table columns of a placement that are known before rendering.

    Every factor level of the frame (condition, variant, transform, ...) and of the object, and
    the camera pose, so that the objects table alone carries everything a fit needs.
    """
    asset = catalog.get(placement.asset)
    return {
        **plan.factors,
        "frame_id": plan.frame_id, "object_id": placement.object_id, "asset": asset.id,
        "object_class": asset.object_class, "familiarity": asset.familiarity,
        "camera_height_m": plan.camera.height_m, "pitch_deg": plan.camera.pitch_deg, "roll_deg": plan.camera.roll_deg,
        **placement.factors,
        "scale": placement.scale, "elevation_m": placement.elevation_m,
        "x_m": placement.x_m, "y_m": placement.y_m, "yaw_deg": placement.yaw_deg,
        "class_height_m": catalog.classes[asset.object_class].usual_height_m,
        "object_height_m": asset.height_m * placement.scale,
    }
