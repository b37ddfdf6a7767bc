"""The C walker (boilerplate._cwalk) emits exactly the Lines of segment._walk.

_walk is the reference: every test compares whole lists of Lines with ==
(text, index, tag, path, depth, hints, own_hints, sem, link_chars, ancestors)
on the fixture pages, on hand-written edge cases and on random HTML from a
small grammar. Where the C walker must not bail out (ordinary pages and the
grammar here), the tests also assert that it did not return None.

Skipped when the extension is not built (see the header of boilerplate/_cwalk.c;
e.g. ``gcc -O2 -shared -fPIC $(python3-config --includes) boilerplate/_cwalk.c
-o boilerplate/_cwalk$(python3-config --extension-suffix)``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import PAGES, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from types import SimpleNamespace  # the old segment module's names, split across rooms

from boilerplate import decode as _decode, hints as _hints_mod, sniff as _sniff, walk as _walk_mod

segment = SimpleNamespace(**{**vars(_decode), **vars(_sniff), **vars(_hints_mod), **vars(_walk_mod)},
                          _hints=_hints_mod.hints, _clean=_walk_mod.clean, _parse=_walk_mod.parse,
                          _HIDDEN_CLASS=_hints_mod.HIDDEN, _walk_fast=_walk_mod.walk)
from boilerplate.document import Line

try:
    from boilerplate import _cwalk
except ImportError:  # pragma: no cover - depends on the build
    pytest.skip("boilerplate._cwalk is not built (optional C extension)", allow_module_level=True)


def c_walk(root, line_cls=Line, hints_fn=None, hint_cache=None):
    """_cwalk.walk with segment's tables and constants (as _walk_fast passes them)."""
    return _cwalk.walk(
        root, line_cls, hints_fn or segment._hints,
        segment._HINT_CACHE if hint_cache is None else hint_cache,
        segment._HIDDEN_STYLE.search, segment._clean, segment._INVISIBLE, segment._BLOCK,
        segment._TAG_SEM, segment._HIDDEN_CLASS, segment._SEM_A_ONLY, segment.PATH_LEVELS,
        segment.ANCESTOR_LEVELS)


def line_by_call(*args):
    """Not a type: makes the C walker build Lines by calling this (the slow way)."""
    return Line(*args)


def assert_same(html: str) -> list[Line]:
    """C walker == _walk on a page, both ways of building Lines; no bail-out."""
    root = segment._parse(html)
    if root is None:
        return []
    expected = segment._walk(root)
    got = c_walk(root)
    assert got is not None, _cwalk.bail_reason()
    assert got == expected
    assert c_walk(root, line_cls=line_by_call) == expected
    assert all(type(line) is Line for line in got)
    return got


def fixture_pages() -> list[str]:
    return [segment.to_text(p.read_bytes()) for p in sorted(PAGES.glob("*.html"))]


# --------------------------------------------------------------------------- fixtures


def test_fixture_pages_take_the_c_path_and_match():
    pages = fixture_pages()
    assert len(pages) >= 15
    for html in pages:
        assert assert_same(html), "fixture page without lines"


def test_from_html_uses_the_c_walker(monkeypatch):
    pages = fixture_pages()
    from boilerplate.segment import from_html
    monkeypatch.setattr(_walk_mod, "_cwalk", None)
    expected = [from_html(html) for html in pages]

    def no_python_walk(root):
        raise AssertionError("segment._walk ran: the C walker bailed out")

    monkeypatch.setattr(_walk_mod, "_cwalk", _cwalk)
    monkeypatch.setattr(_walk_mod, "_walk", no_python_walk)
    assert [from_html(html) for html in pages] == expected


@pytest.mark.parametrize("path_levels", [0, 1, 3, 8, 50])
@pytest.mark.parametrize("ancestor_levels", [0, 1, 4, 30])
def test_constants_come_from_segment(monkeypatch, path_levels, ancestor_levels):
    monkeypatch.setattr(segment, "PATH_LEVELS", path_levels)
    monkeypatch.setattr(segment, "ANCESTOR_LEVELS", ancestor_levels)
    monkeypatch.setattr(_walk_mod, "PATH_LEVELS", path_levels)
    monkeypatch.setattr(_walk_mod, "ANCESTOR_LEVELS", ancestor_levels)
    for html in fixture_pages()[:4] + [TRICKY["classes with >"], TRICKY["deep nesting"]]:
        assert_same(html)


# --------------------------------------------------------------------------- edge cases


def nested(depth: int, leaf: str) -> str:
    opened = "".join(f'<div class="d{i} x>{i}">t{i}' for i in range(depth))
    return "<html><body>" + opened + leaf + "</div>" * depth + "after</body></html>"


TRICKY = {
    "empty page": "",
    "whitespace page": "   \n\t ",
    "text only": "just some text",
    "text directly in html": "<html>direct text<body><p>para</p></body>tail text</html>",
    "text after html": "<html><body><p>in</p></body></html>  trailing words  ",
    "nested links": "<p>plain <a href=1>outer <b>bold</b> <a href=2>inner</a> back</a> tail "
                    "<a> x </a></p><p><a href=3>all <em>linked</em> text</a></p>",
    "link around blocks": "<a href=x><div>block in link</div> tail in link</a> after link",
    "hidden elements": '<p>a<span hidden>h1</span>b<span aria-hidden="true">h2</span>c'
                       '<span aria-hidden="TRUE">kept</span><span aria-hidden="false">k2</span>'
                       '<span aria-hidden="">k3</span><div hidden="">h3</div>d</p>',
    "hidden link": '<p><a hidden href=x>hidden link</a> visible <a style="display:none">n</a>'
                   ' end</p>',
    "style": '<p style="DISPLAY : None">s1</p><p style="visibility:hidden">s2</p>'
             '<p style="display:block">s3</p><p style="">s4</p><p style="color:red">s5</p>'
             '<p style="visibility: visible; display:\tnone">s6</p>',
    "invisible tags": "<p>a<script>x</script>b<style>y</style>c<noscript>z</noscript>d"
                      "<template>t</template>e<select><option>o</option></select>f"
                      "<svg><text>s</text></svg>g<textarea>ta</textarea>h</p>",
    "hidden class": '<div class="sr-only">gone</div><div class="hidden">gone</div>'
                    '<div class="d-none x">kept</div><div class="x d-none">?</div>'
                    '<p id="hidden">id only</p>',
    "hints": '<div class="nav-menu" id="sidebar"><p class="article-body">t1</p>'
             '<p id="comments">t2</p><p class="Share SOCIAL">t3</p></div>'
             '<div class="">empty class</div><div class="   ">blank class</div>'
             '<div id="">empty id</div>',
    "classes with >": '<div class="a>b c>d"><p class=">x">one</p><span class="y>">two'
                      '<b class=">">three</b></span><p class="&gt;&gt;z">four</p></div>',
    "non-ascii classes": '<div class="über-größe nav"><p class="статья">т</p>'
                         '<p class="記事\u3000本文">x</p><p class="\u00a0lead\u2003more">y</p>'
                         '<p class="emoji😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀">z</p>'
                         '<p class="\u200bzw">w</p></div>',
    "long class token": '<div class="abcdefghijklmnopqrstuvwxyz0123456789 second">'
                        '<p class="abcdefghijklmnopqrstuvwx">exact 24</p></div>',
    "deep nesting": nested(40, "<p>leaf</p>"),
    "deep nesting with > in classes": nested(12, "<span class='>>>>>>>>>>'>s</span>"),
    "br and hr": "<p>one<br>two<br/><br>three<hr>four</p>five<br>six<hr/>",
    "cjk": "<p>日本語のテキスト。<a href=x>リンク</a>です。</p><p>中文文本，测试。</p>"
           "<p>한국어 텍스트</p>",
    "nbsp and unicode spaces": "<p>a&nbsp;&nbsp;b\u3000c\u2028d\u0085e\u2003f</p>"
                               "<p>&nbsp;</p><p>\u3000\u2003</p><p><a>&nbsp;lnk&nbsp;</a></p>",
    "zero-width and control": "<p>a\u200bb\u200cc\u200dd\u2060e\ufefff</p>"
                              "<p>\u200b</p><p>\x01\x02</p><p>x\x0by\x0cz\x1cw\x1dv\x7fu</p>"
                              "<p><a>\x0b link \x1c</a> \u200b tail</p><p>&#8203;&#x7f;</p>",
    "astral": "<p>😀 emoji 𝔘𝔫𝔦 <a>𝒳𝒴</a></p>",
    "uppercase markup": '<DIV CLASS="Nav Menu" ID="Top"><P>Upper</P><A HREF=x>L</A></DIV>',
    "odd tag names": '<é class="x">t</é><ÄBC>u<p>p</p></ÄBC><svg:x><p>v</p></svg:x>'
                     '<a:b>w</a:b><b\xa0 class="q"><p>nb</p></b\xa0><İ>dotted</İ>'
                     '<x-custom-element><p>c</p></x-custom-element>',
    "entities in attributes": '<div class="a&amp;b" id="x&lt;y"><p class="&#x3E;q">e</p>'
                              '</div><p aria-hidden="&#116;rue">entity true</p>',
    "duplicate attributes": '<div class="nav" class="article"><p hidden hidden>x</p>y</div>',
    "a_only boundaries": "".join(
        f"<p>{'x' * (n - k)} <a>{'y' * k}</a></p>" for n in (10, 20, 30, 70, 100)
        for k in (n * 9 // 10 - 1, n * 9 // 10, n * 9 // 10 + 1)),
    "semantic tags": "<nav><ul><li>n</li></ul></nav><main><article><h1>T</h1><h2>S</h2>"
                     "<figure><figcaption>c</figcaption></figure><blockquote>q</blockquote>"
                     "<table><tr><td>td</td><th>th</th></tr></table><dl><dt>t</dt><dd>d</dd></dl>"
                     "<pre>  pre   text </pre><form><button>b</button><label>l</label></form>"
                     "</article></main><aside>a</aside><footer>f</footer><menu>m</menu>",
    "inline only": "<span>a</span><b>b</b><i>c</i>",
    "unclosed tags": "<div><p>one<p>two<li>three<div>four<span>five",
    "comments and pis removed": "<p>a<!-- c -->b<?pi x?>c</p><!-- end -->",
    "cdata and doctype": "<!DOCTYPE html><p>a<![CDATA[ cdata ]]>b</p>",
    "title and head": "<html><head><title>T</title><meta charset=utf-8></head>"
                      "<body>b</body></html>",
    "frames": "<frameset><frame src=x><noframes><p>nf</p></noframes></frameset>",
    "whitespace between blocks": "<div>\n  <p>\n a \n</p>\n  <p>b</p>\n</div>\n",
    "very long text": "<p>" + "word " * 20000 + "</p>",
}


@pytest.mark.parametrize("name", list(TRICKY))
def test_tricky_html(name):
    assert_same(TRICKY[name])


def test_tricky_html_gives_lines_of_every_kind():
    """The edge cases above really exercise what they claim."""
    assert [ln.text for ln in assert_same(TRICKY["text directly in html"])] == [
        "direct text", "para", "tail text"]
    deep = assert_same(TRICKY["deep nesting"])
    assert max(ln.path.count(">") for ln in deep) == segment.PATH_LEVELS - 1
    assert max(ln.depth for ln in deep) > 40
    assert any(ln.sem & segment._SEM_A_ONLY for ln in assert_same(TRICKY["a_only boundaries"]))
    paths = [ln.path for ln in assert_same(TRICKY["classes with >"])]
    assert paths[0] == "html>body>div.a>b>p.>x" and paths[-1] == "html>body>div.a>b>p.>>z"
    assert [ln.text for ln in assert_same(TRICKY["zero-width and control"])][0] == "a b c d e f"


def assert_same_tree(root) -> list[Line]:
    expected = segment._walk(root)
    got = c_walk(root)
    assert got is not None, _cwalk.bail_reason()
    assert got == expected
    return got


def test_adjacent_text_nodes_are_one_piece():
    """lxml's .text/.tail join adjacent text and CDATA nodes; link_chars strips the join."""
    cdata = etree.fromstring(
        "<html><body><p><a> x <![CDATA[ y ]]> z </a> t <![CDATA[u]]></p></body></html>",
        etree.XMLParser(strip_cdata=False))
    assert cdata.xpath("//a/text()") == [" x ", " y ", " z "]
    assert [ln.link_chars for ln in assert_same_tree(cdata)] == [len("x  y  z")]
    stripped = segment._parse("<p><a> x <b>q</b> y </a>tail<i>i</i>\xa0</p>")
    etree.strip_tags(stripped, "b", "i")
    assert stripped.xpath("//a/text()") == [" x ", "q", " y "]
    assert [ln.link_chars for ln in assert_same_tree(stripped)] == [len("x q y")]


def test_tails_of_the_walked_element():
    root = segment._parse("<html><body><p>x</p></body></html>")
    root.tail = "  root tail  "
    assert assert_same_tree(root)[-1] == Line(text="root tail", index=1)
    body = root[0]
    body.tail = " body tail "
    assert [ln.text for ln in assert_same_tree(body)] == ["x", "body tail"]
    hidden = segment._parse('<p>a<span hidden="">h</span>b</p>').find(".//span")
    hidden.tail = " after hidden "
    assert [ln.text for ln in assert_same_tree(hidden)] == ["after hidden"]


def test_the_unusual_characters_are_those_of_segment():
    unusual = {chr(c) for c in range(0x110000) if segment._UNUSUAL.match(chr(c))}
    assert set(_cwalk.unusual_chars()) == unusual


# --------------------------------------------------------------------------- random HTML

TAGS = ["div", "p", "span", "a", "li", "ul", "b", "h1", "h3", "td", "tr", "table", "nav",
        "section", "article", "footer", "aside", "em", "pre", "button", "label", "figure",
        "blockquote", "dl", "dd", "form", "script", "style", "noscript", "select", "br", "hr"]
CLASS_TOKENS = ["nav", "menu", "article-body", "content", "sr-only", "hidden", "d-none",
                "share", "a>b", ">", "x>", "größe", "記事", "ad", "ads", "top-10", "😀x",
                "abcdefghijklmnopqrstuvwxyz0123", "Comment", "related", "&amp;", "&gt;q"]
SEPARATORS = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", "&nbsp;", ""]
TEXTS = ["word", "Two words", " ", "  ", "\n", "\t", "\u00a0", "&nbsp;", "&amp;", "&lt;",
         "\u200b", "\ufeff", "\x0b", "\x1c", "\x07", "\x85", "\u3000", "\u2028", "日本語",
         "Ölfeld", "😀", "𝔘", "é", "x\ny", ".", "&#8203;", "&#x1F600;", "a" * 30]

texts = st.lists(st.sampled_from(TEXTS), max_size=5).map("".join)
classes = st.lists(st.sampled_from(CLASS_TOKENS), min_size=0, max_size=3).flatmap(
    lambda tokens: st.tuples(*[st.sampled_from(SEPARATORS) for _ in range(len(tokens) + 1)])
    .map(lambda seps: seps[0] + "".join(t + s for t, s in zip(tokens, seps[1:]))))
attributes = st.lists(st.one_of(
    classes.map(lambda c: f' class="{c}"'),
    st.sampled_from(CLASS_TOKENS).map(lambda c: f' id="{c}"'),
    st.sampled_from([" hidden", ' aria-hidden="true"', ' aria-hidden="false"',
                     ' style="display:none"', ' style="Visibility : HIDDEN"',
                     ' style="color:red"', ' href="x"', ' class', ' id=""'])),
    max_size=3).map("".join)


def element(children):
    return st.tuples(st.sampled_from(TAGS), attributes, texts, children, texts,
                     st.booleans()).map(
        lambda t: f"<{t[0]}{t[1]}>{t[2]}{''.join(t[3])}" + (f"</{t[0]}>" if t[5] else "")
        + t[4])


html_pages = st.recursive(
    st.lists(texts, max_size=2),
    lambda children: st.lists(element(children), max_size=4),
    max_leaves=30,
).map(lambda parts: "<html><body>" + "".join(parts) + "</body></html>")


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(html_pages)
def test_random_html(html):
    assert_same(html)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abpdiv\u00a0\u200b\x0b\x1c日😀&;#x")),
               max_size=80))
def test_random_tag_soup(html):
    assert_same(html)


# --------------------------------------------------------------------------- bail-outs


def test_bails_out_on_trees_it_does_not_handle_and_from_html_falls_back():
    cases = {
        "root is not exactly an lxml.etree._Element": lambda: __import__(
            "lxml.html", fromlist=["fromstring"]).fromstring("<div><p>x</p></div>"),
        "namespaced element": lambda: etree.fromstring(
            '<html><body><p xmlns="http://www.w3.org/1999/xhtml">x</p></body></html>'),
        "root.tag differs from the name of _c_node": lambda: etree.fromstring(
            '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>'),
        "namespaced attribute": lambda: etree.fromstring(
            '<html xmlns:x="urn:x"><body><p x:class="a">x</p></body></html>'),
        "node that is not an element, text or CDATA": lambda: etree.fromstring(
            "<html><body><p>a<!-- c -->b</p></body></html>", etree.HTMLParser()),
    }
    for reason, make in cases.items():
        root = make()
        assert c_walk(root) is None
        assert _cwalk.bail_reason() == reason
        assert segment._walk_fast(root) == segment._walk(root)
    assert c_walk(segment._parse("<p>x</p>")) is not None
    assert _cwalk.bail_reason() is None


def test_python_errors_propagate():
    root = segment._parse('<div class="never-seen-before-class">x</div>')

    def broken_hints(attrs):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        c_walk(root, hints_fn=broken_hints, hint_cache={})
    with pytest.raises(ZeroDivisionError):
        c_walk(root, line_cls=lambda *args: 1 / 0)
    with pytest.raises(TypeError):
        _cwalk.walk(root)


def test_hint_cache_hits_skip_the_hints_call():
    root = segment._parse('<div class="cached" id="cached-id"><p>x</p></div>')

    def no_call(attrs):
        raise AssertionError(f"_hints called for {attrs!r}")

    lines = c_walk(root, hints_fn=no_call, hint_cache={"cached": 1, "cached-id": 4})
    assert [(ln.hints, ln.own_hints) for ln in lines] == [(5, 0)]


def test_pure_python_env_var_turns_the_c_walker_off():
    code = "from boilerplate import walk; print(walk._cwalk is None)"
    for value, off in (("1", "True"), ("", "False")):
        env = {**os.environ, "DECLUTTER_PURE_PYTHON": value}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == off


# --------------------------------------------------------------------------- hint_bits (the DFA)


def load_dfa() -> None:
    """Hand segment's table to the extension (as segment does, also under DECLUTTER_PURE_PYTHON)."""
    _cwalk.set_hint_dfa(*segment._hint_dfa())


HINT_WORDS = sorted({lit.strip("^$") for p in segment._HINT_PATTERNS.values()
                     for lit in segment._literals(p)} - {""})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(HINT_WORDS),
    st.sampled_from(HINT_WORDS).map(str.upper),
    st.text(alphabet="abcxyzAZ019_-", max_size=10),
    st.text(alphabet=" \t\n.:#/>|", min_size=1, max_size=3),
), max_size=8))
def test_hint_bits_equals_the_token_automaton(pieces):
    load_dfa()
    attrs = "".join(pieces)
    assert _cwalk.hint_bits(attrs) == segment._token_bits(attrs)


def test_hint_bits_on_every_hint_literal_and_the_fixture_classes():
    load_dfa()
    strings = set(HINT_WORDS) | {f"x-{w}-y" for w in HINT_WORDS} | {f"{w}s" for w in HINT_WORDS}
    for page in sorted(PAGES.iterdir()):
        root = segment._parse(segment.decode(page.read_bytes()))
        for el in root.iter():
            for name in ("class", "id"):
                value = el.get(name) if isinstance(el.tag, str) else None
                if value and value.isascii():
                    strings.add(value)
    for attrs in sorted(strings):
        assert _cwalk.hint_bits(attrs) == segment._token_bits(attrs), attrs


def test_hints_of_non_ascii_strings_take_the_python_path():
    # Lower-casing the Kelvin sign gives an ASCII "k": hint_bits refuses it,
    # _hints reads such strings token by token in Python.
    with pytest.raises(ValueError):
        _cwalk.hint_bits("\u212aicker")
    assert segment._hints("\u212aicker nav") == segment._token_bits("\u212aicker nav")
    assert segment._hints("\u212aicker") == segment.HINTS["related"]


@pytest.mark.parametrize("table, out", [
    (segment.array("i", [0] * 39), segment.array("Q", [0])),      # a row too short
    (segment.array("i", [1] * 40), segment.array("Q", [0])),      # a state out of range
    (segment.array("q", [0] * 40), segment.array("Q", [0])),      # 8-byte states
])
def test_set_hint_dfa_refuses_bad_tables(table, out):
    with pytest.raises(ValueError):
        _cwalk.set_hint_dfa(table, out)
    load_dfa()  # the good table is still (or again) in place
    assert _cwalk.hint_bits("nav") == segment._token_bits("nav")


def test_lines_from_the_c_walker_are_not_tracked_by_the_garbage_collector():
    """Lines hold only strs, ints and a tuple of ints: untracked, as CPython untracks such tuples."""
    import gc

    html = "<div><section><p>one <a href=x>two</a></p><ul><li>three</li></ul></section></div>"
    root = segment._parse(html)
    lines = c_walk(root)
    assert lines == segment._walk(root) and len(lines) == 2
    assert not any(gc.is_tracked(line) for line in lines)
    assert all(line.ancestors and not gc.is_tracked(line.ancestors) for line in lines)
    # Built by calling the class instead, they stay as Python makes them.
    assert all(gc.is_tracked(line) for line in c_walk(root, line_cls=line_by_call))
