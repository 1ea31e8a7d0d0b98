"""The stimulus-set spec: its pydantic schema (``schema``: the whole spec with its camera, render
and checks sections, ``load_spec``, quick and scaled variants), the experiment kinds and their
registry (``experiments``), the shared field types, bounds and the ``Strict`` base (``types``), the
world and background section (``world``), reading spec files with presets, includes and YAML
limits (``files``), and the failure search's search section (``search``).
"""
from scenes.spec.experiments import (EXPERIMENT_KINDS, CameraPoseSpec, ElevationSpec, GroundContactSpec,
                                     ImageTransformsSpec, LevelRange, NovelObjectsSpec, PositionVsSizeSpec,
                                     RandomScenesSpec, RobustnessSpec, kind_tag)
from scenes.spec.perspective import PerspectiveSpec
from scenes.spec.schema import RenderSpec, StimulusSpec, load_spec, parse_spec, quick_spec, scaled_spec
from scenes.spec.world import MAX_MARKING_TAPER_PER_M, RoadSpec, SunSpec, VariantSpec, WorldSpec
from scenes.spec.search import SearchSpec
from scenes.spec.texture import TextureSpec
from scenes.spec.shading import ShadingSpec
from scenes.spec.depth_order import DepthOrderSpec

__all__ = [
    "CameraPoseSpec", "EXPERIMENT_KINDS", "MAX_MARKING_TAPER_PER_M", "ElevationSpec", "GroundContactSpec",
    "ImageTransformsSpec", "LevelRange", "PerspectiveSpec", "NovelObjectsSpec", "PositionVsSizeSpec",
    "RandomScenesSpec", "RenderSpec", "RoadSpec", "RobustnessSpec", "StimulusSpec", "SunSpec",
    "TextureSpec", "VariantSpec", "WorldSpec", "kind_tag", "load_spec", "parse_spec", "quick_spec", "scaled_spec", "SearchSpec",
    "ShadingSpec",
    "DepthOrderSpec",
]
