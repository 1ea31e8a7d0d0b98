"""End to end: synthetic stimulus set -> evaluate_set -> objects.parquet, summary.json, verdict.

The planted models below read only the image, as a network would: they find the object by its
colour, measure its contact row and height, and predict for it
``k * z_vertical^a * z_size^(1-a)`` times a little seeded multiplicative noise, with the
canonical road depth elsewhere.  They are loaded through the ``module:callable`` path.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from evaluator.errors import AlignmentError, UnknownModelError
from evaluator.results.report import format_summary
from evaluator.pipeline.evaluate import evaluate_set
from evaluator.results.format import SUMMARY_FILE, TABLE_FILES

OBJECTS_FILE = TABLE_FILES["objects"]
from scenes.errors import StimulusSetError
from scenes.formats.stimulus_set import layer_path
from scenes.storage import sha256_file
from tests.synthetic_set import CAMERA, cues_from_mask, frame_index, object_mask, write_synthetic_set

ROAD_DEPTH = CAMERA.road_depth_map()


class PlantedCueModel:
    """Depth over the object = k * z_vertical^a * z_size^(1-a) * noise; road depth elsewhere.

    :param a: weight of vertical position in log space (1 - a goes to size).
    :param noise_sd: standard deviation of the log-normal noise per object.
    :param disparity: if set, return ``disparity / depth`` and declare output kind "disparity".
    :param relative: if set, return ``scale / depth + shift`` as relative inverse depth.
    """

    def __init__(self, a: float, k: float = 1.3, noise_sd: float = 0.03, seed: int = 7,
                 disparity: float | None = None, relative: tuple[float, float] | None = None) -> None:
        self.a, self.k, self.noise_sd, self.seed = a, k, noise_sd, seed
        self.disparity, self.relative = disparity, relative
        if disparity is not None:
            self.output_kind = "disparity"
        if relative is not None:
            self.output_kind = "relative_inverse_depth"

    def depth(self, image: np.ndarray) -> np.ndarray:
        out = ROAD_DEPTH.copy()
        mask = object_mask(image)
        if mask.any():
            cues = cues_from_mask(mask)
            rng = np.random.default_rng([self.seed, frame_index(image)])
            noise = math.exp(self.noise_sd * rng.standard_normal())
            out[mask] = self.k * cues["z_vertical"] ** self.a * cues["z_size"] ** (1 - self.a) * noise
        return out

    def __call__(self, images: np.ndarray) -> np.ndarray:
        depth = np.stack([self.depth(image) for image in images]).astype(np.float32)
        with np.errstate(divide="ignore"):
            if self.disparity is not None:
                return (self.disparity / depth).astype(np.float32)
            if self.relative is not None:
                scale, shift = self.relative
                return (scale / depth + shift).astype(np.float32)
        return depth


planted_mixture = PlantedCueModel(a=0.7)
planted_size = PlantedCueModel(a=0.0)
planted_disparity = PlantedCueModel(a=0.7, disparity=37.0)
planted_relative = PlantedCueModel(a=0.7, relative=(5.0, 0.2))


def wrong_shape(images: np.ndarray) -> np.ndarray:
    """A broken model: returns a channel axis."""
    return np.ones((images.shape[0], 1, *images.shape[1:3]), dtype=np.float32)


def model_name(attr: str) -> str:
    return f"{__name__}:{attr}"


@pytest.fixture(scope="module")
def synthetic_set(tmp_path_factory: pytest.TempPathFactory):
    return write_synthetic_set(tmp_path_factory.mktemp("sets") / "synthetic")


@pytest.fixture(scope="module")
def mixture_result(synthetic_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "mixture"
    return evaluate_set(synthetic_set, model_name("planted_mixture"), out, batch_size=5), out


def test_planted_mixture_recovers_its_weight(mixture_result):
    summary, _ = mixture_result
    vertical, size = summary["cues"]["vertical"], summary["cues"]["size"]
    assert vertical["ci_low"] < 0.7 < vertical["ci_high"]
    assert size["ci_low"] < 0.3 < size["ci_high"]
    assert summary["verdict"] == "vertical"  # 0.7 vs 0.3: difference excludes 0
    assert summary["fit"]["n_objects"] == 63 and summary["fit"]["n_frames"] == 63


def test_summary_and_objects_files(mixture_result, synthetic_set):
    summary, out = mixture_result
    on_disk = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    for key in ("model", "output_kind", "alignment", "n_frames", "n_objects", "n_objects_with_estimate",
                "verdict", "verdict_text", "cues", "single_cue", "joint", "stimulus_set",
                "depthprobe_version", "elapsed_s"):
        assert key in on_disk, key
    assert on_disk["verdict"] == summary["verdict"]
    assert on_disk["stimulus_set"]["spec_hash"] == "synthetic-0001"
    assert on_disk["n_objects_with_estimate"] == 63
    assert set(on_disk["single_cue"]) == {"vertical", "size"}
    assert on_disk["single_cue"]["vertical"]["r2"] > on_disk["single_cue"]["size"]["r2"]
    objects = pd.read_parquet(out / OBJECTS_FILE)
    source = pd.read_parquet(synthetic_set / "objects.parquet")
    assert list(objects.columns[: len(source.columns)]) == list(source.columns)
    assert {"estimate_m", "n_valid_px"} <= set(objects.columns)
    assert (objects["n_valid_px"] > 0).all()


def test_report_lines_name_verdict_and_outputs(mixture_result):
    summary, out = mixture_result
    text = "\n".join(format_summary(summary))
    assert "verdict: vertical" in text
    assert str(out / SUMMARY_FILE) in text
    assert "n = 63 objects in 63 frames" in text


def test_size_only_model_gets_size(synthetic_set, tmp_path):
    summary = evaluate_set(synthetic_set, model_name("planted_size"), tmp_path)
    assert summary["verdict"] == "size"
    assert summary["cues"]["size"]["ci_low"] < 1.0 < summary["cues"]["size"]["ci_high"]
    assert summary["verdict_text"].startswith("Predicted distance follows apparent size")


def test_flat_road_prior_gets_vertical(synthetic_set, tmp_path):
    summary = evaluate_set(synthetic_set, "flat-road", tmp_path)
    assert summary["verdict"] == "vertical"
    assert summary["alignment"]["policy"] == "none"
    # The mask median samples the road depth of the object's middle rows, not its contact
    # row, so a taller object reads farther: the size coefficient comes out negative.
    assert summary["cues"]["size"]["ci_high"] < 0


def test_disparity_model_is_aligned_back(synthetic_set, mixture_result, tmp_path):
    metric, _ = mixture_result
    summary = evaluate_set(synthetic_set, model_name("planted_disparity"), tmp_path, batch_size=16)
    assert summary["output_kind"] == "disparity"
    assert summary["alignment"]["policy"] == "median"
    assert summary["alignment"]["scale"] == pytest.approx(37.0, rel=1e-5)
    assert summary["alignment"]["n_frames"] == 21 and summary["alignment"]["n_px"] > 1000
    assert summary["verdict"] == metric["verdict"]
    assert summary["cues"]["vertical"]["value"] == pytest.approx(metric["cues"]["vertical"]["value"], abs=1e-4)


def test_relative_inverse_depth_model_is_aligned_back(synthetic_set, mixture_result, tmp_path):
    metric, _ = mixture_result
    summary = evaluate_set(synthetic_set, model_name("planted_relative"), tmp_path)
    assert summary["alignment"]["policy"] == "lstsq"
    assert summary["alignment"]["scale"] == pytest.approx(1 / 5.0, rel=1e-3)
    assert summary["alignment"]["shift"] == pytest.approx(-0.2 / 5.0, rel=1e-3)
    assert summary["cues"]["vertical"]["value"] == pytest.approx(metric["cues"]["vertical"]["value"], abs=1e-3)


def test_mean_statistic_is_recorded(synthetic_set, tmp_path):
    summary = evaluate_set(synthetic_set, model_name("planted_mixture"), tmp_path, statistic="mean")
    assert summary["statistic"] == "mean" and summary["verdict"] == "vertical"


def test_natural_condition_only_gives_no_verdict_with_reason(tmp_path):
    root = write_synthetic_set(tmp_path / "natural", conditions=("position_and_size",))
    summary = evaluate_set(root, model_name("planted_mixture"), tmp_path / "out")
    assert summary["verdict"] == "none"
    assert "cannot tell them apart" in summary["verdict_reason"]
    assert summary["cues"] == {"vertical": None, "size": None}
    assert summary["single_cue"]["vertical"]["r2"] > 0.9
    json.loads((tmp_path / "out" / SUMMARY_FILE).read_text(encoding="utf-8"))  # valid JSON, no NaN
    text = "\n".join(format_summary(summary))
    assert "verdict: none. No verdict: the two cues move together" in text
    assert "no joint coefficient" in text


def test_a_model_object_or_callable_can_be_passed_directly(synthetic_set, tmp_path):
    from evaluator.errors import ModelLoadError
    from evaluator.models.flat_road import FlatRoadModel

    summary = evaluate_set(synthetic_set, FlatRoadModel(CAMERA, name="my-prior"), tmp_path)
    assert summary["model"] == "my-prior" and summary["verdict"] == "vertical"
    summary = evaluate_set(synthetic_set, planted_size, tmp_path / "callable")
    assert summary["verdict"] == "size" and summary["model"].endswith(":PlantedCueModel")
    with pytest.raises(ModelLoadError, match="expected a DepthModel"):
        evaluate_set(synthetic_set, 42, tmp_path / "other")


def test_disparity_model_without_reference_frames_fails_before_predicting(tmp_path):
    root = write_synthetic_set(tmp_path / "noref", conditions=("size_only",), distances=(1.0, 2.0))
    with pytest.raises(AlignmentError, match="no reference frames"):
        evaluate_set(root, model_name("planted_disparity"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_depth_file_is_named_and_nothing_is_written(synthetic_set, tmp_path):
    root = write_synthetic_set(tmp_path / "broken", distances=(1.0, 1.5, 2.0))
    missing = layer_path(root, "depth", "size_only_d1.5")
    missing.unlink()
    out = tmp_path / "out"
    with pytest.raises(StimulusSetError, match="size_only_d1.5.npy: file is missing"):
        evaluate_set(root, "flat-road", out)
    assert not (out / SUMMARY_FILE).exists()


@pytest.mark.parametrize("rehash, message", [(False, "does not match its hash"), (True, "cannot be read")])
def test_truncated_png_is_named_and_nothing_is_written(tmp_path, rehash, message):
    root = write_synthetic_set(tmp_path / "broken", distances=(1.0, 2.0))
    png = layer_path(root, "rgb", "position_only_d2.0")
    png.write_bytes(png.read_bytes()[:60])
    if rehash:  # a forger's manifest: the hash passes, the decoder does not
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        manifest["files"][png.relative_to(root).as_posix()] = sha256_file(png)
        (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    earlier = json.dumps({"format": "depthprobe-results", "format_version": 1})  # an earlier run's results
    (out / SUMMARY_FILE).write_text(earlier, encoding="utf-8")
    with pytest.raises(StimulusSetError) as info:
        evaluate_set(root, "flat-road", out)
    assert "position_only_d2.0.png" in str(info.value) and message in str(info.value)
    assert (out / SUMMARY_FILE).read_text(encoding="utf-8") == earlier  # untouched, not overwritten
    assert not (out / OBJECTS_FILE).exists()


def test_every_problem_is_listed(tmp_path):
    root = write_synthetic_set(tmp_path / "broken", distances=(1.0, 2.0))
    layer_path(root, "depth", "size_only_d1.0").unlink()
    layer_path(root, "semantic", "position_only_d2.0").unlink()
    with pytest.raises(StimulusSetError, match="2 problem") as info:
        evaluate_set(root, "flat-road", tmp_path / "out")
    assert "size_only_d1.0.npy" in str(info.value) and "position_only_d2.0.png" in str(info.value)


def test_unknown_model_suggests_close_names(synthetic_set, tmp_path):
    with pytest.raises(UnknownModelError, match="did you mean 'flat-road'"):
        evaluate_set(synthetic_set, "flat_road", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_wrong_output_shape_is_one_clear_line(synthetic_set, tmp_path):
    from evaluator.errors import ModelOutputError

    with pytest.raises(ModelOutputError) as info:
        evaluate_set(synthetic_set, model_name("wrong_shape"), tmp_path / "out", batch_size=4)
    message = str(info.value)
    assert "\n" not in message and "(4, 1, 96, 320)" in message and "(4, 96, 320)" in message


def test_progress_is_reported_per_stage(synthetic_set, tmp_path):
    seen: list[tuple[str, int, int]] = []
    evaluate_set(synthetic_set, model_name("planted_disparity"), tmp_path, batch_size=10,
                 progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert seen[0] == ("align", 10, 21) and ("align", 21, 21) in seen
    assert seen[-1] == ("predict", 63, 63)


@pytest.mark.parametrize("kwargs, error", [({"batch_size": 0}, "batch size"), ({"batch_size": None}, "batch size"),
                                           ({"statistic": "mode"}, "statistic"),
                                           ({"alignment": "per-frame"}, "unknown alignment")])
def test_bad_arguments_fail_before_reading_the_set(tmp_path, kwargs, error):
    from scenes.errors import DepthprobeError

    with pytest.raises(DepthprobeError, match=error):
        evaluate_set(tmp_path / "does-not-exist", "flat-road", tmp_path / "out", **kwargs)
