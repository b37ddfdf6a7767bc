"""boilerplate.document: the result types."""

from __future__ import annotations

from boilerplate.document import REPR_TITLE_CHARS, Extraction, Label, LineResult


def extraction(title: str | None, n_lines: int, kept: int) -> Extraction:
    """An Extraction of ``n_lines`` long lines, the first ``kept`` of them content."""
    lines = tuple(LineResult(text="word " * 2000, score=0.5,
                             label=Label.CONTENT if i < kept else Label.BOILERPLATE)
                  for i in range(n_lines))
    text = "\n".join(line.text for line in lines if line.is_content)
    return Extraction(text=text, lines=lines, engine="model", title=title, date="2024-03-05")


def test_repr_is_a_short_summary_not_the_page():
    result = extraction("Harbour plan approved", 40, 12)
    assert repr(result) == (
        "Extraction(title='Harbour plan approved', text=120011 chars, lines=40 (12 kept), "
        "engine='model', date='2024-03-05', warnings=0)")
    assert len(repr(result)) < 200


def test_repr_cuts_a_long_title():
    shown = repr(extraction("x" * 500, 1, 1))
    assert "x" * (REPR_TITLE_CHARS - 1) + "\u2026'" in shown
    assert "x" * REPR_TITLE_CHARS not in shown
    assert "title=None" in repr(extraction(None, 0, 0))


def test_equality_and_fields_are_untouched_by_the_repr():
    a, b = extraction("Same", 3, 1), extraction("Same", 3, 1)
    assert a == b and a.text == b.text and len(a.lines) == 3
