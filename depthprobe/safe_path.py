"""Keep the working directory off the import path: no code from the folder a command runs in.

Python itself puts a folder first on ``sys.path`` before any of our code runs: ``''`` (the
working directory, looked up afresh at each import) under ``python -c``, the working directory
as a full path under ``python -m depthprobe.cli``, the script's folder for the ``depthprobe``
console script.  The first two would let a ``torch.py`` or ``open3d.py`` planted in a stimulus set
someone sent run when ``depthprobe verify .`` imports torch or open3d lazily.
:func:`drop_working_directory` removes that entry; ``depthprobe/cli.py`` calls it first thing
under ``python -m`` (before typer, numpy, ... are imported) and :func:`depthprobe.cli.main` at
its start.

What no code of ours can protect: under ``python -m`` the modules Python imports before
``depthprobe/cli.py`` runs (``runpy``'s own, and the ``depthprobe`` package itself) are looked up
with the working directory first.  ``depthprobe``'s ``__init__`` imports nothing, so only a
planted ``depthprobe/`` package could interfere; the console script, ``python -P -m`` and
``PYTHONSAFEPATH=1`` never look there at all.

Child processes start afresh: a ``spawn`` worker of the render pool is ``python -c ...``, which
imports ``multiprocessing`` with ``''`` first on its path before it takes the parent's path.
:func:`protect_children` sets ``PYTHONSAFEPATH=1`` for the command's children (Python 3.11+: no
working directory or script folder on their path), so a planted ``multiprocessing.py`` never runs
in a worker either.

This module imports only :mod:`os` and :mod:`sys`, which the interpreter has loaded before any
path lookup, so importing it looks nothing up in the working directory.
"""
from __future__ import annotations

import os
import sys


def drop_working_directory(path: list[str] | None = None, cwd: str | None = None) -> bool:
    """Remove the working-directory entry Python put first on the import path; True if removed.

    The entry is removed when it is ``''`` or names the working directory, unless Python was told
    not to add it (``-P``, ``PYTHONSAFEPATH``: then the first entry is the user's own) or the
    working directory is the source tree this ``depthprobe`` runs from (a checkout run as
    ``python -m depthprobe.cli`` from its root, whose code is what runs anyway).  Entries the user
    put on ``PYTHONPATH`` come later and are kept, ``.`` included.

    :param path: the import path to edit in place (default: ``sys.path``).
    :param cwd: the working directory (default: :func:`os.getcwd`).
    """
    path = sys.path if path is None else path
    if not path or getattr(sys.flags, "safe_path", False):
        return False
    try:
        cwd = os.getcwd() if cwd is None else cwd
    except OSError:  # the working directory was deleted: nothing can be imported from it
        cwd = None
    first = path[0]
    names_cwd = first == "" or (cwd is not None and os.path.realpath(first) == os.path.realpath(cwd))
    own_tree = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    if not names_cwd or (cwd is not None and os.path.realpath(cwd) == own_tree):
        return False
    del path[0]
    return True


#: The variable that keeps a Python 3.11+ process from putting its working directory (or its
#: script's folder) on ``sys.path``, as ``python -P`` does.
SAFE_PATH_VARIABLE = "PYTHONSAFEPATH"


def protect_children(environ: dict[str, str] | None = None) -> None:
    """Make the Python processes this command starts (render workers, Ray) keep the working
    directory off their import path: ``PYTHONSAFEPATH=1`` unless the user set it.

    :param environ: the environment to edit in place (default: :data:`os.environ`, which children
        inherit).
    """
    environ = os.environ if environ is None else environ
    environ.setdefault(SAFE_PATH_VARIABLE, "1")
