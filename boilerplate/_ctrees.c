/*
 * boilerplate._ctrees: the raw log-odds of a boosted forest, in C.
 *
 * An optional speed-up of boilerplate.trees.Forest.raw (the numpy version
 * there is the reference and the fallback when this module is not built).
 * It computes exactly what the numpy code computes, bit for bit:
 *
 *   - a row goes right at a split when x > threshold, or when x is NaN and
 *     the split sends missing values right (go_right_if_nan);
 *   - the leaf values are added tree after tree onto the baseline, in
 *     boosting order, in double precision (as numpy's cumsum along a row).
 *
 * Build flags must not allow reassociation (no -ffast-math): the order of
 * the additions is part of the result.
 *
 * Everything comes in through the buffer protocol, so the build needs the
 * Python headers only (no numpy headers). The caller (trees.py) checks the
 * arrays once when the forest is loaded (children after parents, features
 * in range, leaves point at themselves); this module checks dtypes, sizes
 * and that every node index it follows stays in range, so a malformed forest
 * raises instead of reading out of bounds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

#include "_cbuf.h"
#include <stdint.h>
#include <string.h>

/* Rows walked down one tree side by side. */
#define BLOCK 16
/* Rows of X read by every tree before the next rows: 256 rows of a few
 * hundred bytes stay in the L2 cache. */
#define CHUNK_ROWS 256

/* True when every row of the block sits on a leaf (the rest of the steps
 * would change nothing). */
static inline int all_leaves(const int64_t *node, Py_ssize_t n, const char *L) {
    int done = 1;
    for (Py_ssize_t k = 0; k < n; k++)
        done &= L[node[k]];
    return done;
}

/* Take the block's n rows (node[], from x) down one tree, `depth` steps at
 * most, stopping early once all of them sit on leaves; TYPE is the element
 * type of X and of the thresholds. */
#define DESCEND(TYPE)                                                          \
    do {                                                                       \
        const TYPE *T = thr.view.buf;                                          \
        const TYPE *x = (const TYPE *)X.view.buf + lo * width;                 \
        for (int32_t s = 0; s < depth; s++) {                                  \
            for (Py_ssize_t k = 0; k < n; k++) {                               \
                int64_t i = node[k];                                           \
                TYPE v = x[k * width + F[i]];                                  \
                node[k] = C[i] + ((v > T[i]) | (isnan(v) & NR[i]));            \
            }                                                                  \
            if ((s & 3) == 3 && all_leaves(node, n, L))                        \
                break;                                                         \
        }                                                                      \
    } while (0)

/*
 * raw(X, feature, threshold, child, is_leaf, go_right_if_nan, value, roots,
 *     depth, baseline, out) -> None
 *
 * X: (rows, n_features) float32 ('f') or float64 ('d'), C-contiguous;
 * threshold: float32 when X is float32, float64 otherwise; feature int32;
 * child, roots int64; is_leaf, go_right_if_nan bool; value float64;
 * depth: int32 per tree, the most splits on a path from its root (a row
 * that reached a leaf stays there: a leaf is its own child with a +inf
 * threshold, and NaN does not go right at a leaf), so every row takes exactly
 * depth steps down a tree;
 * out: writable float64 of length rows.
 */
static PyObject *raw(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *o[10];
    double baseline;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOdO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5],
                          &o[6], &o[7], &o[9], &baseline, &o[8]))
        return NULL;
    Buf X = {0}, feat = {0}, thr = {0}, child = {0}, leaf = {0}, nanr = {0}, val = {0},
        roots = {0}, steps = {0}, out = {0};
    PyObject *result = NULL;
    if (PyObject_GetBuffer(o[0], &X.view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    X.held = 1;
    const char *xf = X.view.format ? X.view.format : "B";
    if (xf[0] == '<' || xf[0] == '=' || xf[0] == '@')
        xf++;
    int is32;
    if (strcmp(xf, "f") == 0)
        is32 = 1;
    else if (strcmp(xf, "d") == 0)
        is32 = 0;
    else {
        PyErr_Format(PyExc_TypeError, "X: expected float32 or float64, got %s", xf);
        goto done;
    }
    if (X.view.ndim != 2) {
        PyErr_SetString(PyExc_ValueError, "X must be 2-d");
        goto done;
    }
    if (get(o[1], &feat, "il", 4, 0, "feature") < 0 || get(o[2], &thr, is32 ? "f" : "d", is32 ? 4 : 8, 0, "threshold") < 0 ||
        get(o[3], &child, "ql", 8, 0, "child") < 0 || get(o[4], &leaf, "?", 1, 0, "is_leaf") < 0 ||
        get(o[5], &nanr, "?", 1, 0, "go_right_if_nan") < 0 || get(o[6], &val, "d", 8, 0, "value") < 0 ||
        get(o[7], &roots, "ql", 8, 0, "roots") < 0 || get(o[9], &steps, "il", 4, 0, "depth") < 0 ||
        get(o[8], &out, "d", 8, 1, "out") < 0)
        goto done;
    Py_ssize_t rows = X.view.shape[0], width = X.view.shape[1];
    Py_ssize_t n_nodes = feat.view.len / (Py_ssize_t)sizeof(int32_t);
    Py_ssize_t n_trees = roots.view.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t thr_size = is32 ? (Py_ssize_t)sizeof(float) : (Py_ssize_t)sizeof(double);
    if (thr.view.len / thr_size != n_nodes || child.view.len / 8 != n_nodes ||
        leaf.view.len != n_nodes || nanr.view.len != n_nodes || val.view.len / 8 != n_nodes ||
        out.view.len / 8 != rows || steps.view.len / 4 != n_trees) {
        PyErr_SetString(PyExc_ValueError, "arrays of different lengths");
        goto done;
    }
    const int32_t *F = feat.view.buf;
    const int64_t *C = child.view.buf, *R = roots.view.buf;
    const int32_t *D = steps.view.buf;
    const char *L = leaf.view.buf, *NR = nanr.view.buf;
    const double *V = val.view.buf;
    double *dst = out.view.buf;
    /* Validate every index the traversal can follow, once per call (cheap
     * next to the traversal): a malformed forest raises, it never reads out
     * of bounds. A leaf must be its own child and never go right. */
    for (Py_ssize_t t = 0; t < n_trees; t++)
        if (R[t] < 0 || R[t] >= n_nodes || D[t] < 0)
            goto bad;
    for (Py_ssize_t i = 0; i < n_nodes; i++) {
        if (F[i] < 0 || F[i] >= width)
            goto bad;
        if (L[i] ? (C[i] != i || NR[i]) : (C[i] <= i || C[i] + 1 >= n_nodes))
            goto bad;
    }

    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows; r++)
        dst[r] = baseline;
    /* Rows a chunk at a time, so that the chunk's rows of X stay in the CPU
     * cache while every tree reads them (on a huge page, a pass of each tree
     * over all of X went to memory 200 times). Within a chunk, tree after tree
     * (so each row's sum keeps boosting order), a block of rows at a time: the
     * rows' walks are independent, so the CPU overlaps their loads instead of
     * waiting on one chain of dependent loads. */
    for (Py_ssize_t chunk = 0; chunk < rows; chunk += CHUNK_ROWS) {
      const Py_ssize_t chunk_end = rows - chunk < CHUNK_ROWS ? rows : chunk + CHUNK_ROWS;
      for (Py_ssize_t t = 0; t < n_trees; t++) {
        const int32_t depth = D[t];
        for (Py_ssize_t lo = chunk; lo < chunk_end; lo += BLOCK) {
            const Py_ssize_t n = chunk_end - lo < BLOCK ? chunk_end - lo : BLOCK;
            int64_t node[BLOCK];
            for (Py_ssize_t k = 0; k < n; k++)
                node[k] = R[t];
            if (is32)
                DESCEND(float);
            else
                DESCEND(double);
            for (Py_ssize_t k = 0; k < n; k++)
                dst[lo + k] += V[node[k]];
        }
      }
    }
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
    goto done;
bad:
    PyErr_SetString(PyExc_ValueError, "malformed forest: a node index out of range");
done:
    release(&X);
    release(&feat);
    release(&thr);
    release(&child);
    release(&leaf);
    release(&nanr);
    release(&val);
    release(&roots);
    release(&steps);
    release(&out);
    return result;
}

/*
 * expit(raw, out) -> None: out[i] = 1 / (1 + exp(-raw[i])), exp(-raw[i]) taken
 * as +inf when -raw[i] >= 709 (as trees._expit does with math.exp: the C
 * library's exp, like SciPy's expit; numpy's own exp differs in the last bit).
 */
static PyObject *expit(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *raw_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "OO", &raw_obj, &out_obj))
        return NULL;
    Buf raw = {0}, out = {0};
    PyObject *result = NULL;
    if (get(raw_obj, &raw, "d", 8, 0, "raw") < 0 || get(out_obj, &out, "d", 8, 1, "out") < 0)
        goto done;
    if (raw.view.len != out.view.len) {
        PyErr_SetString(PyExc_ValueError, "raw and out of different lengths");
        goto done;
    }
    const double *r = raw.view.buf;
    double *o = out.view.buf;
    Py_ssize_t n = raw.view.len / (Py_ssize_t)sizeof(double);
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = -r[i];
        double e = v < 709.0 ? exp(v) : INFINITY;
        o[i] = 1.0 / (1.0 + e);
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    release(&raw);
    release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"expit", expit, METH_VARARGS,
     "expit(raw, out)\nWrite 1 / (1 + exp(-raw)) into out, with the C library's exp."},
    {"raw", raw, METH_VARARGS,
     "raw(X, feature, threshold, child, is_leaf, go_right_if_nan, value, roots, depth, baseline, out)\n"
     "Write the forest's raw log-odds for every row of X into out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ctrees", "Boosted-forest prediction in C (see trees.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ctrees(void) { return PyModule_Create(&module); }
