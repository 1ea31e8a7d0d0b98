"""A stimulus set's empty roads as a folder of "photographs" with their calibration, the format
``world.background.photos`` reads (scenes/photos/backgrounds.py): test photos with exact depth, made
by our own renderer, for running the photo mode where no photo data set can be had.

``depthprobe export SET --format photos --out DIR`` writes, for every frame with a
counterfactual (``render.counterfactual: true``), the frame without its objects::

    DIR/depthprobe-export.json       the marker (depthprobe/exporters/target.py)
    DIR/<name>.png                   8-bit RGB: the counterfactual render
    DIR/<name>.depth.png             its exact z-depth, KITTI's uint16 PNG (metres x 256, 0 = none)
    DIR/<name>.yaml                  its camera: K, width, height, camera_height_m, pitch_deg,
                                     roll_deg, and the sun of its variant (null when overcast)

``<name>`` is the frame's variant when every exported frame has a variant of its own (a set of
one frame per variant, as assets/example_photos.yaml), else its frame id.

No road mask is written: the reader's default (below the horizon) is the ground of our worlds.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from scenes.errors import StimulusSetError
from depthprobe.exporters.kitti import kitti_depth, png_bytes
from depthprobe.exporters.base import Exporter
from depthprobe.exporters.target import ExportError
from scenes.progress import Progress
from scenes.spec import StimulusSpec
from scenes.formats import StimulusSet
from scenes.storage import atomic_write_bytes


def photo_files(name: str) -> tuple[str, str, str]:
    """The export's files of one photo, relative to DIR: image, depth, calibration."""
    return f"{name}.png", f"{name}.depth.png", f"{name}.yaml"


def photo_names(stimulus_set: StimulusSet, frame_ids: list[str]) -> dict[str, str]:
    """frame id -> file name of its photo (see the module docstring)."""
    if "variant" in stimulus_set.frames:
        variant = dict(zip(stimulus_set.frames["frame_id"], stimulus_set.frames["variant"].astype(str)))
        names = [variant[fid] for fid in frame_ids]
        if len(set(names)) == len(names):
            return dict(zip(frame_ids, names))
    return {fid: fid for fid in frame_ids}


def exported_frames(stimulus_set: StimulusSet) -> list[str]:
    """The frames that have a counterfactual, in frames-table order; ExportError when none has."""
    ids = [fid for fid in stimulus_set.frame_ids if fid in stimulus_set.counterfactual_frame_ids]
    if not ids:
        raise ExportError(f"{stimulus_set.root}: no frame has a counterfactual; --format photos exports the "
                          "frames without their objects (render them with render.counterfactual: true)")
    return ids


def sun_of(stimulus_set: StimulusSet, frame_id: str) -> dict | None:
    """The sun of a frame's variant as calibration YAML (None when its variant is overcast)."""
    try:
        spec = StimulusSpec.model_validate(stimulus_set.manifest["spec"])
    except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise StimulusSetError(f"{stimulus_set.root / 'manifest.json'}: no valid spec ({type(exc).__name__}); "
                               "--format photos reads the sun from it") from None
    row = stimulus_set.frames.set_index("frame_id").loc[frame_id]
    variant = next((v for v in spec.world.variants if v.name == row.get("variant")), None)
    if variant is not None and variant.overcast:
        return None
    sun = (variant.sun if variant is not None and variant.sun is not None else spec.world.sun)
    return {"elevation_deg": sun.elevation_deg, "azimuth_deg": sun.azimuth_deg, "strength": sun.strength}


def calibration_yaml(stimulus_set: StimulusSet, frame_id: str) -> str:
    """A frame's camera (pixels, metres, degrees) and sun in the calibration YAML of scenes/photos/calibration.py."""
    cam = stimulus_set.camera(frame_id)
    data = {"K": [[cam.fx, 0.0, cam.cx], [0.0, cam.fy, cam.cy], [0.0, 0.0, 1.0]], "width": cam.width,
            "height": cam.height, "camera_height_m": cam.height_m, "pitch_deg": cam.pitch_deg,
            "roll_deg": cam.roll_deg, "sun": sun_of(stimulus_set, frame_id)}
    return yaml.safe_dump(data, sort_keys=False)


class PhotosExporter(Exporter):
    """``--format photos``: the empty road of every frame with a counterfactual (module docstring)."""

    format_name = "photos"

    @cached_property
    def names(self) -> dict[str, str]:
        """Frame id -> photo name of every exported frame (:class:`ExportError` when there is none)."""
        return photo_names(self.stimulus_set, exported_frames(self.stimulus_set))

    def check_set(self) -> None:
        exported_frames(self.stimulus_set)  # the set's files were checked when it was opened

    def files(self) -> list[str]:
        return [rel for name in self.names.values() for rel in photo_files(name)]

    def write_files(self, out: Path, progress: Progress) -> None:
        for done, (fid, name) in enumerate(self.names.items(), start=1):
            image, depth, calibration = photo_files(name)
            rgb = np.ascontiguousarray(self.stimulus_set.counterfactual_rgb(fid))
            atomic_write_bytes(out / image, png_bytes(rgb))
            atomic_write_bytes(out / depth, png_bytes(kitti_depth(self.stimulus_set.counterfactual_depth(fid))))
            atomic_write_bytes(out / calibration, calibration_yaml(self.stimulus_set, fid).encode("utf-8"))
            progress("exporting", done, len(self.names), fid)

    def lines(self, out: Path) -> list[str]:
        return [f"photos: {out} (every frame with a counterfactual, without its objects)"]
