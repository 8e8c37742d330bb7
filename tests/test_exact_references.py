"""The simulator against exact results (the issue's acceptance criteria).

Each check allows K_SE standard errors of the Monte Carlo estimator; for VaR,
the Woodruff interval at the matching confidence must contain the exact
quantile. With random LGD the exact answer is bracketed by two lattice
distributions (LGD rounded down / up), and the estimate must fall within K_SE
standard errors of that bracket.

The main cases run on every kernel: plain Monte Carlo on the sparse kernel
(the default), on the dense reference kernel, and importance sampling.
"""
import functools

import numpy as np
import pytest

from riskmodel import simulate
from riskmodel.analysis import analytic
from riskmodel.analysis.estimators import LossSample

from conftest import CI_K, K_SE, ci_k, k_se, one_factor_portfolio, one_factor_scenario

LEVELS = (0.99, 0.999)
KERNELS = {"sparse": {"method": "plain"}, "dense": {"method": "plain", "sampling": "dense"},
           "importance": {"method": "importance"}}
kernels = pytest.mark.parametrize("kernel", list(KERNELS))


def _check(result, lo: dict, hi: dict, levels=LEVELS, thresholds=()):
    """MC estimates vs an exact [lo, hi] bracket (lo == hi for exact lattices)."""
    s = LossSample(result.total_loss, result.weights, CI_K, result.strata)
    checks = []
    el = s.mean()
    checks.append(("el", lo["el"] - k_se() * el.se <= el.value <= hi["el"] + K_SE * el.se, el.value, lo["el"]))
    for a in levels:
        v, _ = s.var(a)
        ci_k()  # the interval was built at CI_K (above): one more check on the budget
        checks.append((f"var {a}", v.ci_low <= hi[("var", a)] and v.ci_high >= lo[("var", a)], (v.ci_low, v.ci_high),
                       (lo[("var", a)], hi[("var", a)])))
        e = s.es(a)
        checks.append((f"es {a}", lo[("es", a)] - k_se() * e.se <= e.value <= hi[("es", a)] + K_SE * e.se,
                       e.value, (lo[("es", a)], hi[("es", a)])))
    for t in thresholds:
        p_lo, p_hi = lo[("p_exceed", t)], hi[("p_exceed", t)]
        est = s.prob_exceed(t)
        # plain MC: the binomial error at the exact value (the estimate's own is 0 when no sample exceeds t)
        se = est.se if s.weighted else np.sqrt(max(p_hi * (1 - p_hi), 1e-300) / s.n)
        p = est.value
        checks.append((f"p_exceed {t}", p_lo - k_se() * se <= p <= p_hi + K_SE * se, p, (p_lo, p_hi)))
    failed = [c for c in checks if not c[1]]
    assert not failed, f"estimate outside {K_SE} standard errors of the exact value: {failed}"


HETERO_PD = np.array([0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08] * 4)
HETERO_BETA = np.array([0.2, 0.35, 0.5, 0.6] * 7)
HETERO_UNITS = np.array([1, 2, 3, 5, 8, 4, 6] * 4)


@pytest.mark.parametrize("via", ["exporter", "importer"])
@kernels
def test_heterogeneous_gaussian_fixed_lgd(via, kernel):
    pf = one_factor_portfolio(HETERO_PD, HETERO_BETA, HETERO_UNITS, via)
    res = simulate(pf, one_factor_scenario(), n_sims=200_000, seed=11, **KERNELS[kernel])
    pmf = analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, [analytic.fixed_severity(u) for u in HETERO_UNITS])
    ref = analytic.pmf_metrics(pmf, 1.0, LEVELS, thresholds=(10, 30))
    _check(res, ref, ref, thresholds=(10, 30))


@kernels
def test_homogeneous_gaussian(kernel):
    n = 50
    pd_, beta = np.full(n, 0.01), np.full(n, np.sqrt(0.15))
    pf = one_factor_portfolio(pd_, beta, np.ones(n))
    res = simulate(pf, one_factor_scenario(), n_sims=200_000, seed=3, **KERNELS[kernel])
    ref = analytic.pmf_metrics(analytic.one_factor_loss_pmf(pd_, beta, [analytic.fixed_severity(1)] * n),
                               1.0, LEVELS, thresholds=(3, 8))
    _check(res, ref, ref, thresholds=(3, 8))


@pytest.mark.parametrize("dof", [4.0, 10.0])
@kernels
def test_heterogeneous_student_t_against_2d_quadrature(dof, kernel):
    pf = one_factor_portfolio(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    res = simulate(pf, one_factor_scenario(copula="student_t", dof=dof), n_sims=200_000, seed=5, **KERNELS[kernel])
    pmf = analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, [analytic.fixed_severity(u) for u in HETERO_UNITS],
                                       dof=dof)
    ref = analytic.pmf_metrics(pmf, 1.0, LEVELS, thresholds=(10, 30))
    _check(res, ref, ref, thresholds=(10, 30))


BETA_LGD = (0.05, 0.6, 0.25)  # lattice step, mean, sd


@functools.cache
def _beta_lgd_bracket(copula: str):
    step, mean, sd = BETA_LGD
    bounds = [analytic.beta_severity_bounds(u, mean, sd, step) for u in HETERO_UNITS]
    dof = 5.0 if copula == "student_t" else None
    lo = analytic.pmf_metrics(analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, [b[0] for b in bounds], dof=dof),
                              step, LEVELS, thresholds=(6, 15))
    hi = analytic.pmf_metrics(analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, [b[1] for b in bounds], dof=dof),
                              step, LEVELS, thresholds=(6, 15))
    return lo, hi


def test_beta_lgd_bracket_is_tight_and_holds_the_exact_el():
    for copula in ("gaussian", "student_t"):
        lo, hi = _beta_lgd_bracket(copula)
        assert hi[("es", 0.999)] - lo[("es", 0.999)] < 0.02 * hi[("es", 0.999)]
        exact_el = float(np.sum(HETERO_PD * HETERO_UNITS * BETA_LGD[1]))
        assert lo["el"] <= exact_el <= hi["el"]


@pytest.mark.parametrize("copula", ["gaussian", "student_t"])
@kernels
def test_random_beta_lgd_within_exact_bracket(copula, kernel):
    _, mean, sd = BETA_LGD
    pf = one_factor_portfolio(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    sc = one_factor_scenario(lgd_mean=mean, lgd_sd=sd, copula=copula, dof=5.0)
    res = simulate(pf, sc, n_sims=200_000, seed=9, **KERNELS[kernel])
    lo, hi = _beta_lgd_bracket(copula)
    _check(res, lo, hi, thresholds=(6, 15))


@kernels
def test_independent_defaults_poisson_binomial(kernel):
    rng = np.random.default_rng(0)
    pd_ = rng.uniform(0.005, 0.2, 30)
    pf = one_factor_portfolio(pd_, np.zeros(30), np.ones(30))
    res = simulate(pf, one_factor_scenario(), n_sims=200_000, seed=21, **KERNELS[kernel])
    # Poisson-binomial by direct recursion, independent of the FFT code
    pmf = np.array([1.0])
    for p in pd_:
        pmf = np.convolve(pmf, [1 - p, p])
    ref = analytic.pmf_metrics(pmf, 1.0, LEVELS, thresholds=(2, 5))
    _check(res, ref, ref, thresholds=(2, 5))


@kernels
def test_large_pool_matches_finite_pool_and_vasicek_limit(kernel):
    n, p, rho = 2000, 0.01, 0.2
    pf = one_factor_portfolio(np.full(n, p), np.full(n, np.sqrt(rho)), np.ones(n))
    res = simulate(pf, one_factor_scenario(), n_sims=100_000, seed=4, **KERNELS[kernel])
    pmf = analytic.one_factor_loss_pmf(np.full(n, p), np.full(n, np.sqrt(rho)), [analytic.fixed_severity(1)] * n)
    ref = analytic.pmf_metrics(pmf, 1.0, LEVELS)
    _check(res, ref, ref)
    # the simulated loss fraction's 99.9% quantile is near the Vasicek limit, off by the granularity gap
    gap = ref[("var", 0.999)] / n - analytic.vasicek_quantile(p, rho, 0.999)
    assert 0 < gap < 2e-3


def test_exact_pool_converges_to_vasicek_at_rate_one_over_n():
    p, rho = 0.01, 0.2
    gaps = []
    for n in (1000, 10000):
        pmf = analytic.one_factor_loss_pmf(np.full(n, p), np.full(n, np.sqrt(rho)), [analytic.fixed_severity(1)] * n)
        q = analytic.pmf_metrics(pmf, 1.0 / n, [0.999])[("var", 0.999)]
        gaps.append(q - analytic.vasicek_quantile(p, rho, 0.999))
    assert gaps[0] > gaps[1] > 0
    assert 5 < gaps[0] / gaps[1] < 20  # first-order granularity: gap ~ c / n


@pytest.mark.parametrize("pd_,rw50,rw5", [(0.0003, 0.1444, 0.1130), (0.01, 0.9232, 0.7240), (0.05, 1.4986, None),
                                          (0.20, 2.3823, None)])
def test_irb_matches_basel_annex5_table(pd_, rw50, rw5):
    # Basel II (June 2006) Annex 5: illustrative IRB risk weights, corporate, LGD 45%, M = 2.5.
    # The table prints 0.01%; allow one unit of that last digit (its SME column is off by
    # slightly more than half a unit at PD 1%).
    assert analytic.irb_capital(pd_, 0.45) * 12.5 == pytest.approx(rw50, abs=1e-4)
    if rw5 is not None:
        assert analytic.irb_capital(pd_, 0.45, sme_turnover_eur_m=5) * 12.5 == pytest.approx(rw5, abs=1e-4)


def test_quadrature_converged():
    sev = [analytic.fixed_severity(u) for u in HETERO_UNITS]
    for dof in (None, 4.0):
        a = analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, sev, dof=dof)
        b = analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, sev, dof=dof, n_z=400, n_w=192)
        assert np.abs(a - b).max() < 1e-10
