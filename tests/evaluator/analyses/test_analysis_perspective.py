"""The linear-perspective analysis on synthetic sets with planted models of known reliance.

The set (written without Blender, tests/synthetic_set.py) has the perspective kind's factor
columns: false-vanishing-point frames (the painted vanishing point ``vp_shift_px`` rows above the
horizon; the synthetic road has no paint, only the column) with a box at 8, 12 or 18 m, and
dolly-zoom frames (focal length and distance times r, the same image).  The planted model reads
the frame index from the image and predicts the road of a horizon ``k * vp_shift_px`` rows above
the true one, each object at that road's depth at its contact row (so it follows the painted
horizon by k, horizon and Ponzo alike), or, in the dolly frames, at its true distance (slope 1)
or at the distance its unchanged contact row implies with the spec's camera (slope 0); with
seeded noise on the horizon (rows) and on each object's estimate (log).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from evaluator.analyses.intervals import Estimate
from evaluator.analyses.perspective import PerspectiveAnalysis, label
from evaluator.pipeline.evaluate import analyse_predictions, evaluate_set
from evaluator.results.format import read_results
from evaluator.results.sections.perspective import section
from tests.synthetic_set import CAMERA, Box, FrameSpec, frame_index, object_pixels, pose_specs, write_frames

SHIFTS_PX = (-20.0, -10.0, 0.0, 10.0, 20.0)
DISTANCES_M = (8.0, 12.0, 18.0)
DOLLY_RATIOS = (1.0, 1.5, 2.0, 2.5, 3.0)
DOLLY_DISTANCES_M = (8.0, 12.0)
VARIANTS = ("open", "trees")


def perspective_specs() -> list[FrameSpec]:
    """The kind's design on the synthetic road: per variant, shifts x distances, then the dolly zoom."""
    specs = []
    for variant in VARIANTS:
        for shift in SHIFTS_PX:
            for distance in DISTANCES_M:
                factors = {"experiment": "perspective", "block": "vanishing_point", "vp_shift_px": shift, "dolly_ratio": 1.0,
                           "base_distance_m": distance, "world_variant": variant, "variant": variant}
                specs.append(FrameSpec(f"vp{shift:+.0f}-z{distance:g}-{variant}", CAMERA, (Box(distance),), factors,
                                       is_reference=shift == 0.0))
        for ratio in DOLLY_RATIOS:
            camera = replace(CAMERA, fx=CAMERA.fx * ratio, fy=CAMERA.fy * ratio)
            for distance in DOLLY_DISTANCES_M:
                factors = {"experiment": "perspective", "block": "dolly_zoom", "vp_shift_px": 0.0, "dolly_ratio": ratio,
                           "base_distance_m": distance, "world_variant": variant, "variant": variant}
                specs.append(FrameSpec(f"dolly{ratio:.2f}-z{distance:g}-{variant}", camera, (Box(ratio * distance),),
                                       factors, is_reference=ratio == 1.0))
    return specs


class PlantedPerspectiveModel:
    """Metric depth with a known reliance on the painted vanishing point and in the dolly zoom.

    :param k: how far the believed horizon follows the painted one (1 = fully, 0 = not at all).
    :param dolly_true: dolly frames: objects at their true distance (True) or at the distance
        their contact row implies with the spec's camera (False: follows the constant image).
    :param horizon_noise_px, object_noise: per-frame horizon noise (rows) and per-object log noise.
    """

    def __init__(self, specs: list[FrameSpec], k: float, dolly_true: bool, horizon_noise_px: float = 0.3,
                 object_noise: float = 0.01, seed: int = 0) -> None:
        self.specs, self.k, self.dolly_true = specs, k, dolly_true
        self.horizon_noise_px, self.object_noise, self.seed = horizon_noise_px, object_noise, seed

    def depth(self, image: np.ndarray) -> np.ndarray:
        index = frame_index(image)
        spec = self.specs[index]
        noise = np.random.default_rng([self.seed, index]).standard_normal(2)
        horizon = CAMERA.cy - self.k * spec.factors["vp_shift_px"] + self.horizon_noise_px * noise[0]
        rows = np.arange(CAMERA.height, dtype=float)[:, None] * np.ones((1, CAMERA.width))
        with np.errstate(divide="ignore"):
            out = np.where(rows > horizon, CAMERA.fy * CAMERA.height_m / (rows - horizon), np.inf)
        labels, n = ndimage.label(object_pixels(image))
        for label in range(1, n + 1):
            contact = np.nonzero(labels == label)[0].max()
            if spec.factors["block"] == "dolly_zoom":
                z = spec.boxes[0].z_m if self.dolly_true else CAMERA.fy * CAMERA.height_m / (contact - CAMERA.cy)
            else:
                z = CAMERA.fy * CAMERA.height_m / (contact - horizon)
            out[labels == label] = z * np.exp(self.object_noise * noise[1])
        return out.astype(np.float32)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return np.stack([self.depth(image) for image in images])


@pytest.fixture(scope="module")
def perspective_set(tmp_path_factory):
    specs = perspective_specs()
    return specs, write_frames(tmp_path_factory.mktemp("sets") / "perspective", specs)


def run(tmp_path_factory, perspective_set, **k):
    specs, root = perspective_set
    out = tmp_path_factory.mktemp("out") / "perspective"
    return evaluate_set(root, PlantedPerspectiveModel(specs, **k), out, batch_size=10), out


def interval(entry):
    return entry["ci_low"], entry["ci_high"]


def test_a_model_that_follows_the_paint_and_true_distance_is_recovered(tmp_path_factory, perspective_set):
    summary, _ = run(tmp_path_factory, perspective_set, k=1.0, dolly_true=True)
    section_ = summary["perspective"]
    for key, truth in (("horizon_following", 1.0), ("ponzo_following", 1.0), ("dolly_following", 1.0)):
        low, high = interval(section_[key])
        assert low <= truth <= high and high - low < 0.2, (key, section_[key])
    assert section_["horizon_following"]["n_frames"] == len(VARIANTS) * len(SHIFTS_PX) * len(DISTANCES_M)
    assert section_["dolly_following"]["n_objects"] == len(VARIANTS) * len(DOLLY_RATIOS) * len(DOLLY_DISTANCES_M)
    assert section_["ponzo_log_per_px"]["ci_high"] < 0  # converging lines (shift < 0): the car looks farther
    verdict = section_["verdict_text"]
    assert verdict.startswith("the implied horizon follows the painted vanishing point: 1.00 [")
    assert "a full Ponzo effect" in verdict and "the estimate follows true distance" in verdict


def test_a_geometry_only_model_shows_no_reliance(tmp_path_factory, perspective_set):
    summary, _ = run(tmp_path_factory, perspective_set, k=0.0, dolly_true=False)
    section_ = summary["perspective"]
    for key in ("horizon_following", "ponzo_following", "dolly_following", "ponzo_log_per_px"):
        low, high = interval(section_[key])
        assert low <= 0.0 <= high, (key, section_[key])
    assert not interval(section_["dolly_following"])[0] <= 1.0 <= interval(section_["dolly_following"])[1]
    verdict = section_["verdict_text"]
    assert verdict.startswith("the implied horizon stays at the true horizon: 0.00 [")
    assert "no Ponzo effect" in verdict and "the estimate follows the constant image:" in verdict


def test_partial_following_and_the_stored_predictions_path(tmp_path_factory, perspective_set):
    summary, out = run(tmp_path_factory, perspective_set, k=0.5, dolly_true=True)
    low, high = interval(summary["perspective"]["horizon_following"])
    assert low <= 0.5 <= high and high < 1.0
    assert summary["perspective"]["verdict_text"].startswith("the implied horizon partly follows")
    again = analyse_predictions(perspective_set[1], tmp_path_factory.mktemp("again") / "out",
                                predictions_dir=out / "predictions")
    assert again["perspective"]["horizon_following"] == summary["perspective"]["horizon_following"]
    built = section(read_results(out))
    assert built is not None and built.name == "perspective" and len(built.rows) == 5 and built.figure is not None
    assert built.verdict == summary["perspective"]["verdict_text"]


def test_other_sets_get_no_perspective_entry(tmp_path_factory):
    specs = pose_specs("pitch_deg", (-1.0, 0.0, 1.0), variants=("open",))
    root = write_frames(tmp_path_factory.mktemp("sets") / "pose", specs)
    out = tmp_path_factory.mktemp("out") / "pose"
    summary = evaluate_set(root, PlantedPerspectiveModel([replace(s, factors={**s.factors, "vp_shift_px": 0.0,
                                                                             "block": "x"}) for s in specs],
                                                         k=0.0, dolly_true=False), out)
    assert "perspective" not in summary
    assert not (out / "perspective.parquet").exists() and section(read_results(out)) is None
    assert PerspectiveAnalysis.stream == 9 and PerspectiveAnalysis.name == "perspective"


@pytest.mark.parametrize("low,high,expected", [(0.95, 1.05, "full"), (0.5, 1.2, "full"), (-0.05, 0.05, "none"),
                                               (-0.3, 0.4, "none"), (0.3, 0.6, "partial"), (-0.6, -0.3, "reversed"),
                                               (-0.5, 1.5, "unclear"), (float("nan"), float("nan"), None)])
def test_labels_of_a_following_fraction(low, high, expected):
    assert label(Estimate((low + high) / 2, low, high, 10, "ols-hc3-t")) == expected
