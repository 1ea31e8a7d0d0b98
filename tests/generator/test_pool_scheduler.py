"""The pool's sharding (generator/pool.py VariantScheduler) and worker counts, without Blender."""
from __future__ import annotations

import numpy as np
import pytest

from generator.pool import MIN_SHARED_RENDERS, VariantScheduler, default_workers, threads_per_worker
from generator.render_result import group_renders
from scenes.catalog import default_catalog
from scenes.design.plans import expand
from scenes.spec.schema import load_spec


@pytest.fixture(scope="module")
def groups():
    """position_vs_size: 378 renders, 63 in each of 6 variants."""
    return group_renders(expand(load_spec("position_vs_size"), default_catalog()))


def drain(scheduler: VariantScheduler, workers: int, rng: np.random.Generator) -> list[list[tuple]]:
    """Ask the workers in random order until none gets anything; what each got, in order."""
    got: list[list[tuple]] = [[] for _ in range(workers)]
    active = set(range(workers))
    while active:
        worker = int(rng.choice(sorted(active)))
        group = scheduler.next_for(worker)
        if group is None:
            active.discard(worker)
        else:
            got[worker].append(group)
    return got


@pytest.mark.parametrize("workers", [1, 2, 3, 5, 8])
def test_every_render_once_and_each_world_built_at_most_once_per_worker(groups, workers):
    got = drain(VariantScheduler(groups, workers), workers, np.random.default_rng(workers))
    handed = [g[0].render_id for worker in got for g in worker]
    assert sorted(handed) == sorted(g[0].render_id for g in groups)
    for worker in got:
        variants = [g[0].variant.name for g in worker]
        runs = [v for i, v in enumerate(variants) if i == 0 or v != variants[i - 1]]
        assert len(runs) == len(set(runs)), runs  # never back to a variant it left


def test_workers_start_on_distinct_variants_when_there_are_enough(groups):
    scheduler = VariantScheduler(groups, 4)
    first = [scheduler.next_for(w)[0].variant.name for w in range(4)]
    assert len(set(first)) == 4


def test_workers_share_a_variant_only_with_enough_renders_left(groups):
    one_variant = [g for g in groups if g[0].variant.name == "open"]
    scheduler = VariantScheduler(one_variant[:2 * MIN_SHARED_RENDERS + 1], 2)
    assert scheduler.next_for(0) is not None
    assert scheduler.next_for(1) is not None  # MIN each for two workers: worth a second world
    small = VariantScheduler(one_variant[:MIN_SHARED_RENDERS], 2)
    assert small.next_for(0) is not None
    assert small.next_for(1) is None  # too few left to build the world a second time
    assert small.remaining() == MIN_SHARED_RENDERS - 1


def test_renders_group_frames_that_differ_only_by_transform():
    plans = expand(load_spec("image_transforms"), default_catalog())
    groups = group_renders(plans)
    assert len(groups) == 30 and all(len(g) == 5 for g in groups)
    assert all(len({p.render_id for p in g}) == 1 for g in groups)
    keys = [(g[0].variant.name, g[0].render_id) for g in groups]
    assert keys == sorted(keys)


@pytest.mark.parametrize("cores, workers, threads", [(1, 1, 1), (2, 1, 2), (3, 1, 3), (4, 2, 2), (16, 8, 2)])
def test_default_workers_and_their_threads(cores, workers, threads):
    assert default_workers(cores) == workers
    assert threads_per_worker(workers, cores) == threads


def test_a_later_batch_goes_on_in_the_worlds_the_workers_hold(groups):
    town = [g for g in groups if g[0].variant.name == "town"]
    scheduler = VariantScheduler(town[:8] + [g for g in groups if g[0].variant.name == "open"][:8], 2,
                                 current=["town", None])
    assert scheduler.next_for(0)[0].variant.name == "town"
    assert scheduler.next_for(1)[0].variant.name == "open"
    assert scheduler.current(0) == "town" and scheduler.current(1) == "open"
