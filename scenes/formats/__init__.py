"""Files depthprobe writes and reads: the stimulus set (``stimulus_set``: manifest, tables,
layers, progress), the exported rendered geometry (``geometry``), the record of one rendered frame
(``rendered_frame``) and the synthetic-set writer used by tests and benchmarks (``synthetic``).
"""
from scenes.formats.geometry import CameraGeometry, FrameGeometry, GeometryWriter, MeshNode, read_frame_geometry
from scenes.formats.rendered_frame import RenderedFrame
from scenes.formats.stimulus_set import FRAMES_TABLE, MANIFEST, OBJECTS_TABLE, PROGRESS, StimulusSet, append_progress, check_set_target, layer_path, manifest_of, open_stimulus_set, read_progress, record_is_intact, remove_temporaries, write_layer, write_manifest, write_tables
from scenes.formats.set_checks import layer_limit
from scenes.formats.synthetic import Box, FrameSpec, OBJECT_RGB, render_spec, write_frames

__all__ = [
    "layer_limit",
    "CameraGeometry", "FrameGeometry", "GeometryWriter", "MeshNode", "read_frame_geometry",
    "RenderedFrame", "FRAMES_TABLE", "MANIFEST", "OBJECTS_TABLE", "PROGRESS", "StimulusSet",
    "append_progress", "check_set_target", "layer_path", "manifest_of", "open_stimulus_set",
    "read_progress", "record_is_intact", "remove_temporaries", "write_layer", "write_manifest",
    "write_tables", "Box", "FrameSpec", "OBJECT_RGB", "render_spec", "write_frames",
]
