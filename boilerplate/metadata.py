"""The headline, date, author and site name an article page states about itself.

Read from the tree the walk already parsed: JSON-LD (schema.org Article types,
also inside @graph), then Open Graph and the other <meta> tags of <head>; the
headline is the line the page shows that its metadata (or <title>) holds, never
the site's own name. No second parse and no walk over the page: 0.05-0.28 ms a
page (median per dataset, most of it JSON-LD's json.loads; docs/benchmarks.md),
where trafilatura's extract_metadata costs 9-12 ms a page and htmldate's find_date
about 1 ms, each on top of a parse of its own. htmldate reads a date line as
YYYY-MM-DD when the metadata states no date (one short string, not the page).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from .document import PageMeta

__all__ = ["byline_author", "date_of", "headline", "iso_date", "read_meta", "same_text",
           "strip_site_name"]

#: <meta> keys (property, name or itemprop, lower case) of each field, in the
#: order they are trusted: the article's own before the page's generic ones.
_TITLE_KEYS = ("og:title", "twitter:title", "headline", "dc.title")
_DATE_KEYS = ("article:published_time", "og:published_time", "datepublished",
              "article.published", "publish-date", "pubdate", "publishdate", "date",
              "dc.date.issued", "dc.date", "dcterms.date", "parsely-pub-date",
              "sailthru.date", "article:modified_time")
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_SITE_KEYS = ("og:site_name", "application-name", "publisher", "twitter:site")
_WANTED = frozenset(_TITLE_KEYS + _DATE_KEYS + _AUTHOR_KEYS + _SITE_KEYS)

#: schema.org types whose node describes the article (NewsArticle, BlogPosting, ...).
_ARTICLE_TYPE = re.compile(r"Article$|BlogPosting$|^Report$|^WebPage$|Posting$")
_LD_MARK = "ld+json"
#: A JSON-LD script larger than this is a site's data dump, not an article's card.
_LD_MAX_CHARS = 200_000
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_SLASH_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
#: Separators between a headline and the site's name in a <title> or og:title.
_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " » ", " / ", ": ")
_SPACES = re.compile(r"\s+")
#: A headline shorter than this (without spaces) is a section name, not a story's.
MIN_HEADLINE_CHARS = 8
#: A line shows the metadata's headline when it is at least this share of it (the rest
#: is a site name the metadata left in, or a kicker), the <title> when it is this share
#: ("Site - Section - Headline"). Chosen on every 10th page of the datasets with gold
#: titles (training/benchmarks/metadata.py).
HELD_SHARE_OF_HEADLINE = 0.6
HELD_SHARE_OF_TITLE = 0.3
#: The words that open a byline (as features._BYLINE_WORDS) and what ends its names.
_BYLINE_WORDS = frozenset({"by", "von", "por", "par", "di", "door", "av", "af"})
_BYLINE_END = re.compile(r"\s[|\u00b7\u2022\u2013\u2014/-]\s|\s*\d|\s+(?:on|am|le|el|il|updated|published)\s", re.IGNORECASE)
#: Names of more words than this are a sentence that starts with "By".
MAX_BYLINE_WORDS = 8
#: Date lines read before this are not a news page's date; after today (plus time zones) neither.
_OLDEST = datetime(1990, 1, 1)
_SLACK = timedelta(days=1)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def read_meta(root: etree._Element, page: str) -> PageMeta:
    """What the page's JSON-LD and <head> <meta> tags say of its article (``page``: its text)."""
    meta = _head_meta(root)
    ld = _json_ld(page)
    site = _text(ld.get("site_name")) or _first(meta, _SITE_KEYS)
    site = site.lstrip("@") if site else None
    author = _text(ld.get("author")) or _first(meta, _AUTHOR_KEYS)
    return PageMeta(
        headline=_text(ld.get("headline")) or _first(meta, _TITLE_KEYS),
        date=iso_date(_text(ld.get("date"))) or iso_date(_first(meta, _DATE_KEYS)),
        author=None if author and site and same_text(author, site) else author,  # the publisher
        site_name=site)


def _head_meta(root: etree._Element) -> dict[str, str]:
    """The first non-empty content of each wanted <meta> key in <head>."""
    found: dict[str, str] = {}
    head = root.find("head")
    if head is None:
        return found
    for el in head.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in _WANTED and key not in found:
            content = _clean(el.get("content"))
            if content:
                found[key] = content
    return found


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The value of the first of ``keys`` the page has that is not a URL (article:author
    and og:site_name often are one)."""
    for key in keys:
        value = meta.get(key)
        if value and "://" not in value:
            return value
    return None


def _json_ld(page: str) -> dict[str, Any]:
    """headline, date, author and site_name from the page's JSON-LD article node.

    The scripts are found in the page's text (str.find, 0.045 ms a page) rather than
    in the tree: iter("script") walks every element (0.2 ms a page).
    """
    out: dict[str, Any] = {}
    for data in _ld_scripts(page):
        for node in _nodes(data):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and _ARTICLE_TYPE.search(k) for k in kinds):
                _article_fields(node, out)
            elif "WebSite" in kinds or "Organization" in kinds or "NewsMediaOrganization" in kinds:
                out.setdefault("site_name", node.get("name"))
    return out


def _article_fields(node: dict[str, Any], out: dict[str, Any]) -> None:
    """Fill ``out`` from one article node (a WebPage only where no Article said it)."""
    weak = node.get("@type") == "WebPage"
    for key, value in (("headline", node.get("headline") or (None if weak else node.get("name"))),
                       ("date", node.get("datePublished") or node.get("dateCreated")),
                       ("author", _names(node.get("author"))),
                       ("site_name", _names(node.get("publisher")))):
        if value and (key not in out or (not weak and out.get("_weak_" + key))):
            out[key] = value
            out["_weak_" + key] = weak


def _ld_scripts(page: str) -> Iterator[Any]:
    """The parsed content of each <script type="application/ld+json"> of the page text."""
    at = page.find(_LD_MARK)
    while at != -1:
        start = page.find(">", at) + 1
        end = page.find("</script", start)
        if start == 0 or end == -1:
            return
        if end - start <= _LD_MAX_CHARS:
            try:
                yield json.loads(page[start:end])
            except ValueError:  # broken JSON-LD is common: the page's other metadata still counts
                pass
        at = page.find(_LD_MARK, end)


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object of a JSON-LD document: top level, lists and @graph (one level down)."""
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            yield item
            graph = item.get("@graph")
            if isinstance(graph, list):
                yield from (node for node in graph if isinstance(node, dict))


def _names(value: Any) -> str | None:
    """A person or organisation value as text: "name", or several names joined by ", "."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return _text(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_names(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


def _text(value: Any) -> str | None:
    """A JSON-LD value as one clean line of text (entities some sites leave in decoded), or None."""
    return _clean(html.unescape(value)) if isinstance(value, str) and "://" not in value else None


def _clean(value: str | None) -> str | None:
    """Whitespace collapsed; None when nothing is left."""
    return _SPACES.sub(" ", value).strip() or None if value else None


def iso_date(value: str | None) -> str | None:
    """The YYYY-MM-DD of a machine date ("2024-03-05T10:00:00+01:00", "2024/3/5", "20240305")."""
    if not value:
        return None
    found = _ISO_DATE.match(value) or _SLASH_DATE.match(value)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    if 1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def strip_site_name(title: str, site: str | None) -> str:
    """A title without the site's name before or after it ("Headline - Site", "Site | Headline")."""
    if not site:
        return title
    key = _key(site)
    for sep in _SEPARATORS:
        head, found, tail = title.rpartition(sep)
        if found and head and _key(tail) == key:
            return head.strip()
        head, found, tail = title.partition(sep)
        if found and tail and _key(head) == key:
            return tail.strip()
    return title


def headline(meta: PageMeta, page_title: str | None, candidates: list[str],
             h1: str | None = None) -> str | None:
    """The article's headline as the page shows it; else as its metadata or <title> says it.

    ``candidates`` are lines that may show it (the lines just before the story,
    the <h1>s, the other headings): the longest that the stated title holds and
    that makes most of it. The stated title is the metadata's headline, else
    the <title> (which often names the site as well: "Headline - Site", so less
    of it need be held). Never the site's name.
    """
    site = meta.site_name
    stated = strip_site_name(meta.headline, site) if meta.headline else None
    title = strip_site_name(page_title, site) if page_title else None
    if stated:
        best = _best_line(stated, candidates, site, HELD_SHARE_OF_HEADLINE)
    else:
        best = _best_line(title, candidates, site, HELD_SHARE_OF_TITLE) if title else None
    for found in (best, stated, h1, title):
        if found and not _is_site(found, site):
            return found
    return None


def _best_line(stated: str, candidates: list[str], site: str | None, share: float) -> str | None:
    """The longest candidate that ``stated`` holds, of at least ``share`` of its length."""
    whole = _key(stated)
    best, size = None, max(MIN_HEADLINE_CHARS, int(share * len(whole))) - 1
    for line in candidates:
        if len(line) <= size:  # its key is no longer than the line: it cannot be the longest
            continue
        key = _key(line)
        if len(key) > size and key in whole and not _is_site(line, site):
            best, size = line, len(key)
    return best


def same_text(a: str, b: str) -> bool:
    """True when two texts differ at most in case, spacing and the kind of quotation marks."""
    return _key(a) == _key(b)


def _is_site(text: str, site: str | None) -> bool:
    """True when ``text`` is the site's name."""
    return site is not None and _key(text) == _key(site)


def _key(text: str) -> str:
    """Text compared without case, spacing and the kind of its quotation marks."""
    return "".join(text.split()).casefold().translate(_QUOTES)


_QUOTES = str.maketrans("\u2018\u2019\u201c\u201d\u00ab\u00bb", "''\"\"\"\"")


def byline_author(line: str) -> str | None:
    """The names of a byline ("By Ann Lee | May 5, 2024" -> "Ann Lee"), or None when the
    line says more than a byline does."""
    words = line.split(None, 1)
    if len(words) < 2 or words[0].casefold() not in _BYLINE_WORDS:
        return None
    names = _BYLINE_END.split(words[1], 1)[0].strip(" ,;:")
    return names if names and len(names.split()) <= MAX_BYLINE_WORDS else None


def date_of(stated: str | None, line: str | None) -> str | None:
    """The publication date: the metadata's, else the date line read as YYYY-MM-DD (htmldate's
    parser), else the date line as written."""
    if stated:
        return stated
    if not line:
        return None
    return _parse_date(line) or line


def _parse_date(text: str) -> str | None:
    """A date written out ("6. August 2009", "April 19, 2019", "28.01.2020") as YYYY-MM-DD."""
    try:
        # Imported here: 80 ms, paid only by a page whose metadata states no date.
        from htmldate.extractors import try_date_expr
    except ImportError:  # pragma: no cover - htmldate comes with trafilatura
        return None
    newest = datetime.now() + _SLACK
    # The line up to its first year as well: htmldate gives up on a line that goes on
    # ("March 14, 2024 3:41 PM GMT Updated 2 hours ago").
    year = _YEAR.search(text)
    for part in (text, text[:year.end()] if year else ""):
        try:
            found = try_date_expr(part, "%Y-%m-%d", False, _OLDEST, newest) if part else None
        except (ValueError, OverflowError):  # dateutil's, on an odd line: it stays as written
            found = None
        if isinstance(found, str):
            return found
    return None
