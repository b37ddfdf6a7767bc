"""Article-level scores: the shingle metric of the article-extraction benchmarks.

Tokens are ``\\w+`` matches, except that each CJK character (kana, CJK
ideographs, Hangul syllables) is a token of its own, as in the label rule:
Chinese and Japanese are written without spaces, and with ``\\w+`` a whole
run of them (often a whole sentence) would be one token. Each text becomes
its 4-token shingles; per page TP/FP/FN are multiset counts normalised to sum
1; precision and recall are averaged over pages, and F1 is their harmonic mean.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Kana, CJK ideographs (and extension A), Hangul syllables: one token per character.
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
#: A CJK character, or a run of word characters that holds none.
TOKEN = re.compile(rf"[{CJK_CHARS}]|(?:(?![{CJK_CHARS}])\w)+")
SHINGLE = 4


def shingles(text: str, n: int = SHINGLE) -> Counter[str]:
    """Multiset of n-token shingles (a text shorter than n is one shingle)."""
    toks = TOKEN.findall(text or "")
    return Counter(" ".join(toks[i:i + n]) for i in range(max(1, len(toks) - n + 1)) if toks)


def page_counts(gold: str, pred: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page."""
    g, p = shingles(gold), shingles(pred)
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def page_pr(gold: str, pred: str) -> tuple[float, float]:
    """Precision and recall of one page (empty output scores 0 and 0; both empty 1 and 1)."""
    tp, fp, fn = page_counts(gold, pred)
    if tp == fp == fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


@dataclass(frozen=True)
class Score:
    """Averaged precision, recall and their harmonic mean over pages."""

    precision: float
    recall: float
    f1: float
    pages: int


def article_score(pairs: Iterable[tuple[str, str]]) -> Score:
    """Score (gold, prediction) pairs with the benchmark's averaging."""
    return averaged([page_pr(g, p) for g, p in pairs])


def averaged(prs: Sequence[tuple[float, float]]) -> Score:
    """The benchmark's averaging of per-page (precision, recall) pairs."""
    if not prs:
        return Score(0.0, 0.0, 0.0, 0)
    precision = sum(p for p, _ in prs) / len(prs)
    recall = sum(r for _, r in prs) / len(prs)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, len(prs))


_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Whitespace-collapsed text for snippet matching."""
    return _WS.sub(" ", (text or "").replace("\u00a0", " ")).strip()


def snippet_rates(with_: list[str], without: list[str], pred: str) -> tuple[int, int, int, int]:
    """(found, len(with), wrongly kept, len(without)) for snippet gold."""
    out = normalise(pred)
    found = sum(1 for s in with_ if normalise(s) and normalise(s) in out)
    kept = sum(1 for s in without if normalise(s) and normalise(s) in out)
    return found, len(with_), kept, len(without)
