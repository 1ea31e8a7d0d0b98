"""``depthprobe export``: a stimulus set in other tools' formats (KITTI, PLY point clouds, photos).
The exporters (open3d for PLY) and the evaluator's prediction store are imported inside."""
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
    from depthprobe.exporters.target import ExportError, check_export_format
    from scenes.formats import open_stimulus_set

    kind = check_export_format(format_name)
    stimulus_set = open_stimulus_set(set_dir)
    if kind != "ply" and (frame is not None or eval_dir is not None):
        raise ExportError(f"--{'frame' if frame is not None else 'eval'}: only with --format ply "
                          f"(--format {kind} exports every frame)")
    if kind == "photos":
        from depthprobe.exporters.photos import write_photos_export

        with progress_bar("exporting") as progress:
            target = write_photos_export(stimulus_set, out, progress)
        say(f"photos: {target.out} (every frame with a counterfactual, without its objects)")
        return
    if kind == "kitti":
        from depthprobe.exporters.kitti import check_kitti_export, write_kitti_export

        check_kitti_export(stimulus_set, out)  # refusals before the progress bar
        with progress_bar("exporting") as progress:
            target = write_kitti_export(stimulus_set, out, progress)
        say(f"KITTI export: {target.out} ({len(stimulus_set.frame_ids)} frames)")
        return
    from depthprobe.exporters.ply import check_frame_id, write_ply_export

    if frame is None:
        raise ExportError("--frame: missing; --format ply exports one frame (give one of the set's frame ids)")
    predicted = None if eval_dir is None else stored_prediction(eval_dir, stimulus_set,
                                                                check_frame_id(stimulus_set, frame))
    for path in write_ply_export(stimulus_set, frame, out, predicted):
        say(f"point cloud: {path}")


def stored_prediction(eval_dir: Path, stimulus_set, frame_id: str):
    """One frame's aligned predicted depth (float32 metres) from an evaluation's results folder, read
    through the results and prediction-store readers: refused unless made for this very set and intact."""
    from evaluator.pipeline.store import KINDS, PREDICTIONS_DIR, PredictionStoreError, StoredPredictions
    from evaluator.results.format import read_results
    from scenes.storage import sha256_file

    store = StoredPredictions.open(read_results(eval_dir).root / PREDICTIONS_DIR, stimulus_set, check_hashes=False)
    rel = f"{KINDS['depth']}/{frame_id}.npy"
    if sha256_file(store.root / rel) != store.index.get("files", {}).get(rel):
        raise PredictionStoreError(f"{store.root / rel}: content does not match its hash in index.json")
    return store.depth(frame_id)
