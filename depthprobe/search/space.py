"""The searchable factors of a spec (its ``search:`` section) and the frame a trial's values make.

A trial's values are a complete mapping factor -> value: what the sampler chose for the factors
the section searches (ranges with ``min < max``, categoricals with two or more choices), the
section's fixed values, and the spec's own values for the rest (:meth:`SearchSpace.defaults`).
:meth:`SearchSpace.plan` turns them into one :class:`scenes.design.FramePlan` with one object,
through the helpers of :mod:`scenes.design` (footprint offset, paint colour, geometry check),
the spec's camera (with the trial's pose) and its world (the first variant, with the trial's
sun and roadside).  A frame's id is ``trial<number>`` (five digits); its seed is
``derive_seed(search_seed, frame_id)``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from scenes.catalog import Catalog
from scenes.design import (Appearance, FramePlan, ObjectPlacement, check_geometry, derive_seed,
                           hsv_to_linear_rgb, nearest_footprint_offset)
from scenes.errors import DepthprobeError, SpecError
from scenes.spec import SearchSpec, StimulusSpec, VariantSpec

#: Every factor a trial has a value for, in table order (continuous and categorical).
FACTORS = ("asset", "distance_m", "lateral_m", "yaw_deg", "elevation_m", "hue_deg", "pitch_deg", "roll_deg",
           "height_m", "sun_elevation_deg", "sun_azimuth_deg", "roadside")
#: Id of the alignment's reference frame (the canonical camera, the base values).
REFERENCE_FRAME_ID = "reference"


class SearchError(DepthprobeError):
    """A user mistake in a search: bad argument, output folder not ours, a broken objective."""


class InfeasibleTrial(Exception):
    """A trial's values make no usable frame (object out of the image, not visible, no response);
    the trial is recorded as pruned with this message as its reason."""


class Suggests(Protocol):
    """What :meth:`SearchSpace.suggest` needs of an Optuna trial."""

    def suggest_float(self, name: str, low: float, high: float) -> float: ...

    def suggest_categorical(self, name: str, choices: list[str]) -> str: ...


def trial_frame_id(number: int) -> str:
    """The frame id of trial ``number``: ``trial00017``."""
    return f"trial{number:05d}"


@dataclass(frozen=True)
class SearchSpace:
    """The search section of a spec, checked against the catalog (see the module docstring)."""

    spec: StimulusSpec
    section: SearchSpec
    catalog: Catalog

    @classmethod
    def from_spec(cls, spec: StimulusSpec, catalog: Catalog) -> "SearchSpace":
        """The space of ``spec``; SpecError naming the file when it has no ``search:`` section or
        names an unknown asset."""
        if spec.search is None:
            raise SpecError(f"{spec.source}: search: missing; add a search section naming the factors and ranges "
                            "to search (docs/guides/search.md)")
        for i, asset in enumerate(spec.search.assets):
            try:
                catalog.get(asset, field=f"search.assets.{i}")
            except SpecError as exc:
                raise SpecError(f"{spec.source}: {exc}") from None
        return cls(spec, spec.search, catalog)

    def searched(self) -> list[str]:
        """The factors the sampler chooses (ranges that are not fixed, categoricals with 2+ choices)."""
        names = [n for n, r in self.section.ranges().items() if not r.fixed]
        names += [n for n, choices in self.section.choices().items() if len(choices) > 1]
        return [n for n in FACTORS if n in names]

    def defaults(self) -> dict[str, Any]:
        """Every factor's value when the sampler does not choose it: the section's fixed values,
        else the spec's (camera, first variant's sun and roadside), else 0 (hue: None, the mesh's)."""
        camera, variant = self.spec.camera, self.spec.world.variants[0]
        sun = variant.sun or self.spec.world.sun
        values: dict[str, Any] = {
            "asset": self.section.assets[0], "distance_m": self.section.distance_m.min, "lateral_m": 0.0,
            "yaw_deg": 0.0, "elevation_m": 0.0, "hue_deg": None, "pitch_deg": camera.pitch_deg,
            "roll_deg": camera.roll_deg, "height_m": camera.height_m, "sun_elevation_deg": sun.elevation_deg,
            "sun_azimuth_deg": sun.azimuth_deg, "roadside": variant.roadside}
        values.update({n: r.min for n, r in self.section.ranges().items()})
        values.update({n: choices[0] for n, choices in self.section.choices().items()})
        return values

    def suggest(self, trial: Suggests) -> dict[str, Any]:
        """Ask ``trial`` for the searched factors; return the complete values."""
        chosen: dict[str, Any] = {}
        for name, found in self.section.ranges().items():
            if not found.fixed:
                chosen[name] = float(trial.suggest_float(name, found.min, found.max))
        for name, choices in self.section.choices().items():
            if len(choices) > 1:
                chosen[name] = trial.suggest_categorical(name, choices)
        return self.values(chosen)

    def values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The complete values of a trial whose sampler chose ``params`` (as Optuna stores them)."""
        return {**self.defaults(), **{k: v for k, v in params.items() if k in FACTORS}}

    def variant(self, values: Mapping[str, Any]) -> VariantSpec:
        """The world variant of a trial: the spec's first, with the trial's sun and roadside.

        Its name carries a digest of those values, because the renderer builds a world once per
        variant name."""
        base = self.spec.world.variants[0]
        sun = (base.sun or self.spec.world.sun).model_copy(update={
            "elevation_deg": float(values["sun_elevation_deg"]), "azimuth_deg": float(values["sun_azimuth_deg"])})
        if sun == (base.sun or self.spec.world.sun) and values["roadside"] == base.roadside:
            return base
        key = f"{values['roadside']}:{sun.elevation_deg!r}:{sun.azimuth_deg!r}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        return base.model_copy(update={"name": f"{values['roadside']}_{digest}", "roadside": values["roadside"],
                                       "sun": sun})

    def plan(self, values: Mapping[str, Any], frame_id: str, seed: int, trial: int,
             is_reference: bool = False, check: bool = True) -> FramePlan:
        """The frame of a trial's values (frame factor ``trial``: its number, -1 for the reference);
        :class:`InfeasibleTrial` when its object leaves the image or comes nearer than the camera
        can see (:func:`scenes.design.plans.check_geometry`)."""
        asset = self.catalog.get(values["asset"])
        camera = self.spec.camera.to_camera(height_m=float(values["height_m"]), pitch_deg=float(values["pitch_deg"]),
                                            roll_deg=float(values["roll_deg"]))
        hue = values["hue_deg"]
        appearance = Appearance() if hue is None else Appearance(
            paint_rgb=hsv_to_linear_rgb(float(hue), self.section.paint_saturation, self.section.paint_value))
        yaw = float(values["yaw_deg"])
        y_m = float(values["distance_m"]) + nearest_footprint_offset(asset, yaw, 1.0)
        factors = {"distance_m": float(values["distance_m"]),
                   "paint_hue_deg": float("nan") if hue is None else float(hue)}
        placement = ObjectPlacement(1, asset.id, float(values["lateral_m"]), y_m, yaw, 1.0,
                                    float(values["elevation_m"]), factors, appearance)
        variant = self.variant(values)
        plan = FramePlan(frame_id, seed, variant, camera, (placement,), {"trial": int(trial), "variant": variant.name},
                         is_reference=is_reference)
        try:
            if check:
                check_geometry([plan], self.catalog)
        except SpecError as exc:
            raise InfeasibleTrial(str(exc).split(": ", 1)[-1]) from None
        return plan

    def trial_plan(self, values: Mapping[str, Any], number: int, search_seed: int) -> FramePlan:
        """The frame of trial ``number`` (id ``trial<number>``, seed from the search seed and the id)."""
        frame_id = trial_frame_id(number)
        return self.plan(values, frame_id, derive_seed(search_seed, frame_id), number)

    def reference_plan(self, search_seed: int) -> FramePlan:
        """The alignment's reference frame: the spec's canonical camera and world (first variant),
        the first asset in the middle of each of its searched ranges (no hue); without an object
        when that one would leave the image (the alignment needs only the road)."""
        camera, variant = self.spec.camera, self.spec.world.variants[0]
        sun = variant.sun or self.spec.world.sun
        values = {**self.defaults(), "pitch_deg": camera.pitch_deg, "roll_deg": camera.roll_deg,
                  "height_m": camera.height_m, "sun_elevation_deg": sun.elevation_deg,
                  "sun_azimuth_deg": sun.azimuth_deg, "roadside": variant.roadside, "hue_deg": None}
        values.update({name: (found.min + found.max) / 2 for name, found in self.section.ranges().items()
                       if name in ("distance_m", "lateral_m", "yaw_deg", "elevation_m")})
        seed = derive_seed(search_seed, REFERENCE_FRAME_ID)
        try:
            return self.plan(values, REFERENCE_FRAME_ID, seed, -1, True)
        except InfeasibleTrial:
            return replace(self.plan({**values, "lateral_m": 0.0, "distance_m": 10.0}, REFERENCE_FRAME_ID, seed, -1,
                                     True, check=False), objects=())
