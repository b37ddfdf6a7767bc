"""Class/id hints: which cue categories (nav, related, comment...) an element's class and id name.

A token of an element's class or id that matches a category's pattern sets
that category's bit; ``hints`` gives the bits of one class (or id) string,
cached, since the same strings repeat on every page of a site.
"""

from __future__ import annotations

import functools
import re

__all__ = ["HINTS", "HIDDEN", "hints"]

_HINT_PATTERNS = {
    "nav": r"nav|menu|breadcrumb|masthead|topbar|skip|dropdown",
    "side": r"sidebar|aside|rail|widget|sidebox|col-right|right-col|secondary",
    "related": r"related|recommend|teaser|promo|outbrain|taboola|suggest|readmore|"
    r"read-more|more-|also|next|prev|other|kicker",
    "popular": r"popular|ranking|rank|trending|mostread|most-|most_|top-?10|hot",
    "share": r"share|social|sharing|facebook|twitter|tweet|whatsapp|email|print|tool",
    "footer": r"footer|foot|copyright|legal|bottom|colophon",
    "header": r"header|masthead|banner|brand|logo|top",
    "comment": r"comment|reply|replies|disqus|discussion|respond|reaction|forum|review",
    "ad": r"^ads?$|^ad-|-ad$|advert|sponsor|dfp|adslot|adunit|commercial|partner|^gpt",
    "subscribe": r"subscri|newsletter|signup|sign-up|paywall|premium|register|login|"
    r"cookie|consent|gdpr|modal|popup|overlay|notice|alert|banner",
    "meta": r"byline|author|date|time|meta|dateline|timestamp|publish|posted|info|"
    r"updated|source",
    "caption": r"caption|credit|photo|image|img|media|gallery|video|figure|pic",
    "title": r"title|headline|heading|hed$|standfirst|subtitle|deck|summary|lede?$|"
    r"intro|description",
    "content": r"article|content|story|body|post|entry|text|main|prose|paragraph|"
    r"richtext|detail|blog",
    "tag": r"^tags?$|tag-|keyword|topic|categor|label",
    "list": r"list|item|card|tile|grid|feed|stream|river|collection|headlines",
    "hidden": r"^hidden$|sr-only|visually-hidden|screen-reader|^d-none$|offscreen",
}
HINTS = {name: 1 << i for i, name in enumerate(_HINT_PATTERNS)}
#: The bit of classes that hide an element (sr-only, d-none...).
HIDDEN = HINTS["hidden"]
_TOKEN_SPLIT = re.compile(r"[^a-z0-9_-]+")
_HINT_CACHE: dict[str, int] = {}
_TOKEN_CACHE: dict[str, int] = {}
_HINT_CACHE_MAX = 100_000
#: Longer class/id strings are not cached (they are rare and would bloat it).
_HINT_CACHE_KEY_MAX = 256


def hints(attrs: str) -> int:
    """Hint bits of one class (or id) string, cached: the same strings repeat a lot.

    A string not seen before is read token by token, with a cache of tokens
    of its own (new class strings are mostly known tokens in a new combination).
    The compiled walk reads ``_HINT_CACHE`` itself before it calls this.
    """
    bits = _HINT_CACHE.get(attrs)
    if bits is None:
        bits = _token_bits(attrs)
        if len(attrs) <= _HINT_CACHE_KEY_MAX:
            if len(_HINT_CACHE) > _HINT_CACHE_MAX:
                _HINT_CACHE.clear()
            _HINT_CACHE[attrs] = bits
    return bits


def _token_bits(attrs: str) -> int:
    """``hints`` without its cache of whole strings, token by token."""
    bits = 0
    for token in _TOKEN_SPLIT.split(attrs.lower()):
        if token:
            token_bits = _TOKEN_CACHE.get(token)
            if token_bits is None:
                token_bits = _token_hints(token)
                if len(token) <= _HINT_CACHE_KEY_MAX:
                    if len(_TOKEN_CACHE) > _HINT_CACHE_MAX:
                        _TOKEN_CACHE.clear()
                    _TOKEN_CACHE[token] = token_bits
            bits |= token_bits
    return bits


def _token_hints(token: str) -> int:
    """The bits of the _HINT_PATTERNS that ``re.search`` finds in a token.

    One pass of an Aho-Corasick automaton over "^" + token + "$" finds every
    literal of every pattern at once (a pattern's ^ and $ become these
    markers, which tokens never hold): four times faster than a search per
    pattern, which mattered on every page of a new site. tests/test_hints.py
    checks that both agree.
    """
    matcher = _matcher()
    goto, fail, out, moves = matcher
    state = bits = 0
    for ch in f"^{token}$":
        nxt = moves[state].get(ch)
        if nxt is None:  # first time this move is taken: follow the failure links
            back = state
            while True:
                nxt = goto[back].get(ch)
                if nxt is not None or back == 0:
                    nxt = nxt or 0
                    break
                back = fail[back]
            moves[state][ch] = nxt
        state = nxt
        bits |= out[state]
    return bits


def _literals(pattern: str) -> list[str]:
    """The strings a hint pattern matches: |-separated terms of [a-z0-9_-] characters,
    each optionally followed by ?, with ^ and $ at their ends only.

    Raises:
        ValueError: for any other regex syntax (extend this, or the automaton is wrong).
    """
    out = []
    for term in pattern.split("|"):
        words = [""]
        i = 0
        while i < len(term):
            ch = term[i]
            if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch in "-_^$"):
                raise ValueError(f"hint pattern term {term!r}: unsupported {ch!r}")
            if i + 1 < len(term) and term[i + 1] == "?":
                words = [w + ch for w in words] + words
                i += 2
            else:
                words = [w + ch for w in words]
                i += 1
        if any("^" in w[1:] or "$" in w[:-1] for w in words):
            raise ValueError(f"hint pattern term {term!r}: ^ or $ inside")
        out += words
    return out


@functools.lru_cache(maxsize=1)
def _matcher() -> tuple[list[dict[str, int]], list[int], list[int], list[dict[str, int]]]:
    """The Aho-Corasick automaton of all hint literals: (goto, fail, out bits, moves cache)."""
    goto: list[dict[str, int]] = [{}]
    out = [0]
    for name, pattern in _HINT_PATTERNS.items():
        for literal in _literals(pattern):
            state = 0
            for ch in literal:
                nxt = goto[state].get(ch)
                if nxt is None:
                    goto.append({})
                    out.append(0)
                    nxt = goto[state][ch] = len(goto) - 1
                state = nxt
            out[state] |= HINTS[name]
    fail = [0] * len(goto)
    queue = list(goto[0].values())
    for state in queue:  # breadth first: a node's failure link is known before its children's
        for ch, child in goto[state].items():
            back = fail[state]
            while back and ch not in goto[back]:
                back = fail[back]
            target = goto[back].get(ch, 0)
            fail[child] = target if target != child else 0
            out[child] |= out[fail[child]]
            queue.append(child)
    return goto, fail, out, [dict(g) for g in goto]

