"""depthprobe: controlled road scenes with exact depth, and which cue a depth network uses.

The command line lives in :mod:`depthprobe.cli`; the work in ``scenes`` (specs, geometry, the
stimulus-set format), ``generator`` (BlenderProc rendering) and ``evaluator`` (torch models and
analyses).
"""
