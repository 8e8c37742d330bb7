"""Per-segment moments of the tail, over sparse claim records.

Names: ``ptr`` (rows + 1) points row ``i``'s records at ``ptr[i] .. ptr[i+1]``;
``seg[r]`` and ``x[r]`` are record ``r``'s segment and loss; ``b[i]`` the
row's coefficient (weight x tail indicator, zero to skip the row), ``s[i]``
its reference loss and ``h[i]`` its stratum.

For ``y[i, g] = b[i] (x[i, g] - v[g] s[i])`` with ``x[i, g]`` the row's loss
in segment ``g`` (zero where it has no record) this adds, per stratum and
segment, ``sum (y - m[h, g])^2`` over the rows with ``b != 0``: the second
pass of a two-pass variance (``m`` is the exact mean from the first pass).
Memory is one scratch vector of segments; time rows x segments.
"""
import numpy as np

from .jit import driver


@driver
def centred_squares_nb(ptr, seg, x, b, s, h, v, m, out):
    n_seg = v.shape[0]
    dense = np.zeros(n_seg)
    for i in range(ptr.shape[0] - 1):
        if b[i] == 0.0:
            continue
        for r in range(ptr[i], ptr[i + 1]):
            dense[seg[r]] += x[r]
        hi = h[i]
        for g in range(n_seg):
            d = b[i] * (dense[g] - v[g] * s[i]) - m[hi, g]
            out[hi, g] += d * d
        for r in range(ptr[i], ptr[i + 1]):
            dense[seg[r]] = 0.0


@driver
def segment_hits_nb(ptr, seg, x, pick, n_seg):
    """Per segment, how many rows with ``pick`` true hold a positive loss in it (each row counted once)."""
    hits = np.zeros(n_seg, dtype=np.int64)
    last = np.full(n_seg, -1, dtype=np.int64)
    for i in range(ptr.shape[0] - 1):
        if not pick[i]:
            continue
        for r in range(ptr[i], ptr[i + 1]):
            g = seg[r]
            if x[r] > 0.0 and last[g] != i:
                last[g] = i
                hits[g] += 1
    return hits
