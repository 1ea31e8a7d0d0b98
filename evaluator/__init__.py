"""What the network makes of the stimuli: model adapters, inference, alignment, and the analyses
(object estimates, cue and factor fits, standard metrics, normalised curves, pose, obstacles).

The only depthprobe package that imports torch (lazily, only where a torch model needs it).
It never imports ``generator`` or ``bpy``: a stimulus set rendered elsewhere is evaluated here.

Public entry points:

* :func:`evaluator.pipeline.evaluate.evaluate_set` -- run one model on one stimulus set, store its aligned
  predictions, run every analysis, write results (tables and ``summary.json``);
* :func:`evaluator.pipeline.evaluate.analyse_predictions` -- rerun every analysis from stored predictions,
  without the model;
* :func:`evaluator.results.report.format_summary` -- the summary as a few lines for a terminal;
* :func:`evaluator.models.loading.load_depth_model` -- any model (a name, a DepthModel, a callable)
  built for a canonical camera, with its one name and its results record;
  :func:`evaluator.models.registry.load_model` / :func:`~evaluator.models.registry.available_models`
  for names.
"""
