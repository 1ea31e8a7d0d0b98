"""The depth-order kind (scenes/spec/depth_order.py, scenes/design/depth_order.py): spec, expansion,
counts, ids, seeds, the overlap solved from the projected silhouettes, and bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scenes.catalog import default_catalog
from scenes.design.depth_order import (FAR_ID, NEAR_ID, _vertices, clip_convex, hidden_fraction, polygon_area,
                                       silhouette)
from scenes.design.kinds import FRAME_COUNTS
from scenes.design.plans import expand
from scenes.errors import SpecError
from scenes.spec.schema import load_spec, parse_spec
from scenes.spec.files import load_raw_spec, resolve_spec_path


def _raw(**experiment):
    raw = load_raw_spec(resolve_spec_path("depth_order"))
    raw["experiment"] = {**raw["experiment"], **experiment}
    return raw


def test_preset_expands_to_its_count_with_unique_ids():
    spec = load_spec("depth_order")
    frames = expand(spec, default_catalog())
    assert len(frames) == FRAME_COUNTS.get("depth_order")(spec, spec.experiment) == 66
    assert len({f.frame_id for f in frames}) == 66
    by_id = {f.frame_id: f for f in frames}
    consistent, reversed_ = by_id["consistent-r2.50-o0.30-trees"], by_id["reversed-r2.50-o0.30-trees"]
    assert consistent.is_reference and not reversed_.is_reference
    assert (consistent.drawn_over, reversed_.drawn_over) == ((), (FAR_ID,))
    assert consistent.objects == reversed_.objects and consistent.seed == reversed_.seed
    assert consistent.factors["drawn_front"] == "near" and reversed_.factors["drawn_front"] == "far"
    alone = by_id["far_alone-r2.50-trees"]
    assert [o.object_id for o in alone.objects] == [FAR_ID] and alone.objects[0] == consistent.objects[1]
    assert math.isnan(alone.factors["overlap"]) and alone.drawn_over == ()
    assert sum(f.is_reference for f in frames) == 30
    red = consistent.objects[1].appearance.paint_rgb  # far_paint_rgb, display sRGB -> linear
    assert red is not None and red[0] > 0.4 and red[1] < 0.05 and consistent.objects[0].appearance.paint_rgb is None


@pytest.mark.parametrize("overlap", [0.0, 0.15, 0.6])
def test_near_object_hides_the_requested_share_of_the_far_silhouette(overlap):
    spec = load_spec("depth_order")
    catalog = default_catalog()
    frame = next(f for f in expand(spec, catalog) if f.frame_id == f"consistent-r3.50-o{overlap:.2f}-open")
    near, far = frame.objects
    assert (near.object_id, far.object_id) == (NEAR_ID, FAR_ID) and near.x_m < far.x_m  # near_side: left
    hulls = [silhouette(p, _vertices(catalog, catalog.get(p.asset)), frame.camera) for p in (near, far)]
    assert hidden_fraction(*hulls) == pytest.approx(overlap, abs=1e-6)


def test_convex_clipping_is_exact_on_squares():
    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    assert polygon_area(clip_convex(square, square + [1.0, 1.0])) == pytest.approx(1.0)
    assert polygon_area(clip_convex(square, square + [3.0, 0.0])) == 0.0
    assert hidden_fraction(square, square + [0.5, 0.0]) == pytest.approx(0.75)


def test_without_far_alone_and_reversed_the_count_follows():
    spec = parse_spec(_raw(conditions=["consistent"], distance_ratio=[2.0], overlap=[0.2, 0.4]))
    frames = expand(spec, default_catalog())
    assert len(frames) == FRAME_COUNTS.get("depth_order")(spec, spec.experiment) == 2 * 2
    assert all(f.is_reference and f.drawn_over == () for f in frames)


@pytest.mark.parametrize("change,field", [
    ({"overlap": [0.7]}, "experiment.overlap"),
    ({"overlap": [0.2, 0.2]}, "experiment.overlap"),
    ({"distance_ratio": [1.0]}, "experiment.distance_ratio"),
    ({"distance_ratio": [1.2]}, "experiment.distance_ratio"),  # B inside A's footprint
    ({"conditions": ["reversed"]}, "experiment.conditions"),
    ({"near_side": "up"}, "experiment.near_side"),
    ({"far_paint_rgb": [1.2, 0.0, 0.0]}, "experiment.far_paint_rgb"),
    ({"near_asset": "no_such_car"}, "experiment.near_asset"),
    ({"near_asset": "car_suv", "far_asset": "car_sedan", "near_distance_m": 4.0, "distance_ratio": [1.3],
      "overlap": [0.6]}, "experiment."),
])
def test_bad_input_is_one_line_naming_the_field(change, field):
    with pytest.raises(SpecError) as caught:
        expand(parse_spec(_raw(**change)), default_catalog())
    message = str(caught.value)
    assert field in message and "\n" not in message


def test_an_overlap_that_cannot_be_reached_names_the_overlap():
    # seen from 8 m up, pitched down 20 degrees, the far car appears above the near one: A hides
    # nothing of B even when aligned with it, and the expander says so
    with pytest.raises(SpecError, match=r"experiment\.overlap: 0\.6 of 'car_suv' cannot be hidden"):
        raw = _raw(near_asset="car_hatchback", far_asset="car_suv", near_distance_m=6.0, distance_ratio=[2.0],
                   overlap=[0.6])
        raw["camera"] = {**raw.get("camera", {}), "height_m": 8.0, "pitch_deg": 20.0}
        expand(parse_spec(raw), default_catalog())


def test_described_levels_list_not_applicable_factors_as_n_a():
    from scenes.design import describe_design

    spec = load_spec("depth_order")
    lines = describe_design(spec, expand(spec, default_catalog()))
    overlap = next(line for line in lines if line.startswith("  factor overlap:"))
    assert overlap == "  factor overlap: 0.0, 0.15, 0.3, 0.45, 0.6, n/a"  # n/a: the far car alone
    assert not any("nan" in line for line in lines)
