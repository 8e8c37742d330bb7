"""Sparse one-year kernel: the same model as ``one_year``, at a cost that follows what happens.

Work per simulation grows with groups + defaults + calls, not with obligors
or covers. Four exact devices, three of them thinning of Bernoulli trials:

1. **Latent groups.** Latents sharing their loadings and idiosyncratic weight
   (and a narrow PD band) form a group, members sorted by threshold,
   highest first. Given the factors, member ``j`` defaults with
   ``p_j = Phi((thr_j / scale - s) / sigma)``, at most ``p_max = p_first``.
   Candidates arrive as Bernoulli(``p_max``) trials by geometric skipping;
   a candidate's second uniform ``v`` gives ``w = v p_max``, uniform on
   ``(0, p_max)``, and ``eps = Phi^-1(w)`` is exactly the idiosyncratic shock
   conditioned on ``eps < Phi^-1(p_max)``. The member defaults iff
   ``w < p_j`` (always when it has the group's threshold), i.e. iff its latent
   ``(s + sigma eps) scale`` is below its threshold; its default time follows
   from the latent as in the dense kernel. Times nobody reads (``lat_timed``
   is 0: see ``grouping.timed_latents``) are not computed, and the shock is
   drawn only when a time or a thinning needs it.
2. **Country events** hit the importers of their country, segment by segment
   (importers with the same probability ``q``), by geometric skipping.
3. **Calls when deliveries become impossible**: each event that strikes
   draws, for the guarantees of its country (``evc_ptr``), whether it calls
   them at the event time; a call without default that comes earlier wins.
4. **Calls without default** arrive per cover group (same rate, same event
   country, window lengths within a factor of two), bounded by the group's
   largest hazard and thinned to each cover's own hazard given its
   exporter's default time and the event time.

The calls on solvent exporters are held until ``contagion_sparse_nb`` knows
which of them broke a firm (the dense kernel's rule, step 5), then pushed. Calls after a default, credit losses and LGDs are then drawn
only for the covers of defaulted obligors, from the same streams as the dense kernel. The
sparse and dense kernels draw defaults from different streams: they agree in
distribution, not draw by draw (tested against exact results and each other).
"""
import math

import numpy as np

from .claims import (
    COMP_CREDIT,
    COMP_DEFAULT_CALL,
    COMP_SOLVENT_CALL,
    call_amount_nb,
    push_claim_nb,
    settle_nb,
    solvent_call_time_nb,
)
from .distributions import ndtr_nb, ndtri_nb
from .jit import helper
from .one_year import (
    LATENT_EVENT,
    _default_time_nb,
    delivery_call_time_nb,
    draw_factors_nb,
    fx_drivers_nb,
    solvent_hazard_nb,
    tally_nb,
)
from .philox import (
    STREAM_CALL,
    STREAM_CALL_GROUP,
    STREAM_EVENT_GROUP,
    STREAM_GROUP,
    STREAM_GROUP_SHOCK,
    uniform2_nb,
    uniform_lane_nb,
)


@helper
def advance_nb(pos, u, log_q, n):
    """Index of the next success after ``pos`` among ``n`` Bernoulli trials (``log(1 - p) = log_q``), or ``n``."""
    step = _skip_nb(u, log_q)
    if pos + 1 + step >= n:
        return n
    return pos + 1 + int(step)


@helper
def _skip_nb(u, log_q):
    """Failures before the next success of Bernoulli trials with ``log(1 - p) = log_q``, as a float.

    Kept in floating point and capped: with a tiny ``p`` the count exceeds any
    integer type, and the caller only compares it with a group's size.
    """
    if log_q == -np.inf:
        return 0.0
    q = math.log(u) / log_q
    if q >= 1e18:
        return 1e18
    return np.floor(q)


@helper
def group_defaults_nb(m, g, k0, k1, sim, z, scale, tau, dlist, nd):
    """Sample every group's defaults; append them to ``dlist``; return the new count."""
    for gi in range(g.grp_ptr.shape[0] - 1):
        lo = g.grp_ptr[gi]
        n_g = g.grp_ptr[gi + 1] - lo
        thr_max = m.thr[g.grp_mem[lo]]
        if thr_max == -np.inf:  # pd = 0 for every member
            continue
        s = 0.0
        for p in range(g.grp_load_ptr[gi], g.grp_load_ptr[gi + 1]):
            s += g.grp_load_val[p] * z[g.grp_load_idx[p]]
        sig = g.grp_idio[gi]  # > 0: validation keeps every latent's systematic share below 1
        p_max = ndtr_nb((thr_max / scale - s) / sig) if thr_max < np.inf else 1.0
        if p_max <= 0.0:
            continue
        log_q = math.log1p(-p_max) if p_max < 1.0 else -np.inf
        n_same = g.grp_n_same[gi]
        pos = -1
        cand = 0
        u_next = 0.0
        shock_blk = -1
        shock = (0.0, 0.0)
        while True:
            # one Philox block serves two candidates' skips, and another their shocks (drawn only when used)
            if cand & 1:
                u_skip = u_next
            else:
                u_skip, u_next = uniform2_nb(k0, k1, sim, STREAM_GROUP, gi, cand >> 1)
            pos = advance_nb(pos, u_skip, log_q, n_g)
            if pos >= n_g:
                break
            j = g.grp_mem[lo + pos]
            same = pos < n_same  # shares the group's top threshold: defaults for sure
            if same and not g.lat_timed[j]:  # and its time is never read
                tau[j] = 0.0
            else:
                if cand >> 1 != shock_blk:  # the shock of candidate c is lane c % 2 of block c // 2
                    shock_blk = cand >> 1
                    shock = uniform2_nb(k0, k1, sim, STREAM_GROUP_SHOCK, shock_blk, gi)
                w = (shock[1] if cand & 1 else shock[0]) * p_max  # uniform on (0, p_max)
                if not same and not w < ndtr_nb((m.thr[j] / scale - s) / sig):  # defaults iff w < p_j
                    cand += 1
                    continue
                tau[j] = _default_time_nb(m, j, (s + sig * ndtri_nb(w)) * scale) if g.lat_timed[j] else 0.0
            dlist[nd] = j
            nd += 1
            cand += 1
    return nd


@helper
def event_effects_nb(m, g, k0, k1, sim, tau, dlist, nd):
    """Importers hit by their country's event default at the event time, if earlier than their own."""
    nd0 = nd
    for ii in range(nd0):
        e = dlist[ii]
        if m.latent_type[e] != LATENT_EVENT:
            continue
        te = tau[e]
        for sg in range(g.ev_ptr[e], g.ev_ptr[e + 1]):
            q = g.seg_q[sg]
            if q <= 0.0:
                continue
            lo = g.seg_ptr[sg]
            n_s = g.seg_ptr[sg + 1] - lo
            log_q = math.log1p(-q) if q < 1.0 else -np.inf
            pos = -1
            draw = 0
            while True:
                u = uniform_lane_nb(k0, k1, sim, STREAM_EVENT_GROUP, sg, draw)
                draw += 1
                pos = advance_nb(pos, u, log_q, n_s)
                if pos >= n_s:
                    break
                j = g.seg_mem[lo + pos]
                if te < tau[j]:
                    if tau[j] == np.inf:
                        dlist[nd] = j
                        nd += 1
                    tau[j] = te
    return nd


@helper
def _held_time_nb(m, k, called, ct, tau):
    return ct[k] if called[k] == 1 else tau[m.cv_event[k]]


@helper
def contagion_sparse_nb(m, tau, dlist, nd, called, clist, nc, ct, trig, fxm):
    """Exporters a held call above their capacity puts into default (at the earliest such call; appended to
    ``dlist`` when they had not defaulted), and the held calls at or after such a default voided (those
    guarantees then follow the default branch). Returns the new number of defaults."""
    for i in range(nc):
        k = clist[i]
        j = m.cv_exp[k]
        if m.exp_cap[j] == np.inf:
            continue
        t = _held_time_nb(m, k, called, ct, tau)
        if t < tau[j] and call_amount_nb(m, k, t, fxm) > m.exp_cap[j]:
            if tau[j] == np.inf:
                dlist[nd] = j
                nd += 1
            tau[j] = t
            trig[j] = k
    for i in range(nc):
        k = clist[i]
        j = m.cv_exp[k]
        if trig[j] >= 0 and trig[j] != k and _held_time_nb(m, k, called, ct, tau) >= tau[j]:
            called[k] = 0
    return nd


@helper
def push_sparse_claims_nb(m, g, k0, k1, sim, tau, dlist, nd, called, clist, z, fxm, sc):
    """Calls without default by thinning, then the covers of defaulted obligors; claims pushed to ``sc``.

    Returns the number of claims pushed and the number of defaults (contagion may add some).
    """
    trig, ct = sc[11], sc[12]
    nc = 0
    n = 0
    for ii in range(nd if g.evc_cov.shape[0] > 0 else 0):  # events making delivery impossible: pending calls
        e = dlist[ii]
        if m.latent_type[e] != LATENT_EVENT:
            continue
        for p in range(g.evc_ptr[e], g.evc_ptr[e + 1]):
            k = g.evc_cov[p]
            if delivery_call_time_nb(m, k0, k1, sim, k, tau) < np.inf:
                called[k] = 2
                clist[nc] = k
                nc += 1
    for cg in range(g.cg_ptr.shape[0] - 1):
        bound = g.cg_hazard[cg]
        e = g.cg_event[cg]
        if e >= 0 and tau[e] < np.inf:
            bound *= g.cg_event_mult[cg]
        p_max = -math.expm1(-bound)
        if p_max <= 0.0:
            continue
        lo = g.cg_ptr[cg]
        n_c = g.cg_ptr[cg + 1] - lo
        log_q = math.log1p(-p_max) if p_max < 1.0 else -np.inf
        pos = -1
        draw = 0
        while True:
            u_skip, v = uniform2_nb(k0, k1, sim, STREAM_CALL_GROUP, cg, draw)
            draw += 1
            pos = advance_nb(pos, u_skip, log_q, n_c)
            if pos >= n_c:
                break
            k = g.cg_mem[lo + pos]
            w = v * p_max  # uniform on (0, P(call)) when accepted: it also gives the call's time
            if w < -math.expm1(-solvent_hazard_nb(m, k, tau)):
                t = solvent_call_time_nb(m, k, tau, w)
                if called[k] == 2 and t >= tau[m.cv_event[k]]:
                    continue  # the event's call came first
                if called[k] == 0:
                    clist[nc] = k
                    nc += 1
                called[k] = 1
                ct[k] = t  # held: pushed below, after contagion (one call site of push_claim_nb per loop)
    if m.has_cap:
        nd = contagion_sparse_nb(m, tau, dlist, nd, called, clist, nc, ct, trig, fxm)
    for i in range(nc):
        k = clist[i]
        if called[k] == 0:
            continue
        j = m.cv_exp[k]
        comp = COMP_SOLVENT_CALL
        if m.has_cap and trig[j] == k:  # the call that broke the firm: paid as a call after default
            t, comp = tau[j], COMP_DEFAULT_CALL
        elif called[k] == 2:
            t = tau[m.cv_event[k]]
        else:
            t = ct[k]
        n = push_claim_nb(m, k0, k1, sim, sc, n, k, t, z, fxm, comp)
    for ii in range(nd):
        j = dlist[ii]
        t = tau[j]
        for p in range(g.lc_ptr[j], g.lc_ptr[j + 1]):
            k = g.lc_cov[p]
            if not (m.cv_a[k] <= t < m.cv_b[k]):
                continue
            if m.cv_credit[k]:
                comp = COMP_CREDIT
            elif called[k] == 0 and (m.cv_p_call[k] >= 1.0 or
                                     uniform_lane_nb(k0, k1, sim, STREAM_CALL, 2 * k, 0) < m.cv_p_call[k]):
                comp = COMP_DEFAULT_CALL
            else:
                continue
            n = push_claim_nb(m, k0, k1, sim, sc, n, k, t, z, fxm, comp)
    for i in range(nc):
        called[clist[i]] = 0
        if m.has_cap:
            trig[m.cv_exp[clist[i]]] = -1
    return n, nd


@helper
def count_and_reset_nb(m, tau, dlist, nd, out_count):
    """Count defaults by latent type and restore ``tau`` to all-infinite."""
    ne = 0
    ni = 0
    nc = 0
    for ii in range(nd):
        j = dlist[ii]
        ne, ni, nc = tally_nb(m, j, ne, ni, nc)
        tau[j] = np.inf
    out_count[0] = ne
    out_count[1] = ni
    out_count[2] = nc


@helper
def simulate_one_sparse_nb(m, g, k0, k1, sim, z, tau, dlist, called, clist, fxm, sc, i, out_loss, out_count,
                           out_rec):
    scale = draw_factors_nb(m, k0, k1, sim, z)
    fx_drivers_nb(m, z, fxm)
    nd = group_defaults_nb(m, g, k0, k1, sim, z, scale, tau, dlist, 0)
    nd = event_effects_nb(m, g, k0, k1, sim, tau, dlist, nd)
    n, nd = push_sparse_claims_nb(m, g, k0, k1, sim, tau, dlist, nd, called, clist, z, fxm, sc)
    settle_nb(m, sc, n, i, tau, out_loss[i], out_count[i], out_rec)
    count_and_reset_nb(m, tau, dlist, nd, out_count[i])
