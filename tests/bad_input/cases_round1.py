"""The bad-input cases of the first two rounds of hostile-input probes (issues 9 and 12): specs,
damaged stimulus sets, models, output paths and command options (families ``spec``, ``set``,
``model``, ``output``, ``args``)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from scenes.formats.stimulus_set import layer_path, read_layer
from scenes.storage import npy_bytes
from tests.bad_input.harness import (FIRST_FRAME, NULL, base_spec, case, edit_table, evaluate, replace_layer,
                                     rewrite_manifest, set_case, setter, spec_case, write_spec)



# ------------------------------------------------------------------ specs


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
HERE = "tests.bad_input.cases_round1"

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
