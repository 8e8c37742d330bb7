"""Claim records -> cash flows, present values and per-cover sums, in parallel and in simulation order.

Records come from ``claims.settle_nb`` (simulation ``i``'s at ``rec_start[i]``, ``rec_n[i]`` of them). For each simulation ``i`` of a chunk:

- the claim is paid at its time ``t``; the recovery ``claim - loss`` arrives at
  ``t + lag``; both go to the period ``floor(time / period)`` (the last period
  takes anything later): ``out_claim_cf[period, i]``, ``out_recovery_cf[period, i]``;
- ``out_pv[i]`` is the present value of the net loss: claims discounted at
  ``t``, recoveries at ``t + lag``, by ``discount_nb``;
- ``out_seg[i, s]`` the loss of segment ``s`` (``cv_seg[cover]``), when asked;
- ``acc[k]`` accumulates, in simulation order (so any chunking gives the same
  sums), ``w x``, ``(w x)^2``, ``w pv``, ``(w pv)^2``, ``w x L``, ``(w x L)^2``
  with ``x`` the cover's loss, ``pv`` its present value and ``L`` the
  simulation's total loss.

Two parallel passes, neither of which can reorder a sum: the first runs over
blocks of simulations (each writes only its own rows, and each record's
present value into ``rec_pv``); the second over contiguous ranges of covers,
each thread reading every record in simulation order and adding only to its
own covers' sums. The thread count changes the speed, never a bit.
"""
import math

from numba import prange

from .jit import driver, helper

N_ACC = 6


@helper
def discount_nb(t, curve_t, curve_r):
    """``(1 + r(t))^-t``, ``r`` linear in tenor between the curve's points and flat outside them."""
    if t <= 0.0:
        return 1.0
    n = curve_t.shape[0]
    if t <= curve_t[0]:
        r = curve_r[0]
    elif t >= curve_t[n - 1]:
        r = curve_r[n - 1]
    else:
        r = curve_r[n - 1]
        for p in range(1, n):
            if t < curve_t[p]:
                x = (t - curve_t[p - 1]) / (curve_t[p] - curve_t[p - 1])
                r = curve_r[p - 1] + (curve_r[p] - curve_r[p - 1]) * x
                break
    return math.exp(-t * math.log1p(r))


@driver(parallel=True)
def reduce_records_nb(rec_start, rec_n, rec_cov, rec_t, rec_claim, rec_loss, rec_pv, weight, total_loss, period, lag,
                      curve_t, curve_r, cv_seg, out_claim_cf, out_recovery_cf, out_pv, out_claims, out_seg, acc,
                      n_parts):
    """See the module; ``n_parts`` (the thread count) splits the work and changes no number."""
    n = rec_n.shape[0]
    n_per = out_claim_cf.shape[0]
    n_blk = max(1, min(n, 4 * n_parts))
    for b in prange(n_blk):
        for i in range(b * n // n_blk, (b + 1) * n // n_blk):
            pv_i = 0.0
            claims_i = 0.0
            for r in range(rec_start[i], rec_start[i] + rec_n[i]):
                t = rec_t[r]
                c = rec_claim[r]
                x = rec_loss[r]
                rcv = c - x
                p = min(int(t / period), n_per - 1)
                out_claim_cf[p, i] += c
                q = min(int((t + lag) / period), n_per - 1)
                out_recovery_cf[q, i] += rcv
                pv = c * discount_nb(t, curve_t, curve_r) - rcv * discount_nb(t + lag, curve_t, curve_r)
                rec_pv[r] = pv
                pv_i += pv
                claims_i += c
                if out_seg.shape[1] > 0:
                    out_seg[i, cv_seg[rec_cov[r]]] += x
            out_pv[i] = pv_i
            out_claims[i] = claims_i
    n_cov = acc.shape[0]
    n_part = max(1, min(n_cov, n_parts))
    for part in prange(n_part):
        lo = part * n_cov // n_part
        hi = (part + 1) * n_cov // n_part
        for i in range(n):
            w = weight[i]
            big_l = total_loss[i]
            for r in range(rec_start[i], rec_start[i] + rec_n[i]):
                k = rec_cov[r]
                if k < lo or k >= hi:
                    continue
                wx = w * rec_loss[r]
                wp = w * rec_pv[r]
                wxl = wx * big_l
                acc[k, 0] += wx
                acc[k, 1] += wx * wx
                acc[k, 2] += wp
                acc[k, 3] += wp * wp
                acc[k, 4] += wxl
                acc[k, 5] += wxl * wxl


@helper
def segment_losses_nb(rec_start, rec_n, rec_cov, rec_loss, cv_seg, out_seg):
    """Each simulation's loss by segment of covers, in record order (as ``reduce_records_nb`` adds them)."""
    for i in range(rec_n.shape[0]):
        for r in range(rec_start[i], rec_start[i] + rec_n[i]):
            out_seg[i, cv_seg[rec_cov[r]]] += rec_loss[r]
