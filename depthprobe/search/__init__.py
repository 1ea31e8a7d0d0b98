"""``depthprobe search``: where in a spec's factor space does a depth model fail?

Black-box optimisation with Optuna over the factors a spec's ``search:`` section declares
(scenes/spec/search.py).  The package lives beside the command line because it needs both the
generator (to render each trial) and the evaluator (to run the model on it), which never import
each other.  Modules: :mod:`~depthprobe.search.space` (the factors and a trial's frame plan),
:mod:`~depthprobe.search.render` (trial frames and the worst set from the generator's
render executors: this process, a worker pool, Ray actors, or one the caller brings),
:mod:`~depthprobe.search.objective` (model, alignment, objectives),
:mod:`~depthprobe.search.runner` (the study, resuming, the trial loop) and
:mod:`~depthprobe.search.report` (trial table, worst cases as a stimulus set, failures.md).
"""
