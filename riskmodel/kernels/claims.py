"""Claims of one simulation: when, how much, and which survive their contract.

Every kernel pushes each claim as a record ``(cover, time, claim, loss,
component)`` straight into the chunk's flat record arrays, into the region of
its block (``claim_sink_nb``); ``settle_nb`` then cancels the claims of covers
that a contract's earlier claim prevented from ever running, compacts the
rest in place, adds them to the component totals in record order and moves
the block's cursor past them. ``out_rec`` holds:

- ``rec_start[i], rec_n[i]``  where simulation ``i``'s claims sit in the flat arrays, and how many;
- ``rec_cov``                 cover index; ``rec_t`` claim time in years from valuation;
- ``rec_claim``               claim paid (gross, reporting currency); ``rec_loss`` = claim x LGD;
- ``rec_comp``                0 call after default, 1 call without default, 2 credit;
- ``rec_claim``, ``rec_loss`` are in the run's perspective once settled (gross without risk transfer);
- ``rec_over[blk]``           1 when block ``blk`` ran out of room: the engine reruns the range with
                              fewer simulations (or more room), since draws depend only on ``sim``.

When the records are not kept (``keep`` false: nobody reads them after the
range), each simulation's claims reuse the start of its block's region, which
stays in cache, and ``rec_start``/``rec_n`` say only how many there were. If
no contract can cancel a claim either, no record is written at all: each
claim is added to its simulation's totals as it is pushed (in the order
``settle_nb`` would add it).

A cover's exposure at time ``t`` is its EAD times ``exposure_share_nb``: the
schedule's knots ``sch_t, sch_v`` (step, or linear where ``cv_linear``).
"""
import math

import numpy as np

from .distributions import beta_nb, ndtr_nb, ndtri_nb
from .jit import driver, helper
from .philox import STREAM_LGD, uniform_lane_nb
from .transfer import cede_nb

# numpy scalars, not ints: numba types an int constant passed to a function as a literal and compiles the
# function once per value; push_claim_nb (with the LGD draw inlined) three times per caller cost a cold start 6 s
COMP_DEFAULT_CALL = np.int64(0)
COMP_SOLVENT_CALL = np.int64(1)
COMP_CREDIT = np.int64(2)


@helper
def exposure_share_nb(m, k, t):
    """Outstanding share of cover ``k`` at time ``t`` inside its window."""
    lo = m.sch_ptr[k]
    hi = m.sch_ptr[k + 1]
    if hi - lo == 1:
        return m.sch_v[lo]
    if m.cv_linear[k]:
        if t <= m.sch_t[lo]:
            return m.sch_v[lo]
        for p in range(lo + 1, hi):
            if t < m.sch_t[p]:
                t0 = m.sch_t[p - 1]
                return m.sch_v[p - 1] + (m.sch_v[p] - m.sch_v[p - 1]) * (t - t0) / (m.sch_t[p] - t0)
        return m.sch_v[hi - 1]
    v = m.sch_v[lo]
    for p in range(lo + 1, hi):
        if m.sch_t[p] <= t:
            v = m.sch_v[p]
        else:
            break
    return v


@helper
def call_amount_nb(m, k, t, fxm):
    """The claim of cover ``k`` called at ``t``, before LGD (what a call costs the exporter)."""
    return ead_nb(m, k, fxm, t) * exposure_share_nb(m, k, t)


@helper
def solvent_call_time_nb(m, k, tau, w):
    """Time of a call without default on cover ``k`` whose probability draw ``w`` fell below ``P(call)``.

    Given acceptance ``w`` is uniform on ``(0, P)``, so the time where the
    cumulative intensity reaches ``-log(1 - w)`` has the call's conditional law.
    """
    a = m.cv_a[k]
    b = m.cv_b[k]
    te = tau[m.cv_exp[k]]
    solvent_end = b if te > b else te
    lam = -math.log1p(-w)
    rate = m.cv_rate[k]
    start = np.inf
    e = m.cv_event[k]
    if e >= 0 and tau[e] < solvent_end:
        start = tau[e] if tau[e] > a else a
    if start == np.inf or rate * (start - a) >= lam or m.cv_mult[k] <= 0.0:
        t = a + lam / rate
    else:
        t = start + (lam - rate * (start - a)) / (rate * m.cv_mult[k])
    if t >= solvent_end:
        t = np.nextafter(solvent_end, -np.inf)
    if t < a:
        t = a
    return t


@driver
def claim_sink_nb(m, out_rec, blk, n_blocks, keep):
    """Block ``blk``'s view of the record arrays: its region ``[lo, hi)``, a cursor, whether records are kept
    and whether they are written at all, each contract's earliest claim (scratch), the simulation's totals
    by component and its number of calls (when no record is written), and the risk-transfer layers' scratch
    (each claim's remaining loss, the pools and whether each pool's share is known), and contagion's scratch
    (each exporter's triggering cover, -1 for none) and the time of each call on a solvent exporter, held
    until contagion is known."""
    n_flat = out_rec[2].shape[0]
    n_layers = m.rt_kind.shape[0]
    bounds = np.empty(5, dtype=np.int64)
    bounds[0] = blk * n_flat // n_blocks  # cursor
    bounds[1] = (blk + 1) * n_flat // n_blocks  # end of the region
    bounds[2] = blk
    bounds[3] = 1 if keep else 0
    # records written: kept, or read back by contracts or layers
    bounds[4] = 1 if (keep or m.n_contracts > 0 or n_layers > 0) else 0
    n_pools = m.rt_n_units if n_layers > 0 else 1
    n_cov = max(m.cv_exp.shape[0], 1)
    return (out_rec[2], out_rec[3], out_rec[4], out_rec[5], out_rec[6], np.full(max(m.n_contracts, 1), np.inf),
            bounds, np.zeros(4), np.empty(n_cov if n_layers > 0 else 1), np.zeros(n_pools),
            np.zeros(n_pools, dtype=np.uint8),
            np.full(max(m.thr.shape[0], 1) if m.has_cap else 1, -1, dtype=np.int64),  # contagion: trigger cover
            np.empty(n_cov))  # each held call's time (sparse kernels)


@helper
def push_nb(sc, n, k, t, claim, loss, comp):
    """Record claim number ``n`` of the simulation (if the block has room), or only add it to the totals when
    no record is written; return ``n + 1``."""
    if sc[6][4] == 0:
        tot = sc[7]
        tot[comp] += loss
        if comp != COMP_CREDIT:
            tot[3] += 1.0
        return n + 1
    p = sc[6][0] + n
    if p < sc[6][1]:
        sc[0][p] = k
        sc[1][p] = t
        sc[2][p] = claim
        sc[3][p] = loss
        sc[4][p] = comp
    return n + 1


@helper
def ead_nb(m, k, fxm, t):
    """Cover ``k``'s exposure in the reporting currency at time ``t`` in this simulation: a risky currency's
    rate is multiplied by the lognormal ``exp(v sqrt(t) y - v^2 t / 2)`` (mean 1), ``y`` its driver (``fxm``)
    and ``v`` its annual volatility, so the shock's dispersion grows with the claim's date."""
    c = m.cv_ccy[k]
    if c >= 0:
        s = m.fx_vol[c] * m.fx_vol[c] * (t if t > 0.0 else 0.0)
        return m.cv_ead[k] * math.exp(math.sqrt(s) * fxm[c] - 0.5 * s)
    return m.cv_ead[k]


@helper
def _lgd_nb(mean, a, b, k0, k1, sim, item):
    if a > 0.0:
        return beta_nb(a, b, k0, k1, sim, STREAM_LGD, item)
    return mean


@helper
def downturn_lgd_nb(m, k0, k1, sim, k, z):
    """Cover ``k``'s downturn LGD after default, ``Phi(c - s_coef s + e_coef eps)``: ``s`` its defaulting
    obligor's systematic part ``sum beta Z`` (``model.downturn``), ``eps`` from lane ``2k``."""
    j = m.cv_imp[k] if m.cv_credit[k] else m.cv_exp[k]
    s = 0.0
    for p in range(m.load_ptr[j], m.load_ptr[j + 1]):
        s += m.load_val[p] * z[m.load_idx[p]]
    eps = ndtri_nb(uniform_lane_nb(k0, k1, sim, STREAM_LGD, 2 * k, 0))
    return ndtr_nb(m.cv_dt_c[k] - m.cv_dt_s[k] * s + m.cv_dt_e[k] * eps)


@helper
def push_claim_nb(m, k0, k1, sim, sc, n, k, t, z, fxm, comp):
    """The one place a claim becomes a loss and a record: cover ``k``'s exposure at time ``t`` in the reporting
    currency, times the LGD of its component (a call on a solvent exporter draws the solvent LGD from lane
    ``2k + 1``, any other claim the LGD after default from lane ``2k``: a beta, or with a downturn link one
    leaning on the factors ``z``); pushed as claim number ``n``."""
    claim = ead_nb(m, k, fxm, t) * exposure_share_nb(m, k, t)
    if comp == COMP_SOLVENT_CALL:
        lgd = _lgd_nb(m.cv_slgd_mean[k], m.cv_slgd_a[k], m.cv_slgd_b[k], k0, k1, sim, 2 * k + 1)
    elif m.cv_dt_e[k] > 0.0:
        lgd = downturn_lgd_nb(m, k0, k1, sim, k, z)
    else:
        lgd = _lgd_nb(m.cv_lgd_mean[k], m.cv_lgd_a[k], m.cv_lgd_b[k], k0, k1, sim, 2 * k)
    return push_nb(sc, n, k, t, claim, claim * lgd, comp)


@helper
def settle_nb(m, sc, n, i, tau, out_loss, out_count, out_rec):
    """Cancel claims of covers a contract's earlier claim stopped, apply the risk-transfer layers (``transfer``),
    total the rest in the run's perspective, keep them for ``i``."""
    cov, t, claim, loss, comp, dead, bounds, tot, net, pools, done = sc[:11]
    start = bounds[0]
    rec_start, rec_n, rec_over = out_rec[0], out_rec[1], out_rec[7]
    rec_start[i] = start
    if bounds[4] == 0:  # no records: the totals were added as the claims were pushed
        for c in range(3):
            out_loss[c] = tot[c]
            tot[c] = 0.0
        out_count[3] = int(tot[3])
        tot[3] = 0.0
        rec_n[i] = n
        return
    if start + n > bounds[1]:  # out of room: the range is rerun, these numbers are dropped
        rec_over[bounds[2]] = 1
        rec_n[i] = 0
        return
    end = start + n
    if m.n_contracts > 0:
        for r in range(start, end):
            c = m.cv_contract[cov[r]]
            if c >= 0 and t[r] < dead[c]:
                dead[c] = t[r]
        kept = start
        for r in range(start, end):
            c = m.cv_contract[cov[r]]
            if c >= 0 and m.cv_start0[cov[r]] > dead[c]:
                continue  # the cover starts after its contract ended: it never ran
            cov[kept] = cov[r]
            t[kept] = t[r]
            claim[kept] = claim[r]
            loss[kept] = loss[r]
            comp[kept] = comp[r]
            kept += 1
        for r in range(start, kept):
            c = m.cv_contract[cov[r]]
            if c >= 0:
                dead[c] = np.inf
        end = kept
    if m.rt_kind.shape[0] > 0:
        cede_nb(m, start, end, cov, t, claim, loss, net, pools, done, tau, out_loss)
    l_def = 0.0
    l_solv = 0.0
    l_cred = 0.0
    n_calls = 0
    for r in range(start, end):
        if comp[r] == COMP_DEFAULT_CALL:
            l_def += loss[r]
            n_calls += 1
        elif comp[r] == COMP_SOLVENT_CALL:
            l_solv += loss[r]
            n_calls += 1
        else:
            l_cred += loss[r]
    out_loss[0] = l_def
    out_loss[1] = l_solv
    out_loss[2] = l_cred
    out_count[3] = n_calls
    rec_n[i] = end - start
    if bounds[3]:
        bounds[0] = end
