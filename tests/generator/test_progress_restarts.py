"""The progress line's last item says how many workers were restarted (generator/generate.py
progress_item), so that a final "done" does not hide the renders a dead worker's successor redid."""
from __future__ import annotations

from scenes.catalog import default_catalog
from scenes.spec import load_spec, quick_spec
from generator.generate import generate
from tests.depthprobe.box_executor import BoxExecutor


class RestartingBoxes(BoxExecutor):
    """Box renders whose worker 0 "dies" twice and worker 1 once before the first render comes back."""

    def render(self, plans, counterfactual=None):
        self.failures.update({0: 2, 1: 1})
        yield from super().render(plans, counterfactual)


def test_the_last_progress_item_counts_the_worker_restarts(tmp_path):
    reports = []
    with RestartingBoxes(default_catalog(), n_workers=2) as executor:
        generate(quick_spec(load_spec("camera_pitch")), tmp_path / "set", limit=2, executor=executor,
                 progress=lambda stage, done, total, item="": reports.append((stage, done, total, item)))
    assert reports[-1] == ("render", 2, 2, "done; 3 worker restarts (worker 0: 2, worker 1: 1), their renders redone")
    assert reports[1][3].endswith("; 3 worker restarts (worker 0: 2, worker 1: 1), their renders redone")


def test_without_restarts_the_last_item_is_done(tmp_path):
    reports = []
    with BoxExecutor(default_catalog()) as executor:
        generate(quick_spec(load_spec("camera_pitch")), tmp_path / "set", limit=1, executor=executor,
                 progress=lambda stage, done, total, item="": reports.append(item))
    assert reports[-1] == "done"
