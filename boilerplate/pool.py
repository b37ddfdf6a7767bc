"""Worker processes for batch mode: chunks of pages through a function, results in input order.

``Pool(jobs, work, lost, warm)`` runs ``work`` on chunks of a few pages in
``jobs`` worker processes, a bounded window of chunks in flight, and gives the
results back in input order. A worker that dies (segfault, out of memory)
fails only the chunks it held: ``lost`` makes their results, and the pool
starts anew for the rest. ``start`` brings the workers up in the background,
so the caller can keep working until ``ready``.

Workers run exactly the parent's package: they import it themselves, after
multiprocessing gave them the parent's sys.path and current directory (see
``context``).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from types import TracebackType
from typing import Generic, TypeVar

__all__ = ["CHUNK_PAGES", "TASKS_PER_WORKER", "Pool", "context"]

#: Pages per task sent to a worker: few enough to keep every worker busy on
#: a handful of pages, enough to save round trips. 150 dragnet pages on two
#: workers (busy machine, two runs each): 1 page a task 18.5-18.9 s,
#: 4 pages 12.7-14.5 s, 16 pages 14.4-16.1 s.
CHUNK_PAGES = 4
#: Tasks in flight per worker: one running, one queued, so a worker never
#: waits for the parent; it also bounds the pages held in memory.
TASKS_PER_WORKER = 2
#: OpenMP threads per worker process (see _init_worker).
WORKER_THREADS = 1
#: What the fork server imports once, before it forks workers: the heavy
#: third-party libraries, never this package (see context).
PRELOAD = ("numpy", "lxml.etree")

Item = TypeVar("Item")
Result = TypeVar("Result")


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
    (multiprocessing's preparation data), then unpickles its task, which
    imports the package from where the parent has it.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(list(PRELOAD))
    return forkserver


def _init_worker(warm: Callable[[], None] | None, lifeline: Connection) -> None:
    """Run on one thread, end with the parent, leave Ctrl-C to it, then ``warm`` (load the model)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    # The workers are the parallelism: native thread pools in each (OpenMP,
    # BLAS) would only oversubscribe the cores.
    threadpool_limits(limits=WORKER_THREADS)
    if warm is not None:
        try:
            warm()
        except Exception:  # the worker's first task meets it again and raises it in the parent
            pass


def _exit_with_parent(lifeline: Connection) -> None:
    """End the worker when the parent is gone, even if it was killed without cleaning up.

    Only the parent holds the other end of the pipe, and it never writes: the
    read returns when the parent closes it or dies. (Left alone, a worker of
    a killed parent waits for its next task forever.)
    """
    try:
        lifeline.recv_bytes()
    except (EOFError, OSError):
        pass
    os._exit(1)


def _ready() -> None:
    """A no-op task: it comes back once a worker is up and warm."""


@dataclass(frozen=True, slots=True)
class _Task(Generic[Item, Result]):
    """A chunk of pages submitted to one generation of the pool."""

    items: list[Item]
    future: Future[list[Result]]
    generation: int


class Pool(Generic[Item, Result]):
    """Worker processes that start anew when one dies, failing only the chunks in flight.

    (``multiprocessing.Pool`` would wait forever for a task whose worker died.)

    Args:
        jobs: worker processes.
        work: runs in a worker on one chunk; a module-level function (or a
            partial of one), so it pickles by reference.
        lost: runs here on a chunk whose worker died, for its results.
        warm: runs once in each worker before its first chunk (load the
            model); if it raises, the worker goes on and ``work`` should meet
            the same error.
    """

    def __init__(self, jobs: int, work: Callable[[list[Item]], list[Result]],
                 lost: Callable[[list[Item]], list[Result]],
                 warm: Callable[[], None] | None = None) -> None:
        self.jobs, self.work, self.lost, self.warm = jobs, work, lost, warm
        self.generation = 0
        self.executor = self._executor()
        self._warming: list[Future[None]] = []
        self._starter: threading.Thread | None = None

    def __enter__(self) -> Pool[Item, Result]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.shutdown()

    def start(self) -> None:
        """Bring the workers up in a background thread: the first one waits for the fork server."""
        self._starter = threading.Thread(target=self._warm_up, daemon=True)
        self._starter.start()

    def ready(self) -> bool:
        """True once ``start`` has brought every worker up (a no-op task came back from each)."""
        started = self._starter is not None and not self._starter.is_alive()
        return started and all(future.done() for future in self._warming)

    def map(self, items: Iterator[Item]) -> Iterator[Result]:
        """Every item's result, in input order, a bounded window of chunks in flight."""
        chunks = iter(lambda: list(islice(items, CHUNK_PAGES)), [])
        window = deque(self._submit(chunk) for chunk in islice(chunks, self.jobs * TASKS_PER_WORKER))
        while window:
            results = self._result(window.popleft())
            following = next(chunks, None)
            if following is not None:
                window.append(self._submit(following))
            yield from results

    def shutdown(self) -> None:
        """Stop the workers; queued chunks that never started are dropped."""
        if self._starter is not None:
            self._starter.join()
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.lifeline.close()

    def _warm_up(self) -> None:
        """Submit a no-op task per worker (``start``'s thread)."""
        # One task per worker: the executor starts a process per task while none is idle.
        try:
            self._warming = [self.executor.submit(_ready) for _ in range(self.jobs)]
        except (BrokenProcessPool, OSError):  # map's first submit meets it again (or starts anew)
            pass

    def _executor(self) -> ProcessPoolExecutor:
        """A new executor, and the lifeline its workers watch."""
        mp_context = context()
        lifeline, self.lifeline = mp_context.Pipe(duplex=False)  # see _exit_with_parent
        return ProcessPoolExecutor(self.jobs, mp_context=mp_context, initializer=_init_worker,
                                   initargs=(self.warm, lifeline))

    def _submit(self, items: list[Item]) -> _Task[Item, Result]:
        """Queue a chunk (on a new executor if the last one broke)."""
        try:
            future = self.executor.submit(self.work, items)
        except BrokenProcessPool:
            self._restart()
            future = self.executor.submit(self.work, items)
        return _Task(items, future, self.generation)

    def _result(self, task: _Task[Item, Result]) -> list[Result]:
        """A chunk's results; if its worker died, ``lost``'s."""
        try:
            return task.future.result()
        except (BrokenProcessPool, CancelledError):
            if task.generation == self.generation:
                self._restart()
            return self.lost(task.items)

    def _restart(self) -> None:
        """Replace a broken executor; chunks of the old generation are lost."""
        self.shutdown()
        self.generation += 1
        self._starter = None
        self.executor = self._executor()
