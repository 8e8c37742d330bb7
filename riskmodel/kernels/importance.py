"""Importance-sampling kernel: shifted, stratified factors and twisted defaults (Glasserman and Li, 2005).

Simulation ``sim`` falls in design cell ``r = sim % n_cells``; cells belong to
three components of a deterministic mixture, in this order:

- ``n_plain`` cells sample the model itself (the defensive component, which
  keeps the body of the distribution and EL precise);
- ``n_shift`` cells shift the factors' mean to ``mu = |mu| d``;
- ``n_twist`` cells shift the factors and also twist the defaults;
- the last cells aim at routes through country events: component ``k``
  shifts the factors to that route's own dominating point ``ev_mu[k]`` (the
  likeliest factors given the event and a loss at the target) and forces
  event ``ev_lat[k]`` (its latent drawn below its threshold, every other
  latent from the model).

Within each shifted component a cell is a stratum of the factors' projection
``t = d . z`` on the shift direction: ``t = Phi^-1((h + U) / K) + |mu|``, the
orthogonal part left standard normal. For the Student-t copula the shifted
components also scale the mixing variable ``W`` down by ``c_w`` (after Kang
and Shahabuddin), which fattens the tail they sample.

Twisting, given the factors: latent ``j`` defaults with probability
``q_j = p_j e^(theta c_j) / (1 + p_j (e^(theta c_j) - 1))``, where ``c_j`` is
its expected loss given default and ``theta = theta(z)`` solves
``sum_j q_j c_j = x`` (zero when the conditional expected loss already
reaches the target ``x``), capped at ``theta_max``. Latents of one class (same
group, threshold and severity band: ``grouping.build_classes``) share ``p``,
``q`` and ``c``, so the twist costs per class, and defaults are drawn per
class by geometric skipping: the work follows classes + defaults. Given
default, a latent keeps its conditional law below its threshold, so default
times, event effects, calls and LGDs are the model's own.

Why two shifted components: the twist pushes every sample's loss up to the
target, so alone it would leave the losses between the body and the target
(the lower confidence levels) to the defensive share; the shift-only
component covers them. Why event components: a tail reached through a
country event (its importers' defaults, the calls it provokes) with a mild
factor outcome is rare under the shift and the twist alike, so the few
such samples came from the defensive share with heavy weights (a tail
effective sample size of 12 of 750 on the bundled book, VaR 11 standard
errors off).

Density ratios to the model at a sample: ``r1 = exp(a)`` for the shift, with
``a = |mu| t - |mu|^2 / 2 + log(g_W / f_W)``, and ``r2 = exp(a + b)`` for shift
and twist, ``b = theta L~ - psi(theta)``, ``L~ = sum_j D_j c_j``,
``psi = sum_j log(1 + p_j (e^(theta c_j) - 1))``. For event component ``k``, ``r_k = exp(a_k) D_k / p_k(z)`` with
``a_k = ev_mu[k] . z - |ev_mu[k]|^2 / 2 + log(g_W / f_W)``, ``D_k`` the
event's indicator and ``p_k(z)`` its conditional probability. Every
sample, from any component, gets the balance-heuristic weight
``1 / (lam0 + lam1 r1 + lam2 r2 + sum_k lam_k r_k)`` with the components'
shares ``lam``: unbiased, and at most ``1 / lam0``.
"""
import math

import numpy as np

from .claims import settle_nb
from .distributions import chi2_nb, ndtr_nb, ndtri_nb
from .jit import helper
from .one_year import _default_time_nb, fx_drivers_nb
from .philox import (
    STREAM_FACTOR,
    STREAM_IS_CLASS,
    STREAM_IS_FORCED,
    STREAM_MIXING,
    STREAM_STRATUM,
    uniform2_nb,
    uniform_lane_nb,
)
from .sparse import advance_nb, count_and_reset_nb, event_effects_nb, push_sparse_claims_nb


@helper
def twist_theta_nb(p, c, n, x, theta_max):
    """``theta >= 0`` with ``sum n_c q_c(theta) c_c = x`` over classes: safeguarded Newton on ``[0, theta_max]``."""
    el = 0.0
    for j in range(p.shape[0]):
        el += n[j] * p[j] * c[j]
    if el >= x or theta_max <= 0.0:
        return 0.0
    lo = 0.0
    hi = theta_max
    th = 0.0
    for _ in range(100):
        f = -x
        fp = 0.0
        for j in range(p.shape[0]):
            if p[j] <= 0.0 or c[j] <= 0.0:
                f += n[j] * p[j] * c[j]
                continue
            e = math.exp(th * c[j])
            q = p[j] * e / (1.0 + p[j] * (e - 1.0))
            f += n[j] * q * c[j]
            fp += n[j] * q * (1.0 - q) * c[j] * c[j]
        if f > 0.0:
            hi = th
        else:
            lo = th
        if abs(f) <= 1e-10 * x:
            return th
        nxt = th - f / fp if fp > 0.0 else hi
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        if hi - lo <= 1e-14 * hi:
            return nxt
        th = nxt
    return th


@helper
def is_factors_nb(m, ip, k0, k1, sim, z, lr_ev):
    """Draw the factors (and the t mixing variable) for this design cell; ``lr_ev[k]`` gets ``a_k``.

    Returns (scale, log r1, component) with component 0 plain, 1 shift, 2 shift and twist, 3 + k the route
    through event ``ip.ev_lat[k]``.
    """
    cell = sim % ip.n_cells
    shift = ip.mu_norm
    if cell < ip.n_plain:
        comp = 0
        h = cell
        kc = ip.n_plain
        shift = 0.0
    elif cell < ip.n_plain + ip.n_shift:
        comp = 1
        h = cell - ip.n_plain
        kc = ip.n_shift
    elif cell < ip.n_plain + ip.n_shift + ip.n_twist:
        comp = 2
        h = cell - ip.n_plain - ip.n_shift
        kc = ip.n_twist
    else:
        h = cell - ip.n_plain - ip.n_shift - ip.n_twist
        k = 0
        while h >= ip.ev_ptr[k + 1]:
            k += 1
        comp = 3 + k
        h -= ip.ev_ptr[k]
        kc = ip.ev_ptr[k + 1] - ip.ev_ptr[k]
    plain = comp == 0
    proj = 0.0
    for k in range(m.n_factors):
        z[k] = ndtri_nb(uniform_lane_nb(k0, k1, sim, STREAM_FACTOR, k, 0))
        proj += z[k] * ip.direction[k]
    if comp >= 3:  # a route: its own shift, not stratified
        t = proj
        for k in range(m.n_factors):
            z[k] += ip.ev_mu[comp - 3, k]
            t += ip.ev_mu[comp - 3, k] * ip.direction[k]
    else:
        t = ndtri_nb((h + uniform_lane_nb(k0, k1, sim, STREAM_STRATUM, 0, 0)) / kc) + shift
        for k in range(m.n_factors):
            z[k] += (t - proj) * ip.direction[k]
    log_r = ip.mu_norm * t - 0.5 * ip.mu_norm * ip.mu_norm
    log_w = 0.0
    scale = 1.0
    if m.dof > 0.0:
        w = chi2_nb(m.dof, k0, k1, sim, STREAM_MIXING, 0)
        if not plain:
            w /= ip.c_w
        log_w = 0.5 * m.dof * math.log(ip.c_w) - 0.5 * (ip.c_w - 1.0) * w
        scale = math.sqrt(m.dof / w)
    for e in range(ip.ev_lat.shape[0]):
        acc = 0.0
        for k in range(m.n_factors):
            acc += ip.ev_mu[e, k] * z[k]
        lr_ev[e] = acc - 0.5 * ip.ev_mu_sq[e] + log_w
    return scale, log_r + log_w, comp


@helper
def is_latents_nb(m, g, ip, k0, k1, sim, z, scale, twist, forced, tau, dlist, s_grp, p):
    """Twisted defaults, class by class (geometric skipping); return (number of defaults, theta L~ - psi).

    ``forced`` (a route component's event, or -1) defaults whatever its own draw said."""
    for gi in range(g.grp_ptr.shape[0] - 1):
        acc = 0.0
        for q in range(g.grp_load_ptr[gi], g.grp_load_ptr[gi + 1]):
            acc += g.grp_load_val[q] * z[g.grp_load_idx[q]]
        s_grp[gi] = acc
    n_cls = ip.cls_thr.shape[0]
    for c in range(n_cls):
        thr = ip.cls_thr[c]
        acc = s_grp[ip.cls_grp[c]]
        sig = g.grp_idio[ip.cls_grp[c]]
        if thr == -np.inf:
            p[c] = 0.0
        elif thr == np.inf:
            p[c] = 1.0
        else:  # sig > 0: validation keeps every latent's systematic share below 1
            p[c] = ndtr_nb((thr / scale - acc) / sig)
    theta = twist_theta_nb(p, ip.cls_sev, ip.cls_n, ip.x_target, ip.theta_max)
    psi = 0.0
    loss_proxy = 0.0
    nd = 0
    for c in range(n_cls):
        pc = p[c]
        if pc <= 0.0:
            continue
        # a certain default (p = 1) is not twisted and adds nothing to the ratio: theta c - psi_j = 0
        twisted = theta > 0.0 and pc < 1.0
        if twisted:
            e = math.exp(theta * ip.cls_sev[c])
            psi += ip.cls_n[c] * math.log1p(pc * (e - 1.0))
            qc = pc * e / (1.0 + pc * (e - 1.0)) if twist else pc
        else:
            qc = pc
        gi = ip.cls_grp[c]
        sig = g.grp_idio[gi]
        lo = ip.cls_ptr[c]
        n_c = ip.cls_ptr[c + 1] - lo
        log_q = math.log1p(-qc) if qc < 1.0 else -np.inf
        pos = -1
        draw = 0
        while True:
            u_skip, v = uniform2_nb(k0, k1, sim, STREAM_IS_CLASS, c, draw)
            draw += 1
            pos = advance_nb(pos, u_skip, log_q, n_c)
            if pos >= n_c:
                break
            j = ip.cls_mem[lo + pos]
            if not g.lat_timed[j]:  # nobody looks at this time (see sparse.group_defaults_nb)
                tau[j] = 0.0
            elif ip.cls_thr[c] == np.inf:
                tau[j] = _default_time_nb(m, j, -np.inf)
            else:  # the shock given default: uniform below the class's conditional threshold
                tau[j] = _default_time_nb(m, j, (s_grp[gi] + sig * ndtri_nb(v * pc)) * scale)
            dlist[nd] = j
            nd += 1
            if twisted:
                loss_proxy += ip.cls_sev[c]
    if forced >= 0 and tau[forced] == np.inf:
        c = ip.lat_cls[forced]
        gi = ip.cls_grp[c]
        if not g.lat_timed[forced]:
            tau[forced] = 0.0
        else:  # the model's law below the threshold, as for a twisted default
            v = uniform_lane_nb(k0, k1, sim, STREAM_IS_FORCED, forced, 0)
            tau[forced] = _default_time_nb(m, forced, (s_grp[gi] + g.grp_idio[gi] * ndtri_nb(v * p[c])) * scale)
        dlist[nd] = forced
        nd += 1
        if theta > 0.0 and p[c] < 1.0:
            loss_proxy += ip.cls_sev[c]
    return nd, theta * loss_proxy - psi


@helper
def simulate_one_is_nb(m, g, ip, k0, k1, sim, z, lr_ev, tau, dlist, called, clist, s_grp, p, fxm, sc, i, out_loss,
                       out_count, out_rec):
    scale, log_r1, comp = is_factors_nb(m, ip, k0, k1, sim, z, lr_ev)
    fx_drivers_nb(m, z, fxm)
    forced = ip.ev_lat[comp - 3] if comp >= 3 else -1
    nd, log_twist = is_latents_nb(m, g, ip, k0, k1, sim, z, scale, comp == 2, forced, tau, dlist, s_grp, p)
    weight = mixture_weight_nb(ip, log_r1, log_twist, lr_ev, p, tau)
    nd = event_effects_nb(m, g, k0, k1, sim, tau, dlist, nd)
    n, nd = push_sparse_claims_nb(m, g, k0, k1, sim, tau, dlist, nd, called, clist, z, fxm, sc)
    settle_nb(m, sc, n, i, tau, out_loss[i], out_count[i], out_rec)
    count_and_reset_nb(m, tau, dlist, nd, out_count[i])
    return weight


@helper
def mixture_weight_nb(ip, log_r1, log_twist, lr_ev, p, tau):
    """``1 / (lam0 + lam1 e^a + lam2 e^(a + b) + sum_k lam_k e^(a_k) D_k / p_k)``, by log-sum-exp (any
    exponent may be huge). ``p`` holds the classes' conditional default probabilities, ``tau`` the defaults
    drawn, ``lr_ev`` the routes' ``a_k``."""
    l0 = math.log(ip.n_plain / ip.n_cells) if ip.n_plain > 0 else -np.inf
    l1 = math.log(ip.n_shift / ip.n_cells) + log_r1 if ip.n_shift > 0 else -np.inf
    l2 = math.log(ip.n_twist / ip.n_cells) + log_r1 + log_twist if ip.n_twist > 0 else -np.inf
    top = max(l0, max(l1, l2))
    n_ev = ip.ev_lat.shape[0]
    for k in range(n_ev):  # the routes' terms: only where the event happened
        j = ip.ev_lat[k]
        if tau[j] < np.inf:
            pk = p[ip.lat_cls[j]]
            lk = math.log((ip.ev_ptr[k + 1] - ip.ev_ptr[k]) / ip.n_cells) + lr_ev[k] - math.log(pk) if pk > 0.0 \
                else np.inf
            top = max(top, lk)
    total = math.exp(l0 - top) + math.exp(l1 - top) + math.exp(l2 - top)
    if top == np.inf:
        return 0.0
    for k in range(n_ev):
        j = ip.ev_lat[k]
        if tau[j] < np.inf:
            total += math.exp(math.log((ip.ev_ptr[k + 1] - ip.ev_ptr[k]) / ip.n_cells) + lr_ev[k]
                              - math.log(p[ip.lat_cls[j]]) - top)
    return math.exp(-top) / total
