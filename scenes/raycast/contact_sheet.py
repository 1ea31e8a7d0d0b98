"""Contact sheets: a grid of a stimulus set's RGB frames with their ids, as one PNG."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

from scenes.errors import StimulusSetError
from scenes.formats import StimulusSet
from scenes.storage import atomic_write_with, check_file_target

#: The first bytes of every PNG file (PNG specification, section 5.2).
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Height of the label strip under each tile, pixels.
LABEL_HEIGHT_PX = 14
BACKGROUND = (30, 30, 30)


def spread(ids: Sequence[str], limit: int | None) -> list[str]:
    """At most ``limit`` ids spread evenly over ``ids`` (all when limit is None)."""
    if limit is None or limit >= len(ids):
        return list(ids)
    picks = np.unique(np.round(np.linspace(0, len(ids) - 1, limit)).astype(int))
    return [ids[i] for i in picks]


def write_rgb_sheet(stimulus_set: StimulusSet, path: Path | str, frame_ids: Sequence[str] | None = None,
                    columns: int = 3, tile_width: int = 426) -> Path:
    """Write a PNG grid of RGB frames (each scaled to ``tile_width`` pixels) labelled with their ids."""
    ids = list(frame_ids if frame_ids is not None else stimulus_set.frame_ids)
    first = stimulus_set.rgb(ids[0])
    tile_h = int(round(first.shape[0] * tile_width / first.shape[1]))
    rows = (len(ids) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * tile_width, rows * (tile_h + LABEL_HEIGHT_PX)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for k, fid in enumerate(ids):
        x, y = (k % columns) * tile_width, (k // columns) * (tile_h + LABEL_HEIGHT_PX)
        tile = Image.fromarray(stimulus_set.rgb(fid)).resize((tile_width, tile_h), Image.Resampling.LANCZOS)
        sheet.paste(tile, (x, y))
        draw.text((x + 3, y + tile_h + 1), fid, fill=(230, 230, 230))
    path = Path(path)
    atomic_write_with(path, lambda tmp: sheet.save(tmp, format="PNG"))
    return path


def check_sheet_target(path: Path | str, set_root: Path | str) -> Path:
    """``path`` if a contact sheet may be written there, else :class:`StimulusSetError` (one line):
    never inside the stimulus set ``set_root`` (it would replace or add a file of the set), nor any
    other stimulus set or results folder (:func:`scenes.storage.check_file_target`), never over a
    folder, a special file or a file that is not a PNG."""
    path, root = Path(path), Path(set_root).resolve()
    if path.resolve() == root or root in path.resolve().parents:
        raise StimulusSetError(f"--out {path}: is inside the stimulus set {root}; write the sheet elsewhere")
    if path.is_dir():
        raise StimulusSetError(f"--out {path}: is a folder; give a PNG file name")
    check_file_target(path, StimulusSetError)
    if path.exists() and _first_bytes(path, len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        raise StimulusSetError(f"--out {path}: exists and is not a PNG; refusing to overwrite it")
    return path


def _first_bytes(path: Path, count: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(count)
