"""The walk: the compiled walk (boilerplate/_cwalk.pyx) emits exactly the Lines of ``walk._walk``.

``_walk`` is the specification: every comparison is of whole lists of Lines
with == (text, index, tag, path, depth, hints, own_hints, sem, link_chars,
ancestors), on the fixture pages, on hand-written edge cases, on trees the HTML
parser never makes (namespaces, comments, entities, DTD defaults) and on random
HTML. ``_walk`` itself is checked against a straightforward walker written
for readability (``ReferenceWalker``). The compiled tests skip where the
extension is not built (setup.py; tests/test_trees.py fails when a compiler
exists but nothing was built).
"""

from __future__ import annotations

import gc
import importlib.util
import os
import re
import subprocess
import sys

import pytest
from conftest import PAGES, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from boilerplate import hints as hints_module
from boilerplate import walk
from boilerplate.decode import to_text
from boilerplate.document import Line

cwalk = walk._cwalk
needs_compiled = pytest.mark.skipif(cwalk is None, reason="boilerplate._cwalk is not built here")


def same_tree(root) -> list[Line]:
    """Compiled walk == _walk on a tree, Lines made both ways (slot setters and plain calls)."""
    expected = walk._walk(root)
    got = cwalk.walk(root)
    assert got == expected
    assert all(type(line) is Line for line in got)
    setters = cwalk.SETTERS
    try:
        cwalk.SETTERS = None
        assert cwalk.walk(root) == expected
    finally:
        cwalk.SETTERS = setters
    return got


def same(html: str) -> list[Line]:
    """same_tree on a page as walk.parse reads it."""
    root = walk.parse(html)
    return [] if root is None else same_tree(root)


def fixture_pages() -> list[str]:
    return [to_text(p.read_bytes()) for p in sorted(PAGES.glob("*.html"))]


# --------------------------------------------------------------------------- fixtures


@needs_compiled
def test_fixture_pages_give_the_same_lines():
    pages = fixture_pages()
    assert len(pages) >= 15
    for html in pages:
        assert same(html), "fixture page without lines"


@needs_compiled
def test_walk_runs_the_compiled_walk(monkeypatch):
    pages = fixture_pages()
    from boilerplate.segment import from_html

    monkeypatch.setattr(walk, "_cwalk", None)
    expected = [from_html(html) for html in pages]

    def no_python_walk(root):
        raise AssertionError("walk._walk ran although the compiled walk is built")

    monkeypatch.setattr(walk, "_cwalk", cwalk)
    monkeypatch.setattr(walk, "_walk", no_python_walk)
    assert [from_html(html) for html in pages] == expected


@needs_compiled
@pytest.mark.parametrize("path_levels", [0, 1, 3, 8, 50])
@pytest.mark.parametrize("ancestor_levels", [0, 1, 4, 30])
def test_constants_come_from_the_walk_module(monkeypatch, path_levels, ancestor_levels):
    monkeypatch.setattr(walk, "PATH_LEVELS", path_levels)
    monkeypatch.setattr(walk, "ANCESTOR_LEVELS", ancestor_levels)
    for html in fixture_pages()[:4] + [TRICKY["classes with >"], TRICKY["deep nesting"]]:
        same(html)


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
                         '<p class="\u200bzw">w</p><p class="\u212aicker">k</p></div>',
    "long class token": '<div class="abcdefghijklmnopqrstuvwxyz0123456789 second">'
                        '<p class="abcdefghijklmnopqrstuvwx">exact 24</p></div>',
    "deep nesting": nested(40, "<p>leaf</p>"),
    "deep nesting with > in classes": nested(12, "<span class='>>>>>>>>>>'>s</span>"),
    "deep nesting with non-ascii classes": nested(12, "<span class='größe'>s</span>")
                                           .replace('x>', 'ü>'),
    "br and hr": "<p>one<br>two<br/><br>three<hr>four</p>five<br>six<hr/>",
    "cjk": "<p>日本語のテキスト。<a href=x>リンク</a>です。</p><p>中文文本，测试。</p>"
           "<p>한국어 텍스트</p>",
    "nbsp and unicode spaces": "<p>a&nbsp;&nbsp;b\u3000c\u2028d\u0085e\u2003f</p>"
                               "<p>&nbsp;</p><p>\u3000\u2003</p><p><a>&nbsp;lnk&nbsp;</a></p>",
    "zero-width and control": "<p>a\u200bb\u200cc\u200dd\u2060e\ufefff</p>"
                              "<p>\u200b</p><p>\x01\x02</p><p>x\x0by\x0cz\x1cw\x1dv\x7fu</p>"
                              "<p><a>\x0b link \x1c</a> \u200b tail</p><p>&#8203;&#x7f;</p>",
    "astral": "<p>😀 emoji 𝔘𝔫𝔦 <a>𝒳𝒴</a></p><p><a>\U0001f600 </a>\u3000<a> 𝔘</a></p>",
    "uppercase markup": '<DIV CLASS="Nav Menu" ID="Top"><P>Upper</P><A HREF=x>L</A></DIV>',
    "odd tag names": '<é class="x">t</é><ÄBC>u<p>p</p></ÄBC><svg:x><p>v</p></svg:x>'
                     '<a:b>w</a:b><b\xa0 class="q"><p>nb</p></b\xa0><İ>dotted</İ>'
                     '<x-custom-element><p>c</p></x-custom-element>',
    "many tag names": "".join(f"<t{i}><p>x{i}</p></t{i}>" for i in range(400)),
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


@needs_compiled
@pytest.mark.parametrize("name", list(TRICKY))
def test_tricky_html(name):
    same(TRICKY[name])


@needs_compiled
def test_tricky_html_gives_lines_of_every_kind():
    """The edge cases above really exercise what they claim."""
    assert [ln.text for ln in same(TRICKY["text directly in html"])] == [
        "direct text", "para", "tail text"]
    deep = same(TRICKY["deep nesting"])
    assert max(ln.path.count(">") for ln in deep) == walk.PATH_LEVELS - 1
    assert max(ln.depth for ln in deep) > 40
    assert any(ln.sem & walk.SEM["a_only"] for ln in same(TRICKY["a_only boundaries"]))
    paths = [ln.path for ln in same(TRICKY["classes with >"])]
    assert paths[0] == "html>body>div.a>b>p.>x" and paths[-1] == "html>body>div.a>b>p.>>z"
    assert same(TRICKY["zero-width and control"])[0].text == "a b c d e f"
    assert len(same(TRICKY["many tag names"])) == 400


# --------------------------------------------------------------------------- other trees


def xml(text: str, **options):
    return etree.fromstring(text, etree.XMLParser(**options))


OTHER_TREES = {
    # lxml.html's element classes are _Element subclasses.
    "lxml.html element": lambda: lxml_html.fromstring('<div class="nav"><p>x</p>t</div>'),
    "namespaced elements": lambda: xml(
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p class="a">x</p><DIV>y</DIV>'
        '</body></html>'),
    "namespaced attributes": lambda: xml(
        '<html xmlns:x="urn:x"><body><p x:class="a" x:hidden="1">x</p>'
        '<p x:id="n" class="b">y</p></body></html>'),
    "comments and processing instructions": lambda: etree.fromstring(
        "<html><body><!--c0-->t0<p>a<!-- c -->b<?pi x?>c<span>d</span>e<!--c2--></p>"
        "<?pi y?>f</body></html>", etree.HTMLParser()),
    "entity references": lambda: xml(
        '<!DOCTYPE html [<!ENTITY e "<b>entity</b> text"><!-- in dtd -->]>'
        '<html><body><p>a &e; b<span>&e;</span>&e;c</p>&e;</body></html>',
        resolve_entities=False),
    # attrib.get() sees a DTD's defaults (once an element has an attribute at all).
    "DTD default attributes": lambda: xml(
        '<!DOCTYPE html [<!ATTLIST p class CDATA "nav menu"><!ATTLIST div hidden CDATA "h">'
        '<!ATTLIST span aria-hidden CDATA "true"><!ATTLIST em style CDATA "display:none">]>'
        '<html><body><p>x</p><p id="i">x2</p><p class="article">y</p><div>kept</div>'
        '<div id="d">gone</div><span id="s">gone</span><em id="e">gone</em><b>kept</b>'
        '</body></html>'),
    "CDATA next to text": lambda: xml(
        "<html><body><p><a> x <![CDATA[ y ]]> z </a> t <![CDATA[u]]></p></body></html>",
        strip_cdata=False),
    "attribute with entity children": lambda: xml(
        '<!DOCTYPE html [<!ENTITY n "nav">]><html><body><p class="x &n;">t</p></body></html>',
        resolve_entities=False),
}


@needs_compiled
@pytest.mark.parametrize("name", list(OTHER_TREES))
def test_trees_the_html_parser_never_makes(name):
    assert same_tree(OTHER_TREES[name]()) is not None


@needs_compiled
def test_subtrees_and_their_tails():
    root = walk.parse("<html><body><p>x</p></body></html>")
    root.tail = "  root tail  "
    assert same_tree(root)[-1] == Line(text="root tail", index=1)
    body = root[0]
    body.tail = " body tail "
    assert [ln.text for ln in same_tree(body)] == ["x", "body tail"]
    hidden = walk.parse('<p>a<span hidden="">h</span>b</p>').find(".//span")
    hidden.tail = " after hidden "
    assert [ln.text for ln in same_tree(hidden)] == ["after hidden"]
    comment = etree.fromstring("<div><!--c-->tail</div>", etree.HTMLParser()).find(".//div")[0]
    for walk_of in (walk._walk, cwalk.walk):
        with pytest.raises(ValueError, match="not an XML element"):
            walk_of(comment)


@needs_compiled
def test_adjacent_text_nodes_are_one_piece():
    """.text/.tail join adjacent text and CDATA nodes; link_chars strips the joined piece."""
    cdata = OTHER_TREES["CDATA next to text"]()
    assert cdata.xpath("//a/text()") == [" x ", " y ", " z "]
    assert [ln.link_chars for ln in same_tree(cdata)] == [len("x  y  z")]
    stripped = walk.parse("<p><a> x <b>q</b> y </a>tail<i>i</i>\xa0</p>")
    etree.strip_tags(stripped, "b", "i")
    assert stripped.xpath("//a/text()") == [" x ", "q", " y "]
    assert [ln.link_chars for ln in same_tree(stripped)] == [len("x q y")]


def test_unusual_chars_are_where_clean_is_more_than_split():
    """walk._UNUSUAL_CHARS (the compiled walk's list too) are the characters for which
    clean's regexes differ from " ".join(text.split()); no astral character is a space
    or a control character, so the BMP is all there is to check."""
    differ = {chr(c) for c in range(0x10000)
              if walk._WS.sub(" ", walk._CONTROL.sub("", f"a{chr(c)}b")).strip()
              != " ".join(f"a{chr(c)}b".split())}
    assert differ == set(walk._UNUSUAL_CHARS)
    assert walk._UNUSUAL.findall(walk._UNUSUAL_CHARS) == list(walk._UNUSUAL_CHARS)


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


@needs_compiled
@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(html_pages)
def test_random_html(html):
    same(html)


@needs_compiled
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abpdiv\u00a0\u200b\x0b\x1c日😀&;#x")),
               max_size=80))
def test_random_tag_soup(html):
    same(html)


# --------------------------------------------------------------------------- the compiled walk's calls


@needs_compiled
def test_python_errors_propagate(monkeypatch):
    root = walk.parse('<div class="never-seen-before-class">x</div>')

    def broken_hints(attrs):
        raise ValueError("boom")

    monkeypatch.setattr(hints_module, "hints", broken_hints)
    monkeypatch.setattr(hints_module, "_HINT_CACHE", {})
    with pytest.raises(ValueError, match="boom"):
        cwalk.walk(root)
    with pytest.raises(TypeError):
        cwalk.walk("<p>not a tree</p>")


@needs_compiled
def test_hint_cache_hits_skip_the_hints_call(monkeypatch):
    root = walk.parse('<div class="cached" id="cached-id"><p>x</p></div>')

    def no_call(attrs):
        raise AssertionError(f"hints called for {attrs!r}")

    monkeypatch.setattr(hints_module, "hints", no_call)
    monkeypatch.setattr(hints_module, "_HINT_CACHE", {"cached": 1, "cached-id": 4})
    assert [(ln.hints, ln.own_hints) for ln in cwalk.walk(root)] == [(5, 0)]


@needs_compiled
def test_compiled_lines_are_not_tracked_by_the_garbage_collector():
    """Lines hold only strs, ints and a tuple of ints: untracked, as CPython untracks such tuples."""
    html = "<div><section><p>one <a href=x>two</a></p><ul><li>three</li></ul></section></div>"
    lines = same(html)
    assert len(lines) == 2
    assert not any(gc.is_tracked(line) for line in lines)
    assert all(line.ancestors and not gc.is_tracked(line.ancestors) for line in lines)


def test_pure_python_env_var_turns_the_compiled_walk_off():
    code = "from boilerplate import walk; print(walk._cwalk is None)"
    built = importlib.util.find_spec("boilerplate._cwalk") is not None
    for value, off in (("1", "True"), ("", str(not built))):
        env = {**os.environ, "DECLUTTER_PURE_PYTHON": value}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == off


# --------------------------------------------------------------------------- _walk and clean


def reference_clean(text: str) -> str:
    """clean without its fast branch: the two regexes."""
    return walk._WS.sub(" ", walk._CONTROL.sub("", text)).strip()


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(TEXTS + ["\x00", "\x7f", "\u2060", "\r\n", "a b"]), max_size=9)
       .map("".join))
def test_clean_equals_the_regexes(text):
    assert walk.clean(text) == reference_clean(text)


class ReferenceWalker:
    """_walk written for reading, one method per event (as before its speed-ups)."""

    def __init__(self) -> None:
        self.lines, self.buf, self.link_chars, self.in_link = [], [], 0, 0
        self.stack, self.blocks, self.uid = [], [], 0

    def walk(self, root):
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, el in walker:
            tag = el.tag
            if not isinstance(tag, str):
                if event == "end" and el.tail:
                    self._add(el.tail)
                continue
            if event == "start":
                if self._invisible(el, tag):
                    walker.skip_subtree()
                    self.stack.append(None)
                    continue
                self._open(el, tag.lower())
            else:
                self._close()
                if el.tail:
                    self._add(el.tail)
        self._flush()
        return self.lines

    def _invisible(self, el, tag):
        if tag.lower() in walk._INVISIBLE:
            return True
        attrib = el.attrib
        if not attrib:
            return False
        if "hidden" in attrib or attrib.get("aria-hidden") == "true":
            return True
        style = attrib.get("style")
        if style and walk._HIDDEN_STYLE.search(style):
            return True
        cls = attrib.get("class")
        return bool(cls) and bool(self._hints(cls) & hints_module.HIDDEN)

    @staticmethod
    def _hints(attrs):
        bits = 0
        for token in hints_module._TOKEN_SPLIT.split(attrs.lower()):
            if token:
                for name, pattern in hints_module._HINT_PATTERNS.items():
                    if re.search(pattern, token):
                        bits |= hints_module.HINTS[name]
        return bits

    def _open(self, el, tag):
        attrib = el.attrib
        own = self._hints(attrib.get("class", "") + " " + attrib.get("id", "")) if attrib else 0
        block = tag in walk._BLOCK
        if tag in ("br", "hr") or block:
            self._flush()
        if tag == "a":
            self.in_link += 1
        up = next((f for f in reversed(self.stack) if f is not None), None)
        self.uid += 1
        label = tag
        cls = attrib.get("class") if attrib else None
        if cls and cls.split():
            label = f"{tag}.{cls.split()[0][:24]}"
        path = f"{up['path']}>{label}" if up else label
        if up and path.count(">") >= walk.PATH_LEVELS:
            path = path.split(">", 1)[1]
        frame = {"tag": tag, "block": block, "hints": (up["hints"] if up else 0) | own,
                 "own": own, "sem": (up["sem"] if up else 0) | walk._TAG_SEM.get(tag, 0),
                 "path": path, "uid": self.uid, "depth": (up["depth"] + 1) if up else 0}
        self.stack.append(frame)
        if block:
            self.blocks.append(frame)
        if el.text:
            self._add(el.text)

    def _close(self):
        frame = self.stack.pop()
        if frame is None:
            return
        if frame["tag"] == "a":
            self.in_link -= 1
        if frame["block"]:
            self._flush()
            self.blocks.pop()

    def _add(self, text):
        self.buf.append(text)
        if self.in_link:
            self.link_chars += len(text.strip())

    def _flush(self):
        if not self.buf:
            return
        text = reference_clean("".join(self.buf))
        link_chars = self.link_chars
        self.buf, self.link_chars = [], 0
        if not text:
            return
        owner = self.blocks[-1] if self.blocks else next(
            (f for f in reversed(self.stack) if f is not None), None)
        if owner is None:
            self.lines.append(Line(text=text, index=len(self.lines)))
            return
        sem = owner["sem"]
        if link_chars >= len(text.replace(" ", "")) * 0.9:
            sem |= walk.SEM["a_only"]
        ancestors = tuple(f["uid"] for f in self.blocks[-1 - walk.ANCESTOR_LEVELS:-1][::-1])
        self.lines.append(Line(
            text=text, index=len(self.lines), tag=owner["tag"], path=owner["path"],
            depth=owner["depth"], hints=owner["hints"], own_hints=owner["own"], sem=sem,
            link_chars=min(link_chars, len(text)), ancestors=ancestors))


def test_python_walk_equals_the_reference_on_the_fixture_pages():
    for html in fixture_pages():
        root = walk.parse(html)
        assert walk._walk(root) == ReferenceWalker().walk(root)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(html_pages)
def test_python_walk_equals_the_reference_on_random_html(html):
    root = walk.parse(html)
    if root is not None:
        assert walk._walk(root) == ReferenceWalker().walk(root)
