"""The ``depthprobe`` command: validate, generate, verify, evaluate, report, compare, export, train, sheet, models, demo.

The Typer app, :func:`main` and the one error handler live here; the commands live in one module
per group (:mod:`~depthprobe._cli.sets`, :mod:`~depthprobe._cli.evaluate`, :mod:`~depthprobe._cli.train`,
:mod:`~depthprobe._cli.export`, :mod:`~depthprobe._cli.search`, :mod:`~depthprobe._cli.demo`,
:mod:`~depthprobe._cli.bench`).

Every user mistake (bad spec, missing file, unknown model) is printed as one line starting
with ``error:`` and the command exits with code 2; nothing already written is touched.
``generator`` (bpy) and ``evaluator`` (torch) are imported only by the commands that need
them, so a machine without Blender can still validate and evaluate.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup

from depthprobe._cli import bench, demo, evaluate, export, search, sets, train
from depthprobe.console import err_console
from depthprobe.safe_path import drop_working_directory, protect_children
from scenes.errors import DepthprobeError, first_line

#: Exit code of every user mistake (bad spec, missing file, unknown model), as click's usage errors.
USER_ERROR_EXIT = 2
#: Exit code of an unexpected error (a bug), and of Ctrl-C (128 + SIGINT, as shells report it).
BUG_EXIT = 1
INTERRUPTED_EXIT = 130
#: The commands, in the order ``depthprobe --help`` lists them.
COMMANDS = (sets.validate, sets.generate, evaluate.evaluate, evaluate.report, evaluate.compare, train.train,
            sets.sheet, evaluate.models, demo.demo, bench.bench_app, sets.verify, export.export, search.search)
#: The name of the command group ``bench`` (a Typer sub-app: bench generation, bench evaluation).
BENCH = "bench"


class Commands(TyperGroup):
    """The command group: the one place where a :class:`DepthprobeError` or a usage error
    (unknown option, ``--workers 0``) becomes one ``error: ...`` line on stderr and exit code 2
    (no traceback, no box for a user's mistake)."""

    def make_context(self, info_name, args, parent=None, **extra):
        """The group's context; a usage error in the group's own options (``depthprobe --bogus``)
        is one ``error:`` line and exit code 2, as :meth:`invoke` makes those of the commands."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:
            if is_usage_error(exc):
                raise usage_error_exit(exc) from None
            raise

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except DepthprobeError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=USER_ERROR_EXIT) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; finished work is kept (generate --resume continues it)",
                              markup=False, highlight=False)
            raise typer.Exit(code=INTERRUPTED_EXIT) from None
        except BrokenPipeError:  # the reader of our output went away (`depthprobe ... | head`): see main
            raise
        except Exception as exc:
            if is_usage_error(exc):  # unknown command or option, bad value, missing argument
                raise usage_error_exit(exc) from None
            if is_command_line_exception(exc):  # exits and aborts: click's own handling
                raise
            log = write_crash_log(exc)  # a bug of ours or of a library: one line, the traceback in a file
            err_console.print(f"error: unexpected {type(exc).__name__}: {first_line(exc)} (a bug; details in {log})",
                              markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=BUG_EXIT) from None

    def list_commands(self, ctx: typer.Context) -> list[str]:
        """The commands in the order of :data:`COMMANDS` (Typer lists a sub-app after every
        command), any added later at the end."""
        order = [command_name(command) for command in COMMANDS]
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: order.index(name) if name in order else len(order))


def is_usage_error(exc: BaseException) -> bool:
    """True for click's usage errors (its ``ClickException`` family, which has a message to
    format), false for its exits and aborts."""
    return is_command_line_exception(exc) and hasattr(exc, "format_message")


def usage_error_exit(exc: Exception) -> BaseException:
    """What to raise for click's usage error ``exc`` (``--workers 0``, an unknown option or command,
    a missing argument): it is printed as one ``error: ...`` line naming the command's ``--help``
    (instead of typer's box), and the exit is :data:`USER_ERROR_EXIT`.  Click's request to show
    the help (a command given without arguments) is returned as is."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # not an error: click prints the help
        return exc
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    err_console.print(f"error: {message}{hint}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code=USER_ERROR_EXIT)


def is_command_line_exception(exc: BaseException) -> bool:
    """True for click's usage errors, exits and aborts (typer vendors click, so check both homes)."""
    return type(exc).__module__.split(".")[0] in ("click", "typer")


def write_crash_log(exc: BaseException) -> Path:
    """Write ``exc``'s traceback to a new file in the temporary folder; return its path."""
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix="depthprobe-error-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"depthprobe {' '.join(sys.argv[1:])}\n")
        f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return Path(name)


def command_name(command) -> str:
    """The name a member of :data:`COMMANDS` has on the command line (a function's own name)."""
    return BENCH if command is bench.bench_app else command.__name__


def build_app() -> typer.Typer:
    """The ``depthprobe`` app: every member of :data:`COMMANDS` registered, in order."""
    commands = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=True,
                           help="Controlled 3D road stimuli with exact depth, and which cue a depth network uses.")
    for command in COMMANDS:
        if command is bench.bench_app:
            commands.add_typer(command, name=BENCH)
        else:
            commands.command()(command)
    return commands


app = build_app()


def main() -> None:
    """Console-script entry point.

    The working directory is never on the import path (:func:`depthprobe.safe_path.drop_working_directory`
    removes the entry ``python -c`` / ``python -m`` put there): no module planted in the folder a
    command runs in is ever imported.  A user's own model is given as a module on ``PYTHONPATH``
    or as a file, ``--model ./mine.py:predict`` (:func:`scenes.registry.import_target`).  The
    Python processes it starts (render workers) do the same (:func:`~depthprobe.safe_path.protect_children`).
    """
    drop_working_directory()
    protect_children()
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        # The reader closed the pipe (`depthprobe search --help | head`): not an error of ours. Python's
        # advice (library docs, "Note on SIGPIPE"): point stdout at devnull so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    if "blenderproc" in sys.modules:  # see generator.blenderproc_runtime.exit_process
        from generator.blenderproc_runtime import exit_process

        exit_process(code)
    sys.exit(code)
