"""Default times over several years follow the PD term structure (issue 4, first part).

A guarantee called on default with LGD 1 loses its amount iff its exporter
defaults while it is live, so its expected loss is the integral of its
(bullet) exposure against the default-time density: ``ead x (S(a) - S(b))``.
Each check allows K_SE standard errors of the simulated EL.
"""
import numpy as np
import pandas as pd
import pytest

import riskmodel as rm
from riskmodel.analysis.estimators import LossSample

from conftest import k_se, one_factor_scenario

VAL = pd.Timestamp("2026-12-31")
N = 400


def _portfolio(start_years: float, end_years: float, rating="BB", pd_=None):
    ids = [f"E{i:04d}" for i in range(N)]
    exp = pd.DataFrame({"exporter_id": ids, "rating": rating, "beta_global": 0.3})
    if pd_ is not None:
        exp["pd"] = pd_
    imp = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    day = lambda y: (VAL + pd.Timedelta(days=round(y * 365.25))).strftime("%Y-%m-%d")  # noqa: E731
    cov = pd.DataFrame({"cover_id": [f"C{i:04d}" for i in range(N)], "exporter_id": ids, "importer_id": "I0",
                        "product": "performance", "amount": 1.0, "currency": "KRW", "insured_share": 1.0,
                        "start": day(start_years), "end": day(end_years)})
    return rm.Portfolio.from_frames(exp, imp, cov)


def _survival(t, grade="BB", multiplier=1.0):
    """S(t) from the bundled master scale, written out independently of the model code."""
    ms = rm.load_reference().master_scale.loc[grade]
    base1 = -np.log1p(-ms["pd_1y"])
    c5, c10 = -np.log1p(-ms["cum_pd_5y"]), -np.log1p(-ms["cum_pd_10y"])
    h1 = -np.log1p(-min(ms["pd_1y"] * multiplier, 1.0))
    k = h1 / base1
    lam = h1 * min(t, 1) + k * (c5 - base1) / 4 * np.clip(t - 1, 0, 4) + k * (c10 - c5) / 5 * max(t - 5, 0)
    return np.exp(-lam)


def _el_check(res, expected_per_cover):
    s = LossSample(res.total_loss)
    el = s.mean()
    assert abs(el.value - N * expected_per_cover) <= k_se() * el.se, (el, N * expected_per_cover)


@pytest.mark.parametrize("window", [(0.0, 1.0), (0.0, 5.0), (1.0, 5.0), (5.0, 10.0), (2.5, 7.5)])
def test_rated_obligors_default_along_the_master_scale_curve(window):
    pf = _portfolio(*window)
    res = rm.simulate(pf, one_factor_scenario(simulation={"horizon_years": 10.0}), n_sims=100_000, seed=3,
                      method="plain")
    a, b = res.model.covers[["window_start", "window_end"]].iloc[0]
    _el_check(res, _survival(a) - _survival(b))


def test_stress_scales_the_whole_curve():
    pf = _portfolio(1.0, 5.0)
    sc = one_factor_scenario(simulation={"horizon_years": 6.0}, pd_multipliers={"exporter": 2.0})
    res = rm.simulate(pf, sc, n_sims=100_000, seed=4, method="plain")
    a, b = res.model.covers[["window_start", "window_end"]].iloc[0]
    _el_check(res, _survival(a, multiplier=2.0) - _survival(b, multiplier=2.0))


def test_an_explicit_pd_is_a_constant_hazard():
    pf = _portfolio(0.0, 3.0, pd_=0.02)
    res = rm.simulate(pf, one_factor_scenario(simulation={"horizon_years": 3.0}), n_sims=100_000, seed=5,
                      method="plain")
    b = res.model.covers["window_end"].iloc[0]
    _el_check(res, 1 - (1 - 0.02) ** b)


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_the_one_year_view_is_the_first_year_of_the_curve(method):
    """Within one year a rated obligor's curve is the constant hazard of its one-year PD: same numbers, bit for bit."""
    pd_bb = float(rm.load_reference().master_scale.loc["BB", "pd_1y"])
    curve = rm.simulate(_portfolio(0.0, 8.0), one_factor_scenario(), n_sims=20_000, seed=6, method=method)
    flat = rm.simulate(_portfolio(0.0, 8.0, pd_=pd_bb), one_factor_scenario(), n_sims=20_000, seed=6, method=method)
    assert np.array_equal(curve.total_loss, flat.total_loss)
    # beyond the first year they part: the curve's later hazards differ from the flat one
    sc = one_factor_scenario(simulation={"horizon_years": 8.0})
    assert rm.simulate(_portfolio(0.0, 8.0), sc, n_sims=2_000, seed=6, method="plain").model.arrays.haz3[0] != \
        rm.simulate(_portfolio(0.0, 8.0, pd_=pd_bb), sc, n_sims=2_000, seed=6, method="plain").model.arrays.haz3[0]
