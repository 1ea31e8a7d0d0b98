"""The texture analysis on synthetic sets with planted models (no Blender).

The set (tests/synthetic_set.py's ray-cast boxes on a flat road, frames of the ``texture`` kind):
road frames under the world, screen and reversed mappings with a box at d·Z0, d = 1 ... 3, in
two world variants; detail frames (a box at 15 m with detail scales 0.25 ... 4) and conflict
pairs (10 m and 20 m) in five variants.  The planted model reads the frame index from the image:

* ``texture-reading``: its road depth is ``z_ref (z / z_ref)^s`` with ``s`` = 1 (world), 0.5
  (screen), 0.2 (reversed), and each box's depth is ``z exp(c log2 detail)`` with c = 0.15;
* ``texture-blind``: true depth everywhere;

both with seeded per-pixel (2 %) and per-object (3 %) log-normal noise.  The analysis must
recover the slopes, their differences and c inside its intervals, and give intervals covering
0 for the blind model.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from evaluator.analyses.texture import TextureAnalysis
from evaluator.pipeline.evaluate import analyse_predictions, evaluate_set
from evaluator.results.format import TABLE_FILES
from evaluator.results.store import PREDICTIONS_DIR
from tests.synthetic_set import CAMERA, Box, FrameSpec, frame_index, position_vs_size_specs, raycast_box, write_frames

SLOPES = {"world": 1.0, "screen": 0.5, "reversed": 0.2}
DETAIL_COEFFICIENT = 0.15
Z_REF_M, Z0_M = 10.0, 8.0
DISTANCES = (1.0, 1.5, 2.0, 2.5, 3.0)
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
NAN = float("nan")


def _box(z_m: float, x_m: float, **columns) -> Box:
    base = {"part": "road", "road_mapping": "none", "relative_distance": NAN, "detail_scale": NAN, "pair": "none",
            "role": "single"}
    return Box(z_m, x_m=x_m, columns={**base, **columns})


def texture_specs() -> list[FrameSpec]:
    specs = []
    for variant in ("a", "b"):
        for mapping in SLOPES:
            for d in DISTANCES:
                box = _box(d * Z0_M, -3.5, road_mapping=mapping, relative_distance=d, base_variant=variant)
                specs.append(FrameSpec(f"road_{mapping}-d{d:.2f}-{variant}", CAMERA, (box,),
                                       {"experiment": "texture", "part": "road", "road_mapping": mapping,
                                        "relative_distance": d, "base_variant": variant,
                                        "variant": f"{variant}_{mapping}"}, mapping == "world"))
    for variant in ("a", "b", "c", "d", "e"):
        frame = {"experiment": "texture", "road_mapping": "none", "base_variant": variant, "variant": variant}
        for s in SCALES:
            box = _box(15.0, 0.0, part="detail", detail_scale=s, base_variant=variant)
            specs.append(FrameSpec(f"detail-s{s:g}-{variant}", CAMERA, (box,), {**frame, "part": "detail"}, s == 1.0))
        for pair, (near, far) in {"coarse_near": (0.25, 4.0), "fine_near": (4.0, 0.25)}.items():
            boxes = (_box(10.0, -1.9, part="conflict", detail_scale=near, pair=pair, role="near", base_variant=variant),
                     _box(20.0, 1.9, part="conflict", detail_scale=far, pair=pair, role="far", base_variant=variant))
            specs.append(FrameSpec(f"conflict_{pair}-{variant}", CAMERA, boxes, {**frame, "part": "conflict"}, False))
    return specs


class PlantedTextureModel:
    """Depth of a network that reads (``reads=True``) or ignores the texture cues (module docstring)."""

    def __init__(self, specs: list[FrameSpec], reads: bool, seed: int = 0) -> None:
        self.specs, self.reads, self.seed = specs, reads, seed

    def depth(self, image: np.ndarray) -> np.ndarray:
        index = frame_index(image)
        spec = self.specs[index]
        rng = np.random.default_rng([self.seed, index])
        road = true_road = CAMERA.road_depth_map().astype(np.float64)
        if self.reads and spec.factors["part"] == "road":
            road = Z_REF_M * (road / Z_REF_M) ** SLOPES[spec.factors["road_mapping"]]
        out = road * np.exp(0.02 * rng.standard_normal(road.shape))
        for box in spec.boxes:
            z = raycast_box(CAMERA, box)
            hit = z < true_road  # the box hides the road behind it
            detail = box.columns["detail_scale"]
            factor = math.exp(DETAIL_COEFFICIENT * math.log2(detail)) if self.reads and math.isfinite(detail) else 1.0
            out[hit] = z[hit] * factor * math.exp(0.03 * rng.standard_normal())
        return out.astype(np.float32)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return np.stack([self.depth(image) for image in images])


@pytest.fixture(scope="module")
def texture_set(tmp_path_factory):
    specs = texture_specs()
    return specs, write_frames(tmp_path_factory.mktemp("sets") / "texture", specs)


def _evaluate(texture_set, tmp_path_factory, reads: bool):
    specs, root = texture_set
    out = tmp_path_factory.mktemp("out") / ("reads" if reads else "blind")
    return evaluate_set(root, PlantedTextureModel(specs, reads), out, batch_size=8)["texture"], out


@pytest.fixture(scope="module")
def reading(texture_set, tmp_path_factory):
    return _evaluate(texture_set, tmp_path_factory, reads=True)


@pytest.fixture(scope="module")
def blind(texture_set, tmp_path_factory):
    return _evaluate(texture_set, tmp_path_factory, reads=False)


def _covers(entry, truth):
    return entry["ci_low"] <= truth <= entry["ci_high"]


def test_planted_slopes_are_recovered(reading):
    section, out = reading
    slopes, differences = section["road"]["slopes"], section["road"]["slope_differences"]
    for mapping, truth in SLOPES.items():
        assert _covers(slopes[mapping], truth), (mapping, slopes[mapping])
        assert slopes[mapping]["ci_high"] - slopes[mapping]["ci_low"] < 0.2
    for mapping in ("screen", "reversed"):
        assert _covers(differences[mapping], SLOPES[mapping] - 1.0) and differences[mapping]["ci_high"] < 0
    assert section["verdict"] == "texture_gradient"
    assert section["verdict_text"].startswith("road depth follows the texture gradient")
    rows = pd.read_parquet(out / "texture_rows.parquet")
    assert set(rows["mapping"]) == set(SLOPES) and (rows["n_frames"] == 2 * len(DISTANCES)).all()
    assert slopes["world"]["n_rows"] == len(rows) and slopes["world"]["method"] == "ols-hc3-t"


def test_planted_detail_coefficient_is_recovered(reading):
    detail = reading[0]["detail"]
    assert _covers(detail["coefficient"], DETAIL_COEFFICIENT) and detail["coefficient"]["ci_low"] > 0
    assert detail["coefficient"]["n_objects"] == 5 * (len(SCALES) + 4)
    assert _covers(detail["distance_coefficient"], 1.0)
    # near coarse (x0.25: read nearer) and far fine (x4: read farther) stretch the pair apart
    ratios = detail["far_over_near"]
    assert ratios["coarse_near"]["value"] > 2.0 * math.exp(3 * DETAIL_COEFFICIENT) * 0.9
    assert ratios["fine_near"]["value"] < ratios["coarse_near"]["value"]
    # coarse x0.25 near and fine x4 far against the swap: 4 doublings each way, so exp(2 * 4 c)
    assert _covers(ratios["coarse_minus_fine"], math.exp(8 * DETAIL_COEFFICIENT))
    assert ratios["coarse_minus_fine"]["n_pairs"] == 10 and ratios["coarse_minus_fine"]["method"] == "ols-hc3-t"


def test_blind_model_intervals_cover_zero(blind):
    section, _ = blind
    for mapping in ("screen", "reversed"):
        assert _covers(section["road"]["slope_differences"][mapping], 0.0)
        assert _covers(section["road"]["object_ratio_vs_world"][mapping], 1.0)
        assert _covers(section["road"]["horizon_shift_vs_world_px"][mapping], 0.0)
    assert _covers(section["detail"]["coefficient"], 0.0)
    assert _covers(section["detail"]["far_over_near"]["coarse_minus_fine"], 1.0)
    assert section["verdict"] == "no_texture_gradient"
    assert "n = " in section["verdict_text"] and "per doubling of detail" in section["verdict_text"]


def test_texture_frames_table_has_the_implied_horizon(blind):
    _, out = blind
    frames = pd.read_parquet(out / "texture_frames.parquet")
    assert len(frames) == 2 * len(SLOPES) * len(DISTANCES)
    # the blind model's road is the true road: its implied horizon is the true one
    assert np.allclose(frames["horizon_shift_px"], 0.0, atol=1.0)


def test_other_sets_get_no_texture_section(tmp_path):
    specs = position_vs_size_specs(variants=("open",), distances=(1.0, 2.0))
    root = write_frames(tmp_path / "pvs", specs)
    summary = evaluate_set(root, lambda images: np.stack([CAMERA.road_depth_map()] * len(images)), tmp_path / "out")
    assert "texture" not in summary
    assert not (tmp_path / "out" / "texture_rows.parquet").exists()
    assert TextureAnalysis.stream == 7 and TextureAnalysis.name == "texture"


def test_stored_predictions_rerun_gives_the_same_section(texture_set, reading, tmp_path):
    _, root = texture_set
    section, out = reading
    again = analyse_predictions(root, tmp_path / "again", predictions_dir=out / PREDICTIONS_DIR, seed=0)
    assert again["predictions"]["reused"] is True
    assert json.dumps(again["texture"], sort_keys=True) == json.dumps(section, sort_keys=True)
    for name in ("texture_rows", "texture_frames"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / TABLE_FILES[name]),
                                      pd.read_parquet(tmp_path / "again" / TABLE_FILES[name]))
