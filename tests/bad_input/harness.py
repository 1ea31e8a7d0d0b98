"""The harness of the bad-input corpus (tests/test_bad_input_corpus.py): a :class:`Case` is one
bad input, registered with :func:`case` into :data:`CASES` by the ``cases_*.py`` modules of this
folder; the sandbox every case starts from (:func:`build_pristine`); and the helpers that make
bad specs, damaged stimulus sets and command lines."""
from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from scenes.spec.schema import load_spec
from scenes.formats.stimulus_set import layer_path, read_layer
from scenes.storage import npy_bytes, sha256_file
from tests.synthetic_set import write_synthetic_set


@dataclass(frozen=True)
class Case:
    """One bad input: ``make(sandbox)`` prepares it and returns the command's arguments."""

    family: str
    name: str
    make: Callable[[Path], list[str]]
    fragment: str
    exit_code: int = 2


CASES: list[Case] = []


def case(family: str, name: str, fragment: str, exit_code: int = 2):
    def register(make: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
        CASES.append(Case(family, name, make, fragment, exit_code))
        return make
    return register


def base_spec() -> dict:
    """A valid, fully resolved spec (the camera-pitch preset) as plain data."""
    return load_spec("camera_pitch").model_dump(mode="json")


def write_spec(sandbox: Path, body: dict | str | bytes, name: str = "bad.yaml") -> str:
    path = sandbox / "specs" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(body, dict):
        body = yaml.safe_dump(body, sort_keys=False)
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    return str(path)


def spec_case(name: str, fragment: str, change: Callable[[dict], None]) -> None:
    def make(sandbox: Path) -> list[str]:
        spec = base_spec()
        change(spec)
        return ["validate", write_spec(sandbox, spec)]
    case("spec", name, fragment)(make)


def setter(path: str, value) -> Callable[[dict], None]:
    def change(spec: dict) -> None:
        node = spec
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[keys[-1]] = value
    return change


def evaluate(sandbox: Path, model: str = "flat-road", out: str = "new-out") -> list[str]:
    return ["evaluate", str(sandbox / "set"), "--model", model, "--out", str(sandbox / out)]


def set_case(name: str, fragment: str, damage: Callable[[Path], None]) -> None:
    def make(sandbox: Path) -> list[str]:
        damage(sandbox / "set")
        return evaluate(sandbox)
    case("set", name, fragment)(make)


def rewrite_manifest(change: Callable[[dict], object]) -> Callable[[Path], None]:
    """``change(manifest)`` edits it in place (returning None) or returns what to write instead."""
    def damage(root: Path) -> None:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        body = change(manifest)
        body = manifest if body is None else (None if body is NULL else body)
        (root / "manifest.json").write_text(json.dumps(body), encoding="utf-8")
    return damage


NULL = object()


def rehashed(root: Path, rel: str) -> None:
    """Record the current content of ``rel`` in the manifest (as a forger would)."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][rel] = sha256_file(root / rel)
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def replace_layer(layer: str, make: Callable[[np.ndarray], np.ndarray], rehash: bool = True) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        path = layer_path(root, layer, FIRST_FRAME)
        array = make(read_layer(path))
        if path.suffix == ".npy":
            path.write_bytes(npy_bytes(array))
        else:
            from PIL import Image

            Image.fromarray(array).save(path, format="PNG")
        if rehash:
            rehashed(root, path.relative_to(root).as_posix())
    return damage


def edit_table(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        change(pd.read_parquet(root / name)).to_parquet(root / name, index=False)
    return damage


FIRST_FRAME = "position_and_size_d1.0"


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def build_pristine(root: Path) -> Path:
    """The sandbox every case starts from (copied per case): a small stimulus set ``set``, its
    results ``results`` (and copies with a user's file and a future format version), a user's
    folder and file, and a folder of someone else's ``manifest.json``."""
    from evaluator.pipeline.evaluate import evaluate_set

    write_synthetic_set(root / "set", conditions=("position_and_size", "size_only"), distances=(1.0, 1.5, 2.0))
    evaluate_set(root / "set", "flat-road", root / "results")
    (root / "other").mkdir()
    (root / "other" / "notes.txt").write_text("keep me", encoding="utf-8")
    (root / "a-file.txt").write_text("keep me too", encoding="utf-8")
    shutil.copytree(root / "results", root / "results-plus")
    (root / "results-plus" / "thesis.tex").write_text("mine", encoding="utf-8")
    shutil.copytree(root / "results", root / "results-v9")
    summary = json.loads((root / "results-v9" / "summary.json").read_text(encoding="utf-8"))
    (root / "results-v9" / "summary.json").write_text(json.dumps({**summary, "format_version": 9}), encoding="utf-8")
    (root / "foreign").mkdir()
    (root / "foreign" / "manifest.json").write_text('{"format": "someone-elses"}', encoding="utf-8")
    return root
