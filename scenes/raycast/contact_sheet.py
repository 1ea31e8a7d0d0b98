"""Contact sheets: a grid of pictures with their labels, as one PNG (:func:`write_sheet`).

Two kinds are made from it: a stimulus set's RGB frames (``depthprobe sheet``,
:func:`write_rgb_sheet`) and the exact-geometry preview's inverse depth with object outlines
(``validate --preview --sheet``, scenes/raycast/preview.py).  Every tile is scaled to one width,
its label (cut to that width) in a strip below it; a flagged tile (a frame with issues) gets a
red border and a red label.  Each kind signs its sheets with a PNG ``tEXt`` chunk ``Software``
(:data:`SHEET_SIGNATURE`, :data:`PREVIEW_SIGNATURE`), by which a rerun recognises its own earlier
sheet (the one file rule of scenes/outputs.py: nothing else is overwritten).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from scenes.errors import DepthprobeError, StimulusSetError
from scenes.formats import StimulusSet
from scenes.storage import atomic_write_bytes
from scenes.outputs import FileSignature, check_file_target

#: The signatures of the two kinds of sheet (scenes.outputs.FileSignature.png): ``depthprobe
#: sheet``'s and ``validate --preview``'s.
SHEET_SIGNATURE = FileSignature.png("a PNG contact sheet written by depthprobe sheet", "depthprobe sheet")
PREVIEW_SIGNATURE = FileSignature.png("a PNG preview sheet written by depthprobe validate",
                                      "depthprobe validate --preview")

#: Height of the label strip under each tile, pixels (Pillow's default font is 11 px tall).
LABEL_HEIGHT_PX = 14
#: Gap between tiles and round the sheet, pixels (room for a flagged tile's 2 px border).
PAD_PX = 4
BACKGROUND_RGB = (32, 32, 32)
LABEL_RGB = (220, 220, 220)
#: Outline of the objects of a tile with an instance map (cyan), and the border and label of a
#: flagged tile (red).
OUTLINE_RGB = (80, 230, 255)
ISSUE_RGB = (255, 40, 40)
#: The colour map of depth tiles: matplotlib's perceptually uniform 'magma' (256 levels).
DEPTH_COLORMAP = "magma"


@dataclass(frozen=True)
class Tile:
    """One picture of a contact sheet.

    :ivar image: uint8 RGB (H, W, 3).
    :ivar label: the text under it (a frame id).
    :ivar flagged: drawn with a red border and a red label (a frame with issues).
    :ivar instances: optional (H, W) instance map (0 = no object): its objects are outlined.
    """

    image: np.ndarray
    label: str
    flagged: bool = False
    instances: np.ndarray | None = None


def spread(ids: Sequence[str], limit: int | None) -> list[str]:
    """At most ``limit`` ids spread evenly over ``ids`` (all when limit is None)."""
    if limit is None or limit >= len(ids):
        return list(ids)
    picks = np.unique(np.round(np.linspace(0, len(ids) - 1, limit)).astype(int))
    return [ids[i] for i in picks]


def colormap(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (H, W) to uint8 RGB (H, W, 3) with :data:`DEPTH_COLORMAP` (256 levels;
    NaN counts as 0)."""
    from matplotlib import colormaps

    x = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0), 0.0, 1.0)
    return colormaps[DEPTH_COLORMAP](np.rint(x * 255).astype(np.uint8), bytes=True)[..., :3]


def object_outlines(instances: np.ndarray) -> np.ndarray:
    """Boolean (H, W): object pixels with a 4-neighbour of another instance value."""
    edge = np.zeros(instances.shape, dtype=bool)
    diff_v = instances[1:] != instances[:-1]
    diff_h = instances[:, 1:] != instances[:, :-1]
    edge[1:] |= diff_v
    edge[:-1] |= diff_v
    edge[:, 1:] |= diff_h
    edge[:, :-1] |= diff_h
    return edge & (instances > 0)


def _tile_image(tile: Tile, width: int, height: int) -> Image.Image:
    """The tile's picture scaled to ``width`` x ``height`` (Lanczos), its objects outlined."""
    picture = Image.fromarray(tile.image).resize((width, height), Image.Resampling.LANCZOS)
    if tile.instances is None:
        return picture
    inst = np.asarray(Image.fromarray(tile.instances).resize((width, height), Image.Resampling.NEAREST))
    arr = np.asarray(picture).copy()
    arr[object_outlines(inst)] = OUTLINE_RGB
    return Image.fromarray(arr)


def write_sheet(tiles: Sequence[Tile], path: Path | str, columns: int, tile_width: int | None,
                signature: FileSignature = SHEET_SIGNATURE) -> Path:
    """Write ``tiles`` as a PNG grid, ``columns`` wide, row by row, signed with ``signature``'s
    ``Software`` text (check ``path`` first: :func:`check_sheet_target`); return the path.

    Each tile is scaled to ``tile_width`` pixels wide (None: the widest image's width), its
    aspect kept, with its label below; flagged tiles get a red border and label.  Written
    atomically (the folder is created when missing).

    :raises DepthprobeError: no tiles.
    """
    path = Path(path)
    if not tiles:
        raise DepthprobeError(f"{path}: no frames to put on a contact sheet")
    columns = max(1, min(columns, len(tiles)))
    tw = tile_width or max(t.image.shape[1] for t in tiles)
    heights = [max(1, int(round(t.image.shape[0] * tw / t.image.shape[1]))) for t in tiles]
    cell_w, cell_h = tw + PAD_PX, max(heights) + LABEL_HEIGHT_PX + PAD_PX
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * cell_w + PAD_PX, rows * cell_h + PAD_PX), BACKGROUND_RGB)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for k, (tile, h) in enumerate(zip(tiles, heights)):
        x, y = PAD_PX + (k % columns) * cell_w, PAD_PX + (k // columns) * cell_h
        sheet.paste(_tile_image(tile, tw, h), (x, y))
        if tile.flagged:
            draw.rectangle([x - 2, y - 2, x + tw + 1, y + h + 1], outline=ISSUE_RGB, width=2)
        label = tile.label
        while len(label) > 1 and draw.textlength(label, font=font) > tw:
            label = label[:-1]
        draw.text((x, y + h + 1), label, fill=ISSUE_RGB if tile.flagged else LABEL_RGB, font=font)
    buf = io.BytesIO()
    software = PngInfo()
    software.add_text("Software", signature.software)
    sheet.save(buf, format="PNG", compress_level=6, pnginfo=software)
    atomic_write_bytes(path, buf.getvalue())
    return path


def write_rgb_sheet(stimulus_set: StimulusSet, path: Path | str, frame_ids: Sequence[str] | None = None,
                    columns: int = 3, tile_width: int = 426) -> Path:
    """Write a PNG grid of RGB frames (each scaled to ``tile_width`` pixels) labelled with their ids."""
    ids = list(frame_ids if frame_ids is not None else stimulus_set.frame_ids)
    return write_sheet([Tile(stimulus_set.rgb(fid), fid) for fid in ids], path, columns, tile_width)


def check_sheet_target(path: Path | str, signature: FileSignature = SHEET_SIGNATURE, option: str = "--out",
                       error: type[DepthprobeError] = StimulusSetError) -> Path:
    """The path to write (a link followed) if a contact sheet may be written at ``path``, else
    ``error`` (one line): new or an earlier sheet of the same command (``signature``), never
    inside a stimulus set (the one drawn included) or a results folder, never a folder, a
    special file or a user's file (:func:`scenes.outputs.check_file_target`)."""
    if Path(path).is_dir():
        raise error(f"{option} {path}: is a folder; give a PNG file name")
    return check_file_target(path, error, signature, option)
