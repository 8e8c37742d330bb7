"""Estimators: exact on known samples, atoms handled, errors calibrated, variance stable."""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from riskmodel.analysis.analytic import pmf_metrics
from riskmodel.analysis.estimators import LossSample, mean_and_variance

from conftest import k_se


def test_variance_is_stable_with_a_large_mean():
    rng = np.random.default_rng(1)
    x = 1e9 + rng.normal(0, 1e-3, 10_001)
    exact = [Fraction(v) for v in x]
    mu = sum(exact) / len(exact)
    var = float(sum((v - mu) ** 2 for v in exact) / len(exact))
    m, v = mean_and_variance(x)
    assert v == pytest.approx(var, rel=1e-6)
    assert m == pytest.approx(float(mu), rel=1e-15)
    # the one-pass formula this guards against loses every digit here
    naive = float(np.mean(x * x) - np.mean(x) ** 2)
    assert abs(naive - var) > 100 * var


def test_quantile_is_the_order_statistic():
    s = LossSample(np.arange(1.0, 101.0))
    assert s.quantile_at(0.95) == 95.0
    assert s.quantile_at(0.951) == 96.0
    assert s.var(0.95)[0].value == 95.0


def test_es_with_atoms():
    s = LossSample(np.array([0.0] * 90 + [10.0] * 10))
    assert s.var(0.95)[0].value == 10.0 and s.es(0.95).value == pytest.approx(10.0)
    # VaR(0.85) = 0 sits on the atom at zero; ES = E[L 1{L>0}] / 0.15 = 1 / 0.15
    assert s.var(0.85)[0].value == 0.0
    assert s.es(0.85).value == pytest.approx(1.0 / 0.15)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=10, max_size=300), st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]))
def test_sample_estimators_equal_the_exact_metrics_of_the_empirical_distribution(values, level):
    x = np.array(values, dtype=float)
    pmf = np.bincount(x.astype(int), minlength=21) / len(x)
    ref = pmf_metrics(pmf, 1.0, [level], thresholds=[5.0])
    s = LossSample(x)
    assert s.mean().value == pytest.approx(ref["el"], rel=1e-12, abs=1e-12)
    assert s.var(level)[0].value == ref[("var", level)]
    assert s.es(level).value == pytest.approx(ref[("es", level)], rel=1e-9, abs=1e-9)
    assert s.ec(level).value == pytest.approx(ref[("ec", level)], rel=1e-9, abs=1e-9)
    assert s.prob_exceed(5.0).value == pytest.approx(ref[("p_exceed", 5.0)])
    for e in (s.mean(), s.sd(), s.var(level)[0], s.es(level), s.ec(level), s.prob_exceed(5.0)):
        assert all(math.isfinite(v) for v in (e.value, e.se, e.ci_low, e.ci_high))
        assert e.ci_low <= e.value <= e.ci_high


def test_unit_weights_equal_plain_estimates():
    x = np.random.default_rng(2).lognormal(size=5000)
    a, b = LossSample(x), LossSample(x, np.ones_like(x))
    for lv in (0.9, 0.99):
        assert a.var(lv)[0].value == b.var(lv)[0].value
        assert a.es(lv).value == pytest.approx(b.es(lv).value, rel=1e-14)


def test_standard_errors_and_intervals_are_calibrated():
    """Over R independent samples: reported SEs match the spread; intervals cover at their level.

    Tolerances: the spread of R estimates has relative SE ~ 1/sqrt(2R); coverage
    of a 95% interval over R trials has SE sqrt(0.95 * 0.05 / R). Both get K_SE.
    """
    rng = np.random.default_rng(7)
    R, n, lv = 600, 4000, 0.99
    true_q = -np.log(1 - lv)  # exponential(1)
    true_es = true_q + 1.0
    est, se_q, cover_q, est_es, se_es, est_ec, se_ec = [], [], 0, [], [], [], []
    for _ in range(R):
        s = LossSample(rng.exponential(size=n))
        v, _ = s.var(lv)
        est.append(v.value), se_q.append(v.se)
        cover_q += v.ci_low <= true_q <= v.ci_high
        e = s.es(lv)
        est_es.append(e.value), se_es.append(e.se)
        c = s.ec(lv)
        est_ec.append(c.value), se_ec.append(c.se)
    tol = k_se(3) / np.sqrt(2 * R)
    assert np.std(est_es) / np.mean(se_es) == pytest.approx(1.0, abs=tol)
    assert np.std(est) / np.mean(se_q) == pytest.approx(1.0, abs=tol)
    assert np.std(est_ec) / np.mean(se_ec) == pytest.approx(1.0, abs=tol)
    assert abs(cover_q / R - 0.95) < k_se() * np.sqrt(0.95 * 0.05 / R)
    assert abs(np.mean(est_es) - true_es) < k_se() * np.std(est_es) / np.sqrt(R)


def test_tail_warning_when_too_few_tail_simulations():
    s = LossSample(np.random.default_rng(0).exponential(size=1000))
    assert s.tail_warning(0.999) is not None and "increase n_sims" in s.tail_warning(0.999)
    assert s.tail_warning(0.9) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.integers(0, 4)), min_size=12, max_size=200))
def test_stratified_standard_error_is_the_within_stratum_formula(pairs):
    x = np.array([p[0] for p in pairs])
    h = np.array([p[1] for p in pairs])
    counts = np.bincount(h)
    assume((counts[counts > 0] >= 2).all())
    n = x.size
    brute = np.sqrt(sum(np.sum(h == k) * np.var(x[h == k], ddof=1) for k in np.unique(h))) / n
    s = LossSample(x, np.ones(n), strata=h)
    assert s.mean().se == pytest.approx(brute, rel=1e-9, abs=1e-12)
    # one stratum is plain Monte Carlo
    assert LossSample(x, np.ones(n), strata=np.zeros(n, dtype=int)).mean().se == pytest.approx(
        LossSample(x).mean().se, rel=1e-12, abs=1e-15)


def test_stratified_error_vanishes_when_strata_explain_everything():
    x = np.repeat([1.0, 5.0, 9.0], 50)
    s = LossSample(x, np.ones(x.size), strata=np.repeat([0, 1, 2], 50))
    assert s.mean().se == 0.0 and LossSample(x).mean().se > 0


def test_strata_need_two_simulations_each():
    with pytest.raises(ValueError, match="at least two"):
        LossSample(np.arange(5.0), np.ones(5), strata=np.array([0, 0, 1, 1, 2]))


def test_tail_quantile_under_weights_uses_the_tail_weights():
    """VaR from T_n(x) = mean(w 1{x > q}): the total weight of the body does not move it."""
    x = np.array([0.0, 0.0, 0.0, 10.0, 20.0])
    w = np.array([5.0, 5.0, 5.0, 0.004, 0.001])  # body weights far from summing to n: irrelevant to the tail
    s = LossSample(x, w)
    # T(0) = (0.004 + 0.001) / 5 = 1e-3 and T(10) = 2e-4: the 0.999 VaR is 0, the 0.9999 VaR is 20
    assert s.quantile_at(0.999) == 0.0
    assert s.quantile_at(0.9999) == 20.0


def test_a_tail_carried_by_a_few_heavy_weights_is_flagged():
    """Importance sampling that misses a route to the tail leaves a few heavily weighted simulations there:
    the tail's effective sample size says so (the standard error, estimated from the same few, cannot)."""
    rng = np.random.default_rng(0)
    n = 4000
    x = rng.exponential(1.0, n)
    w = np.ones(n)
    top = np.argsort(x)[-600:]  # the tail oversampled with light weights (0.03 each, 18 in all) ...
    w[top] = 0.03
    heavy = w.copy()
    heavy[top[300]] = 20.0  # ... and one heavy simulation inside it
    msg = LossSample(x, heavy).tail_warning(0.99)
    assert msg is not None and "effective simulations" in msg and "importance" in msg
    even = w.copy()
    even[top] = 38.0 / 600  # the same tail weight, spread evenly
    assert LossSample(x, even).tail_warning(0.99) is None


def test_var_interval_does_not_collapse_on_one_heavy_simulation():
    """A weighted simulation holding more probability than Woodruff's step puts both ends of VaR's interval on
    the estimate (zero width, z up to 22 on the bundled book). Its sides then take the quantile's slope across
    that point; a genuine atom (two simulations at the value) keeps the atom's interval."""
    rng = np.random.default_rng(3)
    n = 4000
    x = np.sort(rng.exponential(1.0, n))
    w = np.ones(n)
    w[-600:] = 0.03
    w[-100] = 3.0  # with 99 light simulations above it, the 0.999 quantile falls on it
    s = LossSample(x, w)
    v, _ = s.var(0.999)
    assert v.value == x[-100]
    assert v.ci_low < v.value < v.ci_high and v.se > 0
    step = s.z * s._cdf_se(v.value)
    assert s.quantile_at(0.999 - step) == v.value == s.quantile_at(0.999 + step)  # the collapse it repairs
    # each side: the quantile's slope over the first doubling of the step that leaves the point
    for sign, end in ((-1, v.ci_low), (1, v.ci_high)):
        d = 2 * step
        while s.quantile_at(0.999 + sign * d) == v.value:
            d *= 2
        assert abs(end - v.value) == pytest.approx(abs(s.quantile_at(0.999 + sign * d) - v.value) * step / d,
                                                   rel=1e-12)
    tied = x.copy()
    tied[-101] = tied[-100]  # an atom: two simulations at the quantile
    t, _ = LossSample(tied, w).var(0.999)
    assert t.value == tied[-100] and t.ci_low == t.value == t.ci_high


def test_weighted_var_interval_is_at_least_the_sectioning_interval():
    """Under importance sampling VaR's interval is the wider of Woodruff's and sectioning's: the run cut along
    the simulation order into sections that each hold every design cell equally often, the spread of their
    quantiles around the whole run's with a t quantile."""
    from scipy import stats

    from riskmodel.analysis.estimators import SECTIONS

    rng = np.random.default_rng(0)
    n_cells, n = 8, 8 * 60
    cells = np.arange(n) % n_cells
    x = rng.exponential(1.0, n) * (1 + cells)  # cells differ, as a design's components do
    w = rng.lognormal(0.0, 1.5, n)  # heavy weights: Woodruff's error, estimated from them, comes out small
    w /= w.mean()
    s = LossSample(x, w, strata=cells)
    v, _ = s.var(0.9)
    section = (np.arange(n) // n_cells) % SECTIONS
    qs = np.array([LossSample(x[section == k], w[section == k]).quantile_at(0.9) for k in range(SECTIONS)])
    half = stats.t.ppf(0.975, SECTIONS - 1) * np.sqrt(np.sum((qs - v.value) ** 2) / (SECTIONS * (SECTIONS - 1)))
    step = s.z * s._cdf_se(v.value)
    lo_w, hi_w = s.quantile_at(0.9 - step), s.quantile_at(0.9 + step)  # Woodruff's
    assert v.ci_low == pytest.approx(min(lo_w, v.value - half), rel=1e-12)
    assert v.ci_high == pytest.approx(max(hi_w, v.value + half), rel=1e-12)
    assert v.value - half < lo_w and v.value + half > hi_w  # here sectioning's is the wider on both sides
    short = LossSample(x[: 8 * 9], w[: 8 * 9], strata=cells[: 8 * 9])  # nine rounds: too few sections
    assert short._sectioning_half_width(0.9, short.quantile_at(0.9)) == 0.0


def test_var_on_a_lattice_carries_the_atom_note_and_a_continuous_sample_does_not():
    """Ties at the quantile (fixed LGDs, integer exposures): VaR's and EC's intervals end on atoms and cover
    95-100% (benchmarks/calibration.py), so both figures say so; distinct losses say nothing."""
    rng = np.random.default_rng(5)
    lattice = LossSample(rng.poisson(3.0, 20_000).astype(float))
    continuous = LossSample(rng.exponential(3.0, 20_000))
    for metric in ("var", "ec"):
        note = lattice.warning(metric, 0.99)
        assert note.startswith("VaR(0.99) sits on an atom") and "ends on atoms" in note, note
        assert continuous.warning(metric, 0.99) == ""
    assert "atom" not in lattice.warning("es", 0.99) and lattice.warning("el", None) == ""
