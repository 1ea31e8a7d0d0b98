"""Render frames with BlenderProc/Cycles: RGB, exact z-depth, instance and semantic maps.

One FrameRenderer per process: it initialises BlenderProc once, builds the road world of a
variant once, and renders many frames in it by moving objects and the camera (importing
BlenderProc costs about 2 s, building a world about 1 s; a 640x192 frame about 0.7 s).

Determinism: a frame's RGB depends only on its plan and its variant's world, not on what this
process rendered before (see :func:`fresh_cycles_session`), so any subset of frames, in any
order, in any number of processes renders the same files.
"""
from __future__ import annotations

import time
from dataclasses import replace

import bpy
import numpy as np

from generator import materials, textures
from generator.draw_order import draw_over
from generator.blenderproc_runtime import load_blenderproc, quiet_stdout
from generator.lighting import FrameSun
from generator.objects import ObjectPlacer
from generator.photo_world import background_frame, build_photo_world, photo_frame, set_transparent_film
from generator.primitives import OBJECT_INDEX_OFFSET
from generator.render_clock import RenderClock, memory_mib
from generator.render_device import configure_render_device
from generator.render_result import RenderResult
from generator.road_world import build_world
from generator.scene_export import read_camera, read_mesh_nodes, visible_placed_names
from scenes.geometry import Camera, SEMANTIC_CLASSES
from scenes.catalog import Catalog
from scenes.design import FramePlan, derive_seed, frame_rng, spec_backgrounds, RoadLayout, RoadTexture
from scenes.photos import Background
from scenes.formats import FrameGeometry, MeshNode, RenderedFrame
from scenes.spec import RenderSpec, StimulusSpec, VariantSpec

#: Cycles writes this depth (m) where a ray meets no surface; we store +inf there.
CYCLES_NO_HIT_DEPTH_M = 1e9
#: Pixel filter width (px) of the RGB render: Cycles' default Blackman-Harris width.
RGB_FILTER_WIDTH_PX = 1.5
#: Pixel filter width (px) of the geometry render: samples within 0.005 px of the pixel centre.
GEOMETRY_FILTER_WIDTH_PX = 0.01
#: Colour management: "Standard" maps linear colour to sRGB without a tone curve, so a flat
#: (emission) colour shows exactly; BlenderProc leaves Blender's "Filmic" otherwise.
VIEW_TRANSFORM = "Standard"
#: Camera clip range (m): the road reaches 3 km.
CLIP_START_M, CLIP_END_M = 0.05, 10_000.0


def decode_index_pass(index: np.ndarray, object_semantic: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Split Cycles' object-index pass into (instances uint16, semantic uint8).

    :param index: pass indices (H, W): world classes below OBJECT_INDEX_OFFSET, objects above.
    :param object_semantic: semantic class id of each object_id.
    """
    index = np.rint(index).astype(np.int64)
    is_object = index >= OBJECT_INDEX_OFFSET
    instances = np.where(is_object, index - OBJECT_INDEX_OFFSET, 0).astype(np.uint16)
    semantic = np.where(is_object, 0, index).astype(np.uint8)
    for object_id, cls in object_semantic.items():
        semantic[instances == object_id] = cls
    return instances, semantic


def fresh_cycles_session() -> None:
    """Drop Cycles' persistent render data, so that the next render syncs the scene from scratch.

    BlenderProc turns on ``render.use_persistent_data``: Cycles then keeps its scene between
    renders and syncs only what changed, matching Blender data blocks to the nodes it holds by
    their memory address.  When a new world replaces the previous variant's, which new objects
    land on freed addresses (and are taken for old ones) is chance, and so is the state Cycles
    renders the new world from.  Measured before this reset: the frames of a variant rendered
    after another one came out in one of two noise patterns (up to 107/255 per pixel; sky,
    depth and masks equal), fixed or chosen at random per process depending on the variants
    before it; rendered first in a process always the same one; without the sun lamp never
    different.  Setting the option off frees the persistent engine (its RNA update), on again
    keeps persistent data's speed for the frames within a variant (measured: the same hashes as
    with persistent data off altogether, in any frame order, and 2.5x faster than that).
    """
    render = bpy.context.scene.render
    render.use_persistent_data = False
    render.use_persistent_data = True


class FrameRenderer:
    """Renders the frames of one spec in this process (bpy holds one scene per process).

    :param threads: Cycles CPU threads; None = Blender's automatic choice (every core).
    :param device: ``--render-device`` choice (generator/render_device.py).
    :param gpu_index: the one GPU to render on, or None for all the device's GPUs.
    :ivar device: what Cycles renders on, e.g. ``"CPU"`` or ``"OPTIX: NVIDIA H200"``.
    """

    def __init__(self, spec: StimulusSpec, catalog: Catalog, threads: int | None = None,
                 device: str = "cpu", gpu_index: int | None = None):
        self._spec = spec
        self._catalog = catalog
        self._bproc = load_blenderproc()
        self._placer = ObjectPlacer(catalog)
        self._sun = FrameSun()
        self._world_key: tuple[str, RoadTexture | None] | None = None  # the world built: variant name, road texture
        self._world_nodes: tuple[MeshNode, ...] | None = None  # read back after the variant's first render
        self._geometry: FrameGeometry | None = None
        self._photo: RenderedFrame | None = None  # the current variant's photo as a frame (world.background)
        self._photos: dict[str, Background] | None = None  # the spec's photos by id, read once
        self._configure(spec.render, threads)
        self.device = configure_render_device(device, gpu_index)
        self._clock = RenderClock()
        self._calls_s = 0.0  # seconds in BlenderProc render calls since the last render_result
        self._geometry_pass_s = 0.0  # Cycles seconds of the geometry passes since then
        self._world_s = 0.0  # seconds building worlds since the last render_result

    def _configure(self, render: RenderSpec, threads: int | None) -> None:
        bproc = self._bproc
        bpy.context.scene.render.threads_mode = "AUTO" if threads is None else "FIXED"
        if threads is not None:
            bpy.context.scene.render.threads = threads
        if not bpy.context.view_layer.use_pass_z:  # outputs are scene state: enable once per process
            bproc.renderer.enable_depth_output(activate_antialiasing=False)
            bproc.renderer.enable_segmentation_output(map_by=["instance"])
        bproc.renderer.set_noise_threshold(0.0)  # fixed sample count: same noise for every frame
        bproc.renderer.set_denoiser("INTEL" if render.denoise else None)
        bpy.context.scene.render.film_transparent = False
        bpy.context.scene.view_settings.view_transform = VIEW_TRANSFORM
        bpy.context.scene.view_settings.look = "None"
        bpy.context.scene.view_settings.exposure = 0.0

    def use_variant(self, variant: VariantSpec, road_texture: RoadTexture | None = None) -> RoadLayout | None:
        """Build the road world of ``variant`` (with ``road_texture`` on its road) unless that very world
        is already built (the texture kind gives each texture its own variant name, so the pool's
        per-variant scheduling holds; keying on both never renders on a stale road)."""
        if self._world_key == (variant.name, road_texture):
            return None
        start = time.perf_counter()
        fresh_cycles_session()
        self._bproc.clean_up(clean_up_camera=False)
        materials.clear_cache()
        textures.clear_cache()
        self._placer.forget_meshes()
        background = self._background(variant)
        self._photo = background_frame(background) if background is not None else None
        set_transparent_film(self._photo is not None)
        if self._photo is not None:
            build_photo_world(self._spec.world, variant)
            layout = None
        else:
            rng = frame_rng(derive_seed(self._spec.seed, f"world:{variant.world_seed_name}"))
            layout = build_world(self._spec.world, variant, rng, lambda asset_id: self._placer.asset(asset_id).mesh,
                                 road_texture)
        self._world_key = (variant.name, road_texture)
        self._sun.world_built()
        self._world_nodes = None
        self._world_s += time.perf_counter() - start
        return layout

    def _background(self, variant: VariantSpec) -> Background | None:
        """The photo a variant of world.background stands for (None for a road-world variant)."""
        if variant.photo is None:
            return None
        if self._photos is None:
            self._photos = {b.photo_id: b for b in spec_backgrounds(self._spec)}
        return self._photos[variant.photo]

    def _set_camera(self, camera: Camera) -> None:
        bproc = self._bproc
        bproc.camera.set_intrinsics_from_K_matrix(camera.K, camera.width, camera.height,
                                                  clip_start=CLIP_START_M, clip_end=CLIP_END_M)
        bproc.utility.reset_keyframes()
        cam2world = bproc.math.change_source_coordinate_frame_of_transformation_matrix(
            camera.cam_to_world, ["X", "-Y", "-Z"])
        bproc.camera.add_camera_pose(cam2world, frame=0)

    def _cycles_pass(self, seed: int, samples: int, filter_width_px: float) -> dict:
        """One Cycles render of the current scene; BlenderProc's output dict."""
        scene = bpy.context.scene
        scene.cycles.seed = seed % (2**31 - 1)
        scene.cycles.samples = samples
        scene.cycles.filter_width = filter_width_px
        scene.cycles.use_denoising = self._spec.render.denoise and samples > 1
        start = time.perf_counter()
        with quiet_stdout():
            data = self._bproc.renderer.render(verbose=False)
        self._calls_s += time.perf_counter() - start
        return data

    def _render(self, seed: int, object_semantic: dict[int, int]) -> RenderedFrame:
        """RGB from an anti-aliased render; depth and index maps from a pixel-centre render.

        Cycles takes the depth and object-index passes from one camera sample per pixel, whose
        position depends on the pixel filter: with the default 1.5 px filter it lies about
        5e-4 px off the pixel centre, a relative depth error of ~1e-4 at 100 m on the road.
        The second render (1 sample, GEOMETRY_FILTER_WIDTH_PX) samples the pixel centre.
        """
        colors = np.asarray(self._cycles_pass(seed, self._spec.render.samples, RGB_FILTER_WIDTH_PX)["colors"][0])
        before = self._clock.total
        data = self._cycles_pass(seed, 1, GEOMETRY_FILTER_WIDTH_PX)
        self._geometry_pass_s += self._clock.total - before
        depth = np.asarray(data["depth"][0], dtype=np.float32)
        depth = np.where(depth >= CYCLES_NO_HIT_DEPTH_M, np.inf, depth).astype(np.float32)
        instances, semantic = decode_index_pass(np.asarray(data["instance_segmaps"][0]), object_semantic)
        if self._photo is not None:
            return photo_frame(colors.astype(np.uint8), depth, instances, semantic, self._photo)
        return RenderedFrame(colors[..., :3].astype(np.uint8), depth, instances, semantic)

    def render(self, plan: FramePlan, counterfactual: bool = False) -> tuple[RenderedFrame, RenderedFrame | None]:
        """Render a frame (and, if asked, the same frame without its objects, same seed)."""
        self.use_variant(plan.variant, plan.road_texture)
        self._sun.apply(plan.sun, plan.variant.sun or self._spec.world.sun)
        self._set_camera(plan.camera)
        self._placer.place(plan.objects)
        object_semantic = {p.object_id: SEMANTIC_CLASSES[self._catalog.class_of(p.asset).semantic]
                           for p in plan.objects}
        frame = self._render(plan.seed, object_semantic)
        self._geometry = self._read_geometry(plan)
        if plan.drawn_over:  # depth order reversed (generator/draw_order.py)
            frame, self._geometry = draw_over(frame, self._geometry, plan.drawn_over, lambda: (
                self._cycles_pass(plan.seed, self._spec.render.samples, RGB_FILTER_WIDTH_PX)["colors"][0],
                self._render(plan.seed, object_semantic)))
        without = None
        if counterfactual and self._photo is not None:
            without = self._photo  # the photo is the frame without its objects
            self._geometry = replace(self._geometry, counterfactual_objects=())
        elif counterfactual:
            self._placer.set_visible(False)
            without = self._render(plan.seed, {})
            self._geometry = replace(self._geometry, counterfactual_objects=visible_placed_names(self._class_of(plan)))
            self._placer.set_visible(True)
        return frame, without

    def render_result(self, plans: tuple[FramePlan, ...], counterfactual: bool | None = None) -> RenderResult:
        """Render the frames of one render id (``plans[0]``'s scene) with everything the writer
        needs, and where its time went (generator/render_clock.py).

        :param counterfactual: also render it without its objects; None = as the spec says."""
        start = time.perf_counter()
        plan = plans[0]
        frame, without = self.render(plan, self._spec.render.counterfactual if counterfactual is None else counterfactual)
        contacts = self.ground_contact(plan)
        timings = {"render_s": time.perf_counter() - start, "cycles_s": self._clock.lap(),
                   "cycles_geometry_s": self._geometry_pass_s, "render_calls_s": self._calls_s,
                   "world_s": self._world_s, **memory_mib()}
        self._calls_s = self._world_s = self._geometry_pass_s = 0.0
        return RenderResult(plans, frame, without, contacts, self.geometry(), timings, self.device)

    def _class_of(self, plan: FramePlan):
        """object_id -> class name (as the semantic layer labels its pixels) for this frame's objects."""
        classes = {p.object_id: self._catalog.class_of(p.asset).semantic for p in plan.objects}
        return classes.__getitem__

    def _read_geometry(self, plan: FramePlan) -> FrameGeometry:
        """What the render just showed, read back from the scene (generator/scene_export.py); the
        static world once per variant, after its first render."""
        object_class = self._class_of(plan)
        if self._world_nodes is None:
            self._world_nodes = read_mesh_nodes(placed=False, object_class=object_class)
        return FrameGeometry(plan.frame_id, plan.variant.name, self._world_nodes,
                             read_mesh_nodes(placed=True, object_class=object_class), read_camera(self._bproc))

    def geometry(self) -> FrameGeometry:
        """The geometry of the last :meth:`render` (meshes, transforms, camera), for the export."""
        if self._geometry is None:
            raise RuntimeError("nothing rendered yet")
        return self._geometry

    def ground_contact(self, plan: FramePlan) -> dict[int, tuple[float, float]]:
        """Per object_id: (image row, z-depth) of its ground contact, from the mesh geometry."""
        return {p.object_id: self._placer.ground_contact(p, plan.camera) for p in plan.objects}
