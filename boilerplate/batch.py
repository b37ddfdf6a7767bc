"""Many pages at once: ``declutter_many`` turns a stream of pages into PageRecords, in order.

The rooms of batch mode, data flowing one way::

    readers.py     inputs (files, folders, globs, stdin, WARC, JSON Lines) -> Pages
    warc.py        a WARC file's HTML responses, in bounded memory, damage reported and skipped
    batch.py       Page -> PageRecord (process_page), in this process or on workers
    pool.py        the workers: chunks in flight, a dead or stuck worker's page retried, order kept
    records.py     PageRecord: a page's Extraction or its error, and its JSON record
    sitememory.py  remember_sites: site memory over the records (two passes, spooled)

Pages are read lazily and at most a few per worker are in flight, so a stream
of any length runs in flat memory (with site memory every page is processed
before the first record comes out). Workers are started by a fork server
(spawn where there is none): a script that uses them needs the usual
``if __name__ == "__main__":`` guard. Each worker runs on one thread.

A page may take ``page_timeout`` seconds (default 60, a hundred times the
slowest page of our data). Wherever it runs, an alarm signal stops it there
(a Python ``SIGALRM`` handler: between bytecodes and inside the regex engine;
only in a main thread, and never when the program has its own SIGALRM handler
or timer) and its record says so. A worker that is still stuck on it a few
seconds later (in compiled code, or stopped) is killed by the parent and
replaced; so is one that dies. Either way only the page it was on is
affected: it is tried once more, then gets an error record; the pages queued
behind it go to the workers again.

When workers pay off (``jobs=None``, the default): two of them took 0.66 s
to come up and 0.31 s of CPU time (a fork server, then each worker imports
the package and loads the model; medians of 9 fresh starts on a busy
machine), while a page takes about 4 ms. So pages run in this process, and
only once they have taken ``POOL_AFTER_SECONDS`` of CPU time and more remain
are workers started, one per CPU, in the background; this process goes on
with the next pages until they are up, then hands them the rest. A short
batch never pays for workers; a long one loses at most about that second on
one core. ``jobs=N`` (N > 1) uses N workers from the first page (a single
page still runs here); ``jobs=1`` never starts any.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any, TypeVar

from .api import extract
from .decode import DEFAULT_MAX_BYTES
from .errors import BoilerplateError, OptionError
from .model import load_model
from .options import Engine, Options
from .pool import DIED, TIMED_OUT, Pool
from .readers import Page, as_page, read_inputs
from .records import PageRecord, error_message
from .sitememory import NO_SITE, SiteRule, remember_sites, site_of
from .sniff import Kind

__all__ = [
    "Page",
    "PageRecord",
    "declutter_many",
    "read_inputs",
    "remember_sites",
    "site_key",
]

#: Seconds a page may take (declutter_many's default, the CLI's --page-timeout):
#: generous, as a stuck page only delays the pages after it. The slowest page of
#: ../shared/data takes under 0.6 s; a 20 MB page about 10 s.
PAGE_TIMEOUT = 60.0
#: Seconds past page_timeout the parent waits before it kills a worker: the
#: alarm in the worker should have turned the page into a record by then.
STUCK_GRACE = 5.0
#: The errors of a page that two workers in a row died on, or stuck on.
WORKER_DIED = "the worker process died on this page, twice (crash or out of memory)"
WORKER_STUCK = ("the worker process was stuck on this page, twice, and was killed "
                "({seconds:g} s, page_timeout)")
UNSENDABLE = "the page cannot be sent to a worker process (it does not pickle)"
#: The error of a page stopped by its time limit.
PAGE_TIMED_OUT = "the page ran over its time limit of {seconds:g} s (page_timeout)"
#: CPU seconds of pages done in this process before workers start (jobs=None):
#: three times what two workers cost to start (0.31 s), and longer than they
#: take to come up on a busy machine (0.66 s), so a batch under about 230
#: pages never pays for them. End to end (README, Batch mode) the default
#: matched the better of --jobs 1 and --jobs 2 at 100, 183 and 1,086 pages;
#: at 400, where the workers come up just before the end, it was 8% slower
#: than --jobs 1.
POOL_AFTER_SECONDS = 1.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Work:
    """What every page is run with: declutter's checked options, and whether records keep lines."""

    run: Options
    lines: bool
    #: Seconds a page may take; None: no limit.
    page_timeout: float | None = PAGE_TIMEOUT


def declutter_many(
    pages: Iterable[Any],
    *,
    jobs: int | None = None,
    engine: Engine | str = Engine.MODEL,
    kind: Kind = "auto",
    threshold: float | None = None,
    model: str | Path | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    lines: bool = False,
    site_memory: bool | SiteRule = False,
    on_record: Callable[[PageRecord], None] | None = None,
    page_timeout: float | None = PAGE_TIMEOUT,
    articles_only: bool = False,
) -> Iterator[PageRecord]:
    """Declutter a stream of pages, here or on worker processes; one record per page, in order.

    Args:
        pages: each a str or bytes (HTML or text), a ``(data, url)`` pair, a
            mapping with ``html`` or ``text`` and optional ``url``, ``site`` and
            ``source``, or a ``Page`` (from ``read_inputs``).
        jobs: worker processes; None (default): one per CPU, started once the
            batch is long enough to pay for them (module docstring); 1: none.
        engine, kind, threshold, model, max_bytes, articles_only: as for ``declutter``
            (a page that articles_only empties gives an "empty" record).
        lines: keep every line's decision in the records (``PageRecord.lines``).
        site_memory: True (or a ``SiteRule``) to drop the content lines that repeat on
            many pages of one site (``sitememory.py``); the records then carry ``site``.
        on_record: called with each record as soon as it is made (before site memory).
        page_timeout: seconds a page may take (module docstring); None: no limit.

    Returns:
        PageRecords, one per page, in input order; a page that fails gives a
        record whose ``error`` says why: it never raises for a page.

    Raises:
        OptionError: at once, for an unknown engine or kind, a threshold out of
            range, jobs below 1, a page_timeout not above 0, or articles_only with trafilatura.
        ModelError: when iteration starts, once, if the model cannot be loaded.
    """
    rule = _site_rule(site_memory)
    work = _work(engine, kind, threshold, model, max_bytes, bool(lines) or rule is not None,
                 page_timeout, jobs, articles_only)
    stream: Iterator[Page] = (as_page(i, page) for i, page in enumerate(pages))
    if rule is None:
        return _tap(_records(stream, work, jobs), on_record)
    sites: deque[str] = deque()  # every page gives exactly one record, in order
    stream = _tap(stream, lambda page: sites.append(site_key(page)))
    records = (replace(r, site=sites.popleft()) for r in _records(stream, work, jobs))
    return remember_sites(_tap(records, on_record), rule, lines=lines)


def site_key(page: Page) -> str:
    """The site a page counts for in site memory: its URL's, else its fallback, else NO_SITE."""
    return site_of(page.url) or page.site or NO_SITE


def _work(engine: Engine | str, kind: str, threshold: float | None, model: str | Path | None,
          max_bytes: int | None, lines: bool, page_timeout: float | None, jobs: int | None,
          articles_only: bool = False) -> Work:
    """The checked options every page runs with (and a check of ``jobs``)."""
    run = Options.of(kind=kind, engine=engine, threshold=threshold, model=model, max_bytes=max_bytes,
                     articles_only=articles_only)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise OptionError(f"jobs must be a whole number, at least 1, not {jobs!r}")
    return Work(run=run, lines=lines, page_timeout=_page_timeout(page_timeout))


def _page_timeout(value: Any) -> float | None:
    """A checked page_timeout: None, or a positive, finite number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise OptionError(f"page_timeout must be a number of seconds above 0, or None, not {value!r}")
    return float(value)


def _site_rule(site_memory: bool | SiteRule) -> SiteRule | None:
    """The site memory rule asked for, or None."""
    if isinstance(site_memory, SiteRule):
        return site_memory
    if not isinstance(site_memory, bool):
        raise OptionError(f"site_memory is True, False or a SiteRule, not {site_memory!r}")
    return SiteRule() if site_memory else None


def _tap(items: Iterable[T], call: Callable[[T], object] | None) -> Iterator[T]:
    """The items, each shown to ``call`` (if any) as it passes."""
    for item in items:
        if call is not None:
            call(item)
        yield item


def _records(pages: Iterator[Page], work: Work, jobs: int | None) -> Iterator[PageRecord]:
    """The pages' records, by the jobs rule (module docstring)."""
    if jobs is None:
        workers = _cpus()
        return _adaptive(pages, work, workers) if workers > 1 else _in_process(pages, work)
    return _in_process(pages, work) if jobs == 1 else _pooled(pages, work, jobs)


def _cpus() -> int:
    """The CPUs this process may run on (a container or taskset may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def process_page(page: Page, work: Work) -> PageRecord:
    """Declutter one page; any failure becomes the record's error."""
    if page.error is not None:
        return PageRecord.failed(page.source, page.url, page.error)
    # A Page made by hand may hold anything: extract's TypeError is then the record's error.
    data: Any = page.data
    try:
        with _time_limit(work.page_timeout):
            result = extract(data, work.run, url=page.url)
    except Exception as exc:  # a bad page never stops the batch: its record says why
        return PageRecord.failed(page.source, page.url, error_message(exc))
    return PageRecord.of(page.source, result, lines=work.lines)


class _PageTimeout(BoilerplateError):
    """Raised by the alarm in a page that ran over page_timeout."""


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise _PageTimeout in this thread after ``seconds``, where an alarm signal may be used.

    Only in the main thread (Python runs signal handlers there), and only when
    the program has no SIGALRM handler or timer of its own to clobber.
    """
    if seconds is None or not _alarm_free():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _PageTimeout(PAGE_TIMED_OUT.format(seconds=seconds))

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _alarm_free() -> bool:
    """True if this thread may use SIGALRM and ITIMER_REAL (see _time_limit)."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


def run_page(work: Work, page: Page) -> PageRecord:
    """A worker's task: one page.

    Raises:
        ModelError: if the worker could not load the model (the batch stops).
    """
    _check_model(work)
    return process_page(page, work)


def _check_model(work: Work) -> None:
    """Load the model engine's model (cached per process); raise ModelError if it cannot."""
    if work.run.engine is Engine.MODEL:
        load_model(work.run.model)


def _in_process(pages: Iterable[Page], work: Work) -> Iterator[PageRecord]:
    """The pages one after the other, in this process."""
    _check_model(work)
    for page in pages:
        yield process_page(page, work)


def _adaptive(pages: Iterator[Page], work: Work, jobs: int) -> Iterator[PageRecord]:
    """Pages here until they have taken POOL_AFTER_SECONDS, then on ``jobs`` workers once up."""
    _check_model(work)
    busy = 0.0
    for page in pages:
        started = time.thread_time()  # this thread's CPU time: steady on a busy machine
        record = process_page(page, work)
        busy += time.thread_time() - started
        yield record
        if busy >= POOL_AFTER_SECONDS:
            break
    following = next(pages, None)
    if following is not None:
        yield from _handed_over(chain([following], pages), work, jobs)


def _handed_over(pages: Iterator[Page], work: Work, jobs: int) -> Iterator[PageRecord]:
    """Start the workers; pages go on here until they are up, then the rest go to them."""
    with _pool(work, jobs) as pool:
        pool.start()
        for page in pages:
            yield process_page(page, work)
            if pool.ready():
                break
        yield from pool.map(pages)


def _pooled(pages: Iterator[Page], work: Work, jobs: int) -> Iterator[PageRecord]:
    """The pages on ``jobs`` workers from the first one (a single page runs here)."""
    head = list(islice(pages, 2))
    if len(head) < 2:  # one page: a pool would only add its start-up time
        yield from _in_process(head, work)
        return
    with _pool(work, jobs) as pool:
        yield from pool.map(chain(head, pages))


def _pool(work: Work, jobs: int) -> Pool[Page, PageRecord]:
    """Workers that turn pages into records, the model loaded in each."""
    stuck = None if work.page_timeout is None else work.page_timeout + STUCK_GRACE
    return Pool(jobs, partial(run_page, work), partial(_lost, work),
                warm=partial(_check_model, work), timeout=stuck)


def _lost(work: Work, page: Page, why: str) -> PageRecord:
    """The record of a page that two workers died on or stuck on, or that cannot go to one."""
    if why == DIED:
        error = WORKER_DIED
    elif why == TIMED_OUT:
        error = WORKER_STUCK.format(seconds=work.page_timeout)
    else:
        error = UNSENDABLE
    return PageRecord.failed(page.source, page.url, error)
