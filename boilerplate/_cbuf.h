/*
 * Shared by declutter's C extensions (_ctrees.c, _cfeatures.c): typed access
 * to arrays through the buffer protocol, so that they build with Python.h
 * alone (no numpy headers).
 */
#ifndef DECLUTTER_CBUF_H
#define DECLUTTER_CBUF_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    Py_buffer view;
    int held;
} Buf;

static void release(Buf *b) {
    if (b->held) {
        PyBuffer_Release(&b->view);
        b->held = 0;
    }
}

/* A C-contiguous buffer with elements of `itemsize` bytes in one of the
 * struct formats `fmts` (any of its characters: "ql" with 8 accepts int64
 * whichever letter numpy uses for it). Raises TypeError otherwise. */
static int get(PyObject *obj, Buf *b, const char *fmts, Py_ssize_t itemsize, int writable,
               const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &b->view, flags) < 0)
        return -1;
    b->held = 1;
    const char *f = b->view.format ? b->view.format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@')
        f++;
    if (f[0] == '\0' || f[1] != '\0' || strchr(fmts, f[0]) == NULL || b->view.itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: expected format %s of %zd bytes, got %s", name, fmts,
                     itemsize, f);
        release(b);
        return -1;
    }
    return 0;
}

#endif
