"""Bounded reads of files someone else handed us: the one way to open them and the one JSON reader.

A stimulus set, a results folder, a prediction store, an export or a search folder may come from
anyone.  Every file read from one is opened by :func:`open_regular` (a regular file, no larger
than a stated limit, checked on the open handle before a byte is read: a device, a pipe, a folder
or a sparse 8 GiB file is one line, not a hang or gigabytes of memory), and every JSON file is
read by :func:`read_json` (size and nesting-depth caps, UTF-8).  Specs and photo calibrations
are read by :func:`read_bounded` and parsed by :func:`load_yaml` (PyYAML's safe loader within
depth, alias and node limits).
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import IO, Any

import yaml

from scenes.errors import DepthprobeError, first_line

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


# ------------------------------------------------------------------ YAML within limits
#: Deepest nesting of mappings and lists, counted through aliases.  A spec nests 5 deep
#: (``experiment.band.value.0``), a calibration file 2; 32 leaves room for mistakes to be reported by the schema while
#: keeping the recursive YAML composer, the merge and the validation far from Python's stack limit.
MAX_YAML_DEPTH = 32
#: Most aliases (``*name``) in one file.  A spec reuses a block (a sun, an object) a few times;
#: thousands of aliases only serve an "alias bomb" (each one doubling the expanded document).
MAX_YAML_ALIASES = 256
#: Most nodes (scalars, lists, mappings, keys) in one file, also once its aliases are expanded.
#: The presets have under 200; 50 000 holds explicit lists of thousands of levels, and keeps
#: reading (PyYAML's pure-Python composer, ~20 us a node), merging and validating near a second.
MAX_YAML_NODES = 50_000


class _LimitError(yaml.MarkedYAMLError):
    """A YAML document beyond one of the limits above, or a value that cannot be constructed
    (valid syntax, so not reported as "not valid YAML")."""


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that stops at MAX_YAML_DEPTH nesting levels, MAX_YAML_ALIASES aliases
    and MAX_YAML_NODES nodes while composing (before the rest of the file is read), and turns a
    value that cannot be constructed (``!!float abc``, an integer of more than 4300 digits) into
    a YAML error with its line."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _LimitError(problem=f"more than {MAX_YAML_ALIASES} aliases (*name)",
                                  problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        self._nodes += 1
        try:
            if self._depth > MAX_YAML_DEPTH or self._nodes > MAX_YAML_NODES:
                too_many = f"more than {MAX_YAML_NODES} values" if self._nodes > MAX_YAML_NODES else ""
                raise _LimitError(problem=too_many or f"nested deeper than {MAX_YAML_DEPTH} levels",
                                  problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            reason = first_line(exc).split(";")[0]  # Python's hint (sys.set_int_max_str_digits) is not for users
            raise _LimitError(problem=f"cannot read the value {short_text(str(node.value))!r} ({reason})",
                              problem_mark=node.start_mark) from None


def short_text(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters (with ``...``), for error messages."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _measure(node: yaml.Node, depth: int, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(expanded node count, height) of a composed node, each shared (aliased) node measured once.

    Raises _LimitError beyond MAX_YAML_DEPTH (also for an alias inside its own anchor) or
    MAX_YAML_NODES; recursion never goes deeper than MAX_YAML_DEPTH + 1 calls.
    """
    known = memo.get(id(node))
    if depth > MAX_YAML_DEPTH or (known is not None and depth + known[1] > MAX_YAML_DEPTH):
        raise _LimitError(problem=f"nested deeper than {MAX_YAML_DEPTH} levels once its aliases are expanded",
                          problem_mark=node.start_mark)
    if known is not None:
        return known
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    size, height = 1, 0
    for child in children:
        child_size, child_height = _measure(child, depth + 1, memo)
        size, height = size + child_size, max(height, child_height + 1)
        if size > MAX_YAML_NODES:
            raise _LimitError(problem=f"more than {MAX_YAML_NODES} values once its aliases are expanded",
                              problem_mark=node.start_mark)
    memo[id(node)] = (size, height)
    return size, height


def _yaml_error(path: Path, exc: yaml.YAMLError, error: type[DepthprobeError]) -> DepthprobeError:
    """One line for a YAML error: the file, the line and what is wrong."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" line {mark.line + 1}:" if mark is not None else ""
    if isinstance(exc, _LimitError):
        return error(f"{path}:{where} {exc.problem}")
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or first_line(exc)
    return error(f"{path}:{where} not valid YAML ({first_line(Exception(problem))})")


def load_yaml(text: str, path: Path, error: type[DepthprobeError]) -> Any:
    """The YAML document ``text`` (read from ``path``), composed with PyYAML's safe loader within
    :data:`MAX_YAML_DEPTH`, :data:`MAX_YAML_ALIASES` and :data:`MAX_YAML_NODES` (checked while
    composing, before the rest is read); None for an empty document.

    :raises error: one line naming the file and line: not valid YAML, or beyond a limit.
    """
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _measure(node, 0, {})
        return loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc, error) from None
    finally:
        loader.dispose()
