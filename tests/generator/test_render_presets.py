"""Every built-in preset renders (2 frames each, quick size) into a valid stimulus set."""
import pytest

from generator.generate import generate
from scenes import open_stimulus_set
from scenes.catalog import default_catalog
from scenes.design.plans import expand
from scenes.spec.schema import load_spec, preset_names, quick_spec

pytestmark = pytest.mark.bpy


@pytest.mark.parametrize("name", preset_names())
def test_preset_renders_with_its_factors_in_the_tables(tmp_path, name):
    spec = quick_spec(load_spec(name))
    generate(spec, tmp_path / "set", limit=2)
    s = open_stimulus_set(tmp_path / "set")
    assert s.problems() == [] and len(s.frames) == 2
    frame_factors = set(expand(spec, default_catalog())[0].factors)
    assert frame_factors <= set(s.frames.columns) and frame_factors <= set(s.objects.columns)
    for column in ("z_true", "contact_row", "height_px", "z_vertical", "z_size", "camera_height_m", "pitch_deg"):
        assert s.objects[column].notna().all(), column
    for column in ("horizon_row", "pitch_deg", "roll_deg", "camera_height_m", "variant", "roadside"):
        assert column in s.frames.columns
