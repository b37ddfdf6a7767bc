"""Mine the word lists of boilerplate/data/vocabulary.json from the labelled data (and name the other sources).

    python -m training.vocab /work/shared/data            # writes boilerplate/data/vocabulary.json
    python -m training.vocab /work/shared/data --show zh  # the candidates of one language, scored

The boilerplate vocabulary is mined, per language, from the training lines
(training.labels: gold alignment, our body convention, snippet labels): a
term (a word, or a pair of CJK characters) is kept when it is much more
frequent in boilerplate lines than in content lines of its language
(MIN_RATIO), in enough of them (MIN_LINES), and not topical: spread over
many sites (MIN_SITES, SITE_SHARE) and, on sites with several pages, on most
of a site's pages (a template's words come back on every page; a teaser
headline's words do not). The page's language is unknown at run time, so
the features count the terms of every language at once (boilerplate.vocab).

The other lists are taken, not mined: the function words are the first
FUNCTION_WORDS words of each of jusText's stoplists (100 languages, ordered
by frequency; BSD-2-Clause), the CJK function characters are the characters
most over-represented in Chinese and Japanese content lines (mined like the
vocabulary, the other way round), and the date words are the month names and
the "ago" words and time units of dateparser's language data (BSD-3-Clause).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from boilerplate.vocab import VOCABULARY_PATH, cjk_pairs, terms
from training.corpus import TRAIN_DATASETS, iter_dataset
from training.labels import Featurized, load_dataset

#: Over-representation is measured twice: over all lines, and over the lines of
#: at most this many tokens (words, CJK characters). The wording that marks
#: boilerplate is that of buttons, menus, labels and notices; compared with
#: headings and short paragraphs, not with long prose, words like "share"
#: (also "a share of") are not drowned by their prose uses. Either may admit a
#: term (languages whose data has few short content lines need the first).
MAX_LINE_TOKENS = 16
#: A term must be in this many boilerplate lines of its language.
MIN_LINES = 10
#: ... and this many times more frequent (per line) in boilerplate than in content.
MIN_RATIO = 4.0
#: ... on at least this many sites, and this share of the language's sites.
MIN_SITES = 3
SITE_SHARE = 0.03
#: On the sites with several pages where it occurs, a term must be on at
#: least this share of their pages (a template's words are on every page).
MIN_REPEAT = 0.65
#: Terms kept per language at most (the best scored first).
MAX_TERMS = 300
#: A language needs this many boilerplate lines to be mined.
MIN_LANGUAGE_LINES = 3000
#: Words taken from the top of each jusText stoplist.
FUNCTION_WORDS = 100
#: CJK characters this many times more frequent in content than in boilerplate
#: lines of Chinese or of Japanese, in at least MIN_FUNCTION_LINES and
#: MIN_FUNCTION_SHARE of its content lines, are function characters (the
#: MAX_FUNCTION_CHARS most frequent).
FUNCTION_RATIO = 1.5
MIN_FUNCTION_LINES = 30
MIN_FUNCTION_SHARE = 0.1
MAX_FUNCTION_CHARS = 100
#: dateparser languages whose month names and "ago" words are taken: those
#: of jusText's stoplists that dateparser knows, plus Chinese, Japanese and Korean.
DATE_EXTRA_LANGUAGES = ("zh", "ja", "ko")
CJK_LANGUAGES = ("zh", "ja")


@dataclass
class TermCounts:
    """Per language: lines, and per term its boilerplate and content lines, sites and pages."""

    boiler_lines: Counter[str] = field(default_factory=Counter)
    content_lines: Counter[str] = field(default_factory=Counter)
    boiler: Counter[str] = field(default_factory=Counter)
    content: Counter[str] = field(default_factory=Counter)
    #: The same over short lines only (MAX_LINE_TOKENS).
    boiler_short: Counter[str] = field(default_factory=Counter)
    content_short: Counter[str] = field(default_factory=Counter)
    sites: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    pages: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    site_pages: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: CJK characters per line (each counted once a line), for the function characters.
    boiler_chars: Counter[str] = field(default_factory=Counter)
    content_chars: Counter[str] = field(default_factory=Counter)


def line_terms(text: str) -> set[str]:
    """The terms of one line the vocabulary can hold: words of two letters or more, CJK pairs."""
    words, _ = terms(text)
    return {w for w in words if len(w) > 1} | set(cjk_pairs(text))


def count_terms(views: Iterable[Featurized], language: dict[tuple[str, str], str]) -> dict[str, TermCounts]:
    """TermCounts per language from the HTML views' labelled lines (weight above 0)."""
    counts: dict[str, TermCounts] = defaultdict(TermCounts)
    for view in views:
        if view.kind != "html":
            continue
        lang = language[(view.dataset, view.id)]
        tc = counts[lang]
        tc.site_pages[view.site].add(view.id)
        weight = np.ones(len(view.y)) if view.weight is None else view.weight
        for text, label, w in zip(view.texts, view.y.tolist(), weight.tolist()):
            if w > 0:
                _count_line(tc, view, text, bool(label))
    return counts


def _count_line(tc: TermCounts, view: Featurized, text: str, content: bool) -> None:
    """Add one labelled line to its language's counts."""
    words, cjk = terms(text)
    found = line_terms(text)
    short = len(words) + len(cjk) <= MAX_LINE_TOKENS
    kind = "content" if content else "boiler"
    getattr(tc, f"{kind}_chars").update(set(cjk))
    getattr(tc, kind).update(found)
    getattr(tc, f"{kind}_lines")["all"] += 1
    if short:
        getattr(tc, f"{kind}_short").update(found)
        getattr(tc, f"{kind}_lines")["short"] += 1
    if not content:
        for term in found:
            tc.sites[term].add(view.site)
            tc.pages[term].add(view.id)


@dataclass(frozen=True)
class Candidate:
    """One term of one language and what decides it."""

    term: str
    boiler: int
    content: int
    sites: int
    repeat: float
    ratio: float

    @property
    def score(self) -> float:
        """Over-representation weighed by spread: the order in which terms are kept."""
        return math.log(self.ratio) * math.log1p(self.sites)


def candidates(tc: TermCounts) -> list[Candidate]:
    """Every term of a language with its counts, best first (ratio: the larger over all and over short lines)."""
    lines = tc.boiler_lines, tc.content_lines
    out = []
    for term, b in tc.boiler.items():
        if b < MIN_LINES:
            continue
        ratio = max(_ratio(b, tc.content[term], lines[0]["all"], lines[1]["all"]),
                    _ratio(tc.boiler_short[term], tc.content_short[term], lines[0]["short"], lines[1]["short"]))
        out.append(Candidate(term, b, tc.content[term], len(tc.sites[term]), repeat_share(tc, term), ratio))
    return sorted(out, key=lambda cand: -cand.score)


def _ratio(boiler: int, content: int, boiler_lines: int, content_lines: int) -> float:
    """How many times more frequent (per line) a term is in boilerplate than in content lines (content smoothed by 1)."""
    return (boiler / max(boiler_lines, 1)) / ((content + 1) / max(content_lines, 1))


def repeat_share(tc: TermCounts, term: str) -> float:
    """On the sites with several pages where ``term`` is boilerplate, the share of their pages that have it."""
    pages = tc.pages[term]
    shares = [len(pages & tc.site_pages[site]) / len(tc.site_pages[site])
              for site in tc.sites[term] if len(tc.site_pages[site]) > 1]
    return float(np.mean(shares)) if shares else 1.0


def mine_language(tc: TermCounts) -> list[str]:
    """The boilerplate vocabulary of one language (see the module docstring)."""
    min_sites = max(MIN_SITES, math.ceil(SITE_SHARE * len(tc.site_pages)))
    kept = [c.term for c in candidates(tc)
            if c.ratio >= MIN_RATIO and c.sites >= min_sites and c.repeat >= MIN_REPEAT]
    return sorted(kept[:MAX_TERMS])


def function_chars(counts: dict[str, TermCounts]) -> str:
    """CJK characters over-represented in the content lines of Chinese, and of Japanese (each language apart)."""
    chosen: dict[str, float] = {}
    for lang in CJK_LANGUAGES:
        tc = counts.get(lang)
        if tc is None:
            continue
        n_content, n_boiler = max(tc.content_lines["all"], 1), max(tc.boiler_lines["all"], 1)
        for ch, c in tc.content_chars.items():
            share = c / n_content
            if (c >= MIN_FUNCTION_LINES and share >= MIN_FUNCTION_SHARE
                    and share >= FUNCTION_RATIO * (tc.boiler_chars[ch] + 1) / n_boiler):
                chosen[ch] = max(chosen.get(ch, 0.0), share)
    return "".join(sorted(sorted(chosen, key=lambda ch: -chosen[ch])[:MAX_FUNCTION_CHARS]))


def stoplist_words(limit: int = FUNCTION_WORDS) -> dict[str, list[str]]:
    """The first ``limit`` words of each of jusText's stoplists (ordered by frequency), by language name."""
    import justext  # type: ignore[import-untyped]

    folder = Path(justext.__file__).parent / "stoplists"
    out = {}
    for path in sorted(folder.glob("*.txt")):
        words: list[str] = []
        for line in path.read_text(encoding="utf-8").split():
            words += [w for w in terms(line)[0] if w not in words]
            if len(words) >= limit:
                break
        out[path.stem] = words[:limit]
    return out


def date_words(language_names: Iterable[str]) -> dict[str, list[str]]:
    """Month names, "ago" words and time units of dateparser's data, for the named languages and DATE_EXTRA_LANGUAGES."""
    import importlib

    import dateparser  # type: ignore[import-untyped]
    from babel import Locale  # type: ignore[import-untyped]

    folder = Path(dateparser.__file__).parent / "data" / "date_translation_data"
    codes = [p.stem for p in folder.glob("*.py") if p.stem != "__init__"]
    wanted = {name.replace("_", " ").lower() for name in language_names}
    out: dict[str, set[str]] = {"months": set(), "ago": set(), "time_units": set()}
    for code in sorted(codes):
        try:
            english = Locale.parse(code.replace("-", "_")).get_display_name("en").lower()
        except (ValueError, LookupError):
            continue
        if english not in wanted and code not in DATE_EXTRA_LANGUAGES:
            continue
        if code == "en":  # English dates are features.py's regexes (months next to a number only)
            continue
        info = importlib.import_module(f"dateparser.data.date_translation_data.{code}").info
        keys = {"months": _MONTH_KEYS, "ago": ("ago",), "time_units": _UNIT_KEYS}
        for kind, names in keys.items():
            for key in names:
                out[kind].update(w for form in info.get(key) or [] for w in terms(form)[0])
    return {kind: sorted(words) for kind, words in out.items()}


_MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")
_UNIT_KEYS = ("second", "minute", "hour", "day", "week", "month", "year")


def _listable(word: str, kind: str) -> bool:
    """Whether a dateparser word is kept: a month name of four letters or more (not an
    abbreviation like "mar", also "sea"), other words of three or more (the shorter are
    fragments of multi-word forms, "il y a"), or Hangul (Korean's "전", ago)."""
    if all("\uac00" <= ch <= "\ud7af" for ch in word):
        return True
    return len(word) >= (4 if kind == "months" else 3)


def page_languages(data_dir: Path, names: Sequence[str]) -> dict[tuple[str, str], str]:
    """(dataset, page id) -> the page's language (``?`` without one)."""
    return {(name, p.id): str(p.extra.get("lang") or "?") for name in names for p in iter_dataset(data_dir, name)}


def mine(counts: dict[str, TermCounts], function_words: set[str]) -> dict[str, list[str]]:
    """The boilerplate vocabulary of every language with enough lines (function words are never in it)."""
    out = {}
    for lang, tc in sorted(counts.items()):
        if lang == "?" or tc.boiler_lines["all"] < MIN_LANGUAGE_LINES:
            continue
        if kept := [t for t in mine_language(tc) if t not in function_words]:
            out[lang] = kept
    return out


def vocabulary(counts: dict[str, TermCounts], datasets: Sequence[str]) -> dict[str, object]:
    """The whole vocabulary file: mined lists, taken lists and what they are."""
    stoplists = stoplist_words()
    dates = {kind: [w for w in words if _listable(w, kind)] for kind, words in date_words(stoplists).items()}
    function_words = sorted({w for words in stoplists.values() for w in words})
    boilerplate = mine(counts, set(function_words))
    return {
        "about": {
            "boilerplate": f"mined by training/vocab.py from the training lines of {', '.join(datasets)} "
                           f"(MAX_LINE_TOKENS {MAX_LINE_TOKENS}, MIN_LINES {MIN_LINES}, MIN_RATIO {MIN_RATIO}, "
                           f"MIN_SITES {MIN_SITES}, "
                           f"SITE_SHARE {SITE_SHARE}, MIN_REPEAT {MIN_REPEAT})",
            "boilerplate_terms": {lang: len(words) for lang, words in boilerplate.items()},
            "function_words": f"the first {FUNCTION_WORDS} words of each of the {len(stoplists)} stoplists "
                              "of jusText (BSD-2-Clause)",
            "function_chars": "CJK characters over-represented in Chinese and Japanese content lines, "
                              "mined by training/vocab.py",
            "date_words": "month names, 'ago' words and time units of dateparser's language data "
                          "(BSD-3-Clause) for the stoplists' languages and zh, ja, ko",
        },
        "boilerplate": boilerplate,
        "function_words": function_words,
        "function_chars": function_chars(counts),
        **dates,
    }


def show(tc: TermCounts, limit: int = 150) -> None:
    """Print a language's candidates with their counts, kept or not."""
    min_sites = max(MIN_SITES, math.ceil(SITE_SHARE * len(tc.site_pages)))
    print(f"boilerplate lines {tc.boiler_lines['all']}, content lines {tc.content_lines['all']}, "
          f"sites {len(tc.site_pages)} (a term needs {min_sites})")
    for c in candidates(tc)[:limit]:
        kept = c.ratio >= MIN_RATIO and c.sites >= min_sites and c.repeat >= MIN_REPEAT
        print(f"{'+' if kept else ' '} {c.term:20s} boiler {c.boiler:6d} content {c.content:5d} "
              f"sites {c.sites:4d} repeat {c.repeat:.2f} ratio {c.ratio:7.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Count the terms of the training lines, mine the lists, write the vocabulary file."""
    parser = argparse.ArgumentParser(prog="python -m training.vocab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--datasets", nargs="+", default=list(TRAIN_DATASETS))
    parser.add_argument("--out", type=Path, default=VOCABULARY_PATH)
    parser.add_argument("--show", metavar="LANG", help="print one language's candidates, write nothing")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/declutter-cache"))
    args = parser.parse_args(argv)
    language = page_languages(args.data_dir, args.datasets)
    counts = count_terms((v for name in args.datasets
                          for v in load_dataset(args.data_dir, name, cache_dir=args.cache_dir)), language)
    if args.show:
        show(counts[args.show])
        return 0
    args.out.write_text(json.dumps(vocabulary(counts, args.datasets), ensure_ascii=False, indent=0) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
