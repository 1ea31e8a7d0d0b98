"""What a name in a user's photo folder is: the one test the photo readers apply to every file
they look for (a photo, its depth, road mask or calibration, KITTI's calibration) and to the
folder itself.

A file the reader wants must be a regular file (or a symbolic link to one); a name that is
something else -- a symbolic link loop, a link to nothing, a FIFO, a socket, a device, a folder --
is a one-line :class:`~scenes.errors.DepthprobeError` naming it, never skipped silently (a
FIFO would also block the reader that opened it).  Pure Python.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from scenes.errors import DepthprobeError

#: What a non-regular entry is, by its ``stat`` file type (for the message).
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
#: errno values that mean "no such entry" (a missing name, or a missing or non-folder parent).
_ABSENT = (errno.ENOENT, errno.ENOTDIR)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _unusable(path: Path, exc: OSError) -> DepthprobeError:
    """The one-line error of a name that cannot be followed or read."""
    if exc.errno == errno.ELOOP:
        return DepthprobeError(f"{path}: a symbolic link loop, not a file or folder")
    return DepthprobeError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})")


def is_present_file(path: str | Path) -> bool:
    """Whether the photo reader should read ``path``: True for a regular file (or a link to one),
    False when there is no entry of that name at all.

    :raises DepthprobeError: the name exists but is not a regular file (a link loop or a link to
        nothing, a FIFO, socket, device or folder) or cannot be examined (permission denied).
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno in _ABSENT:
            if os.path.islink(path):
                raise DepthprobeError(f"{path}: a symbolic link to nothing ({os.readlink(path)})") from None
            return False
        raise _unusable(path, exc) from None
    if not stat.S_ISREG(mode):
        raise DepthprobeError(f"{path}: {_kind(mode)}, not a regular file")
    return True


def check_photo_folder(folder: str | Path) -> Path:
    """``folder`` when it is a folder (or a link to one).

    :raises DepthprobeError: it does not exist, is a file or another non-folder, a symbolic link
        loop, or cannot be examined (one line naming it).
    """
    folder = Path(folder)
    try:
        mode = os.stat(folder).st_mode
    except OSError as exc:
        if exc.errno in _ABSENT:
            raise DepthprobeError(f"photos folder {folder} does not exist") from None
        raise DepthprobeError(f"photos folder {_unusable(folder, exc)}") from None
    if not stat.S_ISDIR(mode):
        what = "a file" if stat.S_ISREG(mode) else _kind(mode)
        raise DepthprobeError(f"photos folder {folder} is {what}, not a folder")
    return folder
