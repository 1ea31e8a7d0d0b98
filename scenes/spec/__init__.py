"""The stimulus-set spec: its pydantic schema (``schema``: the experiment kinds, render, world
and camera sections, ``load_spec``, quick and scaled variants), the shared field types and the
``Strict`` base (``types``), the world and background section (``world``), reading spec files with
presets, includes and YAML limits (``files``), and the failure search's search section (``search``).
"""
from scenes.spec.schema import CameraPoseSpec, EXPERIMENT_KINDS, ElevationSpec, GroundContactSpec, ImageTransformsSpec, LevelRange, NovelObjectsSpec, PositionVsSizeSpec, RandomScenesSpec, RenderSpec, RoadSpec, RobustnessSpec, StimulusSpec, SunSpec, VariantSpec, WorldSpec, kind_tag, load_spec, quick_spec, scaled_spec
from scenes.spec.search import SearchSpec

__all__ = [
    "CameraPoseSpec", "EXPERIMENT_KINDS", "ElevationSpec", "GroundContactSpec",
    "ImageTransformsSpec", "LevelRange", "NovelObjectsSpec", "PositionVsSizeSpec",
    "RandomScenesSpec", "RenderSpec", "RoadSpec", "RobustnessSpec", "StimulusSpec", "SunSpec",
    "VariantSpec", "WorldSpec", "kind_tag", "load_spec", "quick_spec", "scaled_spec", "SearchSpec",
]
