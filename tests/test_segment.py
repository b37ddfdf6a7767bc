"""boilerplate.segment: decoding, kind detection, HTML and text segmentation."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import FIXTURES, fixture_bytes, fixture_index, fixture_labels, html_page, texts

from boilerplate.errors import EncodingError, InputError
from boilerplate.decode import decode
from boilerplate.hints import HINTS
from boilerplate.segment import from_html, from_text, segment
from boilerplate.sniff import detect_kind
from boilerplate.walk import PATH_LEVELS, SEM


def only(doc, text):
    """The single line of ``doc`` whose text is ``text``."""
    found = [ln for ln in doc.lines if ln.text == text]
    assert len(found) == 1, (text, texts(doc))
    return found[0]


# --------------------------------------------------------------------------- from_html


class TestFromHtmlBlocks:
    def test_visible_blocks_become_lines_in_document_order(self):
        doc = from_html(html_page(
            "<h1>Headline</h1><p>First paragraph.</p><div><p>Nested paragraph.</p></div>"
            "<ul><li>Item one</li><li>Item two</li></ul><p>Last paragraph.</p>"
        ))
        assert doc.kind == "html"
        assert texts(doc) == [
            "Headline", "First paragraph.", "Nested paragraph.", "Item one", "Item two",
            "Last paragraph.",
        ]
        assert [ln.index for ln in doc.lines] == list(range(6))

    def test_title_and_url_are_kept(self):
        doc = from_html(html_page("<p>Body.</p>", head="<title>  Page   title </title>"),
                        url="https://example.com/a")
        assert doc.title == "Page title"
        assert doc.url == "https://example.com/a"
        assert texts(doc) == ["Body."]  # <title> is not a line

    @pytest.mark.parametrize("tag", ["script", "style", "template", "noscript", "svg"])
    def test_invisible_elements_are_dropped(self, tag):
        doc = from_html(html_page(f"<p>Before.</p><{tag}>secret {tag} text</{tag}><p>After.</p>"))
        assert texts(doc) == ["Before.", "After."]

    @pytest.mark.parametrize("attrs", [
        "hidden",
        'hidden="hidden"',
        'style="display:none"',
        'style="color: red; DISPLAY : none"',
        'style="visibility: hidden"',
        'aria-hidden="true"',
    ])
    def test_hidden_elements_are_dropped_with_their_subtree(self, attrs):
        doc = from_html(html_page(
            f"<p>Before.</p><div {attrs}><p>Hidden paragraph.</p>hidden text</div><p>After.</p>"
        ))
        assert texts(doc) == ["Before.", "After."]

    def test_aria_hidden_false_and_visible_style_are_kept(self):
        doc = from_html(html_page(
            '<div aria-hidden="false">Shown one.</div><div style="display:block">Shown two.</div>'
        ))
        assert texts(doc) == ["Shown one.", "Shown two."]

    def test_text_after_a_dropped_element_in_the_same_block_is_kept(self):
        doc = from_html(html_page("<p>Start <script>var x = 1;</script>end.</p>"))
        assert texts(doc) == ["Start end."]

    def test_nav_aside_footer_text_is_kept_as_lines(self):
        doc = from_html(html_page(
            "<nav><ul><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li></ul></nav>"
            "<p>Body text.</p><aside>Sidebar text</aside><footer>Footer text</footer>"
        ))
        assert texts(doc) == ["Home", "World", "Body text.", "Sidebar text", "Footer text"]

    def test_inline_tags_stay_within_the_line(self):
        doc = from_html(html_page(
            "<p>A <a href='#'>link</a>, some <em>emphasis</em>, a <span>span</span> and "
            "<strong>bold</strong> text.</p>"
        ))
        assert texts(doc) == ["A link, some emphasis, a span and bold text."]

    def test_br_splits_lines(self):
        doc = from_html(html_page("<p>First part<br>second part<br/>third part</p>"))
        assert texts(doc) == ["First part", "second part", "third part"]
        assert {ln.tag for ln in doc.lines} == {"p"}

    def test_div_with_direct_text_mixed_with_child_blocks(self):
        doc = from_html(html_page(
            "<div class='story'>Lead text<p>Child paragraph.</p>Tail text <b>bold</b></div>"
        ))
        assert texts(doc) == ["Lead text", "Child paragraph.", "Tail text bold"]
        lead, child, tail = doc.lines
        assert (lead.tag, child.tag, tail.tag) == ("div", "p", "div")
        assert lead.path == tail.path == "html>body>div.story"
        assert child.path == "html>body>div.story>p"

    def test_whitespace_and_nbsp_are_collapsed(self):
        doc = from_html(html_page("<p>  Many\n\t spaces&nbsp;&nbsp;here\u200b. </p><p> \n </p>"))
        assert texts(doc) == ["Many spaces here ."]

    def test_empty_and_whitespace_inputs_give_no_lines(self):
        assert from_html("").lines == ()
        assert from_html("   \n ").lines == ()
        assert from_html(html_page("")).lines == ()

    def test_nested_document_end_tags_do_not_lose_the_text_after_them(self):
        # An inlined ad carrying its own </body></html> in the middle of the page.
        page = html_page(
            "<p>Before the ad.</p>"
            "<div class='ad'><html><body><p>Ad text</p></body></html></div>"
            "<p>After the ad, the article goes on.</p>"
        ) + "<p>Even after the outer end tags.</p>"
        doc = from_html(page)
        assert texts(doc) == [
            "Before the ad.", "Ad text", "After the ad, the article goes on.",
            "Even after the outer end tags.",
        ]

    def test_xml_declaration_and_comments_are_ignored(self):
        doc = from_html('<?xml version="1.0" encoding="utf-8"?>' + html_page(
            "<p>Visible.</p><!-- a comment --><p>Also visible.</p>"
        ))
        assert texts(doc) == ["Visible.", "Also visible."]

    def test_bytes_input_is_decoded(self):
        page = html_page("<p>Café — déjà vu.</p>", head='<meta charset="utf-8">')
        assert texts(from_html(page.encode("utf-8"))) == ["Café — déjà vu."]


class TestFromHtmlMarkup:
    def test_link_chars_counted(self):
        doc = from_html(html_page(
            "<p>Read <a href='/x'>this story</a> now.</p>"
            "<p><a href='/a'>All link</a></p>"
            "<p>No links at all.</p>"
        ))
        mixed, all_link, plain = doc.lines
        assert mixed.link_chars == len("this story")
        assert all_link.link_chars == len("All link")
        assert plain.link_chars == 0

    def test_link_chars_never_exceed_text_length(self):
        doc = from_html(html_page("<p><a href='/a'>  spaced   out   link  </a></p>"))
        (ln,) = doc.lines
        assert ln.text == "spaced out link"
        assert ln.link_chars <= len(ln.text)

    def test_tag_path_and_depth(self):
        doc = from_html(html_page(
            "<div id='wrap' class='outer main'><article><p>Para.</p></article></div>"
        ))
        (ln,) = doc.lines
        assert ln.tag == "p"
        # The path labels carry the first class token.
        assert ln.path == "html>body>div.outer>article>p"
        assert ln.depth == 4  # html=0, body=1, div=2, article=3, p=4

    def test_tag_paths_keep_the_innermost_levels_only(self):
        doc = from_html(html_page("<div>" * 30 + "<p>Deep.</p>" + "</div>" * 30))
        (ln,) = doc.lines
        labels = ln.path.split(">")
        assert labels == ["div"] * (PATH_LEVELS - 1) + ["p"]
        assert ln.depth == 32  # depth still counts every level

    def test_ancestors_are_distinct_block_ids_nearest_first(self):
        doc = from_html(html_page("<div><section><p>One.</p><p>Two.</p></section></div>"))
        one, two = doc.lines
        assert one.ancestors == two.ancestors  # same containers
        assert len(one.ancestors) == 4
        assert len(set(one.ancestors)) == 4
        assert list(one.ancestors) == sorted(one.ancestors, reverse=True)

    @pytest.mark.parametrize("html, text, bits", [
        ("<nav><p>Menu entry</p></nav>", "Menu entry", {"nav"}),
        ("<menu><li>Menu item</li></menu>", "Menu item", {"nav", "li"}),
        ("<aside><p>Aside entry</p></aside>", "Aside entry", {"aside"}),
        ("<footer><p>Footer entry</p></footer>", "Footer entry", {"footer"}),
        ("<header><p>Header entry</p></header>", "Header entry", {"header"}),
        ("<form><label>Your name</label></form>", "Your name", {"form", "button"}),
        ("<figure><figcaption>A caption</figcaption></figure>", "A caption", {"figure"}),
        ("<article><p>Article para</p></article>", "Article para", {"article"}),
        ("<main><p>Main para</p></main>", "Main para", {"main"}),
        ("<blockquote>A quote</blockquote>", "A quote", {"blockquote"}),
        ("<ul><li>List item</li></ul>", "List item", {"li"}),
        ("<table><tr><td>Cell</td></tr></table>", "Cell", {"table"}),
        ("<h1>Big title</h1>", "Big title", {"heading", "h1"}),
        ("<h3>Small title</h3>", "Small title", {"heading"}),
        ("<pre>code line</pre>", "code line", {"pre"}),
        ("<dl><dt>Term</dt></dl>", "Term", {"dl"}),
        ("<p><a href='/x'>Only a link</a></p>", "Only a link", {"a_only"}),
        ("<p>Plain paragraph</p>", "Plain paragraph", set()),
    ])
    def test_sem_bits(self, html, text, bits):
        ln = only(from_html(html_page(html)), text)
        expected = 0
        for name in bits:
            expected |= SEM[name]
        assert ln.sem == expected

    def test_sem_bits_accumulate_over_ancestors(self):
        doc = from_html(html_page(
            "<article><aside><ul><li><a href='/r'>Related story</a></li></ul></aside></article>"
        ))
        ln = only(doc, "Related story")
        assert ln.sem == SEM["article"] | SEM["aside"] | SEM["li"] | SEM["a_only"]

    def test_mostly_linked_line_gets_a_only_but_mostly_plain_does_not(self):
        doc = from_html(html_page(
            "<p><a href='/1'>A long linked headline here</a>.</p>"
            "<p>Plain words around <a href='/2'>a link</a> in prose.</p>"
        ))
        linked, prose = doc.lines
        assert linked.sem & SEM["a_only"]
        assert not prose.sem & SEM["a_only"]

    @pytest.mark.parametrize("attrs, bits", [
        ('class="breadcrumb"', {"nav"}),
        ('id="sidebar"', {"side"}),
        ('class="related"', {"related"}),
        ('class="related-posts"', {"related", "content"}),  # one token can set two bits
        ('class="most-read"', {"popular"}),
        ('class="masthead"', {"header", "nav"}),
        ('class="share-bar"', {"share"}),
        ('class="site-footer"', {"footer"}),
        ('class="comment-list"', {"comment", "list"}),
        ('class="ad"', {"ad"}),
        ('class="newsletter"', {"subscribe"}),
        ('class="byline"', {"meta"}),
        ('class="caption"', {"caption"}),
        ('class="headline"', {"title"}),
        ('class="ad-slot"', {"ad"}),
        ('class="story-body"', {"content"}),
        ('class="tags"', {"tag"}),
        ('class="card"', {"list"}),
        ('class="Widget"', {"side"}),  # case-insensitive
        ('class="x7Fq2 jsx-1234"', set()),  # hashed class names carry no hint
    ])
    def test_hint_bits_from_class_and_id_tokens(self, attrs, bits):
        ln = only(from_html(html_page(f"<div {attrs}>Hinted text</div>")), "Hinted text")
        expected = 0
        for name in bits:
            expected |= HINTS[name]
        assert ln.own_hints == expected
        assert ln.hints == expected

    def test_hint_tokens_from_class_and_id_combine(self):
        ln = only(from_html(html_page('<div class="share" id="comments">Both</div>')), "Both")
        assert ln.own_hints == HINTS["share"] | HINTS["comment"]

    def test_hints_are_inherited_but_own_hints_are_not(self):
        doc = from_html(html_page('<div class="sidebar"><p class="byline">By Jane Doe</p></div>'))
        ln = only(doc, "By Jane Doe")
        assert ln.own_hints == HINTS["meta"]
        assert ln.hints == HINTS["meta"] | HINTS["side"]

    def test_hidden_class_drops_the_element(self):
        doc = from_html(html_page(
            '<p>Shown.</p><span class="sr-only">Screen reader only</span>'
            '<div class="visually-hidden">Also hidden</div>'
        ))
        assert texts(doc) == ["Shown."]


# --------------------------------------------------------------------------- from_text


class TestFromText:
    def test_one_line_per_non_empty_line(self):
        doc = from_text("First line.\n\nSecond line.\n   \nThird line.\n")
        assert doc.kind == "text"
        assert texts(doc) == ["First line.", "Second line.", "Third line."]
        assert [ln.index for ln in doc.lines] == [0, 1, 2]

    def test_whitespace_is_collapsed_and_controls_removed(self):
        doc = from_text("  Many \t  spaces\u00a0here  \n\x07bell\x00 char")
        assert texts(doc) == ["Many spaces here", "bell char"]

    def test_crlf_and_cr_line_endings(self):
        assert texts(from_text("one\r\ntwo\r\n\r\nthree\rfour")) == ["one", "two", "three", "four"]

    def test_markup_fields_keep_their_defaults(self):
        (ln,) = from_text("<p>Not parsed</p>").lines
        assert ln.text == "<p>Not parsed</p>"
        assert (ln.tag, ln.path, ln.depth, ln.hints, ln.own_hints, ln.sem, ln.link_chars,
                ln.ancestors) == ("", "", 0, 0, 0, 0, 0, ())

    def test_bytes_input_and_url(self):
        doc = from_text("Grüße aus Köln.\n".encode(), url="u")
        assert texts(doc) == ["Grüße aus Köln."]
        assert doc.url == "u"

    def test_empty_text(self):
        assert from_text("").lines == ()
        assert from_text("\n\n  \r\n").lines == ()


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize("func", [from_html, from_text, segment])
@pytest.mark.parametrize("value", [123, None, 1.5, ["<p>x</p>"]])
def test_type_error_for_non_str_bytes(func, value):
    with pytest.raises(TypeError, match="str or bytes"):
        func(value)


def test_bytearray_is_accepted():
    assert texts(from_html(bytearray(html_page("<p>x</p>").encode()))) == ["x"]


# --------------------------------------------------------------------------- detect_kind / segment


class TestDetectKind:
    @pytest.mark.parametrize("text", [
        "<!DOCTYPE html><html><body><p>x</p></body></html>",
        "\n  <html><body>x</body></html>",
        "<?xml version='1.0'?><html><p>x</p></html>",
        "<div><p>One</p><p>Two</p></div>",  # a fragment with several tags
    ])
    def test_html(self, text):
        assert detect_kind(text) == "html"

    @pytest.mark.parametrize("text", [
        "Plain text.\nSecond line.",
        "",
        "Use the <p> tag for paragraphs, like every page does.",  # mentions one tag
        "Compare a < b and b > c.",
    ])
    def test_text(self, text):
        assert detect_kind(text) == "text"

    def test_segment_dispatches(self):
        assert segment("<html><body><p>x</p></body></html>").kind == "html"
        assert segment("Just text\nMore text").kind == "text"
        assert segment("<p>forced</p>", kind="text").lines[0].text == "<p>forced</p>"
        assert segment("plain", kind="html").kind == "html"

    def test_segment_unknown_kind(self):
        with pytest.raises(InputError, match="unknown kind"):
            segment("x", kind="pdf")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- decode

JA = "日本語の記事です。東京都内で会見した首相は、新しい経済対策を発表しました。"
RU = "Москва — столица России. Правительство объявило о новых мерах поддержки."
ZH = "北京是中国的首都。今天政府发布了新的经济政策，市场反应积极。"


def _page(charset: str, body: str) -> str:
    return html_page(f"<p>{body}</p>", head=f'<meta charset="{charset}">')


class TestDecode:
    @pytest.mark.parametrize("bom_codec, text", [
        ("utf-8-sig", "<p>héllo 日本</p>"),
        ("utf-16", "<p>héllo 日本</p>"),  # native order with BOM
    ])
    def test_bom(self, bom_codec, text):
        assert decode(text.encode(bom_codec)) == text

    @pytest.mark.parametrize("bom, codec", [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF8, "utf-8"),
    ])
    def test_explicit_boms(self, bom, codec):
        text = "<p>héllo 日本</p>"
        assert decode(bom + text.encode(codec)) == text

    def test_bom_wins_over_declared_charset(self):
        page = _page("windows-1251", "héllo")
        assert decode(codecs.BOM_UTF8 + page.encode("utf-8")) == page

    @pytest.mark.parametrize("charset, codec, body", [
        ("Shift_JIS", "shift_jis", JA),
        ("windows-1251", "cp1251", RU),
        ("EUC-JP", "euc_jp", JA),
        ("GB18030", "gb18030", ZH),
        ("gb2312", "gb18030", ZH),
    ])
    def test_declared_charset_without_bom(self, charset, codec, body):
        page = _page(charset, body)
        data = page.encode(codec)
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # the test is only meaningful if UTF-8 fails
        assert decode(data) == page

    def test_http_equiv_content_type_charset(self):
        page = html_page(f"<p>{JA}</p>",
                         head='<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">')
        assert decode(page.encode("shift_jis")) == page

    def test_undeclared_shift_jis_is_detected(self):
        page = html_page(f"<p>{JA}</p><p>{JA}</p><p>政府は地域の交通を守るための支援策を決めた。</p>")
        data = page.encode("shift_jis")
        assert decode(data) == page

    def test_utf8_wins_over_a_wrong_declared_latin1(self):
        page = _page("iso-8859-1", "Café déjà vu — naïve “quotes”")
        assert decode(page.encode("utf-8")) == page

    def test_declared_latin1_is_decoded_as_windows_1252(self):
        page = _page("iso-8859-1", "Caf\u00e9 \u2014 \u201cquoted\u201d")
        assert decode(page.encode("cp1252")) == page

    @pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
    def test_bom_less_utf16_markup(self, codec):
        page = _page("utf-16", "Grüße aus Köln, und 日本語も。")
        assert decode(page.encode(codec)) == page

    def test_binary_data_raises_encoding_error(self):
        rng = random.Random(1)
        data = bytes(rng.randrange(256) for _ in range(4000))
        with pytest.raises(EncodingError):
            decode(data)


# --------------------------------------------------------------------------- fixtures


def test_japanese_shift_jis_fixture_decodes_and_segments_into_japanese_lines():
    raw = fixture_bytes("japanese_sjis")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    doc = from_html(raw)
    assert doc.title == "ローカル線存続へ沿線３市町が支援策 利用促進に年間２億円 - 北陸中央新聞"
    lines = texts(doc)
    assert "ローカル線存続へ沿線３市町が支援策 利用促進に年間２億円" in lines
    assert "協議会は９月に次回の会合を開き、具体的な負担割合について詰める予定だ。" in lines
    assert "関連記事" in lines
    assert not any("\ufffd" in t for t in lines)  # no replacement characters
    body = next(ln for ln in doc.lines if ln.text.startswith("利用者の減少"))
    assert body.tag == "p"


@pytest.mark.parametrize("entry", fixture_index(), ids=lambda e: e["name"])
def test_fixture_segmentation_matches_the_golden_label_files(entry):
    """The labelled lines of each fixture are exactly what the segmenter produces."""
    raw = (FIXTURES / entry["page"]).read_bytes()
    text = decode(raw)
    assert detect_kind(text) == entry["kind"]
    doc = segment(text, kind=entry["kind"])
    assert texts(doc) == [rec["text"] for rec in fixture_labels(entry["name"])]


# --------------------------------------------------------------------------- properties

_PIECES = ["<p>", "</p>", "<div class='nav'>", "</div>", "<br>", "<a href='/x'>", "</a>",
           "<script>", "</script>", "<li>", "</body>", "</html>", "<html>", "<em>", "</em>",
           "word", " ", "\n", "\u00a0", "日本語", "&amp;", "&nbsp;", "\x00", "<!-- c -->"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_html_lines_are_clean_and_consistent(html):
    doc = from_html(html)
    assert [ln.index for ln in doc.lines] == list(range(len(doc.lines)))
    for ln in doc.lines:
        assert ln.text and ln.text == " ".join(ln.text.split())
        assert "\x00" not in ln.text
        assert 0 <= ln.link_chars <= len(ln.text)
        assert ln.depth >= 0
    assert from_html(html) == doc  # deterministic


@settings(max_examples=80, deadline=None)
@given(st.text())
def test_text_lines_are_clean_and_consistent(text):
    doc = from_text(text)
    assert [ln.index for ln in doc.lines] == list(range(len(doc.lines)))
    for ln in doc.lines:
        assert ln.text and ln.text == ln.text.strip()
        assert "\n" not in ln.text and "\r" not in ln.text
    assert len(doc.lines) <= len(text.splitlines())
