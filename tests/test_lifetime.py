"""Lifetime view (issue 4): schedules, claim times, cash flows, discounting, pricing sums, chains.

Expected values are integrals written out here, independently of the model
code; simulated means must fall within K_SE standard errors of them.
"""
import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import riskmodel as rm
from riskmodel.engine.collect import discount
from riskmodel.engine.chunks import run_chunks
from riskmodel.analysis.estimators import LossSample
from riskmodel.kernels.cashflows import N_ACC, reduce_records_nb
from riskmodel.analysis.lifetime import cover_figures
from riskmodel.model.compile import compile_model
from riskmodel.inputs.schema import CASHFLOWS_SCHEMA, PRICING_COLUMNS

from conftest import SAMPLE, VAL, day, k_se, one_factor_scenario


def years(d: str) -> float:
    return (pd.Timestamp(d) - VAL).days / 365.25


def _one_cover(n, pd_=0.05, start=0.5, end=4.5, schedule="bullet", schedules=None, rating=None, beta=0.3,
               product="performance"):
    ids = [f"E{i:04d}" for i in range(n)]
    exp = pd.DataFrame({"exporter_id": ids, "beta_global": beta})
    if rating is not None:
        exp["rating"] = rating
    else:
        exp["pd"] = pd_
    imp = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    cov = pd.DataFrame({"cover_id": [f"C{i:04d}" for i in range(n)], "exporter_id": ids, "importer_id": "I0",
                        "product": product, "amount": 100.0, "currency": "KRW", "insured_share": 1.0,
                        "start": day(start), "end": day(end), "schedule": schedule})
    return rm.Portfolio.from_frames(exp, imp, cov, schedules=schedules)


def _mean(x, res):
    return LossSample(x, res.weights, 0.95, res.strata).mean()


# ---------------------------------------------------------------- expected claims = integral of the schedule


@pytest.mark.parametrize("schedule", ["bullet", "linear", "milestones"])
def test_expected_claim_is_the_outstanding_against_the_default_density(schedule):
    n, p = 200, 0.05
    ms = None
    if schedule == "milestones":
        ms = pd.DataFrame({"cover_id": np.repeat([f"C{i:04d}" for i in range(n)], 2),
                           "date": [day(1.5), day(3.0)] * n,
                           "outstanding": [60.0, None] * n, "outstanding_share": [None, 0.25] * n})
    pf = _one_cover(n, p, schedule=schedule, schedules=ms)
    res = rm.simulate(pf, one_factor_scenario(simulation={"horizon_years": 6.0}), n_sims=60_000, seed=11,
                      method="plain")
    a, b = res.model.covers[["window_start", "window_end"]].iloc[0]
    lam = -np.log1p(-p)
    s0, s1 = years(day(1.5)), years(day(3.0))

    def share(t):
        if schedule == "linear":
            return (b - t) / (b - a)
        if schedule == "milestones":
            return 1.0 if t < s0 else (0.6 if t < s1 else 0.25)
        return 1.0

    pts = [s0, s1] if schedule == "milestones" else None
    exact, _ = integrate.quad(lambda t: 100.0 * share(t) * lam * np.exp(-lam * t), a, b, points=pts,
                              epsabs=1e-12)
    est = _mean(res.losses["claims"].to_numpy(), res)
    assert abs(est.value - n * exact) <= k_se() * est.se, (est, n * exact)


def test_calls_without_default_arrive_at_a_constant_rate_over_the_schedule():
    n, rate = 200, 0.3
    pf = _one_cover(n, 0.0, start=0.0, end=4.0, schedule="linear")
    sc = one_factor_scenario(simulation={"horizon_years": 5.0},
                             calls={"given_default": {"performance": 1.0},
                                    "rate_without_default": {"performance": rate}})
    res = rm.simulate(pf, sc, n_sims=40_000, seed=5, method="plain")
    b = res.model.covers["window_end"].iloc[0]
    exact, _ = integrate.quad(lambda t: 100.0 * (b - t) / b * rate * np.exp(-rate * t), 0.0, b)
    est = _mean(res.losses["claims"].to_numpy(), res)
    assert abs(est.value - n * exact) <= k_se() * est.se, (est, n * exact)


def test_homogeneous_pool_annual_claims_follow_the_term_structure():
    n = 400
    pf = _one_cover(n, rating="BB", start=0.0, end=6.0)
    sc = one_factor_scenario(simulation={"horizon_years": 6.0}, lifetime={"step": "year"})
    res = rm.simulate(pf, sc, n_sims=40_000, seed=9, method="plain")
    m = res.model
    a = m.arrays
    b = res.model.covers["window_end"].iloc[0]
    from riskmodel.model.terms import cumulative_hazard

    surv = lambda t: float(np.exp(-cumulative_hazard(-a.log_surv[:1], a.haz2[:1], a.haz3[:1], t))[0])  # noqa: E731
    cf = res.cashflows()
    got = cf[(cf.flow == "claims") & (cf.metric == "mean")].set_index("period")
    for y in range(1, 7):
        lo, hi = y - 1.0, min(float(y), b)
        exact = n * 100.0 * (surv(lo) - surv(hi)) if hi > lo else 0.0
        row = got.loc[y]
        assert abs(row.value - exact) <= k_se() * max(row.se, 1e-12), (y, row.value, exact, row.se)


def test_one_year_view_is_the_first_year_of_the_lifetime_view():
    """Dense kernel: a simulation's claims in year 1 of a 5-year run are those of the 1-year run, bit for bit.

    The dense kernel draws each latent and each cover from its own keyed stream, and a default time is a
    function of the latent alone, so a longer horizon only adds what happens later. (Cover streams are
    keyed by the cover's place among the live covers, so the portfolio here holds covers live in both
    runs; the sparse kernel's group sampling depends on the horizon's PDs and agrees in distribution.)
    """
    full = rm.load_portfolio(SAMPLE)
    early = full.covers["start"] < VAL + pd.Timedelta(days=365)
    pf = rm.Portfolio.from_frames(full.exporters, full.importers, full.covers[early].reset_index(drop=True))
    out = {}
    for h in (1.0, 5.0):
        sc = rm.scenario_from_dict({"simulation": {"horizon_years": h}, "lifetime": {"step": "year"}})
        m = compile_model(pf, sc)
        from riskmodel.engine.collect import ClaimsCollector

        col = ClaimsCollector(3000, len(m.covers), h, sc)
        run_chunks(m, 7, 3000, sampling="dense", collector=col)
        out[h] = col
    assert out[5.0].claim_cf[0].sum() > 0
    assert np.array_equal(out[5.0].claim_cf[0], out[1.0].claims)


# ---------------------------------------------------------------- discounting and cash flows by hand


def test_discount_factors_by_hand():
    sc = rm.scenario_from_dict({"lifetime": {"discount_rates": [[1, 0.02], [5, 0.04]]}})
    got = discount([0.0, 0.5, 1.0, 3.0, 5.0, 8.0], sc)
    want = [1.0, 1.02 ** -0.5, 1.02 ** -1, 1.03 ** -3, 1.04 ** -5, 1.04 ** -8]
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_records_reduce_to_hand_computed_cash_flows():
    ct, cr = np.array([1.0]), np.array([0.05])
    rec_start, rec_n = np.array([0, 2]), np.array([2, 0])
    rec_cov = np.array([0, 1])
    rec_t = np.array([1.5, 0.2])
    rec_claim = np.array([100.0, 10.0])
    rec_loss = np.array([60.0, 10.0])
    n_per = 16
    cl, rc = np.zeros((n_per, 2)), np.zeros((n_per, 2))
    pv, claims, seg = np.zeros(2), np.zeros(2), np.zeros((2, 2))
    acc = np.zeros((2, N_ACC))
    w = np.array([2.0, 1.0])
    total = np.array([70.0, 0.0])
    reduce_records_nb(rec_start, rec_n, rec_cov, rec_t, rec_claim, rec_loss, np.empty(2), w, total, 0.25, 2.0, ct, cr,
                      np.array([0, 1]), cl, rc, pv, claims, seg, acc, 2)
    assert cl[6, 0] == 100.0 and cl[0, 0] == 10.0 and cl.sum() == 110.0
    assert rc[14, 0] == 40.0 and rc.sum() == 40.0  # recovery 100 - 60 two years after t = 1.5
    assert pv[0] == pytest.approx(100 / 1.05 ** 1.5 - 40 / 1.05 ** 3.5 + 10 / 1.05 ** 0.2, rel=1e-14)
    assert claims[0] == 110.0 and pv[1] == 0.0
    np.testing.assert_array_equal(seg[0], [60.0, 10.0])
    np.testing.assert_allclose(acc[0], [120.0, 14400.0, 2 * (100 / 1.05 ** 1.5 - 40 / 1.05 ** 3.5),
                                        (2 * (100 / 1.05 ** 1.5 - 40 / 1.05 ** 3.5)) ** 2, 120.0 * 70, (120.0 * 70) ** 2],
                               rtol=1e-14)


def test_recoveries_arrive_after_the_lag_and_net_flows_add_up_to_the_loss():
    pf = rm.load_portfolio(SAMPLE)
    sc = rm.scenario_from_dict({"simulation": {"horizon_years": 3.0}, "lifetime": {"recovery_lag_years": 1.5}})
    res = rm.simulate(pf, sc, n_sims=3000, seed=2, method="plain")
    c = res.collected()
    net = (c.claim_cf - c.recovery_cf).sum(axis=0)
    np.testing.assert_allclose(net, res.total_loss, rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(c.claim_cf.sum(axis=0), res.losses["claims"], rtol=1e-12)
    first = int(round(1.5 / c.period))
    assert c.recovery_cf[:first].sum() == 0.0 and c.recovery_cf.sum() > 0


# ---------------------------------------------------------------- per-cover sums and pricing


def test_per_cover_sums_match_two_pass_statistics_and_add_up():
    pf = rm.load_portfolio(SAMPLE)
    sc = rm.scenario_from_dict({"simulation": {"horizon_years": 2.0}})
    res = rm.simulate(pf, sc, n_sims=4000, seed=4, method="importance",
                      cover_segment=lambda live: np.arange(len(live)), n_segments=len(pf.covers))
    c = res.collected()
    per_cover = res.segment_losses[:, :len(res.model.covers)]
    w = res.weights
    np.testing.assert_allclose(per_cover.sum(axis=1), res.total_loss, rtol=1e-12)
    wx = w[:, None] * per_cover
    np.testing.assert_allclose(c.acc[:, 0], wx.sum(axis=0), rtol=1e-12)
    f = cover_figures(res)
    two_pass_se = wx.std(axis=0, ddof=1) / np.sqrt(res.n_sims)
    np.testing.assert_allclose(f["el_se"], two_pass_se, rtol=1e-6, atol=1e-6 * two_pass_se.max())
    assert f["el"].sum() == pytest.approx(res.el().value, rel=1e-12)
    for allocation in ("euler", "covariance"):
        assert cover_figures(res, allocation)["capital"].sum() == pytest.approx(res.ec(0.999).value, rel=1e-9)
    by = res.pricing(by="product")
    assert by["el"].sum() == pytest.approx(res.el().value, rel=1e-12)
    assert set(by.columns) >= set(PRICING_COLUMNS)
    assert not by.drop(columns=["loss_ratio", "loss_ratio_se"]).isna().any().any()


def test_pricing_rates_by_hand_for_one_cover():
    pf = _one_cover(1, 0.02, start=0.0, end=3.0)
    sc = one_factor_scenario(simulation={"horizon_years": 3.0}, lifetime={"discount_rates": [[1, 0.03]]})
    res = rm.simulate(pf, sc, n_sims=2000, seed=1, method="plain")
    row = res.pricing().iloc[0]
    b = res.model.covers["window_end"].iloc[0]
    ey_pv, _ = integrate.quad(lambda t: 100.0 * 1.03 ** -t, 0.0, b)
    assert row.exposure_years == pytest.approx(100.0 * b, rel=1e-12)
    assert row.exposure_years_pv == pytest.approx(ey_pv, rel=1e-10)
    assert row.break_even_rate == pytest.approx(row.el_pv / ey_pv, rel=1e-10)
    assert row.risk_adjusted_rate == pytest.approx((row.el_pv + 0.06 * row.capital * ey_pv / 100.0) / ey_pv, rel=1e-9)


def test_lifetime_figures_do_not_depend_on_chunks_or_threads():
    pf = rm.load_portfolio(SAMPLE)
    sc = rm.scenario_from_dict({"simulation": {"horizon_years": 4.0}})
    a = rm.simulate(pf, sc, n_sims=3000, seed=8, chunk_size=3000, n_threads=1)
    b = rm.simulate(pf, sc, n_sims=3000, seed=8, chunk_size=371)
    for x, y in ((a.collected().acc, b.collected().acc), (a.collected().claim_cf, b.collected().claim_cf),
                 (a.collected().pv, b.collected().pv)):
        assert np.array_equal(x, y)


# ---------------------------------------------------------------- contracts


def _chain(chain: bool):
    exp = pd.DataFrame({"exporter_id": ["E0"], "pd": [0.0]})
    imp = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    cov = pd.DataFrame({"cover_id": ["A", "B"], "exporter_id": "E0", "importer_id": "I0",
                        "product": ["advance_payment", "warranty"], "amount": [100.0, 50.0], "currency": "KRW",
                        "insured_share": 1.0, "start": [day(0.0), day(2.0)], "end": [day(2.0), day(3.0)],
                        "contract_id": "K1"})
    sc = one_factor_scenario(simulation={"horizon_years": 3.0}, lifetime={"chain_contracts": chain},
                             calls={"rate_without_default": {"advance_payment": 50.0, "warranty": 50.0}},
                             lgd={"advance_payment": {"mean": 1.0, "sd": 0.0, "solvent": {"mean": 1.0, "sd": 0.0}},
                                  "warranty": {"mean": 1.0, "sd": 0.0, "solvent": {"mean": 1.0, "sd": 0.0}}})
    return rm.simulate(rm.Portfolio.from_frames(exp, imp, cov), sc, n_sims=500, seed=1, method="plain")


def test_a_claim_ends_its_contract():
    on, off = _chain(True), _chain(False)
    np.testing.assert_array_equal(on.total_loss, 100.0)  # A is called for sure; B never runs
    np.testing.assert_array_equal(off.total_loss, 150.0)  # without chaining both are called


# ---------------------------------------------------------------- CLI and capacity


def test_run_with_a_horizon_writes_the_lifetime_tables(tmp_path):
    from click.testing import CliRunner

    from riskmodel.cli import cli

    r = CliRunner().invoke(cli, ["run", "--horizon", "3y", "--sims", "2000", "--quiet", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "lifetime (" in r.output and "collateral freed" in r.output
    for f in ("lifetime.csv", "cashflows.parquet", "pricing.parquet", "collateral.parquet", "policy.csv"):
        assert (tmp_path / f).is_file()
    cf = pd.read_parquet(tmp_path / "cashflows.parquet")
    assert list(cf.columns) == list(CASHFLOWS_SCHEMA)
    assert cf["period"].max() == 5  # 3 years plus the 2-year recovery lag
    pol = pd.read_csv(tmp_path / "policy.csv").set_index("figure")
    assert pol.loc["freed_per_ec", "value"] > 0 and pol.loc["freed_per_ec", "se"] > 0


def test_ranges_that_run_out_of_room_rerun_to_the_same_numbers(monkeypatch):
    import riskmodel.engine.collect as collect

    pf = rm.load_portfolio(SAMPLE)
    sc = rm.scenario_from_dict({"simulation": {"horizon_years": 3.0}})
    a = rm.simulate(pf, sc, n_sims=2000, seed=6)
    monkeypatch.setattr(collect, "RECORD_BUDGET", 64)  # less room than one tail simulation needs
    b = rm.simulate(pf, sc, n_sims=2000, seed=6)
    assert b.collected().reruns > 0 and b.collected().budget > 64
    assert np.array_equal(a.total_loss, b.total_loss) and np.array_equal(a.weights, b.weights)
    for x, y in ((a.collected().acc, b.collected().acc), (a.collected().claim_cf, b.collected().claim_cf),
                 (a.collected().pv, b.collected().pv)):
        assert np.array_equal(x, y)


def test_provenance_records_the_schedules_file(tmp_path):
    from conftest import copy_sample

    def mark(cov):
        cov.loc[0, "schedule"] = "milestones"

    d = copy_sample(tmp_path / "pf", mark)
    c0 = pd.read_csv(SAMPLE / "covers.csv").loc[0, "cover_id"]
    pd.DataFrame({"cover_id": [c0], "date": ["2027-06-30"], "outstanding_share": [0.5]}).to_csv(
        d / "schedules.csv", index=False)
    res = rm.simulate(rm.load_portfolio(d), n_sims=500, method="plain")
    files = res.provenance["portfolio_files"]
    assert files["schedules"]["path"] == str(d / "schedules.csv") and len(files["schedules"]["sha256"]) == 64
    assert set(rm.simulate(rm.load_portfolio(SAMPLE), n_sims=500, method="plain").provenance["portfolio_files"]) \
        == {"exporters", "importers", "covers"}
