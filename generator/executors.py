"""Choosing a render executor: this process, a pool of worker processes, or Ray actors.

Every executor keeps the contract of generator/render_result.py (frame plans in, one
RenderResult per render out, as they finish) and renders history-free frames, so the files of a
set do not depend on which executor, how many workers or which worker rendered a frame (on the
same kind of device).  :class:`ExecutorOptions` is what the command line's ``--workers``,
``--threads``, ``--render-device``, ``--executor`` and ``--address`` set.

Callers that render in several steps (the failure search, depthprobe/search/) open one executor
and hand it on; :func:`use_executor` takes either options (opens an executor, closes it after)
or such an executor already open (uses it as it is, leaves it open).
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from scenes.catalog import Catalog
from scenes.errors import DepthprobeError
from scenes.spec import StimulusSpec
from generator.ray_cluster import check_address, check_answers
from generator.render_device import check_device_choice, count_gpus, wants_gpu
from generator.render_result import RenderExecutor

#: The choices of ``--executor``: processes on this machine, or actors of a Ray cluster.
EXECUTORS = ("local", "ray")
#: Render devices that need an NVIDIA GPU (checked on this machine before anything is written).
NVIDIA_ONLY = ("cuda", "optix")


@dataclass(frozen=True)
class ExecutorOptions:
    """How a set is rendered.

    :param workers: render workers (processes or Ray actors), >= 1; None = as many as fit:
        one per GPU when rendering on GPUs, else generator.pool.default_workers().
    :param threads: Cycles CPU threads per worker, >= 1; None = the cores split between workers.
    :param render_device: ``auto`` | ``cpu`` | ``cuda`` | ``optix`` (generator/render_device.py).
    :param executor: ``local`` or ``ray`` (EXECUTORS).
    :param address: the Ray cluster to join (``ray://host:10001``, ``host:6379`` or ``auto``:
        generator/ray_cluster.py FORMS); None = start a local Ray on this machine.  Only with
        ``executor="ray"``.
    :param in_process: with one local worker, render in this process (which then loads Blender
        and must leave through generator.blenderproc_runtime.exit_process); False = a pool of
        one worker process, so that this process never loads Blender.
    """

    workers: int | None = None
    threads: int | None = None
    render_device: str = "auto"
    executor: str = "local"
    address: str | None = None
    in_process: bool = True

    def checked(self) -> "ExecutorOptions":
        """These options, or a one-line DepthprobeError naming the bad option (a Ray address
        that nothing answers at within generator.ray_cluster.CONNECT_TIMEOUT_S included)."""
        check_device_choice(self.render_device)
        if self.executor not in EXECUTORS:
            raise DepthprobeError(f"--executor {self.executor!r}: choose one of {', '.join(EXECUTORS)}")
        if self.address is not None and self.executor != "ray":
            raise DepthprobeError("--address: only with --executor ray")
        if self.address is not None:  # before anything is written: the form, then whether it answers
            check_address(self.address)
            check_answers(self.address)
        for name, value in (("--workers", self.workers), ("--threads", self.threads)):
            if value is not None and value < 1:
                raise DepthprobeError(f"{name} {value}: must be at least 1")
        if self.executor == "local" and self.render_device in NVIDIA_ONLY and count_gpus() == 0:
            raise DepthprobeError(f"--render-device {self.render_device}: this machine has no NVIDIA GPU "
                                  "(its driver lists none); use auto or cpu")
        return self


def local_workers(options: ExecutorOptions, n_renders: int) -> tuple[int, int]:
    """(workers, GPUs to spread them over) for rendering ``n_renders`` renders on this machine."""
    from generator.pool import default_workers

    gpus = count_gpus() if wants_gpu(options.render_device) else 0
    workers = options.workers or (gpus if gpus else default_workers())
    return max(1, min(workers, n_renders)), gpus


def open_executor(spec: StimulusSpec, catalog: Catalog, options: ExecutorOptions, n_renders: int) -> RenderExecutor:
    """The executor ``options`` ask for, sized for ``n_renders`` renders: Ray actors
    (generator/ray_executor.py), this process (generator/serial.py) or a worker pool
    (generator/pool.py)."""
    options = options.checked()
    if options.executor == "ray":
        from generator.ray_executor import RayRenderExecutor

        return RayRenderExecutor(spec, catalog, workers=options.workers, threads=options.threads,
                                 device=options.render_device, address=options.address, n_renders=n_renders)
    workers, gpus = local_workers(options, n_renders)
    if workers == 1 and options.in_process:
        from generator.serial import SerialRenderer

        return SerialRenderer(spec, catalog, threads=options.threads, device=options.render_device)
    from generator.pool import RenderPool

    return RenderPool(spec, catalog, workers=workers, threads=options.threads, device=options.render_device, gpus=gpus)


def use_executor(spec: StimulusSpec, catalog: Catalog, executor: "ExecutorOptions | RenderExecutor",
                 n_renders: int) -> AbstractContextManager[RenderExecutor]:
    """A with-block rendering with ``executor``: options open an executor sized for ``n_renders``
    renders (:func:`open_executor`, closed at the end of the block); a render executor the caller
    holds open (inside its own with-block) is used as it is and left open."""
    if isinstance(executor, ExecutorOptions):
        return open_executor(spec, catalog, executor, n_renders)
    return nullcontext(executor)
