"""Why a line was kept or dropped: cue codes, and the one place their text is made.

A line's decision carries its cues as codes (``LineResult.cues``: stable
strings, for programs) and a sentence made from them here (``LineResult.reason``,
for people). Code that needs to know why a line went (the date field, site
memory, the labelling page) reads the codes, never the sentence.
"""

from __future__ import annotations

import enum

__all__ = ["KEPT", "Cue", "describe", "describe_all", "not_article", "repeated_on_site"]


class Cue(str, enum.Enum):
    """One reason a line was kept or dropped (the value is the stable code)."""

    SCORE = "score"
    RESCUED = "rescued-region"
    TRAFILATURA = "trafilatura"
    # What marks a line kept on its score (named after "score", at most two).
    PROSE = "prose"
    ARTICLE_TAG = "article-tag"
    MAIN_TAG = "main-tag"
    CONTENT_CLASS = "content-class"
    SUBHEADING = "subheading"
    DENSE_REGION = "dense-region"
    DATE = "date"
    CAPTION_LIKE = "caption-like"
    BULLET = "bullet"
    LINK_TEXT = "link-text"
    NAV_CLASS = "nav-class"
    NAV_TAG = "nav-tag"
    POPULAR_CLASS = "popular-class"
    RELATED_CLASS = "related-class"
    COMMENT_CLASS = "comment-class"
    SHARE_CLASS = "share-class"
    AD_CLASS = "ad-class"
    SUBSCRIBE_CLASS = "subscribe-class"
    FOOTER_TAG = "footer-tag"
    FOOTER_CLASS = "footer-class"
    ASIDE_TAG = "aside-tag"
    SIDEBAR_CLASS = "sidebar-class"
    FIGURE_TAG = "figure-tag"
    CAPTION_CLASS = "caption-class"
    HEADLINE = "headline"
    REPEATED_ON_PAGE = "repeated-on-page"
    WORDING = "boilerplate-wording"
    NO_SENTENCE_END = "no-sentence-end"
    SHORT_NO_SENTENCE_END = "short-no-sentence-end"
    UNLIKE_PROSE = "unlike-prose"
    REPEATED_ON_SITE = "repeated-on-site"
    NOT_ARTICLE = "not-an-article"


_TEXT = {
    Cue.BULLET: "list bullet or separator",
    Cue.NAV_CLASS: "inside navigation (class/id)",
    Cue.NAV_TAG: "inside <nav>",
    Cue.POPULAR_CLASS: "inside a popular/ranking list (class/id)",
    Cue.RELATED_CLASS: "inside a related-content block (class/id)",
    Cue.COMMENT_CLASS: "inside a comment section (class/id)",
    Cue.SHARE_CLASS: "inside a share bar (class/id)",
    Cue.AD_CLASS: "inside an ad (class/id)",
    Cue.SUBSCRIBE_CLASS: "inside a subscription/cookie/newsletter box (class/id)",
    Cue.FOOTER_TAG: "inside <footer>",
    Cue.FOOTER_CLASS: "inside a footer (class/id)",
    Cue.ASIDE_TAG: "inside <aside>",
    Cue.SIDEBAR_CLASS: "inside a sidebar (class/id)",
    Cue.FIGURE_TAG: "image caption",
    Cue.CAPTION_CLASS: "caption or media credit (class/id)",
    Cue.HEADLINE: "headline",
    Cue.REPEATED_ON_PAGE: "text repeated on the page",
    Cue.WORDING: "boilerplate wording",
    Cue.NO_SENTENCE_END: "no sentence ending",
    Cue.SHORT_NO_SENTENCE_END: "short line without a sentence ending",
    Cue.UNLIKE_PROSE: "unlike article prose",
}

#: The words of the cues of a line kept on its score.
_KEPT_TEXT = {
    Cue.PROSE: "reads as article prose",
    Cue.ARTICLE_TAG: "inside <article>",
    Cue.MAIN_TAG: "inside <main>",
    Cue.CONTENT_CLASS: "inside the article body (class/id)",
    Cue.SUBHEADING: "subheading",
    Cue.DENSE_REGION: "in the page's densest text region",
}


#: Cues whose line was kept; every other cue drops its line.
KEPT = frozenset({Cue.SCORE, Cue.RESCUED, Cue.TRAFILATURA})


def describe(cues: tuple[Cue, ...], score: float, link_share: float = 0.0) -> str:
    """The reason of a line from its cues: kept or dropped, and why (at most two cues are named)."""
    return _say(_form(cues), score, link_share)


def describe_all(cues: list[tuple[Cue, ...]], scores: list[float],
                 link_shares: list[float]) -> list[str]:
    """``describe`` for every line of a page (the forms of its cue combinations looked up once)."""
    forms = _FORMS
    return [_say(forms.get(c) or _form(c), score, share)
            for c, score, share in zip(cues, scores, link_shares)]


def _say(form: str | tuple[str, ...], score: float, link_share: float) -> str:
    """A reason from its form: fixed words, or words around the score (and the link share)."""
    if isinstance(form, str):
        return form
    if len(form) == 2:
        return f"{form[0]}{score:.2f}{form[1]}"
    return f"{form[0]}{link_share:.0%}{form[1]}{score:.2f}{form[2]}"


def _form(cues: tuple[Cue, ...]) -> str | tuple[str, ...]:
    """What a reason says around its score (and link share), cached: a str when it names
    neither; (before, after) the score; (before, between, after) the link share and score."""
    form = _FORMS.get(cues)
    if form is not None:
        return form
    if Cue.RESCUED in cues:
        form = ("kept: densest text region of an otherwise empty page (score ", ")")
    elif Cue.TRAFILATURA in cues:
        form = "kept by trafilatura"
    elif Cue.SCORE in cues:
        form = ("kept: score ", _kept_words(cues))
    elif Cue.DATE in cues:
        form = "dropped: date/time line"
    elif Cue.CAPTION_LIKE in cues:
        form = ("dropped: reads like a caption (no sentence ending; score ", ")")
    else:
        # "\0" holds the link share's place: "mostly link text (73%)".
        words = "; ".join("mostly link text (\0)" if cue is Cue.LINK_TEXT else _TEXT[cue]
                          for cue in cues)
        form = tuple(f"dropped: {words} (score ".split("\0")) + (")",)
    _FORMS[cues] = form
    return form


def _kept_words(cues: tuple[Cue, ...]) -> str:
    """What follows the score of a line kept on it: its cues, or that the score alone kept it."""
    named = [_KEPT_TEXT[cue] for cue in cues if cue in _KEPT_TEXT]
    return ", " + "; ".join(named) if named else ", on its score alone"


#: The form of each cue combination met so far (a few dozen occur; a page has
#: hundreds of lines, and making their words was most of decide's time).
_FORMS: dict[tuple[Cue, ...], str | tuple[str, ...]] = {}


def not_article(article_score: float, score: float) -> str:
    """The reason of a line dropped because its page is not an article (``articles_only``)."""
    return f"dropped: the page is not an article (article score {article_score:.2f}; line score {score:.2f})"


def repeated_on_site(pages: int, of: int, where: str, score: float) -> str:
    """The reason of a line site memory dropped."""
    return f"dropped: repeats on {pages} of {of} {where} (score {score:.2f})"
