"""The ``shading`` kind's frames (:class:`scenes.spec.shading.ShadingSpec`): a sun sweep over fixed
objects and bump-versus-dent plates under named suns, every frame with its own sun
(:attr:`FramePlan.sun`) in its variant's world.

Frame ids (levels written by :func:`level_text`):

* sweep: ``<series>-ref-<variant>`` (the reference sun, a reference frame) and
  ``<series>-az<azimuth>-el<elevation>-<variant>``; series ``shading_only`` (objects cast no
  shadow) or ``shadows``;
* relief: ``relief-<bump|dent>-<light>-d<distance>-<variant>`` (no cast shadow).

Frame factors: ``part`` (``sweep`` | ``relief``), ``series``, ``sun_azimuth_deg``,
``sun_elevation_deg`` (the frame's sun, degrees), and for relief frames ``light`` and ``relief``;
object factors: ``relief`` (``bump``, ``dent`` or ``none``) and ``relief_sign`` (+1 centre above
the rim, -1 below, 0 no relief).
"""
from __future__ import annotations

from dataclasses import replace
from itertools import product

from scenes.catalog import Catalog
from scenes.design.frames import Appearance, FramePlan, level_text, plain_frame, standing
from scenes.spec import ShadingSpec, StimulusSpec, SunSpec

#: Shadow series: the sweep's level name of each ``shadows`` value of the spec.
SERIES_NAMES = {False: "shading_only", True: "shadows"}
#: Relief of each relief asset: (name, sign of centre height minus rim height).
RELIEFS = (("bump", 1), ("dent", -1))
#: Object factors of the sweep's objects (they carry no relief).
NO_RELIEF = {"relief": "none", "relief_sign": 0}


def _sun_factors(sun: SunSpec) -> dict[str, float]:
    return {"sun_azimuth_deg": sun.azimuth_deg, "sun_elevation_deg": sun.elevation_deg}


def _sweep_frames(spec: StimulusSpec, exp: ShadingSpec, catalog: Catalog) -> list[FramePlan]:
    sweep = exp.sweep
    camera = spec.camera.to_camera()
    assets = [catalog.get(o.asset, field=f"experiment.sweep.objects.{i}.asset") for i, o in enumerate(sweep.objects)]
    ref = exp.reference_sun
    suns = [("ref", ref)] + [
        (f"az{level_text(az, 'g')}-el{level_text(el, 'g')}", SunSpec(azimuth_deg=az, elevation_deg=el,
                                                                        strength=ref.strength))
        for az, el in product(sweep.azimuth_deg, sweep.elevation_deg)]
    frames = []
    for variant, shadows, (key, sun) in product(spec.world.variants, sweep.shadows, suns):
        series = SERIES_NAMES[shadows]
        objects = tuple(replace(standing(a, i + 1, o.distance_m, o.lateral_m, o.yaw_deg,
                                         factors={"distance_m": o.distance_m, **NO_RELIEF}),
                                appearance=Appearance(shadow=shadows))
                        for i, (a, o) in enumerate(zip(assets, sweep.objects)))
        factors = {"part": "sweep", "series": series, "light": "reference" if key == "ref" else "sweep",
                   **_sun_factors(sun)}
        frame = plain_frame(spec, f"{series}-{key}-{variant.name}", variant, camera, objects, factors,
                            is_reference=key == "ref")
        frames.append(replace(frame, sun=sun))
    return frames


def _relief_frames(spec: StimulusSpec, exp: ShadingSpec, catalog: Catalog, reference: bool) -> list[FramePlan]:
    relief = exp.relief
    camera = spec.camera.to_camera()
    assets = {"bump": catalog.get(relief.bump_asset, field="experiment.relief.bump_asset"),
              "dent": catalog.get(relief.dent_asset, field="experiment.relief.dent_asset")}
    frames = []
    for variant, (name, sign), light, d in product(spec.world.variants, RELIEFS, relief.lights, relief.distance_m):
        sun = SunSpec(azimuth_deg=light.azimuth_deg, elevation_deg=light.elevation_deg,
                      strength=exp.reference_sun.strength)
        obj = replace(standing(assets[name], 1, d, 0.0, 0.0, factors={"distance_m": d, "relief": name,
                                                                      "relief_sign": sign}),
                      appearance=Appearance(shadow=False))
        factors = {"part": "relief", "series": "relief", "light": light.name, "relief": name, **_sun_factors(sun)}
        frame = plain_frame(spec, f"relief-{name}-{light.name}-d{level_text(d)}-{variant.name}", variant, camera,
                            (obj,), factors, is_reference=reference)
        frames.append(replace(frame, sun=sun))
    return frames


def shading_frames(spec: StimulusSpec, exp: ShadingSpec, catalog: Catalog) -> list[FramePlan]:
    """Every frame of a shading experiment: the sweep's, then the relief's.  Without a sweep the
    relief frames are the reference frames (alignment needs some)."""
    frames = _sweep_frames(spec, exp, catalog) if exp.sweep is not None else []
    if exp.relief is not None:
        frames += _relief_frames(spec, exp, catalog, reference=exp.sweep is None)
    return frames


def shading_count(spec: StimulusSpec, exp: ShadingSpec) -> int:
    """The number of frames :func:`shading_frames` makes, from the lengths of the levels."""
    n = 0
    if exp.sweep is not None:
        n += len(exp.sweep.shadows) * (1 + len(exp.sweep.azimuth_deg) * len(exp.sweep.elevation_deg))
    if exp.relief is not None:
        n += len(RELIEFS) * len(exp.relief.lights) * len(exp.relief.distance_m)
    return len(spec.world.variants) * n
