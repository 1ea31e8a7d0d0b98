"""The shading analysis (evaluator/analyses/shading.py) recovers planted reliance on the light.

Sun sweep: a planted model whose object estimates move by a known per cent per degree of sun
elevation -> the slope's interval covers it; a lighting-blind model -> the interval covers 0 and
sigma and the rms change are ~0.  Bump versus dent: exact depth of the shipped relief plates
ray-cast on a flat road; a geometry-following model -> sign accuracy 1 under every light; a model
with a light prior (it sees, under the light from behind, the image of the opposite relief) ->
~1 under one light and ~0 under the other, inside the Wilson intervals; a model whose reading
follows the light alone -> accuracy 0.5, the share read as a bump 1 and 0; a relief-blind model
with noise -> the interval covers 0.5.  And the whole path: a synthetic set evaluated with a planted
function model, then re-analysed from the stored predictions, gives the same summary.
"""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import trimesh

from assets import ASSETS_DIR
from evaluator.analyses.base import FrameData, SetContext
from evaluator.analyses.shading import ShadingAnalysis, relief_measure
from evaluator.pipeline.evaluate import analyse_predictions, evaluate_set
from evaluator.results.format import SUMMARY_FILE
from scenes.geometry import SEMANTIC_CLASSES
from scenes.raycast.caster import RayCaster
from tests.synthetic_set import CAMERA, Box, FrameSpec, frame_index, render_spec, write_frames

ROAD = SEMANTIC_CLASSES["road"]
AZIMUTHS = (-120.0, 0.0, 120.0)
ELEVATIONS = (5.0, 25.0, 50.0, 80.0)
DISTANCES = tuple(6.0 + 0.5 * i for i in range(10))
LIGHTS = ("front", "behind")
PLANTED_SLOPE_PCT = 0.2  # per cent per degree of sun elevation


def _context(frames: pd.DataFrame) -> SetContext:
    order = {fid: i for i, fid in enumerate(frames["frame_id"])}
    return SetContext(SimpleNamespace(frames=frames), "median", None, CAMERA, order)


# --- sun sweep: FrameData and an objects table built directly -------------------------------------

def _sweep_frames() -> list[dict]:
    rows = [{"frame_id": f"{s}-ref", "series": s, "sun_azimuth_deg": 0.0, "sun_elevation_deg": 40.0,
             "is_reference": True} for s in ("shading_only", "shadows")]
    rows += [{"frame_id": f"{s}-az{a:g}-el{e:g}", "series": s, "sun_azimuth_deg": a, "sun_elevation_deg": e,
              "is_reference": False} for s in ("shading_only", "shadows") for a in AZIMUTHS for e in ELEVATIONS]
    return [{**r, "experiment": "shading", "part": "sweep", "light": "sweep"} for r in rows]


def run_sweep(slope_pct: float, noise: float, seed: int = 0) -> dict:
    """The analysis' sweep summary for a model whose objects' and road's log estimates move by
    ``slope_pct`` % per degree of elevation in the ``shadows`` series only, plus noise (log sd)."""
    frames = pd.DataFrame(_sweep_frames())
    analysis = ShadingAnalysis(_context(frames))
    rng = np.random.default_rng(seed)
    gt = CAMERA.road_depth_map().astype(np.float64)
    semantic = np.where(np.isfinite(gt), ROAD, SEMANTIC_CLASSES["sky"]).astype(np.uint8)
    objects = []
    for row in frames.itertuples():
        k = slope_pct if row.series == "shadows" else 0.0
        factor = math.exp(k * row.sun_elevation_deg / 100.0)
        depth = (gt * factor * math.exp(noise * rng.standard_normal())).astype(np.float32)
        analysis.add_frame(FrameData(row.frame_id, depth, gt.astype(np.float32), semantic,
                                     np.zeros(gt.shape, np.uint16), CAMERA, np.array([1, 2])))
        for object_id, z in ((1, 10.0), (2, 18.0)):
            objects.append({"frame_id": row.frame_id, "object_id": object_id, "z_true": z,
                            "estimate_m": z * factor * math.exp(noise * rng.standard_normal())})
    return analysis.finish(pd.DataFrame(objects), np.random.default_rng([0, 8])).summary["shading"]


def test_planted_elevation_slope_is_recovered_in_its_series_only():
    summary = run_sweep(PLANTED_SLOPE_PCT, noise=0.01)
    shadows, shading_only = summary["sweep"]["shadows"], summary["sweep"]["shading_only"]
    for key in ("object_slope_pct_per_deg", "road_slope_pct_per_deg"):
        slope = shadows[key]
        assert slope["ci_low"] <= PLANTED_SLOPE_PCT <= slope["ci_high"], slope
        assert slope["ci_low"] > 0.1  # clearly not zero
        assert shading_only[key]["ci_low"] <= 0.0 <= shading_only[key]["ci_high"]
    rms = shadows["objects"]["rms_change_pct"]
    assert rms["value"] > 3.0 and rms["ci_low"] > 1.0  # 0.2 %/deg over 5 ... 80 deg against 40 deg
    assert "depth moves with the light" in summary["verdict_text"]
    assert summary["sweep"]["shadows"]["n_frames"] == 13


def test_lighting_blind_model_has_no_slope_and_no_spread():
    summary = run_sweep(0.0, noise=0.01, seed=1)
    for series in ("shading_only", "shadows"):
        entry = summary["sweep"][series]
        slope = entry["object_slope_pct_per_deg"]
        assert slope["ci_low"] <= 0.0 <= slope["ci_high"], slope
        assert abs(slope["value"]) < 0.05 and slope["n_objects"] == 26
        assert entry["objects"]["sigma_pct"]["value"] < 2.0 and entry["objects"]["rms_change_pct"]["value"] < 2.5
    exact = run_sweep(0.0, noise=0.0)
    assert exact["sweep"]["shadows"]["objects"]["kappa"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert exact["sweep"]["shadows"]["road"]["sigma_pct"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert "lighting-invariant within the intervals" in summary["verdict_text"]


# --- bump versus dent: exact depth of the shipped plates, ray-cast ---------------------------------

def _plate(asset: str, distance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact z-depth and the plate's mask: the relief asset standing ``distance_m`` ahead on a flat road."""
    mesh = trimesh.load(ASSETS_DIR / "meshes" / f"{asset}.glb", force="mesh")
    verts = np.asarray(mesh.vertices, float) + [0.0, distance_m + 1.2, 0.0]
    road = (np.array([[-50.0, -1.0, 0.0], [50.0, -1.0, 0.0], [50.0, 3000.0, 0.0], [-50.0, 3000.0, 0.0]]),
            np.array([[0, 1, 2], [0, 2, 3]]))
    hits = RayCaster([(verts, np.asarray(mesh.faces)), road], "test").cast_image(CAMERA)
    return hits.t, hits.geometry == 0


@pytest.fixture(scope="module")
def plates() -> dict:
    return {(relief, d): _plate(f"relief_{relief}", d) for relief in ("bump", "dent") for d in DISTANCES}


def test_relief_measure_signs_of_the_shipped_plates(plates):
    for (relief, d), (gt, mask) in plates.items():
        true, pred, rows = relief_measure(gt, gt, mask)
        assert rows >= 1 and true == pred
        assert (true < 0) if relief == "bump" else (true > 0), (relief, d, true)


def run_relief(plates: dict, predict) -> dict:
    """The relief summary for ``predict(relief, light, distance, gt, rng) -> depth``."""
    keys = [(relief, light, d) for relief in ("bump", "dent") for light in LIGHTS for d in DISTANCES]
    frames = pd.DataFrame([{"frame_id": f"{r}-{light}-{d}", "experiment": "shading", "part": "relief", "series": "relief", "light": light,
                            "relief": r, "sun_azimuth_deg": 0.0 if light == "front" else 180.0, "sun_elevation_deg": 45.0,
                            "is_reference": False} for r, light, d in keys])
    analysis = ShadingAnalysis(_context(frames))
    rng = np.random.default_rng(5)
    for (relief, light, d), fid in zip(keys, frames["frame_id"]):
        gt, mask = plates[(relief, d)]
        semantic = np.where(mask, SEMANTIC_CLASSES["other_object"], ROAD).astype(np.uint8)
        depth = predict(relief, light, d, gt, rng).astype(np.float32)
        analysis.add_frame(FrameData(fid, depth, gt.astype(np.float32), semantic, mask.astype(np.uint16), CAMERA,
                                     np.array([1])))
    return analysis.finish(pd.DataFrame(), np.random.default_rng([0, 8])).summary["shading"]


def _accuracy(summary: dict, light: str) -> dict:
    return summary["relief"]["lights"][light]["sign_accuracy"]


def test_geometry_following_model_is_right_under_every_light(plates):
    summary = run_relief(plates, lambda relief, light, d, gt, rng: gt)
    for light in LIGHTS:
        acc = _accuracy(summary, light)
        assert acc["value"] == 1.0 and acc["n_frames"] == 20 and acc["ci_low"] > 0.8
    assert "told apart under every light" in summary["verdict_text"]


def test_light_prior_flips_the_relief_under_the_opposite_light(plates):
    def prior(relief, light, d, gt, rng):
        if light == "front":
            return gt
        return plates[("dent" if relief == "bump" else "bump", d)][0]  # the image of the other relief
    summary = run_relief(plates, prior)
    front, behind = _accuracy(summary, "front"), _accuracy(summary, "behind")
    assert front["ci_low"] <= 1.0 <= front["ci_high"] and front["ci_low"] > 0.8
    assert behind["ci_low"] <= 0.0 <= behind["ci_high"] and behind["ci_high"] < 0.2
    assert "light prior" in summary["verdict_text"]


def test_a_reading_set_by_the_light_alone_shows_in_the_share_read_as_a_bump(plates):
    def by_light(relief, light, d, gt, rng):
        return plates[("bump" if light == "front" else "dent", d)][0]  # a bump from the front, a dent from behind
    summary = run_relief(plates, by_light)
    for light, bump_share in (("front", 1.0), ("behind", 0.0)):
        assert _accuracy(summary, light)["ci_low"] <= 0.5 <= _accuracy(summary, light)["ci_high"]
        share = summary["relief"]["lights"][light]["read_as_bump"]
        assert share["value"] == bump_share and share["ci_low"] <= bump_share <= share["ci_high"]
    assert "relief sign set by the light, not the shape" in summary["verdict_text"]
    assert "read as a bump front 1.00" in summary["verdict_text"]


def test_relief_blind_model_is_at_chance(plates):
    def blind(relief, light, d, gt, rng):
        flat = plates[("bump", d)][0].copy()
        flat[plates[("bump", d)][1]] = d + 1.2  # the plate as one flat, noisy surface
        return flat * np.exp(0.02 * rng.standard_normal(flat.shape))
    summary = run_relief(plates, blind)
    overall = summary["relief"]["overall"]
    assert overall["ci_low"] <= 0.5 <= overall["ci_high"], overall
    assert "not told apart" in summary["verdict_text"]


# --- the whole path: evaluate a synthetic set, then re-analyse its stored predictions -------------

def _sweep_specs() -> list[FrameSpec]:
    boxes = (Box(10.0), Box(18.0, x_m=-3.5))
    return [FrameSpec(f["frame_id"], CAMERA, boxes, {k: v for k, v in f.items() if k not in ("frame_id", "is_reference")},
                      f["is_reference"]) for f in _sweep_frames()]


class PlantedSunModel:
    """Exact depth, the objects' scaled by exp(k * elevation / 100) in the shadows series."""

    output_kind = "metric_depth"

    def __init__(self, specs: list[FrameSpec], slope_pct: float) -> None:
        self.layers = [render_spec(s, i)["layers"] for i, s in enumerate(specs)]
        self.factors = [s.factors for s in specs]
        self.slope = slope_pct

    def __call__(self, images: np.ndarray) -> np.ndarray:
        out = []
        for image in images:
            i = frame_index(image)
            layers, f = self.layers[i], self.factors[i]
            k = self.slope if f["series"] == "shadows" else 0.0
            depth = layers["depth"].astype(np.float64).copy()
            depth[layers["instances"] > 0] *= math.exp(k * f["sun_elevation_deg"] / 100.0)
            out.append(depth.astype(np.float32))
        return np.stack(out)


def test_evaluation_and_reuse_of_stored_predictions(tmp_path):
    specs = _sweep_specs()
    root = write_frames(tmp_path / "set", specs)
    out = tmp_path / "out"
    evaluate_set(root, PlantedSunModel(specs, PLANTED_SLOPE_PCT), out, batch_size=8)
    summary = json.loads((out / SUMMARY_FILE).read_text())["shading"]
    slope = summary["sweep"]["shadows"]["object_slope_pct_per_deg"]
    assert slope["value"] == pytest.approx(PLANTED_SLOPE_PCT, rel=1e-3)
    assert abs(summary["sweep"]["shading_only"]["object_slope_pct_per_deg"]["value"]) < 1e-6
    assert (out / "shading_sweep.parquet").is_file() and not (out / "shading_relief.parquet").exists()
    again = analyse_predictions(root, tmp_path / "again", predictions_dir=out / "predictions")
    assert again["shading"]["verdict_text"] == summary["verdict_text"]


def test_no_entry_for_a_set_of_another_kind(tmp_path):
    specs = [FrameSpec("a", CAMERA, (Box(10.0),), {"condition": "x"}, True),
             FrameSpec("b", CAMERA, (Box(12.0),), {"condition": "x"}, False)]
    root = write_frames(tmp_path / "set", specs)
    model = PlantedSunModel([FrameSpec(s.frame_id, CAMERA, s.boxes, {"series": "x", "sun_elevation_deg": 0.0}, True)
                             for s in specs], 0.0)
    evaluate_set(root, model, tmp_path / "out", batch_size=2)
    summary = json.loads((tmp_path / "out" / SUMMARY_FILE).read_text())
    assert "shading" not in summary and not (tmp_path / "out" / "shading_sweep.parquet").exists()


def test_another_kinds_part_column_does_not_make_it_apply():
    frames = pd.DataFrame([{"frame_id": "a", "part": "sweep", "series": "wheels", "sun_azimuth_deg": 0.0,
                            "sun_elevation_deg": 40.0, "is_reference": True}])
    assert not ShadingAnalysis(_context(frames)).applies
    assert ShadingAnalysis(_context(pd.DataFrame(_sweep_frames()))).applies
