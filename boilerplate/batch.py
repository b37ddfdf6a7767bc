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
"""

from __future__ import annotations

import os
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
    "process_page",
    "read_inputs",
    "remember_sites",
    "site_key",
]

#: The error of pages lost with a worker that died (segfault, out of memory).
WORKER_DIED = "a worker process died while this page was in flight (crash or out of memory)"

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
) -> Iterator[PageRecord]:
    """Declutter a stream of pages, here or on worker processes; one record per page, in order.

    Args:
        pages: each a str or bytes (HTML or text), a ``(data, url)`` pair, a
            mapping with ``html`` or ``text`` and optional ``url``, ``site`` and
            ``source``, or a ``Page`` (from ``read_inputs``).
        jobs: worker processes (default: the CPU count); 1 runs in this process.
        engine, kind, threshold, model, max_bytes: as for ``declutter``.
        lines: keep every line's decision in the records (``PageRecord.lines``).
        site_memory: True (or a ``SiteRule``) to drop the content lines that
            repeat on many pages of one site (``sitememory.py``); the records
            then carry ``site``.
        on_record: called with each record as soon as it is made, before site
            memory holds it back (progress displays).

    Returns:
        An iterator of PageRecords, one per page, in input order; a page that
        fails gives a record whose ``error`` says why: it never raises for a page.

    Raises:
        OptionError: at once, for an unknown engine or kind, a threshold out of
            range, or jobs below 1.
        ModelError: when iteration starts, once, if the model cannot be loaded.
    """
    rule = _site_rule(site_memory)
    work = _work(engine, kind, threshold, model, max_bytes, bool(lines) or rule is not None)
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
          max_bytes: int | None, lines: bool) -> Work:
    """The checked options every page runs with."""
    # Options takes what declutter takes (an engine's name, a Path) and checks and normalises it.
    run = Options(kind=kind, engine=engine,  # type: ignore[arg-type]
                  threshold=threshold, model=model, max_bytes=max_bytes)  # type: ignore[arg-type]
    return Work(run=run, lines=lines)


def _site_rule(site_memory: bool | SiteRule) -> SiteRule | None:
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
    """The pages' records: in this process (jobs=1) or on workers."""
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    return _in_process(pages, work) if jobs == 1 else _pooled(pages, work, jobs)


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


def _pooled(pages: Iterator[Page], work: Work, jobs: int) -> Iterator[PageRecord]:
    """The pages on ``jobs`` workers (a single page runs here)."""
    head = list(islice(pages, 2))
    if len(head) < 2:  # one page: a pool would only add its start-up time
        yield from _in_process(head, work)
        return
    with _pool(work, jobs) as pool:
        yield from pool.map(chain(head, pages))


def _pool(work: Work, jobs: int) -> Pool[Page, PageRecord]:
    return Pool(jobs, partial(run_chunk, work), _lost, warm=partial(_check_model, work))


def _lost(pages: list[Page]) -> list[PageRecord]:
    """The records of pages whose worker died."""
    return [PageRecord.failed(page.source, page.url, WORKER_DIED) for page in pages]
