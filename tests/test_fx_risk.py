"""Exchange rates: a deterministic shock scales foreign-currency losses; a lognormal FX factor tied to the
global factor changes EL exactly as a hand-computed integral says (issue 4, currency; issue 17, the claim's date).

A claim at t years converts at the rate times M_t = exp(v sqrt(t) Y - v^2 t / 2), Y = -rho Z + sqrt(1 - rho^2) E;
given the global factor Z the expected multiplier is exp(-v sqrt(t) rho Z - v^2 t rho^2 / 2). Obligor j's
latent x = beta_j z + sigma_j e defaults at t(x) = log(1 - Phi(x)) / log(1 - pd_j) when x < Phi^-1(pd_j), so
EL = sum_j ead_j E[1{x < thr_j} exp(-v sqrt(t(x)) rho Z - v^2 t(x) rho^2 / 2)], a double integral over z and
u = Phi(x) in (0, pd_j), computed by Gauss quadrature.
"""
import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import special

import riskmodel as rm
from riskmodel.analysis.estimators import LossSample

from conftest import k_se, one_factor_frames, one_factor_scenario
from test_exact_references import HETERO_BETA, HETERO_PD, HETERO_UNITS

USD = 1400.0  # the baseline's rate


def _usd_portfolio():
    exp, imp, cov = one_factor_frames(HETERO_PD, HETERO_BETA, HETERO_UNITS)
    cov["currency"] = "USD"
    return rm.Portfolio.from_frames(exp, imp, cov)


def _el_exact(vol, rho, horizon=1.0):
    z, wz = hermegauss(120)
    wz = wz / wz.sum()
    g, wg = np.polynomial.legendre.leggauss(400)
    total = 0.0
    for pd_, beta, units in zip(HETERO_PD, HETERO_BETA, HETERO_UNITS):
        p_h = -np.expm1(horizon * np.log1p(-pd_))  # P(default by the horizon): a constant hazard
        u = 0.5 * p_h * (g + 1.0)  # nodes on (0, p_h)
        x = special.ndtri(u)
        sig = np.sqrt(1 - beta**2)
        dens = np.exp(-0.5 * ((x[None, :] - beta * z[:, None]) / sig) ** 2 + 0.5 * x[None, :] ** 2) / sig
        t = np.log1p(-u) / np.log1p(-pd_)
        m = np.exp(-vol * np.sqrt(t)[None, :] * rho * z[:, None] - 0.5 * vol**2 * t[None, :] * rho**2)
        total += units * USD * float(wz @ (dens * m) @ (0.5 * p_h * wg))
    return total


@pytest.mark.parametrize("sampling", ["sparse", "dense"])
def test_a_deterministic_shock_scales_foreign_losses(sampling):
    pf = _usd_portfolio()
    base = rm.simulate(pf, one_factor_scenario(), n_sims=20_000, seed=2, method="plain", sampling=sampling)
    shocked = rm.simulate(pf, one_factor_scenario(reporting={"fx_risk": {"shock": {"USD": 1.25}}}), n_sims=20_000,
                          seed=2, method="plain", sampling=sampling)
    assert base.total_loss.max() > 0
    assert np.allclose(shocked.total_loss, 1.25 * base.total_loss, rtol=1e-12, atol=0)


@pytest.mark.parametrize("method", ["plain", "importance"])
@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_fx_factor_expected_loss_matches_the_integral(method, rho):
    vol = 0.3
    sc = one_factor_scenario(reporting={"fx_risk": {"volatility": {"USD": vol}, "downturn_correlation": rho}})
    res = rm.simulate(_usd_portfolio(), sc, n_sims=200_000, seed=8, levels=[0.999], method=method)
    el = LossSample(res.total_loss, res.weights, 0.95, res.strata).mean()
    exact = _el_exact(vol, rho)
    assert abs(el.value - exact) <= k_se() * el.se, (el, exact)
    if rho:  # the test can tell: FX tied to the downturn raises EL well beyond the error
        assert exact - _el_exact(vol, 0.0) > 10 * el.se


def test_the_fx_shock_grows_with_the_claims_date_over_a_lifetime():
    vol, rho, horizon = 0.3, 0.6, 2.0
    sc = one_factor_scenario(reporting={"fx_risk": {"volatility": {"USD": vol}, "downturn_correlation": rho}},
                             simulation={"horizon_years": horizon})
    res = rm.simulate(_usd_portfolio(), sc, n_sims=200_000, seed=9, method="plain", lifetime=False)
    el = res.el()
    exact = _el_exact(vol, rho, horizon)
    assert abs(el.value - exact) <= k_se() * el.se, (el, exact)
    # the horizon's dispersion for every claim (vol sqrt(2) whatever the date) would be far off
    z, w = hermegauss(120)
    w = w / w.sum()
    p_h = -np.expm1(horizon * np.log1p(-HETERO_PD))
    p = special.ndtr((special.ndtri(p_h)[None, :] - HETERO_BETA[None, :] * z[:, None]) / np.sqrt(1 - HETERO_BETA**2))
    v = vol * np.sqrt(horizon)
    flat = float((w * (p * HETERO_UNITS * USD).sum(axis=1) * np.exp(-v * rho * z - 0.5 * v**2 * rho**2)).sum())
    assert flat - exact > 10 * el.se


def test_fx_risk_is_validated():
    with pytest.raises(rm.InputError) as exc:
        rm.scenario_from_dict({"reporting": {"fx_risk": {"volatility": {"XXX": 0.1, "KRW": 0.1}, "shock": {"USD": 0}}}})
    text = exc.value.report()
    assert "reporting.fx_risk" in text and "fix" in text
    with pytest.raises(rm.InputError, match="without a rate in fx"):
        rm.scenario_from_dict({"reporting": {"fx_risk": {"volatility": {"XXX": 0.1}}}})
    with pytest.raises(rm.InputError, match="no exchange-rate risk against itself"):
        rm.scenario_from_dict({"reporting": {"fx_risk": {"volatility": {"KRW": 0.1}}}})
