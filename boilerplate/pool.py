"""Worker processes for batch mode: items through a function, results in input order.

``Pool(jobs, work, lost, warm, timeout)`` runs ``work`` on items in ``jobs``
worker processes, a few chunks of items in flight per worker, and gives the
results back in input order. Each worker answers item by item, so the pool
always knows which item a worker is on: a worker that dies (segfault, out of
memory) or runs over ``timeout`` seconds on one item is killed and replaced,
that item is tried once more, and the items queued behind it go to the
workers again; an item that fails twice gets ``lost``'s result. A healthy
worker's items are never touched. ``start`` brings the workers up in the
background, so the caller can keep working until ``ready``.

Why not concurrent.futures: a ProcessPoolExecutor whose worker dies breaks
whole, failing every item in flight on every worker, and it has no time limit
for a task; ``multiprocessing.Pool`` waits forever for a task whose worker
died.

Workers run exactly the parent's package: they import it themselves, after
multiprocessing gave them the parent's sys.path and current directory (see
``context``).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Generic, TypeVar

from .errors import EngineError

__all__ = ["CHUNK_PAGES", "DIED", "TASKS_PER_WORKER", "TIMED_OUT", "UNSENDABLE", "Pool", "context"]

#: Items per message sent to a worker: few enough to keep every worker busy
#: on a handful of pages, enough to save round trips. 150 dragnet pages on
#: two workers (busy machine, two runs each): 1 page a task 18.5-18.9 s,
#: 4 pages 12.7-14.5 s, 16 pages 14.4-16.1 s.
CHUNK_PAGES = 4
#: Chunks in flight per worker: one running, one queued, so a worker never
#: waits for the parent; it also bounds the items held in memory.
TASKS_PER_WORKER = 2
#: OpenMP threads per worker process (see _init_worker).
WORKER_THREADS = 1
#: What the fork server imports once, before it forks workers: the heavy
#: third-party libraries, never this package (see context).
PRELOAD = ("numpy", "lxml.etree")
#: Tries an item gets: a worker that dies or sticks on it costs one, and the
#: second time it is the item's fault (``lost``).
TRIES = 2
#: Workers in a row that may die before they are up before the pool gives up
#: (they cannot import the package, or run out of memory loading the model).
START_FAILURES = 3
#: Seconds a stopping worker gets to leave by itself before it is killed.
STOP_SECONDS = 2.0
#: Why ``lost`` is called for an item.
DIED = "died"
TIMED_OUT = "timed out"
UNSENDABLE = "does not pickle"

Item = TypeVar("Item")
Result = TypeVar("Result")
_READY = "ready"


def context() -> BaseContext:
    """Workers from a clean process: forkserver where there is one, else spawn.

    Not fork: a child forked after the parent ran scikit-learn's OpenMP code
    hangs in its first prediction (libgomp is not fork-safe). The fork server
    imports numpy and lxml once, so workers start fast. It must not import
    this package: it runs as ``python -c``, so its sys.path starts with the
    current directory (CPython 3.11 does not apply the parent's sys.path it
    is handed), and run from a clone after ``pip install .`` it imported the
    source tree without the compiled speed-ups while the parent ran the
    installed package (1,086 pages: 8.8 s from the clone, 4.7 s elsewhere).
    A worker forked from it first takes the parent's sys.path and directory
    (multiprocessing's preparation data), then unpickles its target, which
    imports the package from where the parent has it.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(list(PRELOAD))
    return forkserver


def _init_worker(warm: Callable[[], None] | None, lifeline: Connection) -> None:
    """Run on one thread, end with the parent, leave Ctrl-C to it, then ``warm`` (load the model)."""
    from threadpoolctl import threadpool_limits

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    # The workers are the parallelism: native thread pools in each (OpenMP,
    # BLAS) would only oversubscribe the cores.
    threadpool_limits(limits=WORKER_THREADS)
    if warm is not None:
        try:
            warm()
        except Exception:  # the worker's first item meets it again and raises it in the parent
            pass


def _exit_with_parent(lifeline: Connection) -> None:
    """End the worker when the parent is gone, even if it was killed without cleaning up.

    Only the parent holds the other end of the pipe, and it never writes: the
    read returns when the parent closes it or dies. (Left alone, a worker of
    a killed parent would finish its page first, however long that takes.)
    """
    try:
        lifeline.recv_bytes()
    except (EOFError, OSError):
        pass
    os._exit(1)


def _serve(conn: Connection, work: Callable[[Any], Any], warm: Callable[[], None] | None,
           lifeline: Connection) -> None:
    """A worker's life: say it is up, then answer each item of each chunk, one message per item."""
    _init_worker(warm, lifeline)
    conn.send(_READY)
    while True:
        try:
            chunk = conn.recv()
        except EOFError:  # the parent is gone
            return
        if chunk is None:
            return
        for index, pickled in chunk:
            try:
                # Unpickled here, one at a time: an item that kills the worker as it is
                # unpickled kills it on that item, not on the chunk it came in.
                conn.send((index, work(pickle.loads(pickled)), None))
            except Exception as exc:  # noqa: BLE001  # ``work`` failed (no model): the parent raises it
                conn.send((index, None, _portable(exc)))


def _portable(exc: Exception) -> Exception:
    """The exception, or a RuntimeError with its text if it would not pickle."""
    try:
        pickle.dumps(exc)
    except Exception:  # noqa: BLE001  # any pickling failure: send its text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


@dataclass(slots=True)
class _Job(Generic[Item]):
    """An item, its place in the input, and the tries it has used."""

    index: int
    item: Item
    tries: int = 0


#: What tells a feeder thread to end.
_CLOSE = object()


def _send_all(conn: Connection, outbox: queue.SimpleQueue[Any]) -> None:
    """A worker's feeder thread: send what the pool queues for it, in order, however long it takes.

    Sent from the pool's own thread, a chunk larger than the pipe's buffer
    would block it until the worker reads, while the worker may be waiting
    for the pool to read its results: a deadlock.
    """
    while (message := outbox.get()) is not _CLOSE:
        try:
            conn.send(message)
        except OSError:  # the worker died: the pool sees it and hands its jobs on
            return


@dataclass(slots=True)
class _Worker(Generic[Item]):
    """One worker process, its end of the pipe, its feeder thread, and the jobs it holds in order."""

    process: BaseProcess
    conn: Connection
    outbox: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    feeder: threading.Thread | None = None
    jobs: deque[_Job[Item]] = field(default_factory=deque)
    up: bool = False
    #: When it started on jobs[0] (the monotonic clock).
    since: float = 0.0


class Pool(Generic[Item, Result]):
    """Worker processes; one that dies or sticks on an item is replaced, and costs that item only.

    Args:
        jobs: worker processes.
        work: runs in a worker on one item; a module-level function (or a
            partial of one), so it pickles by reference. If it raises, ``map``
            raises the same error (no model: no item can be done).
        lost: runs here, for its result, on an item that failed twice (DIED
            or TIMED_OUT) or cannot be sent to a worker (UNSENDABLE).
        warm: runs once in each worker before its first item (load the
            model); if it raises, the worker goes on and ``work`` should meet
            the same error.
        timeout: seconds a worker may spend on one item; None: no limit.
    """

    def __init__(self, jobs: int, work: Callable[[Item], Result],
                 lost: Callable[[Item, str], Result], warm: Callable[[], None] | None = None,
                 timeout: float | None = None) -> None:
        self.jobs, self.work, self.lost, self.warm, self.timeout = jobs, work, lost, warm, timeout
        self.context = context()
        self.workers: list[_Worker[Item]] = []
        #: Workers replaced after they died or ran over the time limit.
        self.replaced = 0
        self._retry: deque[_Job[Item]] = deque()
        self._results: dict[int, Result] = {}
        self._start_failures = 0
        self._starter: threading.Thread | None = None
        # map's input: items numbered, how many taken, and whether it has ended.
        self._input: Iterator[tuple[int, Item]] = iter(())
        self._taken, self._ended = 0, False
        # The workers watch one end (see _exit_with_parent); only this process holds the other.
        self._lifeline, self._lifeline_end = self.context.Pipe(duplex=False)

    def __enter__(self) -> Pool[Item, Result]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.shutdown(abort=kind is not None)

    def start(self) -> None:
        """Bring the workers up in a background thread: the first one waits for the fork server."""
        if self._starter is None:
            self._starter = threading.Thread(target=self._spawn_all, daemon=True)
            self._starter.start()

    def ready(self) -> bool:
        """True once ``start`` has brought every worker up (or it died: ``map`` replaces it)."""
        if self._starter is None or self._starter.is_alive():
            return False
        for worker in list(self.workers):  # _receive replaces one that died
            if not worker.up and worker.conn.poll():
                self._receive(worker)
        return all(w.up or not w.process.is_alive() for w in self.workers)

    def map(self, items: Iterator[Item]) -> Iterator[Result]:
        """Every item's result, in input order, a bounded window of items in flight."""
        self.start()
        assert self._starter is not None
        self._starter.join()
        self._input, self._taken, self._ended, done = enumerate(items), 0, False, 0
        while True:
            self._feed(done)
            if self._ended and done == self._taken:
                return
            if done not in self._results:
                self._wait()
            while done in self._results:
                yield self._results.pop(done)
                done += 1

    def shutdown(self, *, abort: bool = False) -> None:
        """Stop the workers: let idle ones leave, kill the rest (at once if ``abort``)."""
        if self._starter is not None:
            self._starter.join()
        for worker in self.workers:
            if not abort and not worker.jobs:
                worker.outbox.put(None)  # the worker's word to leave
        deadline = time.monotonic() + (0.0 if abort else STOP_SECONDS)
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            self._kill(worker)
        self.workers = []
        self._lifeline.close()
        self._lifeline_end.close()

    def _spawn_all(self) -> None:
        """Start every worker (``start``'s thread)."""
        while len(self.workers) < self.jobs:
            self.workers.append(self._spawn())

    def _spawn(self) -> _Worker[Item]:
        """A new worker process and its pipe."""
        here, there = self.context.Pipe()
        # Every concrete context (forkserver, spawn) has Process; BaseContext's stub does not say so.
        process = self.context.Process(target=_serve, daemon=True,  # type: ignore[attr-defined]
                                       args=(there, self.work, self.warm, self._lifeline))
        process.start()
        there.close()
        worker: _Worker[Item] = _Worker(process, here)
        worker.feeder = threading.Thread(target=_send_all, args=(here, worker.outbox), daemon=True)
        worker.feeder.start()
        return worker

    def _feed(self, done: int) -> None:
        """Send each worker chunks until it holds TASKS_PER_WORKER of them."""
        room = CHUNK_PAGES * TASKS_PER_WORKER
        for worker in list(self.workers):
            while len(worker.jobs) < room:
                chunk = self._take(min(CHUNK_PAGES, room - len(worker.jobs)), done)
                if not chunk:
                    break
                message = self._pickled(chunk)
                if not worker.jobs:
                    worker.since = time.monotonic()
                worker.jobs.extend(job for job in chunk if job.index not in self._results)
                worker.outbox.put(message)

    def _pickled(self, chunk: list[_Job[Item]]) -> list[tuple[int, bytes]]:
        """The chunk as a worker gets it; an item that does not pickle is ``lost`` here."""
        message = []
        for job in chunk:
            try:
                message.append((job.index, pickle.dumps(job.item, pickle.HIGHEST_PROTOCOL)))
            except Exception:  # noqa: BLE001  # pickle raises many kinds (TypeError, PicklingError...)
                self._results[job.index] = self.lost(job.item, UNSENDABLE)
        return message

    def _take(self, count: int, done: int) -> list[_Job[Item]]:
        """Up to ``count`` jobs: retries first, then new items while the window has room."""
        window = self.jobs * CHUNK_PAGES * TASKS_PER_WORKER
        jobs: list[_Job[Item]] = []
        while len(jobs) < count and self._retry:
            jobs.append(self._retry.popleft())
        while len(jobs) < count and not self._ended and self._taken - done < window:
            following = next(self._input, None)
            if following is None:
                self._ended = True
                break
            jobs.append(_Job(*following))
            self._taken += 1
        return jobs

    def _wait(self) -> None:
        """Wait for a result, a death or the next deadline, and deal with what came."""
        waiting: dict[Any, _Worker[Item]] = {}
        for worker in self.workers:
            waiting[worker.conn] = waiting[worker.process.sentinel] = worker
        for ready in wait(list(waiting), self._until_deadline()):
            worker = waiting[ready]
            if worker in self.workers:
                if ready is worker.conn:
                    self._receive(worker)
                elif not worker.conn.poll():  # dead, and nothing left to read
                    self._replace(worker, DIED)
        now = time.monotonic()
        for worker in list(self.workers):
            if self.timeout is not None and worker.up and worker.jobs \
                    and now - worker.since > self.timeout:
                self._replace(worker, TIMED_OUT)

    def _until_deadline(self) -> float | None:
        """Seconds until the first busy worker runs over the time limit (None: no limit)."""
        if self.timeout is None:
            return None
        busy = [w.since + self.timeout for w in self.workers if w.up and w.jobs]
        return max(0.0, min(busy) - time.monotonic()) + 0.01 if busy else None

    def _receive(self, worker: _Worker[Item]) -> None:
        """Take every message the worker has sent: it is up, or an item is done."""
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                worker.since = time.monotonic()
                if message == _READY:
                    worker.up, self._start_failures = True, 0
                    continue
                index, result, error = message
                if error is not None:
                    raise error
                worker.jobs.popleft()
                self._results[index] = result
        except (EOFError, OSError):
            self._replace(worker, DIED)

    def _replace(self, worker: _Worker[Item], why: str) -> None:
        """Kill a worker that died or stuck; its item gets a try less, the rest go to the others."""
        self._kill(worker)
        self.workers.remove(worker)
        self.replaced += 1
        jobs = worker.jobs
        if not worker.up:
            self._start_failures += 1
            if self._start_failures >= START_FAILURES:
                raise EngineError(f"{START_FAILURES} worker processes in a row died as they "
                                  f"started (exit code {worker.process.exitcode})")
        elif jobs:
            jobs[0].tries += 1
            if jobs[0].tries >= TRIES:
                failed = jobs.popleft()
                self._results[failed.index] = self.lost(failed.item, why)
        self._retry.extendleft(reversed(jobs))
        self.workers.append(self._spawn())

    @staticmethod
    def _kill(worker: _Worker[Item]) -> None:
        """End the worker process now (SIGKILL: it may be stopped or stuck in C code)."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.outbox.put(_CLOSE)
        if worker.feeder is not None:  # a send to the dead worker fails at once: it ends
            worker.feeder.join()
        worker.conn.close()
