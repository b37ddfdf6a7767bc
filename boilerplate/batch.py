"""Many pages at once: read files, folders, globs, WARC and JSON Lines; run them on workers.

``read_inputs`` turns command-line style inputs into a stream of Pages;
``declutter_many`` turns any stream of pages into PageRecords, one per page,
in input order, on worker processes, never raising for a bad page;
``remember_sites`` applies site memory (``sitememory.py``) to a stream of records.
"""

from __future__ import annotations

import glob
import gzip
import json
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from itertools import chain, islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from .api import extract
from .document import Extraction, LineResult
from .options import Engine, Options
from .errors import BoilerplateError, OptionError
from .model import load_model
from .decode import DEFAULT_MAX_BYTES
from .sniff import Kind
from .sitememory import NO_SITE, SiteCounts, SiteRule, relabel, site_of

__all__ = [
    "INPUT_SUFFIXES",
    "Page",
    "PageRecord",
    "declutter_many",
    "read_inputs",
    "remember_sites",
    "site_key",
]

#: Files a folder contributes (matched case-insensitively); a file named
#: explicitly or matched by a glob is read whatever its name.
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".txt")
WARC_SUFFIXES = (".warc", ".warc.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
INPUT_SUFFIXES = PAGE_SUFFIXES + WARC_SUFFIXES + JSONL_SUFFIXES
#: HTTP Content-Types of the WARC response records that are pages.
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
STDIN = "-"
#: Pages per task sent to a worker: few enough to keep every worker busy on
#: a handful of pages, enough to save round trips. 150 dragnet pages on two
#: workers (busy machine, two runs each): 1 page a task 18.5-18.9 s,
#: 4 pages 12.7-14.5 s, 16 pages 14.4-16.1 s.
CHUNK_PAGES = 4
#: Tasks in flight per worker: one running, one queued, so a worker never
#: waits for the parent; it also bounds the pages held in memory.
TASKS_PER_WORKER = 2
#: The error of pages lost with a worker that died (segfault, out of memory).
WORKER_DIED = "a worker process died while this page was in flight (crash or out of memory)"
_GLOB_CHARS = frozenset("*?[")
#: OpenMP threads per worker process (see _init_worker).
WORKER_THREADS = 1
#: Imported once by the fork server, before it forks workers (see _mp_context).
_WORKER_PRELOAD = ("boilerplate.batch",)


@dataclass(frozen=True, slots=True)
class Page:
    """One input page (its data and URL), or the error that kept it from being read.

    ``site`` is the page's site for site memory when it has no URL (read_inputs:
    the folder of a page file, the WARC or JSON Lines file of a record).
    """

    source: str
    data: str | bytes | None = None
    url: str | None = None
    error: str | None = None
    site: str | None = None


def site_key(page: Page) -> str:
    """The site a page counts for in site memory: its URL's, else its fallback, else NO_SITE."""
    return site_of(page.url) or page.site or NO_SITE


@dataclass(frozen=True, slots=True)
class PageRecord:
    """The outcome for one page: its article text and metadata, or an error."""

    source: str
    url: str | None = None
    text: str = ""
    title: str | None = None
    date: str | None = None
    engine: str | None = None
    model_version: str | None = None
    kind: str | None = None
    lines: tuple[LineResult, ...] | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None
    #: The site the page was compared with (only with site memory).
    site: str | None = None

    @property
    def status(self) -> str:
        """'failed' (error), 'empty' (no article text) or 'ok'."""
        if self.error is not None:
            return "failed"
        return "ok" if self.text else "empty"

    def to_dict(self) -> dict[str, Any]:
        """The JSON record: the page's fields (site and lines when set), or source, url and error."""
        if self.error is not None:
            return {"source": self.source, "url": self.url, "error": self.error}
        record: dict[str, Any] = {
            "source": self.source, "url": self.url, "text": self.text, "title": self.title,
            "date": self.date, "engine": self.engine, "model_version": self.model_version,
            "kind": self.kind,
        }
        if self.site is not None:
            record["site"] = self.site
        if self.lines is not None:
            record["lines"] = [line_dict(line) for line in self.lines]
        return record

    @classmethod
    def from_extraction(cls, source: str, result: Extraction, *, lines: bool) -> PageRecord:
        """The record of a page declutter succeeded on."""
        return cls(
            source=source, url=result.url, text=result.text, title=result.title,
            date=result.date, engine=result.engine, model_version=result.model_version,
            kind=result.kind, lines=result.lines if lines else None, warnings=result.warnings,
        )


def line_dict(line: LineResult) -> dict[str, Any]:
    """One line as the label schema of our fixtures: text, label, score, reason."""
    return {"text": line.text, "label": line.label.value, "score": line.score, "reason": line.reason}


@dataclass(frozen=True, slots=True)
class _Options:
    """declutter's options (checked once), shipped to the workers with every task."""

    run: Options
    lines: bool


# --------------------------------------------------------------------------- processing


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
    """Declutter a stream of pages on worker processes; one record per page, in order.

    Pages are read lazily and at most a few per worker are in flight, so a
    stream of any length runs in flat memory. (With ``site_memory`` every
    page is processed before the first record comes out: see
    ``remember_sites``.) With more than one job and
    more than one page the work runs in worker processes started by a fork
    server (spawn where there is none): a script that calls this needs the
    usual ``if __name__ == "__main__":`` guard. Each worker runs on one
    thread: ``jobs`` is the number of cores used.

    Args:
        pages: each a str or bytes (HTML or text), a ``(data, url)`` pair, a
            mapping with ``html`` or ``text`` and optional ``url`` and
            ``source``, or a ``Page`` (from ``read_inputs``).
        jobs: worker processes (default: the CPU count); 1 runs in this process.
        engine, kind, threshold, model, max_bytes: as for ``declutter``.
        lines: keep every line's decision in the records (``PageRecord.lines``).
        site_memory: True (or a ``SiteRule``) to drop the content lines that
            repeat on many pages of the same site (``sitememory.py``). A
            page's site is its URL's host, else a mapping's ``site`` or the
            fallback read_inputs gives (the file's folder, the WARC or JSON
            Lines file). The records then carry ``site``.
        on_record: called in this process with each record as soon as it is
            made (before site memory holds it back): for progress displays.

    Returns:
        An iterator of PageRecords, one per page, in input order. A page that
        fails yields a record whose ``error`` says why; it never raises for a page.

    Raises:
        OptionError: at once, for an unknown engine or kind, a threshold out of
            range, or jobs below 1 (the same checks as ``declutter``).
        ModelError: when iteration starts, if the model engine's model cannot
            be loaded: once for the batch, not once per page.
    """
    rule = _site_rule(site_memory)
    options = _options(engine, kind, threshold, model, max_bytes, lines or rule is not None)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if jobs < 1:
        raise OptionError(f"jobs must be at least 1, not {jobs}")
    stream = (_as_page(i, page) for i, page in enumerate(pages))
    if rule is None:
        records = _in_process(stream, options) if jobs == 1 else _pooled(stream, options, jobs)
        return records if on_record is None else _tap(records, on_record)
    sites: deque[str] = deque()  # every page gives exactly one record, in order
    stream = _tap(stream, lambda page: sites.append(site_key(page)))
    records = _in_process(stream, options) if jobs == 1 else _pooled(stream, options, jobs)
    records = (replace(r, site=sites.popleft()) for r in records)
    if on_record is not None:
        records = _tap(records, on_record)
    return remember_sites(records, rule, lines=lines)


def _site_rule(site_memory: bool | SiteRule) -> SiteRule | None:
    if isinstance(site_memory, SiteRule):
        return site_memory
    if not isinstance(site_memory, bool):
        raise OptionError(f"site_memory is True, False or a SiteRule, not {site_memory!r}")
    return SiteRule() if site_memory else None


def _tap(items: Iterable[Any], call: Callable[[Any], None]) -> Iterator[Any]:
    for item in items:
        call(item)
        yield item


def remember_sites(records: Iterable[PageRecord], rule: SiteRule = SiteRule(), *,
                   lines: bool = False) -> Iterator[PageRecord]:
    """Site memory over a stream of records made with lines: two passes, order kept.

    Pass one counts every line of every page under the record's ``site``
    (NO_SITE when None) and writes the records to a temporary file; pass two
    reads them back in order and applies ``sitememory.relabel``: the lines it
    drops become boilerplate with their reason, and ``text`` is rebuilt from
    the content lines. Failed records and records without lines pass through
    unchanged. Memory holds the line counts, not the pages.

    Args:
        records: PageRecords with ``lines`` (``declutter_many(..., lines=True)``).
        rule: the thresholds.
        lines: keep the lines in the records that come out.
    """
    counts = SiteCounts()
    with tempfile.TemporaryFile(prefix="declutter-sites-") as spool:
        held = 0
        for record in records:
            if record.lines is not None and record.error is None:
                counts.add(record.site or NO_SITE, (line.text for line in record.lines))
            pickle.dump(record, spool, protocol=pickle.HIGHEST_PROTOCOL)
            held += 1
        spool.seek(0)
        for _ in range(held):
            yield _remembered(pickle.load(spool), counts, rule, lines)


def _remembered(record: PageRecord, counts: SiteCounts, rule: SiteRule, lines: bool) -> PageRecord:
    """One record with the site rule applied (and its lines dropped unless wanted)."""
    if record.lines is None or record.error is not None:
        return record
    site = record.site or NO_SITE
    texts = [line.text for line in record.lines]
    new = relabel(record.lines, counts.occurrences(site, texts), site=site,
                  site_pages=counts.pages(site), rule=rule)
    text = record.text
    if new is not record.lines:  # relabel returns the very same lines when it drops none
        text = "\n".join(line.text for line in new if line.is_content)
    return replace(record, text=text, lines=new if lines else None, site=site)


def _options(engine: Engine | str, kind: str, threshold: float | None, model: str | Path | None,
             max_bytes: int | None, lines: bool) -> _Options:
    """Check and freeze the options."""
    run = Options.of(kind=kind, engine=engine, threshold=threshold, model=model, max_bytes=max_bytes)
    return _Options(run=run, lines=bool(lines))


def _as_page(index: int, item: Any) -> Page:
    """Any accepted page form as a Page; a malformed one becomes a Page with an error."""
    source = f"<page {index}>"
    if isinstance(item, Page):
        return item
    if isinstance(item, str | bytes | bytearray):
        return Page(source, data=bytes(item) if isinstance(item, bytearray) else item)
    if isinstance(item, tuple) and len(item) == 2:
        data, url = item
        return _as_page(index, {"html": data, "url": url})
    if isinstance(item, Mapping):
        source = str(item.get("source") or source)
        data = item["html"] if item.get("html") is not None else item.get("text")
        url = item.get("url") if isinstance(item.get("url"), str) else None
        site = item.get("site") if isinstance(item.get("site"), str) else None
        if not isinstance(data, str | bytes):
            return Page(source, url=url, error="the page has no html or text (str or bytes)",
                        site=site)
        return Page(source, data=data, url=url, site=site)
    return Page(source, error="a page is str, bytes, a (data, url) pair or a mapping, "
                              f"not {type(item).__name__}")


def _process(page: Page, options: _Options) -> PageRecord:
    """Declutter one page; any failure becomes the record's error."""
    if page.error is not None:
        return PageRecord(source=page.source, url=page.url, error=page.error)
    try:
        result = extract(page.data, options.run, url=page.url)
    except Exception as exc:  # a bad page never stops the batch: its record says why
        return PageRecord(source=page.source, url=page.url, error=error_message(exc))
    return PageRecord.from_extraction(page.source, result, lines=options.lines)


def error_message(exc: BaseException) -> str:
    """An exception as one line of text (OSErrors without the errno noise)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror.lower()
    else:
        text = str(exc) or exc.__class__.__name__
        if not isinstance(exc, BoilerplateError | OSError | ValueError | TypeError):
            text = f"internal error: {exc.__class__.__name__}: {text}"
    return " ".join(text.split())


def _run_chunk(pages: list[Page], options: _Options) -> list[PageRecord]:
    """A worker's task: a few pages in a row.

    Raises:
        ModelError: if the worker could not load the model (the batch stops).
    """
    _check_model(options)
    return [_process(page, options) for page in pages]


def _check_model(options: _Options) -> None:
    """Load the model engine's model (cached per process); raise ModelError if it cannot."""
    if options.run.engine is Engine.MODEL:
        load_model(options.run.model)


def _in_process(pages: Iterable[Page], options: _Options) -> Iterator[PageRecord]:
    """The pages one after the other, in this process."""
    _check_model(options)
    for page in pages:
        yield _process(page, options)


def _init_worker(options: _Options, lifeline: Connection) -> None:
    """Load the model once per worker, on one thread; Ctrl-C is the parent's to handle."""
    from threadpoolctl import threadpool_limits

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    # The workers are the parallelism: native thread pools in each (OpenMP,
    # BLAS) would only oversubscribe the cores. Model.content_proba already
    # predicts with numpy trees; this holds for anything else too.
    threadpool_limits(limits=WORKER_THREADS)
    try:
        _check_model(options)
    except BoilerplateError:
        pass  # the worker's first task raises it again, to stop the batch


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


def _pooled(pages: Iterator[Page], options: _Options, jobs: int) -> Iterator[PageRecord]:
    """Run the pages on ``jobs`` workers, a bounded window of tasks at a time, in order."""
    head = list(islice(pages, 2))
    if len(head) < 2:  # one page: a pool would only add its start-up time
        yield from _in_process(head, options)
        return
    pages = chain(head, pages)
    chunks = iter(lambda: list(islice(pages, CHUNK_PAGES)), [])
    pool = _Pool(jobs, options)
    try:
        window = deque(pool.submit(chunk) for chunk in islice(chunks, jobs * TASKS_PER_WORKER))
        while window:
            records = pool.result(window.popleft())
            next_chunk = next(chunks, None)
            if next_chunk is not None:
                window.append(pool.submit(next_chunk))
            yield from records
    finally:
        pool.shutdown()


def _mp_context() -> multiprocessing.context.BaseContext:
    """Workers from a clean process: forkserver where there is one, else spawn.

    Not fork: a child forked after the parent ran scikit-learn's OpenMP code
    hangs in its first prediction (libgomp is not fork-safe). The fork server
    imports our modules and scikit-learn once, so workers start in well under
    a second, then each loads the model in ``_init_worker``.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_WORKER_PRELOAD))
    return context



@dataclass(frozen=True, slots=True)
class _Task:
    """A chunk of pages submitted to one generation of the pool."""

    pages: list[Page]
    future: Future
    generation: int


class _Pool:
    """A process pool that starts anew when a worker dies, failing only the pages in flight.

    (``multiprocessing.Pool`` would wait forever for a task whose worker died.)
    """

    def __init__(self, jobs: int, options: _Options) -> None:
        self.jobs, self.options = jobs, options
        self.generation = 0
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = _mp_context()
        lifeline, self.lifeline = context.Pipe(duplex=False)  # see _exit_with_parent
        return ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(self.options, lifeline))

    def submit(self, pages: list[Page]) -> _Task:
        """Queue a chunk of pages."""
        try:
            future = self.executor.submit(_run_chunk, pages, self.options)
        except BrokenProcessPool:
            self._restart()
            future = self.executor.submit(_run_chunk, pages, self.options)
        return _Task(pages, future, self.generation)

    def result(self, task: _Task) -> list[PageRecord]:
        """A task's records; if its worker died, one error record per page."""
        try:
            return task.future.result()
        except (BrokenProcessPool, CancelledError):
            if task.generation == self.generation:
                self._restart()
            return [PageRecord(source=p.source, url=p.url, error=WORKER_DIED) for p in task.pages]

    def _restart(self) -> None:
        self.shutdown()
        self.generation += 1
        self.executor = self._start()

    def shutdown(self) -> None:
        """Stop the workers; queued tasks that never started are dropped."""
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.lifeline.close()


# --------------------------------------------------------------------------- reading


def read_inputs(
    inputs: Iterable[str],
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    exclude: str | Path | None = None,
    on_note: Callable[[str, str], None] | None = None,
) -> Iterator[Page]:
    """Pages from command-line inputs, lazily, in order; unreadable ones carry an error.

    Each input is ``-`` (standard input), a file, a folder (recursive: its
    files named *.html, *.htm, *.xhtml, *.txt, *.warc, *.warc.gz, *.jsonl,
    *.jsonl.gz; hidden files and folders skipped; sorted by name), or a glob
    (``*``, ``?``, ``[...]``, ``**``) when no file has that name. WARC files
    give one page per response record with an HTML Content-Type (source
    ``FILE#record-id``); JSON Lines files one page per record with an
    ``html`` (or ``text``) field and optional ``url`` and ``site`` (source
    ``FILE:LINENO``). Each page's fallback site for site memory (used when it
    has no URL) is the folder of its file (``dir/``), or the WARC or JSON
    Lines file it came from (a JSON record's own ``site`` first).

    Args:
        inputs: the inputs, as given on the command line.
        max_bytes: pages larger than this become errors without being read whole.
        exclude: a file that folders and globs never read (the output file).
        on_note: called with (source, message) for WARC records skipped
            because they are not HTML responses.
    """
    skip = Path(exclude).resolve() if exclude is not None else None
    for arg in inputs:
        if arg == STDIN:
            yield _read_stdin(max_bytes)
        elif os.path.lexists(arg):
            yield from _read_path(Path(arg), max_bytes, skip, on_note)
        elif _GLOB_CHARS & set(arg):
            yield from _read_glob(arg, max_bytes, skip, on_note)
        else:
            yield Page(arg, error="no such file")


def _read_stdin(max_bytes: int | None) -> Page:
    """Standard input, read no further than one byte past ``max_bytes``."""
    data = sys.stdin.buffer.read(-1 if max_bytes is None else max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        return Page("<stdin>", error=f"input is over the {max_bytes:,}-byte limit (max_bytes)")
    return Page("<stdin>", data=data)


def _read_glob(pattern: str, max_bytes: int | None, skip: Path | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    matches = [m for m in sorted(glob.glob(pattern, recursive=True))
               if skip is None or Path(m).resolve() != skip]
    if not matches:
        yield Page(pattern, error="no files match this pattern")
    for match in matches:
        yield from _read_path(Path(match), max_bytes, skip, on_note)


def _read_path(path: Path, max_bytes: int | None, skip: Path | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """A file's pages, or those of every input file in a folder."""
    if not path.is_dir():
        yield from _read_file(path, max_bytes, on_note)
        return
    found = False
    for file in _walk(path):
        if skip is not None and file.resolve() == skip:
            continue
        found = True
        yield from _read_file(file, max_bytes, on_note)
    if not found:
        yield Page(str(path), error="folder has no input files (" +
                   ", ".join(f"*{s}" for s in INPUT_SUFFIXES) + ")")


def _walk(folder: Path) -> Iterator[Path]:
    """Input files under a folder, sorted, depth first; hidden entries skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(INPUT_SUFFIXES):
                yield Path(root, name)


def _read_file(path: Path, max_bytes: int | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """One file: a page, or the pages of a WARC or JSON Lines file."""
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        yield from _read_warc(path, max_bytes, on_note)
    elif name.endswith(JSONL_SUFFIXES):
        yield from _read_jsonl(path)
    else:
        yield _read_page(path, max_bytes)


def _read_page(path: Path, max_bytes: int | None) -> Page:
    """A page file's bytes, checked against ``max_bytes`` before reading it."""
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return Page(str(path), error=f"input is {size:,} bytes, over the "
                                         f"{max_bytes:,}-byte limit (max_bytes)")
        # Special files (/dev/zero, FIFOs) report size 0: read at most the limit.
        with open(path, "rb") as f:
            data = f.read(-1 if max_bytes is None else max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:
            return Page(str(path), error=f"input is over the {max_bytes:,}-byte limit (max_bytes)")
        return Page(str(path), data=data, site=os.path.join(str(path.parent), ""))
    except OSError as exc:
        return Page(str(path), error=error_message(exc))


def _read_jsonl(path: Path) -> Iterator[Page]:
    """One page per record of a JSON Lines file (gzipped when named *.gz)."""
    lineno = 0
    try:
        with (gzip.open if path.name.lower().endswith(".gz") else open)(path, "rb") as f:
            for lineno, row in enumerate(f, 1):
                if row.strip():
                    yield _jsonl_page(f"{path}:{lineno}", row, str(path))
    except (OSError, EOFError, zlib.error) as exc:
        yield Page(str(path), error=f"unreadable after line {lineno}: {error_message(exc)}")


def _jsonl_page(source: str, row: bytes, file: str) -> Page:
    """The page of one JSON Lines record (its fallback site: its ``site`` field, else the file)."""
    try:
        record = json.loads(row)
    except ValueError as exc:
        return Page(source, error=f"not a JSON record: {error_message(exc)}")
    if not isinstance(record, dict):
        return Page(source, error="not a JSON object")
    data = record["html"] if record.get("html") is not None else record.get("text")
    url = record.get("url") if isinstance(record.get("url"), str) else None
    if not isinstance(data, str):
        return Page(source, url=url, error="the record has no html or text field (a string)")
    site = record.get("site") if isinstance(record.get("site"), str) and record["site"] else file
    return Page(source, data=data, url=url, site=site)


def _read_warc(path: Path, max_bytes: int | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """One page per HTML response record of a WARC file (gzipped or not)."""
    from warcio.exceptions import ArchiveLoadFailed

    skipped = records = 0
    try:
        with open(path, "rb") as f:
            archive = _QuietArchiveIterator(f)
            for records, record in enumerate(archive, 1):
                if record.format != "warc":
                    raise ArchiveLoadFailed("not a WARC file")
                if record.rec_headers.get_header("Content-Length") is None:  # mandatory
                    raise ArchiveLoadFailed(f"record {records} has no Content-Length (damaged?)")
                if record.rec_type != "response":
                    continue  # warcinfo, request, metadata, revisit: not pages
                if not _is_html(record.http_headers):
                    skipped += 1
                    continue
                yield _warc_page(path, record, max_bytes)
        if archive.err_count:
            raise ArchiveLoadFailed(f"{archive.err_count} records are longer or shorter than "
                                    "their Content-Length (their pages may be cut or merged)")
        if not records:
            raise ArchiveLoadFailed("no WARC records")
    except (OSError, EOFError, zlib.error, ArchiveLoadFailed, ValueError) as exc:
        yield Page(str(path), error=f"unreadable WARC: {error_message(exc)}")
    if skipped and on_note is not None:
        on_note(str(path), f"skipped {skipped} response record{'s' * (skipped != 1)} "
                           "that are not HTML")


class _QuietArchiveIterator(ArchiveIterator):
    """warcio's reader, minus the warning it prints itself for a damaged record.

    It still counts them in ``err_count``; _read_warc reports that as one error.
    """

    INC_RECORD = ""


def _is_html(http_headers: Any) -> bool:
    if http_headers is None:
        return False
    content_type = http_headers.get_header("Content-Type") or ""
    return content_type.split(";")[0].strip().lower() in HTML_CONTENT_TYPES


def _warc_page(path: Path, record: Any, max_bytes: int | None) -> Page:
    """The page of one WARC response record: its HTTP body, de-chunked and decompressed."""
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
    source = f"{path}#{record_id}"
    url = record.rec_headers.get_header("WARC-Target-URI")
    body = record.content_stream().read(-1 if max_bytes is None else max_bytes + 1)
    if max_bytes is not None and len(body) > max_bytes:
        return Page(source, url=url, error=f"the record's body is over the {max_bytes:,}-byte "
                                           "limit (max_bytes)")
    record.raw_stream.read()  # what the decoders left (chunked trailer...)
    if getattr(record.raw_stream, "limit", 0) > 0:  # warcio reads a cut gzip member silently
        return Page(source, url=url, error="truncated WARC record")
    return Page(source, data=body, url=url, site=str(path))
