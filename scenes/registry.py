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

Errors are :class:`~scenes.errors.DepthprobeError` subclasses with one-line messages (the CLI
prints them and exits with code 2); a caller passes its own classes (``unknown_error=``,
``load_error=``) so that users see the errors of its domain.  Pure Python: no torch, no bpy.
"""
from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
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


def import_target(target: str, label: str, error: type[Exception] = EntryLoadError) -> Any:
    """Import ``"module:attr.sub"`` and return the attribute, or ``"module"`` and return the module.

    :param target: the import path.
    :param label: what the target is, to begin error messages (``"model 'flat-road'"``).
    :param error: the exception class raised (one line naming the module and the attribute).
    """
    module_name, sep, attr_path = target.partition(":")
    if not module_name or (sep and not attr_path):
        raise error(f"{label}: expected 'module:attr' or 'module', got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of user code is reported the same way
        raise error(f"{label}: cannot import module {module_name!r} "
                    f"({type(exc).__name__}: {first_line(exc)})") from None
    obj: Any = module
    for part in attr_path.split(".") if attr_path else ():
        if not hasattr(obj, part):
            raise error(f"{label}: module {module_name!r} has no attribute {attr_path!r} (missing {part!r})")
        obj = getattr(obj, part)
    return obj


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


