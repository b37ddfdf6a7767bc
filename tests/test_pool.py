"""The worker pool (boilerplate.pool): order, dead and stuck workers, start in the background."""

from __future__ import annotations

import os
import signal
import time

import pytest

from boilerplate.errors import EngineError
from boilerplate.pool import DIED, TIMED_OUT, Pool

#: Seconds a test waits for workers to come up (a busy machine starts them slowly).
START_TIMEOUT = 60


def squares(n: int) -> int:
    """Some items take longer: results come back out of order."""
    time.sleep(0.005 * (n % 3))
    return n * n


def dies_on_13(n: int) -> int:
    if n == 13:
        os._exit(3)
    return n * n


def dies_once_on_13(marker: str, n: int) -> int:
    """Dies the first time it meets 13 (a crash that a second try survives)."""
    if n == 13 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    return n * n


def sticks_on_7(n: int) -> int:
    if n == 7:
        time.sleep(3600)
    return n * n


def stops_on_7(n: int) -> int:
    if n == 7:
        os.kill(os.getpid(), signal.SIGSTOP)
    return n * n


def lost(n: int, why: str) -> tuple[int, str]:
    return (n, why)


def refuses() -> None:
    raise ValueError("no model here")


def refuses_too(n: int) -> int:
    refuses()
    return n


def test_results_come_back_in_input_order():
    with Pool(2, squares, lost) as pool:
        assert list(pool.map(iter(range(50)))) == [n * n for n in range(50)]


def test_no_items_no_results():
    with Pool(2, squares, lost) as pool:
        assert list(pool.map(iter([]))) == []


def test_an_item_that_kills_its_worker_twice_is_lost_and_no_other_item_is():
    with Pool(2, dies_on_13, lost) as pool:
        results = list(pool.map(iter(range(60))))
    assert results[13] == (13, DIED)
    assert all(r == n * n for n, r in enumerate(results) if n != 13)
    assert pool.replaced == 2  # the item was tried twice


def test_an_item_whose_worker_died_once_is_retried(tmp_path):
    from functools import partial

    work = partial(dies_once_on_13, str(tmp_path / "died"))
    with Pool(2, work, lost) as pool:
        results = list(pool.map(iter(range(30))))
    assert results == [n * n for n in range(30)]
    assert pool.replaced == 1


@pytest.mark.parametrize("work", [sticks_on_7, stops_on_7], ids=["hangs", "stopped"])
def test_a_stuck_worker_is_killed_and_costs_only_its_item(work):
    started = time.monotonic()
    with Pool(2, work, lost, timeout=0.5) as pool:
        results = list(pool.map(iter(range(20))))
    assert results[7] == (7, TIMED_OUT)
    assert all(r == n * n for n, r in enumerate(results) if n != 7)
    assert time.monotonic() - started < START_TIMEOUT


def test_start_brings_the_workers_up_in_the_background():
    with Pool(2, squares, lost) as pool:
        assert not pool.ready()
        pool.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not pool.ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.ready()
        assert list(pool.map(iter(range(10)))) == [n * n for n in range(10)]


def test_a_failing_warm_up_is_raised_by_the_first_item():
    with Pool(2, refuses_too, lost, warm=refuses) as pool, pytest.raises(ValueError, match="no model"):
        list(pool.map(iter(range(10))))


def test_workers_that_die_as_they_start_stop_the_pool():
    with Pool(1, squares, lost, warm=_exit_now) as pool, pytest.raises(EngineError, match="died as they started"):
        list(pool.map(iter(range(10))))


def _exit_now() -> None:
    os._exit(4)


def test_abandoning_the_results_kills_busy_workers_at_once():
    started = time.monotonic()
    with Pool(2, sticks_on_7, lost) as pool:
        results = pool.map(iter(range(20)))
        assert next(results) == 0
        processes = [w.process for w in pool.workers]
        results.close()
    assert time.monotonic() - started < START_TIMEOUT
    assert not any(p.is_alive() for p in processes)


def doubled(data: bytes) -> bytes:
    return data + data


def test_items_and_results_larger_than_a_pipe_do_not_deadlock():
    """A chunk bigger than the pipe's buffer while the worker sends back big results."""
    import threading

    items = [bytes([n]) * 1_000_000 for n in range(24)]
    got: list[bytes] = []

    def consume() -> None:
        with Pool(2, doubled, lost) as pool:
            got.extend(pool.map(iter(items)))

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(START_TIMEOUT)
    assert not thread.is_alive(), "the pool deadlocked"
    assert got == [item + item for item in items]
