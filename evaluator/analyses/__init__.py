"""The analyses of a stimulus set (torch-free), each one module keeping the contract of
:mod:`evaluator.analyses.base`, run together by :class:`evaluator.analyses.set_analysis.SetAnalysis`.

======================  ==============================  =====================================
analysis                table (``OUT/``)                summary key
======================  ==============================  =====================================
object estimates        objects.parquet                 n_objects, n_objects_with_estimate
cue fit (2 cues)        cue_fit.parquet (model=joint)   verdict, cues, single_cue, joint, fit
factor fit              cue_fit.parquet (model=factor)  factor_fit
standard metrics        metrics.parquet                 metrics
normalised curves       curves.parquet                  curves
pose                    pose.parquet, pose_objects...   pose
obstacles               obstacles.parquet, ..._by_...   obstacles
corruption robustness   robustness.parquet, ..._frames  robustness
linear perspective      perspective.parquet, ..._objects perspective
texture cue             texture_rows, texture_frames    texture
shading (issue 19)      shading_sweep, shading_relief   shading
depth order             depth_order_pairs, ..._cells    depth_order
======================  ==============================  =====================================

Tables of the same name from several analyses are concatenated in the order of
:data:`ANALYSES` (the cue fit's rows, then the factor fit's).
"""
from __future__ import annotations

from evaluator.analyses.cue_fit import CueFitAnalysis
from evaluator.analyses.curves import CurvesAnalysis
from evaluator.analyses.factor_fit import FactorFitAnalysis
from evaluator.analyses.metrics import MetricsAnalysis
from evaluator.analyses.objects import ObjectEstimates
from evaluator.analyses.obstacles import ObstaclesAnalysis
from evaluator.analyses.pose import PoseAnalysis
from evaluator.analyses.perspective import PerspectiveAnalysis
from evaluator.analyses.robustness import RobustnessAnalysis
from evaluator.analyses.shading import ShadingAnalysis
from evaluator.analyses.texture import TextureAnalysis
from evaluator.analyses.depth_order import DepthOrderAnalysis

#: Every analysis after the object estimates, in the order they finish.
ANALYSES = (CueFitAnalysis, FactorFitAnalysis, MetricsAnalysis, CurvesAnalysis, PoseAnalysis, ObstaclesAnalysis,
            RobustnessAnalysis, PerspectiveAnalysis, TextureAnalysis, ShadingAnalysis, DepthOrderAnalysis)
#: Every table an evaluation may write, in order (``OUT/<name>.parquet``).
TABLE_NAMES = tuple(dict.fromkeys(name for analysis in (ObjectEstimates, *ANALYSES) for name in analysis.tables))
