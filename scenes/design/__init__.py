"""From a spec to what is rendered: the expansion of a spec into frame plans (``plans``: counts,
checks, ``expand``), what one frame is with its id and seed (``frames``), the expander and frame
count of each experiment kind (``kinds``), a frame's table rows before rendering (``records``), the
photo-background designs (``photos``), the pure world and mesh model shared by Blender and the ray
caster (``world``, ``meshes``), the text description of a design (``describe``) and the render-time
calibration behind ``validate``'s estimates (``calibration``).
"""
from scenes.design.calibration import Measurement, machine_key, measurement_of, read_measurements, record_measurement
from scenes.design.describe import describe_design
from scenes.design.meshes import AssetMesh, MeshPart, ground_contact, load_asset_mesh, placement_matrix
from scenes.design.photos import PHOTOS_DIGEST_KEY, photos_change, photos_digest, spec_backgrounds
from scenes.design.frames import (Appearance, FramePlan, ObjectPlacement, derive_seed, frame_rng, hsv_to_linear_rgb,
                                  nearest_footprint_offset, RoadTexture)
from scenes.design.plans import MAX_FRAMES, check_geometry, expand
from scenes.design.records import frame_record, object_record, select_frames
from scenes.design.world import GROUND_Y_RANGE_M, RoadLayout, ground_quad, ground_surfaces

__all__ = [
    "Measurement", "machine_key", "measurement_of", "read_measurements", "record_measurement",
    "describe_design", "AssetMesh", "MeshPart", "ground_contact", "load_asset_mesh",
    "placement_matrix", "PHOTOS_DIGEST_KEY", "photos_change", "photos_digest", "spec_backgrounds",
    "Appearance", "FramePlan", "MAX_FRAMES",
    "ObjectPlacement", "RoadTexture", "check_geometry", "derive_seed", "expand", "frame_record", "frame_rng",
    "hsv_to_linear_rgb", "nearest_footprint_offset", "object_record", "select_frames",
    "GROUND_Y_RANGE_M", "RoadLayout", "ground_quad", "ground_surfaces",
]
