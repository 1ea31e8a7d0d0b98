"""The multi-process render executor: a pool of worker processes, each with its own Blender.

Each worker is a process started with the ``spawn`` method (bpy holds one scene per process and
must not be forked) that loads BlenderProc once, keeps one FrameRenderer, and renders the
renders it is handed; it sends back each :class:`~generator.render_result.RenderResult` (arrays,
ground contacts, geometry export) over its pipe.  The calling process never imports bpy and does
all the writing, so progress records, resume and the writer lock work as with one process.

Sharding (:class:`VariantScheduler`): a worker is handed renders of the variant it has built
while that variant has any left, else renders of a variant it has never built (the one with the
most renders left per worker on it), and never returns to a variant it has left: each worker
builds each world at most once.  Renders are history-free (generator/frame_renderer.py,
"Determinism"), so which worker renders a frame never changes its files.

A worker whose process dies (killed, crashed) is started again and handed the renders it held,
at most MAX_RESTARTS times per worker (``RenderPool.failures`` counts them); with GPUs, worker
i renders on GPU i mod n (generator/render_device.py).

Cycles' CPU threads are split between the workers (``scene.render.threads``).  As with any
``spawn`` pool, a script that uses it keeps its top-level code under ``if __name__ == "__main__":``
(each worker imports the main module).
"""
from __future__ import annotations

import os
import pickle
import re
import shutil
import signal
import sys
import tempfile
import traceback
from collections import deque
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from typing import Iterable, Iterator

from scenes.catalog import Catalog
from scenes.design import FramePlan
from scenes.errors import DepthprobeError
from scenes.spec import StimulusSpec
from generator.render_result import RenderResult, group_renders

#: Renders handed to a worker ahead of the one it is rendering, so it never waits for the parent.
PREFETCH = 2
#: A worker joins a variant another worker is already rendering only if at least this many renders
#: of it are left per worker (building a world costs about as much as 2-3 quick renders).
MIN_SHARED_RENDERS = 3
#: sys.path entries that bpy adds when it loads (its own and the user's ``scripts`` folders).  A
#: parent that has loaded bpy passes them on to a spawned child, where ``import bpy`` would then
#: find ``bpy/4.2/scripts/modules/bpy`` (which needs Blender's ``_bpy``) instead of the wheel.
BLENDER_SCRIPT_PATH = re.compile(r"[\\/](bpy|blender)[\\/]\d+\.\d+[\\/]scripts([\\/]|$)")
#: Seconds a worker may take to leave after it was told to stop, before it is terminated.
STOP_TIMEOUT_S = 10.0
#: Times a worker slot's process may die (killed, crashed) and be started again with the renders
#: it held; one more and the run stops (resume then goes on from the frames written).
MAX_RESTARTS = 2

Group = tuple[FramePlan, ...]


class RenderWorkerError(RuntimeError):
    """A render worker failed (an exception in it, or it died); the message says which and why."""


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def default_workers(cores: int | None = None) -> int:
    """Workers for ``cores`` CPU cores (default: this machine's): 1 below 4 cores, else cores // 2."""
    cores = available_cores() if cores is None else cores
    return 1 if cores < 4 else cores // 2


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Cycles threads of each of ``workers`` workers: the cores split evenly, at least 1."""
    cores = available_cores() if cores is None else cores
    return max(1, cores // max(1, workers))


class VariantScheduler:
    """Which render each worker does next (see the module docstring).

    :param groups: the renders, one tuple of frame plans per render id.
    :param workers: how many workers take renders.
    :param current: the variant each worker has built already (from an earlier batch), if any.
    """

    def __init__(self, groups: Iterable[Group], workers: int, current: list[str | None] | None = None):
        self._queues: dict[str, deque[Group]] = {}
        for group in sorted(groups, key=lambda g: (g[0].variant.name, g[0].render_id)):
            self._queues.setdefault(group[0].variant.name, deque()).append(group)
        self._current: list[str | None] = list(current) if current is not None else [None] * workers
        self._built: list[set[str]] = [{v} if v is not None else set() for v in self._current]

    def current(self, worker: int) -> str | None:
        """The variant ``worker`` has built last (None before its first render)."""
        return self._current[worker]

    def remaining(self) -> int:
        """Renders not yet handed out."""
        return sum(len(q) for q in self._queues.values())

    def next_for(self, worker: int) -> Group | None:
        """The next render for ``worker``, or None when there is none it should do (then there
        never will be: queues only shrink and a worker never returns to a variant)."""
        current = self._current[worker]
        if current is not None and self._queues.get(current):
            return self._queues[current].popleft()
        variant = self._best_new_variant(worker)
        if variant is None:
            return None
        self._current[worker] = variant
        self._built[worker].add(variant)
        return self._queues[variant].popleft()

    def _best_new_variant(self, worker: int) -> str | None:
        best, best_score = None, 0.0
        for name, queue in self._queues.items():
            if not queue or name in self._built[worker]:
                continue
            sharing = sum(1 for w, v in enumerate(self._current) if v == name and w != worker)
            share = len(queue) / (sharing + 1)
            if sharing and share < MIN_SHARED_RENDERS:
                continue
            if share > best_score:
                best, best_score = name, share
        return best


def _worker_main(conn: Connection, spec: StimulusSpec, catalog: Catalog, threads: int, temp_dir: str,
                 device: str = "cpu", gpu_index: int | None = None) -> None:
    """A worker process: load BlenderProc once, then render what the parent sends until told to stop.

    Messages in: ``(frame plans of one render, counterfactual: bool | None)``, or None (stop).
    Out: ``("done", RenderResult)`` per render, or ``("error", exception or traceback text)``,
    and then it exits.
    Leaves through exit_process (BlenderProc's teardown crash), also when the parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    sys.path[:] = [p for p in sys.path if not BLENDER_SCRIPT_PATH.search(p)]
    code = 0
    try:
        from generator.blenderproc_runtime import load_blenderproc
        from generator.frame_renderer import FrameRenderer, quiet_stdout

        with quiet_stdout():
            load_blenderproc(temp_dir)
            renderer = FrameRenderer(spec, catalog, threads=threads, device=device, gpu_index=gpu_index)
        while (message := conn.recv()) is not None:
            group, counterfactual = message
            conn.send(("done", renderer.render_result(group, counterfactual)))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        code = 1  # the parent is gone: nothing to report to
    except BaseException as exc:  # noqa: BLE001  (reported to the parent, which raises it)
        code = 1
        _send_error(conn, exc)
    finally:
        from generator.blenderproc_runtime import exit_process

        shutil.rmtree(temp_dir, ignore_errors=True)  # also when the parent was killed
        exit_process(code)


def _send_error(conn: Connection, exc: BaseException) -> None:
    """Send an exception to the parent: itself if it pickles and is a user error, else its traceback."""
    payload: BaseException | str = "".join(traceback.format_exception(exc))
    if isinstance(exc, DepthprobeError):
        try:
            pickle.dumps(exc)
            payload = exc
        except Exception:  # noqa: BLE001
            pass
    try:
        conn.send(("error", payload))
    except OSError:
        pass


class _WorkerDied(Exception):
    """A worker's process is gone; ``error`` says which and on what frame."""

    def __init__(self, error: RenderWorkerError):
        super().__init__(str(error))
        self.error = error


class _Worker:
    """The parent's handle on one worker: its process, its end of the pipe, the renders it holds."""

    def __init__(self, index: int, process, conn: Connection):
        self.index = index
        self.process = process
        self.conn = conn
        self.outstanding: deque[Group] = deque()
        self.variant: str | None = None  # the world it holds after the last finished render()


def _stopped(worker: _Worker) -> RenderWorkerError:
    """The error for a worker that has gone (killed, crashed, or left after an error)."""
    worker.process.join(1.0)
    return RenderWorkerError(f"render worker {worker.index} stopped (exit code {worker.process.exitcode}) "
                             f"while rendering frame {worker.outstanding[0][0].frame_id!r}")


class RenderPool:
    """Render executor over ``workers`` processes (see the module docstring); a context manager.

    ``with RenderPool(spec, catalog, workers=2) as pool: for result in pool.render(plans): ...``
    yields one :class:`RenderResult` per render id as the renders finish (not in plan order).

    :param workers: worker processes, at least 1.
    :param threads: Cycles threads per worker; default: the cores split between the workers.
    :param device: ``--render-device`` choice of every worker (generator/render_device.py).
    :param gpus: GPUs to spread the workers over (worker i renders on GPU i mod gpus); 0 = let
        each worker's device choice decide.
    """

    def __init__(self, spec: StimulusSpec, catalog: Catalog, workers: int, threads: int | None = None,
                 device: str = "cpu", gpus: int = 0):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._spec = spec
        self._catalog = catalog
        self._n_workers = workers
        self._threads = threads if threads is not None else threads_per_worker(workers)
        self._device = device
        self._gpus = gpus
        self._workers: list[_Worker] = []
        self._temp_root: str | None = None
        self._broken = False  # a render() that did not finish leaves replies in the pipes
        self._context = get_context("spawn")
        self._counterfactual: bool | None = None  # of the render() going on
        #: worker index -> times its process died and was started again
        self.failures: dict[int, int] = {}

    @property
    def n_workers(self) -> int:
        """Worker processes of this pool."""
        return self._n_workers

    def __enter__(self) -> "RenderPool":
        self._start()
        return self

    def __exit__(self, exc_type, *rest: object) -> None:
        self.close(force=exc_type is not None)

    def _start(self) -> None:
        """Start the workers; each loads BlenderProc while the parent goes on."""
        self._temp_root = tempfile.mkdtemp(prefix="depthprobe-pool-")
        self._workers = [self._spawn(index) for index in range(self._n_workers)]

    def _spawn(self, index: int) -> _Worker:
        """Start worker process ``index`` (again, after it died) with an empty temporary folder."""
        parent_end, child_end = self._context.Pipe(duplex=True)
        temp_dir = os.path.join(self._temp_root, f"worker-{index}")
        shutil.rmtree(temp_dir, ignore_errors=True)
        os.mkdir(temp_dir)
        gpu_index = index % self._gpus if self._gpus else None
        process = self._context.Process(target=_worker_main, name=f"depthprobe-render-{index}", daemon=True,
                                        args=(child_end, self._spec, self._catalog, self._threads, temp_dir,
                                              self._device, gpu_index))
        process.start()
        child_end.close()
        return _Worker(index, process, parent_end)

    def render(self, plans: Iterable[FramePlan], counterfactual: bool | None = None) -> Iterator[RenderResult]:
        """One result per distinct render id of ``plans``, as each finishes.

        Successive calls go on in the worlds the workers have built.

        :param counterfactual: also render each without its objects; None = as the spec says.

        :raises RenderWorkerError: a worker raised (its traceback in the message) or died.
        :raises DepthprobeError: a user error raised in a worker, as it was raised there.
        """
        if not self._workers or self._broken:
            raise RuntimeError("RenderPool.render outside its with-block, or after a render that did not finish")
        scheduler = VariantScheduler(group_renders(plans), len(self._workers), [w.variant for w in self._workers])
        self._counterfactual = counterfactual
        self._broken = True
        for worker in self._workers:
            self._hand_out(worker, scheduler)
        while busy := [w for w in self._workers if w.outstanding]:
            ready = wait([w.conn for w in busy])
            for worker in busy:
                if worker.conn in ready:
                    try:
                        result = self._receive(worker)
                    except _WorkerDied as died:
                        self._restart(worker, died.error)
                        continue
                    self._hand_out(worker, scheduler)
                    yield result
        for worker in self._workers:
            worker.variant = scheduler.current(worker.index)
        self._broken = False

    def _hand_out(self, worker: _Worker, scheduler: VariantScheduler) -> None:
        while len(worker.outstanding) < PREFETCH and (group := scheduler.next_for(worker.index)) is not None:
            worker.outstanding.append(group)
            try:
                worker.conn.send((group, self._counterfactual))
            except OSError:  # its process is gone: start it again with what it holds, this included
                self._restart(worker, _stopped(worker))

    def _restart(self, worker: _Worker, error: RenderWorkerError) -> None:
        """Start a dead worker's process again and hand it the renders the old one held; after
        MAX_RESTARTS deaths of one slot, raise ``error``."""
        self.failures[worker.index] = self.failures.get(worker.index, 0) + 1
        if self.failures[worker.index] > MAX_RESTARTS:
            raise error
        worker.conn.close()
        fresh = self._spawn(worker.index)
        worker.process, worker.conn = fresh.process, fresh.conn
        for group in worker.outstanding:
            try:
                worker.conn.send((group, self._counterfactual))
            except OSError:
                self._restart(worker, _stopped(worker))
                return

    @staticmethod
    def _receive(worker: _Worker) -> RenderResult:
        """The worker's next finished render (in the order it was handed them).

        :raises _WorkerDied: its process is gone (the parent may start it again).
        """
        frame_id = worker.outstanding[0][0].frame_id
        try:
            kind, payload = worker.conn.recv()
        except (EOFError, OSError):
            raise _WorkerDied(_stopped(worker)) from None
        if kind == "error":
            if isinstance(payload, BaseException):
                raise payload
            raise RenderWorkerError(f"render worker {worker.index} failed on frame {frame_id!r}:\n{payload}")
        group = worker.outstanding.popleft()
        if kind != "done" or payload.render_id != group[0].render_id:
            raise RenderWorkerError(f"render worker {worker.index}: unexpected reply {kind!r} for frame {frame_id!r}")
        return payload

    def close(self, force: bool = False) -> None:
        """Stop the workers (``force``: at once, without letting them finish) and remove their
        temporary folders; a worker still there after STOP_TIMEOUT_S is killed."""
        for worker in self._workers:
            try:
                if force:
                    worker.process.terminate()
                else:
                    worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in self._workers:
            worker.process.join(STOP_TIMEOUT_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers.clear()
        if self._temp_root is not None:
            shutil.rmtree(self._temp_root, ignore_errors=True)
            self._temp_root = None
