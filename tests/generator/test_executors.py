"""generator.executors.use_executor, and generate with a render executor the caller holds open
(the failure search writes its worst set so): no Blender, the tests' ray-cast boxes
(tests/depthprobe/box_executor.py) render."""
from __future__ import annotations

from generator.executors import ExecutorOptions, use_executor
from generator.generate import generate, plan_frames
from generator.serial import SerialRenderer
from scenes.catalog import default_catalog
from scenes.formats.stimulus_set import open_stimulus_set
from scenes.spec.schema import load_spec
from tests.depthprobe.box_executor import BoxExecutor


class CountingBoxes(BoxExecutor):
    """Boxes that count their with-block exits and record the counterfactual each render asked for."""

    def __init__(self) -> None:
        super().__init__(default_catalog())
        self.exits = 0
        self.asked: list[bool | None] = []

    def __exit__(self, *exc: object) -> None:
        self.exits += 1

    def render(self, plans, counterfactual=None):
        self.asked.append(counterfactual)
        return super().render(plans, counterfactual)


def small_spec(counterfactual: bool):
    """The elevation preset at 96x32 px, with or without counterfactuals."""
    spec = load_spec("elevation")
    return spec.model_copy(update={"camera": spec.camera.model_copy(update={"width": 96, "height": 32}),
                                   "render": spec.render.model_copy(update={"counterfactual": counterfactual})})


def test_generate_renders_with_an_open_executor_and_leaves_it_open(tmp_path):
    catalog = default_catalog()
    boxes = CountingBoxes()
    for counterfactual in (False, True):
        spec = small_spec(counterfactual)
        plans = plan_frames(spec, catalog, limit=3)
        result = generate(spec, tmp_path / f"set-{counterfactual}", catalog=catalog, plans=plans, executor=boxes)
        found = open_stimulus_set(result.out)
        assert result.n_rendered == 3 and found.problems() == [] and found.frame_ids == [p.frame_id for p in plans]
        assert bool(found.frames["has_counterfactual"].all()) is counterfactual
        assert (result.out / "geometry" / "frames" / f"{plans[0].frame_id}.json").is_file()
    assert boxes.exits == 0 and boxes.asked == [False, True]  # as each spec says, whatever opened the executor


def test_options_open_an_executor_for_the_block_and_an_open_one_is_used_as_it_is():
    spec, catalog = small_spec(False), default_catalog()
    with use_executor(spec, catalog, ExecutorOptions(workers=1, render_device="cpu"), 3) as opened:
        assert isinstance(opened, SerialRenderer) and opened.n_workers == 1  # Blender loads at its first render
    boxes = CountingBoxes()
    with use_executor(spec, catalog, boxes, 3) as used:
        assert used is boxes
    assert boxes.exits == 0
