"""Downturn LGD: recoveries leaning on the obligor's systematic factor, the mean LGD given default kept.

Exact references: the bivariate normal CDF against scipy; the calibration's mean given default and spread by
quadrature; on a one-factor book, EL = sum ead x PD x mean whatever the link, and the loss's standard deviation
from the law of total variance over the factor (given the factor, defaults and LGD shocks are independent and
``E[Phi(mu + sigma N)^k]`` is closed form for k = 1, 2)."""
import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import special, stats

import riskmodel as rm
from riskmodel.model.downturn import bvn_cdf, calibrate

from conftest import k_se, one_factor_portfolio, one_factor_scenario

N, PD, BETA, MEAN, SD = 300, 0.02, 0.45, 0.45, 0.2


@pytest.mark.parametrize("h, k, rho", [(-1.2, 0.4, 0.3), (0.3, -2.0, -0.6), (2.0, 1.0, 0.9), (-0.5, -0.5, 0.0),
                                       (0.0, 1.3, 0.5), (-3.0, -2.5, 0.95)])
def test_the_bivariate_normal_cdf_matches_scipy(h, k, rho):
    ref = stats.multivariate_normal(cov=[[1, rho], [rho, 1]]).cdf([h, k])
    assert bvn_cdf(h, k, rho) == pytest.approx(ref, abs=1e-7)


def _quadrature(c, s_coef, e_coef, beta, pd_h, z):
    """(P(default | z), E[LGD | z], E[LGD^2 | z]) of an obligor with loading ``beta`` on the one factor."""
    p = special.ndtr((special.ndtri(pd_h) - beta * z) / np.sqrt(1 - beta**2))
    mu = (c - s_coef * beta * z) / np.sqrt(1 + e_coef**2)
    r = e_coef**2 / (1 + e_coef**2)
    return p, special.ndtr(mu), bvn_cdf(mu, mu, r)


@pytest.mark.parametrize("link", [0.0, 0.3, 0.8])
def test_the_calibration_keeps_the_mean_given_default_and_the_spread(link):
    c, s, e = calibrate(MEAN, SD, link, PD, BETA**2)
    z, w = hermegauss(200)
    w = w / w.sum()
    p, m, m2 = _quadrature(c, s, e, BETA, PD, z)
    assert float(w @ (p * m)) / PD == pytest.approx(MEAN, abs=1e-9)
    if link == 0.0:
        assert float(w @ m2) - MEAN**2 == pytest.approx(SD**2, abs=1e-9)


def _book_and_scenario(link, n_sims=200_000, method="plain"):
    pf = one_factor_portfolio([PD] * N, [BETA] * N, [1.0] * N)
    sc = one_factor_scenario(lgd_mean=MEAN, lgd_sd=SD, simulation={"n_sims": n_sims, "method": method, "seed": 4,
                                                                   "levels": [0.999]})
    data = sc.model_dump(mode="json")
    data["lgd"]["performance"]["downturn"] = link
    return pf, rm.scenario_from_dict(data)


def test_a_downturn_book_matches_its_exact_mean_and_spread():
    link = 0.6
    pf, sc = _book_and_scenario(link)
    r = rm.simulate(pf, sc)
    assert abs(r.el().value - N * PD * MEAN) <= k_se() * r.el().se
    c, s, e = calibrate(MEAN, SD, link, PD, BETA**2)
    z, w = hermegauss(200)
    w = w / w.sum()
    p, m, m2 = _quadrature(c, s, e, BETA, PD, z)
    mean_z = N * p * m
    var = float(w @ (N * (p * m2 - (p * m) ** 2))) + float(w @ mean_z**2) - float(w @ mean_z) ** 2
    sd = r.sd()
    assert abs(sd.value - np.sqrt(var)) <= k_se() * sd.se, (sd, np.sqrt(var))
    # without the link the spread is smaller by far more than the error: the test can tell
    p0, m0, m20 = _quadrature(*calibrate(MEAN, SD, 0.0, PD, BETA**2), BETA, PD, z)
    var0 = float(w @ (N * (p0 * m20 - (p0 * m0) ** 2))) + float(w @ (N * p0 * m0) ** 2) - float(w @ (N * p0 * m0)) ** 2
    assert np.sqrt(var) - np.sqrt(var0) > 10 * sd.se


@pytest.mark.parametrize("sampling", ["dense", "sparse"])
def test_capital_rises_with_the_link_and_expected_loss_does_not(sampling):
    runs = {a: rm.simulate(*_book_and_scenario(a, n_sims=100_000), sampling=sampling) for a in (0.0, 0.5)}
    e0, e1 = runs[0.0].el(), runs[0.5].el()
    assert abs(e1.value - e0.value) <= k_se() * np.hypot(e0.se, e1.se)
    c0, c1 = runs[0.0].ec(0.999), runs[0.5].ec(0.999)
    assert c1.value - c0.value > k_se() * np.hypot(c0.se, c1.se)


def test_a_downturn_needs_an_lgd_that_varies():
    with pytest.raises(rm.InputError, match="downturn LGD needs sd > 0"):
        rm.scenario_from_dict({"lgd": {"performance": {"mean": 0.5, "sd": 0.0, "downturn": 0.4}}})
    with pytest.raises(rm.InputError, match="less than 1"):
        rm.scenario_from_dict({"lgd": {"credit": {"mean": 0.5, "sd": 0.2, "downturn": 1.0}}})
