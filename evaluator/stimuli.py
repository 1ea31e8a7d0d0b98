"""What the evaluator needs from a stimulus set: opened, verified, and its canonical camera.

Verification happens before any model runs, so a damaged set fails in seconds with every
problem listed, not after an hour of inference with a half-written result.
"""
from __future__ import annotations

from pathlib import Path

from scenes.camera import Camera
from scenes.errors import StimulusSetError
from scenes.stimulus_set import (MANIFEST, OBJECTS_TABLE, REQUIRED_LAYERS, StimulusSet, layer_path,
                                 open_stimulus_set, read_layer)

#: Objects-table columns the cue fit reads.
REQUIRED_OBJECT_COLUMNS = ("z_vertical", "z_size")
CANONICAL_CAMERA_KEYS = ("width", "height", "fx", "fy", "cx", "cy", "height_m", "pitch_deg", "roll_deg")
#: Problems listed in full in one error message; the rest are counted.
MAX_LISTED_PROBLEMS = 5


def open_verified(path: str | Path) -> StimulusSet:
    """Open a stimulus set and check every file the evaluator will read.

    Checks (all problems are collected, then raised together): each frame's RGB, depth,
    instance and semantic files exist; files listed in the manifest match their SHA-256;
    files the manifest does not hash can be decoded; the objects table has the cue columns;
    the manifest has a canonical camera.

    :raises StimulusSetError: one line listing the problems (the first few, then a count),
        each naming its file.
    """
    stimulus_set = open_stimulus_set(path)
    found = stimulus_set.problems(check_hashes=True)
    found += _undecodable_unhashed_files(stimulus_set)
    found += _missing_object_columns(stimulus_set)
    found += _canonical_camera_problems(stimulus_set)
    if found:
        extra = (f"; and {len(found) - MAX_LISTED_PROBLEMS} more"
                 if len(found) > MAX_LISTED_PROBLEMS else "")
        raise StimulusSetError(f"{len(found)} problem(s): " + "; ".join(found[:MAX_LISTED_PROBLEMS]) + extra)
    return stimulus_set


def _undecodable_unhashed_files(stimulus_set: StimulusSet) -> list[str]:
    """Decode required per-frame files that have no hash in the manifest (hashed ones are checked by hash)."""
    hashed = set(stimulus_set.manifest.get("files", {}))
    found = []
    for fid in stimulus_set.frame_ids:
        for layer in REQUIRED_LAYERS:
            path = layer_path(stimulus_set.root, layer, fid)
            if path.relative_to(stimulus_set.root).as_posix() in hashed or not path.is_file():
                continue
            try:
                read_layer(path)
            except StimulusSetError as exc:
                found.append(str(exc))
    return found


def _missing_object_columns(stimulus_set: StimulusSet) -> list[str]:
    missing = [c for c in REQUIRED_OBJECT_COLUMNS if c not in stimulus_set.objects.columns]
    if not missing:
        return []
    return [f"{stimulus_set.root / OBJECTS_TABLE}: missing column(s) {', '.join(missing)}"]


def _canonical_camera_problems(stimulus_set: StimulusSet) -> list[str]:
    cam = stimulus_set.manifest.get("canonical_camera")
    where = stimulus_set.root / MANIFEST
    if not isinstance(cam, dict):
        return [f"{where}: no canonical_camera"]
    missing = [k for k in CANONICAL_CAMERA_KEYS if k not in cam]
    return [f"{where}: canonical_camera lacks {', '.join(missing)}"] if missing else []


def canonical_camera(stimulus_set: StimulusSet) -> Camera:
    """The camera the study assumes the network knows (manifest ``canonical_camera``)."""
    cam = stimulus_set.manifest.get("canonical_camera")
    if not isinstance(cam, dict) or any(k not in cam for k in CANONICAL_CAMERA_KEYS):
        raise StimulusSetError(f"{stimulus_set.root / MANIFEST}: no complete canonical_camera")
    return Camera(int(cam["width"]), int(cam["height"]), float(cam["fx"]), float(cam["fy"]),
                  float(cam["cx"]), float(cam["cy"]), float(cam["height_m"]),
                  float(cam["pitch_deg"]), float(cam["roll_deg"]))


def reference_frame_ids(stimulus_set: StimulusSet) -> list[str]:
    """Ids of the reference frames (``is_reference`` true); empty when the column is absent."""
    frames = stimulus_set.frames
    if "is_reference" not in frames.columns:
        return []
    return list(frames.loc[frames["is_reference"].fillna(False).astype(bool), "frame_id"])


def frames_with_objects(stimulus_set: StimulusSet) -> list[str]:
    """Ids of frames that have at least one row in the objects table, in frames-table order."""
    has = set(stimulus_set.objects["frame_id"])
    return [fid for fid in stimulus_set.frame_ids if fid in has]
