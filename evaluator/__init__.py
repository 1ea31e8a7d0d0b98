"""What the network makes of the stimuli: model adapters, inference, alignment, cue fits.

The only depthprobe package that imports torch (lazily, only where a torch model needs it).
It never imports ``generator`` or ``bpy``: a stimulus set rendered elsewhere is evaluated here.

Public entry points:

* :func:`evaluator.run.evaluate_set` -- run one model on one stimulus set, write results;
* :func:`evaluator.report.format_summary` -- the summary as a few lines for a terminal;
* :func:`evaluator.models.registry.load_model` / :func:`~evaluator.models.registry.available_models`.
"""
