"""Generate a stimulus set: expand the spec, render every frame, write the set atomically.

Order of work: the design is checked completely before anything is rendered (a bad spec
renders nothing); frames are grouped by roadside variant so each world is built once; each
finished frame is appended to progress.jsonl with its file hashes, so ``resume=True`` redoes
only frames whose files are missing or fail their hash; the tables and the manifest are
written last.  Beside its layers each frame writes its geometry export (what the render showed,
read back from the Blender scene: scenes/geometry_export.py), hashed like the layers.
"""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from scenes.catalog import Catalog, default_catalog
from scenes.design import FramePlan, expand, frame_record, object_record, select_frames
from scenes.errors import DepthprobeError
from scenes.geometry_export import FrameGeometry, GeometryWriter
from scenes.image_transforms import apply_transform
from scenes.progress import Progress
from scenes.measure import measure_object
from scenes.rendered_frame import RenderedFrame
from scenes.spec import StimulusSpec
from scenes.stimulus_set import (append_progress, check_set_target, read_progress, record_is_intact,
                                 remove_temporaries, write_layer, write_manifest, write_tables)
from scenes.storage import WriterLock
from scenes.versioning import code_version_text



@dataclass(frozen=True)
class GenerateResult:
    """What a run produced: the set's directory, frame counts and seconds spent rendering."""

    out: Path
    n_frames: int
    n_rendered: int
    n_reused: int
    seconds: float


def plan_frames(spec: StimulusSpec, catalog: Catalog, limit: int | None = None) -> list[FramePlan]:
    """The checked frames of a spec (SpecError before any rendering when the design is bad)."""
    return select_frames(expand(spec, catalog), limit)


def reusable_records(out: Path, spec: StimulusSpec, resume: bool) -> dict[str, dict[str, Any]]:
    """Finished frames that a resumed run can keep; refuses to write into someone else's folder
    (:func:`scenes.stimulus_set.check_set_target`)."""
    spec_hash = spec.spec_hash()
    check_set_target(out, spec_hash, resume)
    if not out.exists():
        return {}
    records = read_progress(out)
    foreign = [fid for fid, r in records.items() if r.get("spec_hash") != spec_hash]
    if foreign:
        raise DepthprobeError(f"--out {out}: holds frames of a different spec (frame {foreign[0]!r}); "
                              "choose another folder")
    return {fid: r for fid, r in records.items() if record_is_intact(out, r)}


def frame_files(out: Path, frame_id: str, frame: RenderedFrame,
                counterfactual: RenderedFrame | None) -> dict[str, str]:
    """Write a rendered frame's layers atomically; return {relative path: sha256}."""
    layers = {"rgb": frame.rgb, "depth": frame.depth, "instances": frame.instances, "semantic": frame.semantic}
    if counterfactual is not None:
        layers.update(counterfactual_rgb=counterfactual.rgb, counterfactual_depth=counterfactual.depth)
    return dict(write_layer(out, layer, frame_id, array) for layer, array in layers.items())


def transformed(transform: str, frame: RenderedFrame,
                without: RenderedFrame | None) -> tuple[RenderedFrame, RenderedFrame | None]:
    """The frame (and its counterfactual) with the image transform applied to RGB only."""
    if transform == "none":
        return frame, without
    frame = replace(frame, rgb=apply_transform(transform, frame.rgb, frame.semantic))
    if without is not None:
        without = replace(without, rgb=apply_transform(transform, without.rgb, without.semantic))
    return frame, without


def measure_frame(plan: FramePlan, frame: RenderedFrame, catalog: Catalog, canonical,
                  contacts) -> list[dict[str, Any]]:
    """Objects-table rows of one rendered frame: placement, measurement and geometric contact."""
    rows = []
    for p in plan.objects:
        row = object_record(plan, p, catalog)
        row.update(measure_object(p.object_id, frame.instances, frame.depth, plan.camera, canonical,
                                  row["class_height_m"]))
        row["contact_row_geometric"], row["z_contact"] = contacts[p.object_id]
        rows.append(row)
    return rows


def render_missing(spec: StimulusSpec, plans: list[FramePlan], out: Path, catalog: Catalog,
                   done: dict[str, dict[str, Any]], progress: Progress | None) -> dict[str, dict[str, Any]]:
    """Render every planned frame not in ``done``; return the records of all planned frames."""
    from generator.frame_renderer import FrameRenderer  # imports bpy: only when rendering

    todo = sorted((p for p in plans if p.frame_id not in done), key=lambda p: (p.variant.name, p.render_id))
    records = {p.frame_id: done[p.frame_id] for p in plans if p.frame_id in done}
    if not todo:
        return records
    renderer = FrameRenderer(spec, catalog)
    canonical = spec.camera.to_camera()
    spec_hash = spec.spec_hash()
    # frames of one render id differ only by transform
    last: tuple[str, RenderedFrame, RenderedFrame | None, dict, FrameGeometry] | None = None
    geometry_writer = GeometryWriter(out)
    for i, plan in enumerate(todo):
        if progress:
            progress("render", i, len(todo), plan.frame_id)
        if last is None or last[0] != plan.render_id:
            frame, without = renderer.render(plan, counterfactual=spec.render.counterfactual)
            last = (plan.render_id, frame, without, renderer.ground_contact(plan), renderer.geometry())
        _, frame, without, contacts, geometry = last
        shown, shown_without = transformed(plan.transform, frame, without)
        files = frame_files(out, plan.frame_id, shown, shown_without)
        files.update(geometry_writer.write(replace(geometry, frame_id=plan.frame_id)))
        row = {**frame_record(plan, spec.experiment.kind, canonical, spec.world),
               "has_counterfactual": without is not None}
        record = {"frame_id": plan.frame_id, "spec_hash": spec_hash, "files": files, "frame": row,
                  "objects": measure_frame(plan, frame, catalog, canonical, contacts)}
        append_progress(out, record)
        records[plan.frame_id] = record
    if progress:
        progress("render", len(todo), len(todo), "done")
    return records


def write_set(out: Path, spec: StimulusSpec, plans: list[FramePlan], records: dict[str, dict[str, Any]],
              seconds: float) -> None:
    """Write frames.parquet, objects.parquet and manifest.json for the finished frames."""
    ordered = [records[p.frame_id] for p in plans]
    frames = pd.DataFrame([r["frame"] for r in ordered])
    objects = pd.DataFrame([o for r in ordered for o in r["objects"]])
    files = {rel: digest for r in ordered for rel, digest in r["files"].items()}
    files.update(write_tables(out, frames, objects))
    write_manifest(out, {
        "name": spec.name, "spec": spec.model_dump(mode="json"), "spec_hash": spec.spec_hash(),
        "seed": spec.seed, "code_version": code_version_text(), **renderer_versions(),
        "canonical_camera": spec.camera.to_camera().to_record(),
        "counts": {"frames": len(frames), "objects": len(objects)},
        "render_seconds": round(seconds, 2), "platform": platform.platform(), "files": files,
    })


def renderer_versions() -> dict[str, str]:
    """Blender and BlenderProc versions, read from the installed packages."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for key, dist in (("blender_version", "bpy"), ("blenderproc_version", "blenderproc")):
        try:
            found[key] = version(dist)
        except PackageNotFoundError:
            found[key] = "not installed"
    return found


def generate(spec: StimulusSpec, out: Path, *, limit: int | None = None, resume: bool = False,
             catalog: Catalog | None = None, progress: Progress | None = None,
             plans: list[FramePlan] | None = None) -> GenerateResult:
    """Render a stimulus set into ``out``; see the module docstring for the order of work.

    :param limit: render at most this many frames, spread over the design (ignored with ``plans``).
    :param plans: the frames, when the caller has expanded the design already (the CLI does,
        to describe it); otherwise the spec is expanded here.
    :param progress: told ``("render", done, total, frame_id)`` before each frame.
    """
    catalog = catalog or default_catalog()
    plans = plans if plans is not None else plan_frames(spec, catalog, limit)
    with WriterLock(out, "depthprobe generate"):
        done = reusable_records(out, spec, resume)
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        records = render_missing(spec, plans, out, catalog, done, progress)
        seconds = time.perf_counter() - start
        write_set(out, spec, plans, records, seconds)
        remove_temporaries(out)
    n_reused = sum(1 for p in plans if p.frame_id in done)
    return GenerateResult(out, len(plans), len(plans) - n_reused, n_reused, seconds)
