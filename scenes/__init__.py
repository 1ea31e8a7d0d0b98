"""What to show: stimulus-set specs, their schema, the factorial design, camera and ground-plane
geometry, and the on-disk stimulus-set format.  Pure Python (numpy, pandas, pydantic)."""
from scenes.errors import DepthprobeError, SpecError, StimulusSetError
from scenes.stimulus_set import StimulusSet, open_stimulus_set

__all__ = ["DepthprobeError", "SpecError", "StimulusSetError", "StimulusSet", "open_stimulus_set"]
