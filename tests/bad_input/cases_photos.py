"""The bad-input cases of photo folders (issue 18, items 5 and 6): depth files and calibrations
that ``validate`` refuses as ``generate`` does, symbolic link loops, FIFOs and other non-files
among the photos, a relative ``photos:`` path of an included file, variants beside photos, and a
resume or verify whose photos are not those the set was rendered on (family ``photos``).

Each case copies two of the shipped example photos (assets/example_photos) into the sandbox's
``photos/`` and points a spec including the ``position_vs_size_photos`` preset at them."""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from scenes.spec import load_spec
from tests.bad_input.harness import case, write_spec

FAMILY = "photos"
EXAMPLE_PHOTOS = Path(__file__).resolve().parents[2] / "assets" / "example_photos"
#: The example photos copied into each case's folder, and their size (pixels).
PHOTOS = ("open", "town")
WIDTH, HEIGHT = 320, 96


def photo_folder(sandbox: Path, name: str = "photos") -> Path:
    """A flat photo folder of the PHOTOS (image, 16-bit depth PNG, calibration YAML each)."""
    folder = sandbox / name
    folder.mkdir(parents=True)
    for stem in PHOTOS:
        for suffix in (".png", ".depth.png", ".yaml"):
            shutil.copyfile(EXAMPLE_PHOTOS / f"{stem}{suffix}", folder / f"{stem}{suffix}")
    return folder


def photo_spec(sandbox: Path, photos: str, name: str = "photos.yaml", **world) -> str:
    """A spec on the photos of ``photos`` (relative to the spec's folder ``specs/``, or absolute)."""
    body = {"include": "position_vs_size_photos.yaml", "name": "on_photos", "version": 1,
            "world": {"background": {"photos": photos}, **world}}
    return write_spec(sandbox, body, name)


def folder_case(name: str, fragment: str, command: str = "validate") -> Callable:
    """Register ``damage(folder)`` as a case: the photo folder is damaged, then ``command`` runs on
    a spec using it (``generate`` into a new folder of the sandbox)."""
    def register(damage: Callable[[Path], None]) -> Callable[[Path], None]:
        def make(sandbox: Path) -> list[str]:
            damage(photo_folder(sandbox))
            spec = photo_spec(sandbox, str(sandbox / "photos"))
            if command == "validate":
                return ["validate", spec]
            return ["generate", spec, "--out", str(sandbox / "new-set")]
        case(FAMILY, name, fragment)(make)
        return damage
    return register


def set_calibration(**fields) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / "open.yaml"
        calibration = yaml.safe_load(path.read_text(encoding="utf-8"))
        calibration.pop("K", None)
        calibration.update({"fx": 185.9, "fy": 185.9, "cx": 156.7, "cy": 44.2, **fields})
        path.write_text(yaml.safe_dump(calibration), encoding="utf-8")
    return damage


# ------------------------------------------------------------------ depth and calibration as generate reads them


@folder_case("8-bit depth PNG", "open.depth.png")
def _depth_8bit(folder: Path) -> None:
    Image.fromarray(np.full((HEIGHT, WIDTH), 40, np.uint8)).save(folder / "open.depth.png")


@folder_case("RGB depth PNG", "town.depth.png")
def _depth_rgb(folder: Path) -> None:
    Image.fromarray(np.full((HEIGHT, WIDTH, 3), 40, np.uint8)).save(folder / "town.depth.png")


@folder_case("int16 depth npy", "open.depth.npy")
def _depth_int16(folder: Path) -> None:
    (folder / "open.depth.png").unlink()
    np.save(folder / "open.depth.npy", np.full((HEIGHT, WIDTH), 10, np.int16))


@folder_case("boolean depth npy", "town.depth.npy")
def _depth_bool(folder: Path) -> None:
    (folder / "town.depth.png").unlink()
    np.save(folder / "town.depth.npy", np.ones((HEIGHT, WIDTH), bool))


folder_case("focal length 1e-300", "fx")(set_calibration(fx=1e-300))
folder_case("focal length 1e300", "fy")(set_calibration(fy=1e300))
folder_case("focal length 1e-300, generate", "fx", command="generate")(set_calibration(fx=1e-300, fy=1e-300))
folder_case("8-bit depth PNG, generate", "open.depth.png", command="generate")(_depth_8bit)


# ------------------------------------------------------------------ what is not a file among the photos


@folder_case("symlink loop among the photos", "a.png")
def _photo_loop(folder: Path) -> None:
    os.symlink("b.png", folder / "a.png")
    os.symlink("a.png", folder / "b.png")


@folder_case("FIFO among the photos", "c.png")
def _photo_fifo(folder: Path) -> None:
    os.mkfifo(folder / "c.png")


@folder_case("photo linked to nothing", "gone.png")
def _photo_dangling(folder: Path) -> None:
    os.symlink("nowhere.png", folder / "gone.png")


@folder_case("folder named like a photo", "album.jpg")
def _photo_folder(folder: Path) -> None:
    (folder / "album.jpg").mkdir()


@folder_case("FIFO as the folder's calibration", "calibration.yaml")
def _calibration_fifo(folder: Path) -> None:
    os.mkfifo(folder / "calibration.yaml")


@folder_case("symlink loop as a depth file", "open.depth.png")
def _depth_loop(folder: Path) -> None:
    (folder / "open.depth.png").unlink()
    os.symlink("open.depth.png", folder / "open.depth.png")


@folder_case("FIFO as a road mask", "town.road.png")
def _mask_fifo(folder: Path) -> None:
    os.mkfifo(folder / "town.road.png")


@case(FAMILY, "symlink-loop photo folder, relative path", "loop")
def _folder_loop(sandbox: Path) -> list[str]:
    (sandbox / "specs").mkdir()
    os.symlink("loop", sandbox / "specs" / "loop")
    return ["validate", photo_spec(sandbox, "loop")]


# ------------------------------------------------------------------ where the photos are, and what they replace


@case(FAMILY, "relative photos of an included file", str(Path("specs", "sub", "pics", "open.depth.png")))
def _included_relative(sandbox: Path) -> list[str]:
    """The included file's ``photos: pics`` is its own folder's ``pics`` (whose depth is bad),
    not the including spec's (which does not exist)."""
    _depth_8bit(photo_folder(sandbox, "specs/sub/pics"))
    write_spec(sandbox, {"include": "position_vs_size_photos.yaml", "world": {"background": {"photos": "pics"}}},
               "sub/on_pics.yaml")
    return ["validate", write_spec(sandbox, {"include": "sub/on_pics.yaml", "name": "mine", "version": 1})]


@case(FAMILY, "one variant beside world.background", "variants")
def _one_variant(sandbox: Path) -> list[str]:
    photo_folder(sandbox)
    return ["validate", photo_spec(sandbox, "../photos", variants=[{"name": "town", "roadside": "buildings"}])]


# ------------------------------------------------------------------ the photos a set was rendered on


@case(FAMILY, "resume on changed photos", "photos")
def _resume_changed(sandbox: Path) -> list[str]:
    """A killed run's progress record of other photos (digest of photos since changed)."""
    photo_folder(sandbox)
    spec = photo_spec(sandbox, "../photos")
    out = sandbox / "partial"
    out.mkdir()
    record = {"frame_id": "position_and_size-d1.00-r000", "spec_hash": load_spec(spec).spec_hash(), "files": {},
              "photos_digest": "0" * 64}
    (out / "progress.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    return ["generate", spec, "--out", str(out), "--resume", "--limit", "1"]


@case(FAMILY, "verify a set whose photos are gone", "does not exist")
def _verify_gone(sandbox: Path) -> list[str]:
    """The sandbox's set, its manifest made that of a set on photos that are no longer there."""
    photo_folder(sandbox)
    spec = load_spec(photo_spec(sandbox, "../photos")).model_dump(mode="json")
    spec["world"]["background"]["photos"] = str(sandbox / "gone")
    path = sandbox / "set" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "spec": spec, "photos_digest": "0" * 64}), encoding="utf-8")
    return ["verify", str(sandbox / "set")]


# ------------------------------------------------------------------ calibration YAML within the spec's YAML limits
@folder_case("calibration YAML nested 30,000 deep", "nested deeper than 32 levels")
def _calibration_deep(folder: Path) -> None:
    (folder / "open.yaml").write_text("fx: " + "[" * 30_000 + "]" * 30_000 + "\n", encoding="utf-8")


@folder_case("calibration YAML alias bomb", "aliases")
def _calibration_alias_bomb(folder: Path) -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x]"] + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 8)
                                                 + "]" for i in range(8)]
    (folder / "open.yaml").write_text("\n".join(rows) + "\n", encoding="utf-8")
