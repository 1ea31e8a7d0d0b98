"""The bad-input corpus: every way a careful user was seen to hand depthprobe something wrong.

One test runs every case of :data:`CASES` through the real command line (typer's runner on
``depthprobe.cli.app``) in a sandbox holding a small stimulus set, a results folder of ours, and
room for the case's own files.  Each case must end with the documented exit code (2 for a
user's mistake), exactly one ``error: ...`` line naming the problem (a fragment of it is given
per case), no traceback, and the sandbox byte for byte as it was: nothing written outside,
nothing already there changed.

Families: ``spec`` (YAML files), ``set`` (damaged stimulus sets), ``model`` (names, folders,
callables), ``output`` (where results, sets and sheets would go), ``args`` (command options).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

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


# ------------------------------------------------------------------ specs
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


for field, value, fragment in [
    ("camera.cx", float("nan"), "cx"), ("camera.cy", float("inf"), "cy"), ("camera.width", 0, "width"),
    ("camera.width", -640, "width"), ("camera.height", "tall", "height"), ("camera.height_m", -1.0, "height_m"),
    ("camera.pitch_deg", 95.0, "pitch_deg"), ("camera.roll_deg", float("nan"), "roll_deg"),
    ("render.samples", 0, "samples"), ("render.samples", "many", "samples"), ("seed", -3, "seed"),
    ("world.road.lanes", 0, "lanes"), ("world.road.lane_width_m", float("inf"), "lane_width_m"),
    ("world.sun.elevation_deg", float("nan"), "elevation_deg"), ("world.variants", [], "variants"),
    ("name", "x" * 250, "name"), ("name", "../escape", "name"), ("world.variants.0.name", "v" * 250, "name"),
    ("world.variants.0.name", "a/b", "name"), ("experiment.kind", "teleport", "kind"),
    ("experiment.levels", {"start": 0.0, "stop": float("inf"), "step": 0.5}, "stop"),
    ("experiment.levels", [0.0, float("nan")], "levels"), ("experiment.levels", [0.0, 0.0], "levels"),
    ("experiment.levels", {"start": 0.0, "stop": 1e9, "step": 1e-3}, "levels"),
    ("experiment.levels", {"start": 1.0, "stop": 0.0, "step": 0.5}, "levels"),
    ("experiment.vary", "zoom", "vary"), ("experiment.objects", "car", "objects"),
    ("experiment.objects.0.asset", "car_sedann", "car_sedan"), ("experiment.objects.0.distance_m", -5.0, "distance_m"),
    ("experiment.objects.0.lateral_m", float("nan"), "lateral_m"), ("experiment.objects.0.colour", "red", "colour"),
]:
    spec_case(f"{field}={value!r}"[:60], fragment, setter(field, value))

spec_case("unknown top-level key", "colour_space", setter("colour_space", "srgb"))
spec_case("unknown camera key", "fov", setter("camera.fov", 90))

for name, body, fragment in [
    ("empty file", b"", "bad.yaml"), ("binary", bytes(range(256)) * 4, "bad.yaml"),
    ("latin-1", "name: caf\xe9\n".encode("latin-1"), "bad.yaml"),
    ("utf-16", "name: x\nversion: 1\n".encode("utf-16"), "bad.yaml"),
    ("a list", b"- 1\n- 2\n", "bad.yaml"), ("a scalar", b"42\n", "bad.yaml"),
    ("not yaml", b"name: [unclosed\n", "bad.yaml"), ("tabs", b"name:\n\t- x\n", "bad.yaml"),
    ("deep nesting", ("a: " + "[" * 5000 + "]" * 5000 + "\n").encode(), "bad.yaml"),
    ("alias bomb", (b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n".encode()
        for i in range(8))), "bad.yaml"),
    ("python tag", b"name: !!python/object/apply:os.system ['touch pwned']\n", "bad.yaml"),
    ("huge file", b"# " + b"x" * (3 << 20) + b"\n", "bad.yaml"),
]:
    case("spec", name, fragment)(lambda sandbox, body=body: ["validate", write_spec(sandbox, body)])


@case("spec", "include outside the spec's folder", "include")
def _include_outside(sandbox: Path) -> list[str]:
    secret = sandbox / "secret.yaml"
    secret.write_text("name: secret\n", encoding="utf-8")
    spec = base_spec()
    spec["include"] = "../secret.yaml"
    return ["validate", write_spec(sandbox, spec)]


@case("spec", "include cycle", "include")
def _include_cycle(sandbox: Path) -> list[str]:
    write_spec(sandbox, "include: b.yaml\n", "a.yaml")
    write_spec(sandbox, "include: a.yaml\n", "b.yaml")
    return ["validate", str(sandbox / "specs" / "a.yaml")]


@case("spec", "include missing", "nope.yaml")
def _include_missing(sandbox: Path) -> list[str]:
    return ["validate", write_spec(sandbox, "include: nope.yaml\nname: x\n")]


@case("spec", "no such preset", "no_such_preset")
def _no_preset(sandbox: Path) -> list[str]:
    return ["validate", "no_such_preset"]


@case("spec", "spec is a folder", "specs")
def _spec_folder(sandbox: Path) -> list[str]:
    (sandbox / "specs").mkdir(exist_ok=True)
    return ["validate", str(sandbox / "specs")]


# ------------------------------------------------------------------ damaged stimulus sets
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

for name, fragment, damage in [
    ("no manifest", "manifest.json", lambda r: (r / "manifest.json").unlink()),
    ("manifest is a list", "manifest.json", rewrite_manifest(lambda m: [1, 2])),
    ("manifest is null", "manifest.json", rewrite_manifest(lambda m: NULL)),
    ("manifest not json", "manifest.json", lambda r: (r / "manifest.json").write_text("{oops", encoding="utf-8")),
    ("manifest binary", "manifest.json", lambda r: (r / "manifest.json").write_bytes(b"\xff\xfe\x00")),
    ("manifest of another format", "manifest.json", rewrite_manifest(lambda m: m.update(format="other"))),
    ("no canonical camera", "canonical_camera", rewrite_manifest(lambda m: m.pop("canonical_camera") and None)),
    ("canonical camera incomplete", "canonical_camera", rewrite_manifest(lambda m: m["canonical_camera"].pop("fy") and None)),
    ("no frames table", "frames.parquet", lambda r: (r / "frames.parquet").unlink()),
    ("frames table not parquet", "frames.parquet", lambda r: (r / "frames.parquet").write_bytes(b"PAR1 nope")),
    ("objects table missing", "objects.parquet", lambda r: (r / "objects.parquet").unlink()),
    ("non-numeric intrinsics", "fx", edit_table("frames.parquet", lambda t: t.assign(fx="wide"))),
    ("NaN intrinsics", "cy", edit_table("frames.parquet", lambda t: t.assign(cy=np.nan))),
    ("duplicate frame ids", "frame_id", edit_table("frames.parquet", lambda t: pd.concat([t, t.iloc[:1]]))),
    ("objects of an unknown frame", "not in frames.parquet",
     edit_table("objects.parquet", lambda t: t.assign(frame_id="ghost"))),
    ("objects without cue columns", "z_vertical", edit_table("objects.parquet", lambda t: t.drop(columns="z_vertical"))),
    ("missing depth file", "depth", lambda r: layer_path(r, "depth", FIRST_FRAME).unlink()),
    ("missing rgb file", "rgb", lambda r: layer_path(r, "rgb", FIRST_FRAME).unlink()),
    ("truncated png", "does not match its hash",
     lambda r: layer_path(r, "rgb", FIRST_FRAME).write_bytes(layer_path(r, "rgb", FIRST_FRAME).read_bytes()[:60])),
    ("depth altered", "does not match its hash", lambda r: layer_path(r, "depth", FIRST_FRAME).write_bytes(
        npy_bytes(read_layer(layer_path(r, "depth", FIRST_FRAME)) * 2))),
    ("depth as int16, rehashed", "int16", replace_layer("depth", lambda a: np.nan_to_num(a, posinf=0).astype(np.int16))),
    ("depth with NaN, rehashed", "not > 0", replace_layer("depth", lambda a: np.where(a > 20, np.nan, a).astype(np.float32))),
    ("negative depth, rehashed", "not > 0", replace_layer("depth", lambda a: -a)),
    ("depth of another size, rehashed", "px", replace_layer("depth", lambda a: a[:, :-8].copy())),
    ("greyscale rgb, rehashed", "RGB", replace_layer("rgb", lambda a: a[..., 0].copy())),
    ("16-bit semantic, rehashed", "semantic", replace_layer("semantic", lambda a: a.astype(np.uint16) * 300)),
    ("instances of another size, rehashed", "px", replace_layer("instances", lambda a: a[:-4].copy())),
    ("set is a file", "set", lambda r: (shutil.rmtree(r), r.write_text("x", encoding="utf-8"))),
    ("set missing", "set", lambda r: shutil.rmtree(r)),
]:
    set_case(name, fragment, damage)


# ------------------------------------------------------------------ models
def returns_list(images):
    return [0.0] * len(images)


def returns_wrong_shape(images):
    return np.ones((len(images), 3, 3), np.float32)


def returns_ints(images):
    return np.ones(images.shape[:3], np.int32)


def raises(images):
    raise RuntimeError("the network broke")


def exits(images):
    sys.exit(0)


def all_inf(images):
    return np.full(images.shape[:3], np.inf, np.float32)


def all_negative(images):
    return np.full(images.shape[:3], -5.0, np.float32)


def all_zero(images):
    return np.zeros(images.shape[:3], np.float32)


def all_nan(images):
    return np.full(images.shape[:3], np.nan, np.float32)


NOT_CALLABLE = 42
HERE = "tests.test_bad_input_corpus"

for name, model, fragment in [
    ("unknown name", "flat-raod", "flat-road"), ("unknown prefix", "monodepht2:/x", "monodepth2"),
    ("missing module", "no_such_module:predict", "no_such_module"),
    ("missing attribute", f"{HERE}:no_such_function", "no_such_function"),
    ("not callable", f"{HERE}:NOT_CALLABLE", "NOT_CALLABLE"),
    ("returns a list", f"{HERE}:returns_list", "list"), ("wrong shape", f"{HERE}:returns_wrong_shape", "shape"),
    ("integer output", f"{HERE}:returns_ints", "int32"), ("raises", f"{HERE}:raises", "the network broke"),
    ("calls sys.exit", f"{HERE}:exits", "sys.exit"), ("inf everywhere", f"{HERE}:all_inf", "inf"),
    ("negative everywhere", f"{HERE}:all_negative", "<= 0"), ("zero everywhere", f"{HERE}:all_zero", "<= 0"),
    ("NaN everywhere", f"{HERE}:all_nan", "NaN"),
    ("hf folder missing", "hf:/no/such/folder", "/no/such/folder"),
    ("monodepth2 folder missing", "monodepth2:/no/such/folder", "/no/such/folder"),
    ("hub folder missing", "hub:/no/such/folder:midas", "/no/such/folder"),
    ("bad option", "flat-road?kind=sideways", "kind"),
]:
    case("model", name, fragment)(lambda sandbox, model=model: evaluate(sandbox, model))


@case("model", "malicious pickle checkpoint", "refused")
def _malicious(sandbox: Path) -> list[str]:
    import pickle

    class Payload:
        def __reduce__(self):
            return (open, (str(sandbox / "pwned"), "w"))

    folder = sandbox / "models" / "evil"
    folder.mkdir(parents=True)
    (folder / "encoder.pth").write_bytes(pickle.dumps({"w": Payload()}))
    (folder / "depth.pth").write_bytes(pickle.dumps({}))
    return evaluate(sandbox, f"monodepth2:{folder}")


# ------------------------------------------------------------------ output paths
for name, out, fragment in [
    ("results into the set", "set", "stimulus set"), ("results inside the set", "set/depth", "stimulus set"),
    ("results into a folder of other files", "other", "not depthprobe results"),
    ("results onto a file", "a-file.txt", "not a folder"),
    ("results into a results folder holding a foreign file", "results-plus", "also holds"),
]:
    case("output", name, fragment)(lambda sandbox, out=out: evaluate(sandbox, out=out))

for name, args, fragment in [
    ("report of no folder", ["report", "nowhere"], "no such file"),
    ("report of a folder of other files", ["report", "other"], "summary.json"),
    ("report of a stimulus set", ["report", "set"], "summary.json"),
    ("report of another results version", ["report", "results-v9"], "format_version"),
    ("sheet into the set", ["sheet", "set", "--out", "set/rgb/position_only_d1.0.png"], "inside the stimulus set"),
    ("sheet over a non-png file", ["sheet", "set", "--out", "a-file.txt"], "not a PNG"),
    ("sheet onto a folder", ["sheet", "set", "--out", "other"], "folder"),
    ("sheet of no set", ["sheet", "nowhere", "--out", "sheet.png"], "nowhere"),
    ("generate onto a file", ["generate", "camera_pitch", "--out", "a-file.txt"], "not a folder"),
    ("generate into a non-empty folder", ["generate", "camera_pitch", "--out", "other"], "--resume"),
    ("resume into a folder of other files", ["generate", "camera_pitch", "--out", "other", "--resume"],
     "not a stimulus set"),
    ("resume into a set of another spec", ["generate", "camera_pitch", "--out", "set", "--resume"], "another spec"),
    ("resume into a foreign manifest", ["generate", "camera_pitch", "--out", "foreign", "--resume"], "manifest.json"),
    ("generate inside a set", ["generate", "camera_pitch", "--out", "set/inner"], "inside the stimulus set"),
    ("reuse predictions of no run", ["evaluate", "set", "--out", "new-out", "--reuse-predictions"], "predictions"),
]:
    case("output", name, fragment)(lambda sandbox, args=args: [str(sandbox / a) if "/" in a or a in (
        "nowhere", "other", "set", "a-file.txt", "results-v9", "foreign", "new-out", "sheet.png") else a for a in args])


# ------------------------------------------------------------------ options
for name, extra, fragment in [
    ("batch size 0", ["--batch-size", "0"], "batch"), ("unknown statistic", ["--statistic", "mode"], "mode"),
    ("negative seed", ["--seed", "-1"], "seed"), ("unknown alignment", ["--alignment", "magic"], "magic"),
    ("unknown device", ["--device", "gpu-please"], "gpu-please"),
    ("reuse with a model", ["--reuse-predictions"], "--reuse-predictions"),
]:
    case("args", name, fragment)(lambda sandbox, extra=extra: evaluate(sandbox) + extra)

case("args", "evaluate without a model", "--model")(
    lambda sandbox: ["evaluate", str(sandbox / "set"), "--out", str(sandbox / "new-out")])
case("args", "sheet of 0 columns", "columns")(
    lambda sandbox: ["sheet", str(sandbox / "set"), "--out", str(sandbox / "s.png"), "--columns", "0"])
case("args", "unknown command", "No such command")(lambda sandbox: ["teleport"])


# ------------------------------------------------------------------ the one test
@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The sandbox every case starts from (copied per case)."""
    from evaluator.pipeline.evaluate import evaluate_set

    root = tmp_path_factory.mktemp("corpus")
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


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def test_the_corpus_has_every_family_and_at_least_100_cases():
    families = {c.family for c in CASES}
    assert families == {"spec", "set", "model", "output", "args"} and len(CASES) >= 100, len(CASES)
    assert len({(c.family, c.name) for c in CASES}) == len(CASES)


def test_every_bad_input_gives_one_line_exit_2_and_changes_nothing(pristine, tmp_path):
    from depthprobe.cli import app

    runner = CliRunner()
    failures = []
    for number, bad in enumerate(CASES):
        sandbox = tmp_path / f"case{number:03d}"
        shutil.copytree(pristine, sandbox)
        argv = bad.make(sandbox)
        before = snapshot(sandbox)
        result = runner.invoke(app, argv, catch_exceptions=True)
        output = result.output
        errors = [line for line in output.splitlines() if line.startswith("error:") or line.startswith("Error")]
        problems = []
        if result.exit_code != bad.exit_code:
            problems.append(f"exit {result.exit_code}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"raised {type(result.exception).__name__}: {result.exception}")
        if "Traceback" in output:
            problems.append("traceback")
        if bad.family != "args" and len(errors) != 1:
            problems.append(f"{len(errors)} error lines")
        if bad.fragment.lower() not in output.lower():
            problems.append(f"no {bad.fragment!r} in the message")
        if snapshot(sandbox) != before:
            problems.append("files changed")
        if problems:
            failures.append(f"{bad.family}/{bad.name}: {', '.join(problems)} | {output.strip()[-300:]!r}")
        shutil.rmtree(sandbox, ignore_errors=True)
    assert not failures, f"{len(failures)} of {len(CASES)} cases:\n" + "\n".join(failures)
