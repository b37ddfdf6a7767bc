"""The optional C counts of features._text_block (boilerplate/_cfeatures.c) against numpy and re.

The numpy/regex code of features.py is the reference: the per-line counts
(class counts, matches of _SENT_END, _ENDS_SENT, _SEPARATORS, _BOILER_WORDS)
are compared directly, and whole feature matrices (``featurize``) are
compared with np.array_equal under both paths, on the fixture pages, on
hand-written tricky lines, on every code point and on random text.

Tests that need the extension are skipped when it is not built (e.g.
``gcc -O2 -shared -fPIC $(python3-config --includes) boilerplate/_cfeatures.c
-o boilerplate/_cfeatures$(python3-config --extension-suffix)``). They also run
under DECLUTTER_PURE_PYTHON=1: they switch the path themselves.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pytest
from conftest import PAGES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boilerplate import features
from boilerplate.document import Document, Line
from boilerplate.features import featurize
from boilerplate.segment import segment as segment_page

try:
    from boilerplate import _cfeatures
except ImportError:  # pragma: no cover - depends on the build
    _cfeatures = None

needs_c = pytest.mark.skipif(_cfeatures is None, reason="boilerplate._cfeatures is not built here")

N = features._N_CLASSES


@contextlib.contextmanager
def path(c: bool):
    """Run features with (c=True) or without the C counts."""
    saved = features._cfeatures
    features._cfeatures = _cfeatures if c else None
    try:
        yield
    finally:
        features._cfeatures = saved


def starts_of(texts: list[str]) -> np.ndarray:
    lengths = np.array([len(t) for t in texts], dtype=np.float64)
    return np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)


def reference_counts(texts: list[str]) -> np.ndarray:
    """What _text_block's numpy/regex branch computes, as the C function's 12 columns."""
    F = features
    n = len(texts)
    blob = "\n".join(texts)
    lower = blob.lower()
    starts = starts_of(texts)
    out = np.zeros((n, N + 4), dtype=np.int64)
    out[:, :N] = F._class_counts(blob, starts)
    out[:, N] = F._count_per_line(F._SENT_END, blob, starts, n)
    out[:, N + 1] = F._count_per_line(F._ENDS_SENT, blob, starts, n)
    out[:, N + 2] = F._count_per_line(F._SEPARATORS, blob, starts, n)
    out[:, N + 3] = F._count_per_line(F._BOILER_WORDS, lower, starts, n)
    return out


def c_counts(texts: list[str]) -> np.ndarray:
    blob = "\n".join(texts)
    out = np.full((len(texts), N + 4), -1, dtype=np.int64)
    ok = _cfeatures.counts(blob, blob.lower(), starts_of(texts), features._CLASS_TABLE,
                           features._CLASS_CAPITAL, features._CLASS_COLON,
                           features._BOILER_LITERALS, features._BOILER_BOUNDED, out)
    assert ok is True
    return out


COLUMN_NAMES = [f"class{k}" for k in range(N)] + ["sent_end", "ends_sent", "separators", "boiler"]


def assert_same_counts(texts: list[str]) -> np.ndarray:
    got, want = c_counts(texts), reference_counts(texts)
    if not np.array_equal(got, want):
        rows, cols = np.nonzero(got != want)
        i, j = int(rows[0]), int(cols[0])
        raise AssertionError(f"{COLUMN_NAMES[j]} of line {i} {texts[i]!r}: C {got[i, j]}, "
                             f"reference {want[i, j]} ({len(rows)} cells differ)")
    return got


def doc_of(texts: list[str], kind: str = "html") -> Document:
    return Document(kind=kind, lines=tuple(Line(text=t, index=i) for i, t in enumerate(texts)))


def assert_same_matrices(doc: Document) -> np.ndarray:
    with path(c=True):
        fast = featurize(doc)
    with path(c=False):
        slow = featurize(doc)
    assert fast.dtype == slow.dtype and fast.shape == slow.shape
    assert np.array_equal(fast, slow), np.argwhere(fast != slow)[:10].tolist()
    return fast


# --------------------------------------------------------------------------- the literals


def test_expand_follows_the_order_re_tries():
    assert features._expand("a(?:b|c)?d|e") == ["abd", "acd", "ad", "e"]
    assert features._expand("log ?in|x(?:y|z)(?:1|2)") == ["log in", "login", "xy1", "xy2", "xz1",
                                                           "xz2"]
    for bad in ("a+", "a|", "[ab]", r"a\b", "(a)", "(?:a", "a)", "a??", "^a", "a.b", "(?:a|)"):
        with pytest.raises(ValueError):
            features._expand(bad)


def test_boiler_literals_are_the_alternation_expanded():
    terms = features._BOILER_LITERALS[:features._BOILER_BOUNDED]
    symbols = features._BOILER_LITERALS[features._BOILER_BOUNDED:]
    assert len(set(features._BOILER_LITERALS)) == len(features._BOILER_LITERALS)
    for lit in terms:
        assert re.fullmatch(f"(?:{features._BOILER_TERMS})", lit), lit
    for lit in symbols:
        assert re.fullmatch(f"(?:{features._BOILER_SYMBOLS})", lit), lit
    # Greedy ? and nested groups: the longer / earlier choice first.
    order = features._BOILER_LITERALS.index
    assert order("cookies") < order("cookie") and order("comments") < order("comment")
    assert order("sign in") < order("sign up") and order("log in") < order("login")
    assert order("terms of use") < order("terms of service")
    # The literals, in order, as one regex: the same matches as _BOILER_WORDS.
    expanded = re.compile(rf"\b(?:{'|'.join(map(re.escape, terms))})\b|"
                          f"{'|'.join(map(re.escape, symbols))}")
    texts = [" ".join(features._BOILER_LITERALS), "".join(features._BOILER_LITERALS)]
    for lit in features._BOILER_LITERALS:
        for around in ("", "_", "x", "1", " ", "é", "s", "ss"):
            texts += [lit + around, around + lit, around + lit + around, lit + lit]
    texts += ["cookiess", "log  in", "loginx", "sign upx", "©2024", "x©x", "shareable", "re-share"]
    for text in texts:
        assert ([m.span() for m in expanded.finditer(text)]
                == [m.span() for m in features._BOILER_WORDS.finditer(text)]), text


# --------------------------------------------------------------------------- counts


@needs_c
def test_every_code_point_in_every_role():
    """The C sets (marks, closers, separators, \\s, \\b, class table rows) for every code point."""
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    roles = (
        lambda ch: ch + " ",          # a sentence mark?
        lambda ch: ch,                # ... at the end / class counts at a line start
        lambda ch: "." + ch,          # a closer?
        lambda ch: "." + ch + " x",   # a closer, or \s after a mark?
        lambda ch: ". " + ch + "A",   # \s? a capital after it?
        lambda ch: "a " + ch + " b",  # a separator?
        lambda ch: ch + ":",          # a colon before the end of the line
        lambda ch: "share" + ch,      # a word character (\b after a term)?
        lambda ch: ch + "login",      # a word character (\b before a term)?
    )
    for role in roles:
        for lo in range(0, len(cps), 0x20000):
            assert_same_counts([role(chr(c)) for c in cps[lo:lo + 0x20000]])
    # Every code point inside one line, in the middle of other text.
    for lo in range(0, len(cps), 0x8000):
        assert_same_counts(["x " + "".join(chr(c) for c in cps[lo:lo + 0x8000]) + " ."])


TRICKY = [
    # boiler words and word boundaries
    "share", "Share this", "sharel", "_share", "share_", "1share", "share1", "reshare",
    "cookies", "Cookies!", "cookie", "cookiess", "cookie_", "cookies-policy", "accept cookies.",
    "log in", "login", "log  in", "Login/Register", "sign in", "sign up", "signup", "sign upx",
    "Sign Up!", "terms of use", "terms of service", "terms of", "read more…", "Read More »",
    "© 2024 Reuters", "©2024", "x©y", "getty images", "afp/getty", "editing by", "reporting by",
    "all rights reserved.", "You May Also Like", "back to top", "Ranking", "Most Read",
    "ランキング", "関連記事", "広告", "記事一覧", "シェアする", "フォロー", "相关推荐", "广告", "登录", "分享",
    "shareshare", "share share", "comments comment", "popularity", "privacy_policy",
    "İstanbul share", "İİİ cookies", "ß share", "ﬁ share", "KELVIN \u212a share",
    # sentence ends and closers
    "End.", "End. ", "End.\"", "End.”", "End.’ ", "End.»", "End.)", "End.]", "End.\")",
    "End.\" next", "End.\"x", "a.b", "a. b", "Wait...", "Wait... what?", "Really?!", "Hm…",
    "。", "終わり。", "文。次", "文。 次", "本当！", "何？", "Yes！", "e.g.", ".", "..", "?", "!\u00a0",
    "End.\u3000", "End.\u2028x", "End.\x1c", "End.\x85", "End.\t", "「文。」", "End.\u200b",
    # separators
    "a | b", "a |b", "a| b", " | ", "a | | b", "a · b • c / d » e > f", "a » ", "a >",
    "Home > News > World", "a  |  b", "a | ", " |", "|", "a / b / c", "a ‖ b", "a \u00bb b",
    # colons, capitals, digits, spaces
    "Note:", "Note：", "Note: ", "a:b", ":", "：", "The Big Apple", " Lead", "ÀÉÎ Öl Øre Þorn",
    "Яблоко Ωmega", "a  b", " ", "x", "  x  ", "12:30", "٣ ١٢ １２", "a1 b2",
    # CJK, astral, odd characters
    "日本語のテキスト。", "한국어 문장.", "中文，标点。", "😀 emoji. 😀", "𝐁𝐨𝐥𝐝 text.", "\U0001F600share",
    "share\U0001F600", "\U00020000。", "\ufeffBOM", "\x00nul", "\x07bell", "tab\there",
    "\u2029sep", "zero\u200bwidth", "x\ny", "line\nbreak.\nAnother:", "\n", "a\n\nb",
    "İ", "İ.", "İİ share", "\u0130 cookies \u0130", "ΣΑΣ share",
]


@needs_c
def test_tricky_lines_count_the_same():
    assert_same_counts(TRICKY)
    for text in TRICKY:
        assert_same_counts([text])
        assert_same_counts([text, text + " x", "y " + text])


@needs_c
def test_counts_hold_the_expected_values():
    """Not only equal to the reference: right (a reference bug would show here too)."""
    got = c_counts(["Accept cookies. Share | log in", "cookie_ login", "A.\" B?” C…", "End:"])
    assert got[:, N + 3].tolist() == [3, 1, 0, 0]    # cookies, share, log in; login
    assert got[:, N].tolist() == [1, 0, 3, 0]        # "cookies." ; A." B?” C…
    assert got[:, N + 1].tolist() == [0, 0, 1, 0]
    assert got[:, N + 2].tolist() == [1, 0, 0, 0]
    assert got[:, features._CLASS_COLON].tolist() == [0, 0, 0, 1]
    assert got[:, features._CLASS_CAPITAL].tolist() == [2, 0, 3, 1]
    assert got[:, features._CLASS_SPACE].tolist() == [5, 1, 2, 0]


@needs_c
def test_tricky_lines_give_the_same_matrices():
    for kind in ("html", "text"):
        assert_same_matrices(doc_of(TRICKY, kind))
        for text in TRICKY:
            assert_same_matrices(doc_of([text], kind))


@needs_c
@pytest.mark.parametrize("odd", ["", "İ", "ﬁ"])
def test_long_pages_by_blocks(odd):
    """More than _TEXT_BLOCK_LINES lines: by blocks, or in one block when lower-casing
    changes the length ("İ"; "ﬁ" keeps it)."""
    assert features._TEXT_BLOCK_LINES == 2048
    texts = [TRICKY[i % len(TRICKY)] + (odd if i % 7 == 3 else "") for i in range(2 * 2048 + 5)]
    X = assert_same_matrices(doc_of(texts))
    assert X.shape[0] == len(texts)
    assert_same_counts(texts)


@needs_c
def test_fixture_pages_give_the_same_matrices():
    docs = []
    for page in sorted(PAGES.iterdir()):
        docs += [segment_page(page.read_bytes()), segment_page(page.read_bytes(), kind="text")]
    assert sum(bool(doc.lines) for doc in docs) >= 30
    for doc in docs:
        if doc.lines:
            assert_same_matrices(doc)
            assert_same_counts([line.text for line in doc.lines])


@needs_c
def test_the_c_path_is_taken_and_the_numpy_path_stays_reachable(monkeypatch):
    doc = doc_of(["A line. Share | this", "Another: one"])
    calls = []
    real = features._class_counts

    def spy(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(features, "_class_counts", spy)
    with path(c=True):
        featurize(doc)
    assert calls == []
    with path(c=False):
        featurize(doc)
    assert calls == [1]


@needs_c
def test_lone_surrogates_go_to_the_reference():
    """The reference raises on them (utf-32 encoding): the C code hands them over."""
    texts = ["ok", "bad \ud800 here"]
    blob = "\n".join(texts)
    out = np.zeros((2, N + 4), dtype=np.int64)
    assert _cfeatures.counts(blob, blob.lower(), starts_of(texts), features._CLASS_TABLE,
                             features._CLASS_CAPITAL, features._CLASS_COLON,
                             features._BOILER_LITERALS, features._BOILER_BOUNDED, out) is False
    for c in (True, False):
        with path(c), pytest.raises(UnicodeEncodeError):
            featurize(doc_of(texts))


@needs_c
def test_malformed_arguments_raise():
    texts = ["a b", "c"]
    blob = "\n".join(texts)
    good = dict(blob=blob, lower=blob.lower(), starts=starts_of(texts),
                table=features._CLASS_TABLE, capital=features._CLASS_CAPITAL,
                colon=features._CLASS_COLON, literals=features._BOILER_LITERALS,
                bounded=features._BOILER_BOUNDED, out=np.zeros((2, N + 4), np.int64))
    bad = [
        ({"blob": b"a b\nc"}, TypeError),
        ({"starts": np.array([0, 4], np.int32)}, TypeError),
        ({"starts": np.array([0, 6], np.int64)}, ValueError),      # beyond the blob
        ({"starts": np.array([1, 3], np.int64)}, ValueError),      # not from 0
        ({"starts": np.array([0, 0], np.int64)}, ValueError),      # not increasing
        ({"starts": np.zeros(0, np.int64), "out": np.zeros((0, 12), np.int64)}, ValueError),
        ({"table": features._CLASS_TABLE.astype(np.int16)}, TypeError),
        ({"table": features._CLASS_TABLE[:, :7].copy()}, ValueError),
        ({"table": np.zeros((0, 8), np.uint8)}, ValueError),
        ({"capital": 8}, ValueError),
        ({"colon": -1}, ValueError),
        ({"literals": list(features._BOILER_LITERALS)}, TypeError),
        ({"literals": ("a", ""), "bounded": 1}, TypeError),
        ({"literals": ("a", 1), "bounded": 1}, TypeError),
        ({"bounded": len(features._BOILER_LITERALS) + 1}, ValueError),
        ({"bounded": -1}, ValueError),
        ({"out": np.zeros((2, 11), np.int64)}, ValueError),
        ({"out": np.zeros((2, 12), np.float64)}, TypeError),
    ]
    readonly = np.zeros((2, N + 4), np.int64)
    readonly.flags.writeable = False
    bad.append(({"out": readonly}, (TypeError, ValueError, BufferError)))
    for change, error in bad:
        args = {**good, **change}
        with pytest.raises(error):
            _cfeatures.counts(*args.values())
    assert _cfeatures.counts(*good.values()) is True


def test_speedups_names_the_feature_counts():
    import boilerplate

    assert boilerplate.speedups()["features"] is (features._cfeatures is not None)


# --------------------------------------------------------------------------- random text

PIECES = [
    "a", "x", "The", "İ", "ı", "ß", "ﬁ", "Σ", "\u212a", "é", "_", "1", "٣", "１", " ", "  ", "\t",
    "\u00a0", "\u3000", "\u2028", "\x1c", "\x85", "\u200b", "\n", ".", "!", "?", "。", "！", "？",
    "…", "\"", "'", "”", "’", "»", ")", "]", ":", "：", "|", "·", "•", "/", ">", " | ", " » ",
    " > ", " / ", "share", "cookies", "cookie", "log in", "login", "log", "in", "sign up",
    "sign", "up", "terms of use", "read more", "©", "ランキング", "関連", "シェア", "广告", "分享",
    "文", "😀", "\U00020000", "𝐁", "A", "Ö", "Я", "Ω",
]
line_text = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@needs_c
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line_text, min_size=1, max_size=12), st.sampled_from(["html", "text"]))
def test_random_text(texts, kind):
    assert_same_counts(texts)
    assert_same_matrices(doc_of(texts, kind))


# --------------------------------------------------------------------------- line_groups


def c_groups(doc: Document) -> np.ndarray:
    out = np.empty((len(doc.lines), features.ANCESTOR_LEVELS + 1), dtype=np.int64)
    _cfeatures.groups(doc.lines, features.ANCESTOR_LEVELS, out)
    return out


@needs_c
def test_groups_equal_line_groups_on_the_fixture_pages():
    for page in sorted(PAGES.iterdir()):
        doc = segment_page(page.read_bytes())
        assert np.array_equal(c_groups(doc), features._line_groups_python(doc)), page.name
        assert np.array_equal(features.line_groups(doc), features._line_groups_python(doc))


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 2**40), max_size=7).map(tuple),
                          st.sampled_from(["", "div", "div>p", "ul.x>li", "p", "é>ß"])),
                max_size=40))
def test_groups_equal_line_groups_on_random_lines(specs):
    doc = Document(kind="html", lines=tuple(
        Line(text="x", index=i, path=path, ancestors=ancestors)
        for i, (ancestors, path) in enumerate(specs)))
    assert np.array_equal(c_groups(doc), features._line_groups_python(doc))


@needs_c
def test_groups_refuses_bad_arguments():
    lines = (Line(text="x", ancestors=(1, 2)),)
    with pytest.raises(ValueError):
        _cfeatures.groups(lines, 4, np.empty(4, dtype=np.int64))  # one entry short
    with pytest.raises(TypeError):
        _cfeatures.groups(lines, 4, np.empty(5, dtype=np.float64))
    with pytest.raises(TypeError):
        _cfeatures.groups((Line(text="x", ancestors=[1]),), 4, np.empty(5, dtype=np.int64))
    with pytest.raises(OverflowError):
        _cfeatures.groups((Line(text="x", ancestors=(2**70,)),), 4, np.empty(5, dtype=np.int64))
    with pytest.raises(TypeError):
        _cfeatures.groups(iter(lines), 4, np.empty(5, dtype=np.int64))


# --------------------------------------------------------------------------- line_starts


def reference_starts(texts: list[str]) -> np.ndarray:
    """_BULLET, _BULLET_ONLY, _QUOTE_START, _BYLINE matched at each line's start, by re."""
    blob = "\n".join(texts)
    lower = blob.lower()
    out = np.zeros((len(texts), 4), dtype=bool)
    at = 0
    for i, text in enumerate(texts):
        out[i] = [features._BULLET.match(blob, at) is not None,
                  features._BULLET_ONLY.match(blob, at) is not None,
                  features._QUOTE_START.match(blob, at) is not None,
                  features._BYLINE.match(lower, at) is not None]
        at += len(text) + 1
    return out


def c_starts(texts: list[str]) -> np.ndarray:
    blob = "\n".join(texts)
    lower = blob.lower()
    out = np.empty((len(texts), 4), dtype=np.bool_)
    _cfeatures.line_starts(blob, starts_of(texts), lower if len(lower) == len(blob) else None,
                           features._BULLET_CHARS, features._BULLET_ONLY_CHARS,
                           features._QUOTE_CHARS, features._BYLINE_WORDS, out)
    return out


def code_points_to_try() -> list[str]:
    """All of the first 0x3000 code points, every 7th one above (no surrogates), every
    decimal digit and every character of the patterns."""
    import unicodedata

    cps = set(range(0x3000)) | set(range(0x3000, 0x110000, 7))
    cps |= {c for c in range(0x110000) if unicodedata.category(chr(c)) == "Nd"}
    cps |= {ord(c) for c in features._BULLET_ONLY_CHARS + features._QUOTE_CHARS}
    return [chr(c) for c in sorted(cps) if not 0xD800 <= c <= 0xDFFF and chr(c) != "\n"]


@needs_c
def test_line_starts_equal_the_regexes_on_every_code_point_tried():
    for c in code_points_to_try():
        texts = [c, c + " ", c + "x", "1" + c, "12" + c + " ", "123" + c, "1234" + c,
                 c * 4, c * 5, "by" + c + "x", "by " + c, "von  " + c, c + "by x", "door"]
        texts = [t for t in texts if "\n" not in t.lower()]
        blob = "\n".join(texts)
        if len(blob.lower()) != len(blob):
            continue  # the caller passes lower=None then (see the next test)
        assert np.array_equal(c_starts(texts), reference_starts(texts)), repr(c)


@needs_c
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="-•»>)(.|/ 0123456789٣xyBbyvonpardiface \"“'「\u00a0\t", min_size=1,
                        max_size=9), min_size=1, max_size=12))
def test_line_starts_equal_the_regexes_on_random_lines(texts):
    assert np.array_equal(c_starts(texts), reference_starts(texts))


@needs_c
def test_featurize_with_and_without_line_starts_in_c(monkeypatch):
    texts = ["• item", "1. first", "12) second", "by Jane Doe", "von  Hans", "“Quote”", "- ", "İstanbul by x",
             "1234. no", "—", "|/", "By Someone"]
    doc = Document(kind="text", lines=tuple(Line(text=t, index=i) for i, t in enumerate(texts)))
    fast = featurize(doc)
    monkeypatch.setattr(features, "_cfeatures", None)
    assert np.array_equal(fast, featurize(doc))


@needs_c
def test_line_starts_refuses_bad_arguments():
    good = dict(blob="ab\ncd", starts=np.array([0, 3]), lower="ab\ncd", bullet=features._BULLET_CHARS,
                only=features._BULLET_ONLY_CHARS, quote=features._QUOTE_CHARS,
                words=features._BYLINE_WORDS, out=np.empty((2, 4), dtype=np.bool_))
    _cfeatures.line_starts(*good.values())
    for change, error in [({"lower": "abc"}, ValueError), ({"out": np.empty((2, 3), np.bool_)}, ValueError),
                          ({"starts": np.array([0, 9])}, ValueError), ({"words": ("by", 3)}, TypeError),
                          ({"words": ["by"]}, TypeError), ({"starts": np.array([0.0, 3.0])}, TypeError)]:
        with pytest.raises(error):
            _cfeatures.line_starts(*{**good, **change}.values())
