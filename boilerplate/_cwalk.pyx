# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The walk of ``boilerplate.walk._walk``, compiled: the same Lines, read straight from libxml2's tree.

Built on public interfaces only, as lxml documents for extensions: lxml's C-API
(``lxml.includes.etreepublic``: an ``_Element``'s ``_c_node``, ``attributeValue``,
``namespacedName``) and libxml2's own ``tree.h`` structs (``xmlNode``,
``xmlAttr``) from the headers ``lxml.get_include()`` ships; no copy of a private
layout. ``_walk`` stays the specification and the fallback; the tables and
constants are read from ``boilerplate.walk`` and ``boilerplate.hints`` at every
call, so those modules stay their one source (tests/test_walk.py compares both
walks).

What ``_walk`` sees through ``etree.iterwalk``, reproduced node by node: an
element's ``.text`` and ``.tail`` are runs of adjacent text and CDATA nodes
(XInclude markers skipped, any other node ends the run); comments and
processing instructions are not visited, so their tails are never read; an
entity reference is visited like an element that is skipped (only its tail
counts).
"""

cimport cython
cimport lxml.includes.etreepublic as cetree
from cpython.object cimport PyObject, PyTypeObject
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.ref cimport Py_INCREF
from cpython.unicode cimport PyUnicode_DecodeUTF8, PyUnicode_New
from libc.stdint cimport int64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, strcmp, strlen
from lxml.includes.tree cimport (XML_CDATA_SECTION_NODE, XML_ELEMENT_NODE, XML_ENTITY_REF_NODE,
                                 XML_TEXT_NODE, XML_XINCLUDE_END, XML_XINCLUDE_START,
                                 const_xmlChar, xmlAttr, xmlDoc, xmlDtd, xmlNode)

from types import MemberDescriptorType

from boilerplate import hints as _hints
from boilerplate import walk as _py
from boilerplate.document import Line

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void *op)
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    bint PyUnicode_IS_ASCII(object s)
    void* PyUnicode_DATA(object s)
    Py_ssize_t PyUnicode_FindChar(object s, Py_UCS4 ch, Py_ssize_t start, Py_ssize_t end,
                                  int direction) except -2

cetree.import_lxml__etree()

cdef enum:
    # Slots of the per-call table of element names (a power of two, half of
    # them filled at most). Pages use a few dozen names; tag soup can use
    # more, and names past the table are derived at each use.
    NAME_BITS = 8
    NAME_SLOTS = 1 << NAME_BITS
    # Non-ASCII characters of walk._UNUSUAL_CHARS this module can hold.
    MAX_UNUSUAL = 16

#: Line's fields in the order its __init__ takes them.
_FIELDS = ("text", "index", "tag", "path", "depth", "hints", "own_hints", "sem", "link_chars",
           "ancestors")


# ---------------------------------------------------------------- Lines


cdef tuple _slot_setters(cls):
    """The slot descriptors of Line's fields, if Line is the frozen slotted dataclass we know; else None.

    Its generated __init__ sets each field through the slot's descriptor (as
    object.__setattr__ does); doing the same from here spares a Python call
    per Line, a third of the walk on an average page.
    """
    params = getattr(cls, "__dataclass_params__", None)
    fields = getattr(cls, "__dataclass_fields__", {})
    if (params is None or not params.frozen or tuple(fields) != _FIELDS
            or hasattr(cls, "__post_init__")
            or (<PyTypeObject*>cls).tp_new != (<PyTypeObject*>object).tp_new):
        return None
    setters = tuple(cls.__dict__.get(name) for name in _FIELDS)
    if any(type(setter) is not MemberDescriptorType for setter in setters):
        return None
    return setters


#: How Lines are made (tests set it to None to check the plain way too).
SETTERS = _slot_setters(Line)
cdef tuple _EMPTY = ()


cdef object _new_line(tuple setters, tuple values):
    """Line(*values), through the slot descriptors when there are (see _slot_setters)."""
    cdef object cls = Line, setter, kind
    cdef int i
    if setters is None:
        return cls(*values)
    line = (<PyTypeObject*>cls).tp_new(cls, <PyObject*>_EMPTY, NULL)
    for i in range(len(setters)):
        setter = setters[i]
        kind = type(setter)
        (<PyTypeObject*>kind).tp_descr_set(setter, line, values[i])
    # A Line holds strs, ints and a tuple of ints: it can be in no reference
    # cycle, and the collector's passes over thousands of new Lines cost time.
    PyObject_GC_UnTrack(<PyObject*>line)
    return line


# ---------------------------------------------------------------- the walk


@cython.final
cdef class _Tag:
    """What the walk derives from an element name, once per name and call."""
    cdef str tag
    cdef int64_t sem
    cdef Py_ssize_t gts  # tag.count(">")
    cdef bint invisible, block, breaks, is_a


# An open element (the walker's paths[i] and tags[i] hold its strs).
cdef struct Frame:
    int64_t hints, own, sem
    Py_ssize_t gts  # path.count(">")
    long uid
    bint block, is_a


@cython.final
cdef class _Walker:
    """The state of one walk: open elements, the text of the line being built, the Lines."""
    # the tables and constants of boilerplate.walk and .hints, read at the start
    cdef object invisible, block_tags, hidden_style, clean, hints
    cdef dict tag_sem, hint_cache
    cdef int64_t hidden_class, a_only
    cdef Py_ssize_t path_levels, ancestor_levels
    cdef tuple setters
    cdef bint dtd_defaults
    cdef bint ascii_unusual[128]  # walk._UNUSUAL_CHARS, as a table and a list
    cdef Py_UCS4 unusual[MAX_UNUSUAL]
    cdef int n_unusual
    # the walk
    cdef list lines, paths, tags
    cdef Frame* frames
    cdef Py_ssize_t depth, frames_cap
    cdef Py_ssize_t* blocks  # indices of the open block frames
    cdef Py_ssize_t nblocks
    cdef char* buf  # UTF-8 text of the line being built
    cdef Py_ssize_t buf_len, buf_cap
    cdef char* out  # the same, collapsed (see collapse)
    cdef Py_ssize_t out_len, out_cap
    cdef Py_ssize_t link_chars, in_link
    cdef long uid
    cdef str cls  # the class of the element being opened
    cdef const_xmlChar* names[NAME_SLOTS]
    cdef list name_tags  # the _Tag of each filled slot
    cdef Py_ssize_t n_names

    def __cinit__(self):
        self.lines, self.paths, self.tags = [], [], []
        self.name_tags = [None] * NAME_SLOTS

    def __dealloc__(self):
        free(self.frames)
        free(self.blocks)
        free(self.buf)
        free(self.out)

    cdef configure(self, xmlDoc* doc):
        """Read the tables and constants from boilerplate.walk and .hints (their one source)."""
        self.invisible, self.block_tags, self.tag_sem = _py._INVISIBLE, _py._BLOCK, _py._TAG_SEM
        self.hidden_style, self.clean = _py._HIDDEN_STYLE.search, _py.clean
        self.hints, self.hint_cache, self.hidden_class = _hints.hints, _hints._HINT_CACHE, _hints.HIDDEN
        self.a_only = _py._SEM_A_ONLY
        self.path_levels, self.ancestor_levels = _py.PATH_LEVELS, _py.ANCESTOR_LEVELS
        self.setters = SETTERS
        self.read_unusual(_py._UNUSUAL_CHARS)
        # attrib.get() also returns the default values a DTD declares (XML
        # only: the HTML parser reads none): such documents take the slow,
        # exact lookups of lxml's API instead of the scan of the attributes.
        self.dtd_defaults = doc is not NULL and (
            _declares_attributes(doc.intSubset) or _declares_attributes(doc.extSubset))

    cdef read_unusual(self, str chars):
        """Keep walk._UNUSUAL_CHARS as a table (ASCII) and a short list (the others)."""
        cdef Py_UCS4 c
        cdef int k
        for k in range(128):
            self.ascii_unusual[k] = False
        for c in chars:
            if c < 128:
                self.ascii_unusual[c] = True
            elif self.n_unusual < MAX_UNUSUAL:
                self.unusual[self.n_unusual] = c
                self.n_unusual += 1
            else:
                raise ValueError("too many non-ASCII characters in walk._UNUSUAL_CHARS")

    cdef list run(self, xmlNode* root):
        """_walk(root): every element under root in document order, with its text and tail."""
        cdef xmlNode* node = root
        cdef xmlNode* child
        while True:
            if node.type == XML_ELEMENT_NODE and self.start(node):
                child = _element_at(self.text_run(node.children))
                if child is not NULL:
                    node = child
                    continue
                self.end()
            # node is closed: its tail, then its next sibling or its parent's end
            while True:
                child = self.text_run(node.next)
                if node is root:
                    self.flush()
                    return self.lines
                child = _element_at(child)
                if child is not NULL:
                    node = child
                    break
                node = node.parent
                self.end()

    cdef bint start(self, xmlNode* node) except -1:
        """The start of an element: False when it is invisible (skipped with its subtree)."""
        cdef _Tag info = self.tag_of(node)
        cdef int64_t own = 0
        self.cls = None
        if info.invisible:
            return False
        if node.properties is not NULL:
            own = self.attributes(node)
            if own < 0:
                return False
        if info.breaks and self.buf_len:
            self.flush()
        if info.is_a:
            self.in_link += 1
        self.push(info, own)
        return True

    cdef push(self, _Tag info, int64_t own):
        """Open an element: its frame, its tag path, and its place among the blocks."""
        cdef Frame* frame
        cdef Frame* up = &self.frames[self.depth - 1] if self.depth else NULL
        cdef Py_ssize_t gts
        if self.depth == self.frames_cap:
            cap = 2 * self.frames_cap + 64
            self.frames = <Frame*>_grow(self.frames, cap * sizeof(Frame))
            self.blocks = <Py_ssize_t*>_grow(self.blocks, cap * sizeof(Py_ssize_t))
            self.frames_cap = cap
            up = &self.frames[self.depth - 1] if self.depth else NULL
        frame = &self.frames[self.depth]
        self.paths.append(self.path(info, up, &gts))
        self.tags.append(info.tag)
        self.uid += 1
        frame.own, frame.gts, frame.uid = own, gts, self.uid
        frame.block, frame.is_a = info.block, info.is_a
        frame.hints = own | (up.hints if up is not NULL else 0)
        frame.sem = info.sem | (up.sem if up is not NULL else 0)
        if info.block:
            self.blocks[self.nblocks] = self.depth
            self.nblocks += 1
        self.depth += 1

    cdef str path(self, _Tag info, Frame* up, Py_ssize_t* gts):
        """The tag path of the element being opened (PATH_LEVELS innermost levels); sets its count of ">"."""
        cdef Py_ssize_t cut
        gts[0] = 0
        token = _first_token(self.cls, gts) if self.cls else None
        gts[0] += info.gts
        if up is NULL:
            return _path(None, 0, info.tag, token)
        up_path = <str>self.paths[self.depth - 1]
        gts[0] += up.gts + 1
        if gts[0] < self.path_levels:
            return _path(up_path, 0, info.tag, token)
        gts[0] -= 1  # the outermost level goes: path.split(">", 1)[1]
        cut = PyUnicode_FindChar(up_path, ">", 0, len(up_path), 1)
        if cut < 0:  # the ">" before the new label was the first
            return _path(None, 0, info.tag, token)
        return _path(up_path, cut + 1, info.tag, token)

    cdef end(self):
        """The end of the innermost open element."""
        cdef Frame* frame = &self.frames[self.depth - 1]
        if frame.is_a:
            self.in_link -= 1
        if frame.block:
            if self.buf_len:
                self.flush()
            self.nblocks -= 1
        self.depth -= 1
        self.paths.pop()
        self.tags.pop()

    cdef _Tag tag_of(self, xmlNode* node):
        """The _Tag of an element's name, from the table of this call when it is there."""
        cdef const_xmlChar* name = node.name
        cdef size_t slot
        if node.ns is not NULL:  # lxml's tag is then "{uri}name"
            return self.new_tag(cetree.namespacedName(node))
        # A parsed document keeps one copy of each name (libxml2's dictionary):
        # the pointer is the key (a name copied elsewhere only misses).
        slot = (<unsigned long long><size_t>name * 0x9E3779B97F4A7C15ULL) >> (64 - NAME_BITS)
        while self.names[slot] is not NULL:
            if self.names[slot] == name:
                return <_Tag>self.name_tags[slot]
            slot = (slot + 1) & (NAME_SLOTS - 1)
        info = self.new_tag(_utf8(name))
        if 2 * self.n_names < NAME_SLOTS:
            self.names[slot] = name
            self.name_tags[slot] = info
            self.n_names += 1
        return info

    cdef _Tag new_tag(self, str name):
        """Derive a _Tag from the tag as lxml gives it."""
        cdef _Tag info = _Tag.__new__(_Tag)
        info.tag = name.lower()
        info.gts = _count(info.tag, ">")
        info.invisible = info.tag in self.invisible
        info.block = info.tag in self.block_tags
        info.breaks = info.block or info.tag == "br" or info.tag == "hr"
        info.is_a = info.tag == "a"
        info.sem = self.tag_sem.get(info.tag, 0)
        return info

    # ------------------------------------------------------------ attributes

    cdef int64_t attributes(self, xmlNode* node) except? -2:
        """The element's own hint bits (-1 when its attributes hide it); sets self.cls."""
        cdef xmlAttr* attr = node.properties
        cdef xmlAttr* found[5]  # class, id, style, hidden, aria-hidden
        cdef int64_t own = 0
        if self.dtd_defaults:
            cls, ident, style = (_lookup(node, b"class"), _lookup(node, b"id"),
                                 _lookup(node, b"style"))
            if _lookup(node, b"hidden") is not None or _lookup(node, b"aria-hidden") == "true":
                return -1
        else:
            found[0] = found[1] = found[2] = found[3] = found[4] = NULL
            while attr is not NULL:
                if attr.ns is NULL:  # attrib.get(name) reads attributes without a namespace
                    _match(attr, found)
                attr = attr.next
            if found[3] is not NULL or (found[4] is not NULL and _value(node, found[4]) == "true"):
                return -1
            cls, ident, style = (_value(node, found[0]), _value(node, found[1]),
                                 _value(node, found[2]))
        self.cls = cls
        if style and self.hidden_style(style):
            return -1
        if cls:
            own = self.hint_bits(cls)
            if own & self.hidden_class:
                return -1
        if ident:
            own |= self.hint_bits(ident)
        return own

    cdef int64_t hint_bits(self, str attrs) except? -1:
        """hints.hints(attrs), its cache read here first."""
        bits = self.hint_cache.get(attrs)
        if bits is None:
            bits = self.hints(attrs)
        return bits

    # ------------------------------------------------------------ text and Lines

    cdef xmlNode* text_run(self, xmlNode* node) except? NULL:
        """Append the run of text nodes from node (an element's .text or .tail); the node after it."""
        cdef Py_ssize_t start = self.buf_len, n
        while node is not NULL:
            if node.type == XML_TEXT_NODE or node.type == XML_CDATA_SECTION_NODE:
                n = strlen(<const char*>node.content) if node.content is not NULL else 0
                if self.buf_len + n > self.buf_cap:
                    self.buf = <char*>_grow(self.buf, 2 * (self.buf_len + n) + 256)
                    self.buf_cap = 2 * (self.buf_len + n) + 256
                if n:
                    memcpy(self.buf + self.buf_len, node.content, n)
                    self.buf_len += n
            elif node.type != XML_XINCLUDE_START and node.type != XML_XINCLUDE_END:
                break
            node = node.next
        if self.in_link:  # link_chars += len(piece.strip())
            self.link_chars += _stripped_chars(<const unsigned char*>self.buf, start, self.buf_len)
        return node

    cdef flush(self):
        """Emit the buffered text as a Line owned by the innermost block (or open element)."""
        cdef Py_ssize_t links = self.link_chars, size = self.buf_len, chars, nonspace, depth
        cdef Frame* owner
        cdef str text
        cdef int64_t sem
        self.buf_len = self.link_chars = 0
        if self.collapse(size, &chars, &nonspace):
            if chars == 0:
                return
            text = PyUnicode_DecodeUTF8(self.out, self.out_len, NULL)
        else:  # the text holds a character clean() drops or reads as a space
            text = self.clean(PyUnicode_DecodeUTF8(self.buf, size, NULL))
            chars, nonspace = len(text), len(text) - text.count(" ")
            if chars == 0:
                return
        if self.nblocks:
            depth = self.blocks[self.nblocks - 1]
        elif self.depth:
            depth = self.depth - 1
        else:
            self.lines.append(Line(text=text, index=len(self.lines)))
            return
        owner = &self.frames[depth]
        sem = owner.sem | (self.a_only if links >= nonspace * 0.9 else 0)
        self.add_line(text, depth, owner.hints, owner.own, sem, min(links, chars))

    cdef add_line(self, str text, Py_ssize_t depth, int64_t hints, int64_t own, int64_t sem,
                  Py_ssize_t link_chars):
        """Append Line(text, index, tag, path, depth, hints, own_hints, sem, link_chars, ancestors)."""
        self.lines.append(_new_line(self.setters, (
            text, len(self.lines), self.tags[depth], self.paths[depth], depth, hints, own, sem,
            link_chars, self.ancestors())))

    cdef tuple ancestors(self):
        """The uids of the blocks around the innermost one, nearest first (ANCESTOR_LEVELS at most)."""
        cdef Py_ssize_t count = min(self.nblocks - 1, self.ancestor_levels), k
        cdef object uid
        if count <= 0:
            return _EMPTY
        out = PyTuple_New(count)
        for k in range(count):
            uid = self.frames[self.blocks[self.nblocks - 2 - k]].uid
            Py_INCREF(uid)
            PyTuple_SET_ITEM(out, k, uid)
        PyObject_GC_UnTrack(<PyObject*>out)  # ints only: no cycle (CPython would untrack it too)
        return out

    cdef bint collapse(self, Py_ssize_t size, Py_ssize_t* chars, Py_ssize_t* nonspace) except -1:
        """clean() of the buffered UTF-8 into self.out: " ".join(text.split()).

        That is all clean() does to a text without any of walk._UNUSUAL_CHARS;
        False (and self.out unfinished) when the text holds one. Counts the
        characters of the result and those that are not spaces.
        """
        cdef const unsigned char* src = <const unsigned char*>self.buf
        cdef Py_ssize_t i = 0, start, end = 0
        cdef Py_UCS4 c
        cdef bint gap = False
        if size > self.out_cap:
            self.out = <char*>_grow(self.out, size)
            self.out_cap = size
        chars[0] = nonspace[0] = 0
        while i < size:
            start = i
            c = _code_point(src, &i, size)
            if self.ascii_unusual[c] if c < 128 else self.is_unusual(c):
                return False
            if Py_UNICODE_ISSPACE(c):
                gap = end > 0
                continue
            if gap:
                self.out[end] = b" "
                end += 1
                chars[0] += 1
                gap = False
            while start < i:
                self.out[end] = src[start]
                end += 1
                start += 1
            chars[0] += 1
            nonspace[0] += 1
        self.out_len = end
        return True

    cdef inline bint is_unusual(self, Py_UCS4 c) noexcept:
        cdef int k
        for k in range(self.n_unusual):
            if self.unusual[k] == c:
                return True
        return False


# ---------------------------------------------------------------- helpers


cdef inline xmlNode* _element_at(xmlNode* node) noexcept:
    """The first node from here that iterwalk visits as an element: elements and entity references.

    Comments and processing instructions are passed over (iterwalk emits no
    start/end for them unless asked), and so are text and XInclude nodes.
    """
    while node is not NULL:
        if node.type == XML_ELEMENT_NODE or node.type == XML_ENTITY_REF_NODE:
            return node
        node = node.next
    return NULL


cdef inline bint _declares_attributes(xmlDtd* dtd) noexcept:
    return dtd is not NULL and dtd.attributes is not NULL


cdef inline void _match(xmlAttr* attr, xmlAttr** found) noexcept:
    """Keep the first class, id, style, hidden and aria-hidden attribute."""
    cdef const char* name = <const char*>attr.name
    cdef int k
    if strcmp(name, "class") == 0:
        k = 0
    elif strcmp(name, "id") == 0:
        k = 1
    elif strcmp(name, "style") == 0:
        k = 2
    elif strcmp(name, "hidden") == 0:
        k = 3
    elif strcmp(name, "aria-hidden") == 0:
        k = 4
    else:
        return
    if found[k] is NULL:
        found[k] = attr


cdef str _value(xmlNode* node, xmlAttr* attr):
    """The value of an attribute as attrib.get() gives it (None for no attribute)."""
    cdef xmlNode* text
    if attr is NULL:
        return None
    text = attr.children
    if text is NULL:
        return ""
    if (text.next is NULL and text.content is not NULL
            and (text.type == XML_TEXT_NODE or text.type == XML_CDATA_SECTION_NODE)):
        return _utf8(text.content)  # libxml2's own shortcut for the usual case
    return cetree.attributeValue(node, attr)


cdef str _lookup(xmlNode* node, bytes name):
    """attrib.get(name), through lxml's API (with a DTD's default values)."""
    return cetree.attributeValueFromNsName(node, NULL, <const_xmlChar*><const char*>name)


cdef inline str _utf8(const_xmlChar* s):
    return PyUnicode_DecodeUTF8(<const char*>s, strlen(<const char*>s), NULL)


cdef inline Py_UCS4 _code_point(const unsigned char* s, Py_ssize_t* at, Py_ssize_t n) noexcept:
    """The code point of the UTF-8 sequence at s[at[0]], moving at[0] past it.

    libxml2 keeps text in valid UTF-8. A byte that starts no whole, valid
    sequence reads as U+FFFD (neither a space nor unusual), so that the text
    is decoded later and raises as lxml would.
    """
    cdef Py_ssize_t i = at[0], k
    cdef unsigned char c = s[i]
    cdef int extra = 1 if c < 0xE0 else (2 if c < 0xF0 else 3)
    cdef unsigned int cp = c & (0x3F >> extra)
    at[0] = i + 1
    if c < 0x80:
        return c
    if c < 0xC2 or c > 0xF4 or i + extra >= n:
        return 0xFFFD
    for k in range(i + 1, i + extra + 1):
        if s[k] & 0xC0 != 0x80:
            return 0xFFFD
        cp = (cp << 6) | (s[k] & 0x3F)
    at[0] = i + extra + 1
    return <Py_UCS4>cp


cdef Py_ssize_t _stripped_chars(const unsigned char* s, Py_ssize_t i, Py_ssize_t n) noexcept:
    """len(text.strip()) of the UTF-8 text s[i:n]."""
    cdef Py_ssize_t seen = 0, last = 0
    cdef Py_UCS4 c
    while i < n:
        c = _code_point(s, &i, n)
        if seen or not Py_UNICODE_ISSPACE(c):
            seen += 1
            if not Py_UNICODE_ISSPACE(c):
                last = seen
    return last


cdef Py_ssize_t _count(str s, Py_UCS4 ch):
    """s.count(ch) for one character."""
    cdef Py_ssize_t n = 0
    cdef Py_UCS4 c
    for c in s:
        n += c == ch
    return n


cdef str _first_token(str cls, Py_ssize_t* gts):
    """cls.split(None, 1)[0][:24], or None when cls is only whitespace; adds its count of ">" to gts."""
    cdef Py_ssize_t lo = 0, hi, n = len(cls)
    cdef Py_UCS4 c
    while lo < n and Py_UNICODE_ISSPACE(cls[lo]):
        lo += 1
    if lo == n:
        return None
    hi = lo
    while hi < n and hi - lo < 24:
        c = cls[hi]
        if Py_UNICODE_ISSPACE(c):
            break
        gts[0] += c == ">"
        hi += 1
    return cls[lo:hi]


cdef str _path(str up, Py_ssize_t start, str tag, str token):
    """up[start:] + ">" + tag + "." + token, without "." + token when it is None, without
    up[start:] + ">" when up is None; in one allocation when all of it is ASCII.
    """
    cdef Py_ssize_t up_len = len(up) - start if up is not None else -1
    cdef Py_ssize_t token_len = len(token) if token is not None else -1
    cdef char* at
    if not (PyUnicode_IS_ASCII(tag) and (up is None or PyUnicode_IS_ASCII(up))
            and (token is None or PyUnicode_IS_ASCII(token))):
        label = tag if token is None else f"{tag}.{token}"
        return label if up is None else f"{up[start:]}>{label}"
    out = PyUnicode_New(up_len + 1 + len(tag) + token_len + 1, 127)
    at = <char*>PyUnicode_DATA(out)
    if up is not None:
        memcpy(at, <char*>PyUnicode_DATA(up) + start, up_len)
        at[up_len] = b">"
        at += up_len + 1
    memcpy(at, PyUnicode_DATA(tag), len(tag))
    at += len(tag)
    if token is not None:
        at[0] = b"."
        memcpy(at + 1, PyUnicode_DATA(token), token_len)
    return out


cdef void* _grow(void* ptr, size_t size) except NULL:
    cdef void* out = realloc(ptr, size)
    if out is NULL:
        raise MemoryError()
    return out


def walk(cetree._Element root not None):
    """The Lines of ``boilerplate.walk._walk(root)``."""
    cdef _Walker walker = _Walker()
    if root._c_node.type != XML_ELEMENT_NODE:  # as etree.iterwalk refuses it
        raise ValueError(f"Input object is not an XML element: {type(root).__name__}")
    walker.configure(root._c_node.doc)
    return walker.run(root._c_node)
