"""Specs that cannot be trusted: colliding frame ids, NaN, huge designs, hostile YAML, includes.

Each defect a probe found has a test here; the command line is exercised with typer's runner
where the defect is about what the user sees (one ``error: <file>: ...`` line, exit code 2).
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from depthprobe.cli import app
from scenes.catalog import default_catalog
from scenes.design.plans import expand
from scenes.errors import SpecError
from scenes.spec.schema import load_spec, parse_spec

runner = CliRunner()
POSE_OBJECTS = [{"asset": "car_sedan", "distance_m": 12}]


def write_spec(folder: Path, experiment: dict, file: str = "t.yaml", **top) -> Path:
    """A spec file on the presets' base (``_base.yaml``) with this experiment and top-level keys."""
    raw = {"include": "_base.yaml", "name": "t", "version": 1, "seed": 1, "experiment": experiment, **top}
    path = folder / file
    path.write_text(yaml.safe_dump(raw))
    return path


def preset_experiment(name: str) -> dict:
    return yaml.safe_load((Path("scenes/presets") / f"{name}.yaml").read_text())["experiment"]


def one_error_line(args: list[str]) -> str:
    """The one ``error:`` line of a command that must fail as a user's mistake (exit 2)."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def frame_ids(path: Path) -> list[str]:
    return [f.frame_id for f in expand(load_spec(path), default_catalog())]


# ----------------------------------------------------------------------------- 1. frame ids


def test_relative_distances_closer_than_the_id_precision_get_distinct_ids(tmp_path):
    path = write_spec(tmp_path, {"kind": "position_vs_size", "asset": "car_sedan", "base_distance_m": 8,
                                 "relative_distance": {"start": 1.0, "stop": 1.004, "step": 0.001},
                                 "conditions": ["position_and_size"]})
    ids = frame_ids(path)
    assert ids == ["position_and_size-d1.00-open", "position_and_size-d1.001-open", "position_and_size-d1.002-open",
                   "position_and_size-d1.003-open", "position_and_size-d1.004-open"]
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "frames: 5 (5 renders)" in result.output, result.output


def test_camera_pose_levels_closer_than_the_id_precision_get_distinct_ids(tmp_path):
    path = write_spec(tmp_path, {"kind": "camera_pose", "vary": "pitch_deg", "levels": [0.0, 0.001, 0.002],
                                 "objects": POSE_OBJECTS})
    assert frame_ids(path) == ["pitch_deg+0.00-open", "pitch_deg+0.001-open", "pitch_deg+0.002-open"]


def test_level_text_keeps_two_decimals_when_exact_and_reads_back_otherwise():
    from scenes.design.frames import level_text

    assert [level_text(v) for v in (1.0, 1.5, 2.675, 1.004, 1e-7)] == ["1.00", "1.50", "2.675", "1.004", "1e-07"]
    assert [level_text(v, "+.2f") for v in (-5.0, 0.5, 0.001, -0.001)] == ["-5.00", "+0.50", "+0.001", "-0.001"]
    assert [level_text(v, "g") for v in (15.0, 3.0000001)] == ["15", "3.0000001"]
    values = [1 + i * 1e-6 for i in range(1000)] + [0.1 * i for i in range(1000)]
    assert len({level_text(v) for v in set(values)}) == len(set(values))


@pytest.mark.parametrize("kind,change,field", [
    ("ground_contact", lambda e: e["band"].update(thickness_px=[3, 3]), "experiment.band.thickness_px"),
    ("ground_contact", lambda e: e["band"].update(value=[0.5, 0.5]), "experiment.band.value"),
    ("ground_contact", lambda e: e["colour"].update(hue_deg=[30, 30.0]), "experiment.colour.hue_deg"),
    ("ground_contact", lambda e: e["colour"].update(value=[0.1, 0.1]), "experiment.colour.value"),
    ("ground_contact", lambda e: e.update(relative_distance=[1.0, 1.0]), "experiment.relative_distance"),
    ("image_transforms", lambda e: e.update(relative_distance=[2.0, 2.0]), "experiment.relative_distance"),
    ("image_transforms", lambda e: e.update(assets=["car_sedan", "car_sedan"]), "experiment.assets"),
])
def test_repeated_levels_are_a_spec_error_naming_the_field(tmp_path, kind, change, field):
    experiment = preset_experiment(kind)
    change(experiment)
    path = write_spec(tmp_path, experiment)
    line = one_error_line(["validate", str(path)])
    assert line.startswith(f"error: {path}: {field}: values must be distinct"), line


def test_range_steps_below_the_level_resolution_are_a_spec_error(tmp_path):
    path = write_spec(tmp_path, {"kind": "elevation", "asset": "car_sedan", "distance_m": 12,
                                 "elevation_m": {"start": 0.0, "stop": 0.000002, "step": 0.0000001}})
    assert "experiment.elevation_m: step" in one_error_line(["validate", str(path)])


def test_expand_refuses_frame_ids_that_repeat():
    spec = load_spec("position_vs_size")
    twice = spec.model_copy(update={"experiment": spec.experiment.model_copy(
        update={"conditions": ["size_only", "size_only"]})})  # model_copy skips validation
    with pytest.raises(SpecError, match=r"position_vs_size.yaml: experiment: 126 frame id\(s\) repeat"):
        expand(twice, default_catalog())


def test_a_design_without_frames_is_a_spec_error(tmp_path):
    path = write_spec(tmp_path, {"kind": "ground_contact", "asset": "car_sedan", "base_distance_m": 10,
                                 "relative_distance": [1.0], "shadow": False})
    assert f"error: {path}: experiment: no frames" in one_error_line(["validate", str(path)])


@pytest.mark.parametrize("experiment,expected", [
    ({"kind": "position_vs_size", "asset": "car_sedan", "base_distance_m": 8, "conditions": ["size_only"],
      "relative_distance": {"start": 1, "stop": 2, "step": 0.5}},
     "experiment: conditions must include the reference_condition 'position_and_size'"),
    ({"kind": "elevation", "asset": "car_sedan", "distance_m": 12,
      "elevation_m": {"start": 0.2, "stop": 1, "step": 0.2}},
     "experiment.elevation_m: must start at 0"),
])
def test_a_design_without_reference_frames_is_a_spec_error(tmp_path, experiment, expected):
    path = write_spec(tmp_path, experiment)
    assert expected in one_error_line(["validate", str(path)])


#: SHA-256 (first 16 hex digits) of every preset's frame ids and seeds, one ``id seed`` a line:
#: frame ids name the files and seed the renders, so these must never change by accident.
PRESET_IDS = {
    "camera_height": "29a622cafaa3c880", "camera_pitch": "bbe6f4e82ee67624", "camera_roll": "695046461cb54124",
    "elevation": "f98d9136a6ac371e", "ground_contact": "435a9a2c7dde0511", "image_transforms": "a33e4fcd5f32a729",
    "novel_objects": "33fcff4b95abde40", "position_vs_size": "ab8e75af49a99a19",
    "training/ref_fixed_camera": "628bb87361654d12", "training/ref_varied_camera": "44faa23aac9f86b6",
}


@pytest.mark.parametrize("preset", sorted(PRESET_IDS))
def test_preset_frame_ids_and_seeds_are_unchanged(preset):
    frames = expand(load_spec(preset), default_catalog())
    text = "".join(f"{f.frame_id} {f.seed}\n" for f in frames)
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == PRESET_IDS[preset]


# ----------------------------------------------------------------------------- 2. finite floats, names


POSE = {"kind": "camera_pose", "vary": "pitch_deg", "levels": [0.0], "objects": POSE_OBJECTS}
RANDOM = {"kind": "random_scenes", "n_frames": 3, "assets": ["car_sedan"], "objects_per_frame": {"min": 1, "max": 1},
          "distance_m": {"min": 8, "max": 20}, "lateral_m": {"min": -2, "max": 2}}


@pytest.mark.parametrize("where,experiment,top,field", [
    ("cx", POSE, {"camera": {"cx": float("nan")}}, "camera.cx"),
    ("cy", POSE, {"camera": {"cy": float("inf")}}, "camera.cy"),
    ("fx", POSE, {"camera": {"fx": float("inf")}}, "camera.fx"),
    ("pose list", {**POSE, "levels": [0.0, float("nan")]}, {}, "experiment.levels.1"),
    ("pose range", {**POSE, "levels": {"start": 0.0, "stop": float("inf"), "step": 1.0}}, {}, "experiment.levels.stop"),
    ("interval", {**RANDOM, "distance_m": {"min": 8, "max": float("nan")}}, {}, "experiment.distance_m.max"),
    ("optional interval", {**RANDOM, "pitch_deg": {"min": float("-inf"), "max": 0}}, {}, "experiment.pitch_deg.min"),
    ("sun", POSE, {"world": {"sun": {"azimuth_deg": float("nan")}}}, "world.sun.azimuth_deg"),
])
def test_nan_and_infinity_are_spec_errors_naming_the_field(tmp_path, where, experiment, top, field):
    path = write_spec(tmp_path, experiment, **top)
    line = one_error_line(["validate", str(path)])
    assert line.startswith(f"error: {path}: {field}: input should be a finite number"), line


@pytest.mark.parametrize("top,experiment,field", [
    ({"world": {"variants": [{"name": "v" * 250}]}}, POSE, "world.variants.0.name"),
    ({"name": "s" * 65}, POSE, "name"),
    ({"name": "Upper"}, POSE, "name"),
    ({}, {"kind": "novel_objects", "assets": ["a" * 300], "base_distance_m": 8,
          "relative_distance": {"start": 1, "stop": 2, "step": 1}}, "experiment.assets.0"),
    ({}, {**POSE, "objects": [{"asset": "../car", "distance_m": 12}]}, "experiment.objects.0.asset"),
])
def test_names_are_short_and_file_name_safe(tmp_path, top, experiment, field):
    path = write_spec(tmp_path, experiment, **top)
    line = one_error_line(["validate", str(path)])
    assert line.startswith(f"error: {path}: {field}: must be 1 to 64 characters a-z, 0-9 or _"), line
    assert len(line) < 400


def test_long_descriptions_and_random_scene_headings_are_bounded(tmp_path):
    path = write_spec(tmp_path, POSE, description="x" * 5000)
    assert "description: string should have at most 4000 characters" in one_error_line(["validate", str(path)])
    path = write_spec(tmp_path, {**RANDOM, "yaw_deg": {"min": -1e300, "max": 0}})
    assert "experiment.yaw_deg: must lie in [-180, 180]" in one_error_line(["validate", str(path)])


# ----------------------------------------------------------------------------- 3. resource limits


def test_huge_designs_are_refused_before_expansion_and_name_the_count(tmp_path):
    variants = [{"name": f"v{i}"} for i in range(1000)]
    path = write_spec(tmp_path, {"kind": "position_vs_size", "asset": "car_sedan", "base_distance_m": 8,
                                 "relative_distance": {"start": 1.0, "stop": 2.0, "step": 0.0001},
                                 "conditions": ["position_and_size", "position_only", "size_only"]},
                      world={"variants": variants})
    start = time.perf_counter()
    line = one_error_line(["validate", str(path)])
    assert time.perf_counter() - start < 20
    assert line.startswith(f"error: {path}: experiment: the design has 30,003,000 frames, more than the limit "
                           "of 200,000"), line
    random = write_spec(tmp_path, {**RANDOM, "n_frames": 1_000_000}, file="r.yaml")
    assert "1,000,000 frames" in one_error_line(["generate", str(random), "--out", str(tmp_path / "set")])
    assert not (tmp_path / "set").exists()


def test_max_frames_flag_lowers_and_raises_the_limit(tmp_path):
    path = write_spec(tmp_path, {**RANDOM, "n_frames": 30})
    assert "30 frames, more than the limit of 10" in one_error_line(["validate", str(path), "--max-frames", "10"])
    assert runner.invoke(app, ["validate", str(path), "--max-frames", "30"]).exit_code == 0
    line = one_error_line(["generate", str(path), "--out", str(tmp_path / "set"), "--max-frames", "29"])
    assert "30 frames, more than the limit of 29" in line and not (tmp_path / "set").exists()


@pytest.mark.parametrize("preset", sorted(PRESET_IDS))
def test_each_frame_count_matches_its_expansion(preset):
    from scenes.design.plans import frame_count

    spec = load_spec(preset)
    assert frame_count(spec) == len(expand(spec, default_catalog()))


def _bomb(key: str, levels: int) -> str:
    """YAML lines under ``world:`` whose mapping ``top`` expands to 2**levels paths."""
    lines = [f"  {key}0: &{key}0 {{k: 1}}"]
    lines += [f"  {key}{i}: &{key}{i} {{l: *{key}{i - 1}, r: *{key}{i - 1}}}" for i in range(1, levels + 1)]
    return "\n".join(lines + [f"  top: *{key}{levels}"]) + "\n"


@pytest.mark.parametrize("spec_world", [_bomb("b", 18), "  top: {k: 2}\n"])
def test_an_alias_bomb_under_a_key_shared_with_an_include_is_refused(tmp_path, spec_world):
    (tmp_path / "inc.yaml").write_text("world:\n" + _bomb("c", 18))
    (tmp_path / "spec.yaml").write_text("include: inc.yaml\nworld:\n" + spec_world)
    start = time.perf_counter()
    line = one_error_line(["validate", str(tmp_path / "spec.yaml")])
    assert time.perf_counter() - start < 20
    bombed = "spec.yaml: line 3" if "&" in spec_world else "inc.yaml: line 2"
    assert f"{bombed}: more than 50000 values once its aliases are expanded" in line, line


def test_deep_merge_merges_shared_mappings_once():
    from scenes.spec.schema import deep_merge  # re-exported from scenes.spec.files

    def shared(levels: int) -> dict:
        node: dict = {"k": 1}
        for _ in range(levels):
            node = {"l": node, "r": node}
        return node

    merged = deep_merge({"world": shared(18)}, {"world": shared(18)})
    assert merged["world"]["l"] is merged["world"]["r"]  # one merge per distinct pair, not 2**18


@pytest.mark.parametrize("text,expected", [
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "line 1: nested deeper than 32 levels"),
    ("a: &a [*a]\n", "line 1: nested deeper than 32 levels once its aliases are expanded"),
    ("".join(f"k{i}: &a{i} 1\n" for i in range(300)) + "".join(f"z{i}: *a{i}\n" for i in range(300)),
     "more than 256 aliases"),
    ("a: [" + ",".join("1" for _ in range(60_000)) + "]\n", "line 1: more than 50000 values"),
    ("description: x\n" + "k: v\n" * 220_000, "larger than 1 MiB"),
])
def test_yaml_beyond_the_reading_limits_is_one_line(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    line = one_error_line(["validate", str(path)])
    assert line.startswith(f"error: {path}:") and expected in line, line


def test_includes_are_limited_in_number(tmp_path):
    (tmp_path / "part.yaml").write_text("render: {samples: 8}\n")
    path = write_spec(tmp_path, POSE)
    raw = yaml.safe_load(path.read_text())
    raw["include"] = ["_base.yaml"] + ["part.yaml"] * 40
    path.write_text(yaml.safe_dump(raw))
    assert "more than 32 files included" in one_error_line(["validate", str(path)])


# ----------------------------------------------------------------------------- 4. one line, never a traceback


@pytest.mark.parametrize("content,expected", [
    ("name: caf\u00e9\n".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 9)"),
    ("name: t\n".encode("utf-16"), "UTF-16 text; save the spec as UTF-8"),
    ("name: t\n".encode("utf-16-be"), "contains NUL bytes"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contains NUL bytes"),
    (b"\xff\xd8\xff\xe0 JFIF", "not UTF-8 text"),
    (b"name: !!float abc\n", "line 1: cannot read the value 'abc'"),
    (b"version: " + b"9" * 5000 + b"\n", "line 1: cannot read the value '999"),
])
@pytest.mark.parametrize("command", ["validate", "generate"])
def test_unreadable_spec_files_are_one_line_naming_the_file(tmp_path, content, expected, command):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    args = [command, str(path)] + (["--out", str(tmp_path / "set")] if command == "generate" else [])
    line = one_error_line(args)
    assert line.startswith(f"error: {path}:") and expected in line, line
    assert not (tmp_path / "set").exists()


def test_spec_arguments_the_os_refuses_are_one_line(tmp_path):
    assert "no such spec file" in one_error_line(["validate", "x" * 5000 + ".yaml"])
    assert "neither a spec file nor a built-in preset" in one_error_line(["validate", "x" * 5000])


# ----------------------------------------------------------------------------- 5. includes, the file in every error


def test_an_include_outside_the_spec_folder_is_refused(tmp_path):
    (tmp_path / "secret.yaml").write_text("description: SECRET TEXT\n")
    (tmp_path / "specs").mkdir()
    for item in ["../secret.yaml", str(tmp_path / "secret.yaml")]:
        path = write_spec(tmp_path / "specs", POSE)
        raw = yaml.safe_load(path.read_text())
        raw["include"] = ["_base.yaml", item]
        path.write_text(yaml.safe_dump(raw))
        line = one_error_line(["validate", str(path)])
        assert line.startswith(f"error: {path.resolve()}: include: {item!r} is outside the spec's folder"), line
        assert "SECRET" not in line


def test_a_symbolic_link_out_of_the_spec_folder_is_refused(tmp_path):
    (tmp_path / "secret.yaml").write_text("description: SECRET TEXT\n")
    (tmp_path / "specs").mkdir()
    os.symlink(tmp_path / "secret.yaml", tmp_path / "specs" / "link.yaml")
    path = write_spec(tmp_path / "specs", POSE)
    raw = yaml.safe_load(path.read_text())
    raw["include"] = ["_base.yaml", "link.yaml"]
    path.write_text(yaml.safe_dump(raw))
    assert "'link.yaml' is outside the spec's folder" in one_error_line(["validate", str(path)])


def test_includes_in_subfolders_and_presets_still_work(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "render.yaml").write_text("render: {samples: 4}\n")
    path = write_spec(tmp_path, POSE)
    raw = yaml.safe_load(path.read_text())
    raw["include"] = [str(Path("scenes/presets/_base.yaml").resolve()), "parts/render.yaml"]
    path.write_text(yaml.safe_dump(raw))
    spec = load_spec(path)
    assert spec.render.samples == 4 and spec.camera.width == 640 and spec.source == str(path)


@pytest.mark.parametrize("experiment,expected", [
    ({"kind": "position_vs_size", "asset": "car_sedan", "base_distance_m": 0.2, "conditions": ["position_and_size"],
      "relative_distance": {"start": 1, "stop": 2, "step": 1}}, "behind it"),
    ({"kind": "position_vs_size", "asset": "car_sedan", "base_distance_m": 8, "lateral_m": 30,
      "conditions": ["position_and_size"], "relative_distance": {"start": 1, "stop": 2, "step": 1}},
     "leaves the 640x192 image"),
    ({"kind": "elevation", "asset": "car_sedna", "distance_m": 12, "elevation_m": {"start": 0, "stop": 1, "step": 1}},
     "experiment.asset: unknown asset 'car_sedna'"),
    ({**POSE, "objects": [{"asset": "fridg", "distance_m": 12}]}, "experiment.objects.0.asset: unknown asset"),
    ({**RANDOM, "assets": ["car_sedan", "vann"]}, "experiment.assets.1: unknown asset"),
])
@pytest.mark.parametrize("command", ["validate", "generate"])
def test_every_design_error_names_the_spec_file(tmp_path, experiment, expected, command):
    path = write_spec(tmp_path, experiment)
    args = [command, str(path)] + (["--out", str(tmp_path / "set")] if command == "generate" else [])
    line = one_error_line(args)
    assert line.startswith(f"error: {path}: ") and expected in line, line


def test_specs_parsed_in_memory_name_their_source():
    data = load_spec("elevation").model_dump(mode="json")
    data["experiment"]["distance_m"] = 0.3
    spec = parse_spec(data, "from-memory")
    with pytest.raises(SpecError, match="^from-memory: experiment.base_distance_m: object 'car_sedan'"):
        expand(spec, default_catalog())
