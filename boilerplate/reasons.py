"""Why a line was kept or dropped: cue codes, and the one place their text is made.

A line's decision carries its cues as codes (``LineResult.cues``: stable
strings, for programs) and a sentence made from them here (``LineResult.reason``,
for people). Code that needs to know why a line went (the date field, site
memory, the labelling page) reads the codes, never the sentence.
"""

from __future__ import annotations

import enum

__all__ = ["Cue", "cue_text", "dropped", "kept", "not_article", "repeated_on_site"]


class Cue(str, enum.Enum):
    """One reason a line was kept or dropped (the value is the stable code)."""

    SCORE = "score"
    RESCUED = "rescued-region"
    TRAFILATURA = "trafilatura"
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


def cue_text(cue: Cue, link_share: float = 0.0) -> str:
    """The words for one cue inside a reason (the link-text cue names its share)."""
    if cue is Cue.LINK_TEXT:
        return f"mostly link text ({link_share:.0%})"
    return _TEXT[cue]


def kept(cues: tuple[Cue, ...], score: float) -> str:
    """The reason of a kept line."""
    if Cue.RESCUED in cues:
        return f"kept: densest text region of an otherwise empty page (score {score:.2f})"
    if Cue.TRAFILATURA in cues:
        return "kept by trafilatura"
    return f"kept: score {score:.2f}"


def dropped(cues: tuple[Cue, ...], score: float, link_share: float = 0.0) -> str:
    """The reason of a dropped line, from its cues (at most two are named)."""
    if Cue.DATE in cues:
        return "dropped: date/time line"
    if Cue.CAPTION_LIKE in cues:
        return f"dropped: reads like a caption (no sentence ending; score {score:.2f})"
    words = "; ".join(cue_text(cue, link_share) for cue in cues)
    return f"dropped: {words} (score {score:.2f})"


def not_article(article_score: float, score: float) -> str:
    """The reason of a line dropped because its page is not an article (``articles_only``)."""
    return f"dropped: the page is not an article (article score {article_score:.2f}; line score {score:.2f})"


def repeated_on_site(pages: int, of: int, where: str, score: float) -> str:
    """The reason of a line site memory dropped."""
    return f"dropped: repeats on {pages} of {of} {where} (score {score:.2f})"
