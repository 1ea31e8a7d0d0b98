"""The robustness preset renders (tiny: 64x32, 2 samples): one Cycles render per base frame, its
clean and corrupted frames written from it with the same depth and masks, each corruption the
seeded function of the clean image; and the preset itself at the quick size with --limit."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generator.generate import generate
from scenes import open_stimulus_set
from scenes.catalog import default_catalog
from scenes.images.corruptions import corrupt
from scenes.design.plans import expand
from scenes.spec.schema import load_spec

pytestmark = pytest.mark.bpy
ROOT = Path(__file__).resolve().parents[2]
#: One base frame's clean frame and a few corruptions from every family (the worst severities).
SHOWN = ("clean", "gaussian_noise-s5", "defocus_blur-s3", "fog-s5", "frost-s2", "jpeg_compression-s5", "dark-s4")


def tiny_robustness():
    spec = load_spec("robustness")
    camera = spec.camera.model_copy(update={"width": 64, "height": 32})
    return spec.model_copy(update={"camera": camera,
                                   "render": spec.render.model_copy(update={"samples": 2})})


def test_one_render_serves_every_corruption_of_a_base_frame(tmp_path):
    spec = tiny_robustness()
    plans = [p for p in expand(spec, default_catalog()) if p.factors["base_frame_id"] == "position_only-d2.00-town"
             and p.frame_id.startswith(tuple(f"{k}-" for k in SHOWN))]
    assert len(plans) == len(SHOWN) and len({p.render_id for p in plans}) == 1
    generate(spec, tmp_path / "set", plans=plans)
    s = open_stimulus_set(tmp_path / "set")
    assert s.problems() == [] and len(s.frames) == len(SHOWN)
    assert set(s.frames["corruption"]) == {"clean", "gaussian_noise", "defocus_blur", "fog", "frost",
                                           "jpeg_compression", "dark"}
    assert {"severity", "corruption_family", "base_frame_id"} <= set(s.frames.columns) & set(s.objects.columns)
    clean_id = "clean-position_only-d2.00-town"
    clean = s.rgb(clean_id)
    for plan in plans:
        assert np.array_equal(s.depth(plan.frame_id), s.depth(clean_id))
        assert np.array_equal(s.instances(plan.frame_id), s.instances(clean_id))
        assert np.array_equal(s.semantic(plan.frame_id), s.semantic(clean_id))
        if plan.frame_id == clean_id:
            continue
        name, severity = plan.factors["corruption"], plan.factors["severity"]
        expected = corrupt(clean, name, severity, np.random.default_rng(plan.transform_seed))
        assert s.rgb(plan.frame_id).tobytes() == expected.tobytes(), plan.frame_id
    assert s.frames.set_index("frame_id").loc[clean_id, "is_reference"] == False  # noqa: E712 (position_only)
    objects = s.objects.set_index("frame_id")
    assert objects["z_true"].nunique() == 1 and objects["contact_row"].nunique() == 1


def test_the_preset_renders_quick_with_a_limit(tmp_path):
    """``depthprobe generate robustness --quick --limit 3`` (in a process of its own: Blender
    writes to the terminal's file descriptors)."""
    command = [sys.executable, "-m", "depthprobe.cli", "generate", "robustness", "--out", str(tmp_path / "set"),
               "--quick", "--limit", "3"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    s = open_stimulus_set(tmp_path / "set")
    assert s.problems() == [] and len(s.frames) == 3 and s.rgb(s.frame_ids[0]).shape == (96, 320, 3)
    assert set(s.frames["severity"]) <= {0, 1, 2, 3, 4, 5}
