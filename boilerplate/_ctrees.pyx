# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""``trees.Forest.raw``, compiled: a boosted forest's raw log-odds, bit for bit as the numpy path.

A row goes right at a split when x > threshold, or when x is NaN and the split
sends missing values right; each row's leaf values are added tree after tree
onto the baseline, in boosting order (as numpy's cumsum along a row, and as
scikit-learn's predict_proba). Built without -ffast-math: the order of the
additions is part of the result.

No bounds checks: ``Forest`` checks its arrays once (children after their
parent and inside the arrays, split features below n_features) and keeps
read-only copies, and ``Forest.raw`` checks X's width, so every walk down a
tree ends at a leaf without leaving the arrays.
"""

from libc.math cimport isnan
from libc.stdint cimport int32_t, int64_t, uint8_t

ctypedef fused real:
    float
    double


cdef enum:
    # Rows walked down one tree side by side: their chains of loads are
    # independent, so the CPU overlaps them (one row at a time waits on each).
    BLOCK = 16
    # Rows every tree reads before the next chunk: they stay in the CPU cache
    # (on a huge page, each tree's pass over all of X went to memory).
    CHUNK_ROWS = 256


def raw(const real[:, ::1] X, const int32_t[::1] feature, const real[::1] threshold,
        const int64_t[::1] child, const uint8_t[::1] is_leaf, const uint8_t[::1] nan_right,
        const double[::1] value, const int64_t[::1] roots, double baseline, double[::1] out):
    """Write the raw log-odds of every row of X into out (thresholds of X's float type)."""
    cdef Py_ssize_t r, t, lo, end, chunk = 0, n = X.shape[0]
    if out.shape[0] != n:
        raise ValueError("out and X have different numbers of rows")
    with nogil:
        for r in range(n):
            out[r] = baseline
        while chunk < n:
            end = min(chunk + CHUNK_ROWS, n)
            for t in range(roots.shape[0]):  # tree after tree: each row's sum keeps boosting order
                lo = chunk
                while lo < end:
                    _descend(X, lo, min(<Py_ssize_t> BLOCK, end - lo), roots[t], feature,
                             threshold, child, is_leaf, nan_right, value, out)
                    lo += BLOCK
            chunk = end


cdef void _descend(const real[:, ::1] X, Py_ssize_t lo, Py_ssize_t rows, int64_t root,
                   const int32_t[::1] feature, const real[::1] threshold, const int64_t[::1] child,
                   const uint8_t[::1] is_leaf, const uint8_t[::1] nan_right, const double[::1] value,
                   double[::1] out) noexcept nogil:
    """Rows lo .. lo + rows - 1 down one tree; each adds its leaf's value to out.

    Branch-free: a leaf is its own child with threshold +inf, so a row that
    reached one stays there while the others go on; every fourth step checks
    whether all have.
    """
    cdef int64_t node[BLOCK]
    cdef int64_t i
    cdef Py_ssize_t k, step = 0
    cdef real x
    cdef bint done
    for k in range(rows):
        node[k] = root
    while True:
        for k in range(rows):
            i = node[k]
            x = X[lo + k, feature[i]]
            node[k] = child[i] + (<int> (x > threshold[i]) | (<int> isnan(x) & nan_right[i]))
        step += 1
        if step & 3 == 0:
            done = True
            for k in range(rows):
                done &= is_leaf[node[k]]
            if done:
                break
    for k in range(rows):
        out[lo + k] += value[node[k]]
