"""Designs on photographs (scenes/design/photos.py) and compositing (scenes/photos/compositing.py):
pure Python, on the shipped example photos."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from scenes.catalog import default_catalog
from scenes.geometry.colour import linear_to_srgb, srgb_to_linear
from scenes.photos.compositing import composite_over_photo
from scenes.design.plans import expand
from scenes.design.records import frame_record
from scenes.design.photos import variant_name
from scenes.spec.schema import VariantSpec, load_spec
from tests.bad_input.cases_photos import EXAMPLE_PHOTOS


@pytest.fixture(scope="module")
def spec():
    return load_spec("position_vs_size_photos")


def test_every_render_gets_one_photo_drawn_from_the_seed_and_balanced(spec):
    plans = expand(spec, default_catalog())
    assert len(plans) == 63 and all(p.frame_id.endswith("-photo") for p in plans)
    uses = Counter(p.variant.photo for p in plans)
    assert len(uses) == 6 and max(uses.values()) - min(uses.values()) <= 1
    again = expand(spec, default_catalog())
    assert [p.variant.photo for p in again] == [p.variant.photo for p in plans]
    other = expand(spec.model_copy(update={"seed": spec.seed + 1}), default_catalog())
    assert [p.variant.photo for p in other] != [p.variant.photo for p in plans]


def test_a_frame_takes_its_photos_camera_and_records_the_photo(spec):
    plan = expand(spec, default_catalog())[0]
    row = frame_record(plan, spec.experiment.kind, spec.camera.to_camera(), spec.world)
    assert row["photo_id"] == plan.variant.photo and row["variant"] == f"photo_{plan.variant.photo}"
    assert plan.camera.fx == pytest.approx(185.90343317230273) and plan.camera.height_m == 1.65
    assert row["sun_elevation_deg"] == plan.variant.sun.elevation_deg


def test_each_puts_the_whole_design_on_every_photo(spec):
    background = spec.world.background.model_copy(update={"assign": "each"})
    each = spec.model_copy(update={"world": spec.world.model_copy(update={"background": background})})
    plans = expand(each, default_catalog())
    assert len(plans) == 63 * 6
    assert Counter(p.variant.photo for p in plans) == {name: 63 for name in
                                                        ("avenue", "evening", "open", "suburb", "town", "village")}


def test_variant_names_are_safe_short_and_unique():
    taken: set[str] = set()
    long_id = "2011_09_26/2011_09_26_drive_0001_sync/image_02/data/0000000005"
    names = [variant_name(i, taken) for i in (long_id, "Town", "town", "a b")]
    assert names[1:] == ["photo_town", "photo_town_2", "photo_a_b"]
    assert len(names[0]) <= 64 and names[0].endswith(names[0][-8:]) and names[0].startswith("photo_")


def test_srgb_round_trips_and_compositing_multiplies_light():
    values = np.linspace(0, 1, 256)
    assert np.allclose(linear_to_srgb(srgb_to_linear(values)), values, atol=1e-12)
    photo = np.full((2, 3, 3), 200, np.uint8)
    render = np.zeros((2, 3, 4), np.uint8)
    render[0, 0] = (10, 20, 30, 255)  # the object: its own colour
    render[0, 1, 3] = 128  # a shadow of opacity 0.5: half the light, in linear light
    out = composite_over_photo(render, photo)
    assert tuple(out[0, 0]) == (10, 20, 30)
    expected = np.rint(linear_to_srgb(0.5 * (1 - 127 / 255) * 0 + (1 - 128 / 255) * srgb_to_linear(200 / 255)) * 255)
    assert out[0, 1, 0] == expected
    assert (out[1] == 200).all()  # no alpha: the photo as it was
    with pytest.raises(ValueError):
        composite_over_photo(render[..., :3], photo)


# ------------------------------------------------------------------ where a spec's photos are, and their identity


def write_yaml(path, body: dict) -> str:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return str(path)


def test_the_photos_preset_included_from_another_folder_keeps_its_own_photos(tmp_path):
    """Its ``photos: ../../assets/example_photos`` is relative to the preset, not to the spec."""
    from scenes.spec.files import PRESETS_DIR

    spec = load_spec(write_yaml(tmp_path / "mine.yaml", {"include": "position_vs_size_photos.yaml", "name": "mine"}))
    assert spec.world.background.photos == str((PRESETS_DIR / "../../assets/example_photos").resolve())
    assert len(expand(spec, default_catalog())) == 63


def test_a_relative_photos_path_is_taken_from_the_folder_of_the_file_that_declares_it(tmp_path):
    write_yaml(tmp_path / "parts" / "on_photos.yaml",
                          {"include": "position_vs_size_photos.yaml", "world": {"background": {"photos": "pics"}}})
    top = write_yaml(tmp_path / "top.yaml", {"include": "parts/on_photos.yaml", "name": "top"})
    assert load_spec(top).world.background.photos == str(tmp_path.resolve() / "parts" / "pics")
    overriding = write_yaml(tmp_path / "over.yaml", {"include": "parts/on_photos.yaml", "name": "over",
                                                     "world": {"background": {"photos": "mine"}}})
    assert load_spec(overriding).world.background.photos == str(tmp_path.resolve() / "mine")


@pytest.mark.parametrize("variants, refused", [([{"name": "open"}], False), ([{"name": "town"}], True),
                                               ([{"name": "open", "roadside": "trees"}], True),
                                               ([{"name": "open"}, {"name": "town"}], True)])
def test_beside_photos_only_the_default_variant_may_be_given(tmp_path, variants, refused):
    from scenes.errors import SpecError

    path = write_yaml(tmp_path / "v.yaml", {"include": "position_vs_size_photos.yaml", "name": "v",
                                            "world": {"variants": variants}})
    if refused:
        with pytest.raises(SpecError, match="world.variants: with world.background the photos are the variants"):
            load_spec(path)
    else:
        assert load_spec(path).world.variants == [VariantSpec(name="open")]


def test_photos_change_names_the_folder_and_a_new_fifo_is_seen(tmp_path):
    import os
    import shutil

    from scenes.design.photos import folder_listing, photos_change, photos_digest

    for name in ("open.png", "open.depth.png", "open.yaml"):
        shutil.copyfile(EXAMPLE_PHOTOS / name, tmp_path / name)
    spec = load_spec(write_yaml(tmp_path / "s.yaml", {"include": "position_vs_size_photos.yaml", "name": "s",
                                                      "world": {"background": {"photos": str(tmp_path)}}}))
    digest = photos_digest(spec)
    assert photos_change(spec, digest, "then") is None
    (tmp_path / "open.yaml").write_text((tmp_path / "open.yaml").read_text() + "\n# edited\n", encoding="utf-8")
    assert photos_change(spec, digest, "then").startswith(f"the photos in {tmp_path} changed since then")
    listing = folder_listing(str(tmp_path))
    os.mkfifo(tmp_path / "x.png")
    assert folder_listing(str(tmp_path)) != listing  # the cached read is redone, and refuses the FIFO
