"""One-year loss kernel: latent variables -> defaults, events, calls -> losses.

Per simulation ``sim`` (global index):

1. factors ``z_k = N^-1(U(sim, FACTOR, k))``; for the Student-t copula a shared
   mixing variable ``W ~ chi2(dof)`` scales every latent by ``sqrt(dof / W)``;
2. each latent (exporters, importers, country events, in that order)
   ``X_j = (sum_k beta_jk z_k + idio_j eps_j) * scale`` defaults when
   ``X_j < thr_j``; its time in years is ``log(1 - F(X_j)) / log(1 - pd_j)``
   (constant hazard, so ``P(tau <= H) = 1 - (1 - pd)^H``), else ``inf``;
3. an importer whose country has an event defaults at the event time with
   probability ``imp_event_q``, if that is earlier than its own default;
4. each live cover, over its window ``[a, b)`` in years from valuation:
   guarantees are called while the exporter is solvent at an intensity that a
   country event multiplies from the event time on (loss x solvent LGD); if no
   such call and the exporter defaults inside the window, called with
   probability ``p_call`` (loss x LGD); an event that makes delivery
   impossible calls a live guarantee of a solvent exporter at the event time
   with probability ``cv_ev_call`` (solvent LGD), unless a call without
   default came first; credit covers lose x LGD when the importer defaults
   inside the window;
5. contagion inside the exporter: a call on a solvent exporter larger than
   its ``capacity`` makes it default at the call's time (before step 4 runs,
   which then sees the earlier default): that call is paid as a call after
   default, and the firm's other live guarantees follow the default branch.

Every draw reads its own counter, so a simulation's result depends only on
``(key, sim)`` and the model arrays.
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
from .distributions import chi2_nb, ndtr_nb, ndtri_nb, t_cdf_nb
from .jit import helper
from .philox import (
    STREAM_CALL,
    STREAM_DELIVERY,
    STREAM_EVENT_EFFECT,
    STREAM_FACTOR,
    STREAM_IDIO,
    STREAM_MIXING,
    uniform2_nb,
    uniform_lane_nb,
)

N_COMPONENTS = 3  # default calls, solvent calls, credit
N_COUNTS = 4  # exporter defaults, importer defaults, country events, calls
LATENT_EXPORTER = 0
LATENT_IMPORTER = 1
LATENT_EVENT = 2


@helper
def draw_factors_nb(m, k0, k1, sim, z):
    """Fill ``z`` with the systematic factors; return the copula's scale."""
    for k in range(m.n_factors):
        z[k] = ndtri_nb(uniform_lane_nb(k0, k1, sim, STREAM_FACTOR, k, 0))
    if m.dof > 0.0:
        w = chi2_nb(m.dof, k0, k1, sim, STREAM_MIXING, 0)
        return math.sqrt(m.dof / w)
    return 1.0


@helper
def _default_time_nb(m, j, x):
    """Default time in years of latent ``j`` whose value ``x`` is below its threshold.

    Cumulative hazard ``-log(1 - F(x))`` inverted on the latent's piecewise-constant
    curve: ``-log_surv`` on the first year, ``haz2`` to 5 years, ``haz3`` after.
    """
    if m.log_surv[j] == -np.inf:  # pd = 1: default at once
        return 0.0
    if m.dof > 0.0:
        u = t_cdf_nb(x, m.dof)
    else:
        u = ndtr_nb(x)
    log_s = math.log1p(-u)  # log survival at the default: -(cumulative hazard reached)
    lam = -log_s
    lam1 = -m.log_surv[j]
    if lam1 > 0.0 and lam <= lam1:
        tau = log_s / m.log_surv[j]
    elif m.haz2[j] > 0.0 and lam <= lam1 + 4.0 * m.haz2[j]:
        tau = 1.0 + (lam - lam1) / m.haz2[j]
    elif m.haz3[j] > 0.0:
        tau = 5.0 + (lam - lam1 - 4.0 * m.haz2[j]) / m.haz3[j]
    else:
        tau = m.horizon
    # x < thr implies tau <= horizon; keep rounding from pushing it past
    if tau >= m.horizon:
        tau = m.horizon_below
    if tau < 0.0:
        tau = 0.0
    return tau


@helper
def latent_times_nb(m, k0, k1, sim, z, scale, tau):
    """Default (or event) time of every latent within the horizon; inf if none."""
    n = m.thr.shape[0]
    for jj in range(0, n, 2):
        u0, u1 = uniform2_nb(k0, k1, sim, STREAM_IDIO, jj >> 1, 0)
        for j in range(jj, min(jj + 2, n)):
            u = u0 if j == jj else u1
            s = 0.0
            for p in range(m.load_ptr[j], m.load_ptr[j + 1]):
                s += m.load_val[p] * z[m.load_idx[p]]
            x = (s + m.idio[j] * ndtri_nb(u)) * scale
            if x < m.thr[j]:
                tau[j] = _default_time_nb(m, j, x)
            else:
                tau[j] = np.inf
    # country events make importers default
    for j in range(n):
        e = m.imp_event[j]
        if e >= 0 and tau[e] < tau[j]:
            if uniform_lane_nb(k0, k1, sim, STREAM_EVENT_EFFECT, j, 0) < m.imp_event_q[j]:
                tau[j] = tau[e]


@helper
def fx_drivers_nb(m, z, out):
    """Each risky currency's standard normal driver from the factors ``z`` (its own factor, leaning on the
    global one); ``claims.ead_nb`` turns it into the rate multiplier at a claim's date."""
    for c in range(m.fx_vol.shape[0]):
        y = z[m.fx_factor[c]]
        if m.fx_global >= 0:
            y = -m.fx_rho * z[m.fx_global] + math.sqrt(1.0 - m.fx_rho * m.fx_rho) * y
        out[c] = y


@helper
def solvent_hazard_nb(m, k, tau):
    """Integrated intensity of a call without default on cover ``k`` over its solvent live window."""
    a = m.cv_a[k]
    b = m.cv_b[k]
    te = tau[m.cv_exp[k]]
    solvent_end = b if te > b else te
    if solvent_end <= a:
        return 0.0
    hazard = m.cv_rate[k] * (solvent_end - a)
    e = m.cv_event[k]
    if e >= 0:
        tc = tau[e]
        if tc < solvent_end:
            start = tc if tc > a else a
            hazard += m.cv_rate[k] * (m.cv_mult[k] - 1.0) * (solvent_end - start)
    return hazard


@helper
def delivery_call_time_nb(m, k0, k1, sim, k, tau):
    """When cover ``k``'s buyer-country event makes delivery impossible and calls it: the event time, if the
    event strikes while the cover is live and its exporter solvent and the draw falls below ``cv_ev_call``;
    else inf."""
    q = m.cv_ev_call[k]
    if q <= 0.0:
        return np.inf
    t = tau[m.cv_event[k]]
    if m.cv_a[k] <= t < m.cv_b[k] and t < tau[m.cv_exp[k]]:
        if q >= 1.0 or uniform_lane_nb(k0, k1, sim, STREAM_DELIVERY, k, 0) < q:
            return t
    return np.inf


@helper
def first_solvent_call_nb(m, k0, k1, sim, k, tau):
    """When guarantee ``k`` is first called while its exporter is solvent (without default, or because an event
    makes delivery impossible), inf if never; and the uniform that decides a call after default."""
    u_def, u_solv = uniform2_nb(k0, k1, sim, STREAM_CALL, k, 0)
    t_ev = delivery_call_time_nb(m, k0, k1, sim, k, tau)
    if m.cv_rate[k] > 0.0 and u_solv < -math.expm1(-solvent_hazard_nb(m, k, tau)):  # u_solv uniform on (0, P)
        t = solvent_call_time_nb(m, k, tau, u_solv)
        if t < t_ev:  # the first call counts
            return t, u_def
    return t_ev, u_def


@helper
def contagion_nb(m, k0, k1, sim, tau, fxm, trig):
    """Exporters a call above their capacity puts into default: ``tau`` moved to the earliest such call, the
    call's cover in ``trig``. An earlier default only removes calls after it, so one pass finds the earliest."""
    for k in range(m.cv_exp.shape[0]):
        j = m.cv_exp[k]
        if m.cv_credit[k] or m.exp_cap[j] == np.inf:
            continue
        t = first_solvent_call_nb(m, k0, k1, sim, k, tau)[0]
        if t < tau[j] and call_amount_nb(m, k, t, fxm) > m.exp_cap[j]:
            tau[j] = t
            trig[j] = k


@helper
def cover_claim_nb(m, k0, k1, sim, k, tau, trig):
    """(time, component) of cover ``k``'s claim in this simulation; time inf when it has none."""
    a = m.cv_a[k]
    b = m.cv_b[k]
    if m.cv_credit[k]:
        ti = tau[m.cv_imp[k]]
        return (ti if a <= ti < b else np.inf), COMP_CREDIT
    j = m.cv_exp[k]
    te = tau[j]
    if m.has_cap and trig[j] == k:  # the call that broke the firm: paid as a call after default
        trig[j] = -1
        return te, COMP_DEFAULT_CALL
    t, u_def = first_solvent_call_nb(m, k0, k1, sim, k, tau)
    if t < np.inf:
        return t, COMP_SOLVENT_CALL
    if a <= te < b and u_def < m.cv_p_call[k]:
        return te, COMP_DEFAULT_CALL
    return np.inf, COMP_DEFAULT_CALL


@helper
def push_cover_claims_nb(m, k0, k1, sim, tau, z, fxm, sc):
    """Push each live cover's claim in this simulation to ``sc``; return the number pushed. One call site of
    ``push_claim_nb``: each site inlines the claim's arithmetic and LGD draws, and costs compile time."""
    n = 0
    for k in range(m.cv_exp.shape[0]):
        t, comp = cover_claim_nb(m, k0, k1, sim, k, tau, sc[11])
        if t < np.inf:
            n = push_claim_nb(m, k0, k1, sim, sc, n, k, t, z, fxm, comp)
    return n


@helper
def tally_nb(m, j, ne, ni, nc):
    """Add latent ``j``'s default to the counts of exporters, importers and country events."""
    t = m.latent_type[j]
    if t == LATENT_EXPORTER:
        return ne + 1, ni, nc
    if t == LATENT_IMPORTER:
        return ne, ni + 1, nc
    return ne, ni, nc + 1


@helper
def simulate_one_nb(m, k0, k1, sim, z, tau, fxm, sc, i, out_loss, out_count, out_rec):
    scale = draw_factors_nb(m, k0, k1, sim, z)
    fx_drivers_nb(m, z, fxm)
    latent_times_nb(m, k0, k1, sim, z, scale, tau)
    if m.has_cap:
        contagion_nb(m, k0, k1, sim, tau, fxm, sc[11])
    ne = 0
    ni = 0
    nc = 0
    for j in range(tau.shape[0]):
        if tau[j] < np.inf:
            ne, ni, nc = tally_nb(m, j, ne, ni, nc)
    out_count[i, 0] = ne
    out_count[i, 1] = ni
    out_count[i, 2] = nc
    n = push_cover_claims_nb(m, k0, k1, sim, tau, z, fxm, sc)
    settle_nb(m, sc, n, i, tau, out_loss[i], out_count[i], out_rec)
