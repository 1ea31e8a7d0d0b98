"""A design in words for a person: its factors and levels, counts, and a render-time estimate."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from scenes.design import FramePlan
from scenes.spec import StimulusSpec

#: Measured on a 2-core CPU (Cycles, no denoiser): seconds per frame per (megapixel x sample),
#: from 640x192 at 16 samples taking about 1.5 s in our road world.  Only for estimates.
SECONDS_PER_MEGAPIXEL_SAMPLE = 1.5 / (640 * 192 / 1e6 * 16)
#: Fewest seconds a frame costs whatever its size (world set-up, writes), same machine.
MIN_SECONDS_PER_FRAME = 0.3
#: Levels of a factor listed in full before the rest are counted.
MAX_LISTED_LEVELS = 8


def estimate_seconds(spec: StimulusSpec, n_renders: int) -> float:
    """Rough render time of ``n_renders`` frames on a 2-core CPU, seconds (counterfactual
    frames double it; see SECONDS_PER_MEGAPIXEL_SAMPLE)."""
    per_frame = SECONDS_PER_MEGAPIXEL_SAMPLE * spec.camera.width * spec.camera.height / 1e6 * spec.render.samples
    per_frame = max(per_frame, MIN_SECONDS_PER_FRAME) * (2.0 if spec.render.counterfactual else 1.0)
    return per_frame * n_renders


def describe_design(spec: StimulusSpec, frames: Sequence[FramePlan]) -> list[str]:
    """Lines for a person: the spec, its factors with their levels, camera and render settings,
    the frame, render and object counts and the render estimate."""
    lines = [f"spec {spec.name} v{spec.version} (seed {spec.seed}, hash {spec.spec_hash()[:12]})",
             f"experiment: {spec.experiment.kind}"]
    for name in (list(frames[0].factors) if frames else []):
        levels = Counter(str(f.factors[name]) for f in frames)
        shown = ", ".join(list(levels)[:MAX_LISTED_LEVELS])
        if len(levels) > MAX_LISTED_LEVELS:
            shown += f", ... ({len(levels)} levels)"
        lines.append(f"  factor {name}: {shown}")
    cam = spec.camera
    lines.append(f"camera: {cam.width}x{cam.height} px, height {cam.height_m} m, pitch {cam.pitch_deg} deg, "
                 f"roll {cam.roll_deg} deg; render: {spec.render.samples} samples"
                 f"{', denoised' if spec.render.denoise else ''}"
                 f"{', with counterfactual frames' if spec.render.counterfactual else ''}")
    renders = len({f.render_id for f in frames})
    minutes = estimate_seconds(spec, renders) / 60
    lines.append(f"frames: {len(frames)} ({renders} renders); objects: {sum(len(f.objects) for f in frames)}; "
                 f"estimated render time on 2 CPU cores: {minutes:.1f} min")
    return lines
