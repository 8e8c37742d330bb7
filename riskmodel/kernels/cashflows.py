"""Claim records -> cash flows, present values and per-cover sums (serial, in simulation order).

Records come from ``claims.settle_nb`` (simulation ``i``'s at ``rec_start[i]``, ``rec_n[i]`` of them). For each simulation ``i`` of a chunk:

- the claim is paid at its time ``t``; the recovery ``claim - loss`` arrives at
  ``t + lag``; both go to the period ``floor(time / period)`` (the last period
  takes anything later);
- ``out_pv[i]`` is the present value of the net loss: claims discounted at
  ``t``, recoveries at ``t + lag``, by ``discount_nb``;
- ``out_seg[i, s]`` the loss of segment ``s`` (``cv_seg[cover]``), when asked;
- ``acc[k]`` accumulates, in simulation order (so any chunking gives the same
  sums), ``w x``, ``(w x)^2``, ``w pv``, ``(w pv)^2``, ``w x L``, ``(w x L)^2``
  with ``x`` the cover's loss, ``pv`` its present value and ``L`` the
  simulation's total loss.
"""
import math

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


@driver
def reduce_records_nb(rec_start, rec_n, rec_cov, rec_t, rec_claim, rec_loss, weight, total_loss, period, lag, curve_t,
                      curve_r, cv_seg, out_claim_cf, out_recovery_cf, out_pv, out_claims, out_seg, acc):
    n_per = out_claim_cf.shape[1]
    for i in range(rec_n.shape[0]):
        w = weight[i]
        big_l = total_loss[i]
        pv_i = 0.0
        claims_i = 0.0
        for r in range(rec_start[i], rec_start[i] + rec_n[i]):
            k = rec_cov[r]
            t = rec_t[r]
            c = rec_claim[r]
            x = rec_loss[r]
            rcv = c - x
            p = min(int(t / period), n_per - 1)
            out_claim_cf[i, p] += c
            q = min(int((t + lag) / period), n_per - 1)
            out_recovery_cf[i, q] += rcv
            pv = c * discount_nb(t, curve_t, curve_r) - rcv * discount_nb(t + lag, curve_t, curve_r)
            pv_i += pv
            claims_i += c
            if out_seg.shape[1] > 0:
                out_seg[i, cv_seg[k]] += x
            wx = w * x
            wp = w * pv
            wxl = wx * big_l
            acc[k, 0] += wx
            acc[k, 1] += wx * wx
            acc[k, 2] += wp
            acc[k, 3] += wp * wp
            acc[k, 4] += wxl
            acc[k, 5] += wxl * wxl
        out_pv[i] = pv_i
        out_claims[i] = claims_i


@helper
def segment_losses_nb(rec_start, rec_n, rec_cov, rec_loss, cv_seg, out_seg):
    """Each simulation's loss by segment of covers, in record order (as ``reduce_records_nb`` adds them)."""
    for i in range(rec_n.shape[0]):
        for r in range(rec_start[i], rec_start[i] + rec_n[i]):
            out_seg[i, cv_seg[rec_cov[r]]] += rec_loss[r]
