"""The I/O layer: file modes follow the umask, a full disk is one line and leaves no half file,
temporary files are recognised by name only, and a second writer is refused by the lock."""
from __future__ import annotations

import errno
import os
import stat

import pytest

from scenes import storage
from scenes.formats.stimulus_set import remove_temporaries
from scenes.storage import StorageError, atomic_write_bytes, is_temporary
from scenes.outputs import WriterLock


def test_files_get_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "a.bin"
        atomic_write_bytes(path, b"x")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.os, "fsync", full)
    with pytest.raises(StorageError, match="no space left") as info:
        atomic_write_bytes(tmp_path / "depth.npy", b"1234")
    assert "\n" not in str(info.value) and str(tmp_path / "depth.npy") in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_only_our_temporary_files_are_removed(tmp_path):
    (tmp_path / "rgb").mkdir()
    ours = tmp_path / "rgb" / ".f1.png.k3j2h1ab.tmp"
    ours.write_bytes(b"")
    theirs = [tmp_path / ".notes.tmp", tmp_path / "rgb" / "keep.tmp"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    theirs.append(elsewhere / ".f1.png.k3j2h1ab.tmp")  # not a folder of the set
    for path in theirs:
        path.write_bytes(b"mine")
    assert is_temporary(ours) and not is_temporary(theirs[0])
    assert remove_temporaries(tmp_path) == 1
    assert not ours.exists() and all(p.exists() for p in theirs)


def test_a_second_writer_is_refused_and_a_stale_lock_taken_over(tmp_path):
    target = tmp_path / "out"
    with WriterLock(target, "depthprobe generate"):
        with pytest.raises(StorageError, match="being written by depthprobe generate"):
            with WriterLock(target, "depthprobe evaluate"):
                pass
    assert not list(tmp_path.glob(".*lock"))
    lock = WriterLock(target, "x").path
    lock.write_text('{"pid": 999999999, "host": "%s", "what": "a killed run"}' % os.uname().nodename)
    with WriterLock(target, "depthprobe generate"):
        assert "depthprobe generate" in lock.read_text()
