"""Design the importance-sampling measure of a compiled model (Glasserman and Li, 2005).

Three choices, all deterministic functions of the model and the target level
(so a run stays a pure function of inputs, seed and number of simulations):

1. **Severities** ``c_j``: each latent's expected loss given its default, a
   proxy used only to twist default probabilities (any non-negative ``c``
   keeps the estimator unbiased; a good one makes it efficient). Exporters:
   their guarantees' ``ead x p_call x LGD`` over the share of the horizon the
   cover is live; importers: their credit covers' ``ead x LGD`` likewise;
   country events: the severities of the importers they hit, times the hit
   probability.
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

The design cells are shared between three components (``kernels.importance``):
the model itself (the defensive share), shift only, shift and twist.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from scipy import special

from .grouping import SparseArrays, build_classes
from .model import CompiledModel

ISParams = namedtuple("ISParams", ["n_cells", "n_plain", "n_shift", "mu_norm", "direction", "c_w", "x_target",
                                   "theta_max", "cls_ptr", "cls_mem", "cls_grp", "cls_thr", "cls_sev", "cls_n"])

THETA_CAP = 30.0  # theta * max(c) never exceeds this: keeps exp() finite; any cap keeps the estimator unbiased


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
    return sev


class _Design:
    """Conditional default probabilities and the tail bound ``F_x`` over the active latents."""

    def __init__(self, model: CompiledModel, sev: np.ndarray):
        m = model.arrays
        active = (sev > 0) & np.isfinite(m.thr)
        self.dof = m.dof
        self.n_f = m.n_factors
        idx = np.flatnonzero(active)
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

    def theta(self, p, x):
        c = self.c
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

    def objective(self, v, x):
        """-(F_x(z) + log densities) and its gradient; v = z, or (z, log w) for the t copula."""
        z = v[: self.n_f]
        u = v[self.n_f] if self.dof > 0 else 0.0
        a, p, scale_inv = self.probs(z, u)
        x_eff = x - self.sure
        th = self.theta(p, x_eff) if x_eff > 0 else 0.0
        e = np.exp(th * self.c)
        psi = float(np.log1p(p * (e - 1)).sum())
        f = -th * x_eff + psi - 0.5 * float(z @ z)
        dpsi_dp = (e - 1) / (1 + p * (e - 1))
        phi = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
        grad_z = -(dpsi_dp * phi / self.sig) @ self.B - z
        if self.dof <= 0:
            return -f, -grad_z
        k = self.dof / 2
        f += k * u - np.exp(u) / 2 - (k * np.log(self.dof) - self.dof / 2)
        grad_u = float((dpsi_dp * phi * self.thr * scale_inv / (2 * self.sig)).sum()) + k - np.exp(u) / 2
        return -f, -np.append(grad_z, grad_u)

    def mode(self, x, start):
        if start.size == 0:  # no factors: nothing to shift, the bound itself
            return start, -float(self.objective(start, x)[0])
        from scipy import optimize

        r = optimize.minimize(self.objective, start, args=(x,), jac=True, method="L-BFGS-B")
        return r.x, -float(r.fun)


def design(model: CompiledModel, sparse: SparseArrays, level: float, defensive: float,
           strata: int, twisted: float = 0.5) -> tuple[ISParams, dict]:
    """Importance-sampling parameters aimed at the ``level`` quantile; also a record of them."""
    sev = severities(model)
    m = model.arrays
    n_plain = int(round(defensive * strata)) if defensive > 0 else 0
    if defensive > 0:
        n_plain = min(max(n_plain, 1), strata - 1)
    n_shift = int(round((strata - n_plain) * (1.0 - twisted)))
    d = _Design(model, sev)
    target = -0.5 * special.ndtri(level) ** 2
    n_v = d.n_f + (1 if d.dof > 0 else 0)
    start = np.zeros(n_v)
    if d.dof > 0:
        start[-1] = np.log(d.dof)
    mu, w_mode, x = np.zeros(d.n_f), d.dof, 0.0
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
        if d.dof > 0:
            w_mode = float(np.exp(v[-1]))
    mu_norm = float(np.linalg.norm(mu))
    direction = mu / mu_norm if mu_norm > 0 else np.zeros(max(d.n_f, 1))
    if direction.size < max(m.n_factors, 1):
        direction = np.zeros(max(m.n_factors, 1))
    c_w = max(d.dof / w_mode, 1.0) if d.dof > 0 else 1.0
    params = ISParams(n_cells=int(strata), n_plain=int(n_plain), n_shift=int(n_shift), mu_norm=mu_norm,
                      direction=np.ascontiguousarray(direction, dtype=float), c_w=float(c_w),
                      x_target=float(x), theta_max=float(d.theta_max), **build_classes(m, sparse, sev))
    record = {"level": level, "strata": int(strata), "plain_cells": int(n_plain), "shift_cells": int(n_shift),
              "twist_cells": int(strata - n_plain - n_shift), "target_proxy_loss": float(x),
              "shift_norm": mu_norm, "shift": {name: float(v) for name, v in zip(model.factor_names, mu)},
              "mixing_scale": float(c_w)}
    return params, record
