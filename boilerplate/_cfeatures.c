/*
 * boilerplate._cfeatures: the per-line counts of features._text_block, in C.
 *
 * What it mirrors
 * ---------------
 * An optional speed-up of boilerplate.features._text_block (issue 4). The
 * numpy/regex code there is the reference and the fallback: _text_block runs
 * it when this module is not built, when DECLUTTER_PURE_PYTHON is set, and
 * whenever counts() returns False (a "bail-out"). tests/test_cfeatures.py
 * compares both paths, whole feature matrices with np.array_equal.
 *
 * counts(blob, lower, starts, table, capital_col, colon_col, literals,
 *        n_bounded, out) -> bool
 *
 * blob is the block's lines joined by "\n", lower is blob.lower(), starts
 * (int64) the offset of each line in blob, and out a writable int64 array of
 * len(starts) rows of 12. Row i receives, for line i:
 *
 *   0-7  the class counts of numpy's
 *            classes = _CLASS_TABLE.take(np.minimum(cps, rows - 1), axis=0)
 *            classes[:, capital_col] &= after_break
 *            classes[:-1, colon_col] &= cps[1:] == "\n"
 *            np.add.reduceat(classes, starts, axis=0, dtype=np.int64)
 *        where cps are the code points of blob + "\n": line i sums the
 *        positions [starts[i], starts[i + 1]) (the last line up to and
 *        including the virtual "\n" at len(blob)), each position adding its
 *        table row, the capital column ANDed with "first position, or after
 *        a space or a newline" and the colon column (except at the virtual
 *        "\n") ANDed with "the next code point is a newline";
 *   8    the matches of _SENT_END   [.!?。！？…](?:[\"'”’»)\]]*)(?=\s|$)  (MULTILINE),
 *   9    the matches of _ENDS_SENT  [.!?。！？…][\"'”’»)\]]*$             (MULTILINE),
 *   10   the matches of _SEPARATORS " [|·•/] | » | > ",
 *   11   the matches of _BOILER_WORDS in lower,
 *
 * a match counting for the line holding its start, as _count_per_line places
 * it: the last i with starts[i] <= start (np.searchsorted(..., "right") - 1).
 * Positions in lower are placed with blob's starts too, as the reference
 * does, also when lower-casing changed the length ("İ"): the C code makes no
 * assumption about lines or line breaks, it scans the whole strings.
 *
 * Why the scans are exact (Python's re semantics on str patterns)
 * ---------------------------------------------------------------
 * finditer tries each position from left to right and resumes after the end
 * of a match. \s is Py_UNICODE_ISSPACE, $ in MULTILINE mode is "at the end
 * or before \n", \b is a change of Py_UNICODE_ISALNUM(ch) || ch == '_'
 * between the code points around the position (outside the string: not a
 * word character).
 *
 *   _SENT_END, _ENDS_SENT: at p, a sentence mark followed by the longest run
 *   of closers (greedy *), then the lookahead / $. Backtracking to a shorter
 *   run puts a closer at the test position, which is neither \s nor \n, so a
 *   match at p exists exactly when the position after the longest run passes
 *   the test. A match holds only the mark and closers, none of which is a
 *   mark, so skipping to its end skips no other candidate: the number of
 *   matches is the number of marks that pass.
 *
 *   _SEPARATORS: three code points " X " with X in |·•/»> (the three
 *   alternatives have different middles, so their order does not matter);
 *   after a match the scan resumes three positions on, as finditer does.
 *
 *   _BOILER_WORDS: (?=[firsts])(?:\b(?:TERMS)\b|SYMBOLS). The lookahead only
 *   filters positions where no alternative can start. features.py expands
 *   TERMS and SYMBOLS into `literals`, in the order re tries them (nested
 *   alternatives in order, greedy ? with the optional part first); the first
 *   n_bounded literals are TERMS and need \b before and after. At p, the
 *   first literal in that order that matches (with its \b tests) is the
 *   match re finds, since backtracking tries exactly these strings in this
 *   order; the scan then resumes at its end.
 *
 * The character sets of the three text regexes are written out below;
 * tests/test_cfeatures.py checks them against the compiled regexes for every
 * code point. The class table, its capital and colon columns and the
 * boiler-word literals come from features.py at every call (one source of
 * truth).
 *
 * Bail-out: a blob holding a lone surrogate makes counts() return False, as
 * the reference raises there (blob.encode("utf-32-le")) and the caller then
 * runs it. Arguments of the wrong type, format or size raise.
 *
 * Only the Python headers are needed (buffers through the buffer protocol).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_cbuf.h"
#include <stdint.h>
#include <string.h>

#define N_CLASSES 8
#define COL_SENT_END 8
#define COL_ENDS_SENT 9
#define COL_SEPARATORS 10
#define COL_BOILER 11
#define OUT_WIDTH 12

/* [.!?。！？…] */
static inline int is_mark(Py_UCS4 c) {
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F ||
           c == 0x2026;
}

/* [\"'”’»)\]] */
static inline int is_closer(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == 0xBB || c == ')' ||
           c == ']';
}

/* The middles of " [|·•/] | » | > ". */
static inline int is_separator(Py_UCS4 c) {
    return c == '|' || c == 0xB7 || c == 0x2022 || c == '/' || c == 0xBB || c == '>';
}

/* \b's word characters. ASCII ones by hand ([0-9A-Za-z_], which is what
 * Py_UNICODE_ISALNUM says below 128; the tests check every code point): the
 * Unicode database calls cost more than the rest of the scan. */
static const uint8_t ascii_word[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['_'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static inline int is_word(Py_UCS4 c) {
    return c < 128 ? ascii_word[c] : Py_UNICODE_ISALNUM(c);
}

/* The boiler-word literals as code points, and an index by first code point. */
typedef struct {
    Py_ssize_t n, n_bounded;
    Py_ssize_t *start, *len, *next;  /* per literal; next: the next one with the same first cp */
    Py_ssize_t *unbounded;           /* per literal: itself or the first one after it on its
                                        chain that needs no \b, or -1 */
    Py_UCS4 *cps;
    Py_ssize_t ascii_head[128];      /* first literal starting with this ASCII code point, or -1 */
    Py_ssize_t n_other;              /* distinct non-ASCII first code points */
    Py_UCS4 *other_cp;
    Py_ssize_t *other_head;
    uint64_t other_bloom;            /* bit (cp & 63) of each non-ASCII first code point */
} Literals;

static void free_literals(Literals *L) {
    PyMem_Free(L->start);
    PyMem_Free(L->cps);
    L->start = NULL;
    L->cps = NULL;
}

static int load_literals(PyObject *tuple, Py_ssize_t n_bounded, Literals *L) {
    memset(L, 0, sizeof(*L));
    if (!PyTuple_Check(tuple)) {
        PyErr_SetString(PyExc_TypeError, "literals must be a tuple of str");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(tuple), total = 0;
    if (n_bounded < 0 || n_bounded > n) {
        PyErr_SetString(PyExc_ValueError, "n_bounded out of range");
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *s = PyTuple_GET_ITEM(tuple, k);
        if (!PyUnicode_Check(s) || PyUnicode_GET_LENGTH(s) == 0) {
            PyErr_SetString(PyExc_TypeError, "literals must be non-empty str");
            return -1;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(s) < 0)
            return -1;
#endif
        total += PyUnicode_GET_LENGTH(s);
    }
    L->n = n;
    L->n_bounded = n_bounded;
    /* start, len, next, unbounded and other_head: n entries each (+1: never a
     * 0-byte request). */
    L->start = PyMem_Malloc(sizeof(Py_ssize_t) * 5 * (size_t)(n + 1));
    /* The literals' code points, then the distinct non-ASCII first ones. */
    L->cps = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(total + n + 1));
    if (!L->start || !L->cps) {
        free_literals(L);
        PyErr_NoMemory();
        return -1;
    }
    L->len = L->start + (n + 1);
    L->next = L->len + (n + 1);
    L->unbounded = L->next + (n + 1);
    L->other_head = L->unbounded + (n + 1);
    L->other_cp = L->cps + total;
    for (int c = 0; c < 128; c++)
        L->ascii_head[c] = -1;
    Py_ssize_t pos = 0;
    /* Chains are built back to front so that each keeps the literals' order. */
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *s = PyTuple_GET_ITEM(tuple, k);
        int kind = PyUnicode_KIND(s);
        const void *data = PyUnicode_DATA(s);
        Py_ssize_t len = PyUnicode_GET_LENGTH(s);
        L->start[k] = pos;
        L->len[k] = len;
        for (Py_ssize_t i = 0; i < len; i++)
            L->cps[pos + i] = PyUnicode_READ(kind, data, i);
        pos += len;
    }
    for (Py_ssize_t k = n - 1; k >= 0; k--) {
        Py_UCS4 first = L->cps[L->start[k]];
        Py_ssize_t *head = NULL;
        if (first < 128) {
            head = &L->ascii_head[first];
        } else {
            for (Py_ssize_t j = 0; j < L->n_other; j++)
                if (L->other_cp[j] == first)
                    head = &L->other_head[j];
            if (head == NULL) {
                L->other_cp[L->n_other] = first;
                L->other_head[L->n_other] = -1;
                head = &L->other_head[L->n_other++];
                L->other_bloom |= (uint64_t)1 << (first & 63);
            }
        }
        L->next[k] = *head;
        L->unbounded[k] = k >= n_bounded ? k : *head >= 0 ? L->unbounded[*head] : -1;
        *head = k;
    }
    return 0;
}

/* The first literal that may start with c (then follow next[]), or -1. */
static inline Py_ssize_t first_literal(const Literals *L, Py_UCS4 c) {
    if (c < 128)
        return L->ascii_head[c];
    if (!(L->other_bloom >> (c & 63) & 1))
        return -1;
    for (Py_ssize_t j = 0; j < L->n_other; j++)
        if (L->other_cp[j] == c)
            return L->other_head[j];
    return -1;
}

/* The class counts add table rows of 8 bytes as one uint64, bytes 0, 2, 4, 6
 * into the 16-bit lanes of `even` and bytes 1, 3, 5, 7 into those of `odd`;
 * every FLUSH_EVERY code points (255 * 256 < 65536: no lane overflows) and at
 * the end of a line the lanes go to the int64 totals. */
#define LANES 0x00FF00FF00FF00FFull
#define FLUSH_EVERY 256

/* Where byte j of a table row sits in the uint64 loaded from it. */
static inline int byte_shift(int j) {
    const uint16_t probe = 1;
    uint8_t first;
    memcpy(&first, &probe, 1);
    return 8 * (first ? j : N_CLASSES - 1 - j);
}

static inline void flush(uint64_t *even, uint64_t *odd, int64_t *acc) {
    for (int j = 0; j < N_CLASSES; j++) {
        int sh = byte_shift(j);
        acc[j] += (int64_t)((sh & 8 ? *odd >> (sh - 8) : *even >> sh) & 0xFFFF);
    }
    *even = *odd = 0;
}

/* ASCII code points that need a look beyond the class counts. */
static const uint8_t ascii_special[128] = {['.'] = 1, ['!'] = 1, ['?'] = 1, [' '] = 1};

/* Whole-blob scan: class counts and the three text regexes, line by line
 * (line i covers [starts[i], starts[i + 1]), the last one up to the virtual
 * "\n" at len). Returns 1, or 0 on a lone surrogate (bail-out). TYPE is the
 * blob's storage unit. */
#define DEFINE_SCAN_BLOB(NAME, TYPE)                                                         \
    static int NAME(const TYPE *s, Py_ssize_t len, const int64_t *starts, Py_ssize_t n,      \
                    const uint8_t *table, Py_ssize_t rows, int capital_col, int colon_col,   \
                    int64_t *out) {                                                          \
        const int cap_sh = byte_shift(capital_col), colon_sh = byte_shift(colon_col);        \
        const uint64_t cap_keep = ~((uint64_t)0xFF << cap_sh);                               \
        const uint64_t colon_keep = ~((uint64_t)0xFF << colon_sh);                           \
        Py_ssize_t sep_from = 0; /* where finditer resumes for _SEPARATORS */                \
        for (Py_ssize_t line = 0; line < n; line++) {                                        \
            int64_t *row = out + line * OUT_WIDTH;                                           \
            int64_t acc[N_CLASSES] = {0};                                                    \
            uint64_t even = 0, odd = 0;                                                      \
            int pending = 0;                                                                 \
            Py_ssize_t end = line + 1 < n ? (Py_ssize_t)starts[line + 1] : len + 1;          \
            for (Py_ssize_t i = (Py_ssize_t)starts[line]; i < end; i++) {                    \
                Py_UCS4 c = i < len ? (Py_UCS4)s[i] : '\n'; /* blob + "\n" */                \
                if (sizeof(TYPE) > 1 && c - 0xD800u < 0x800u)                                \
                    return 0;                                                                \
                Py_ssize_t r = (Py_ssize_t)c < rows - 1 ? (Py_ssize_t)c : rows - 1;          \
                uint64_t v;                                                                  \
                memcpy(&v, table + r * N_CLASSES, sizeof v);                                 \
                /* capital &= after_break; colon &= next is "\n" (not at the virtual one) */ \
                Py_UCS4 before = i > 0 ? (Py_UCS4)s[i - 1] : '\n';                           \
                v &= cap_keep | ((uint64_t)(before == ' ' || before == '\n') << cap_sh);     \
                if (i < len)                                                                 \
                    v &= colon_keep |                                                        \
                         ((uint64_t)(i + 1 == len || s[i + 1] == '\n') << colon_sh);         \
                even += v & LANES;                                                           \
                odd += (v >> 8) & LANES;                                                     \
                if (++pending == FLUSH_EVERY) {                                              \
                    flush(&even, &odd, acc);                                                 \
                    pending = 0;                                                             \
                }                                                                            \
                if (i == len || (c < 128 ? !ascii_special[c] : !is_mark(c)))                 \
                    continue;                                                                \
                if (is_mark(c)) {                                                            \
                    Py_ssize_t j = i + 1;                                                    \
                    while (j < len && is_closer((Py_UCS4)s[j]))                              \
                        j++;                                                                 \
                    if (j == len) {                                                          \
                        row[COL_SENT_END]++;                                                 \
                        row[COL_ENDS_SENT]++;                                                \
                    } else {                                                                 \
                        Py_UCS4 after = (Py_UCS4)s[j];                                       \
                        if (Py_UNICODE_ISSPACE(after))                                       \
                            row[COL_SENT_END]++;                                             \
                        if (after == '\n')                                                   \
                            row[COL_ENDS_SENT]++;                                            \
                    }                                                                        \
                } else if (i >= sep_from && i + 2 < len && s[i + 2] == ' ' &&                \
                           is_separator((Py_UCS4)s[i + 1])) { /* c is ' ' */                 \
                    row[COL_SEPARATORS]++;                                                   \
                    sep_from = i + 3;                                                        \
                }                                                                            \
            }                                                                                \
            flush(&even, &odd, acc);                                                         \
            memcpy(row, acc, sizeof acc);                                                    \
        }                                                                                    \
        return 1;                                                                            \
    }

DEFINE_SCAN_BLOB(scan_blob_1, Py_UCS1)
DEFINE_SCAN_BLOB(scan_blob_2, Py_UCS2)
DEFINE_SCAN_BLOB(scan_blob_4, Py_UCS4)

/* finditer of _BOILER_WORDS over lower, counted per line of blob's starts. */
#define DEFINE_SCAN_LOWER(NAME, TYPE)                                                        \
    static void NAME(const TYPE *s, Py_ssize_t len, const int64_t *starts, Py_ssize_t n,     \
                     const Literals *L, int64_t *out) {                                      \
        Py_ssize_t line = 0;                                                                 \
        Py_ssize_t boundary = n > 1 ? (Py_ssize_t)starts[1] : PY_SSIZE_T_MAX;                \
        Py_ssize_t p = 0;                                                                    \
        while (p < len) {                                                                    \
            Py_UCS4 c = (Py_UCS4)s[p];                                                       \
            Py_ssize_t k = first_literal(L, c);                                              \
            Py_ssize_t found = -1;                                                           \
            int at_boundary = -1; /* \b at p, computed when needed */                        \
            while (k >= 0) {                                                                 \
                Py_ssize_t m = L->len[k];                                                    \
                int bounded = k < L->n_bounded;                                              \
                if (bounded) {                                                               \
                    if (at_boundary < 0)                                                     \
                        at_boundary = (p > 0 && is_word((Py_UCS4)s[p - 1])) != is_word(c);  \
                    if (!at_boundary) { /* no term can match here */                         \
                        k = L->unbounded[k];                                                 \
                        continue;                                                            \
                    }                                                                        \
                }                                                                            \
                if (m <= len - p) { /* the first code point matches (the chain's) */        \
                    const Py_UCS4 *lit = L->cps + L->start[k];                               \
                    Py_ssize_t q = 1;                                                        \
                    while (q < m && (Py_UCS4)s[p + q] == lit[q])                             \
                        q++;                                                                 \
                    if (q == m && (!bounded || is_word(lit[m - 1]) !=                        \
                                                   (p + m < len && is_word((Py_UCS4)s[p + m])))) { \
                        found = m;                                                           \
                        break;                                                               \
                    }                                                                        \
                }                                                                            \
                k = L->next[k];                                                              \
            }                                                                                \
            if (found < 0) {                                                                 \
                p++;                                                                         \
                continue;                                                                    \
            }                                                                                \
            while (p >= boundary) {                                                          \
                line++;                                                                      \
                boundary = line + 1 < n ? (Py_ssize_t)starts[line + 1] : PY_SSIZE_T_MAX;    \
            }                                                                                \
            out[line * OUT_WIDTH + COL_BOILER]++;                                            \
            p += found;                                                                      \
        }                                                                                    \
    }

DEFINE_SCAN_LOWER(scan_lower_1, Py_UCS1)
DEFINE_SCAN_LOWER(scan_lower_2, Py_UCS2)
DEFINE_SCAN_LOWER(scan_lower_4, Py_UCS4)

static PyObject *counts(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *blob, *lower, *starts_obj, *table_obj, *literals, *out_obj;
    int capital_col, colon_col;
    Py_ssize_t n_bounded;
    if (!PyArg_ParseTuple(args, "UUOOiiOnO", &blob, &lower, &starts_obj, &table_obj,
                          &capital_col, &colon_col, &literals, &n_bounded, &out_obj))
        return NULL;
    Buf starts = {0}, table = {0}, out = {0};
    Literals L;
    int have_literals = 0;
    PyObject *result = NULL;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(blob) < 0 || PyUnicode_READY(lower) < 0)
        return NULL;
#endif
    if (capital_col < 0 || capital_col >= N_CLASSES || colon_col < 0 || colon_col >= N_CLASSES) {
        PyErr_SetString(PyExc_ValueError, "capital_col and colon_col must be column numbers");
        goto done;
    }
    if (get(starts_obj, &starts, "ql", 8, 0, "starts") < 0 ||
        get(table_obj, &table, "B", 1, 0, "table") < 0 ||
        get(out_obj, &out, "ql", 8, 1, "out") < 0)
        goto done;
    if (table.view.ndim != 2 || table.view.shape[1] != N_CLASSES || table.view.shape[0] < 1) {
        PyErr_SetString(PyExc_ValueError, "table must be 2-d with 8 columns");
        goto done;
    }
    Py_ssize_t n = starts.view.len / 8, len = PyUnicode_GET_LENGTH(blob);
    if (n < 1 || out.view.len / 8 != n * OUT_WIDTH) {
        PyErr_SetString(PyExc_ValueError, "out must hold 12 counts per line, for 1 line or more");
        goto done;
    }
    const int64_t *st = starts.view.buf;
    if (st[0] != 0 || st[n - 1] > len) {
        PyErr_SetString(PyExc_ValueError, "starts must begin at 0 and stay within blob");
        goto done;
    }
    for (Py_ssize_t i = 1; i < n; i++)
        if (st[i] <= st[i - 1]) {
            PyErr_SetString(PyExc_ValueError, "starts must be strictly increasing");
            goto done;
        }
    if (load_literals(literals, n_bounded, &L) < 0)
        goto done;
    have_literals = 1;

    int64_t *dst = out.view.buf;
    const uint8_t *tab = table.view.buf;
    Py_ssize_t rows = table.view.shape[0];
    int blob_kind = PyUnicode_KIND(blob), lower_kind = PyUnicode_KIND(lower);
    const void *blob_data = PyUnicode_DATA(blob), *lower_data = PyUnicode_DATA(lower);
    Py_ssize_t lower_len = PyUnicode_GET_LENGTH(lower);
    int ok;
    Py_BEGIN_ALLOW_THREADS
    memset(dst, 0, sizeof(int64_t) * (size_t)(n * OUT_WIDTH));
    if (blob_kind == PyUnicode_1BYTE_KIND)
        ok = scan_blob_1(blob_data, len, st, n, tab, rows, capital_col, colon_col, dst);
    else if (blob_kind == PyUnicode_2BYTE_KIND)
        ok = scan_blob_2(blob_data, len, st, n, tab, rows, capital_col, colon_col, dst);
    else
        ok = scan_blob_4(blob_data, len, st, n, tab, rows, capital_col, colon_col, dst);
    if (ok) {
        if (lower_kind == PyUnicode_1BYTE_KIND)
            scan_lower_1(lower_data, lower_len, st, n, &L, dst);
        else if (lower_kind == PyUnicode_2BYTE_KIND)
            scan_lower_2(lower_data, lower_len, st, n, &L, dst);
        else
            scan_lower_4(lower_data, lower_len, st, n, &L, dst);
    }
    Py_END_ALLOW_THREADS
    result = PyBool_FromLong(ok);
done:
    if (have_literals)
        free_literals(&L);
    release(&starts);
    release(&table);
    release(&out);
    return result;
}

/*
 * groups(lines, levels, out) -> None
 *
 * features.line_groups without its Python loop: for line i, out[i] holds the
 * first `levels` of line.ancestors, padded with -1 - i, then the number of
 * line.path in order of first appearance (-1 - i for an empty path). out is a
 * writable int64 array of len(lines) * (levels + 1) entries.
 */
static PyObject *groups(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *lines, *out_obj;
    int levels;
    if (!PyArg_ParseTuple(args, "OiO", &lines, &levels, &out_obj))
        return NULL;
    if (!PyTuple_Check(lines) && !PyList_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "groups: lines must be a tuple or list");
        return NULL;
    }
    if (levels < 0) {
        PyErr_SetString(PyExc_ValueError, "groups: levels must be >= 0");
        return NULL;
    }
    Buf out = {0};
    if (get(out_obj, &out, "ql", 8, 1, "out") < 0)
        return NULL;
    PyObject *result = NULL, *paths = PyDict_New();
    PyObject *seq = PySequence_Fast(lines, "groups: lines must be a sequence");
    if (paths == NULL || seq == NULL)
        goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), width = (Py_ssize_t)levels + 1;
    if (out.view.len / 8 != n * width) {
        PyErr_SetString(PyExc_ValueError, "groups: out has the wrong size");
        goto done;
    }
    int64_t *dst = out.view.buf;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t alone = -1 - (int64_t)i, *row = dst + i * width;
        PyObject *anc = PyObject_GetAttrString(items[i], "ancestors");
        if (anc == NULL)
            goto done;
        if (!PyTuple_Check(anc)) {
            Py_DECREF(anc);
            PyErr_SetString(PyExc_TypeError, "groups: Line.ancestors must be a tuple");
            goto done;
        }
        Py_ssize_t have = PyTuple_GET_SIZE(anc);
        for (Py_ssize_t k = 0; k < levels; k++) {
            if (k < have) {
                long long v = PyLong_AsLongLong(PyTuple_GET_ITEM(anc, k));
                if (v == -1 && PyErr_Occurred()) {
                    Py_DECREF(anc);
                    goto done;
                }
                row[k] = (int64_t)v;
            } else {
                row[k] = alone;
            }
        }
        Py_DECREF(anc);
        PyObject *path = PyObject_GetAttrString(items[i], "path");
        if (path == NULL)
            goto done;
        int truth = PyObject_IsTrue(path);
        if (truth < 0) {
            Py_DECREF(path);
            goto done;
        }
        if (!truth) {
            row[levels] = alone;
        } else {
            PyObject *next = PyLong_FromSsize_t(PyDict_GET_SIZE(paths));
            PyObject *id = next ? PyDict_SetDefault(paths, path, next) : NULL;  /* borrowed */
            Py_XDECREF(next);
            long long v = id ? PyLong_AsLongLong(id) : -1;
            if (id == NULL || (v == -1 && PyErr_Occurred())) {
                Py_DECREF(path);
                goto done;
            }
            row[levels] = (int64_t)v;
        }
        Py_DECREF(path);
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    Py_XDECREF(seq);
    Py_XDECREF(paths);
    release(&out);
    return result;
}

/* True when code point c is one of the code points of str set. */
static int in_set(PyObject *set, Py_UCS4 c) {
    return PyUnicode_FindChar(set, c, 0, PyUnicode_GET_LENGTH(set), 1) >= 0;
}

/*
 * line_starts(blob, starts, lower, bullet_chars, only_chars, quote_chars,
 *             byline_words, out) -> None
 *
 * The four patterns of features._text_block anchored at a line's start, for
 * blocks where no line holds a newline (the caller checks), so ^ and $ can
 * only match at a line's ends. Per line, into out (uint8, 4 per line):
 *   0 _BULLET:      a bullet_chars character, or 1 to 3 decimal digits (\d:
 *                   Py_UNICODE_ISDECIMAL) then "." or ")"; then " " or the
 *                   line's end (the regex's backtracking cannot do more);
 *   1 _BULLET_ONLY: 1 to 4 characters, each in only_chars or a decimal digit;
 *   2 _QUOTE_START: the first character is in quote_chars;
 *   3 _BYLINE:      lower (lower-cased blob, same positions; None skips this
 *                   column) starts the line with one of byline_words, then
 *                   one or more " ", then a character that is not whitespace.
 */
static PyObject *line_starts(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *blob, *starts_obj, *lower, *bullet_chars, *only_chars, *quote_chars, *words, *out_obj;
    if (!PyArg_ParseTuple(args, "UOOUUUO!O", &blob, &starts_obj, &lower, &bullet_chars,
                          &only_chars, &quote_chars, &PyTuple_Type, &words, &out_obj))
        return NULL;
    if (lower != Py_None && (!PyUnicode_Check(lower) ||
                             PyUnicode_GET_LENGTH(lower) != PyUnicode_GET_LENGTH(blob))) {
        PyErr_SetString(PyExc_ValueError, "line_starts: lower must be None or as long as blob");
        return NULL;
    }
    Py_ssize_t n_words = PyTuple_GET_SIZE(words);
    for (Py_ssize_t w = 0; w < n_words; w++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(words, w))) {
            PyErr_SetString(PyExc_TypeError, "line_starts: byline_words must be strings");
            return NULL;
        }
    Buf starts = {0}, out = {0};
    PyObject *result = NULL;
    if (get(starts_obj, &starts, "ql", 8, 0, "starts") < 0 || get(out_obj, &out, "B?", 1, 1, "out") < 0)
        goto done;
    Py_ssize_t n = starts.view.len / 8, size = PyUnicode_GET_LENGTH(blob);
    if (out.view.len != 4 * n) {
        PyErr_SetString(PyExc_ValueError, "line_starts: out must hold 4 entries per line");
        goto done;
    }
    const int64_t *S = starts.view.buf;
    uint8_t *dst = out.view.buf;
    int kind = PyUnicode_KIND(blob);
    const void *data = PyUnicode_DATA(blob);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t lo = (Py_ssize_t)S[i], hi = i + 1 < n ? (Py_ssize_t)S[i + 1] - 1 : size;
        if (lo < 0 || hi > size || hi < lo) {
            PyErr_SetString(PyExc_ValueError, "line_starts: starts out of order or range");
            goto done;
        }
        Py_ssize_t len = hi - lo;
        uint8_t *row = dst + 4 * i;
        row[0] = row[1] = row[2] = row[3] = 0;
        if (len == 0)
            continue;
        Py_UCS4 first = PyUnicode_READ(kind, data, lo);
        /* _BULLET */
        if (in_set(bullet_chars, first)) {
            row[0] = len == 1 || PyUnicode_READ(kind, data, lo + 1) == ' ';
        } else {
            Py_ssize_t r = 0;
            while (r < len && r < 4 && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, lo + r)))
                r++;
            if (r >= 1 && r <= 3 && r < len) {
                Py_UCS4 mark = PyUnicode_READ(kind, data, lo + r);
                if (mark == '.' || mark == ')')
                    row[0] = r + 1 == len || PyUnicode_READ(kind, data, lo + r + 1) == ' ';
            }
        }
        /* _BULLET_ONLY */
        if (len <= 4) {
            int all = 1;
            for (Py_ssize_t k = 0; k < len && all; k++) {
                Py_UCS4 c = PyUnicode_READ(kind, data, lo + k);
                all = Py_UNICODE_ISDECIMAL(c) || in_set(only_chars, c);
            }
            row[1] = (uint8_t)all;
        }
        /* _QUOTE_START */
        row[2] = (uint8_t)in_set(quote_chars, first);
        /* _BYLINE */
        if (lower != Py_None) {
            int lkind = PyUnicode_KIND(lower);
            const void *ldata = PyUnicode_DATA(lower);
            for (Py_ssize_t w = 0; w < n_words && !row[3]; w++) {
                PyObject *word = PyTuple_GET_ITEM(words, w);
                Py_ssize_t wl = PyUnicode_GET_LENGTH(word), k = 0;
                if (wl >= len)
                    continue;
                while (k < wl && PyUnicode_READ(lkind, ldata, lo + k) == PyUnicode_READ_CHAR(word, k))
                    k++;
                if (k < wl)
                    continue;
                Py_ssize_t j = lo + wl;
                while (j < hi && PyUnicode_READ(lkind, ldata, j) == ' ')
                    j++;
                row[3] = j > lo + wl && j < hi && !Py_UNICODE_ISSPACE(PyUnicode_READ(lkind, ldata, j));
            }
        }
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    release(&starts);
    release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"line_starts", line_starts, METH_VARARGS,
     "line_starts(blob, starts, lower, bullet_chars, only_chars, quote_chars, byline_words, out)\n"
     "_BULLET, _BULLET_ONLY, _QUOTE_START and _BYLINE at each line's start into out (uint8, 4 per line)."},
    {"groups", groups, METH_VARARGS,
     "groups(lines, levels, out)\n"
     "features.line_groups' keys of every line into out (int64, levels + 1 per line)."},
    {"counts", counts, METH_VARARGS,
     "counts(blob, lower, starts, table, capital_col, colon_col, literals, n_bounded, out) -> bool\n"
     "Per-line class counts and regex match counts of features._text_block into out\n"
     "(int64, 12 per line); False when the caller must run the reference instead."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_cfeatures", "Per-line text counts in C (see features.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__cfeatures(void) { return PyModule_Create(&module); }
