"""Exact geometry by ray casting (open3d, float64, imported on first use): the one ray caster over
triangle meshes (``caster``), the preview of a spec before rendering (``preview``), the independent
re-cast of a rendered set from its exported geometry (``verify``), the one contact-sheet writer with
the RGB and depth sheets made from it (``contact_sheet``) and the open3d loader (``open3d_runtime``).
"""
from scenes.raycast.contact_sheet import PREVIEW_SIGNATURE, check_sheet_target, spread, write_rgb_sheet
from scenes.raycast.open3d_runtime import load_open3d
from scenes.raycast.preview import run_preview
from scenes.raycast.verify import format_run, verify_set

__all__ = [
    "PREVIEW_SIGNATURE", "check_sheet_target", "spread", "write_rgb_sheet", "load_open3d", "run_preview", "format_run",
    "verify_set",
]
