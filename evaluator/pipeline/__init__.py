"""One evaluation run, step by step (torch-free to import): :mod:`.verify` opens a stimulus set and
checks every file; :mod:`.alignment` fits the scale (and shift) that turns a model's output into
metres on the road pixels of the reference frames; :mod:`.batching` feeds the model in batches
(resizing to its input size, reading ahead, overlapping the evaluator's work with the model's;
torch only when a torch model runs); :mod:`.evaluate` runs the whole of it -- verify, load (through
:mod:`evaluator.models.loading`), align, predict, store (:mod:`evaluator.results.store`), analyse
(:mod:`evaluator.analyses`), write (:mod:`evaluator.results.format`) -- or reruns the analyses from
stored predictions.  Other packages import the names below from here.
"""
from evaluator.pipeline.alignment import (ALLOWED_POLICIES, DEFAULT_POLICY, Alignment, AlignmentPolicy, RoadSamples,
                                          choose_policy, fit_alignment, parse_policy)
from evaluator.pipeline.batching import ProgressCallback, check_batch_size, check_prediction, predict_images
from evaluator.pipeline.evaluate import analyse_predictions, build_summary, evaluate_set
from evaluator.pipeline.verify import open_verified

__all__ = [
    "ALLOWED_POLICIES", "DEFAULT_POLICY", "Alignment", "AlignmentPolicy", "RoadSamples", "choose_policy",
    "fit_alignment", "parse_policy", "ProgressCallback", "check_batch_size", "check_prediction", "predict_images",
    "analyse_predictions", "build_summary", "evaluate_set", "open_verified",
]
