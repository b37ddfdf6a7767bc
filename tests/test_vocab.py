"""boilerplate.vocab: the word lists of every language, counted per line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boilerplate import vocab
from boilerplate.vocab import (
    BOILER,
    FUNCTION,
    MONTH,
    VOCABULARY_PATH,
    build_vocabulary,
    cjk_pairs,
    count_lines,
    hash_words,
    load_vocabulary,
    terms,
)

LISTS = json.loads(VOCABULARY_PATH.read_text(encoding="utf-8"))


def code_points(lines: list[str]) -> np.ndarray:
    return np.frombuffer(("\n".join(lines).lower() + "\n").encode("utf-32-le"), dtype=np.uint32)


def listed(name: str) -> set[str]:
    value = LISTS[name]
    return {w for words in value.values() for w in words} if isinstance(value, dict) else set(value)


def test_terms_are_words_and_cjk_characters():
    assert terms("Privacy Policy, 2024: 東京都の記事 İstanbul") == (
        ["privacy", "policy", "i", "stanbul"], ["東", "京", "都", "の", "記", "事"])
    assert cjk_pairs("東京 都の") == ["東京", "都の"]  # no pair across the space
    assert terms("한국어 문장") == (["한국어", "문장"], [])  # Hangul is spaced: words


def test_the_file_holds_mined_and_taken_lists():
    about = LISTS["about"]
    assert "mined" in about["boilerplate"] and "jusText" in about["function_words"]
    assert "dateparser" in about["date_words"]
    for lang in ("en", "zh", "ru", "pl", "el", "de"):
        assert LISTS["boilerplate"][lang], lang
    assert len(LISTS["function_words"]) > 5000
    assert "的" in LISTS["function_chars"] and "の" in LISTS["function_chars"]
    assert {"декабря", "grudnia"} <= listed("months") and "назад" in listed("ago")


def test_every_listed_word_is_found_with_its_categories():
    table = load_vocabulary()
    for name, bit in (("boilerplate", BOILER), ("function_words", FUNCTION), ("months", MONTH)):
        words = sorted(w for w in listed(name) if vocab._WORD.fullmatch(w))
        found = table.categories_of(hash_words(words))
        assert ((found & bit) != 0).all(), name


def test_listed_words_have_distinct_hashes():
    words = sorted({w for name in ("boilerplate", "function_words", "months", "ago", "time_units")
                    for w in listed(name) if vocab._WORD.fullmatch(w)})
    assert len(np.unique(hash_words(words))) == len(words)


def test_a_crowded_table_grows():
    words = [f"w{chr(0x61 + i % 26)}{chr(0x61 + i // 26 % 26)}{chr(0x61 + i // 676)}" for i in range(3000)]
    table = build_vocabulary({"boilerplate": {"x": words}})
    assert ((table.categories_of(hash_words(words)) & BOILER) != 0).all()
    assert not table.categories_of(hash_words(["nothere", "wzzzz"])).any()


def reference(lines: list[str]) -> list[tuple[int, int, float, int, int]]:
    """Per line, counted with Python sets: words, CJK characters, boilerplate terms,
    function words and characters, month names."""
    boiler, function, months = listed("boilerplate"), listed("function_words"), listed("months")
    out = []
    for line in lines:
        words, cjk = terms(line)
        out.append((len(words), len(cjk),
                    sum(w in boiler for w in words) + sum(p in boiler for p in cjk_pairs(line)),
                    sum(w in function for w in words) + sum(c in LISTS["function_chars"] for c in cjk),
                    sum(w in months for w in words)))
    return out


PIECES = ["privacy", "Subscribe", "the", "of", "und", "и", "w", "版权", "所有", "首页", "的", "の", "記事",
          "декабря", "grudnia", "назад", "минут", "vor", "Minuten", "12", " ", "  ", ".", ",", "-", "_",
          "İ", "ß", "é", "한국", "😀", "\u0301", "x", "Zaloguj", "ενημέρωση", "\u00a0"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=10).map("".join), min_size=1, max_size=8))
def test_count_lines_equals_counting_with_sets(lines):
    counts = count_lines(code_points(lines), load_vocabulary())
    got = list(zip(counts.words.astype(int).tolist(), counts.cjk.astype(int).tolist(),
                   counts.boiler.tolist(), counts.function.tolist(), counts.months.astype(int).tolist()))
    assert got == [tuple(float(v) if i in (2, 3) else v for i, v in enumerate(r)) for r in reference(lines)]


def test_relative_time_needs_an_ago_word_and_a_unit():
    counts = count_lines(code_points(["5 минут назад", "минут", "назад", "vor 2 Minuten"]), load_vocabulary())
    assert counts.relative.tolist() == [1, 0, 0, 1]


@pytest.mark.parametrize("lines", [["a\nb", "c"], ["x", "y\n\nz", "w"]])
def test_lines_holding_a_line_break_are_counted_as_one(lines):
    cps = code_points(lines)
    ends = np.cumsum([len(t) + 1 for t in lines]) - 1
    counts = count_lines(cps, load_vocabulary(), ends)
    assert counts.words.tolist() == [len(terms(t)[0]) for t in lines]


def test_recounting_with_the_same_vocabulary_changes_nothing():
    from boilerplate.features import FEATURE_NAMES, featurize, recount_vocabulary
    from boilerplate.segment import from_text

    texts = ["Privacy | Subscribe", "版权所有 © 2024", "The council met on Tuesday.", "İstanbul haberleri",
             "5 минут назад"]
    X = featurize(from_text("\n".join(texts)))
    Y = X.copy()
    recount_vocabulary(texts, Y, load_vocabulary())
    assert np.array_equal(X, Y)
    empty = build_vocabulary({})
    recount_vocabulary(texts, Y, empty)
    assert not Y[:, FEATURE_NAMES.index("boiler_words")][[0]].any()
    assert Y[1, FEATURE_NAMES.index("boiler_words")] == 1  # the copyright sign stays
