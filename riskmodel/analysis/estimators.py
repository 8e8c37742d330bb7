"""Monte Carlo estimators of loss metrics, each with its standard error.

All estimators take per-simulation losses ``x`` and likelihood-ratio weights
``w`` (ones for plain Monte Carlo; importance sampling supplies others), so
both modes share one path. Standard errors come from influence functions:
``se = sd(IF_i) / sqrt(n)``, variances always two-pass (never one-pass sums of
squares, which lose all precision when the mean is large).

- VaR: ``q = inf{x : T_n(x) <= 1 - alpha}`` with the tail estimate
  ``T_n(x) = mean(w 1{x_i > x})`` (from the tail, not ``mean(w 1{x_i <= x})``:
  under importance sampling the tail weights are the precise ones).
  Its interval inverts the pointwise interval of ``T_n`` (Woodruff, 1952):
  ``[q(alpha - z s), q(alpha + z s)]`` with ``s`` the standard error of
  ``T_n(q)``. For plain Monte Carlo this is the distribution-free
  order-statistic interval; it stays valid when the loss distribution has an
  atom at the quantile (the interval then shrinks to the atom). The standard
  error reported is the half-width over z.
- ES: Acerbi-Tasche ``q + mean(w (x - q)^+) / (1 - alpha)``, exact with atoms
  (it equals the tail mean with the atom split at alpha).
- EC = VaR - EL. Each side of its interval combines that side of VaR's
  Woodruff interval (the quantile's skew, and its atoms) with EL's error,
  ``sqrt(a^2 + b^2 - 2 rho a b)``, ``rho`` the correlation of the two
  estimators from their influence functions. A side where VaR's interval is
  flat (VaR on an atom) keeps EL's error; scaling VaR's sides alone lost it
  and covered the exact EC in 64-82% of seeds (``benchmarks/calibration.py``).
  On a lattice (fixed LGDs: simulations tie at the quantile) VaR's error is
  a jump between atoms and its interval often ends on the true one, so EL's
  error adds to it: ``a + b``.
- P(L > x): the share beyond x (Wilson's interval for plain Monte Carlo).
  Under importance sampling with no simulation beyond x, the upper bound is
  Wilson's for the sampling measure times the largest weight the design can
  give (``weight_bound``: at most 1 / the defensive share), never zero.

Stratified designs (importance sampling stratifies the shift direction) pass
``strata``, one label per simulation: every standard error then uses the
within-stratum variances, ``var(mean) = sum_h n_h s_h^2 / n^2``. The weights
must already make the plain weighted mean unbiased (the engine corrects for
unequal stratum counts).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .caveats import ATOM_SHARE, MIN_EXCEEDANCES, MIN_TAIL_ES, figure_warning, tail_warning  # noqa: F401


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float
    ci_low: float
    ci_high: float


def _z(ci_level: float) -> float:
    return float(special.ndtri(0.5 + ci_level / 2))


def _wilson(p: float, n: int, z: float) -> tuple[float, float]:
    """Wilson's score interval for a proportion ``p`` of ``n`` (sensible at 0 and 1; always holds ``p``)."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def mean_and_variance(v: np.ndarray) -> tuple[float, float]:
    """Mean and (population) variance, two-pass: stable for large means."""
    n = v.shape[0]
    m = float(np.sum(v) / n)
    d = v - m
    c = float(np.sum(d) / n)  # corrected two-pass (Chan, Golub, LeVeque): removes the mean's rounding error
    var = float(np.sum(d * d) / n) - c * c
    return m + c, max(var, 0.0)


def _sorted_tail(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted losses and the tail weight strictly above each, ``T_n(xs[i]) = mean(w 1{x > xs[i]})`` (ties: every
    copy of a value excluded)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    above = np.concatenate([np.cumsum(ws[::-1])[::-1][1:], [0.0]]) / x.size
    last = np.searchsorted(xs, xs, side="right") - 1
    return xs, above[last]


def _quantile(xs: np.ndarray, tail: np.ndarray, level: float) -> float:
    """``inf{x : T_n(x) <= 1 - level}``; the largest loss if no such x."""
    target = (1.0 - level) * (1 + 1e-12) + 1e-15  # rounding of the sums must not skip an exact hit
    i = int(np.searchsorted(-tail, -target, side="left"))  # tail is non-increasing
    return float(xs[min(i, xs.size - 1)])


def _weighted_quantile(x: np.ndarray, w: np.ndarray, level: float) -> float:
    return _quantile(*_sorted_tail(x, w), level)


def stats_t_quantile(p: float, dof: int) -> float:
    from scipy import stats  # here: plain runs never pay for importing it

    return float(stats.t.ppf(p, dof))


def _se_of_mean(v: np.ndarray, strata: np.ndarray | None = None) -> float:
    """Standard error of ``mean(v)``; with strata, from the within-stratum variances."""
    n = v.shape[0]
    if n < 2:
        return 0.0
    if strata is None:
        _, var = mean_and_variance(v)
        return float(np.sqrt(var * n / (n - 1) / n))
    counts = np.bincount(strata)
    sums = np.bincount(strata, weights=v)
    means = sums / np.maximum(counts, 1)
    d = v - means[strata]
    dsum = np.bincount(strata, weights=d) / np.maximum(counts, 1)  # corrected two-pass, per stratum
    ss = np.bincount(strata, weights=d * d) - counts * dsum * dsum
    return float(np.sqrt(max(float(np.sum(np.maximum(ss, 0.0) * counts / np.maximum(counts - 1, 1))), 0.0)) / n)


se_of_mean = _se_of_mean  # public: the governance stage's ratio estimators use it


SECTIONS = 20  # sections of an importance-sampling run for VaR's sectioning interval
MIN_SECTIONS = 10  # fewer whole sections (rounds of the design cells): Woodruff's interval alone


def sections(strata: np.ndarray | None, n: int) -> np.ndarray | None:
    """Each simulation's section for sectioning (-1: left out), cut along the simulation order in whole
    rounds of the design cells (cell ``sim % n_cells``), so every section holds every cell equally often and
    is a small run of the same design; None without strata or with fewer than ``MIN_SECTIONS`` sections."""
    if strata is None:
        return None
    n_cells = int(strata.max()) + 1
    rounds = n // n_cells
    b = min(SECTIONS, rounds)
    if b < MIN_SECTIONS:
        return None
    out = np.full(n, -1, dtype=np.int64)
    out[:rounds * n_cells] = (np.arange(rounds * n_cells) // n_cells) % b
    return out


def sectioned_half_width(strata: np.ndarray | None, n: int, figure, value: float, ci_level: float) -> float:
    """The t interval's half-width of the sections' figures (``sections``) around the whole run's ``value``;
    ``figure(rows)`` is one section's figure from its simulations' rows. 0 when there are no sections."""
    section = sections(strata, n)
    if section is None:
        return 0.0
    b = int(section.max()) + 1
    got = np.array([figure(np.flatnonzero(section == k)) for k in range(b)], dtype=float)
    se = float(np.sqrt(np.sum((got - value) ** 2) / (b * (b - 1))))
    return float(stats_t_quantile(0.5 + ci_level / 2, b - 1)) * se


class LossSample:
    """Sorted losses and weights, shared by every estimator of one run."""

    def __init__(self, x: np.ndarray, w: np.ndarray | None = None, ci_level: float = 0.95,
                 strata: np.ndarray | None = None, weight_bound: float | None = None):
        x = np.asarray(x, dtype=float)
        if x.ndim != 1 or x.size < 2:
            raise ValueError("need a one-dimensional sample of at least two losses")
        if not np.isfinite(x).all():
            raise ValueError("losses must be finite")
        self.n = x.size
        self.x = x
        self.w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
        self.weighted = w is not None
        # the largest weight the design can give anywhere (plain: 1); None when it has no bound
        self.weight_bound = 1.0 if w is None else weight_bound
        self.ci_level = ci_level
        self.z = _z(ci_level)
        if strata is not None:
            strata = np.asarray(strata, dtype=np.int64)
            if strata.shape != x.shape or strata.min() < 0:
                raise ValueError("strata must give one non-negative label per simulation")
            if np.bincount(strata).max() < 2 or (np.bincount(strata)[np.unique(strata)] < 2).any():
                raise ValueError("every stratum needs at least two simulations for a standard error")
        self.strata = strata
        self.xs, self.tail = _sorted_tail(x, self.w)
        self._var: dict[float, tuple[Estimate, float]] = {}  # VaR by level: EC and the table ask for it again

    # ---------------------------------------------------------------- basics

    def _interval(self, value: float, se: float) -> Estimate:
        return Estimate(value, se, value - self.z * se, value + self.z * se)

    def _se(self, v: np.ndarray) -> float:
        return _se_of_mean(v, self.strata)

    def mean(self) -> Estimate:
        v = self.w * self.x
        m, _ = mean_and_variance(v)
        return self._interval(m, self._se(v))

    def sd(self) -> Estimate:
        mu = self.mean().value
        d2 = self.w * (self.x - mu) ** 2
        var, _ = mean_and_variance(d2)
        var *= self.n / (self.n - 1)
        s = float(np.sqrt(var))
        se = self._se(d2) / (2 * s) if s > 0 else 0.0
        return self._interval(s, se)

    def prob_exceed(self, threshold: float) -> Estimate:
        ind = self.w * (self.x > threshold)
        p, _ = mean_and_variance(ind)
        se = self._se(ind)
        if not self.weighted and self.strata is None:  # Wilson score interval: sensible at p = 0 or 1
            lo, hi = _wilson(p, self.n, self.z)
            return Estimate(p, se, lo, hi)
        if p == 0.0 and self.weight_bound is not None:
            # nothing sampled beyond x: P(L > x) <= (sampling probability of the region) x (largest weight)
            return Estimate(p, se, 0.0, min(1.0, self.weight_bound * _wilson(0.0, self.n, self.z)[1]))
        return Estimate(p, se, max(0.0, p - self.z * se), p + self.z * se)

    # ---------------------------------------------------------------- tail

    def quantile_at(self, level: float) -> float:
        """inf{x : T_n(x) <= 1 - level}; the largest loss if no such x."""
        return _quantile(self.xs, self.tail, level)

    def atom_share(self, q: float) -> float:
        """Probability the run puts exactly at ``q``."""
        return float(np.sum(self.w * (self.x == q))) / self.n

    def _cdf_se(self, q: float) -> float:
        return self._se(self.w * (self.x > q))

    def var(self, level: float) -> tuple[Estimate, float]:
        """VaR with Woodruff interval; also returns the slope 1/f used by EC."""
        if level not in self._var:
            self._var[level] = self._var_at(level)
        return self._var[level]

    def _var_at(self, level: float) -> tuple[Estimate, float]:
        q = self.quantile_at(level)
        s = self._cdf_se(q)
        if s == 0.0:  # every weighted point on one side of q: fall back to the plain-MC binomial error
            s = np.sqrt(level * (1 - level) / self.n)
        lo = self.quantile_at(max(level - self.z * s, 0.0))
        hi = self.quantile_at(min(level + self.z * s, 1.0))
        lattice = int(np.sum(self.x == q)) >= 2  # simulations tie at the quantile: its interval ends on atoms
        if self.weighted and not lattice:
            if lo == q or hi == q:
                lo, hi = self._single_point_sides(level, q, s, lo, hi)
            half = self._sectioning_half_width(level, q)
            lo, hi = min(lo, q - half), max(hi, q + half)
        se = (hi - lo) / (2 * self.z)
        slope = (hi - lo) / (2 * self.z * s)
        return Estimate(q, se, lo, hi), slope

    def _sectioning_half_width(self, level: float, value: float, figure: str = "var") -> float:
        """Half-width of the sectioning interval of VaR or ES (Asmussen and Glynn, 2007, III.5a; Li, Kaplan
        and Nakayama, 2023, found 95.6% coverage for it under importance sampling): the run is cut into
        ``SECTIONS`` sections along the simulation order, each holding every design cell equally often (cell
        ``sim % n_cells``), so each is a small run of the same design; the spread of their figures around
        the whole run's ``value``, with a t quantile, bounds the error.

        Woodruff's interval and ES's influence-function error rest on the tail's weights; when a few heavy
        ones sit there the error, estimated from the same few, understates the spread (importance sampling
        aimed at 99.9% covered VaR(99%) 88-93% and ES 88-90.5% of the time on some scenarios of the bundled
        book). Each takes the wider of its own interval and this one. 0 when the run is too short for
        ``MIN_SECTIONS`` whole sections. VaR skips it on a lattice (ties at the quantile): there Woodruff's
        interval ends on atoms and already over-covers, and sections, jumping between atoms, made EC's
        error nine times its spread (the calibration study)."""
        def of(rows: np.ndarray) -> float:
            x, w = self.x[rows], self.w[rows]
            q = _weighted_quantile(x, w, level)
            return q if figure == "var" else q + float(np.mean(w * np.maximum(x - q, 0.0))) / (1 - level)

        return sectioned_half_width(self.strata, self.n, of, value, self.ci_level)

    def _single_point_sides(self, level: float, q: float, s: float, lo: float, hi: float) -> tuple[float, float]:
        """Woodruff's sides when one weighted simulation holds more probability than the interval spans.

        Importance sampling's heavy samples (up to ``1 / defensive`` times a
        plain one) can cover ``level +- z s`` alone; both ends then fall on
        the estimate and the interval has zero width although the loss
        distribution is continuous there (one seed in 200 on the bundled book;
        its z reached 22). Each degenerate side instead takes the slope of the
        quantile over the smallest widening ``d`` of the step that leaves that
        point, ``z s (q - Q(level - d)) / d``: the quantile's local slope
        measured across the heavy point rather than inside it."""
        step = self.z * s

        def side(sign: float) -> float:
            d = step
            while d < 1.0:
                d *= 2.0
                other = self.quantile_at(min(max(level + sign * d, 0.0), 1.0))
                if other != q:
                    return abs(other - q) * step / d
                if level + sign * d <= 0.0 or level + sign * d >= 1.0:
                    break
            return 0.0

        if lo == q:
            lo = q - side(-1.0)
        if hi == q:
            hi = q + side(1.0)
        return lo, hi

    def es(self, level: float) -> Estimate:
        q = self.quantile_at(level)
        excess = self.w * np.maximum(self.x - q, 0.0) / (1 - level)
        m, _ = mean_and_variance(excess)
        se = self._se(excess)
        if self.weighted:  # the wider of the influence function's interval and sectioning's
            se = max(se, self._sectioning_half_width(level, q + m, "es") / self.z)
        return self._interval(q + m, se)

    def ec(self, level: float) -> Estimate:
        """EC = VaR - EL: each side of the interval combines VaR's Woodruff side with EL's error.

        VaR's sides carry the quantile's skewed sampling distribution and its
        atoms; EL's error enters on both sides, less their covariance (from the
        influence functions: VaR's ``slope * w 1{x > q}``, EL's ``w x``). The
        standard error is the interval's half-width over z, as for VaR.
        """
        v, slope = self.var(level)
        el = self.mean()
        infl_var = slope * self.w * (self.x > v.value)
        s_var, s_el = self._se(infl_var), el.se
        s_ec = self._se(infl_var - self.w * self.x)
        rho = 0.0
        if s_var > 0.0 and s_el > 0.0:
            rho = float(np.clip((s_var * s_var + s_el * s_el - s_ec * s_ec) / (2.0 * s_var * s_el), -1.0, 1.0))
        b = self.z * s_el
        value = v.value - el.value
        # a lattice (fixed LGDs: several simulations share the quantile's value): VaR's interval ends on atoms,
        # often on the true one, and its error is a jump; EL's continuous error adds to it rather than blending
        # (blended, the interval stopped short of the true atom whenever EL was overestimated: 80-85% coverage)
        lattice = int(np.sum(self.x == v.value)) >= 2

        def side(a: float) -> float:
            if lattice:
                return a + b
            return float(np.sqrt(max(a * a + b * b - 2.0 * rho * a * b, 0.0)))

        lo, hi = value - side(v.value - v.ci_low), value + side(v.ci_high - v.value)
        return Estimate(value, (hi - lo) / (2.0 * self.z), lo, hi)

    def warning(self, metric: str, level: float | None) -> str:
        """The warning that travels with one figure of the metrics table ('' when its interval is trusted):
        ``caveats.figure_warning``."""
        return figure_warning(self, metric, level)

    def tail_warning(self, level: float) -> str | None:
        """Say when too few simulations lie beyond a level for its interval to close (``caveats``)."""
        return tail_warning(self, level)
