"""What to show, and the files it is kept in: stimulus-set specs and their schema (``spec/``), camera
and image geometry (``geometry/``), the expansion of a spec into frame plans and the world model
(``design/``), photographs as backgrounds (``photos/``), image corruptions and transforms
(``images/``), the on-disk formats (``formats/``) and exact geometry by ray casting (``raycast/``).
The kernel at the top -- errors, storage, registry, progress, versioning, catalog -- serves them all.

No Blender and no torch: numpy, pandas, pydantic, scipy, Pillow, trimesh, and open3d (imported on
first use, by ``raycast/`` only). Each subpackage shows the few names other packages use in its
``__init__``; ``tests/test_import_rules.py`` keeps the order between them.
"""
from scenes.errors import DepthprobeError, SpecError, StimulusSetError
from scenes.formats import StimulusSet, open_stimulus_set

__all__ = ["DepthprobeError", "SpecError", "StimulusSetError", "StimulusSet", "open_stimulus_set"]
