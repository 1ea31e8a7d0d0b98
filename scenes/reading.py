"""Bounded reads of files someone else handed us: the one way to open them and the one JSON reader.

A stimulus set, a results folder, a prediction store, an export or a search folder may come from
anyone.  Every file read from one is opened by :func:`open_regular` (a regular file, no larger
than a stated limit, checked on the open handle before a byte is read: a device, a pipe, a folder
or a sparse 8 GiB file is one line, not a hang or gigabytes of memory), and every JSON file is
read by :func:`read_json` (size and nesting-depth caps, UTF-8).  ``scenes.storage.read_capped``
(specs, calibrations) opens its files through :func:`open_regular` too.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import IO, Any

from scenes.errors import DepthprobeError

#: Largest JSON file read from a set, results folder, prediction store, export or search folder
#: (bytes): 256 MiB.  The largest legitimate one is the manifest of a set of MAX_FRAMES (200 000)
#: frames, listing about 1.4 million files at about 110 bytes each: some 160 MB.
MAX_JSON_BYTES = 256 << 20
#: Deepest nesting of arrays and objects in such a JSON file (levels).  Ours nest about 10 deep
#: (a manifest holding its spec); 64 leaves room and stops a hostile file well before Python's
#: recursion limit (a RecursionError at about 1000 levels).
MAX_JSON_DEPTH = 64
#: Open flags: never block on a FIFO (it is then refused as not a regular file), never inherit.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def size_text(n_bytes: int) -> str:
    """``n_bytes`` for a message: ``"8 GiB"``, ``"256 MiB"``, ``"64 KiB"``, ``"12 bytes"`` (binary units, rounded down)."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n_bytes >= 1 << shift:
            return f"{n_bytes >> shift} {unit}"
    return f"{n_bytes} bytes"


def open_regular(path: str | Path, limit: int | None, error: type[DepthprobeError], unreadable: str = "cannot be read",
                 too_large: str = "") -> IO[bytes]:
    """``path`` opened for binary reading if it is a regular file of at most ``limit`` bytes.

    Opened without blocking and checked on the open handle (``fstat``), so a folder, device or
    pipe, or a file larger than ``limit`` (a sparse one too), is refused before a byte is read.

    :param limit: largest size accepted, bytes (>= 0; None: any size, for a caller that reads a
        bounded prefix itself).
    :param unreadable: what the message says when the OS refuses to open it, before its reason.
    :param too_large: what the message says after "larger than <limit>".
    :raises error: one line naming the file.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise error(f"{path}: {unreadable} ({exc.strerror or type(exc).__name__})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise error(f"{path}: not a regular file (a folder, device or pipe); refusing to read it")
    if limit is not None and info.st_size > limit:
        os.close(fd)
        raise error(f"{path}: larger than {size_text(limit)} ({size_text(info.st_size)}){too_large}; "
                    "refusing to read it")
    return os.fdopen(fd, "rb")


def read_bounded(path: str | Path, limit: int, error: type[DepthprobeError], unreadable: str = "cannot be read",
                 too_large: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (:func:`open_regular`; a file that
    grows past ``limit`` while read is refused too)."""
    with open_regular(path, limit, error, unreadable, too_large) as handle:
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"{path}: {unreadable} ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > limit:
        raise error(f"{path}: larger than {size_text(limit)}{too_large}; refusing to read it")
    return raw


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON (a scalar 0, ``[]`` 1, ``{"a": [1]}`` 2: each array and object a level), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def read_json(path: str | Path, error: type[DepthprobeError], what: str = "valid JSON file",
              limit: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The parsed content of a JSON file someone else may have made (a manifest, a summary, an
    index, a geometry record, a marker): a regular file of at most ``limit`` bytes of UTF-8
    JSON nested at most ``max_depth`` levels -- the one bounded JSON reader.

    :param what: what the file should be, for the message (``"<path>: not a <what> (<reason>)"``).
    :raises error: one line naming the file: unreadable, not a regular file, too large, not
        UTF-8 JSON, or nested too deep.
    """
    raw = read_bounded(path, limit, error)
    try:
        value = json.loads(raw.decode("utf-8"))
        depth = json_depth(value)
    except RecursionError:
        depth = max_depth + 1
    except (UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"{path}: not a {what} ({type(exc).__name__}: {reason})") from None
    if depth > max_depth:
        raise error(f"{path}: JSON nested deeper than {max_depth} levels; not a {what}")
    return value
