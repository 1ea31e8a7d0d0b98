"""Which device Cycles renders on: ``--render-device auto|cpu|cuda|optix``.

``auto`` takes the first GPU back-end for which Cycles finds a device (OptiX, then CUDA, then
HIP, oneAPI and Metal), else the CPU; ``cuda`` and ``optix`` insist on theirs.  A worker that
is given a GPU index renders on that one GPU only (one worker per GPU), with its CPU threads
left for Blender's scene sync.  Frames rendered on a GPU are not bit-identical to frames
rendered on a CPU (different floating-point paths); the set's manifest records the device.

Only :func:`configure_render_device` touches bpy (imported there); :func:`count_gpus` and
:func:`check_device_choice` run in processes that never load Blender.
"""
from __future__ import annotations

import os
from pathlib import Path

from scenes.errors import DepthprobeError

#: The choices of ``--render-device``.
DEVICE_CHOICES = ("auto", "cpu", "cuda", "optix")
#: GPU back-ends ``auto`` tries, in order: OptiX is the fastest on NVIDIA RTX/Hopper cards.
AUTO_GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")
#: Where the NVIDIA kernel driver lists one folder per GPU (Linux).
NVIDIA_GPU_FOLDER = Path("/proc/driver/nvidia/gpus")


def check_device_choice(choice: str) -> str:
    """``choice`` lower-cased, or a one-line DepthprobeError naming the option."""
    value = choice.lower()
    if value not in DEVICE_CHOICES:
        raise DepthprobeError(f"--render-device {choice!r}: choose one of {', '.join(DEVICE_CHOICES)}")
    return value


def count_gpus() -> int:
    """NVIDIA GPUs this process may use, without loading Blender or CUDA: the driver's GPU
    folders, limited by ``CUDA_VISIBLE_DEVICES`` when it is set; 0 without the driver."""
    try:
        present = sum(1 for _ in NVIDIA_GPU_FOLDER.iterdir())
    except OSError:
        return 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return present
    ids = [v for v in visible.split(",") if v.strip() and v.strip() != "-1"]
    return min(present, len(ids))


def wants_gpu(choice: str) -> bool:
    """Whether ``choice`` renders on GPUs when the machine has them (everything but ``cpu``)."""
    return check_device_choice(choice) != "cpu"


def configure_render_device(choice: str, gpu_index: int | None = None) -> str:
    """Point Cycles at the device ``choice`` asks for and return what it renders on, e.g.
    ``"CPU"`` or ``"OPTIX: NVIDIA H200"``.

    :param choice: one of DEVICE_CHOICES.
    :param gpu_index: use only this GPU of the back-end's list (0-based; taken modulo the
        number found); None = every GPU of the back-end.
    :raises DepthprobeError: ``cuda`` or ``optix`` asked for and Cycles finds no such device.
    """
    import bpy

    choice = check_device_choice(choice)
    scene = bpy.context.scene
    preferences = bpy.context.preferences.addons["cycles"].preferences
    if choice != "cpu":
        backends = AUTO_GPU_BACKENDS if choice == "auto" else (choice.upper(),)
        for backend in backends:
            gpus = _gpus_of(preferences, backend)
            if gpus:
                chosen = gpus if gpu_index is None else [gpus[gpu_index % len(gpus)]]
                preferences.compute_device_type = backend
                for device in preferences.get_devices_for_type(backend):
                    device.use = any(device.id == c.id for c in chosen)
                scene.cycles.device = "GPU"
                return f"{backend}: {', '.join(sorted({d.name for d in chosen}))}"
        if choice != "auto":
            raise DepthprobeError(f"--render-device {choice}: Cycles finds no {choice.upper()} device on this machine")
    scene.cycles.device = "CPU"
    preferences.compute_device_type = "NONE"
    return "CPU"


def _gpus_of(preferences, backend: str) -> list:
    """The GPU devices Cycles lists for ``backend`` (none when the back-end is unknown to this build)."""
    try:
        devices = preferences.get_devices_for_type(backend)
    except (TypeError, ValueError, RuntimeError):
        return []
    return [d for d in devices if d.type != "CPU"]
