"""The study's mode on photographs from the command line: the shipped example photos give the
same verdict as the rendered worlds; bad photo folders, calibration files and sizes are
one-line errors (exit 2) that write nothing."""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from depthprobe.cli import app
from tests.generator.set_compare import CLI, ROOT

EXAMPLE_PHOTOS = ROOT / "assets" / "example_photos"


@pytest.mark.bpy
@pytest.mark.torch
def test_position_vs_size_on_the_example_photos_finds_vertical_position(tmp_path):
    """Rendered worlds (the demo, 378 frames): vertical 0.95 [0.95, 0.96] vs size 0.08 [0.07, 0.09]."""
    for args in (["generate", "position_vs_size_photos", "--out", str(tmp_path / "set")],
                 ["evaluate", str(tmp_path / "set"), "--model", "ref-fixed-camera", "--out", str(tmp_path / "eval")]):
        done = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "vertical"
    vertical, size = summary["cues"]["vertical"], summary["cues"]["size"]
    assert vertical["ci_low"] > 0.8 and size["ci_high"] < 0.3 and vertical["n_objects"] == 63
    unknown = summary["metrics"]["depth_unknown"]
    assert unknown["n_frames"] == 63 and 0 < unknown["n_pixels"] < unknown["of_pixels"]


def photo_spec(tmp_path, photos: str, **world) -> str:
    spec = {"include": "position_vs_size_photos.yaml", "name": "my_photos", "version": 1,
            "world": {"background": {"photos": photos, **world}}}
    path = tmp_path / "my_photos.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return str(path)


def copy_examples(folder, names=("open", "town")):
    folder.mkdir()
    for name in names:
        for suffix in (".png", ".depth.png", ".yaml"):
            (folder / f"{name}{suffix}").write_bytes((EXAMPLE_PHOTOS / f"{name}{suffix}").read_bytes())
    return folder


def one_line_error(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


def test_a_relative_photo_folder_is_taken_from_the_spec_files_folder(tmp_path):
    copy_examples(tmp_path / "mine")
    result = CliRunner().invoke(app, ["validate", photo_spec(tmp_path, "mine")])
    assert result.exit_code == 0, result.output
    assert "factor variant: photo_open, photo_town" in result.output or "photo_town, photo_open" in result.output


def test_a_missing_photo_folder_is_named(tmp_path):
    assert "does not exist" in one_line_error(["validate", photo_spec(tmp_path, "nowhere")])


def test_a_photo_of_another_size_is_named_with_its_size(tmp_path):
    folder = copy_examples(tmp_path / "mine")
    Image.open(folder / "town.png").resize((640, 192)).save(folder / "town.png")
    line = one_line_error(["validate", photo_spec(tmp_path, "mine")])
    assert "town.png" in line and "640x192" in line


@pytest.mark.parametrize("change, field", [({"camera_height_m": -1.0}, "camera_height_m"),
                                           ({"K": [[1, 2], [3, 4]]}, "K"),
                                           ({"pitch_deg": "steep"}, "pitch_deg"),
                                           ({"exposure": 2}, "exposure")])
def test_bad_calibration_names_the_file_and_the_field(tmp_path, change, field):
    folder = copy_examples(tmp_path / "mine")
    calibration = yaml.safe_load((folder / "town.yaml").read_text(encoding="utf-8"))
    (folder / "town.yaml").write_text(yaml.safe_dump({**calibration, **change}), encoding="utf-8")
    line = one_line_error(["validate", photo_spec(tmp_path, "mine")])
    assert "town.yaml" in line and field in line


def test_a_photo_without_calibration_and_an_empty_folder_are_named(tmp_path):
    folder = copy_examples(tmp_path / "mine")
    (folder / "town.yaml").unlink()
    assert "town" in one_line_error(["validate", photo_spec(tmp_path, "mine")])
    (tmp_path / "empty").mkdir()
    assert "no photos" in one_line_error(["validate", photo_spec(tmp_path, "empty")])


def test_generate_refuses_bad_photos_before_writing_anything(tmp_path):
    (tmp_path / "empty").mkdir()
    one_line_error(["generate", photo_spec(tmp_path, "empty"), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_camera_pose_experiments_cannot_run_on_photos(tmp_path):
    copy_examples(tmp_path / "mine")
    spec = {"include": "camera_pitch.yaml", "name": "pitch_photos", "version": 1,
            "camera": {"width": 320, "height": 96}, "world": {"variants": [{"name": "open"}],
                                                             "background": {"photos": "mine"}}}
    (tmp_path / "pitch.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert "camera pose" in one_line_error(["validate", str(tmp_path / "pitch.yaml")])


def test_the_preview_flags_objects_off_a_photos_road_mask(tmp_path):
    folder = copy_examples(tmp_path / "mine")
    import numpy as np

    mask = np.zeros((96, 320), np.uint8)
    mask[60:, :100] = 255  # road only at the lower left: the car in the ego lane is off it
    Image.fromarray(mask).save(folder / "town.road.png")
    spec = photo_spec(tmp_path, "mine")
    result = CliRunner().invoke(app, ["validate", spec, "--preview", "--sheet", str(tmp_path / "sheet.png")])
    assert result.exit_code == 2
    assert "off_road" in result.output and "photo 'town'" in result.output
    (folder / "town.road.png").unlink()
    result = CliRunner().invoke(app, ["validate", spec, "--preview", "--sheet", str(tmp_path / "sheet.png")])
    assert result.exit_code == 0 and "no issues" in result.output
