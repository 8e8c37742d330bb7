"""Asset correlation from a series of yearly default rates: the one-factor (Vasicek) model's estimators.

A segment's obligors default in year t when ``sqrt(rho) Z_t + sqrt(1 - rho) e < c`` (``Z_t`` the year's
factor, independent across years), so ``PD = Phi(c)`` and, given ``Z_t``, each defaults with probability
``p(Z_t) = Phi((c - sqrt(rho) Z_t) / sqrt(1 - rho))``.

- **Counts** (``defaults`` of ``obligors``): maximum likelihood of the binomial mixture
  ``prod_t int Binomial(d_t; n_t, p(z)) phi(z) dz`` (the integral on a fine grid), intervals by profile
  likelihood (the set where twice the log-likelihood ratio is below the chi-square(1) quantile).
- **Rates alone** (a large pool): ``y_t = Phi^-1(r_t)`` are normal with variance ``v = rho / (1 - rho)``, so
  the maximum-likelihood estimates are closed-form and the interval of ``rho`` is exact,
  ``(T - 1) s^2 / chi2`` (the ``y``'s sample variance ``s^2``, T years).
- **Method of moments**: the mean rate gives PD; the rates' variance (less the binomial noise of finite
  pools) is ``Phi_2(c, c; rho) - PD^2``, solved for ``rho``; intervals by parametric bootstrap from the
  fitted model (a fixed stream, so the same data give the same interval).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from ..model.downturn import bvn_cdf

RHO_MIN, RHO_MAX = 1e-6, 0.95
_Z = np.linspace(-9.0, 9.0, 1201)  # the factor grid of the mixture's integral (Simpson weights below)
_W = np.full(_Z.size, 2.0)
_W[1::2] = 4.0
_W[0] = _W[-1] = 1.0
_W *= (_Z[1] - _Z[0]) / 3.0 * np.exp(-0.5 * _Z ** 2) / np.sqrt(2 * np.pi)


@dataclass(frozen=True)
class Fit:
    method: str
    pd: float
    pd_ci: tuple[float, float]
    rho: float
    rho_ci: tuple[float, float]
    years: int
    note: str = ""


def mixture_loglik(c: float, rho: float, d: np.ndarray, n: np.ndarray) -> float:
    """Log-likelihood of yearly defaults ``d`` of ``n`` under the one-factor model (PD = Phi(c))."""
    p = special.ndtr((c - np.sqrt(rho) * _Z) / np.sqrt(1.0 - rho))
    p = np.clip(p, 1e-300, 1.0 - 1e-16)
    logb = (special.gammaln(n + 1) - special.gammaln(d + 1) - special.gammaln(n - d + 1))[:, None] \
        + d[:, None] * np.log(p)[None, :] + (n - d)[:, None] * np.log1p(-p)[None, :]
    top = logb.max(axis=1, keepdims=True)
    return float((top[:, 0] + np.log(np.exp(logb - top) @ _W)).sum())


def _profile_c(rho, d, n, c0):
    r = optimize.minimize_scalar(lambda c: -mixture_loglik(c, rho, d, n), bounds=(c0 - 4.0, c0 + 4.0),
                                 method="bounded", options={"xatol": 1e-7})
    return -float(r.fun), float(r.x)


def _profile_rho(c, d, n):
    r = optimize.minimize_scalar(lambda s: -mixture_loglik(c, _rho(s), d, n), bounds=(-14.0, 3.0),
                                 method="bounded", options={"xatol": 1e-7})
    return -float(r.fun)


def _rho(s):  # an unbounded parameter onto (RHO_MIN, RHO_MAX)
    return RHO_MIN + (RHO_MAX - RHO_MIN) * special.expit(s)


def _edge(f, best: float, crit: float, inside: float, outside: float) -> float:
    """The point between ``inside`` (in the set) and ``outside`` where ``2 (best - f) = crit``; ``outside`` when
    the whole segment is in the set."""
    g = lambda x: 2.0 * (best - f(x)) - crit  # noqa: E731
    if g(outside) <= 0.0:
        return outside
    return float(optimize.brentq(g, inside, outside, xtol=1e-7))


def _mle(d, n) -> tuple[float, float, float]:
    """(c, rho, maximised log-likelihood) of yearly counts."""
    start = fit_moments(d / n, n, n_boot=0)
    c0 = special.ndtri(np.clip(d.sum() / n.sum(), 1e-9, 1 - 1e-9))
    s0 = special.logit(np.clip((max(start.rho, 1e-3) - RHO_MIN) / (RHO_MAX - RHO_MIN), 1e-6, 1 - 1e-6))
    r = optimize.minimize(lambda v: -mixture_loglik(v[0], _rho(v[1]), d, n), np.array([c0, s0]),
                          method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    c_hat, rho_hat = float(r.x[0]), float(_rho(r.x[1]))
    return c_hat, rho_hat, max(-float(r.fun), _profile_c(rho_hat, d, n, c_hat)[0])


BOOT_BELOW = 25  # fewer years: the likelihood ratio's critical values come from a parametric bootstrap
N_BOOT = 199


def calibrated_critical(c: float, rho: float, n, level: float, n_boot: int = N_BOOT, seed: int = 20261204):
    """The ``level`` quantiles of the likelihood-ratio statistics of rho and of c at the fitted values,
    from ``n_boot`` series drawn from the fit (the chi-square(1) law holds only for long series)."""
    rng = np.random.Generator(np.random.Philox(key=seed))
    lr = np.empty((n_boot, 2))
    pd = float(special.ndtr(c))
    for b in range(n_boot):
        db = simulate_rates(pd, rho, n, n.size, rng).astype(float)
        cb, _, best = _mle(db, n)
        lr[b] = 2 * (best - _profile_c(rho, db, n, cb)[0]), 2 * (best - _profile_rho(c, db, n))
    return tuple(float(q) for q in np.quantile(np.maximum(lr, 0.0), level, axis=0))


def fit_counts(d, n, ci_level: float = 0.95, n_boot: int | None = None) -> Fit:
    """Maximum likelihood from counts, with profile-likelihood intervals; for fewer than ``BOOT_BELOW`` years
    (or ``n_boot`` > 0) their critical values are calibrated by a parametric bootstrap."""
    d, n = np.asarray(d, float), np.asarray(n, float)
    c_hat, rho_hat, best = _mle(d, n)
    n_boot = (N_BOOT if d.size < BOOT_BELOW else 0) if n_boot is None else n_boot
    if n_boot > 0:
        crit_rho, crit_c = calibrated_critical(c_hat, rho_hat, n, ci_level, n_boot)
        how = f"profile-likelihood intervals, bootstrap-calibrated ({n_boot} series)"
    else:
        crit_rho = crit_c = float(stats.chi2.ppf(ci_level, 1))
        how = "profile-likelihood intervals"
    prof = lambda rho: _profile_c(rho, d, n, c_hat)[0]  # noqa: E731
    rho_lo = _edge(prof, best, crit_rho, rho_hat, RHO_MIN)
    rho_hi = _edge(prof, best, crit_rho, rho_hat, RHO_MAX)
    prof_c = lambda c: _profile_rho(c, d, n)  # noqa: E731
    c_lo = _edge(prof_c, best, crit_c, c_hat, c_hat - 5.0)
    c_hi = _edge(prof_c, best, crit_c, c_hat, c_hat + 5.0)
    note = "" if rho_lo > RHO_MIN else "the interval of rho reaches 0: the data do not exclude independence"
    return Fit(f"maximum likelihood (binomial mixture), {how}", float(special.ndtr(c_hat)),
               (float(special.ndtr(c_lo)), float(special.ndtr(c_hi))), rho_hat,
               (0.0 if rho_lo <= RHO_MIN else rho_lo, rho_hi), int(d.size), note)


def fit_rates(r, ci_level: float = 0.95) -> Fit:
    """Maximum likelihood from the rates of a large pool (closed form), the exact interval of rho."""
    r = np.asarray(r, float)
    if (r <= 0).any() or (r >= 1).any():
        raise ValueError("a rate of 0 or 1 has no large-pool likelihood: give defaults and obligors")
    y = special.ndtri(r)
    T = y.size
    m, v = float(y.mean()), float(y.var())  # maximum likelihood: variance over T
    rho = v / (1.0 + v)
    s2 = float(y.var(ddof=1))
    a = 1.0 - ci_level
    v_lo, v_hi = (T - 1) * s2 / stats.chi2.ppf(1 - a / 2, T - 1), (T - 1) * s2 / stats.chi2.ppf(a / 2, T - 1)
    # PD = Phi(m / sqrt(1 + v)): delta method on the probit scale (m and v independent: var m = s^2 / T,
    # var v ~ 2 v^2 / T)
    k = m / np.sqrt(1.0 + v)
    se_k = np.sqrt(s2 / T / (1.0 + v) + (m ** 2 / (4 * (1.0 + v) ** 3)) * 2 * v * v / T)
    z = float(stats.t.ppf(0.5 + ci_level / 2, T - 1))  # the mean's error is estimated: Student's t
    return Fit("maximum likelihood (large pool), exact chi-square interval of rho", float(special.ndtr(k)),
               (float(special.ndtr(k - z * se_k)), float(special.ndtr(k + z * se_k))), rho,
               (v_lo / (1 + v_lo), v_hi / (1 + v_hi)), T)


def rho_from_moments(pd: float, var: float) -> float:
    """The rho at which the one-factor model's yearly rate has variance ``var`` around ``pd``."""
    if var <= 0.0 or pd <= 0.0 or pd >= 1.0:
        return 0.0
    c = special.ndtri(pd)
    g = lambda rho: float(bvn_cdf(c, c, rho)) - pd * pd - var  # noqa: E731
    if g(0.999) <= 0.0:
        return 0.999
    return float(optimize.brentq(g, 0.0, 0.999, xtol=1e-10))


def _moments(r, n):
    pd = float(r.mean())
    noise = float(np.mean(pd * (1 - pd) / n)) if n is not None else 0.0
    return pd, rho_from_moments(pd, float(r.var(ddof=1)) - noise)


def fit_moments(r, n=None, ci_level: float = 0.95, n_boot: int = 400, seed: int = 20261204) -> Fit:
    """Method of moments; intervals by parametric bootstrap (``n_boot`` series from the fitted model)."""
    r = np.asarray(r, float)
    n = None if n is None else np.asarray(n, float)
    pd, rho = _moments(r, n)
    if n_boot <= 0:
        return Fit("method of moments", pd, (np.nan, np.nan), rho, (np.nan, np.nan), int(r.size))
    rng = np.random.Generator(np.random.Philox(key=seed))
    boot = np.empty((n_boot, 2))
    c = special.ndtri(pd)
    for b in range(n_boot):
        z = rng.standard_normal(r.size)
        p = special.ndtr((c - np.sqrt(rho) * z) / np.sqrt(1 - rho))
        rb = p if n is None else rng.binomial(n.astype(np.int64), p) / n
        boot[b] = _moments(rb, n)
    a = 1.0 - ci_level
    lo, hi = np.quantile(boot, [a / 2, 1 - a / 2], axis=0)
    return Fit(f"method of moments, parametric-bootstrap intervals ({n_boot} series)", pd,
               (float(lo[0]), float(hi[0])), rho, (float(lo[1]), float(hi[1])), int(r.size))


def simulate_rates(pd: float, rho: float, n, years: int, rng: np.random.Generator):
    """Yearly defaults of ``n`` obligors (or, ``n`` None, the large pool's rates) under the model."""
    z = rng.standard_normal(years)
    p = special.ndtr((special.ndtri(pd) - np.sqrt(rho) * z) / np.sqrt(1 - rho))
    return p if n is None else rng.binomial(np.broadcast_to(np.asarray(n, np.int64), (years,)), p)
