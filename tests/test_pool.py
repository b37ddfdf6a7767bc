"""The worker pool (boilerplate.pool): order, dead workers, start in the background."""

from __future__ import annotations

import os
import time

import pytest

from boilerplate.pool import CHUNK_PAGES, TASKS_PER_WORKER, Pool

#: Seconds a test waits for workers to come up (a busy machine starts them slowly).
START_TIMEOUT = 60


def squares(items: list[int]) -> list[int]:
    """Later chunks finish first: results come back out of order."""
    time.sleep(0.02 * (3 - items[0] % 3))
    return [n * n for n in items]


def dies_on_13(items: list[int]) -> list[int]:
    if 13 in items:
        os._exit(3)
    return [n * n for n in items]


def lost(items: list[int]) -> list[int]:
    return [-1] * len(items)


def refuses() -> None:
    raise ValueError("no model here")


def refuses_too(items: list[int]) -> list[int]:
    refuses()
    return items


def test_results_come_back_in_input_order():
    with Pool(2, squares, lost) as pool:
        assert list(pool.map(iter(range(50)))) == [n * n for n in range(50)]


def test_a_dead_worker_fails_only_its_chunks_and_the_pool_goes_on():
    with Pool(2, dies_on_13, lost) as pool:
        results = list(pool.map(iter(range(60))))
    died = [n for n, r in enumerate(results) if r == -1]
    assert 13 in died and len(died) <= CHUNK_PAGES * 2 * TASKS_PER_WORKER
    assert all(r == n * n for n, r in enumerate(results) if n not in died)
    assert pool.generation >= 1


def test_start_brings_the_workers_up_in_the_background():
    with Pool(2, squares, lost) as pool:
        assert not pool.ready()
        pool.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not pool.ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.ready()
        assert list(pool.map(iter(range(10)))) == [n * n for n in range(10)]


def test_a_failing_warm_up_is_raised_by_the_first_chunk():
    with Pool(2, refuses_too, lost, warm=refuses) as pool, pytest.raises(ValueError, match="no model"):
        list(pool.map(iter(range(10))))
