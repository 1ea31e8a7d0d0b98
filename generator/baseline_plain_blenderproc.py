"""The "plain BlenderProc" baseline: one road scene per process, the way BlenderProc users render.

BlenderProc's own answer to "how do I render many scenes" is to rerun the script once per scene.
This file is that script (``main``: road plane, one car, a sun, a KITTI-like camera, RGB + depth +
instance map of one frame) and a driver (:func:`run_plain_scenes`) that starts it once per scene,
``concurrency`` processes at a time, and measures the throughput.  Apart from loading BlenderProc
into this venv and silencing Blender's stdout (``generator.blenderproc_runtime``) it uses nothing
of depthprobe.  It is the baseline of ``depthprobe bench generation`` (depthprobe/bench/generation.py).

Run one scene (from the repository root)::

    python -m generator.baseline_plain_blenderproc --out DIR [--width 320] [--height 96] [--samples 8]
                                                   [--seed 0] [--threads 0]

It writes ``DIR/rgb.png``, ``DIR/depth.npy`` (float32, metres along the optical axis),
``DIR/instance.npy`` (int32 instance ids) and ``DIR/instances.json`` (object name -> instance id),
and prints one line ``PLAIN_BLENDERPROC_RESULT {"seconds": ..., "render_seconds": ...,
"peak_rss_mb": ...}`` to stdout.  This module imports neither bpy nor BlenderProc at its top.
"""
from __future__ import annotations

import time

_PROCESS_START = time.perf_counter()  # "seconds" counts from the script's first line

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

#: The repository root: the scene processes run there (``python -m``), the car mesh lies below it.
ROOT = Path(__file__).resolve().parents[1]
CAR_MESH = ROOT / "assets" / "meshes" / "car_sedan.glb"
RESULT_PREFIX = "PLAIN_BLENDERPROC_RESULT "
CAMERA_HEIGHT_M = 1.65
CAR_DISTANCE_M = 10.0
KITTI_FX_PX, KITTI_WIDTH_PX = 721.5377, 1242


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line of one scene: output folder, image size (px), Cycles samples, seed, threads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--width", type=int, default=320, help="image width in pixels")
    parser.add_argument("--height", type=int, default=96, help="image height in pixels")
    parser.add_argument("--samples", type=int, default=8, help="Cycles samples per pixel (fixed)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the car's position jitter")
    parser.add_argument("--threads", type=int, default=0, help="Cycles CPU threads; 0 = automatic")
    return parser.parse_args(argv)


def camera_matrix(width: int, height: int):
    """KITTI-like 3x3 intrinsics (pixels): KITTI's focal length scaled to ``width``."""
    import numpy as np

    f = KITTI_FX_PX * width / KITTI_WIDTH_PX
    return np.array([[f, 0.0, width / 2], [0.0, f, height * 0.46], [0.0, 0.0, 1.0]])


def build_scene(bproc, rng) -> list:
    """Road plane (grey, 20 m x 400 m), sun, and the car ~10 m ahead on the road; the car's parts.

    World frame: z up, the road along +y, the camera above the origin.  The car's position is
    jittered by ``rng`` (numpy Generator): +-1.5 m sideways, +-1 m along the road.
    """
    import numpy as np

    road = bproc.object.create_primitive("PLANE", scale=[10, 200, 1], location=[0, 190, 0])
    road.set_name("road")
    grey = bproc.material.create("road_grey")
    grey.set_principled_shader_value("Base Color", [0.3, 0.3, 0.3, 1.0])
    grey.set_principled_shader_value("Roughness", 0.9)
    road.replace_materials(grey)

    parts = bproc.loader.load_obj(str(CAR_MESH))
    for part in parts:  # the file is z-up; Blender's glTF importer assumes y-up and stands the car
        part.set_rotation_euler([-np.pi / 2, 0, 0])  # on its nose: rotate it back (+y forward)
        part.persist_transformation_into_mesh()
    x = rng.uniform(-1.5, 1.5)
    y = CAR_DISTANCE_M + rng.uniform(-1.0, 1.0)
    corners = np.concatenate([part.get_bound_box() for part in parts])  # box corners, metres
    low, high = corners.min(axis=0), corners.max(axis=0)
    for part in parts:  # one object per part (paint, glass, tyre, ...): move them together
        part.set_location([x - (low[0] + high[0]) / 2, y - (low[1] + high[1]) / 2, -low[2]])
        part.set_name(f"car_{part.get_name()}")

    sun = bproc.types.Light(light_type="SUN", name="sun")
    sun.set_energy(4.0)
    sun.set_rotation_euler([0.7, 0.2, 0.5])
    return parts


def set_camera(bproc, width: int, height: int) -> None:
    """KITTI-like camera 1.65 m above the road, looking along the road (+y), horizon level."""
    import numpy as np

    bproc.camera.set_intrinsics_from_K_matrix(camera_matrix(width, height), width, height)
    # Blender's camera looks along its -z: rotating 90 degrees about x turns it to +y, up to +z.
    cam2world = bproc.math.build_transformation_mat([0, 0, CAMERA_HEIGHT_M], [np.pi / 2, 0, 0])
    bproc.camera.add_camera_pose(cam2world)


def instance_ids(bproc) -> dict[str, int]:
    """Object name -> instance id: ``enable_segmentation_output`` numbers the mesh objects 1, 2, ...

    (their pass index, which the instance map holds; 0 is the background).  BlenderProc returns
    this mapping itself only when ``map_by`` also holds a non-image key such as ``"name"``.
    """
    return {obj.get_name(): int(obj.blender_obj.pass_index) for obj in bproc.object.get_all_mesh_objects()}


def save_outputs(data: dict, ids: dict[str, int], out: Path) -> None:
    """RGB as PNG (Pillow), depth (float32 metres) and instance ids (int32) as .npy, ``ids`` as JSON."""
    import numpy as np
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(data["colors"][0], dtype=np.uint8)[..., :3]).save(out / "rgb.png")
    np.save(out / "depth.npy", np.asarray(data["depth"][0], dtype=np.float32))
    np.save(out / "instance.npy", np.asarray(data["instance_segmaps"][0], dtype=np.int32))
    (out / "instances.json").write_text(json.dumps(ids, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Render one scene into ``--out``, print the result line, leave through ``exit_process``."""
    args = parse_args(argv)
    from generator.blenderproc_runtime import exit_process

    try:
        result = render_scene(args)
    except Exception:  # noqa: BLE001  (report it, then leave without the teardown crash)
        traceback.print_exc()
        exit_process(1)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    exit_process(0)


def render_scene(args: argparse.Namespace) -> dict:
    """Build, render and save one scene; ``seconds``, ``render_seconds`` (s), ``peak_rss_mb`` (MiB)."""
    from generator.blenderproc_runtime import load_blenderproc, quiet_stdout

    import bpy
    import numpy as np

    with quiet_stdout():
        bproc = load_blenderproc()  # = bproc.init() in Blender's own Python
        if args.threads > 0:
            bpy.context.scene.render.threads_mode = "FIXED"
            bpy.context.scene.render.threads = args.threads
        build_scene(bproc, np.random.default_rng(args.seed))
        set_camera(bproc, args.width, args.height)
        bproc.renderer.enable_depth_output(activate_antialiasing=False)
        bproc.renderer.enable_segmentation_output(map_by=["instance"])
        bproc.renderer.set_max_amount_of_samples(args.samples)
        bproc.renderer.set_noise_threshold(0.0)  # fixed sample count
        bproc.renderer.set_denoiser(None)  # as depthprobe's specs render (render.denoise: false)
        start = time.perf_counter()
        data = bproc.renderer.render()
        render_seconds = time.perf_counter() - start
    save_outputs(data, instance_ids(bproc), args.out)
    return {"seconds": time.perf_counter() - _PROCESS_START, "render_seconds": render_seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _parse_result(stdout: str) -> dict:
    """The JSON of the last ``PLAIN_BLENDERPROC_RESULT`` line in a process's stdout."""
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise ValueError("no result line")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def _start(i: int, scene_dir: Path, options: list[str], python: str) -> tuple:
    """Start the process of scene ``i``; stdout and stderr go to files in ``scene_dir``.

    Files rather than pipes: Blender prints freely and a full pipe would stall a process that
    the driver is not reading from at that moment.
    """
    scene_dir.mkdir(parents=True, exist_ok=True)
    cmd = [python, "-m", __spec__.name, "--out", str(scene_dir), "--seed", str(i), *options]
    with open(scene_dir / "stdout.log", "w") as out, open(scene_dir / "stderr.log", "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err)
    return proc, time.perf_counter(), i, scene_dir


def _finish(proc: subprocess.Popen, started: float, scene: int, scene_dir: Path) -> dict:
    """The result of a finished scene process plus ``process_wall_seconds`` (parent's clock, s)."""
    wall = time.perf_counter() - started
    try:
        if proc.returncode != 0:
            raise ValueError(f"exit code {proc.returncode}")
        result = _parse_result((scene_dir / "stdout.log").read_text(errors="replace"))
    except ValueError as exc:
        tail = (scene_dir / "stderr.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"plain BlenderProc scene {scene} failed ({exc}); stderr tail:\n{tail}") from None
    return {**result, "process_wall_seconds": wall}


def run_plain_scenes(n_scenes: int, concurrency: int, out_dir: Path, width: int = 320, height: int = 96,
                     samples: int = 8, threads: int = 0, python: str = sys.executable) -> dict:
    """Render ``n_scenes`` scenes, one process of this script each, ``concurrency`` at a time.

    Scene ``i`` goes to ``out_dir/scene_{i:04d}`` with seed ``i``.  Returns ``scenes``,
    ``concurrency``, ``wall_seconds`` (all scenes), ``frames_per_second``,
    ``median_process_seconds`` (the scripts' own clock, from their first line),
    ``median_process_wall_seconds`` (parent's clock: with interpreter start-up),
    ``median_render_seconds`` (the render call) and ``max_peak_rss_mb`` (MiB, largest process).
    Raises RuntimeError with the stderr tail of the first process that fails.
    """
    out_dir = Path(out_dir)
    options = ["--width", str(width), "--height", str(height), "--samples", str(samples), "--threads", str(threads)]
    pending, running, results = list(range(n_scenes)), [], []
    start = time.perf_counter()
    try:
        while pending or running:
            while pending and len(running) < max(1, concurrency):
                i = pending.pop(0)
                running.append(_start(i, out_dir / f"scene_{i:04d}", options, python))
            done = [job for job in running if job[0].poll() is not None]
            for job in done:
                running.remove(job)
                results.append(_finish(*job))
            if not done:
                time.sleep(0.02)
    finally:
        for proc, *_ in running:
            proc.kill()
            proc.wait()
    wall = time.perf_counter() - start
    return {"scenes": n_scenes, "concurrency": concurrency, "wall_seconds": wall,
            "frames_per_second": n_scenes / wall,
            "median_process_seconds": statistics.median(r["seconds"] for r in results),
            "median_process_wall_seconds": statistics.median(r["process_wall_seconds"] for r in results),
            "median_render_seconds": statistics.median(r["render_seconds"] for r in results),
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in results)}


if __name__ == "__main__":
    main()
