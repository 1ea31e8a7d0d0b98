"""Reaching Ray for the Ray executor (generator/ray_executor.py): the ``--address`` forms, a
bounded check that a cluster answers there, joining it or starting a local Ray, and a watchdog
that stops a local Ray when the process that started it is killed.

Every failure to reach a cluster is a one-line DepthprobeError naming ``--address`` (a user's
mistake, exit 2), within CONNECT_TIMEOUT_S for an address nobody answers at; Ray's own connect
retries run for minutes.  A local Ray is started without its dashboard; its agents (the
dashboard agent and the runtime-env agent, ~170 MB) outlive a killed raylet by up to two minutes
(Ray waits 60 s to report the raylet's death to a GCS that died with it), so the watchdog,
a small process of its own session, kills the local Ray's processes as soon as this process is
gone, however it ended.
"""
from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
from typing import Any

from scenes.errors import DepthprobeError

#: ``--address auto``: the cluster Ray finds itself (RAY_ADDRESS, or one started with ``ray start``).
AUTO = "auto"
#: HOST:PORT (the head's GCS port, 6379 by default) or ray://HOST:PORT (Ray client, 10001 by
#: default); HOST a name, an IPv4 address or a bracketed IPv6 address.
ADDRESS_FORM = re.compile(r"^(?P<client>ray://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
                          r":(?P<port>[0-9]{1,5})$")
#: Highest TCP port.
MAX_PORT = 65535
#: The accepted forms, as the error lines name them.
FORMS = "auto, HOST:PORT (the head's GCS port, e.g. head:6379) or ray://HOST:PORT (e.g. ray://head:10001)"
#: Seconds to wait for a cluster to accept a TCP connection before refusing its address.
CONNECT_TIMEOUT_S = 10.0
#: The watchdog (run as ``python -c``): reads its stdin until the parent is gone (end of file),
#: then kills each listed process still running with its recorded start time (``/proc/PID/stat``
#: field 22, so that a reused process id is spared).
WATCHDOG = """
import os, signal, sys
def start(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19]
    except OSError:
        return None
signal.signal(signal.SIGINT, signal.SIG_IGN)
pids = [(int(p), s.encode()) for p, s in (a.split(":") for a in sys.argv[1:])]
sys.stdin.buffer.read()
for pid, started in pids:
    if start(pid) == started:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
"""


def check_address(address: str) -> None:
    """A one-line DepthprobeError unless ``address`` has one of the accepted forms (FORMS) and,
    for ray://, the Ray client is installed (``ray[client]``, the ``depthprobe[ray]`` extra)."""
    if address == AUTO:
        return
    match = ADDRESS_FORM.match(address)
    if match is None or not 1 <= int(match["port"]) <= MAX_PORT:
        raise DepthprobeError(f"--address {address!r}: not a Ray address; give {FORMS}")
    if match["client"] and importlib.util.find_spec("grpc") is None:
        raise DepthprobeError(f"--address {address}: the Ray client is not installed; pip install "
                              "'depthprobe[ray]' (which brings ray[client]), or give the head's HOST:PORT")


def check_answers(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """A one-line DepthprobeError unless something at ``address`` (checked by
    :func:`check_address`; ``auto`` is not checked) accepts a TCP connection within ``timeout_s``
    seconds."""
    match = ADDRESS_FORM.match(address)
    if match is None:
        return
    host = match["host"].strip("[]")
    try:
        with socket.create_connection((host, int(match["port"])), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = f"no answer in {timeout_s:g} s" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise DepthprobeError(f"--address {address}: no Ray cluster answers there ({reason}); check the "
                              "address or start one with 'ray start --head'") from None


def join_cluster(ray: Any, address: str) -> None:
    """Join the Ray cluster at ``address`` (checked by :func:`check_address` and
    :func:`check_answers`, as ExecutorOptions.checked() does; one-line DepthprobeError when Ray
    cannot join it)."""
    try:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, TimeoutError, ValueError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise DepthprobeError(f"--address {address}: cannot join a Ray cluster there: "
                              f"{lines[0] if lines else type(exc).__name__}") from None


def start_local(ray: Any, cpus: int, gpus: int) -> subprocess.Popen | None:
    """Start a local Ray with ``cpus`` CPUs and ``gpus`` GPUs and no dashboard, and the watchdog
    that stops it if this process is killed; returns the watchdog (stop it with
    :func:`stop_watchdog` after ``ray.shutdown()``; None where there is no /proc)."""
    before = set(descendants())
    ray.init(num_cpus=cpus, num_gpus=gpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    started = [pid for pid in descendants() if pid not in before]
    return start_watchdog(started)


def descendants(of: int | None = None) -> list[int]:
    """The ids of the children of process ``of`` (None: this process), theirs and so on, read
    from /proc (empty without)."""
    found, to_visit = [], [os.getpid() if of is None else of]
    while to_visit:
        parent = to_visit.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as f:
                    children = [int(pid) for pid in f.read().split()]
            except OSError:
                continue
            found += children
            to_visit += children
    return found


def start_time(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (``/proc/PID/stat`` field 22), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def start_watchdog(pids: list[int]) -> subprocess.Popen | None:
    """A watchdog process (WATCHDOG, in a session of its own so that a signal to this process's
    group does not reach it) that kills ``pids`` once this process is gone; None without /proc."""
    marked = [f"{pid}:{started}" for pid in pids if (started := start_time(pid)) is not None]
    if not marked:
        return None
    return subprocess.Popen([sys.executable, "-c", WATCHDOG, *marked], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop_watchdog(watchdog: subprocess.Popen | None) -> None:
    """Let the watchdog go (after ``ray.shutdown()``: it kills what is left, then exits)."""
    if watchdog is None:
        return
    try:
        watchdog.stdin.close()
        watchdog.wait(timeout=CONNECT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        watchdog.kill()
