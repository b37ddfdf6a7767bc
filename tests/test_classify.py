"""boilerplate.classify.decide: probabilities -> labels and reasons."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import col, doc_from, features_of, fixture_documents, line

from boilerplate import reasons
from boilerplate.classify import (
    _COMBINATIONS,
    _F,
    _KEPT_COLUMNS,
    _REASON_COLUMNS,
    RESCUE_MIN_CHARS,
    RESCUE_MIN_SCORE,
    Decision,
    _dropped_cues,
    _kept_codes,
    decide,
)
from boilerplate.document import Label
from boilerplate.features import FEATURE_NAMES, featurize, line_groups
from boilerplate.hints import HINTS
from boilerplate.model import load_model
from boilerplate.reasons import Cue
from boilerplate.walk import SEM

C, B = Label.CONTENT, Label.BOILERPLATE
PROSE = ("The council approved the new budget on Tuesday after a long debate about "
         "schools, roads and the future of the old harbour district.")
assert len(PROSE) > 100


def run(items, proba, *, threshold=0.5, kind="html") -> Decision:
    doc, X = features_of(*items, kind=kind)
    return decide(np.asarray(proba, dtype=np.float64), X, doc, threshold=threshold)


def short_lines(n: int) -> list[str]:
    """n short lines (far under RESCUE_MIN_CHARS together), so no rescue can happen."""
    return [f"Line number {i}" for i in range(n)]


# --------------------------------------------------------------------------- threshold


def test_threshold_semantics_probability_at_threshold_is_kept():
    d = run(short_lines(4), [0.2, 0.49999, 0.5, 0.9], threshold=0.5)
    assert d.labels == (B, B, C, C)


@pytest.mark.parametrize("threshold, expected", [
    (0.0, (C, C, C)),
    (0.3, (B, C, C)),
    (0.6, (B, B, C)),
    (1.0, (B, B, B)),
])
def test_threshold_moves_the_cut(threshold, expected):
    assert run(short_lines(3), [0.1, 0.4, 0.8], threshold=threshold).labels == expected


def test_one_label_and_reason_per_line():
    d = run(short_lines(5), [0.1, 0.9, 0.5, 0.0, 1.0])
    assert len(d.labels) == len(d.reasons) == 5
    assert all(isinstance(label, Label) for label in d.labels)


def test_empty_document():
    doc = doc_from()
    X = featurize(doc)
    d = decide(np.zeros(0), X, doc, threshold=0.5)
    assert d.labels == () and d.reasons == ()


# --------------------------------------------------------------------------- date lines


def test_date_only_lines_are_dropped_whatever_their_score():
    items = ["16:20 JST, May 10, 2023", PROSE, PROSE + " More.", "Updated 2 hours ago"]
    d = run(items, [0.99, 0.9, 0.9, 1.0], threshold=0.5)
    assert d.labels == (B, C, C, B)
    assert d.reasons[0] == "dropped: date/time line"
    assert d.reasons[3] == "dropped: date/time line"


def test_a_long_sentence_with_a_date_is_not_a_date_line():
    text = "On May 10, 2023 the council approved the new budget after a long and heated debate."
    d = run([text], [0.9])
    assert d.labels == (C,)
    assert d.reasons[0].startswith("kept:")


def test_date_lines_are_never_rescued():
    items = [PROSE, "May 10, 2023", PROSE + " Again.", PROSE + " Once more."]
    doc, X = features_of(*items)
    assert col(X, "region40_in")[1] == 1  # the date sits inside the dense region
    d = decide(np.array([0.1, 0.9, 0.1, 0.1]), X, doc, threshold=0.5)
    assert d.labels == (C, B, C, C)
    assert d.reasons[1] == "dropped: date/time line"


# --------------------------------------------------------------------------- rescue


def rescue_page():
    return [
        line("Home", link_chars=4, sem=SEM["nav"]),
        line("World", link_chars=5, sem=SEM["nav"]),
        line(PROSE),
        line(PROSE + " Second paragraph."),
        line(PROSE + " Third paragraph."),
        line("Most read story headline", link_chars=24, hints=HINTS["popular"]),
    ]


def test_empty_page_is_rescued_from_the_densest_region():
    doc, X = features_of(*rescue_page())
    assert col(X, "region40_in").tolist() == [0, 0, 1, 1, 1, 0]
    proba = np.array([0.01, 0.01, 0.2, 0.3, 0.1, 0.02])
    d = decide(proba, X, doc, threshold=0.5)
    assert d.labels == (B, B, C, C, C, B)
    for i in (2, 3, 4):
        assert d.reasons[i].startswith("kept: densest text region")
        assert f"{proba[i]:.2f}" in d.reasons[i]
    kept_chars = sum(len(ln.text) for ln, lab in zip(doc.lines, d.labels) if lab is C)
    assert kept_chars >= RESCUE_MIN_CHARS


def test_rescue_skips_region_lines_scored_below_the_minimum():
    doc, X = features_of(*rescue_page())
    proba = np.array([0.01, 0.01, 0.2, RESCUE_MIN_SCORE / 2, 0.3, 0.02])
    d = decide(proba, X, doc, threshold=0.5)
    assert d.labels == (B, B, C, B, C, B)
    assert d.reasons[3].startswith("dropped:")


def test_rescued_lines_already_kept_get_the_ordinary_reason():
    doc, X = features_of(*rescue_page())
    proba = np.array([0.01, 0.01, 0.2, 0.7, 0.1, 0.02])  # one region line kept (< 200 chars)
    d = decide(proba, X, doc, threshold=0.5)
    assert d.labels == (B, B, C, C, C, B)
    assert d.reasons[3] == "kept: score 0.70, reads as article prose; in the page's densest text region"
    assert d.reasons[2].startswith("kept: densest text region")


def test_no_rescue_when_enough_text_is_kept():
    doc, X = features_of(*rescue_page())
    proba = np.array([0.01, 0.01, 0.9, 0.9, 0.2, 0.02])  # two long lines kept: >= 200 chars
    d = decide(proba, X, doc, threshold=0.5)
    assert d.labels == (B, B, C, C, B, B)
    assert d.reasons[4].startswith("dropped:")


def test_no_rescue_when_the_region_is_too_small():
    d = run(["Home", "A short paragraph of text here.", "Footer"], [0.01, 0.2, 0.01])
    assert d.labels == (B, B, B)


# --------------------------------------------------------------------------- reasons


def test_reasons_start_with_kept_or_dropped():
    items = [
        line("Home", link_chars=4, sem=SEM["nav"], tag="li"),
        line("May 10, 2023"),
        line(PROSE, tag="p"),
        line("•"),
        line("Share", hints=HINTS["share"]),
        line("Share", hints=HINTS["share"]),
        line("Photo: Getty Images", sem=SEM["figure"], tag="figcaption"),
        line("An ordinary line without end"),
        line("A plain sentence that ends."),
    ]
    proba = [0.01, 0.9, 0.95, 0.0, 0.1, 0.1, 0.3, 0.2, 0.4]
    d = run(items, proba)
    for label, reason in zip(d.labels, d.reasons):
        prefix = "kept:" if label is C else "dropped:"
        assert reason.startswith(prefix), reason


def test_dropped_reasons_name_the_strongest_cues():
    items = [
        line("Home", link_chars=4, sem=SEM["nav"], tag="li"),
        line("•"),
        line("Photo: Getty Images", sem=SEM["figure"], tag="figcaption"),
        line("An ordinary line without end"),
    ]
    d = run(items, [0.01, 0.0, 0.3, 0.2])
    assert d.reasons[0] == "dropped: mostly link text (100%); inside <nav> (score 0.01)"
    assert d.reasons[1].startswith("dropped: list bullet or separator")
    assert d.reasons[2].startswith("dropped: image caption")
    assert d.reasons[3] == "dropped: short line without a sentence ending (score 0.20)"


def test_kept_reason_carries_the_score():
    d = run(short_lines(1), [0.876])
    assert d.reasons == ("kept: score 0.88, in the page's densest text region",)
    assert reasons.describe((Cue.SCORE,), 0.876) == "kept: score 0.88, on its score alone"


def test_kept_reasons_name_the_cue_that_kept_the_line():
    items = [
        line(PROSE, tag="p", sem=SEM["article"]),
        line("What the council decided", tag="h2", sem=SEM["article"]),
        line("A short line", tag="div", sem=SEM["main"], hints=HINTS["content"]),
        line(PROSE + " Again.", tag="p", sem=SEM["article"] | SEM["main"]),
    ]
    d = run(items, [0.82, 0.6, 0.7, 0.9])
    assert d.labels == (C, C, C, C)
    assert d.reasons[0] == "kept: score 0.82, reads as article prose; inside <article>"
    assert d.reasons[1] == "kept: score 0.60, subheading; inside <article>"
    assert d.reasons[2] == "kept: score 0.70, inside <main>; inside the article body (class/id)"
    # <main> says nothing more once <article> is named
    assert d.reasons[3] == "kept: score 0.90, reads as article prose; inside <article>"
    assert d.cues[0] == (Cue.SCORE, Cue.PROSE, Cue.ARTICLE_TAG)


def scored_fixtures():
    """(document, features, shipped model's probabilities) of every non-empty fixture view."""
    model = load_model()
    for doc in fixture_documents():
        if doc.lines:
            groups = line_groups(doc)
            X = featurize(doc, groups)
            yield doc, X, model.content_proba(X, groups)


def test_decide_reasons_equal_the_reference():
    """On every fixture page and three thresholds, each line's reason is the reference's."""
    model = load_model()
    for doc, X, proba in scored_fixtures():
        for threshold in (0.05, model.threshold, 0.95):
            decision = decide(proba, X, doc, threshold=threshold)
            keep = np.array([label.value == "content" for label in decision.labels])
            rescued = np.array([r.startswith("kept: densest") for r in decision.reasons])
            date_only = X[:, _F["date_only"]] > 0
            for i, reason in enumerate(decision.reasons):
                assert reason == reference_reason(X[i], float(proba[i]), bool(keep[i]),
                                                  bool(rescued[i]), bool(date_only[i]))


#: The markup cues of a dropped line in the order they rank, as the reasons name them.
HINT_REASONS = (
    ("hint_nav", "inside navigation (class/id)"),
    ("sem_nav", "inside <nav>"),
    ("hint_popular", "inside a popular/ranking list (class/id)"),
    ("hint_related", "inside a related-content block (class/id)"),
    ("hint_comment", "inside a comment section (class/id)"),
    ("hint_share", "inside a share bar (class/id)"),
    ("hint_ad", "inside an ad (class/id)"),
    ("hint_subscribe", "inside a subscription/cookie/newsletter box (class/id)"),
    ("sem_footer", "inside <footer>"),
    ("hint_footer", "inside a footer (class/id)"),
    ("sem_aside", "inside <aside>"),
    ("hint_side", "inside a sidebar (class/id)"),
    ("sem_figure", "image caption"),
    ("hint_caption", "caption or media credit (class/id)"),
    ("sem_h1", "headline"),
)


def reference_reason(row, p, kept, rescued, date_only) -> str:
    """The reason of one line, written out line by line: the specification decide's numpy search meets."""
    F = _F
    if rescued:
        return f"kept: densest text region of an otherwise empty page (score {p:.2f})"
    if kept:
        return kept_reference(row, p)
    if date_only:
        return "dropped: date/time line"
    if row[F["mode_text"]] > 0 and row[F["ends_sentence"]] == 0 and p >= 0.3:
        return f"dropped: reads like a caption (no sentence ending; score {p:.2f})"
    cues = [text for name, text in HINT_REASONS if row[F[name]] > 0]
    if row[F["link_density"]] >= 0.5:
        cues.insert(0, f"mostly link text ({row[F['link_density']]:.0%})")
    if row[F["bullet_only"]] > 0:
        cues.insert(0, "list bullet or separator")
    if row[F["dup_count"]] > 0:
        cues.append("text repeated on the page")
    if row[F["boiler_words"]] > 0:
        cues.append("boilerplate wording")
    if not cues and row[F["ends_sentence"]] == 0:
        cues.append("short line without a sentence ending" if row[F["log_chars"]] < 4.4
                    else "no sentence ending")
    cue = "; ".join(cues[:2]) if cues else "unlike article prose"
    return f"dropped: {cue} (score {p:.2f})"


#: The markup cues of a line kept on its score, in the order they rank after prose.
KEPT_REASONS = (
    ("tag_h2_6", "subheading"),
    ("sem_article", "inside <article>"),
    ("sem_main", "inside <main>"),
    ("hint_content", "inside the article body (class/id)"),
    ("region40_in", "in the page's densest text region"),
)


def kept_reference(row, p) -> str:
    """The reason of a line kept on its score, written out: prose, then the markup around it."""
    F = _F
    cues = [text for name, text in KEPT_REASONS if row[F[name]] > 0]
    if row[F["sem_article"]] > 0 and "inside <main>" in cues:
        cues.remove("inside <main>")
    if row[F["ends_sentence"]] > 0 and row[F["log_chars"]] >= 4.4:
        cues.insert(0, "reads as article prose")
    return f"kept: score {p:.2f}, " + ("; ".join(cues[:2]) if cues else "on its score alone")


@pytest.mark.parametrize("seed", [0, 1])
def test_kept_reasons_equal_the_reference_on_random_rows(seed):
    """The numpy cue search for kept lines equals kept_reference, row by row."""
    rng = np.random.default_rng(seed)
    n = 2000
    X = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    X[:, _KEPT_COLUMNS] = rng.choice(np.float32([0, 0, 1, 4.4, 4.3999996, 2.0]),
                                     size=(n, len(_KEPT_COLUMNS)))
    proba = rng.choice([0.3, 0.5, 0.995], size=n)
    got = [reasons.describe(_COMBINATIONS[c], p)
           for c, p in zip(_kept_codes(X[:, _KEPT_COLUMNS]).tolist(), proba.tolist())]
    rows = X.astype(np.float64)
    assert got == [kept_reference(row, p) for row, p in zip(rows, proba.tolist())]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dropped_reasons_equal_reason_on_random_rows(seed):
    """The numpy cue search of decide equals reference_reason, row by row, on random rows."""
    rng = np.random.default_rng(seed)
    n = 3000
    X = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    columns = _REASON_COLUMNS
    # Each reason column: mostly 0, else a value near the cut-offs it is compared with.
    values = rng.choice(np.float32([0, 0, 0, 1, 0.5, 0.49999997, 0.75, 4.4, 4.3999996, 2.0]),
                        size=(n, len(columns)))
    X[:, columns] = values
    proba = rng.choice([0.0, 0.1, 0.29999999, 0.3, 0.31, 0.5, 0.995, 0.9951], size=n)
    links = X[:, _F["link_density"]].astype(np.float64).tolist()
    got = [reasons.describe(cues, p, link)
           for cues, p, link in zip(_dropped_cues(X, proba), proba.tolist(), links)]
    rows = X.astype(np.float64)  # the values as Python floats, as decide reads them
    assert got == [reference_reason(row, p, False, False, False)
                   for row, p in zip(rows, proba.tolist())]


def test_every_line_carries_cue_codes_and_its_reason_is_made_from_them():
    """Programs read the codes; the reason text is made from them in reasons.py, one place."""
    for doc, X, proba in scored_fixtures():
        decision = decide(proba, X, doc, threshold=load_model().threshold)
        links = X[:, _F["link_density"]].astype(np.float64).tolist()
        for label, cues, reason, p, link in zip(decision.labels, decision.cues, decision.reasons,
                                                proba.tolist(), links):
            assert cues and all(isinstance(c, Cue) for c in cues)
            assert reason == reasons.describe(cues, p, link)
            assert (label is C) == any(cue in reasons.KEPT for cue in cues)


def test_date_lines_carry_the_date_cue_and_fill_the_date_field():
    from boilerplate import declutter

    page = ("<html><body><p>March 3, 2024</p><p>" + PROSE + "</p><p>" + PROSE + " More.</p>"
            "</body></html>")
    result = declutter(page)
    dated = [line for line in result.lines if Cue.DATE.value in line.cues]
    assert [line.text for line in dated] == ["March 3, 2024"]
    assert result.date == "2024-03-03"  # the date line read as YYYY-MM-DD
    assert dated[0].reason == "dropped: date/time line"
