"""A design in words for a person: its factors and levels, counts, and a render-time estimate."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from scenes.design.frames import FramePlan
from scenes.design.calibration import Measurement, estimate_render_seconds
from scenes.spec import StimulusSpec

#: Levels of a factor listed in full before the rest are counted.
MAX_LISTED_LEVELS = 8


#: How a factor that does not apply to a frame (NaN, e.g. the overlap of a car shown alone) is listed.
NOT_APPLICABLE = "n/a"


def _level_text(value: object) -> str:
    """A factor level as listed: its text, or NOT_APPLICABLE for NaN."""
    return NOT_APPLICABLE if isinstance(value, float) and value != value else str(value)


def describe_design(spec: StimulusSpec, frames: Sequence[FramePlan],
                    measurements: Sequence[Measurement] = ()) -> list[str]:
    """Lines for a person: the spec, its factors with their levels, camera and render settings,
    the frame, render and object counts and the render estimate (calibrated by this machine's
    ``measurements``, scenes/design/calibration.py, when there are any)."""
    lines = [f"spec {spec.name} v{spec.version} (seed {spec.seed}, hash {spec.spec_hash()[:12]})",
             f"experiment: {spec.experiment.kind}"]
    for name in (list(frames[0].factors) if frames else []):
        levels = Counter(_level_text(f.factors[name]) for f in frames)
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
    estimate = estimate_render_seconds(spec, renders, list(measurements))
    lines.append(f"frames: {len(frames)} ({renders} renders); objects: {sum(len(f.objects) for f in frames)}; "
                 f"estimated render time: {estimate.seconds / 60:.1f} min ({estimate.basis})")
    return lines
