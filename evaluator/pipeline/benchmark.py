"""How much the evaluator adds to a model's own time, and whether its memory stays flat.

Run::

    python -m evaluator.pipeline.benchmark --frames 100            # timing, then memory at 100 and 1000 frames
    python -m evaluator.pipeline.benchmark --frames 100 --no-memory

What it does, in one process for the timing:

1. writes a synthetic stimulus set (a level KITTI-like camera, a flat road and one box per
   frame at 1 ... 3 times 10 m; a third of the frames are reference frames) to a temporary
   folder -- no Blender;
2. builds a small encoder-decoder conv net (:class:`BenchNet`, randomly initialised with a
   fixed seed, disparity output) as a torch model;
3. times the **bare forward**: the model's ``predict`` on the same batches the evaluator will
   form (images already in memory, under ``torch.inference_mode``), before and after step 4;
4. times :func:`evaluator.pipeline.evaluate.evaluate_set` end to end (verification with hashing, alignment,
   inference, stored predictions, every analysis, writing), with the model's own time inside
   the run also recorded; bare forward and evaluation alternate (``--repeats``), each
   evaluation is compared with the bare runs on either side of it, and the median is kept;
5. prints ``ratio = evaluate wall time / bare forward time`` (goal <= 1.10), the same ratio of
   process CPU time (all threads; steadier when other processes share the machine), and the
   overhead per frame in milliseconds -- the figure that does not depend on the model.

Memory: for each size in ``--memory-frames`` (with a narrower net, ``--memory-channels``, so that
1000 frames take minutes, not half an hour) a fresh child process (so ``ru_maxrss`` is its
own) evaluates a set of that many frames (written beforehand by the parent) with ``tracemalloc``
on, and reports the traced peak (Python and numpy allocations; torch's own allocator is not
traced), the resident set at the start and its peak during the evaluation (sampled), and
``ru_maxrss`` (the process's lifetime peak, which torch's import alone takes to ~0.6 GB).  Flat means the 1000-frame run peaks where the 100-frame run does.

``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` in this process (unless set): spinning OpenMP
threads otherwise make every timing swing on a shared machine.

Nothing here is asserted: the figures are printed (and returned as a dict) for a person to read.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from scenes.geometry import Camera, kitti_like_camera
from scenes.formats import Box, FrameSpec, write_frames

#: The boxes stand at 1 ... 3 times this distance, metres (21 levels, as the study's design).
BASE_DISTANCE_M = 10.0


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


def build_model(channels: int = 32, seed: int = 0):
    """The benchmark network as a :class:`~evaluator.models.torch_module.TorchModuleModel`.

    :param channels: width of the first encoder stage (the others double, up to 4x).
    """
    import torch
    from torch import nn

    from evaluator.models.torch_module import TorchModuleModel

    torch.manual_seed(seed)
    c = channels

    def block(i: int, o: int, stride: int = 1) -> nn.Module:
        return nn.Sequential(nn.Conv2d(i, o, 3, stride, 1), nn.ReLU(inplace=True))

    class BenchNet(nn.Module):
        """Encoder (3 stride-2 stages) and decoder (3 upsampling stages), softplus disparity."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Sequential(block(3, c, 2), block(c, 2 * c, 2), block(2 * c, 4 * c, 2),
                                         block(4 * c, 4 * c))
            self.decoder = nn.Sequential(nn.Upsample(scale_factor=2), block(4 * c, 2 * c),
                                         nn.Upsample(scale_factor=2), block(2 * c, c),
                                         nn.Upsample(scale_factor=2), nn.Conv2d(c, 1, 3, 1, 1))

        def forward(self, x):
            return nn.functional.softplus(self.decoder(self.encoder(x))) + 1e-3

    return TorchModuleModel(BenchNet(), name=f"benchnet-c{c}", output_kind="disparity", device="cpu")


def timed(model):
    """``model`` wrapped so that the seconds spent in its ``predict`` add up in ``.seconds``."""
    from evaluator.models.base import DepthModel

    class TimedModel(DepthModel):
        framework = model.framework

        def __init__(self) -> None:
            self.name, self.output_kind = model.name, model.output_kind
            self.input_size, self.normalisation = model.input_size, model.normalisation
            self.device = getattr(model, "device", None)
            self.seconds, self.frames = 0.0, 0

        def predict(self, images: np.ndarray) -> np.ndarray:
            start = time.perf_counter()
            out = model.predict(images)
            self.seconds += time.perf_counter() - start
            self.frames += len(images)
            return out

    return TimedModel()


def bare_forward_seconds(model, stimulus_root: Path, batch_size: int) -> tuple[float, float]:
    """(wall, CPU) seconds of ``model.predict`` over the set's frames in the evaluator's batches
    (reference frames first, as the alignment pass reads them, then the others).  CPU time is
    the process's, all threads (torch's included)."""
    import torch

    from scenes.formats import open_stimulus_set

    stimulus_set = open_stimulus_set(stimulus_root)
    refs = stimulus_set.reference_frame_ids
    others = [f for f in stimulus_set.frame_ids if f not in set(refs)]
    batches = [np.stack([stimulus_set.rgb(f) for f in ids[i:i + batch_size]])
               for ids in (refs, others) for i in range(0, len(ids), batch_size)]
    wall = cpu = 0.0
    with torch.inference_mode():
        for images in batches:
            start, start_cpu = time.perf_counter(), time.process_time()
            model.predict(images)
            wall += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
    return wall, cpu


def time_run(n_frames: int, batch_size: int, channels: int, width: int, height: int,
             repeats: int = 2) -> dict[str, Any]:
    """Timing figures of evaluating ``n_frames`` frames (see the module docstring).

    Bare forward and evaluation alternate ``repeats`` times (bare, evaluate, bare, ...,
    bare); each evaluation is divided by the mean of the bare runs on either side of it, and
    the median of those ratios is reported (other processes sharing the machine come and go;
    a pair sees the same conditions).
    """
    import torch

    from evaluator.pipeline.evaluate import evaluate_set

    camera = kitti_like_camera(width=width, height=height)
    model = build_model(channels)
    bare, runs = [], []
    with tempfile.TemporaryDirectory(prefix="depthprobe-bench-") as tmp:
        root = write_benchmark_set(Path(tmp) / "set", n_frames, camera)
        warm = np.stack([np.zeros((height, width, 3), np.uint8)] * batch_size)
        with torch.inference_mode():
            model.predict(warm)  # first-call set-up is not the evaluator's
        bare.append(bare_forward_seconds(model, root, batch_size))
        for i in range(repeats):
            clocked = timed(model)
            start, start_cpu = time.perf_counter(), time.process_time()
            evaluate_set(root, clocked, Path(tmp) / f"out{i}", batch_size=batch_size)
            runs.append((time.perf_counter() - start, time.process_time() - start_cpu, clocked.seconds))
            bare.append(bare_forward_seconds(model, root, batch_size))
    # Each evaluation against the mean of the bare runs just before and just after it: a pair
    # sees the same conditions (other processes come and go); the median pair is reported.
    pairs = [(r[0] / ((bare[i][0] + bare[i + 1][0]) / 2), r[1] / ((bare[i][1] + bare[i + 1][1]) / 2))
             for i, r in enumerate(runs)]
    ratio, cpu_ratio = float(np.median([p[0] for p in pairs])), float(np.median([p[1] for p in pairs]))
    bare_wall, bare_cpu = float(np.median([b[0] for b in bare])), float(np.median([b[1] for b in bare]))
    wall, cpu, inside = (float(np.median([r[k] for r in runs])) for k in range(3))
    return {"frames": n_frames, "image": [height, width], "batch_size": batch_size, "model": model.name,
            "torch_threads": torch.get_num_threads(), "repeats": repeats,
            "bare_forward_s": round(bare_wall, 3), "bare_forward_all_s": [round(b[0], 3) for b in bare],
            "forward_ms_per_frame": round(1e3 * bare_wall / n_frames, 2),
            "evaluate_wall_s": round(wall, 3), "evaluate_all_s": [round(r[0], 3) for r in runs],
            "model_time_in_run_s": round(inside, 3),
            "ratio": round(ratio, 3), "ratio_pairs": [round(p[0], 3) for p in pairs],
            "cpu_ratio": round(cpu_ratio, 3), "bare_forward_cpu_s": round(bare_cpu, 3),
            "evaluate_cpu_s": round(cpu, 3),
            "overhead_ms_per_frame": round(1e3 * bare_wall * (ratio - 1) / n_frames, 2),
            "overhead_cpu_ms_per_frame": round(1e3 * bare_cpu * (cpu_ratio - 1) / n_frames, 2)}


def memory_child(set_root: Path, batch_size: int, channels: int) -> dict[str, Any]:
    """Run in a fresh process: peak traced and resident memory of one evaluation of the set at
    ``set_root`` (written by the parent, so that writing it does not count)."""
    import torch

    from evaluator.pipeline.evaluate import evaluate_set
    from scenes.formats import open_stimulus_set

    n_frames = len(open_stimulus_set(set_root).frames)
    model = build_model(channels)
    with torch.inference_mode():  # torch's one-off set-up is not the evaluator's
        model.predict(np.zeros((1, 64, 64, 3), np.uint8))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sampler = RssSampler()
    with tempfile.TemporaryDirectory(prefix="depthprobe-bench-") as tmp:
        tracemalloc.start()
        start = time.perf_counter()
        with sampler:
            evaluate_set(set_root, model, Path(tmp) / "out", batch_size=batch_size)
        wall = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {"frames": n_frames, "tracemalloc_peak_mb": round(peak / 2**20, 1),
            "ru_maxrss_mb": round(rss / 1024, 1), "ru_maxrss_before_evaluate_mb": round(rss_before / 1024, 1),
            "rss_at_start_mb": sampler.start_mb, "rss_peak_during_evaluate_mb": sampler.peak_mb,
            "evaluate_wall_s_traced": round(wall, 2)}


class RssSampler:
    """Context manager: the process's current resident set at entry and its highest value while
    inside (sampled every 20 ms from /proc/self/statm; None where that file does not exist).
    ``ru_maxrss`` is the whole life's peak, which start-up (torch's import) can already hold."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.start_mb: float | None = None
        self.peak_mb: float | None = None

    @staticmethod
    def current_mb() -> float | None:
        try:
            with open("/proc/self/statm", encoding="ascii") as f:
                pages = int(f.read().split()[1])
        except OSError:
            return None
        return round(pages * resource.getpagesize() / 2**20, 1)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            now = self.current_mb()
            if now is not None and (self.peak_mb is None or now > self.peak_mb):
                self.peak_mb = now

    def __enter__(self) -> "RssSampler":
        import threading

        self.start_mb = self.peak_mb = self.current_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        now = self.current_mb()
        if now is not None and (self.peak_mb is None or now > self.peak_mb):
            self.peak_mb = now


def memory_runs(sizes: list[int], batch_size: int, channels: int, width: int, height: int) -> list[dict]:
    """:func:`memory_child` for each size, each in its own process."""
    camera = kitti_like_camera(width=width, height=height)
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="depthprobe-bench-") as tmp:
            root = write_benchmark_set(Path(tmp) / "set", n, camera)
            cmd = [sys.executable, "-m", "evaluator.pipeline.benchmark", "--memory-child", str(root),
                   "--batch-size", str(batch_size), "--channels", str(channels)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m evaluator.pipeline.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=100, help="frames of the timing run")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--channels", type=int, default=32, help="width of the benchmark net's first stage")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=192)
    parser.add_argument("--memory-frames", type=int, nargs="*", default=[100, 1000],
                        help="set sizes of the memory runs (each in its own process)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--memory-channels", type=int, default=8,
                        help="net width for the memory runs (smaller: 1000 frames in a few minutes)")
    parser.add_argument("--repeats", type=int, default=3, help="evaluations in the timing run (median ratio is kept)")
    parser.add_argument("--memory-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # OpenMP threads that spin after each parallel region steal the CPU from whatever else runs
    # (the evaluator's worker, other processes) and make timings swing; passive waiting keeps
    # both the bare forward and the evaluation steady.  Set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if args.memory_child is not None:
        result = memory_child(args.memory_child, args.batch_size, args.channels)
        print(json.dumps(result))
        return result
    result: dict[str, Any] = {}
    # Memory first: a child's ru_maxrss starts at its parent's high-water mark (Linux keeps it
    # across fork and exec), so the children are started before this process imports torch.
    if not args.no_memory and args.memory_frames:
        memory = memory_runs(args.memory_frames, args.batch_size, args.memory_channels, args.width, args.height)
        result["memory"] = memory
        print("memory (fresh process per size):")
        for m in memory:
            print(f"  {m['frames']:>6} frames: tracemalloc peak {m['tracemalloc_peak_mb']:.1f} MB; resident "
                  f"{m['rss_at_start_mb']} MB at start, peak {m['rss_peak_during_evaluate_mb']} MB during evaluate; "
                  f"ru_maxrss {m['ru_maxrss_mb']:.1f} MB (before evaluate {m['ru_maxrss_before_evaluate_mb']:.1f} MB)")
        if len(memory) >= 2 and memory[0]["tracemalloc_peak_mb"] > 0:
            growth = memory[-1]["tracemalloc_peak_mb"] / memory[0]["tracemalloc_peak_mb"]
            print(f"  traced peak {memory[-1]['frames']} / {memory[0]['frames']} frames: {growth:.2f}x")
    timing = time_run(args.frames, args.batch_size, args.channels, args.width, args.height, args.repeats)
    print(f"timing ({timing['frames']} frames {timing['image'][1]}x{timing['image'][0]}, batch {timing['batch_size']}, "
          f"{timing['model']}, {timing['torch_threads']} torch threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}):")
    print(f"  bare forward      {timing['bare_forward_s']:.2f} s ({timing['forward_ms_per_frame']:.1f} ms/frame; "
          f"all: {timing['bare_forward_all_s']})")
    print(f"  evaluate_set      {timing['evaluate_wall_s']:.2f} s (all: {timing['evaluate_all_s']}; model inside "
          f"{timing['model_time_in_run_s']:.2f} s)")
    print(f"  ratio             {timing['ratio']:.3f} wall (goal <= 1.10; pairs {timing['ratio_pairs']}); "
          f"{timing['cpu_ratio']:.3f} CPU time ({timing['evaluate_cpu_s']:.1f} s / {timing['bare_forward_cpu_s']:.1f} s)")
    print(f"  overhead          {timing['overhead_ms_per_frame']:.1f} ms wall, "
          f"{timing['overhead_cpu_ms_per_frame']:.1f} ms CPU per frame")
    result["timing"] = timing
    return result


if __name__ == "__main__":
    main()
