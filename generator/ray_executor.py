"""The Ray render executor: the pool's workers as Ray actors, on a cluster or a local Ray.

Each actor is one render worker (generator/pool.py's worker, the same FrameRenderer): it loads
BlenderProc once in its own process, builds each world variant it is handed at most once
(generator/pool.py VariantScheduler), and returns finished renders through Ray's object store
to the driver, which writes the set; no shared file system is needed.  Actors declare the CPU
threads they render with (``num_cpus``) and, rendering on GPUs, one GPU each (``num_gpus=1``;
Ray then sets CUDA_VISIBLE_DEVICES per actor).  An actor that dies is started again and its
renders handed to the new one (renders are history-free, so the files do not change), at
most MAX_RESTARTS times per worker slot.

``address=None`` starts a local Ray on this machine's cores and GPUs, without its dashboard,
watched so that it stops with this process however that ends (generator/ray_cluster.py);
otherwise the executor joins that cluster (refused with one line when nothing answers there), whose nodes need depthprobe installed with its
``render`` extra, as for any Ray application.  Ray is the optional extra ``depthprobe[ray]``.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from collections import deque
from typing import Any, Iterable, Iterator

from scenes.catalog import Catalog
from scenes.design import FramePlan
from scenes.errors import DepthprobeError
from scenes.spec import StimulusSpec
from generator.pool import (BLENDER_SCRIPT_PATH, MAX_RESTARTS, Group, RenderWorkerError, VariantScheduler,
                            available_cores, default_workers, threads_per_worker)
from generator.ray_cluster import join_cluster, start_local, stop_watchdog
from generator.render_device import count_gpus, wants_gpu
from generator.render_result import RenderResult, group_renders

#: Renders handed to an actor ahead of the one it is rendering.
PREFETCH = 2
#: Seconds close() waits for the actors to remove their folders, and for each render handed
#: out to end once its actor is stopped.
CLOSE_TIMEOUT_S = 30


class RenderActor:
    """One render worker in a Ray actor process (decorated with ``ray.remote`` when started)."""

    def __init__(self, spec: StimulusSpec, catalog: Catalog, threads: int, device: str):
        sys.path[:] = [p for p in sys.path if not BLENDER_SCRIPT_PATH.search(p)]
        from generator.blenderproc_runtime import load_blenderproc
        from generator.frame_renderer import FrameRenderer, quiet_stdout

        self._temp_dir = tempfile.mkdtemp(prefix="depthprobe-ray-")
        self._user_error: DepthprobeError | None = None
        try:
            with quiet_stdout():
                load_blenderproc(self._temp_dir)
                self._renderer = FrameRenderer(spec, catalog, threads=threads, device=device)
        except DepthprobeError as exc:  # e.g. no such render device: raised by the first render, as
            self._user_error = exc      # Ray hands the driver an actor's __init__ error as text only

    def render(self, group: Group, counterfactual: bool | None = None) -> RenderResult:
        """Render one render id's frames (generator/frame_renderer.py render_result)."""
        if self._user_error is not None:
            raise self._user_error
        return self._renderer.render_result(group, counterfactual)

    def close(self) -> None:
        """Remove this actor's temporary render folder."""
        shutil.rmtree(self._temp_dir, ignore_errors=True)


def import_ray():
    """The ``ray`` module, or a one-line DepthprobeError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise DepthprobeError("--executor ray: Ray is not installed; pip install 'depthprobe[ray]'") from None
    return ray


def actor_sizes(resources: dict[str, float], device: str, workers: int | None, threads: int | None,
                n_renders: int) -> tuple[int, int, int]:
    """(actors, CPU threads each, GPUs each) for a cluster with ``resources`` (Ray's
    ``cluster_resources()``): one actor per GPU when rendering on GPUs, else the pool's default
    for the cluster's CPUs; never more actors than renders, nor than the CPUs hold."""
    cpus = max(1, int(resources.get("CPU", 1)))
    gpus = int(resources.get("GPU", 0)) if wants_gpu(device) else 0
    if gpus:
        n = workers or gpus
        each = threads or max(1, cpus // n)
    else:
        n = workers or default_workers(cpus)
        each = threads or threads_per_worker(n, cpus)
    n = max(1, min(n, n_renders, max(1, cpus // each)))
    return n, each, 1 if gpus else 0


class RayRenderExecutor:
    """Render executor over Ray actors (see the module docstring); a context manager.

    :param workers: actors; None = one per GPU, or the pool's default for the cluster's CPUs.
    :param threads: Cycles threads (and Ray CPUs) per actor; None = the CPUs split between them.
    :param device: ``--render-device`` choice of every actor.
    :param address: the cluster to join; None = a local Ray on this machine.
    :param n_renders: renders to come (no more actors are started than that).
    """

    def __init__(self, spec: StimulusSpec, catalog: Catalog, workers: int | None = None, threads: int | None = None,
                 device: str = "auto", address: str | None = None, n_renders: int = 1):
        self._spec, self._catalog, self._device, self._address = spec, catalog, device, address
        self._requested = (workers, threads, n_renders)
        self._ray = None
        self._started_ray = False
        self._watchdog = None
        self._actor_class = None
        self._actors: list[Any] = []
        self._outstanding: list[deque[tuple[Group, Any]]] = []
        self._current: list[str | None] = []
        self.failures: dict[int, int] = {}
        self._counterfactual: bool | None = None  # of the render() going on

    def __enter__(self) -> "RayRenderExecutor":
        ray = import_ray()
        if not ray.is_initialized():
            if self._address is None:
                self._watchdog = start_local(ray, available_cores(), count_gpus())
            else:
                join_cluster(ray, self._address)
            self._started_ray = True
        self._ray = ray
        try:
            n, threads, gpus = actor_sizes(ray.cluster_resources(), self._device, *self._requested)
            self._actor_class = ray.remote(RenderActor).options(num_cpus=threads, num_gpus=gpus)
            self._threads = threads
            for _ in range(n):
                self._actors.append(self._new_actor())
                self._outstanding.append(deque())
                self._current.append(None)
        except BaseException:
            self.close()
            raise
        return self

    @property
    def n_workers(self) -> int:
        """Actors started (0 outside the with-block)."""
        return len(self._actors)

    def _new_actor(self):
        return self._actor_class.remote(self._spec, self._catalog, self._threads, self._device)

    def __exit__(self, *exc: object) -> None:
        self.close()

    def render(self, plans: Iterable[FramePlan], counterfactual: bool | None = None) -> Iterator[RenderResult]:
        """One result per distinct render id of ``plans``, as each finishes (``counterfactual``:
        also render each without its objects; None = as the spec says).

        :raises RenderWorkerError: an actor failed (its error in the message), or died more than
            MAX_RESTARTS times.
        :raises DepthprobeError: a user error raised in an actor, as it was raised there.
        """
        if not self._actors:
            raise RuntimeError("RayRenderExecutor.render outside its with-block")
        scheduler = VariantScheduler(group_renders(plans), len(self._actors), self._current)
        self._counterfactual = counterfactual
        for index in range(len(self._actors)):
            self._hand_out(index, scheduler)
        while any(self._outstanding):
            heads = {queue[0][1]: index for index, queue in enumerate(self._outstanding) if queue}
            ready, _ = self._ray.wait(list(heads), num_returns=1)
            index = heads[ready[0]]
            result = self._receive(index)
            if result is not None:
                self._hand_out(index, scheduler)
                yield result
        self._current = [scheduler.current(i) for i in range(len(self._actors))]

    def _hand_out(self, index: int, scheduler: VariantScheduler) -> None:
        queue = self._outstanding[index]
        while len(queue) < PREFETCH and (group := scheduler.next_for(index)) is not None:
            queue.append((group, self._actors[index].render.remote(group, self._counterfactual)))

    def _receive(self, index: int) -> RenderResult | None:
        """The actor's next finished render, or None when the actor died and was replaced."""
        ray = self._ray
        group, ref = self._outstanding[index][0]
        try:
            result = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, DepthprobeError):
                raise exc.cause from None
            raise RenderWorkerError(f"render actor {index} failed on frame {group[0].frame_id!r}: "
                                    f"{first_line_of(exc)}") from None
        except ray.exceptions.RayActorError as exc:
            self._restart(index, exc, group)
            return None
        self._outstanding[index].popleft()
        return result

    def _restart(self, index: int, exc: Exception, group: Group) -> None:
        """Replace a dead actor and hand the new one the renders the old one held."""
        cause = getattr(exc, "cause", None) or getattr(getattr(exc, "error", None), "cause", None)
        if isinstance(cause, DepthprobeError):
            raise cause from None
        self.failures[index] = self.failures.get(index, 0) + 1
        if self.failures[index] > MAX_RESTARTS:
            raise RenderWorkerError(f"render actor {index} died {self.failures[index]} times, last on frame "
                                    f"{group[0].frame_id!r}: {first_line_of(exc)}") from None
        self._ray.kill(self._actors[index], no_restart=True)
        self._actors[index] = self._new_actor()
        held = [g for g, _ in self._outstanding[index]]
        self._outstanding[index] = deque((g, self._actors[index].render.remote(g, self._counterfactual)) for g in held)

    def close(self) -> None:
        """Cancel the renders still handed out, remove the actors' temporary folders, stop the
        actors, collect what the cancelled renders ended with, and stop Ray if this started it."""
        ray = self._ray
        if ray is None:
            return
        handed_out = [ref for queue in self._outstanding for _, ref in queue]
        for ref in handed_out:
            cancel(ray, ref)
        try:
            ray.get([actor.close.remote() for actor in self._actors], timeout=CLOSE_TIMEOUT_S)
        except Exception:  # noqa: BLE001  (a dead actor has nothing left to remove)
            pass
        for actor in self._actors:
            ray.kill(actor, no_restart=True)
        collect(ray, handed_out)
        self._actors.clear()
        self._outstanding.clear()
        if self._started_ray:
            ray.shutdown()
            stop_watchdog(self._watchdog)
        self._ray = self._watchdog = None


def cancel(ray: Any, ref: Any) -> None:
    """Cancel a render handed out (one not started yet never starts; one running ends with its actor)."""
    try:
        ray.cancel(ref)
    except Exception:  # noqa: BLE001  (ended already, or its actor is gone)
        pass


def collect(ray: Any, refs: list[Any]) -> None:
    """Fetch what each of ``refs`` ended with (a result or an error) and drop it: Ray logs an
    "Unhandled error" with the actor's whole traceback for every failed render nobody fetched,
    which after the one error the driver raises would be a traceback per render handed out."""
    if not refs:
        return
    ended, _ = ray.wait(refs, num_returns=len(refs), timeout=CLOSE_TIMEOUT_S)
    for ref in ended:
        try:
            ray.get(ref, timeout=0)
        except Exception:  # noqa: BLE001  (the error the run stopped on is already raised)
            pass


def first_line_of(exc: BaseException) -> str:
    """The last non-empty line of an exception's text (Ray's messages end with the cause)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
