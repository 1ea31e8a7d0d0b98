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
