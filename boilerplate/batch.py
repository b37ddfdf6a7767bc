"""Many pages at once: ``declutter_many`` turns a stream of pages into PageRecords, in order.

The rooms of batch mode, data flowing one way::

    readers.py     inputs (files, folders, globs, stdin, WARC, JSON Lines) -> Pages
    batch.py       Page -> PageRecord (process_page), in this process or on workers
    pool.py        the workers: chunks in flight, a dead worker's pages failed, order kept
    records.py     PageRecord: a page's Extraction or its error, and its JSON record
    sitememory.py  remember_sites: site memory over the records (two passes, spooled)

Pages are read lazily and at most a few per worker are in flight, so a stream
of any length runs in flat memory (with site memory every page is processed
before the first record comes out). Workers are started by a fork server
(spawn where there is none): a script that uses them needs the usual
``if __name__ == "__main__":`` guard. Each worker runs on one thread.

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

import os
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
from .errors import OptionError
from .model import load_model
from .options import Engine, Options
from .pool import Pool
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

#: The error of pages lost with a worker that died (segfault, out of memory).
WORKER_DIED = "a worker process died while this page was in flight (crash or out of memory)"
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
    articles_only: bool = False,
) -> Iterator[PageRecord]:
    """Declutter a stream of pages, here or on worker processes; one record per page, in order.

    Args:
        pages: each a str or bytes (HTML or text), a ``(data, url)`` pair, a
            mapping with ``html`` or ``text`` and optional ``url``, ``site`` and
            ``source``, or a ``Page`` (from ``read_inputs``).
        jobs: worker processes; None (default): one per CPU, started once the
            batch is long enough to pay for them (module docstring); 1: none.
        engine, kind, threshold, model, max_bytes: as for ``declutter``.
        lines: keep every line's decision in the records (``PageRecord.lines``).
        site_memory: True (or a ``SiteRule``) to drop the content lines that
            repeat on many pages of one site (``sitememory.py``); the records
            then carry ``site``.
        on_record: called with each record as soon as it is made, before site
            memory holds it back (progress displays).
        articles_only: as for ``declutter``: a page that is not an article
            gets an empty body and a warning (its record is "empty").

    Returns:
        An iterator of PageRecords, one per page, in input order; a page that
        fails gives a record whose ``error`` says why: it never raises for a page.

    Raises:
        OptionError: at once, for an unknown engine or kind, a threshold out of
            range, jobs below 1, or articles_only with the trafilatura engine.
        ModelError: when iteration starts, once, if the model cannot be loaded.
    """
    rule = _site_rule(site_memory)
    work = _work(engine, kind, threshold, model, max_bytes, bool(lines) or rule is not None, articles_only)
    if jobs is not None and jobs < 1:
        raise OptionError(f"jobs must be at least 1, not {jobs}")
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
          max_bytes: int | None, lines: bool, articles_only: bool = False) -> Work:
    """The checked options every page runs with."""
    run = Options.of(kind=kind, engine=engine, threshold=threshold, model=model, max_bytes=max_bytes,
                     articles_only=articles_only)
    return Work(run=run, lines=lines)


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
        result = extract(data, work.run, url=page.url)
    except Exception as exc:  # a bad page never stops the batch: its record says why
        return PageRecord.failed(page.source, page.url, error_message(exc))
    return PageRecord.of(page.source, result, lines=work.lines)


def run_chunk(work: Work, pages: list[Page]) -> list[PageRecord]:
    """A worker's task: a few pages in a row.

    Raises:
        ModelError: if the worker could not load the model (the batch stops).
    """
    _check_model(work)
    return [process_page(page, work) for page in pages]


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
    """Workers that turn chunks of pages into records, the model loaded in each."""
    return Pool(jobs, partial(run_chunk, work), _lost, warm=partial(_check_model, work))


def _lost(pages: list[Page]) -> list[PageRecord]:
    """The records of pages whose worker died."""
    return [PageRecord.failed(page.source, page.url, WORKER_DIED) for page in pages]
