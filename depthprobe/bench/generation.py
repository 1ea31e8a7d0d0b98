"""``depthprobe bench generation``: what generation costs beyond Cycles, against plain BlenderProc, across
workers, and in memory -- four ratios, each measured in one run (these machines are noisy, so
only ratios of figures taken side by side mean anything).

(a) ``wall_over_cycles``: wall time of generating a set (render, passes, measurement, PNG and
    hash, progress record) over the sum of Cycles' own render times (generator/render_clock.py),
    at the preset's size and at the quick size; start-up (loading BlenderProc, the first world)
    excluded in ``steady``, included in ``with_startup``.
(b) ``vs_plain_blenderproc``: frames a second of ``generate`` (all cores, start-up included)
    over frames a second of plain BlenderProc run the common way, one process per scene, as
    many processes at a time as there are cores (generator/baseline_plain_blenderproc.py), same size
    and samples.
(c) ``workers_speedup``: k workers of t threads over 1 worker of t threads (k * t <= cores),
    steady frames a second; the goal is 0.85 * k.
(d) ``memory_growth``: a worker's peak resident memory after the second count of renders
    over after the first (default 50 and 500), cycling through the design's worlds.

Each figure comes with the number of renders behind it, and the ratios of (a) and (b) with a
95 % bootstrap interval over renders (an explicit numpy Generator, seed 0).
"""
from __future__ import annotations

import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenes.catalog import default_catalog
from scenes.design import FramePlan, expand
from scenes.spec import StimulusSpec, load_spec, quick_spec, scaled_spec

#: The goals of the issue that asked for the benchmark (issue 13), per figure.
GOALS = {"a_real": 1.10, "a_quick": 1.5, "b": 8.0, "c_per_worker": 0.85, "d": 1.1}
#: Bootstrap resamples of the intervals.
BOOTSTRAP_RESAMPLES = 2000
#: ``--tiny``: every size replaced by this (width px, samples), for CI.
TINY_SIZE = (64, 1)
#: Size of the memory run (width px, samples): small, as only the growth counts.
MEMORY_SIZE = (96, 1)


@dataclass(frozen=True)
class BenchPlan:
    """What one bench run measures.

    :param spec: the preset (its size is the "real" size).
    :param frames: renders per timed run of (a), (b) and (c), >= 3.
    :param memory_frames: the two render counts of (d), first < second.
    :param baseline_scenes: plain-BlenderProc processes of (b), >= 1.
    :param tiny: replace every size by TINY_SIZE (a quick check that it all runs).
    """

    spec: StimulusSpec
    frames: int = 30
    memory_frames: tuple[int, int] = (50, 500)
    baseline_scenes: int = 8
    tiny: bool = False


def cores() -> int:
    """CPU cores this process may use."""
    from generator.pool import available_cores

    return available_cores()


def render_order(spec: StimulusSpec) -> list[tuple[FramePlan, ...]]:
    """The design's renders in the order a worker renders them (world by world)."""
    from generator.render_result import group_renders

    return group_renders(expand(spec, default_catalog()))


def first_renders(spec: StimulusSpec, n: int) -> list[FramePlan]:
    """The frames of the first ``n`` renders in render order (one world, as in a long run)."""
    return [plan for group in render_order(spec)[:n] for plan in group]


def timed_generate(spec: StimulusSpec, n: int, workers: int, threads: int | None, folder: Path):
    """Generate the first ``n`` renders with a pool (this process never loads Blender); the
    run's generator.generate.RenderTotals."""
    from generator.executors import ExecutorOptions
    from generator.generate import generate

    options = ExecutorOptions(workers=workers, threads=threads, render_device="cpu", in_process=False)
    return generate(spec, folder, plans=first_renders(spec, n), executor=options).totals


def bootstrap_ratio(numerators: np.ndarray, denominators: np.ndarray, rng: np.random.Generator) -> list[float]:
    """95 % percentile-bootstrap interval of sum(numerators) / sum(denominators), resampling pairs."""
    index = rng.integers(0, len(numerators), size=(BOOTSTRAP_RESAMPLES, len(numerators)))
    ratios = numerators[index].sum(axis=1) / denominators[index].sum(axis=1)
    return [round(float(v), 3) for v in np.percentile(ratios, [2.5, 97.5])]


def overhead_figure(totals, rng: np.random.Generator) -> dict[str, Any]:
    """Figure (a) of one run: wall over Cycles, steady and with start-up, and where the rest went."""
    arrivals = np.array(totals.arrivals)
    gaps, cycles = np.diff(arrivals[:, 0]), arrivals[1:, 1]
    seconds = totals.seconds
    return {
        "renders": totals.renders,
        "steady": round(float(gaps.sum() / cycles.sum()), 3),
        "steady_ci95": bootstrap_ratio(gaps, cycles, rng),
        "with_startup": round(totals.wall_s / seconds["cycles_s"], 3),
        "seconds_per_render": round(float(gaps.mean()), 4),
        "cycles_seconds_per_render": round(float(cycles.mean()), 4),
        "geometry_pass_share_of_cycles": round(seconds.get("cycles_geometry_s", 0.0) / seconds["cycles_s"], 3),
        "startup_s": round(totals.first_result_s - float(gaps.mean()), 2),
        "outside_cycles_s": {
            "blenderproc_output_files": round(seconds["render_calls_s"] - seconds["cycles_s"], 2),
            "scene_and_readback": round(seconds["render_s"] - seconds["render_calls_s"] - seconds["world_s"], 2),
            "world_builds": round(seconds["world_s"], 2),
            "write_png_hash_measure": round(seconds["write_s"], 2),
        },
    }


def sizes(plan: BenchPlan) -> dict[str, StimulusSpec]:
    """The specs of the timed runs: the preset's size, the quick size and the memory size."""
    if plan.tiny:
        tiny = scaled_spec(plan.spec, *TINY_SIZE)
        return {"real": tiny, "quick": tiny, "memory": tiny}
    return {"real": plan.spec, "quick": quick_spec(plan.spec), "memory": scaled_spec(plan.spec, *MEMORY_SIZE)}


def baseline_figure(spec: StimulusSpec, ours, n_scenes: int, folder: Path) -> dict[str, Any]:
    """Figure (b): our frames a second (start-up included) over plain BlenderProc's."""
    from generator.baseline_plain_blenderproc import run_plain_scenes

    plain = run_plain_scenes(n_scenes, cores(), folder, width=spec.camera.width, height=spec.camera.height,
                             samples=spec.render.samples)
    ours_fps = ours.renders / ours.wall_s
    return {"ratio": round(ours_fps / plain["frames_per_second"], 2), "depthprobe_frames_per_second": round(ours_fps, 3),
            "depthprobe_renders": ours.renders, "depthprobe_workers": ours.workers,
            "plain_frames_per_second": round(plain["frames_per_second"], 3), "plain_scenes": n_scenes,
            "plain_processes_at_a_time": plain["concurrency"],
            "plain_median_process_s": round(plain["median_process_seconds"], 2),
            "plain_peak_rss_mb": round(plain["max_peak_rss_mb"], 1),
            "size": f"{spec.camera.width}x{spec.camera.height}, {spec.render.samples} samples"}


def steady_fps(totals) -> float:
    """Renders a second after the first arrived."""
    return 1.0 / totals.steady_seconds_per_render()


def workers_figure(spec: StimulusSpec, n: int, folder: Path) -> dict[str, Any]:
    """Figure (c): k workers of 1 thread over 1 worker of 1 thread, k = the cores."""
    k = max(2, cores())
    one = timed_generate(spec, n, 1, 1, folder / "one")
    many = timed_generate(spec, n * k // 2 if n * k // 2 >= 3 else n, k, 1, folder / "many")
    ratio = steady_fps(many) / steady_fps(one)
    return {"k": k, "threads_per_worker": 1, "speedup": round(ratio, 3), "per_worker": round(ratio / k, 3),
            "renders_one": one.renders, "renders_k": many.renders,
            "frames_per_second_one": round(steady_fps(one), 3), "frames_per_second_k": round(steady_fps(many), 3)}


def memory_figure(spec: StimulusSpec, counts: tuple[int, int]) -> dict[str, Any]:
    """Figure (d): one worker's peak and current resident memory after counts[0] and counts[1]
    renders, cycling through every world of the design."""
    from generator.pool import RenderPool

    order = [plan for group in render_order(spec) for plan in group]
    seen: dict[int, dict[str, float]] = {}
    done = 0
    with RenderPool(spec, default_catalog(), workers=1) as pool:
        while done < counts[1]:
            batch = order[(done % len(order)):][: min(25, counts[1] - done)]
            for result in pool.render(batch):
                done += 1
                if done in counts:
                    seen[done] = {k: result.timings[k] for k in ("peak_rss_mib", "rss_mib")}
    first, last = seen[counts[0]], seen[counts[1]]
    return {"renders": list(counts), "peak_rss_mib": [first["peak_rss_mib"], last["peak_rss_mib"]],
            "rss_mib": [first["rss_mib"], last["rss_mib"]],
            "growth": round(last["peak_rss_mib"] / first["peak_rss_mib"], 3),
            "size": f"{spec.camera.width}x{spec.camera.height}, {spec.render.samples} samples"}


def run_bench(plan: BenchPlan) -> dict[str, Any]:
    """All four figures, measured in this one run; JSON-ready."""
    rng = np.random.default_rng(0)
    specs = sizes(plan)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="depthprobe-bench-") as tmp:
        folder = Path(tmp)
        real = timed_generate(specs["real"], plan.frames, 1, None, folder / "real")
        quick = timed_generate(specs["quick"], plan.frames, 1, None, folder / "quick")
        figures = {"a": {"real": overhead_figure(real, rng), "quick": overhead_figure(quick, rng)}}
        figures["b"] = baseline_figure(specs["quick"], quick, plan.baseline_scenes, folder / "plain")
        figures["c"] = workers_figure(specs["quick"], plan.frames, folder / "workers")
    figures["d"] = memory_figure(specs["memory"], plan.memory_frames)
    return {"spec": plan.spec.name, "tiny": plan.tiny, "cores": cores(), "platform": platform.platform(),
            "sizes": {k: f"{s.camera.width}x{s.camera.height}, {s.render.samples} samples" for k, s in specs.items()},
            "figures": figures, "goals": GOALS, "seconds": round(time.perf_counter() - started, 1)}


def bench_lines(bench: dict[str, Any]) -> list[str]:
    """The figures for a person, one line each, with their goals."""
    a, b, c, d = (bench["figures"][k] for k in "abcd")
    return [
        f"bench of {bench['spec']} on {bench['cores']} cores ({bench['seconds']:.0f} s)",
        *(f"(a) wall / Cycles at {bench['sizes'][k]}: {a[k]['steady']:.2f} {a[k]['steady_ci95']} steady, "
          f"{a[k]['with_startup']:.2f} with start-up, n = {a[k]['renders']} renders (goal <= {GOALS['a_' + k]})"
          for k in ("real", "quick")),
        f"(b) frames/s vs plain BlenderProc at {b['size']}: {b['ratio']:.1f}x ({b['depthprobe_frames_per_second']:.2f} "
        f"vs {b['plain_frames_per_second']:.2f}; n = {b['depthprobe_renders']} renders vs {b['plain_scenes']} "
        f"processes) (goal >= {GOALS['b']})",
        f"(c) {c['k']} workers x 1 thread vs 1 x 1: {c['speedup']:.2f}x = {c['per_worker']:.2f} per worker, "
        f"n = {c['renders_k']} and {c['renders_one']} renders (goal >= {GOALS['c_per_worker']} per worker)",
        f"(d) worker peak memory after {d['renders'][0]} and {d['renders'][1]} renders: {d['peak_rss_mib'][0]:.0f} -> "
        f"{d['peak_rss_mib'][1]:.0f} MiB = {d['growth']:.3f}x (goal <= {GOALS['d']})",
    ]


def bench_plan(spec_name: str, frames: int, memory_frames: str, baseline_scenes: int, tiny: bool) -> BenchPlan:
    """The command line's options as a BenchPlan (one-line DepthprobeError on a bad value)."""
    from scenes.errors import DepthprobeError

    try:
        first, second = (int(v) for v in memory_frames.split(","))
    except ValueError:
        raise DepthprobeError(f"--memory-frames {memory_frames!r}: two counts, e.g. 50,500") from None
    if not 1 <= first < second:
        raise DepthprobeError(f"--memory-frames {memory_frames!r}: need 1 <= first < second")
    if frames < 3:
        raise DepthprobeError(f"--frames {frames}: at least 3 (the first render carries the start-up)")
    return BenchPlan(load_spec(spec_name), frames, (first, second), baseline_scenes, tiny)
