"""boilerplate.metadata: headline, date, author and site name from the page's own metadata."""

from __future__ import annotations

import json

import pytest
from conftest import html_page

from boilerplate import declutter
from boilerplate.document import PageMeta
from boilerplate.metadata import (
    byline_author,
    date_of,
    headline,
    iso_date,
    read_meta,
    strip_site_name,
)
from boilerplate.walk import parse

PROSE = ("The council approved the new budget on Tuesday after a long debate about "
         "schools, roads and the future of the old harbour district.")
STORY = f"<p>{PROSE}</p><p>{PROSE} It takes effect in May.</p><p>{PROSE} Again.</p>"


def ld(data: object) -> str:
    """A JSON-LD script element."""
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def meta_of(head: str, body: str = "<p>x</p>") -> PageMeta:
    """read_meta of a page made of ``head`` and ``body``."""
    page = html_page(body, head=head)
    root = parse(page)
    assert root is not None
    return read_meta(root, page)


# --------------------------------------------------------------------------- read_meta


def test_json_ld_article_gives_every_field():
    head = ld({"@context": "https://schema.org", "@type": "NewsArticle",
               "headline": "Harbour plan approved", "datePublished": "2024-03-05T10:00:00+01:00",
               "author": [{"@type": "Person", "name": "Ann Lee"}, {"@type": "Person", "name": "Bo Ma"}],
               "publisher": {"@type": "Organization", "name": "The Daily"}})
    assert meta_of(head) == PageMeta(headline="Harbour plan approved", date="2024-03-05",
                                     author="Ann Lee, Bo Ma", site_name="The Daily")


def test_json_ld_graph_and_website_name():
    head = ld({"@graph": [{"@type": "WebSite", "name": "The Daily"},
                          {"@type": ["BlogPosting"], "headline": "A post", "dateCreated": "2023-12-01"}]})
    assert meta_of(head) == PageMeta(headline="A post", date="2023-12-01", site_name="The Daily")


def test_an_article_node_wins_over_a_web_page_node():
    head = ld([{"@type": "WebPage", "name": "The Daily - News", "datePublished": "2020-01-01"},
               {"@type": "NewsArticle", "headline": "The story", "datePublished": "2024-02-02"}])
    meta = meta_of(head)
    assert (meta.headline, meta.date) == ("The story", "2024-02-02")


def test_broken_json_ld_leaves_the_meta_tags():
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", </script>'
            '<meta property="og:title" content="From Open Graph">')
    assert meta_of(head).headline == "From Open Graph"


def test_json_ld_in_the_body_counts_and_entities_are_decoded():
    body = "<p>x</p>" + ld({"@type": "Article", "headline": "Caf&eacute; reopens"})
    assert meta_of("", body).headline == "Café reopens"


def test_open_graph_and_meta_tags():
    head = ('<meta property="og:title" content="  Harbour   plan approved ">'
            '<meta property="og:site_name" content="The Daily">'
            '<meta property="article:published_time" content="2024-03-05T08:00:00Z">'
            '<meta property="article:author" content="https://daily.example/staff/ann">'
            '<meta name="author" content="Ann Lee">')
    assert meta_of(head) == PageMeta(headline="Harbour plan approved", date="2024-03-05",
                                     author="Ann Lee", site_name="The Daily")


def test_an_author_that_is_the_publisher_is_no_author():
    head = ('<meta property="og:site_name" content="ORF.at"><meta name="author" content="ORF.at">')
    assert meta_of(head) == PageMeta(site_name="ORF.at")


def test_a_page_without_metadata():
    assert meta_of("<title>Just a title</title>") == PageMeta()


@pytest.mark.parametrize("value, expected", [
    ("2024-03-05T10:00:00+01:00", "2024-03-05"),
    ("2024/3/5", "2024-03-05"),
    ("20240305", "2024-03-05"),
    ("2024-13-05", None),
    ("Tuesday", None),
    ("", None),
])
def test_iso_date(value, expected):
    assert iso_date(value) == expected


# --------------------------------------------------------------------------- headline


@pytest.mark.parametrize("title, site, expected", [
    ("Harbour plan approved - The Daily", "The Daily", "Harbour plan approved"),
    ("Harbour plan approved | THE DAILY", "The Daily", "Harbour plan approved"),
    ("The Daily | Harbour plan approved", "The Daily", "Harbour plan approved"),
    ("Harbour plan approved - The Daily", None, "Harbour plan approved - The Daily"),
    ("Q&A - what it means", "The Daily", "Q&A - what it means"),
])
def test_strip_site_name(title, site, expected):
    assert strip_site_name(title, site) == expected


def test_the_shown_headline_wins_when_the_metadata_agrees():
    meta = PageMeta(headline="Harbour plan approved | The Daily", site_name="The Daily")
    assert headline(meta, "The Daily", ["Menu", "Harbour plan approved"]) == "Harbour plan approved"


def test_curly_quotes_count_as_the_same_headline():
    meta = PageMeta(headline="Who's in each room")
    assert headline(meta, None, ["Who\u2019s in each room"]) == "Who\u2019s in each room"


def test_a_line_that_is_a_small_part_of_the_stated_headline_is_not_it():
    meta = PageMeta(headline="7 mental health trends to watch in 2025")
    assert headline(meta, None, ["Mental Health"]) == "7 mental health trends to watch in 2025"


def test_without_metadata_the_line_the_title_holds():
    assert headline(PageMeta(), "Zee News - Om Shanti Om", ["Zee News", "Om Shanti Om"]) == "Om Shanti Om"


def test_without_metadata_or_a_matching_line_the_h1_then_the_title():
    assert headline(PageMeta(), "Page title", ["Other"], "Council approves budget") == \
        "Council approves budget"
    assert headline(PageMeta(), "Page title", []) == "Page title"
    assert headline(PageMeta(), None, []) is None


def test_the_title_is_never_the_site_name():
    meta = PageMeta(site_name="The Atlantic")
    assert headline(meta, "The Atlantic", [], "The Atlantic") is None
    assert headline(meta, "The Atlantic", ["The Atlantic"], "A real story") == "A real story"


# --------------------------------------------------------------------------- date and byline


def test_date_of_prefers_the_metadata_then_reads_the_line():
    assert date_of("2024-03-05", "May 1, 2020") == "2024-03-05"
    assert date_of(None, "Veröffentlicht am: 6. August 2009") == "2009-08-06"
    assert date_of(None, "28.01.2020") == "2020-01-28"
    assert date_of(None, "March 14, 2024 3:41 PM GMT Updated 2 hours ago") == "2024-03-14"
    assert date_of(None, "Updated two hours ago") == "Updated two hours ago"
    assert date_of(None, None) is None


@pytest.mark.parametrize("line, expected", [
    ("By Ann Lee", "Ann Lee"),
    ("By Ann Lee | March 5, 2024", "Ann Lee"),
    ("von Rudolf Fischer, Simon Kohler", "Rudolf Fischer, Simon Kohler"),
    ("By Ann Lee on March 5", "Ann Lee"),
    (("By the time the council voted, most of the harbour had already been sold off to a developer "
     "from out of town."), None),
    ("Ann Lee", None),
])
def test_byline_author(line, expected):
    assert byline_author(line) == expected


# --------------------------------------------------------------------------- through declutter


ARTICLE = html_page(
    '<nav><h1>The Daily</h1></nav><article><h1>Harbour plan approved</h1>'
    '<p class="byline">By Ann Lee</p>' + STORY + '<blockquote class="twitter-tweet"><p>Big day.</p>'
    '<p>\u2014 Philae Lander (@Philae2014) November 1, 2014</p></blockquote></article>',
    head='<title>Harbour plan approved | The Daily</title>'
         '<meta property="og:site_name" content="The Daily">',
)


def test_declutter_fills_the_fields_from_the_page():
    result = declutter(ARTICLE)
    assert result.title == "Harbour plan approved"
    assert result.site_name == "The Daily"
    assert result.author == "Ann Lee"
    assert result.date is None  # the tweet's attribution is someone else's date


def test_a_date_line_fills_the_date_when_the_metadata_has_none():
    page = html_page("<h1>Harbour plan approved</h1><p>March 5, 2024</p>" + STORY)
    assert declutter(page).date == "2024-03-05"


def test_the_trafilatura_engine_fills_the_same_fields_and_keeps_the_headline_out_of_the_body():
    page = html_page(
        "<article><h1>Harbour plan approved</h1>" + STORY + "</article>",
        head='<title>Harbour plan approved | The Daily</title>'
             '<meta property="og:site_name" content="The Daily">'
             + ld({"@type": "NewsArticle", "datePublished": "2024-03-05", "author": "Ann Lee"}))
    result = declutter(page, engine="trafilatura")
    assert (result.title, result.date, result.author, result.site_name) == (
        "Harbour plan approved", "2024-03-05", "Ann Lee", "The Daily")
    assert result.text.startswith("The council approved")
    assert "Harbour plan approved" not in result.text
