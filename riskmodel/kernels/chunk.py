"""The chunk driver every kernel shares: blocks, scratch buffers, the claims sink and its overflow.

What one simulation does is its kernel's, chosen by the indexes the driver
is given: ``g is None`` the dense reference kernel (``one_year``), ``ip is
None`` the sparse kernel (``sparse``), else importance sampling
(``importance``). The choice is made on the arguments' types when the driver
compiles (``simulate_one_nb``'s overload), so each kernel compiles alone and
a run compiles only its own (a run-time branch had every importance-sampled
run compile the dense and sparse kernels too: a cold start 1.28x slower).

The chunk is cut into ``n_blocks`` blocks, one scratch buffer each; a
simulation's result never depends on its block, so any thread count or
block count gives the same numbers.
"""
import numpy as np
from numba import prange, types
from numba.extending import overload

from . import importance, one_year, sparse
from .claims import claim_sink_nb
from .jit import driver, helper


def simulate_one_nb(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i, out_loss,
                    out_count, out_rec):
    """One simulation on the kernel the indexes name; its likelihood-ratio weight (1 without importance
    sampling). This plain-Python body runs under ``NUMBA_DISABLE_JIT``; compiled, the overload below decides."""
    if g is None:
        one_year.simulate_one_nb(m, k0, k1, sim, z, tau, fxm, sc, i, out_loss, out_count, out_rec)
        return 1.0
    if ip is None:
        sparse.simulate_one_sparse_nb(m, g, k0, k1, sim, z, tau, dlist, called, clist, fxm, sc, i, out_loss,
                                      out_count, out_rec)
        return 1.0
    return importance.simulate_one_is_nb(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm,
                                         sc, i, out_loss, out_count, out_rec)


@overload(simulate_one_nb, inline="always")
def _simulate_one_by_type(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i,
                          out_loss, out_count, out_rec):
    dense_nb, sparse_nb, is_nb = one_year.simulate_one_nb, sparse.simulate_one_sparse_nb, importance.simulate_one_is_nb
    if isinstance(g, types.NoneType):
        def dense(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i, out_loss,
                  out_count, out_rec):
            dense_nb(m, k0, k1, sim, z, tau, fxm, sc, i, out_loss, out_count, out_rec)
            return 1.0
        return dense
    if isinstance(ip, types.NoneType):
        def sparse_one(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i, out_loss,
                       out_count, out_rec):
            sparse_nb(m, g, k0, k1, sim, z, tau, dlist, called, clist, fxm, sc, i, out_loss, out_count, out_rec)
            return 1.0
        return sparse_one

    def importance_one(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i, out_loss,
                       out_count, out_rec):
        return is_nb(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i, out_loss,
                     out_count, out_rec)
    return importance_one


@helper
def state_nb(m, g, z, tau, dlist, count, out_z, out_def):
    """Copy a finished simulation's factors and defaults: the dense kernel leaves every default time in
    ``tau``; the sparse kernels have reset it, but ``dlist`` still lists the defaulted latents (counted)."""
    for k in range(m.n_factors):
        out_z[k] = z[k]
    if g is None:
        for j in range(tau.shape[0]):
            if tau[j] < np.inf:
                out_def[j] = 1
    else:
        for ii in range(count[0] + count[1] + count[2]):
            out_def[dlist[ii]] = 1


@driver(parallel=True)
def simulate_chunk_nb(m, g, ip, k0, k1, sims, n_blocks, out_loss, out_count, out_weight, out_rec, keep, out_z,
                      out_def):
    """Simulations ``sims`` (their indices: any subset, in any order) into ``out_loss`` (n x 3), ``out_count``
    (n x 4), under importance sampling each one's likelihood-ratio weight into ``out_weight`` (empty
    otherwise), and their claims into ``out_rec`` (see ``claims``). ``out_z`` (n x factors) and ``out_def``
    (n x latents), when not empty, get each simulation's factors and which latents defaulted: the state a
    reverse stress test reads of the tail."""
    n = out_loss.shape[0]
    n_blocks = max(1, min(n, n_blocks))
    n_lat = m.thr.shape[0]
    n_cov = m.cv_exp.shape[0]
    weighted = out_weight.shape[0] > 0
    for blk in prange(n_blocks):
        lo = blk * n // n_blocks
        hi = (blk + 1) * n // n_blocks
        z = np.empty(max(m.n_factors, 1))
        tau = np.full(n_lat, np.inf)  # the sparse kernels restore it after each simulation; the dense overwrites it
        fxm = np.ones(max(m.fx_vol.shape[0], 1))
        dlist = np.empty(max(n_lat, 1), dtype=np.int64)
        called = np.zeros(max(n_cov, 1), dtype=np.uint8)
        clist = np.empty(max(n_cov, 1), dtype=np.int64)
        if ip is None:
            lr_ev = np.empty(1)
            s_grp = np.empty(1)
            p = np.empty(1)
        else:
            lr_ev = np.empty(max(ip.ev_lat.shape[0], 1))
            s_grp = np.empty(g.grp_ptr.shape[0])
            p = np.empty(ip.cls_thr.shape[0])
        sc = claim_sink_nb(m, out_rec, blk, n_blocks, keep)
        for i in range(lo, hi):
            if out_rec[7][blk] != 0:
                break  # the block ran out of room: its range is rerun, so stop spending time on it
            w = simulate_one_nb(m, g, ip, k0, k1, sims[i], z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i,
                                out_loss, out_count, out_rec)
            if weighted:
                out_weight[i] = w
            if out_z.shape[0] > 0:
                state_nb(m, g, z, tau, dlist, out_count[i], out_z[i], out_def[i])
