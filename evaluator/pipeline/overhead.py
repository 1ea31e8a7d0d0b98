"""The torch-bound measurements of ``depthprobe bench evaluation`` (depthprobe/bench/evaluation.py
drives them, turns them into figures and prints them): the bare forward pass of the benchmark
network (evaluator/models/bench_net.py) against :func:`evaluator.pipeline.evaluate.evaluate_set`
end to end on the same set, and the memory of one evaluation in a fresh process.
"""
from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

#: Seconds between two samples of the resident set (/proc/self/statm) during an evaluation.
RSS_SAMPLE_INTERVAL_S = 0.02


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


def alternating_runs(set_root: Path, workdir: Path, batch_size: int, channels: int, image_size: tuple[int, int],
                     repeats: int) -> dict[str, Any]:
    """Bare forward and evaluation of the set at ``set_root``, alternating: bare, evaluate, bare,
    ..., bare (``repeats`` evaluations, into ``workdir/out<i>``).

    :param image_size: (height, width) in pixels of the set's frames (the warm-up batch's size).
    :returns: ``model`` (its name), ``torch_threads``, ``bare`` ((wall s, CPU s) per bare run,
        ``repeats + 1`` of them) and ``runs`` ((wall s, CPU s, seconds inside the model's
        ``predict``) per evaluation).
    """
    import torch

    from evaluator.models.bench_net import bench_model
    from evaluator.pipeline.evaluate import evaluate_set

    model = bench_model(channels)
    warm = np.zeros((batch_size, *image_size, 3), np.uint8)
    with torch.inference_mode():
        model.predict(warm)  # first-call set-up is not the evaluator's
    bare, runs = [bare_forward_seconds(model, set_root, batch_size)], []
    for i in range(repeats):
        clocked = timed(model)
        start, start_cpu = time.perf_counter(), time.process_time()
        evaluate_set(set_root, clocked, Path(workdir) / f"out{i}", batch_size=batch_size)
        runs.append((time.perf_counter() - start, time.process_time() - start_cpu, clocked.seconds))
        bare.append(bare_forward_seconds(model, set_root, batch_size))
    return {"model": model.name, "torch_threads": torch.get_num_threads(), "bare": bare, "runs": runs}


def memory_child(set_root: Path, batch_size: int, channels: int) -> dict[str, Any]:
    """Run in a fresh process: peak traced and resident memory of one evaluation of the set at
    ``set_root`` (written by the parent, so that writing it does not count); sizes in MB (2**20 bytes)."""
    import torch

    from evaluator.models.bench_net import bench_model
    from evaluator.pipeline.evaluate import evaluate_set
    from scenes.formats import open_stimulus_set

    n_frames = len(open_stimulus_set(set_root, check_files=False).frames)  # evaluate_set below checks it
    model = bench_model(channels)
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
    inside (sampled every ``interval_s`` seconds from /proc/self/statm; None where that file does
    not exist), in MB.  ``ru_maxrss`` is the whole life's peak, which start-up (torch's import)
    can already hold."""

    def __init__(self, interval_s: float = RSS_SAMPLE_INTERVAL_S) -> None:
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
