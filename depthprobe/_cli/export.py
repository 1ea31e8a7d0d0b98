"""``depthprobe export``: a stimulus set in other tools' formats (KITTI, PLY point clouds, photos),
through :func:`depthprobe.exporters.export_set` (imported inside: open3d for PLY)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from depthprobe._cli.common import SET_HELP
from depthprobe.console import progress_bar, say


def export(set_dir: Path = typer.Argument(..., help=SET_HELP),
           format_name: str = typer.Option(..., "--format", help="kitti (KITTI depth-benchmark layout of every frame) "
                                                                  "| ply (one frame's depth as coloured point clouds) "
                                                                  "| photos (empty roads as photos for world.background)"),
           out: Path = typer.Option(..., "--out", help="new or empty folder, or an earlier export of this set in this "
                                                       "format"),
           frame: Optional[str] = typer.Option(None, "--frame", help="frame id to export (--format ply)"),
           eval_dir: Optional[Path] = typer.Option(None, "--eval", help="results folder of an evaluate run on SET: "
                                                   "also the predicted depth (--format ply)")) -> None:
    """Export a stimulus set for other tools: KITTI's layout (images, 16-bit depth PNGs, calibration),
    or one frame's true (and predicted) depth as coloured PLY point clouds."""
    from depthprobe.exporters import export_set

    for line in export_set(set_dir, format_name, out, frame=frame, results=eval_dir, progress_bar=progress_bar).lines:
        say(line)
