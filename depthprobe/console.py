"""What the command line prints: plain lines and the one live progress line per long step."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.progress import Progress as RichProgress
from rich.text import Text

from scenes.progress import Progress

out_console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def say(line: str, err: bool = False) -> None:
    """One line for a person (stdout, or stderr with ``err``), printed as is (no markup)."""
    (err_console if err else out_console).print(line, markup=False, highlight=False)


class PerMinuteColumn(ProgressColumn):
    """Units finished per minute (rich's running speed estimate), e.g. ``41.2/min``."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed * 60:.1f}/min" if speed else "-/min", style="progress.data.speed")


@contextmanager
def progress_bar(description: str) -> Iterator[Progress]:
    """A rich progress line on stderr: done of total, units a minute, time spent and left, and
    the last item (for rendering: the frame and any worker restarts); handed out as the one
    progress protocol (:class:`scenes.progress.Progress`).  A stage ``"epoch"`` prints its item
    as a log line."""
    bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), PerMinuteColumn(),
                       TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[item]}"),
                       console=err_console)
    task = bar.add_task(description, total=None, item="")

    def report(stage: str, done: int, total: int, item: str = "") -> None:
        if stage == "epoch":
            bar.console.print(item, markup=False, highlight=False)
        else:
            bar.update(task, completed=done, total=total, item=item)

    with bar:
        yield report
