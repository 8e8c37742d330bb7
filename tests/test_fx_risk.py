"""Exchange rates: a deterministic shock scales foreign-currency losses; a lognormal FX factor tied to the
global factor changes EL exactly as a hand-computed integral says (issue 4, currency).

With the rate multiplier M = exp(v (-rho Z + sqrt(1 - rho^2) E) - v^2 / 2), given the global factor Z
the expected multiplier is exp(-v rho Z - v^2 rho^2 / 2), so
EL = integral over z of sum_j ead_j p_j(z) exp(-v rho z - v^2 rho^2 / 2) phi(z) dz.
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


def _el_exact(vol, rho):
    z, w = hermegauss(120)
    w = w / w.sum()
    p = special.ndtr((special.ndtri(HETERO_PD)[None, :] - HETERO_BETA[None, :] * z[:, None])
                     / np.sqrt(1 - HETERO_BETA**2)[None, :])
    el_z = (p * HETERO_UNITS * USD).sum(axis=1)
    return float((w * el_z * np.exp(-vol * rho * z - 0.5 * vol**2 * rho**2)).sum())


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


def test_fx_risk_is_validated():
    with pytest.raises(rm.InputError) as exc:
        rm.scenario_from_dict({"reporting": {"fx_risk": {"volatility": {"XXX": 0.1, "KRW": 0.1}, "shock": {"USD": 0}}}})
    text = exc.value.report()
    assert "reporting.fx_risk" in text and "fix" in text
    with pytest.raises(rm.InputError, match="without a rate in fx"):
        rm.scenario_from_dict({"reporting": {"fx_risk": {"volatility": {"XXX": 0.1}}}})
    with pytest.raises(rm.InputError, match="no exchange-rate risk against itself"):
        rm.scenario_from_dict({"reporting": {"fx_risk": {"volatility": {"KRW": 0.1}}}})
