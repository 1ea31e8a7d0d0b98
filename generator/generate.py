"""Generate a stimulus set: expand the spec, render every frame, write the set atomically.

Order of work: the design is checked completely before anything is rendered (a bad spec
renders nothing); frames are grouped by roadside variant so each world is built once per
render process (``workers``: this process, or a pool of worker processes, generator/pool.py,
whose renders come back here to be written); each finished frame is appended to
progress.jsonl with its file hashes, so ``resume=True`` redoes
only frames whose files are missing or fail their hash; the tables and the manifest are
written last.  A set on photographs records the digest of its photos in every frame's record
and the manifest (scenes/design/photos.py): a resume refuses frames of photos that changed, and
a run whose photos changed while it rendered fails before writing the manifest.  Beside its
layers each frame writes its geometry export (what the render showed,
read back from the Blender scene: scenes/formats/geometry.py), hashed like the layers.
"""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenes.geometry import kitti_like_camera, measure_object
from scenes.catalog import Catalog, default_catalog
from scenes.design import (PHOTOS_DIGEST_KEY, FramePlan, expand, frame_record, object_record, photos_change,
                           photos_digest, select_frames)
from scenes.errors import DepthprobeError
from scenes.formats import (GeometryWriter, RenderedFrame, PROGRESS, append_progress, check_set_target,
                            read_progress, record_is_intact, remove_temporaries,
                            write_layer, write_manifest, write_tables)
from scenes.images import apply_transform
from scenes.progress import Progress
from scenes.spec import StimulusSpec
from scenes.outputs import WriterLock
from scenes.versioning import code_version_text
from generator.executors import ExecutorOptions, use_executor
from generator.render_result import RenderExecutor, RenderResult, group_renders

#: The objects-table columns of a frame's ground contacts, after the measured ones (measure_frame).
CONTACT_COLUMNS = ("contact_row_geometric", "z_contact")



@dataclass(frozen=True)
class GenerateResult:
    """What a run produced: the set's directory, frame counts, seconds spent rendering, and the
    renders' own accounts (:class:`RenderTotals`)."""

    out: Path
    n_frames: int
    n_rendered: int
    n_reused: int
    seconds: float
    totals: "RenderTotals"


@dataclass
class RenderTotals:
    """Sums over the renders of one run (generator/render_clock.py): seconds by key
    (``render_s``, ``cycles_s``, ``render_calls_s``, ``world_s``, and ``write_s`` for writing
    frames here), the largest peak resident memory of a render process (MiB), renders done.
    (The devices each frame rendered on are in its progress record and the manifest.)"""

    seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: float = 0.0
    renders: int = 0
    #: seconds from opening the executor to the first finished render (start-up plus one render)
    first_result_s: float | None = None
    #: seconds from opening the executor to the last render written
    wall_s: float = 0.0
    workers: int = 1
    #: per render, in arrival order: (seconds from opening the executor to its arrival, its Cycles seconds)
    arrivals: list[tuple[float, float]] = field(default_factory=list)

    def steady_seconds_per_render(self) -> float | None:
        """Wall seconds per render after the first one arrived (start-up excluded); None below 2 renders."""
        if self.renders < 2 or self.first_result_s is None:
            return None
        return (self.wall_s - self.first_result_s) / (self.renders - 1)

    def add(self, result: RenderResult, write_s: float) -> None:
        """Count one finished render that took ``write_s`` seconds to write."""
        for key, value in {**result.timings, "write_s": write_s}.items():
            if key.endswith("_s"):
                self.seconds[key] = self.seconds.get(key, 0.0) + value
        self.peak_rss_mib = max(self.peak_rss_mib, result.timings.get("peak_rss_mib", 0.0))
        self.renders += 1


def plan_frames(spec: StimulusSpec, catalog: Catalog, limit: int | None = None) -> list[FramePlan]:
    """The checked frames of a spec (SpecError before any rendering when the design is bad)."""
    return select_frames(expand(spec, catalog), limit)


def reusable_records(out: Path, spec: StimulusSpec, resume: bool, photos: str | None = None
                     ) -> dict[str, dict[str, Any]]:
    """Finished frames that a resumed run can keep; refuses to write into someone else's folder
    (:func:`scenes.formats.stimulus_set.check_set_target`) and to resume frames rendered on
    photos other than those of digest ``photos`` (:func:`scenes.design.photos_digest`)."""
    spec_hash = spec.spec_hash()
    check_set_target(out, spec_hash, resume)
    if not out.exists():
        return {}
    records = read_progress(out)
    foreign = [fid for fid, r in records.items() if r.get("spec_hash") != spec_hash]
    if foreign:
        raise DepthprobeError(f"--out {out}: holds frames of a different spec (frame {foreign[0]!r}); "
                              "choose another folder")
    for fid, record in records.items():
        change = photos_change(spec, record.get(PHOTOS_DIGEST_KEY), f"frame {fid!r} was rendered", photos)
        if change:
            raise DepthprobeError(f"--resume {out}: {change}; restore those photos, or generate into a new folder")
    return {fid: r for fid, r in records.items() if record_is_intact(out, r)}


def frame_files(out: Path, frame_id: str, frame: RenderedFrame,
                counterfactual: RenderedFrame | None) -> dict[str, str]:
    """Write a rendered frame's layers atomically; return {relative path: sha256}."""
    layers = {"rgb": frame.rgb, "depth": frame.depth, "instances": frame.instances, "semantic": frame.semantic}
    if counterfactual is not None:
        layers.update(counterfactual_rgb=counterfactual.rgb, counterfactual_depth=counterfactual.depth)
    return dict(write_layer(out, layer, frame_id, array) for layer, array in layers.items())


def transformed(transform: str, frame: RenderedFrame, without: RenderedFrame | None,
                seed: int = 0) -> tuple[RenderedFrame, RenderedFrame | None]:
    """The frame (and its counterfactual) with the image transform applied to RGB only; a
    corruption draws from ``seed`` (the plan's ``transform_seed``), the same for both."""
    if transform == "none":
        return frame, without
    frame = replace(frame, rgb=apply_transform(transform, frame.rgb, frame.semantic, seed))
    if without is not None:
        without = replace(without, rgb=apply_transform(transform, without.rgb, without.semantic, seed))
    return frame, without


def measure_frame(plan: FramePlan, frame: RenderedFrame, catalog: Catalog, canonical,
                  contacts) -> list[dict[str, Any]]:
    """Objects-table rows of one rendered frame: placement, measurement and geometric contact."""
    rows = []
    for p in plan.objects:
        row = object_record(plan, p, catalog)
        row.update(measure_object(p.object_id, frame.instances, frame.depth, plan.camera, canonical,
                                  row["class_height_m"]))
        row[CONTACT_COLUMNS[0]], row[CONTACT_COLUMNS[1]] = contacts[p.object_id]
        rows.append(row)
    return rows


def write_frame(out: Path, spec: StimulusSpec, plan: FramePlan, result: RenderResult, catalog: Catalog,
                geometry_writer: GeometryWriter, photos: str | None = None) -> dict[str, Any]:
    """Write one frame of a finished render (layers, geometry export, progress line); return its
    record (with ``photos``, the digest of the spec's photos, when it has them)."""
    canonical = spec.camera.to_camera()
    shown, shown_without = transformed(plan.transform, result.frame, result.counterfactual, plan.transform_seed)
    files = frame_files(out, plan.frame_id, shown, shown_without)
    files.update(geometry_writer.write(replace(result.geometry, frame_id=plan.frame_id)))
    row = {**frame_record(plan, spec.experiment.kind, canonical, spec.world),
           "has_counterfactual": result.counterfactual is not None}
    record = {"frame_id": plan.frame_id, "spec_hash": spec.spec_hash(), "files": files, "frame": row,
              "objects": measure_frame(plan, result.frame, catalog, canonical, result.contacts),
              "device": result.device, **({PHOTOS_DIGEST_KEY: photos} if photos else {})}
    append_progress(out, record)
    return record


def render_missing(spec: StimulusSpec, plans: list[FramePlan], out: Path, catalog: Catalog,
                   done: dict[str, dict[str, Any]], progress: Progress | None,
                   executor: ExecutorOptions | RenderExecutor, totals: RenderTotals,
                   photos: str | None = None) -> dict[str, dict[str, Any]]:
    """Render every planned frame not in ``done`` with ``executor`` (the one options ask for, or
    one already open: :func:`generator.executors.use_executor`), writing each frame here as its
    render comes back (adding each render to ``totals``); return the records of all planned
    frames.  Counterfactuals are rendered as ``spec`` says, whatever spec the executor was
    opened with; ``photos`` (the digest of its photos) goes into each record."""
    to_render = [p for p in plans if p.frame_id not in done]
    records = {p.frame_id: done[p.frame_id] for p in plans if p.frame_id in done}
    if not to_render:
        return records
    end_progress_line(out)
    geometry_writer = GeometryWriter(out)
    if progress:
        progress("render", 0, len(to_render), "")
    written = 0
    opened = time.perf_counter()
    with use_executor(spec, catalog, executor, len(group_renders(to_render))) as renderer:
        totals.workers = renderer.n_workers
        for result in renderer.render(to_render, spec.render.counterfactual):
            start = time.perf_counter()
            if totals.first_result_s is None:
                totals.first_result_s = start - opened
            for plan in result.plans:
                records[plan.frame_id] = write_frame(out, spec, plan, result, catalog, geometry_writer, photos)
            totals.add(result, time.perf_counter() - start)
            totals.wall_s = time.perf_counter() - opened
            totals.arrivals.append((start - opened, result.timings.get("cycles_s", 0.0)))
            for plan in result.plans:
                written += 1
                if progress:
                    progress("render", written, len(to_render), progress_item(plan.frame_id, renderer))
    if progress:
        progress("render", len(to_render), len(to_render), progress_item("done", renderer))
    return records


def progress_item(item: str, executor: RenderExecutor) -> str:
    """The progress line's item: the frame just written (or ``done`` at the end), and the worker
    restarts so far if there were any, e.g. ``done; 3 worker restarts (worker 0: 2, worker 1: 1),
    their renders redone``."""
    failures = executor.failures
    if not failures:
        return item
    total = sum(failures.values())
    listed = ", ".join(f"worker {w}: {n}" for w, n in sorted(failures.items()))
    return f"{item}; {total} worker restart{'s' if total > 1 else ''} ({listed}), their renders redone"


def end_progress_line(out: Path) -> None:
    """End progress.jsonl with a newline if a killed run left half a line, so that the next
    record starts a line of its own (read_progress skips the broken one)."""
    path = out / PROGRESS
    if path.is_file() and path.stat().st_size:
        with open(path, "rb+") as f:
            f.seek(-1, 2)
            if f.read(1) != b"\n":
                f.write(b"\n")


@lru_cache(maxsize=1)
def measure_columns() -> tuple[str, ...]:
    """The keys of :func:`scenes.geometry.measure.measure_object`, in its order (read off a 1x1 empty frame)."""
    camera = kitti_like_camera(16, 16)
    empty = measure_object(1, np.zeros((1, 1), np.uint16), np.full((1, 1), np.inf, np.float32), camera, camera, 1.0)
    return tuple(empty)


def in_fresh_order(row: dict[str, Any], leading: dict[str, Any], trailing: tuple[str, ...]) -> dict[str, Any]:
    """``row`` with its keys in the order a fresh render builds them: ``leading``'s keys, then
    ``trailing``, then any others as they come."""
    order = dict.fromkeys([*leading, *trailing, *row])
    return {key: row[key] for key in order if key in row}


def table_rows(spec: StimulusSpec, plans: list[FramePlan], records: dict[str, dict[str, Any]],
               catalog: Catalog) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The frames- and objects-table rows of the plans, in plan order, with their keys in the
    order of a fresh render.  Records a resumed run reuses come from progress.jsonl with sorted
    keys; reordered, the tables of a resumed set are byte-identical to an uninterrupted run's."""
    canonical = spec.camera.to_camera()
    frames, objects = [], []
    for plan in plans:
        record = records[plan.frame_id]
        frames.append(in_fresh_order(record["frame"], frame_record(plan, spec.experiment.kind, canonical, spec.world),
                                     ("has_counterfactual",)))
        for placement, row in zip(plan.objects, record["objects"]):
            objects.append(in_fresh_order(row, object_record(plan, placement, catalog),
                                          (*measure_columns(), *CONTACT_COLUMNS)))
    return frames, objects


def write_set(out: Path, spec: StimulusSpec, plans: list[FramePlan], records: dict[str, dict[str, Any]],
              seconds: float, catalog: Catalog | None = None, photos: str | None = None) -> None:
    """Write frames.parquet, objects.parquet and manifest.json for the finished frames (with
    ``photos``, the digest of the spec's photos, under PHOTOS_DIGEST_KEY when it has them)."""
    ordered = [records[p.frame_id] for p in plans]
    frame_rows, object_rows = table_rows(spec, plans, records, catalog or default_catalog())
    frames = pd.DataFrame(frame_rows)
    objects = pd.DataFrame(object_rows)
    files = {rel: digest for r in ordered for rel, digest in r["files"].items()}
    files.update(write_tables(out, frames, objects))
    write_manifest(out, {
        "name": spec.name, "spec": spec.model_dump(mode="json"), "spec_hash": spec.spec_hash(),
        "seed": spec.seed, "code_version": code_version_text(), **renderer_versions(),
        "canonical_camera": spec.camera.to_camera().to_record(),
        "counts": {"frames": len(frames), "objects": len(objects)},
        "render_seconds": round(seconds, 2), "render_devices": sorted({r.get("device", "") for r in ordered} - {""}),
        "platform": platform.platform(), "files": files, **({PHOTOS_DIGEST_KEY: photos} if photos else {}),
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


def remove_if_empty(out: Path, created: bool) -> None:
    """Remove ``out`` again when this run created it and a failure left it empty (a render device
    refused in a worker, a Ray error): a refused run leaves nothing behind."""
    if created and out.is_dir() and not any(out.iterdir()):
        out.rmdir()


def generate(spec: StimulusSpec, out: Path, *, limit: int | None = None, resume: bool = False,
             catalog: Catalog | None = None, progress: Progress | None = None,
             plans: list[FramePlan] | None = None, workers: int = 1,
             executor: ExecutorOptions | RenderExecutor | None = None) -> GenerateResult:
    """Render a stimulus set into ``out``; see the module docstring for the order of work.

    :param limit: render at most this many frames, spread over the design (ignored with ``plans``).
    :param plans: the frames, when the caller has expanded the design already (the CLI does,
        to describe it); otherwise the spec is expanded here.
    :param progress: told ``("render", done, total, frame_id)`` as each frame is written.
    :param workers: render processes: 1 renders in this process (loading BlenderProc here), more
        a pool of worker processes (generator/pool.py); the files are the same either way.
        Ignored when ``executor`` is given.
    :param executor: how to render (generator/executors.py): options (workers, threads, render
        device, local processes or Ray), or a render executor already open (inside its
        with-block), which renders the frames and is left open: the failure search writes its
        worst cases with the executor it searched with.  Such an executor must render as
        ``spec`` does (same world, camera and render settings; ``render.counterfactual`` may
        differ, as counterfactuals are asked for explicitly).
    """
    if executor is None or isinstance(executor, ExecutorOptions):
        executor = (executor or ExecutorOptions(workers=workers)).checked()
    catalog = catalog or default_catalog()
    plans = plans if plans is not None else plan_frames(spec, catalog, limit)
    with WriterLock(out, "depthprobe generate"):
        photos = photos_digest(spec)
        done = reusable_records(out, spec, resume, photos)
        created = not out.exists()
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        totals = RenderTotals()
        try:
            records = render_missing(spec, plans, out, catalog, done, progress, executor, totals, photos)
        except BaseException:
            remove_if_empty(out, created)
            raise
        seconds = time.perf_counter() - start
        change = photos_change(spec, photos, "this run began") if photos else None
        if change:
            raise DepthprobeError(f"{out}: {change}, so its frames may mix old and new photos; "
                                  "generate into a new folder")
        write_set(out, spec, plans, records, seconds, catalog, photos)
        remove_temporaries(out)
    n_reused = sum(1 for p in plans if p.frame_id in done)
    return GenerateResult(out, len(plans), len(plans) - n_reused, n_reused, seconds, totals)
