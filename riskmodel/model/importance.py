"""Design the importance-sampling measure of a compiled model (Glasserman and Li, 2005).

Three choices, all deterministic functions of the model and the target level
(so a run stays a pure function of inputs, seed and number of simulations):

1. **Severities** ``c_j``: each latent's expected loss given its default, a
   proxy used only to twist default probabilities (any non-negative ``c``
   keeps the estimator unbiased; a good one makes it efficient). Exporters:
   their guarantees' ``ead x p_call x LGD`` over the share of the horizon the
   cover is live; importers: their credit covers' ``ead x LGD`` likewise;
   country events: the severities of the importers they hit, times the hit
   probability, plus the claims of the calls without default they provoke
   (the rise of each guarantee's call probability, the event's time taken
   uniform over the horizon).
2. **The target** ``x`` and **the shift** ``mu``: for a target ``x`` the shift
   is the most likely factor outcome of a proxy loss ``x``, maximising
   ``F_x(z) - |z|^2 / 2`` where ``F_x(z) = min_theta (psi(theta, z) - theta x)``
   bounds ``log P(L~ > x | z)``. The target is the ``x`` at which that maximum
   equals ``-Phi^-1(level)^2 / 2``: for a one-factor large pool this is the
   Vasicek quantile, elsewhere an estimate good enough to aim at.
3. For the Student-t copula, the mode's mixing variable ``w*`` too (jointly
   with ``z``); the importance component scales ``W`` by ``1 / c_w`` with
   ``c_w = dof / w*`` so that its mean sits at the mode (Kang and
   Shahabuddin's idea, by dominating point rather than their parameters).
4. **Routes through country events**: the events whose severity is at least
   ``ROUTE_MIN_SHARE`` of the target (and whose probability is below
   ``ROUTE_MAX_PD``), the most severe ``event_routes`` of them, each get a
   component that forces the event and shifts the factors to the route's own
   dominating point, the maximiser of ``log p_e(z) + F_(x - c_e)(z) - |z|^2 / 2``
   (the likeliest factors given the event and the rest of the target loss,
   searched from the event's side of the main mode), with ``event_share`` of
   the non-defensive cells between them. The tail the bundled book reaches
   through a country event with mild factors (a buyer country's own factor
   low) was sampled only by the defensive share, with heavy weights.

The design cells are shared between the components (``kernels.importance``):
the model itself (the defensive share), shift only, shift and twist, and one
per event route.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from scipy import special

from .arrays import CompiledModel
from .grouping import SparseArrays, build_classes

ISParams = namedtuple("ISParams", ["n_cells", "n_plain", "n_shift", "n_twist", "mu_norm", "direction", "c_w",
                                   "x_target", "theta_max", "cls_ptr", "cls_mem", "cls_grp", "cls_thr", "cls_sev",
                                   "cls_n", "lat_cls", "ev_lat", "ev_ptr", "ev_mu", "ev_mu_sq"])

THETA_CAP = 30.0  # theta * max(c) never exceeds this: keeps exp() finite; any cap keeps the estimator unbiased
ROUTE_MIN_SHARE = 0.02  # an event is a route to the tail when its severity is at least this share of the target
ROUTE_MAX_PD = 0.5  # forcing an event more likely than this gains little


def severities(model: CompiledModel) -> np.ndarray:
    m = model.arrays
    n_lat = m.thr.shape[0]
    frac = np.clip((m.cv_b - m.cv_a) / m.horizon, 0.0, 1.0)
    c_guar = m.cv_ead * m.cv_p_call * m.cv_lgd_mean * frac
    c_cred = m.cv_ead * m.cv_lgd_mean * frac
    sev = np.zeros(n_lat)
    np.add.at(sev, m.cv_exp[~m.cv_credit], c_guar[~m.cv_credit])
    np.add.at(sev, m.cv_imp[m.cv_credit], c_cred[m.cv_credit])
    imp = np.flatnonzero(m.imp_event >= 0)
    np.add.at(sev, m.imp_event[imp], m.imp_event_q[imp] * sev[imp])
    # calls without default the event provokes: hazard rate * (mult - 1) over the part of the cover's live window
    # after the event, E[(b - max(t, a))+] = (a (b - a) + (b - a)^2 / 2) / H for t uniform on [0, H]
    ev = np.flatnonzero((m.cv_event >= 0) & ~m.cv_credit)
    if ev.size:
        a, b = m.cv_a[ev], np.maximum(m.cv_b[ev], m.cv_a[ev])
        after = (a * (b - a) + 0.5 * (b - a) ** 2) / m.horizon
        extra = -np.expm1(-m.cv_rate[ev] * np.maximum(m.cv_mult[ev] - 1.0, 0.0) * after)
        np.add.at(sev, m.cv_event[ev], m.cv_ead[ev] * m.cv_slgd_mean[ev] * extra)
    return sev


class _Design:
    """Conditional default probabilities and the tail bound ``F_x`` over the active latents."""

    def __init__(self, model: CompiledModel, sev: np.ndarray):
        m = model.arrays
        active = (sev > 0) & np.isfinite(m.thr)
        self.dof = m.dof
        self.n_f = m.n_factors
        idx = np.flatnonzero(active)
        self.row = np.full(m.thr.shape[0], -1, dtype=np.int64)
        self.row[idx] = np.arange(idx.size)
        self.thr, self.sig, self.c = m.thr[idx], m.idio[idx], sev[idx]
        self.B = np.zeros((idx.size, self.n_f))
        for r, j in enumerate(idx):
            sl = slice(m.load_ptr[j], m.load_ptr[j + 1])
            self.B[r, m.load_idx[sl]] = m.load_val[sl]
        # latents that surely default (pd = 1) add a constant to the proxy loss
        self.sure = float(sev[(m.thr == np.inf)].sum())
        self.theta_max = THETA_CAP / float(sev.max()) if sev.size and sev.max() > 0 else 0.0

    def probs(self, z, u):
        scale_inv = np.sqrt(np.exp(u) / self.dof) if self.dof > 0 else 1.0
        a = (self.thr * scale_inv - self.B @ z) / self.sig
        return a, special.ndtr(a), scale_inv

    def theta(self, p, x, c=None):
        c = self.c if c is None else c
        if (p * c).sum() >= x:
            return 0.0
        lo, hi = 0.0, self.theta_max

        def g(th):
            e = np.exp(th * c)
            return float((p * e * c / (1 + p * (e - 1))).sum()) - x

        if g(hi) <= 0:
            return hi
        from scipy import optimize  # here: plain runs never pay for importing it

        return optimize.brentq(g, lo, hi, xtol=1e-12 * max(hi, 1e-300))

    def objective(self, v, x, forced=-1):
        """-(F_x(z) + log densities) and its gradient; v = z, or (z, log w) for the t copula.

        ``forced`` (a row of the active latents, or -1): that latent defaults, so its severity counts as
        sure and ``log p(z)`` of its default joins the objective: the most likely factors given it."""
        z = v[: self.n_f]
        u = v[self.n_f] if self.dof > 0 else 0.0
        a, p, scale_inv = self.probs(z, u)
        c = self.c
        x_eff = x - self.sure
        if forced >= 0:
            x_eff -= c[forced]
            c = c.copy()
            c[forced] = 0.0
        th = self.theta(p, x_eff, c) if x_eff > 0 else 0.0
        e = np.exp(th * c)
        psi = float(np.log1p(p * (e - 1)).sum())
        f = -th * x_eff + psi - 0.5 * float(z @ z)
        dpsi_dp = (e - 1) / (1 + p * (e - 1))
        phi = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
        if forced >= 0:  # + log p_forced(z): its derivative in p is 1 / p
            f += float(special.log_ndtr(a[forced]))
            dpsi_dp = dpsi_dp.copy()
            dpsi_dp[forced] += 1.0 / max(p[forced], 1e-300)
        grad_z = -(dpsi_dp * phi / self.sig) @ self.B - z
        if self.dof <= 0:
            return -f, -grad_z
        k = self.dof / 2
        f += k * u - np.exp(u) / 2 - (k * np.log(self.dof) - self.dof / 2)
        grad_u = float((dpsi_dp * phi * self.thr * scale_inv / (2 * self.sig)).sum()) + k - np.exp(u) / 2
        return -f, -np.append(grad_z, grad_u)

    def mode(self, x, start, forced=-1):
        if start.size == 0:  # no factors: nothing to shift, the bound itself
            return start, -float(self.objective(start, x, forced)[0])
        from scipy import optimize

        r = optimize.minimize(self.objective, start, args=(x, forced), jac=True, method="L-BFGS-B")
        return r.x, -float(r.fun)


def event_routes(model: CompiledModel, sev: np.ndarray, lat_cls: np.ndarray, target: float, most: int) -> np.ndarray:
    """The country events the design aims a component at: the most severe ``most`` of those whose severity
    reaches ``ROUTE_MIN_SHARE`` of the target proxy loss and whose probability is below ``ROUTE_MAX_PD``."""
    m = model.arrays
    lat = model.latents
    if most <= 0 or target <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.flatnonzero(lat["type"].to_numpy() == "country_event")
    pd_ = lat["pd_horizon"].to_numpy(float)[idx]
    keep = (sev[idx] >= ROUTE_MIN_SHARE * target) & (pd_ < ROUTE_MAX_PD) & np.isfinite(m.thr[idx]) \
        & (lat_cls[idx] >= 0)
    idx = idx[keep]
    order = np.lexsort((idx, -sev[idx]))  # most severe first; ties by position (deterministic)
    return idx[order][:most].astype(np.int64)


def _cells(total: int, n: int) -> np.ndarray:
    """Offsets splitting ``total`` cells over ``n`` routes as evenly as possible (the first get the remainder)."""
    per = np.full(n, total // n)
    per[: total % n] += 1
    return np.concatenate([[0], np.cumsum(per)]).astype(np.int64)


def design(model: CompiledModel, sparse: SparseArrays, level: float, defensive: float,
           strata: int, twisted: float = 0.5, routes: int = 0, route_share: float = 0.0) -> tuple[ISParams, dict]:
    """Importance-sampling parameters aimed at the ``level`` quantile; also a record of them."""
    sev = severities(model)
    m = model.arrays
    n_plain = int(round(defensive * strata)) if defensive > 0 else 0
    if defensive > 0:
        n_plain = min(max(n_plain, 1), strata - 1)
    d = _Design(model, sev)
    target = -0.5 * special.ndtri(level) ** 2
    n_v = d.n_f + (1 if d.dof > 0 else 0)
    start = np.zeros(n_v)
    if d.dof > 0:
        start[-1] = np.log(d.dof)
    mu, w_mode, x = np.zeros(d.n_f), d.dof, 0.0
    v_main = start
    total = float(d.c.sum()) + d.sure
    if d.c.size and total > 0:
        lo, hi = max(float((special.ndtr(d.thr) * d.c).sum()) + d.sure, 1e-12 * total), total
        v = start
        for _ in range(40):  # bisection on log x: G(x) = max objective decreases in x
            x = float(np.sqrt(lo * hi))
            v, val = d.mode(x, v)
            if val < target:
                hi = x
            else:
                lo = x
            if hi / lo < 1.0 + 1e-3:
                break
        mu = v[: d.n_f]
        v_main = v
        if d.dof > 0:
            w_mode = float(np.exp(v[-1]))
    mu_norm = float(np.linalg.norm(mu))
    direction = mu / mu_norm if mu_norm > 0 else np.zeros(max(d.n_f, 1))
    if direction.size < max(m.n_factors, 1):
        direction = np.zeros(max(m.n_factors, 1))
    c_w = max(d.dof / w_mode, 1.0) if d.dof > 0 else 1.0
    classes = build_classes(m, sparse, sev)
    lat_cls = np.full(m.thr.shape[0], -1, dtype=np.int64)
    lat_cls[classes["cls_mem"]] = np.repeat(np.arange(len(classes["cls_thr"])), np.diff(classes["cls_ptr"]))
    ev_lat = event_routes(model, sev, lat_cls, x, routes)
    ev_mu = np.zeros((ev_lat.size, max(m.n_factors, 1)))
    for k, j in enumerate(ev_lat):  # each route's own dominating point: the likeliest factors given the event
        r = int(d.row[j])
        if d.n_f == 0 or r < 0:
            continue
        start = v_main.copy()
        b = d.B[r]
        if np.linalg.norm(b) > 0:  # start on the event's side of the main mode, or the optimiser may stay there
            start[: d.n_f] -= 2.0 * b / np.linalg.norm(b)
        ev_mu[k, : d.n_f] = d.mode(x, start, forced=r)[0][: d.n_f]
    rest = strata - n_plain
    n_ev_cells = min(max(int(round(route_share * rest)), ev_lat.size), rest - 1) if ev_lat.size else 0
    if n_ev_cells < ev_lat.size:  # fewer cells than routes: keep the most severe
        ev_lat = ev_lat[:n_ev_cells]
    rest -= n_ev_cells
    n_shift = int(round(rest * (1.0 - twisted)))
    ev_ptr = _cells(n_ev_cells, ev_lat.size) if ev_lat.size else np.zeros(1, dtype=np.int64)
    params = ISParams(n_cells=int(strata), n_plain=int(n_plain), n_shift=int(n_shift), n_twist=int(rest - n_shift),
                      mu_norm=mu_norm, direction=np.ascontiguousarray(direction, dtype=float), c_w=float(c_w),
                      x_target=float(x), theta_max=float(d.theta_max), lat_cls=lat_cls, ev_lat=ev_lat, ev_ptr=ev_ptr,
                      ev_mu=np.ascontiguousarray(ev_mu), ev_mu_sq=np.ascontiguousarray((ev_mu * ev_mu).sum(axis=1)),
                      **classes)
    names = model.latents["id"].to_numpy(object) if "id" in model.latents else np.arange(m.thr.shape[0])
    record = {"level": level, "strata": int(strata), "plain_cells": int(n_plain), "shift_cells": int(n_shift),
              "twist_cells": int(rest - n_shift), "target_proxy_loss": float(x),
              "shift_norm": mu_norm, "shift": {name: float(v) for name, v in zip(model.factor_names, mu)},
              "mixing_scale": float(c_w),
              "event_routes": {str(names[j]): {"cells": int(ev_ptr[k + 1] - ev_ptr[k]), "severity": float(sev[j]),
                                               "shift_norm": float(np.sqrt((ev_mu[k] ** 2).sum())),
                                               "shift": {name: float(v) for name, v in
                                                         zip(model.factor_names, ev_mu[k]) if v != 0.0}}
                               for k, j in enumerate(ev_lat)}}
    return params, record
