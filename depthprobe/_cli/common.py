"""What several command modules share: the help texts of options that recur, and the spec
argument (a file or preset name, and its --quick variant) loaded once, as the API loads it."""
from __future__ import annotations

from depthprobe.api import load_spec as load_spec_arg
from scenes.design import MAX_FRAMES

__all__ = ["load_spec_arg", "SPEC_HELP", "SET_HELP", "TORCH_DEVICE_HELP", "MAX_FRAMES_HELP", "WORKERS_HELP",
           "THREADS_HELP", "DEVICE_HELP", "EXECUTOR_HELP", "ADDRESS_HELP"]

#: Help of a command's spec argument (validate, generate).
SPEC_HELP = "spec YAML file or built-in preset name"
#: Help of a command's stimulus-set argument (evaluate, sheet, verify, export).
SET_HELP = "stimulus-set directory"
#: Help of ``--device``, the torch device (evaluate, train).
TORCH_DEVICE_HELP = "cuda, cpu, ... (default: cuda if available)"
#: Help of ``--max-frames`` (validate, generate): the design's frame count is checked before it is expanded.
MAX_FRAMES_HELP = f"refuse a design of more than N frames, counted before it is built (default {MAX_FRAMES})"
#: The render options of generate and validate --calibrate (generator/executors.py).
WORKERS_HELP = "render workers (default: one per GPU, else 1 below 4 cores, else cores // 2)"
THREADS_HELP = "Cycles CPU threads per worker (default: the cores split between the workers)"
DEVICE_HELP = "auto | cpu | cuda | optix (auto: OptiX or CUDA when Cycles finds a GPU, else the CPU)"
EXECUTOR_HELP = "local (processes on this machine) | ray (Ray actors; with --address on a cluster)"
ADDRESS_HELP = "Ray cluster to join: auto, HOST:PORT or ray://HOST:PORT (needs ray[client]); default: start a local Ray"
