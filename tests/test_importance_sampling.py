"""Importance sampling: unbiased against exact results deep in the tail, and precise there.

The exact references are one-factor loss distributions (``analytic``).
Each estimate must lie within K_SE of its own standard errors of the exact
value; tail probabilities are checked down to 1e-6, where plain Monte Carlo
at the same number of simulations sees nothing.
"""
import sys

import numpy as np
import pandas as pd
import pytest

import riskmodel as rm
from riskmodel import simulate
from riskmodel.analysis import analytic
from riskmodel.analysis.estimators import LossSample

from conftest import CI_K, REPO, k_se, one_factor_portfolio, one_factor_scenario
from test_exact_references import HETERO_BETA, HETERO_PD, HETERO_UNITS

DEEP = 1 - 1e-6


def _exact_tail(dof=None):
    pmf = analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, [analytic.fixed_severity(u) for u in HETERO_UNITS],
                                       dof=dof)
    return pmf[::-1].cumsum()[::-1]  # tail[i] = P(L >= i)


@pytest.mark.parametrize("copula,dof,thresholds", [
    ("gaussian", None, (43, 56, 67, 77)),  # P(L > t) from 9e-4 down to 8e-7
    ("student_t", 4.0, (87, 108)),  # 9e-5 and 7e-7
])
def test_tail_probabilities_down_to_one_in_a_million(copula, dof, thresholds):
    tail = _exact_tail(dof)
    pf = one_factor_portfolio(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    res = simulate(pf, one_factor_scenario(copula=copula, dof=dof or 6.0), n_sims=50_000, seed=17,
                   levels=[DEEP], method="importance")
    s = LossSample(res.total_loss, res.weights, CI_K, res.strata)
    for t in thresholds:
        exact = tail[t + 1]
        est = s.prob_exceed(t)
        assert abs(est.value - exact) <= k_se() * est.se, (t, est, exact)
        # precise, not merely unbiased: a relative error a plain run would need ~1e9 simulations for
        assert est.se < 0.1 * exact, (t, est.se / exact)


def test_plain_monte_carlo_at_the_same_budget_cannot_see_that_tail():
    """The contrast that makes the test above meaningful."""
    pf = one_factor_portfolio(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    res = simulate(pf, one_factor_scenario(), n_sims=50_000, seed=17, method="plain")
    assert res.prob_exceed(77).value == 0.0


def test_large_homogeneous_pool_tail_against_the_exact_finite_pool():
    n, p, rho = 2000, 0.01, 0.2
    pf = one_factor_portfolio(np.full(n, p), np.full(n, np.sqrt(rho)), np.ones(n))
    pmf = analytic.one_factor_loss_pmf(np.full(n, p), np.full(n, np.sqrt(rho)), [analytic.fixed_severity(1)] * n)
    tail = pmf[::-1].cumsum()[::-1]
    res = simulate(pf, one_factor_scenario(), n_sims=20_000, seed=8, levels=[DEEP], method="importance")
    s = LossSample(res.total_loss, res.weights, CI_K, res.strata)
    for target in (1e-4, 1e-6):
        t = int(np.argmax(tail < target))  # P(L > t) = tail[t + 1] < target
        est = s.prob_exceed(t)
        assert abs(est.value - tail[t + 1]) <= k_se() * est.se
        assert est.se < 0.1 * tail[t + 1]


def test_weights_average_to_one():
    pf = one_factor_portfolio(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    res = simulate(pf, one_factor_scenario(copula="student_t", dof=5.0), n_sims=20_000, seed=2, method="importance")
    s = LossSample(res.weights, None, CI_K, res.strata)  # the weights' own stratified mean
    m = s.mean()
    assert abs(m.value - 1.0) <= k_se() * m.se
    assert res.weights.min() > 0 and res.weights.max() <= 10 * (1 + 1e-9)  # 1 / defensive share bounds it


def test_importance_sampling_narrows_the_capital_interval():
    pf = one_factor_portfolio(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    sc = one_factor_scenario()
    plain = simulate(pf, sc, n_sims=20_000, seed=4, levels=[0.999], method="plain")
    imp = simulate(pf, sc, n_sims=20_000, seed=4, levels=[0.999], method="importance")
    assert imp.ec(0.999).se < plain.ec(0.999).se / 3
    assert imp.method == "importance" and plain.method == "plain"
    assert imp.run_info["importance"]["shift_norm"] > 2  # aimed at the 99.9% tail of a one-factor pool


def test_auto_picks_importance_sampling_for_tail_levels_only(sample_portfolio):
    assert simulate(sample_portfolio, n_sims=1000, levels=[0.999]).method == "importance"
    assert simulate(sample_portfolio, n_sims=1000, levels=[0.95]).method == "plain"


def test_too_few_simulations_for_the_strata_is_a_clear_error(sample_portfolio):
    sc = rm.scenario_from_dict({"simulation": {"importance": {"strata": 60}}})
    with pytest.raises(rm.InputError, match="at least 120 simulations"):
        simulate(sample_portfolio, sc, n_sims=100, levels=[0.999], method="importance")


def test_ten_factor_portfolio_agrees_with_plain_monte_carlo():
    """The LKN 10-factor portfolio (benchmarks/cases.py): IS and plain estimate the same EC(99.9%)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import cases

    pf, sc = cases.lkn()
    imp = simulate(pf, sc, n_sims=4000, seed=3, levels=[0.999], method="importance").ec(0.999)
    plain = simulate(pf, sc, n_sims=100_000, seed=4, levels=[0.999], method="plain").ec(0.999)
    assert abs(imp.value - plain.value) <= k_se() * np.hypot(imp.se, plain.se)
    assert imp.se < plain.se / 2  # 25 times fewer simulations, a narrower interval


def test_design_aims_down_the_factor_towards_the_quantile():
    """One-factor pool: the shift is along -Z, no longer than Phi^-1(level), aimed near the Vasicek quantile."""
    from scipy import stats

    from riskmodel.engine.chunks import sparse_index
    from riskmodel.model.importance import design
    from riskmodel.model.compile import compile_model

    n, p, rho, level = 2000, 0.01, 0.2, 0.999
    pf = one_factor_portfolio(np.full(n, p), np.full(n, np.sqrt(rho)), np.ones(n))
    model = compile_model(pf, one_factor_scenario())
    params, record = design(model, sparse_index(model), level, 0.1, 40)
    glob = model.factor_names.index("global")
    assert params.direction[glob] == pytest.approx(-1.0)
    assert 0.8 * stats.norm.ppf(level) < params.mu_norm <= stats.norm.ppf(level) + 1e-6
    vasicek = n * analytic.vasicek_quantile(p, rho, level)
    assert 0.7 * vasicek < params.x_target < 1.05 * vasicek
    assert record["plain_cells"] == 4 and record["shift_cells"] == 18 and record["twist_cells"] == 18


def test_independent_obligors_deep_tail_by_twisting_alone():
    """No factors at all: the design has nothing to shift and twists defaults only; binomial tail exact."""
    from scipy import stats

    n, p = 30, 0.02
    pf = one_factor_portfolio(np.full(n, p), np.zeros(n), np.ones(n))
    sc = one_factor_scenario(factors={"rules": {"private_buyers": {"enabled": False}}})
    res = simulate(pf, sc, n_sims=20_000, seed=6, levels=[0.9999], method="importance")
    assert res.model.factor_names == [] and res.run_info["importance"]["shift_norm"] == 0.0
    s = LossSample(res.total_loss, res.weights, CI_K, res.strata)
    for t in (3, 6):
        est, exact = s.prob_exceed(t), stats.binom.sf(t, n, p)
        assert abs(est.value - exact) <= k_se() * est.se and est.se < 0.1 * exact


def _event_route_case(p_event=0.003, hit=30.0):
    """A one-factor exporter book plus one sovereign buyer whose country event alone costs ``hit``: the event
    loads only on its country factor, so L = B + hit * 1{event} with B the book's exact one-factor loss and the
    event independent of it."""
    from conftest import one_factor_frames

    exporters, importers, covers = one_factor_frames(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    importers = pd.concat([importers, pd.DataFrame({"importer_id": ["S1"], "country": ["EGY"],
                                                     "kind": ["sovereign"], "pd": [0.0]})], ignore_index=True)
    covers = pd.concat([covers, pd.DataFrame({"cover_id": ["CS1"], "exporter_id": [exporters.exporter_id[0]],
                                              "importer_id": ["S1"], "product": ["credit"], "amount": [hit],
                                              "currency": ["KRW"], "insured_share": [1.0], "start": ["2026-01-01"],
                                              "end": ["2029-01-01"]})], ignore_index=True)
    sc = one_factor_scenario(country_events={
        "enabled": True, "probability": {"EGY": p_event, "POL": 0.0},
        "importer_default_given_event": {"sovereign": 1.0, "state": 0.0, "private": 0.0}},
        factors={"rules": {"country_events": {"applies_to": "country_event", "loadings": {"global": 0.0, "region": 0.0, "country": 0.9}}}})
    pmf = analytic.one_factor_loss_pmf(HETERO_PD, HETERO_BETA, [analytic.fixed_severity(u) for u in HETERO_UNITS])
    book = pmf[::-1].cumsum()[::-1]  # book[i] = P(B >= i)

    def tail(t):  # P(L > t) for integer t
        above = lambda s: book[int(s) + 1] if 0 <= s + 1 < book.size else (1.0 if s < 0 else 0.0)  # noqa: E731
        return (1 - p_event) * above(t) + p_event * above(t - hit)

    return rm.Portfolio.from_frames(exporters, importers, covers), sc, tail


def test_a_route_through_a_country_event_is_aimed_at_and_unbiased():
    """The design gives the event a component of its own (forcing it, factors at the route's own dominating
    point), and tail probabilities reached through the event, with and without a factor stress on top, match
    the exact mixture."""
    pf, sc, tail = _event_route_case()
    res = simulate(pf, sc, n_sims=40_000, seed=21, levels=[0.9995], method="importance")
    routes = res.run_info["importance"]["event_routes"]
    assert list(routes) == ["EGY"] and routes["EGY"]["cells"] >= 1
    s = LossSample(res.total_loss, res.weights, CI_K, res.strata)
    for t in (20, 35, 45, 55):  # book alone, the event alone, the event and a book stress, both deep
        est = s.prob_exceed(t)
        assert abs(est.value - tail(t)) <= k_se() * est.se, (t, est, tail(t))
        assert est.se < 0.2 * tail(t), (t, est.se / tail(t))
    w = LossSample(res.weights, None, CI_K, res.strata).mean()
    assert abs(w.value - 1.0) <= k_se() * w.se


def test_without_routes_the_same_tail_is_seen_through_heavy_weights():
    """The contrast: with event_routes = 0, losses past the event's cost come from the other components' rare
    event draws; the tail's effective sample size is a fraction of the one with routes."""
    pf, sc, _ = _event_route_case()
    ess = {}
    for routes in (0, 6):
        s2 = sc.model_copy(update={"simulation": sc.simulation.model_copy(update={
            "importance": sc.simulation.importance.model_copy(update={"event_routes": routes})})})
        res = simulate(pf, s2, n_sims=40_000, seed=21, levels=[0.9995], method="importance")
        w = res.weights[res.total_loss > 45]
        ess[routes] = w.sum() ** 2 / (w * w).sum()
    assert ess[6] > 3 * ess[0], ess


def test_design_cells_are_each_simulations_cell_of_the_mixture(sample_portfolio):
    """``result.cells`` (also ``strata``, its former name) is the design cell of each simulation: ``sim % n_cells``
    (mixture component x stratum), what the stratified estimators take as strata."""
    res = simulate(sample_portfolio, n_sims=400, seed=2, method="importance")
    n_cells = res.run_info["importance"]["strata"]
    assert np.array_equal(res.cells, np.arange(400) % n_cells)
    assert res.strata is res.cells
    assert simulate(sample_portfolio, n_sims=200, seed=2, method="plain").cells is None
