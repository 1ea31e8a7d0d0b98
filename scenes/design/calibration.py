"""Render-time estimates calibrated on this machine.

Every ``depthprobe generate`` (and ``validate --calibrate``, which renders a few frames of the
spec) stores what its renders cost here: seconds of wall time per render for the render work
of that spec (``work`` = megapixels x samples, doubled with counterfactual frames) with that
many workers, and its start-up.  ``validate`` then estimates a design from these measurements: with two or more
distinct work sizes measured, a least-squares line ``seconds = a + b * work``; with one, that
measurement scaled by :func:`uncalibrated_seconds_per_render`'s shape; with none, the
uncalibrated constants, labelled as a guess.

The store is a JSON file (CALIBRATION_FILE under ``$DEPTHPROBE_CACHE``, default
``~/.cache/depthprobe``), one list of measurements per machine key (host, cores, render
device); writes are atomic, a damaged store is ignored (estimates fall back to the guess).
"""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from scenes.spec import StimulusSpec
from scenes.storage import atomic_write_bytes, json_bytes

#: File name of the store in the cache folder.
CALIBRATION_FILE = "render-calibration.json"
#: Measurements kept per machine (oldest dropped first).
MAX_MEASUREMENTS = 40
#: Uncalibrated guess, measured once on a 2-core CPU (Cycles, no denoiser): seconds per frame
#: per (megapixel x sample), from 640x192 at 16 samples taking about 1.5 s in our road world.
SECONDS_PER_MEGAPIXEL_SAMPLE = 1.5 / (640 * 192 / 1e6 * 16)
#: Uncalibrated guess: fewest seconds a frame costs whatever its size (set-up, writes).
MIN_SECONDS_PER_FRAME = 0.3
#: Fewest renders a measurement must hold to be stored (fewer are mostly start-up).
MIN_RENDERS = 3


@dataclass(frozen=True)
class Measurement:
    """What one run's renders cost on this machine.

    :ivar work: megapixels x samples per render (x2 with counterfactual frames), > 0.
    :ivar seconds_per_render: wall seconds per render once the first render was in (all its
        workers together: a run with more workers has a smaller figure).
    :ivar renders: renders the run did (>= MIN_RENDERS).
    :ivar workers: render workers it used.
    :ivar measured_at: Unix time of the measurement.
    :ivar startup_s: seconds from the start of its render phase to its first render, less one
        render (loading BlenderProc, building the first world).
    """

    work: float
    seconds_per_render: float
    renders: int
    workers: int
    measured_at: float
    startup_s: float = 0.0


@dataclass(frozen=True)
class Estimate:
    """A render-time estimate: seconds, and what it rests on (for the line ``validate`` prints)."""

    seconds: float
    basis: str


def render_work(spec: StimulusSpec) -> float:
    """Megapixels x samples of one render of ``spec``, doubled with counterfactual frames."""
    work = spec.camera.width * spec.camera.height / 1e6 * spec.render.samples
    return work * (2.0 if spec.render.counterfactual else 1.0)


def uncalibrated_seconds_per_render(work: float) -> float:
    """The guess for a render of ``work`` (see SECONDS_PER_MEGAPIXEL_SAMPLE)."""
    return max(SECONDS_PER_MEGAPIXEL_SAMPLE * work, MIN_SECONDS_PER_FRAME)


def machine_key(device: str = "CPU") -> str:
    """This machine in the store: host name, cores and render device."""
    return f"{platform.node()} / {os.cpu_count()} cores / {device}"


def store_path() -> Path:
    """Where the store lives: ``$DEPTHPROBE_CACHE/render-calibration.json`` or under ~/.cache."""
    root = os.environ.get("DEPTHPROBE_CACHE") or Path.home() / ".cache" / "depthprobe"
    return Path(root) / CALIBRATION_FILE


def read_measurements(machine: str, path: Path | None = None) -> list[Measurement]:
    """The stored measurements of ``machine`` (none when the store is missing or damaged)."""
    try:
        data = json.loads((path or store_path()).read_text(encoding="utf-8"))
        return [Measurement(**m) for m in data.get(machine, [])]
    except (OSError, ValueError, TypeError, AttributeError):
        return []


def record_measurement(machine: str, measurement: Measurement, path: Path | None = None) -> bool:
    """Add ``measurement`` to the store (atomically); False when it has too few renders or the
    store cannot be written (an estimate is never worth failing a run for)."""
    if measurement.renders < MIN_RENDERS or measurement.work <= 0:
        return False
    path = path or store_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    kept = [m for m in data.get(machine, []) if isinstance(m, dict)][-(MAX_MEASUREMENTS - 1):]
    data[machine] = [*kept, asdict(measurement)]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json_bytes(data))
    except (OSError, Exception):  # noqa: BLE001  (StorageError included: never fail a run for it)
        return False
    return True


def measurement_of(spec: StimulusSpec, seconds_per_render: float, renders: int, workers: int,
                   startup_s: float) -> Measurement:
    """A measurement of a run of ``spec`` (see :class:`Measurement` for the fields)."""
    return Measurement(render_work(spec), seconds_per_render, renders, workers, time.time(), max(0.0, startup_s))


def estimate_render_seconds(spec: StimulusSpec, n_renders: int, measurements: list[Measurement]) -> Estimate:
    """Seconds ``n_renders`` renders of ``spec`` should take here, from ``measurements``
    (see the module docstring for the model)."""
    work = render_work(spec)
    if not measurements:
        return Estimate(uncalibrated_seconds_per_render(work) * n_renders,
                        "uncalibrated guess for a 2-core CPU; run validate --calibrate")
    startup = float(np.median([m.startup_s for m in measurements]))
    x = np.array([m.work for m in measurements])
    y = np.array([m.seconds_per_render for m in measurements])
    w = np.array([float(m.renders) for m in measurements])
    count = f"{int(w.sum())} renders in {len(measurements)} runs on this machine"
    if len(np.unique(np.round(x, 9))) >= 2:
        slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
        per_render = max(float(intercept + slope * work), float(y.min()) * 0.5)
        return Estimate(startup + per_render * n_renders, f"calibrated: line through {count}")
    scale = float(np.average(y, weights=w)) / uncalibrated_seconds_per_render(float(x[0]))
    return Estimate(startup + scale * uncalibrated_seconds_per_render(work) * n_renders,
                    f"calibrated: scaled from {count}")
