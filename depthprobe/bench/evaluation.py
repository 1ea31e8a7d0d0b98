"""``depthprobe bench evaluation``: how much the evaluator adds to a model's own time, and whether
its memory stays flat.

Run::

    depthprobe bench evaluation --frames 100               # memory at 100 and 1000 frames, then timing
    depthprobe bench evaluation --frames 100 --no-memory

What it does, in one process for the timing:

1. writes a synthetic stimulus set (a level KITTI-like camera, a flat road and one box per
   frame at 1 ... 3 times 10 m; a third of the frames are reference frames) to a temporary
   folder -- no Blender;
2. builds a small encoder-decoder conv net (evaluator/models/bench_net.py, randomly initialised
   with a fixed seed, disparity output) as a torch model;
3. times the **bare forward**: the model's ``predict`` on the same batches the evaluator will
   form (images already in memory, under ``torch.inference_mode``), before and after step 4;
4. times :func:`evaluator.pipeline.evaluate.evaluate_set` end to end (verification with hashing, alignment,
   inference, stored predictions, every analysis, writing), with the model's own time inside
   the run also recorded; bare forward and evaluation alternate (``--repeats``), each
   evaluation is compared with the bare runs on either side of it, and the median is kept
   (the torch-bound steps live in evaluator/pipeline/overhead.py);
5. prints ``ratio = evaluate wall time / bare forward time`` (goal <= 1.10), the same ratio of
   process CPU time (all threads; steadier when other processes share the machine), and the
   overhead per frame in milliseconds -- the figure that does not depend on the model.

Memory: for each size in ``--memory-frames`` (with a narrower net, ``--memory-channels``, so that
1000 frames take minutes, not half an hour) a fresh child process (``python -m
depthprobe.bench.evaluation --memory-child SET``, so that ``ru_maxrss`` is its own) evaluates a
set of that many frames (written beforehand by the parent) with ``tracemalloc`` on, and reports
the traced peak (Python and numpy allocations; torch's own allocator is not traced), the
resident set at the start and its peak during the evaluation (sampled), and ``ru_maxrss`` (the
process's lifetime peak, which torch's import alone takes to ~0.6 GB).  Flat means the
1000-frame run peaks where the 100-frame run does.

``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` in this process (unless set): spinning OpenMP
threads otherwise make every timing swing on a shared machine.

Nothing here is asserted: the figures are printed (and returned as a dict) for a person to read.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenes.errors import DepthprobeError
from scenes.formats import Box, FrameSpec, write_frames
from scenes.geometry import Camera, kitti_like_camera

#: The boxes stand at 1 ... 3 times this distance, metres (21 levels, as the study's design).
BASE_DISTANCE_M = 10.0
#: The goal of the issue that asked for the benchmark: evaluate wall time / bare forward time.
GOAL_RATIO = 1.10


@dataclass(frozen=True)
class EvaluationBenchPlan:
    """What one evaluation bench run measures.

    :param frames: frames of the timing run, >= 1.
    :param batch_size: frames per forward pass, >= 1.
    :param channels: width of the benchmark net's first stage in the timing run, >= 1.
    :param width, height: image size in pixels (multiples of 8: the net halves them three times).
    :param memory_frames: set sizes of the memory runs, each in its own process (empty: none).
    :param memory_channels: net width of the memory runs (smaller: 1000 frames in minutes).
    :param repeats: evaluations in the timing run (the median ratio is kept), >= 1.
    """

    frames: int = 100
    batch_size: int = 8
    channels: int = 32
    width: int = 640
    height: int = 192
    memory_frames: tuple[int, ...] = (100, 1000)
    memory_channels: int = 8
    repeats: int = 3


def evaluation_plan(frames: int, batch_size: int, channels: int, width: int, height: int, memory_frames: str,
                    no_memory: bool, memory_channels: int, repeats: int) -> EvaluationBenchPlan:
    """The command line's options as an EvaluationBenchPlan (one-line DepthprobeError on a bad
    ``--memory-frames``: comma-separated positive counts, e.g. 100,1000)."""
    try:
        counts = tuple(int(v) for v in memory_frames.split(","))
    except ValueError:
        raise DepthprobeError(f"--memory-frames {memory_frames!r}: counts separated by commas, e.g. 100,1000") from None
    if min(counts) < 1:
        raise DepthprobeError(f"--memory-frames {memory_frames!r}: every count at least 1")
    return EvaluationBenchPlan(frames, batch_size, channels, width, height, () if no_memory else counts,
                               memory_channels, repeats)


def write_benchmark_set(root: Path, n_frames: int, camera: Camera, hash_files: bool = True) -> Path:
    """A synthetic set of ``n_frames`` frames (see the module docstring); returns ``root``.

    Written by :func:`scenes.formats.synthetic.write_frames` (the same writer the tests use): one box per
    frame at ``BASE_DISTANCE_M * d``, every third frame a reference frame.
    """
    specs = []
    for i in range(n_frames):
        d = 1.0 + 2.0 * (i % 21) / 20
        box = Box(BASE_DISTANCE_M * d, columns={"condition": "position_and_size", "relative_distance": d})
        specs.append(FrameSpec(f"frame{i:05d}", camera, (box,),
                               {"condition": "position_and_size", "relative_distance": d, "variant": "default"},
                               is_reference=i % 3 == 0))
    return write_frames(Path(root), specs, camera, hash_files, spec_hash=f"benchmark-{n_frames}")


def time_run(n_frames: int, batch_size: int, channels: int, width: int, height: int,
             repeats: int = 2) -> dict[str, Any]:
    """Timing figures of evaluating ``n_frames`` frames (see the module docstring).

    Bare forward and evaluation alternate ``repeats`` times (bare, evaluate, bare, ...,
    bare); each evaluation is divided by the mean of the bare runs on either side of it, and
    the median of those ratios is reported (other processes sharing the machine come and go;
    a pair sees the same conditions).  Seconds (``_s``) and milliseconds per frame (``_ms_per_frame``).
    """
    from evaluator.pipeline.overhead import alternating_runs

    camera = kitti_like_camera(width=width, height=height)
    with tempfile.TemporaryDirectory(prefix="depthprobe-bench-") as tmp:
        root = write_benchmark_set(Path(tmp) / "set", n_frames, camera)
        measured = alternating_runs(root, Path(tmp), batch_size, channels, (height, width), repeats)
    bare, runs = measured["bare"], measured["runs"]
    # Each evaluation against the mean of the bare runs just before and just after it: a pair
    # sees the same conditions (other processes come and go); the median pair is reported.
    pairs = [(r[0] / ((bare[i][0] + bare[i + 1][0]) / 2), r[1] / ((bare[i][1] + bare[i + 1][1]) / 2))
             for i, r in enumerate(runs)]
    ratio, cpu_ratio = float(np.median([p[0] for p in pairs])), float(np.median([p[1] for p in pairs]))
    bare_wall, bare_cpu = float(np.median([b[0] for b in bare])), float(np.median([b[1] for b in bare]))
    wall, cpu, inside = (float(np.median([r[k] for r in runs])) for k in range(3))
    return {"frames": n_frames, "image": [height, width], "batch_size": batch_size, "model": measured["model"],
            "torch_threads": measured["torch_threads"], "repeats": repeats,
            "bare_forward_s": round(bare_wall, 3), "bare_forward_all_s": [round(b[0], 3) for b in bare],
            "forward_ms_per_frame": round(1e3 * bare_wall / n_frames, 2),
            "evaluate_wall_s": round(wall, 3), "evaluate_all_s": [round(r[0], 3) for r in runs],
            "model_time_in_run_s": round(inside, 3),
            "ratio": round(ratio, 3), "ratio_pairs": [round(p[0], 3) for p in pairs],
            "cpu_ratio": round(cpu_ratio, 3), "bare_forward_cpu_s": round(bare_cpu, 3),
            "evaluate_cpu_s": round(cpu, 3),
            "overhead_ms_per_frame": round(1e3 * bare_wall * (ratio - 1) / n_frames, 2),
            "overhead_cpu_ms_per_frame": round(1e3 * bare_cpu * (cpu_ratio - 1) / n_frames, 2)}


def memory_runs(sizes: tuple[int, ...], batch_size: int, channels: int, width: int, height: int) -> list[dict]:
    """:func:`evaluator.pipeline.overhead.memory_child` for each size, each in its own process
    (``python -m depthprobe.bench.evaluation --memory-child``)."""
    camera = kitti_like_camera(width=width, height=height)
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="depthprobe-bench-") as tmp:
            root = write_benchmark_set(Path(tmp) / "set", n, camera)
            cmd = [sys.executable, "-m", __spec__.name, "--memory-child", str(root),
                   "--batch-size", str(batch_size), "--channels", str(channels)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def memory_lines(memory: list[dict]) -> list[str]:
    """The memory runs for a person (sizes in MB)."""
    lines = ["memory (fresh process per size):"]
    lines += [f"  {m['frames']:>6} frames: tracemalloc peak {m['tracemalloc_peak_mb']:.1f} MB; resident "
              f"{m['rss_at_start_mb']} MB at start, peak {m['rss_peak_during_evaluate_mb']} MB during evaluate; "
              f"ru_maxrss {m['ru_maxrss_mb']:.1f} MB (before evaluate {m['ru_maxrss_before_evaluate_mb']:.1f} MB)"
              for m in memory]
    if len(memory) >= 2 and memory[0]["tracemalloc_peak_mb"] > 0:
        growth = memory[-1]["tracemalloc_peak_mb"] / memory[0]["tracemalloc_peak_mb"]
        lines.append(f"  traced peak {memory[-1]['frames']} / {memory[0]['frames']} frames: {growth:.2f}x")
    return lines


def timing_lines(timing: dict[str, Any]) -> list[str]:
    """The timing run for a person, with its goal."""
    return [
        f"timing ({timing['frames']} frames {timing['image'][1]}x{timing['image'][0]}, batch {timing['batch_size']}, "
        f"{timing['model']}, {timing['torch_threads']} torch threads, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}):",
        f"  bare forward      {timing['bare_forward_s']:.2f} s ({timing['forward_ms_per_frame']:.1f} ms/frame; "
        f"all: {timing['bare_forward_all_s']})",
        f"  evaluate_set      {timing['evaluate_wall_s']:.2f} s (all: {timing['evaluate_all_s']}; model inside "
        f"{timing['model_time_in_run_s']:.2f} s)",
        f"  ratio             {timing['ratio']:.3f} wall (goal <= {GOAL_RATIO:.2f}; pairs {timing['ratio_pairs']}); "
        f"{timing['cpu_ratio']:.3f} CPU time ({timing['evaluate_cpu_s']:.1f} s / {timing['bare_forward_cpu_s']:.1f} s)",
        f"  overhead          {timing['overhead_ms_per_frame']:.1f} ms wall, "
        f"{timing['overhead_cpu_ms_per_frame']:.1f} ms CPU per frame",
    ]


def run_evaluation_bench(plan: EvaluationBenchPlan, report: Callable[[str], None]) -> dict[str, Any]:
    """The memory runs (first), then the timing run; each one's lines handed to ``report`` as soon
    as it is done.  Returns ``{"memory": [...], "timing": {...}}`` (no ``memory`` without sizes)."""
    # OpenMP threads that spin after each parallel region steal the CPU from whatever else runs
    # (the evaluator's worker, other processes) and make timings swing; passive waiting keeps
    # both the bare forward and the evaluation steady.  Set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    result: dict[str, Any] = {}
    # Memory first: a child's ru_maxrss starts at its parent's high-water mark (Linux keeps it
    # across fork and exec), so the children are started before this process imports torch.
    if plan.memory_frames:
        result["memory"] = memory_runs(plan.memory_frames, plan.batch_size, plan.memory_channels, plan.width,
                                       plan.height)
        for line in memory_lines(result["memory"]):
            report(line)
    result["timing"] = time_run(plan.frames, plan.batch_size, plan.channels, plan.width, plan.height, plan.repeats)
    for line in timing_lines(result["timing"]):
        report(line)
    return result


def memory_child_main(argv: list[str] | None = None) -> None:
    """The memory child's command line (``--memory-child SET --batch-size B --channels C``): print
    :func:`evaluator.pipeline.overhead.memory_child`'s figures as one JSON line."""
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description="one memory run (internal)")
    parser.add_argument("--memory-child", type=Path, required=True, help="the stimulus set to evaluate")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--channels", type=int, default=8)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported, as in the parent
    from evaluator.pipeline.overhead import memory_child

    print(json.dumps(memory_child(args.memory_child, args.batch_size, args.channels)))


if __name__ == "__main__":
    memory_child_main()
