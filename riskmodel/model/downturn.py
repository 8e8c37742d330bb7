"""Downturn LGD: recoveries that fall when the obligor's systematic factor does, its mean given default kept.

With ``[lgd.<product>] downturn = a > 0`` the LGD after a default is
``Phi(c + b W)``, ``W = -a S + sqrt(1 - a^2) eps``, where ``S`` is the
defaulting obligor's systematic part scaled to unit variance
(``sum_k beta_k Z_k / sqrt(R^2)``) and ``eps`` an independent normal (a
probit-normal LGD whose latent leans on the obligor's factor, after Frye,
2000, and Pykhtin, 2003). ``b`` gives the LGD the scenario's ``sd`` when
``a = 0``; ``c`` is then set per obligor so that the mean LGD *given its
default* over the horizon is the scenario's ``mean``: the stated mean is an
average over defaults, so expected loss does not move with ``a`` while the
tail does (bad years bring more defaults and lower recoveries together).

The calibration is exact for the Gaussian copula: with
``p(S) = Phi((thr - sqrt(R^2) S) / sqrt(1 - R^2))`` and
``E[LGD | S] = Phi(alpha - beta S)``,
``E[p(S) E[LGD | S]] = Phi2(thr, alpha / sqrt(1 + beta^2); sqrt(R^2) beta / sqrt(1 + beta^2))``,
solved for ``alpha`` by bisection. Under the Student-t copula the mean given
default differs a little (a model warning says so).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..inputs.products import CREDIT_PRODUCTS
from ..inputs.scenario import Scenario
from .combos import by_combination


def bvn_cdf(h, k, rho):
    """P(X <= h, Y <= k) for standard normals with correlation ``rho`` (vectorised; Owen's T)."""
    h, k, rho = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(rho, float))
    h = np.where(h == 0.0, 1e-12, h)  # the formula divides by h and k; 1e-12 moves the result by < 1e-12
    k = np.where(k == 0.0, 1e-12, k)
    s = np.sqrt(np.maximum(1.0 - rho * rho, 1e-300))
    corr = np.where((h * k < 0.0), 0.5, 0.0)
    out = (0.5 * special.ndtr(h) + 0.5 * special.ndtr(k) - special.owens_t(h, (k - rho * h) / (h * s))
           - special.owens_t(k, (h - rho * k) / (k * s)) - corr)
    return np.clip(out, 0.0, np.minimum(special.ndtr(h), special.ndtr(k)))


def _bisect(f, lo: float, hi: float, shape, n: int = 200) -> np.ndarray:
    """The root of each increasing ``f`` (vectorised) in ``[lo, hi]``."""
    a, b = np.full(shape, lo), np.full(shape, hi)
    for _ in range(n):
        mid = 0.5 * (a + b)
        below = f(mid) < 0.0
        a, b = np.where(below, mid, a), np.where(below, b, mid)
    return 0.5 * (a + b)


def spread(mean, sd) -> np.ndarray:
    """``b`` of a probit-normal LGD ``Phi(c + b N)`` with the given mean and sd (``a = 0``)."""
    mean, sd = np.broadcast_arrays(np.asarray(mean, float), np.asarray(sd, float))
    q = special.ndtri(mean)

    def excess(b):
        r = b * b / (1.0 + b * b)
        return bvn_cdf(q, q, r) - mean * mean - sd * sd
    return _bisect(excess, 0.0, 200.0, mean.shape)


def calibrate(mean, sd, link, pd_horizon, r2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(c, coefficient on the systematic part ``s = sum beta Z``, coefficient on eps) per row: the LGD is
    ``Phi(c - s_coef * s + e_coef * eps)``, its mean given default over the horizon ``mean``."""
    mean, sd, link, pd_h, r2 = np.broadcast_arrays(*(np.asarray(x, float) for x in (mean, sd, link, pd_horizon,
                                                                                    r2)))
    b = spread(mean, sd)
    a = np.where(r2 > 0.0, link, 0.0)  # no systematic part, nothing to lean on
    scale = np.sqrt(1.0 + b * b * (1.0 - a * a))  # E[LGD | S] = Phi((c - b a S) / scale)
    beta = b * a / scale
    nb = np.sqrt(1.0 + beta * beta)
    thr = special.ndtri(np.clip(pd_h, 1e-300, 1.0 - 1e-16))
    rho = np.sqrt(np.maximum(r2, 0.0)) * beta / nb
    target = mean * pd_h

    def excess(y):
        return bvn_cdf(thr, y, rho) - target
    y = _bisect(excess, -40.0, 40.0, mean.shape)
    c = np.where(pd_h > 0.0, y * nb * scale, special.ndtri(mean) * np.sqrt(1.0 + b * b))  # never defaults: any c
    s_coef = np.where(r2 > 0.0, b * a / np.sqrt(np.where(r2 > 0.0, r2, 1.0)), 0.0)
    return c, s_coef, b * np.sqrt(1.0 - a * a)


def downturn_arrays(covers: pd.DataFrame, importer_kinds: pd.Series, scenario: Scenario, pd_horizon: np.ndarray,
                    r2: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], list[str]]:
    """Per cover, (c, coefficient on the systematic part, coefficient on eps) of its LGD after default (all 0
    where the product has no downturn link: its beta LGD), given each cover's defaulting obligor's horizon PD and
    R^2; and the model's warnings."""
    lgd = scenario.lgd

    def law(p, kind):
        spec = getattr(lgd, p)
        own = (getattr(spec, kind) or spec) if p in CREDIT_PRODUCTS else spec
        return own.mean, own.sd, spec.downturn if lgd.random else 0.0

    rows = by_combination(law, covers["product"], importer_kinds, width=3)
    n = len(covers)
    c, s_coef, e_coef = np.zeros(n), np.zeros(n), np.zeros(n)
    on = rows[:, 2] > 0
    if not on.any():
        return (c, s_coef, e_coef), []
    key = np.column_stack([rows[on], pd_horizon[on], r2[on]])
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    cal = calibrate(*uniq.T)
    for out, v in zip((c, s_coef, e_coef), cal):
        out[on] = v[inverse.ravel()]
    warnings = []
    if scenario.copula.kind == "student_t":
        warnings.append("downturn LGDs are calibrated under the Gaussian copula: under the Student-t copula their "
                        "mean given default differs a little from the stated mean")
    return (c, s_coef, e_coef), warnings
