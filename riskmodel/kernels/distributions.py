"""Distribution functions and samplers on keyed streams (numba, arrays only).

Normals come from the inverse CDF (Wichura's AS241, relative accuracy about
1e-16), so one uniform gives one normal and a draw's counter fixes its value.
Gamma and beta variates use Marsaglia-Tsang rejection: each attempt reads its
own counter ``sub``, so the variable number of attempts never shifts any other
draw.
"""
import math

import numpy as np

from .jit import helper
from .philox import uniform2_nb

_SQRT1_2 = 0.7071067811865476
_MAX_ATTEMPTS = 1000  # Marsaglia-Tsang accepts >95% of attempts; never reached in practice


@helper
def ndtri_nb(p):
    """Inverse of the standard normal CDF for p in (0, 1) (AS241, PPND16)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    if q < 0.0:
        r = p
    else:
        r = 1.0 - p
    if r <= 0.0:
        return -np.inf if q < 0.0 else np.inf
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    x = num / den
    if q < 0.0:
        return -x
    return x


@helper
def ndtr_nb(x):
    """Standard normal CDF, accurate in the lower tail (erfc, not 1 - erf)."""
    return 0.5 * math.erfc(-x * _SQRT1_2)


@helper
def _betacf_nb(a, b, x):
    # Continued fraction for the incomplete beta (modified Lentz).
    tiny = 1e-300
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return h


@helper
def betainc_nb(a, b, x):
    """Regularised incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
           + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * _betacf_nb(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf_nb(b, a, 1.0 - x) / b


@helper
def t_cdf_nb(x, dof):
    """Student-t CDF with ``dof`` degrees of freedom (dof > 0)."""
    if np.isinf(x):
        return 0.0 if x < 0 else 1.0
    tail = 0.5 * betainc_nb(0.5 * dof, 0.5, dof / (dof + x * x))
    if x < 0.0:
        return tail
    return 1.0 - tail


@helper
def _gamma_parts_nb(shape, k0, k1, sim, stream, item, sub0):
    """Marsaglia-Tsang's Gamma(max(shape, shape + 1)) draw and, for shape < 1, the boost's uniform U (else 1);
    attempt i reads counter sub0 + 2 i, U the second lane of counter sub0 + 1."""
    ub = 1.0
    a = shape
    if shape < 1.0:
        a = shape + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    for i in range(_MAX_ATTEMPTS):
        # Each attempt uses two blocks: (normal, uniform) and a spare for the boost.
        u0, u1 = uniform2_nb(k0, k1, sim, stream, item, sub0 + 2 * i)
        if i == 0 and shape < 1.0:
            _, ub = uniform2_nb(k0, k1, sim, stream, item, sub0 + 1)
        x = ndtri_nb(u0)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        if math.log(u1) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v, ub
    return d, ub  # unreachable in practice: acceptance >95% per attempt


@helper
def gamma_nb(shape, k0, k1, sim, stream, item, sub0):
    """Gamma(shape, 1) by Marsaglia-Tsang; for shape < 1, Gamma(shape + 1) * U**(1/shape)."""
    g, ub = _gamma_parts_nb(shape, k0, k1, sim, stream, item, sub0)
    if shape < 1.0:
        return g * ub ** (1.0 / shape)
    return g


@helper
def log_gamma_nb(shape, k0, k1, sim, stream, item, sub0):
    """The log of ``gamma_nb``'s draw on the same counters, without its underflow: for a small shape the
    boost ``U**(1/shape)`` rounds to 0 (shape 0.002 and U < 0.25), the log stays finite."""
    g, ub = _gamma_parts_nb(shape, k0, k1, sim, stream, item, sub0)
    if shape < 1.0:
        return math.log(g) + math.log(ub) / shape
    return math.log(g)


@helper
def beta_nb(a, b, k0, k1, sim, stream, item):
    """Beta(a, b) as G_a / (G_a + G_b); the two gammas use disjoint counter ranges. When both underflow to 0
    (shapes near 0: a beta LGD with its sd close to the bound) the same draws are taken in logs."""
    ga = gamma_nb(a, k0, k1, sim, stream, item, 0)
    gb = gamma_nb(b, k0, k1, sim, stream, item, 1 << 16)
    if ga + gb > 0.0:
        return ga / (ga + gb)
    la = log_gamma_nb(a, k0, k1, sim, stream, item, 0)
    lb = log_gamma_nb(b, k0, k1, sim, stream, item, 1 << 16)
    return 1.0 / (1.0 + math.exp(lb - la))


@helper
def chi2_nb(dof, k0, k1, sim, stream, item):
    """Chi-square with ``dof`` degrees of freedom: 2 * Gamma(dof / 2)."""
    return 2.0 * gamma_nb(0.5 * dof, k0, k1, sim, stream, item, 0)
