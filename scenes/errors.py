"""Errors a user can cause and fix: the CLI prints them as one line and exits with code 2."""
from __future__ import annotations


class DepthprobeError(Exception):
    """A user-facing error: its message is one line that names what is wrong (field, file)."""


class SpecError(DepthprobeError):
    """A stimulus-set spec (YAML) is invalid: unknown key, value out of range, bad geometry."""


class StimulusSetError(DepthprobeError):
    """A stimulus set on disk is missing, incomplete, or out of step with its manifest."""


class CatalogError(DepthprobeError):
    """The asset catalog or an asset it names is invalid or missing."""


#: Problems listed in full in one error message; the rest are counted.
MAX_LISTED_PROBLEMS = 5


def problems_line(problems: list[str], lead: str = "") -> str:
    """One line for many problems: the count, the first :data:`MAX_LISTED_PROBLEMS`, ``and N more``.

    :param lead: words after the count, e.g. ``" with stored predictions"``.
    """
    extra = f"; and {len(problems) - MAX_LISTED_PROBLEMS} more" if len(problems) > MAX_LISTED_PROBLEMS else ""
    return f"{len(problems)} problem(s){lead}: " + "; ".join(problems[:MAX_LISTED_PROBLEMS]) + extra


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (error messages stay one line); its type's
    name when it has no message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
