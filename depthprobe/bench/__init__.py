"""The benchmarks of ``depthprobe bench``, one module each (the torch-bound and Blender-bound
parts stay in evaluator/ and generator/; the drivers, figures and lines are here):

- :mod:`depthprobe.bench.generation` (``depthprobe bench generation``): what generation costs
  beyond Cycles, against plain BlenderProc (generator/baseline_plain_blenderproc.py), across
  workers and in memory;
- :mod:`depthprobe.bench.evaluation` (``depthprobe bench evaluation``): what the evaluator adds
  to a model's own forward pass (evaluator/pipeline/overhead.py), and its memory.

Nothing is imported here, so that ``python -m depthprobe.bench.evaluation`` (the memory child)
loads only what it needs.
"""
