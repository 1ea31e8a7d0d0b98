"""Corruption robustness (evaluator/analyses/robustness.py): RoboDepth's mRR and mCE on their own
published numbers, and the analysis on a synthetic robustness set with a planted model.

The planted model reads the frame index from the image; on a frame of severity s it predicts
the true depth times (1 + K s) (so Abs Rel is about K s and delta1 drops to 0 from K s >= 0.25),
and gives each object the distance one cue implies -- vertical position, except under noise at
severity >= 2, where it switches to apparent size (a planted cue switch).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluator.analyses.robustness import (corruption_errors, depth_estimation_error, dee_matrix,
                                           resilience_rates)
from evaluator.pipeline.evaluate import evaluate_set
from evaluator.results.format import read_results
from scenes.formats.stimulus_set import open_stimulus_set
from tests.synthetic_set import CAMERA, FrameSpec, frame_index, position_vs_size_specs, write_frames

# RoboDepth KITTI-C (github.com/ldkong1205/RoboDepth README and docs/results/kitti_c): DEE_2 per
# corruption (averaged over the 5 severities) of CADepth (mono, 640x192) and of the baseline
# MonoDepth2-R18 (mono), with their published mCE and mRR.
ROBODEPTH_ORDER = ("brightness", "dark", "fog", "frost", "snow", "contrast", "defocus_blur", "glass_blur",
                   "motion_blur", "zoom_blur", "elastic_transform", "color_quant", "gaussian_noise", "impulse_noise",
                   "shot_noise", "iso_noise", "pixelate", "jpeg_compression")
CADEPTH = (0.108, (0.121, 0.300, 0.142, 0.324, 0.529, 0.193, 0.356, 0.347, 0.285, 0.208, 0.121, 0.192, 0.423,
                   0.433, 0.383, 0.448, 0.144, 0.195))
MONODEPTH2 = (0.119, (0.130, 0.280, 0.155, 0.277, 0.511, 0.187, 0.244, 0.242, 0.216, 0.201, 0.129, 0.193, 0.384,
                      0.389, 0.340, 0.388, 0.145, 0.196))


def frames_table(model: tuple[float, tuple[float, ...]], n_base: int = 1, by_severity=None) -> pd.DataFrame:
    """A robustness_frames table whose cell means are the given DEE (each severity the corruption's
    value, or ``by_severity(name, s)``), for ``n_base`` identical base frames."""
    clean, values = model
    rows = []
    for b in range(n_base):
        rows.append({"frame_id": f"clean-{b}", "base_frame_id": f"b{b}", "corruption": "clean", "severity": 0,
                     "dee": clean})
        for name, value in zip(ROBODEPTH_ORDER, values or [None] * len(ROBODEPTH_ORDER)):
            for s in range(1, 6):
                dee = by_severity(name, s) if by_severity else value
                rows.append({"frame_id": f"{name}-s{s}-{b}", "base_frame_id": f"b{b}", "corruption": name,
                             "severity": s, "dee": dee})
    return pd.DataFrame(rows)


def test_dee_is_robodepths_second_error():
    # CADepth clean: Abs Rel 0.107, delta1 0.890 -> DEE_2 0.108 (RoboDepth's table)
    assert depth_estimation_error(0.107, 0.890) == pytest.approx(0.1085)


def test_mrr_and_mce_reproduce_robodepths_published_numbers():
    assert resilience_rates(frames_table(CADEPTH), None)["mrr"].value == pytest.approx(0.8007, abs=5e-5)
    assert resilience_rates(frames_table(MONODEPTH2), None)["mrr"].value == pytest.approx(0.8446, abs=5e-5)
    errors = corruption_errors(frames_table(CADEPTH), frames_table(MONODEPTH2))
    assert errors["mce"].value == pytest.approx(1.1011, abs=5e-5)
    # per corruption, e.g. brightness 0.121 / 0.130 = 0.931 (RoboDepth's CE_2 row)
    assert errors["corruptions"]["brightness"].value == pytest.approx(0.931, abs=5e-4)
    assert errors["corruptions"]["defocus_blur"].value == pytest.approx(1.459, abs=5e-4)
    assert corruption_errors(frames_table(MONODEPTH2), frames_table(MONODEPTH2))["mce"].value == pytest.approx(1.0)


def test_rates_on_made_up_numbers_follow_the_formulas():
    """DEE(c, s) = 0.1 + 0.02 s c_index, clean 0.1: RR_c = sum_s (1 - DEE) / (5 (1 - 0.1)),
    CE_c against a baseline of half the error above clean."""
    def model(name, s):
        return 0.1 + 0.02 * s * (1 + ROBODEPTH_ORDER.index(name) % 3)

    def baseline(name, s):
        return 0.1 + 0.01 * s * (1 + ROBODEPTH_ORDER.index(name) % 3)

    table = frames_table((0.1, ()), by_severity=model)
    rates = resilience_rates(table, None)
    for name in ROBODEPTH_ORDER:
        expected = sum(1 - model(name, s) for s in range(1, 6)) / (5 * 0.9)
        assert rates["corruptions"][name].value == pytest.approx(expected)
        ce = corruption_errors(table, frames_table((0.1, ()), by_severity=baseline))["corruptions"][name].value
        assert ce == pytest.approx(sum(model(name, s) for s in range(1, 6)) / sum(baseline(name, s) for s in range(1, 6)))
    assert rates["mrr"].value == pytest.approx(np.mean([rates["corruptions"][n].value for n in ROBODEPTH_ORDER]))


def test_intervals_come_from_base_frames_and_need_five():
    rng = np.random.default_rng(0)
    few = resilience_rates(frames_table(CADEPTH, n_base=4), rng)["mrr"]
    assert np.isnan(few.ci_low) and few.n == 4
    table = frames_table(CADEPTH, n_base=8)
    table["dee"] = table["dee"] * np.exp(rng.normal(0, 0.05, len(table)))
    found = resilience_rates(table, np.random.default_rng(1))["mrr"]
    assert found.ci_low < found.value < found.ci_high and found.n == 8 and found.unit == "base_frames"
    assert dee_matrix(table).shape == (8, 1 + 18 * 5)


CORRUPTIONS = (("gaussian_noise", "noise"), ("defocus_blur", "blur"))
SEVERITIES = (1, 2, 3)
K = 0.1


def robustness_specs() -> list[FrameSpec]:
    specs = []
    for base in position_vs_size_specs(variants=("open",), distances=(1.0, 1.5, 2.0, 3.0)):
        levels = [("clean", "clean", 0)] + [(c, f, s) for c, f in CORRUPTIONS for s in SEVERITIES]
        for corruption, family, severity in levels:
            fid = f"clean-{base.frame_id}" if severity == 0 else f"{corruption}-s{severity}-{base.frame_id}"
            factors = {**base.factors, "corruption": corruption, "corruption_family": family, "severity": severity,
                       "base_frame_id": base.frame_id}
            specs.append(FrameSpec(fid, base.camera, base.boxes, factors, base.is_reference and severity == 0))
    return specs


class PlantedCorruptionModel:
    """See the module docstring."""

    output_kind = "metric_depth"

    def __init__(self, root, k: float = K) -> None:
        self.set = open_stimulus_set(root)
        self.frames = self.set.frames.set_index("frame_id")
        self.objects = self.set.objects.set_index("frame_id")
        self.ids = list(self.set.frames["frame_id"])
        self.k = k

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return np.stack([self.depth(image) for image in images]).astype(np.float32)

    def depth(self, image: np.ndarray) -> np.ndarray:
        index = frame_index(image)
        fid = self.ids[index]
        level = self.frames.loc[fid]
        depth = self.set.depth(fid).astype(np.float64)
        depth[~np.isfinite(depth)] = 1000.0
        obj = self.objects.loc[fid]
        switch = level["corruption"] == "gaussian_noise" and level["severity"] >= 2
        cue = obj["z_size"] if switch else obj["z_vertical"]
        noise = np.exp(0.02 * np.random.default_rng(index).standard_normal())
        depth[self.set.instances(fid) == 1] = cue * noise
        return depth * (1 + self.k * level["severity"])


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = write_frames(tmp_path_factory.mktemp("robust") / "set", robustness_specs(), CAMERA)
    out = tmp_path_factory.mktemp("robust") / "out"
    summary = evaluate_set(root, PlantedCorruptionModel(root), out, batch_size=12)
    return root, out, summary


def test_the_analysis_reports_error_by_corruption_and_severity(evaluated):
    root, out, summary = evaluated
    cells = pd.read_parquet(out / "robustness.parquet")
    frames = pd.read_parquet(out / "robustness_frames.parquet")
    assert len(frames) == 12 * 7 and set(frames["base_frame_id"]) == set(open_stimulus_set(root).frames["base_frame_id"])
    assert list(cells["corruption"])[0] == "clean" and len(cells) == 7
    for name, _ in CORRUPTIONS:
        part = cells[cells["corruption"] == name].sort_values("severity")
        assert list(part["severity"]) == list(SEVERITIES) and np.all(np.diff(part["dee"]) > 0)
        assert np.all(part["abs_rel"].between(0.9 * K * part["severity"], 1.1 * K * part["severity"] + 0.02))
        assert list(part["a1"] > 0.9) == [True, True, False]  # 1.1, 1.2 < 1.25 <= 1.3
        assert np.all((part["dee_ci_low"] <= part["dee"]) & (part["dee"] <= part["dee_ci_high"]))
    clean = cells[cells["corruption"] == "clean"].iloc[0]
    assert clean["dee"] < 0.05 and clean["n_frames"] == 12


def test_resilience_rates_in_the_summary_follow_the_cell_table(evaluated):
    _, out, summary = evaluated
    section = summary["robustness"]
    cells = pd.read_parquet(out / "robustness.parquet")
    clean = section["clean"]["dee"]
    for name, family in CORRUPTIONS:
        dee = cells.loc[cells["corruption"] == name, "dee"]
        rr = section["corruptions"][name]["resilience_rate"]
        assert rr["value"] == pytest.approx((1 - dee).sum() / (len(dee) * (1 - clean)))
        assert rr["ci_low"] < rr["value"] < rr["ci_high"] and rr["n_base_frames"] == 12
        assert section["corruptions"][name]["family"] == family and family in section["families"]
    assert section["mrr"]["value"] == pytest.approx(np.mean(
        [section["corruptions"][n]["resilience_rate"]["value"] for n, _ in CORRUPTIONS]))


def test_a_planted_cue_switch_is_found(evaluated):
    _, out, summary = evaluated
    cells = pd.read_parquet(out / "robustness.parquet").set_index(["corruption", "severity"])
    assert cells.loc[("clean", 0), "verdict"] == "vertical"
    assert cells.loc[("clean", 0), "cue_vertical_ci_low"] > 0.9
    assert cells.loc[("defocus_blur", 3), "verdict"] == "vertical"
    for s in (2, 3):
        assert cells.loc[("gaussian_noise", s), "verdict"] == "size"
        assert cells.loc[("gaussian_noise", s), "cue_size_ci_low"] > 0.9
    switches = {(c["corruption"], c["severity"]) for c in summary["robustness"]["cue_switches"]}
    assert switches == {("gaussian_noise", 2), ("gaussian_noise", 3)}


def test_corruption_errors_of_two_evaluations(evaluated, tmp_path):
    root, out, _ = evaluated
    other = tmp_path / "baseline"
    evaluate_set(root, PlantedCorruptionModel(root, k=0.05), other, batch_size=12)
    model, baseline = read_results(out), read_results(other)
    errors = corruption_errors(model, baseline, np.random.default_rng(0))
    mine = model.table("robustness").set_index("corruption")
    theirs = baseline.table("robustness").set_index("corruption")
    for name, _ in CORRUPTIONS:
        expected = mine.loc[name, "dee"].sum() / theirs.loc[name, "dee"].sum()
        assert errors["corruptions"][name].value == pytest.approx(expected)
        assert errors["corruptions"][name].value > 1  # twice the scale error
    assert errors["mce"].ci_low <= errors["mce"].value <= errors["mce"].ci_high and errors["n_base_frames"] == 12


def test_a_set_without_corruptions_has_no_robustness_section(tmp_path):
    specs = position_vs_size_specs(variants=("open",), distances=(1.0, 2.0))
    root = write_frames(tmp_path / "plain", specs, CAMERA)

    def predict(images):
        return np.full(images.shape[:3], 10.0, np.float32)

    summary = evaluate_set(root, predict, tmp_path / "out")
    assert summary["robustness"] is None and not (tmp_path / "out" / "robustness.parquet").exists()


def test_pose_following_is_reported_per_corruption(tmp_path):
    """A camera-pitch base: a network that follows the pitch fully on clean frames and not at all
    under fog (it predicts the canonical camera's road) gives pitch following 1 and 0 per cell."""
    from tests.evaluator.analyses.test_analysis_pose import PITCH_LEVELS, PlantedPoseModel
    from tests.synthetic_set import pose_specs

    specs = []
    for base in pose_specs("pitch_deg", PITCH_LEVELS, variants=("open",)):
        for corruption, severity in (("clean", 0), ("fog", 1), ("fog", 2)):
            fid = f"clean-{base.frame_id}" if severity == 0 else f"{corruption}-s{severity}-{base.frame_id}"
            factors = {**base.factors, "corruption": corruption, "severity": severity,
                       "corruption_family": "clean" if severity == 0 else "weather", "base_frame_id": base.frame_id}
            specs.append(FrameSpec(fid, base.camera, base.boxes, factors, base.is_reference and severity == 0))
    root = write_frames(tmp_path / "set", specs, CAMERA)
    follows, ignores = PlantedPoseModel(specs, pitch=1.0), PlantedPoseModel(specs, pitch=0.0)

    def predict(images):
        out = [(ignores if specs[frame_index(image)].factors["severity"] else follows).depth(image) for image in images]
        return np.stack(out).astype(np.float32)

    evaluate_set(root, predict, tmp_path / "out", batch_size=9)
    cells = pd.read_parquet(tmp_path / "out" / "robustness.parquet").set_index(["corruption", "severity"])
    assert "pitch_following" in cells.columns and "roll_following" not in cells.columns
    assert cells.loc[("clean", 0), "pitch_following_ci_low"] < 1 < cells.loc[("clean", 0), "pitch_following_ci_high"]
    for severity in (1, 2):
        row = cells.loc[("fog", severity)]
        assert row["pitch_following_ci_low"] < 0 < row["pitch_following_ci_high"] and row["n_frames"] == 9


def test_corruption_errors_refuse_what_cannot_be_compared(evaluated, tmp_path):
    from evaluator.errors import EvaluationArgumentError

    _, out, _ = evaluated
    plain = write_frames(tmp_path / "plain", position_vs_size_specs(variants=("open",), distances=(1.0, 2.0)), CAMERA)
    evaluate_set(plain, lambda images: np.full(images.shape[:3], 10.0, np.float32), tmp_path / "plain-out")
    with pytest.raises(EvaluationArgumentError, match="no robustness_frames table"):
        corruption_errors(read_results(out), read_results(tmp_path / "plain-out"))
    other = frames_table(CADEPTH)
    with pytest.raises(EvaluationArgumentError, match="share no corrupted frames"):
        corruption_errors(read_results(out), other)
