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


def raw(const real[:, ::1] X, const int32_t[::1] feature, const real[::1] threshold,
        const int64_t[::1] child, const uint8_t[::1] is_leaf, const uint8_t[::1] nan_right,
        const double[::1] value, const int64_t[::1] roots, double baseline, double[::1] out):
    """Write the raw log-odds of every row of X into out (thresholds of X's float type)."""
    cdef Py_ssize_t r, t, node
    cdef double total
    cdef real x
    cdef bint right
    if out.shape[0] != X.shape[0]:
        raise ValueError("out and X have different numbers of rows")
    with nogil:
        for r in range(X.shape[0]):
            total = baseline
            for t in range(roots.shape[0]):
                node = roots[t]
                while not is_leaf[node]:
                    x = X[r, feature[node]]
                    right = x > threshold[node] or (nan_right[node] != 0 and isnan(x))
                    node = child[node] + right
                total += value[node]
            out[r] = total
