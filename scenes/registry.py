"""One registry type for everything looked up by name (in the style of lm-evaluation-harness).

A :class:`Registry` maps names to entries of one declared type ``T``: the built-in models and
the adapter families (``hf:``, ``monodepth2:``, ``hub:``) of :mod:`evaluator.models.registry`,
the experiment kinds of :mod:`scenes.spec.experiments` and their expanders in :mod:`scenes.design.kinds`.

* An entry is an object, or a lazy ``"module:attr"`` string (``attr`` may be dotted; a bare
  ``"module"`` names the module itself): nothing is imported until the entry is first
  :meth:`~Registry.get`, and the loaded object is cached.  Every ``str`` target is such a path.
* An entry is checked when it is loaded (objects when registered): an instance of ``base`` (a
  class, an ABC such as ``collections.abc.Callable``, or a ``runtime_checkable`` Protocol)
  and/or a subclass of ``subclass_of``.  A failure names the entry and what it lacks.
* An unknown name raises with "did you mean ..." suggestions (:mod:`difflib`).

:func:`import_target` is also the one loader of a user's code (``--model module:callable``,
``--objective module:callable``, a ``hub:`` folder's ``hubconf.py``): a module name is imported from
``sys.path`` as the interpreter has it (the user's ``PYTHONPATH`` and installed packages; the
command line never puts the working directory there), a file path (``./mine.py:predict``,
``/abs/mine.py:predict``) is loaded by file, without touching ``sys.path``.  Whatever the user's
code raises on import, ``sys.exit`` included, is one line of the caller's error class.

Errors are :class:`~scenes.errors.DepthprobeError` subclasses with one-line messages (the CLI
prints them and exits with code 2); a caller passes its own classes (``unknown_error=``,
``load_error=``) so that users see the errors of its domain.  Pure Python: no torch, no bpy.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, Generic, TypeVar

from scenes.errors import DepthprobeError, first_line

T = TypeVar("T")


class UnknownEntryError(DepthprobeError):
    """A name is not in a registry (the message suggests close names and lists the known ones)."""


class EntryLoadError(DepthprobeError):
    """A registry entry cannot be imported, or the loaded object is not of the declared type."""


def close_names(name: str, known: Iterable[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The names of ``known`` closest to ``name``, best first (:func:`difflib.get_close_matches`).

    :param name: the name that was given (a typo, usually).
    :param known: the valid names.
    :param n: at most this many suggestions.
    :param cutoff: similarity (0..1) below which a name is not suggested.
    """
    return difflib.get_close_matches(name, list(known), n=n, cutoff=cutoff)


def did_you_mean(name: str, known: Iterable[str], n: int = 3, cutoff: float = 0.5) -> str:
    """``"did you mean 'a', 'b'? "`` for the names of ``known`` close to ``name``, or ``""``.

    Arguments as for :func:`close_names`; the text ends with a space, to go before more text.
    """
    close = close_names(name, known, n=n, cutoff=cutoff)
    return f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""


#: How the module part of a target names a file to load by path instead of a module to import:
#: it ends with this suffix, or holds a path separator (no module name does either).
FILE_SUFFIX = ".py"
#: The prefix of the name a file loaded by path gets in ``sys.modules`` (followed by a digest of
#: its resolved path, so that two files called ``mine.py`` never replace each other).
FILE_MODULE_PREFIX = "depthprobe_user_"
#: Hex digits of that digest (64 bits: no collisions between the files one process loads).
FILE_MODULE_DIGEST_CHARS = 16


def split_target(target: str) -> tuple[str, str]:
    """``(module or file, attribute path)`` of a target; the attribute path is ``""`` for a bare
    module or file.  A file path may itself hold ``:`` (the attribute follows the last one)."""
    if target.endswith(FILE_SUFFIX):
        return target, ""
    source, sep, attr_path = target.rpartition(":")
    return (source, attr_path) if sep else (target, "")


def is_file_source(source: str) -> bool:
    """Whether the module part of a target is a file path (``./mine.py``, ``/abs/mine.py``)."""
    return source.endswith(FILE_SUFFIX) or "/" in source or os.sep in source


def check_target(target: str, label: str, error: type[Exception] = EntryLoadError) -> None:
    """Raise now for a target :func:`import_target` could never load, importing nothing: a malformed
    target, or a file path that is not an existing regular file.

    :param target: as for :func:`import_target`.
    :param label: what the target is, to begin error messages.
    :param error: the exception class raised (one line).
    """
    source, attr_path = split_target(target)
    if not source or (target.endswith(":") or (attr_path and not all(attr_path.split(".")))):
        raise error(f"{label}: expected 'module:attr', 'file.py:attr' or 'module', got {target!r}")
    if is_file_source(source):
        _regular_file(source, label, error)


def import_target(target: str, label: str, error: type[Exception] = EntryLoadError) -> Any:
    """The object a target names: ``"module:attr.sub"`` or ``"path/to/file.py:attr.sub"`` -> the
    attribute; ``"module"`` or ``"path/to/file.py"`` -> the module (see :func:`load_module`).

    :param target: the import path, or a file path and attribute.
    :param label: what the target is, to begin error messages (``"model 'flat-road'"``).
    :param error: the exception class raised (one line naming the module or file and what is wrong).
    """
    check_target(target, label, error)
    source, attr_path = split_target(target)
    obj: Any = load_module(source, label, error)
    for part in attr_path.split(".") if attr_path else ():
        if not hasattr(obj, part):
            raise error(f"{label}: {_module_words(source)} has no attribute {attr_path!r} (missing {part!r})")
        obj = getattr(obj, part)
    return obj


def load_module(source: str, label: str, error: type[Exception] = EntryLoadError,
                folder_on_path: bool = False) -> ModuleType:
    """The one way user code is imported: a module name from the interpreter's ``sys.path`` as it
    is (the user's ``PYTHONPATH`` and installed packages; the command line keeps the working
    directory off it), or a file path, loaded by file under a name of its own
    (:data:`FILE_MODULE_PREFIX` + a digest of its resolved path) without changing ``sys.path``.

    :param source: a module name (``pkg.mod``) or a file path (:func:`is_file_source`).
    :param label: what is being loaded, to begin error messages.
    :param error: the exception class raised: one line naming the module or file and what is
        wrong (not found, raised on import, called ``sys.exit`` on import).
    :param folder_on_path: a file's folder is on ``sys.path`` while it runs, so that it can import
        its neighbours (as torch.hub does for ``hubconf.py``); only for a folder the user named.
    """
    if not is_file_source(source):
        return _guarded(label, source, lambda: importlib.import_module(source), error)
    path = _regular_file(source, label, error).resolve()
    name = FILE_MODULE_PREFIX + hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:FILE_MODULE_DIGEST_CHARS]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise error(f"{label}: cannot load file {source!r} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickle look a module up here
    folder = str(path.parent)
    if folder_on_path:
        sys.path.insert(0, folder)
    try:
        _guarded(label, source, lambda: spec.loader.exec_module(module), error)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        if folder_on_path and folder in sys.path:
            sys.path.remove(folder)
    return module


def _guarded(label: str, source: str, run: Callable[[], T], error: type[Exception]) -> T:
    """``run()`` (an import of user code); anything it raises but Ctrl-C becomes one ``error`` line
    (``sys.exit`` included: a user's module must not end the command, least of all with exit 0)."""
    try:
        return run()
    except SystemExit as exc:
        reason = f"it called sys.exit({exc.code!r}) on import"
    except Exception as exc:  # any import-time failure of user code is reported the same way
        reason = f"{type(exc).__name__}: {first_line(exc)}"
        if isinstance(exc, ModuleNotFoundError) and exc.name and (source + ".").startswith(exc.name + "."):
            reason += ("; not on the Python path (PYTHONPATH or installed packages; the working directory "
                       "is not searched: give a file as ./file.py:callable)")
    raise error(f"{label}: cannot import {_module_words(source)} ({reason})")


def _regular_file(source: str, label: str, error: type[Exception]) -> Path:
    """``source`` as a path, if it is an existing regular file (not a folder, pipe or device)."""
    path = Path(source).expanduser()
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        reason = "not found" if isinstance(exc, FileNotFoundError) else (exc.strerror or type(exc).__name__)
        raise error(f"{label}: file {source!r}: {reason}") from None
    if not stat.S_ISREG(mode):
        raise error(f"{label}: file {source!r} is not a regular file")
    return path


def _module_words(source: str) -> str:
    """``"file './mine.py'"`` or ``"module 'pkg.mod'"``, for messages."""
    return f"file {source!r}" if is_file_source(source) else f"module {source!r}"


class Registry(Generic[T]):
    """Names -> entries of one declared type, loaded lazily (see the module docstring).

    :param what: what an entry is, singular, for messages: ``"model"``, ``"experiment kind"``.
    :param base: each loaded entry must be an instance of this (a class, an ABC, or a
        ``runtime_checkable`` Protocol); None: no instance check.
    :param subclass_of: each loaded entry must be a class deriving from this; None: no check.
    :param entries: initial entries, name -> object or ``"module:attr"`` string.
    :param unknown_error: raised by :meth:`get` for an unknown name.
    :param load_error: raised when an entry cannot be imported or has the wrong type.
    """

    def __init__(self, what: str, *, base: Any = None, subclass_of: type | None = None,
                 entries: Mapping[str, T | str] | None = None,
                 unknown_error: type[DepthprobeError] = UnknownEntryError,
                 load_error: type[DepthprobeError] = EntryLoadError) -> None:
        self.what = what
        self.base = base
        self.subclass_of = subclass_of
        self.unknown_error = unknown_error
        self.load_error = load_error
        self._targets: dict[str, T | str] = {}
        self._view: Mapping[str, T | str] = MappingProxyType(self._targets)
        self._loaded: dict[str, T] = {}
        for name, target in (entries or {}).items():
            self.register(name, target)

    def register(self, name: str, target: T | str, *, replace: bool = False) -> None:
        """Add an entry.

        :param name: the name it is looked up by (non-empty).
        :param target: the entry, or a lazy ``"module:attr"`` / ``"module"`` string (imported by
            the first :meth:`get`).  An object is type-checked now, a string when loaded.
        :param replace: allow replacing an existing entry of that name.
        :raises ValueError: empty name, or a name already registered (without ``replace``).
        :raises load_error: an object that is not of the declared type.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.what} names must be non-empty strings, got {name!r}")
        if name in self._targets and not replace:
            raise ValueError(f"{self.what} {name!r} is already registered ({self._targets[name]!r})")
        loaded = None if isinstance(target, str) else self._checked(name, target, target)
        self._targets[name] = target
        self._loaded.pop(name, None)
        if loaded is not None:
            self._loaded[name] = loaded

    def get(self, name: str) -> T:
        """The entry called ``name``, imported and type-checked on first use, then cached.

        :raises unknown_error: no such name (with "did you mean" suggestions).
        :raises load_error: the entry cannot be imported or is not of the declared type.
        """
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._targets:
            raise self.unknown_error(self.unknown_message(name))
        target = self._targets[name]
        assert isinstance(target, str)  # objects are loaded when registered
        obj = self._checked(name, import_target(target, self.label(name), self.load_error), target)
        self._loaded[name] = obj
        return obj

    def is_loaded(self, name: str) -> bool:
        """Whether the entry ``name`` has been resolved (objects are; lazy strings after a get)."""
        return name in self._loaded

    def names(self) -> list[str]:
        """The registered names, sorted (iterating gives them in registration order)."""
        return sorted(self._targets)

    def values(self) -> list[T]:
        """Every entry, loaded, in registration order (imports every lazy entry)."""
        return [self.get(name) for name in self._targets]

    def targets(self) -> Mapping[str, T | str]:
        """A live read-only view: name -> the entry as registered (object or import path)."""
        return self._view

    def copy(self, entries: Mapping[str, T | str] | None = None) -> "Registry[T]":
        """A new registry with the same settings, to extend without changing this one.

        :param entries: its entries (default: a copy of this one's, loaded objects included).
        """
        new: Registry[T] = Registry(self.what, base=self.base, subclass_of=self.subclass_of,
                                    unknown_error=self.unknown_error, load_error=self.load_error)
        if entries is None:
            new._targets.update(self._targets)
            new._loaded.update(self._loaded)
        else:
            for name, target in entries.items():
                new.register(name, target)
        return new

    def suggest(self, name: str, n: int = 3, cutoff: float = 0.5) -> list[str]:
        """Registered names close to ``name``, best first (arguments as for :func:`close_names`)."""
        return close_names(name, self.names(), n=n, cutoff=cutoff)

    def unknown_message(self, name: str) -> str:
        """The one-line message for an unknown ``name``: suggestions, then the known names."""
        known = ", ".join(self.names()) or "none"
        return f"unknown {self.what} {name!r}; {did_you_mean(name, self.names())}known: {known}"

    def label(self, name: str) -> str:
        """How messages refer to the entry ``name``: ``"model 'flat-road'"``."""
        return f"{self.what} {name!r}"

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {self.names()})"

    def _checked(self, name: str, obj: Any, target: Any) -> Any:
        """``obj`` (loaded from ``target``) if it is of the declared type, else ``load_error``."""
        where = f"{self.label(name)} ({target})" if isinstance(target, str) else self.label(name)
        if self.subclass_of is not None and not (isinstance(obj, type) and issubclass(obj, self.subclass_of)):
            raise self.load_error(f"{where}: expected a subclass of {self.subclass_of.__name__}, "
                                  f"got {_describe(obj)}")
        if self.base is not None and not isinstance(obj, self.base):
            missing = _missing_members(obj, self.base)
            lacks = f" (missing {', '.join(missing)})" if missing else ""
            raise self.load_error(f"{where}: expected {_type_name(self.base)}, got {_describe(obj)}{lacks}")
        return obj


def _missing_members(obj: Any, protocol: Any) -> list[str]:
    """The members of a Protocol class that ``obj`` lacks ([] for other classes)."""
    if not getattr(protocol, "_is_protocol", False):
        return []
    members = set(getattr(protocol, "__annotations__", {}))
    members |= {k for k, v in vars(protocol).items() if callable(v) and not k.startswith("_")}
    return sorted(m for m in members if not hasattr(obj, m))


def _type_name(base: Any) -> str:
    return getattr(base, "__qualname__", None) or repr(base)


def _describe(obj: Any) -> str:
    """``class X``, ``module m`` or the type name of an instance, for messages."""
    if isinstance(obj, type):
        return f"class {obj.__qualname__}"
    if type(obj).__name__ == "module":
        return f"module {obj.__name__}"
    return type(obj).__name__


