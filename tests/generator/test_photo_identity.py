"""A set on photographs keeps the identity of its photos (issue 18, item 5): the digest of the
photos is recorded in every progress record and the manifest; ``generate --resume`` refuses to
mix frames of photos that changed after a kill; ``verify`` fails a set whose photos changed and
refuses one whose photos are gone.  Tiny real renders of two of the shipped example photos."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from scenes import open_stimulus_set
from scenes.photos import folder_digest, read_backgrounds
from scenes.storage import sha256_file
from tests.bad_input.cases_photos import HEIGHT, WIDTH, photo_folder
from tests.generator.set_compare import CLI, ROOT, assert_same_set, cli_generate, write_spec

pytestmark = pytest.mark.bpy

#: Frames rendered (spread over the 63 of the preset: both photos are used).
LIMIT = "3"
SPEC = {"include": "position_vs_size_photos.yaml", "name": "photo_identity", "version": 1,
        "render": {"samples": 1}}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """(spec file, photo folder, a finished set of LIMIT frames on the photos)."""
    root = tmp_path_factory.mktemp("identity")
    photos = photo_folder(root)
    spec = write_spec(root, {**SPEC, "world": {"background": {"photos": str(photos)}}})
    cli_generate(spec, root / "set", "--limit", LIMIT)
    return spec, photos, root / "set"


def depthprobe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


class changed_photo:
    """Within the block, one photo of ``folder`` has other bytes (one pixel value changed)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "open.png"
        self.original = self.path.read_bytes()

    def __enter__(self) -> Path:
        from PIL import Image

        image = Image.open(self.path).convert("RGB")
        r, g, b = image.getpixel((0, 0))
        image.putpixel((0, 0), ((r + 1) % 256, g, b))
        image.save(self.path)
        return self.path

    def __exit__(self, *exc) -> None:
        self.path.write_bytes(self.original)


def test_the_manifest_and_every_frame_record_the_photos_digest(rendered):
    _, photos, out = rendered
    digest = folder_digest(read_backgrounds(photos, WIDTH, HEIGHT))
    assert open_stimulus_set(out).manifest["photos_digest"] == digest
    records = [json.loads(line) for line in (out / "progress.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == int(LIMIT) and {r["photos_digest"] for r in records} == {digest}


def test_verify_fails_naming_the_folder_when_the_photos_changed_and_refuses_when_they_are_gone(rendered, tmp_path):
    _, photos, out = rendered
    with changed_photo(photos):
        done = depthprobe("verify", str(out))
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"the photos in {photos} changed since the set was rendered" in done.stdout
    assert depthprobe("verify", str(out)).returncode == 0  # restored: passes again
    photos.rename(tmp_path / "away")
    try:
        done = depthprobe("verify", str(out))
    finally:
        (tmp_path / "away").rename(photos)
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert f"photos folder {photos} does not exist" in lines[0]
    assert "Traceback" not in done.stderr


def killed_copy(out: Path, into: Path) -> Path:
    """``out`` as a run killed after its first frame left it: one progress record, no tables or
    manifest (the other frames' files stay; a resume redoes them as they are not recorded)."""
    shutil.copytree(out, into)
    first = (into / "progress.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (into / "progress.jsonl").write_text(first + "\n", encoding="utf-8")
    for name in ("manifest.json", "frames.parquet", "objects.parquet"):
        (into / name).unlink()
    return into


def test_a_resume_refuses_photos_changed_since_the_kill_and_resumes_them_restored(rendered, tmp_path):
    spec, photos, out = rendered
    killed = killed_copy(out, tmp_path / "killed")
    before = {p.relative_to(killed): sha256_file(p) for p in killed.rglob("*") if p.is_file()}
    with changed_photo(photos):
        done = depthprobe("generate", str(spec), "--out", str(killed), "--resume", "--limit", LIMIT)
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert f"the photos in {photos} changed since frame" in lines[0] and "--resume" in lines[0]
    assert {p.relative_to(killed): sha256_file(p) for p in killed.rglob("*") if p.is_file()} == before
    cli_generate(spec, killed, "--resume", "--limit", LIMIT)  # the photos restored: it resumes
    assert_same_set(out, killed)
