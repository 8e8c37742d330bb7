"""Parameter uncertainty (nested Monte Carlo) against a closed form, and its draws as a contract.

A one-factor pool whose PD multiplier is uncertain has, for each drawn multiplier, an exact loss law
(``analysis.analytic``); the predictive law is their mixture, and the parameter spread of EL or ES is the
spread of the exact figures over the draws. Every check allows K standard errors of its estimator (the
sectioning errors use Student's t with B - 1 degrees of freedom at the same confidence).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskmodel as rm
from riskmodel.analysis import analytic
from riskmodel.analysis.draws import draw_table, quantile, scenario_at
from riskmodel.analysis.estimators import stats_t_quantile
from riskmodel.analysis.nested import SECTIONS
from riskmodel.inputs.errors import InputError
from riskmodel.inputs.uncertainty import Distribution

from conftest import CI_K, K_SE, k_se, one_factor_portfolio, one_factor_scenario

N, PD, BETA = 40, 0.02, np.sqrt(0.15)
UNC = {"parameters": {"pd_multipliers.exporter": {"distribution": "uniform", "low": 0.5, "high": 1.5}}}


@pytest.fixture(scope="module")
def case():
    pf = one_factor_portfolio(np.full(N, PD), np.full(N, BETA), np.ones(N))
    sc = one_factor_scenario(uncertainty=UNC)
    u = rm.simulate(pf, sc, n_sims=40_000, seed=5, method="plain", levels=[0.99], parameter_draws=8)
    mult = u.draws["value"].to_numpy(float)
    pmfs = [analytic.one_factor_loss_pmf(np.full(N, PD * m), np.full(N, BETA), [analytic.fixed_severity(1)] * N)
            for m in mult]
    width = max(len(p) for p in pmfs)
    pmfs = [np.pad(p, (0, width - len(p))) for p in pmfs]
    exact = [analytic.pmf_metrics(p, 1.0, [0.99]) for p in pmfs]
    mix = analytic.pmf_metrics(np.mean(pmfs, axis=0), 1.0, [0.99])
    return pf, sc, u, exact, mix


def _row(u, metric, level=None):
    f = u.figures
    sel = f["metric"] == metric
    sel &= f["level"].isna() if level is None else (f["level"] == level)
    return f[sel].iloc[0]


@pytest.mark.parametrize("metric,key", [("el", "el"), ("es", ("es", 0.99))])
def test_figures_match_the_exact_mixture(case, metric, key):
    _, _, u, exact, mix = case
    r = _row(u, metric, None if metric == "el" else 0.99)
    t = stats_t_quantile(0.5 + CI_K / 2, SECTIONS - 1)
    k_se(3)
    # the predictive figure: the mixture's
    assert abs(r["predictive"] - mix[key]) <= t * r["predictive_se"], (r["predictive"], mix[key])
    # the mean over draws: the exact figures' mean over the same draws
    truth = np.mean([e[key] for e in exact])
    assert abs(r["mean"] - truth) <= t * r["mc_se"], (r["mean"], truth)
    # the parameter spread: the exact figures' sd over the draws, within the inner noise (each draw's figure is
    # off by its own se; the spread of K such errors is at most K rms(se) but for a K-sigma event)
    ses = u.per_draw[(u.per_draw["metric"] == metric)]["se"].to_numpy(float)
    sd_exact = float(np.std([e[key] for e in exact], ddof=1))
    assert abs(r["param_sd"] - sd_exact) <= K_SE * float(np.sqrt(np.mean(ses ** 2))), (r["param_sd"], sd_exact)


def test_parameter_spread_dominates_and_predictive_el_is_the_mean(case):
    _, _, u, exact, mix = case
    el = _row(u, "el")
    assert el["predictive"] == pytest.approx(el["mean"], rel=1e-12)  # EL is linear: mixture mean = mean EL
    assert el["param_share"] > 0.9 and el["param_sd"] > 5 * el["mc_se"]
    assert list(u.figures.columns)[:3] == ["metric", "level", "mean"] and not u.figures.drop(
        columns="level").isna().any().any()


def test_each_draw_is_a_plain_run_on_common_random_numbers(case):
    pf, sc, u, _, _ = case
    values = u.draws[u.draws["draw"] == 3].set_index("parameter")["value"].to_dict()
    one = rm.simulate(pf, scenario_at(sc, values, 3), n_sims=40_000, seed=5, method="plain", levels=[0.99])
    el = u.per_draw[(u.per_draw["draw"] == 3) & (u.per_draw["metric"] == "el")]["value"].iloc[0]
    assert el == one.el().value  # bit for bit


def test_draws_are_keyed_so_any_number_of_them_agrees():
    sc = rm.scenario_from_dict({"uncertainty": {"parameters": {
        "pd_multipliers.exporter": {"distribution": "lognormal", "mean": 1.0, "sd": 0.3},
        "lgd.performance.mean": {"distribution": "beta", "mean": 0.7, "sd": 0.05},
        "factors.rules.exporters.r2": {"distribution": "beta", "mean": 0.12, "sd": 0.03}}}})
    few, many = draw_table(sc, 3, seed=9), draw_table(sc, 12, seed=9)
    pd.testing.assert_frame_equal(few, many[many["draw"] < 3])
    assert not draw_table(sc, 3, seed=10)["value"].equals(few["value"])
    s = scenario_at(sc, {"factors.rules.exporters.r2": 0.2, "lgd.performance.mean": 0.5}, 0)
    assert sum(v * v for v in s.factors.rules["exporters"].loadings.values()) == pytest.approx(0.2)
    assert s.lgd.performance.mean == 0.5 and not s.uncertainty.parameters


@pytest.mark.parametrize("spec,dist", [
    ({"distribution": "uniform", "low": 2.0, "high": 5.0}, stats.uniform(2.0, 3.0)),
    ({"distribution": "normal", "mean": 1.0, "sd": 0.2}, stats.norm(1.0, 0.2)),
    ({"distribution": "lognormal", "mean": 1.0, "sd": 0.5},
     stats.lognorm(np.sqrt(np.log(1.25)), scale=np.exp(-np.log(1.25) / 2))),
    ({"distribution": "beta", "mean": 0.3, "sd": 0.1}, stats.beta(0.3 * 20, 0.7 * 20)),
    ({"distribution": "gamma", "mean": 0.004, "sd": 0.002}, stats.gamma(4.0, scale=0.001)),
])
def test_each_distribution_has_its_stated_mean_and_sd(spec, dist):
    d = Distribution(**spec)
    u = np.array([0.01, 0.3, 0.5, 0.77, 0.999])
    assert [quantile(d, x) for x in u] == pytest.approx(dist.ppf(u), rel=1e-9)
    if spec["distribution"] != "uniform":
        assert dist.mean() == pytest.approx(spec["mean"]) and dist.std() == pytest.approx(spec["sd"])


@pytest.mark.parametrize("params,fragment", [
    ({"pd_multiplier.exporter": {"distribution": "uniform", "low": 0, "high": 1}}, "not an uncertain parameter"),
    ({"factors.rules.nobody.r2": {"distribution": "uniform", "low": 0, "high": 0.2}}, "no loading rule named"),
    ({"lgd.performance.mean": {"distribution": "beta", "mean": 0.5, "sd": 0.6}}, "a beta with mean 0.5 needs sd"),
    ({"calls.rate_multiplier": {"distribution": "uniform", "low": 2, "high": 1}}, "finite low < high"),
    ({"calls.rate_multiplier": {"distribution": "gamma", "mean": 1.0}}, "takes mean and sd"),
])
def test_bad_uncertainty_is_refused_with_the_rule(params, fragment):
    with pytest.raises(InputError, match=fragment):
        rm.scenario_from_dict({"uncertainty": {"parameters": params}})


def test_parameter_draws_need_uncertain_parameters(sample_portfolio):
    with pytest.raises(InputError, match=r"\[uncertainty.parameters\]"):
        rm.simulate(sample_portfolio, n_sims=1000, parameter_draws=4)
