"""Site memory: a line that repeats on many pages of one site is boilerplate.

One page at a time, a "Most read" list, a newsletter pitch or a footer can
read like article prose. Across many pages of the same site they give
themselves away: the same line comes back on page after page, while a story's
paragraphs occur on one page. In batch mode (``declutter --site-memory``,
``declutter_many(..., site_memory=True)``) every page is first labelled on its
own, then the lines the model kept are checked against the other pages of
their site:

    a content line becomes boilerplate when its normalised text (Unicode NFKC,
    case-folded, whitespace collapsed) occurs on at least ``min_pages`` (3)
    distinct pages of the site, and on at least ``min_share`` (0) of them;
    unless that would drop every content line of the page (the same article
    fetched at three URLs stays an article).

The rule only ever drops lines, never adds any, and says why in the line's
reason: ``dropped: repeats on 14 of 40 pages of example.com (score 0.91)``.
The rule and its numbers were chosen on out-of-fold scores
(``training/bench_site.py``; results in docs/benchmarks.md).

A page's site is the host of its URL (lower-cased, without ``www.``; for a
Wayback Machine capture, the host of the archived URL). A page without a URL
takes the fallback its reader gives it (``readers.read_inputs``: the folder of a
page file, the WARC or JSON Lines file of a record); pages with neither form
one group.

The rule itself is pure (no I/O, no model): ``SiteCounts`` holds, per site,
an 8-byte hash per distinct line per page (a 10,000-page crawl of 200 lines a
page is 16 MB); ``relabel`` applies the rule to one page's lines.
``remember_sites`` applies it to a stream of batch records, which wait in a
temporary file between its two passes.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import pickle
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import numpy as np

from . import reasons
from .document import Label, LineResult
from .reasons import Cue
from .records import PageRecord

__all__ = [
    "MIN_PAGES",
    "MIN_SHARE",
    "NO_SITE",
    "SiteCounts",
    "SiteRule",
    "line_key",
    "relabel",
    "remember_sites",
    "site_memory",
    "site_of",
]

#: Distinct pages of a site a line must occur on. Chosen on out-of-fold scores
#: (training/bench_site.py, dev half of big9's sites and cleanportaleval): 2
#: also caught related-link headlines shared by two pages, but dropped the
#: paragraphs of stories that two pages of a site both carry (-0.012 F1 on
#: cleanportaleval); 3 lost nothing there and gained on big9; 4 and more
#: gained less.
MIN_PAGES = 3
#: Share of the site's pages a line must occur on as well. 0: on our sites of
#: up to 40 pages a share (0.1, 0.2) only raised the bar above 3 pages, which
#: measured worse. On very large crawls of one site a share keeps a paragraph
#: that a handful of stories repeat (a background paragraph, a quote); it is
#: there for them (``SiteRule(min_share=...)``), not measured.
MIN_SHARE = 0.0
#: The group of pages with neither a URL nor a fallback site.
NO_SITE = ""

_WAYBACK = re.compile(r"^/web/[^/]*/(?P<url>.+)$")
_WAYBACK_HOSTS = ("web.archive.org", "web-beta.archive.org", "wayback.archive.org")


def site_of(url: str | None) -> str | None:
    """The site of a URL: its host, lower-cased, without ``www.`` and port; None without one.

    A Wayback Machine capture (``web.archive.org/web/<time>/<url>``) belongs to
    the site it archived.

        >>> site_of("https://www.Example.com:8080/news/1")
        'example.com'
        >>> site_of("https://web.archive.org/web/2013/http://www.bbc.co.uk/news")
        'bbc.co.uk'
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:  # a malformed URL (bad port, brackets) names no site
        return None
    if host in _WAYBACK_HOSTS:
        match = _WAYBACK.match(parts.path)
        if match:
            inner = match.group("url")
            return site_of(inner if "//" in inner else "http://" + inner) or host
    return host.removeprefix("www.") or None


def line_key(text: str) -> str:
    """What two lines must share to count as the same line: NFKC, case-folded, whitespace collapsed.

        >>> line_key("  MOST   Read\\u00a0") == line_key("most read")
        True
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _hash(text: str) -> int:
    digest = hashlib.blake2b(line_key(text).encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "little")


@dataclass(frozen=True)
class SiteRule:
    """When a repeated line is boilerplate (see the module docstring)."""

    min_pages: int = MIN_PAGES
    min_share: float = MIN_SHARE

    def __post_init__(self) -> None:
        if not isinstance(self.min_pages, int) or self.min_pages < 2:
            raise ValueError(f"min_pages must be an integer of at least 2, not {self.min_pages!r}")
        if not 0.0 <= self.min_share <= 1.0:
            raise ValueError(f"min_share must be between 0 and 1, not {self.min_share!r}")

    def needed(self, site_pages: int) -> int:
        """Pages a line must occur on, on a site of ``site_pages`` pages."""
        return max(self.min_pages, math.ceil(self.min_share * site_pages - 1e-9))


class SiteCounts:
    """On how many distinct pages of its site each line occurs.

    ``add`` every page first (all its lines, whatever their label), then ask
    ``occurrences``. Lines are kept as 8-byte hashes of their ``line_key``.
    """

    def __init__(self) -> None:
        self._pending: dict[str, list[np.ndarray]] = {}
        self._counted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._pages: dict[str, int] = {}

    def add(self, site: str, texts: Iterable[str]) -> None:
        """Count one page of ``site``: each distinct line once."""
        keys = np.fromiter({_hash(t) for t in texts}, dtype=np.uint64)
        self._pages[site] = self._pages.get(site, 0) + 1
        self._pending.setdefault(site, []).append(keys)

    def pages(self, site: str) -> int:
        """Pages of the site counted so far."""
        return self._pages.get(site, 0)

    def sites(self) -> dict[str, int]:
        """Every site counted, with its number of pages."""
        return dict(self._pages)

    def occurrences(self, site: str, texts: Sequence[str]) -> list[int]:
        """For each text, the number of counted pages of ``site`` it occurs on."""
        keys, counts = self._table(site)
        if not len(keys):
            return [0] * len(texts)
        wanted = np.fromiter((_hash(t) for t in texts), dtype=np.uint64, count=len(texts))
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found: list[int] = np.where(keys[at] == wanted, counts[at], 0).tolist()
        return found

    def _table(self, site: str) -> tuple[np.ndarray, np.ndarray]:
        """The site's distinct line hashes (sorted) and their page counts."""
        pending = self._pending.pop(site, None)
        if pending:
            old_keys, old_counts = self._counted.get(site, (np.zeros(0, np.uint64), np.zeros(0, np.int64)))
            keys, inverse = np.unique(np.concatenate([old_keys, *pending]), return_inverse=True)
            counts = np.zeros(len(keys), np.int64)
            np.add.at(counts, inverse[len(old_keys):], 1)
            np.add.at(counts, inverse[:len(old_keys)], old_counts)
            self._counted[site] = (keys, counts)
        return self._counted.get(site, (np.zeros(0, np.uint64), np.zeros(0, np.int64)))


_REPEATED = (Cue.REPEATED_ON_SITE,)


def _where(site: str) -> str:
    """The site as the reasons name it."""
    return f"pages of {site}" if site != NO_SITE else "pages without a known site"


def relabel(lines: Sequence[LineResult], occurrences: Sequence[int], *, site: str,
            site_pages: int, rule: SiteRule = SiteRule()) -> tuple[LineResult, ...]:
    """One page's lines with the site rule applied; the lines unchanged when it drops none.

    Args:
        lines: the page's line decisions (from the model, in page order).
        occurrences: for each line, on how many pages of the site it occurs
            (this page included), from ``SiteCounts.occurrences``.
        site: the page's site, for the reason.
        site_pages: the number of pages of the site.
        rule: the thresholds.
    """
    if len(occurrences) != len(lines):
        raise ValueError(f"{len(lines)} lines but {len(occurrences)} occurrence counts")
    needed = rule.needed(site_pages)
    repeated = [line.label is Label.CONTENT and n >= needed for line, n in zip(lines, occurrences)]
    content = sum(line.label is Label.CONTENT for line in lines)
    dropped = sum(repeated)
    if not dropped or dropped == content:  # never empty a page the model found an article on
        return tuple(lines)
    where = _where(site)
    return tuple(
        replace(line, label=Label.BOILERPLATE, cues=_REPEATED,
                reason=reasons.repeated_on_site(n, site_pages, where, line.score))
        if drop else line
        for line, n, drop in zip(lines, occurrences, repeated)
    )


def site_memory(pages: Sequence[tuple[str, Sequence[LineResult]]],
                rule: SiteRule = SiteRule()) -> list[tuple[LineResult, ...]]:
    """The rule over pages held in memory: (site, lines) in, relabelled lines out, in order."""
    counts = SiteCounts()
    for site, lines in pages:
        counts.add(site, (line.text for line in lines))
    return [relabel(lines, counts.occurrences(site, [line.text for line in lines]), site=site,
                    site_pages=counts.pages(site), rule=rule)
            for site, lines in pages]


def remember_sites(records: Iterable[PageRecord], rule: SiteRule = SiteRule(), *,
                   lines: bool = False) -> Iterator[PageRecord]:
    """Site memory over a stream of records made with lines: two passes, order kept.

    Pass one counts every line of every page under the record's ``site``
    (NO_SITE when None) and writes the records to a temporary file; pass two
    reads them back in order and applies ``relabel``: the lines it drops
    become boilerplate with their reason, and ``text`` is rebuilt from the
    content lines. Failed records and records without lines pass through
    unchanged. Memory holds the line counts, not the pages.

    Args:
        records: PageRecords with lines (``declutter_many(..., lines=True)``).
        rule: the thresholds.
        lines: keep the lines in the records that come out.
    """
    counts = SiteCounts()
    with _spool_errors(), tempfile.TemporaryFile(prefix="declutter-sites-") as spool:
        held = 0
        for record in records:
            if record.lines is not None:
                counts.add(record.site or NO_SITE, (line.text for line in record.lines))
            pickle.dump(record, spool, protocol=pickle.HIGHEST_PROTOCOL)
            held += 1
        spool.seek(0)
        for _ in range(held):
            yield _remembered(pickle.load(spool), counts, rule, lines)


@contextlib.contextmanager
def _spool_errors() -> Iterator[None]:
    """An OSError of the temporary file (a full disk) says that it came from there."""
    try:
        yield
    except OSError as exc:
        raise OSError(exc.errno, f"site memory's temporary file: {exc.strerror or exc}") from exc


def _remembered(record: PageRecord, counts: SiteCounts, rule: SiteRule, lines: bool) -> PageRecord:
    """One record with the site rule applied (and its lines dropped unless wanted)."""
    if record.lines is None or record.extraction is None:
        return record
    site = record.site or NO_SITE
    texts = [line.text for line in record.lines]
    new = relabel(record.lines, counts.occurrences(site, texts), site=site,
                  site_pages=counts.pages(site), rule=rule)
    text = record.text
    if new is not record.lines:  # relabel returns the very same lines when it drops none
        text = "\n".join(line.text for line in new if line.is_content)
    extraction = replace(record.extraction, text=text, lines=new if lines else ())
    return replace(record, extraction=extraction, lines_kept=lines, site=site)
