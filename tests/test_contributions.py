"""Euler contributions against exact results, their additivity, and their reproducibility.

Exact references: ``analytic.one_factor_contributions`` (checked here against
brute-force enumeration), for independent obligors and for a heterogeneous
one-factor book. Tolerances are K_SE standard errors of each estimate.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from riskmodel import simulate
from riskmodel.analysis import analytic
from riskmodel.analysis.contributions import MEASURES

from conftest import K_SE, k_se, one_factor_portfolio, one_factor_scenario

MODES = {"plain": {"method": "plain"}, "importance": {"method": "importance"}}


def test_analytic_contributions_match_enumeration():
    pd_ = np.array([0.05, 0.1, 0.2, 0.02, 0.3, 0.15, 0.08, 0.12])
    u = np.array([1, 2, 3, 5, 2, 4, 1, 3])
    level = 0.97
    ref = analytic.one_factor_contributions(pd_, np.zeros(8), u, level)
    pmf = np.zeros(u.sum() + 1)
    joint = np.zeros((8, u.sum() + 1))
    for d in itertools.product([0, 1], repeat=8):
        d = np.array(d)
        p = np.prod(np.where(d, pd_, 1 - pd_))
        pmf[d @ u] += p
        joint[:, d @ u] += p * d * u
    np.testing.assert_allclose(ref["pmf"], pmf, atol=1e-14)
    np.testing.assert_allclose(ref["joint"], joint, atol=1e-14)
    x = np.arange(pmf.size)
    q = x[np.searchsorted(np.cumsum(pmf), level * (1 - 1e-12))]
    beyond = x > q
    es_contrib = (joint[:, beyond].sum(1) + (1 - level - pmf[beyond].sum()) * joint[:, q] / pmf[q]) / (1 - level)
    np.testing.assert_allclose(ref["es_contrib"], es_contrib, rtol=1e-12)
    assert ref["es_contrib"].sum() == pytest.approx(ref["es"], rel=1e-12)
    assert ref["var_contrib"].sum() == pytest.approx(ref["var"], rel=1e-12)


@pytest.fixture(scope="module", params=list(MODES))
def sample_run(request, sample_portfolio):
    return simulate(sample_portfolio, n_sims=20_000, seed=5, **MODES[request.param])


@pytest.mark.parametrize("by", ["cover", "contract", "exporter", "importer", "country", "region", "product", "sector",
                                "kind", "currency"])
def test_contributions_sum_to_portfolio_figure(sample_run, by):
    for measure in MEASURES:
        for level in (0.99, 0.999):
            c = sample_run.contributions(by=by, measure=measure, level=level)
            total = c.attrs["portfolio_value"]
            assert c["value"].sum() == pytest.approx(total, rel=1e-12, abs=1e-6)
            assert c["share"].sum() == pytest.approx(1.0, rel=1e-12)
            assert np.isfinite(c[["value", "se", "ci_low", "ci_high"]].to_numpy()).all()
            assert (c["se"] >= 0).all() and (c["n_covers"] > 0).all()
            assert c["n_covers"].sum() == len(sample_run.model.covers)
            if measure in ("es", "var"):
                assert (c["value"] >= 0).all()


def test_portfolio_figures_are_the_results(sample_run):
    lv = 0.999
    for measure, fig in (("es", sample_run.es(lv)), ("var", sample_run.var(lv)), ("ec", sample_run.ec(lv)),
                         ("el", sample_run.el())):
        assert sample_run.contributions("region", measure, lv).attrs["portfolio_value"] == fig.value


@pytest.mark.parametrize("mode", list(MODES))
def test_identical_halves_get_half(mode):
    n = 60
    pf = one_factor_portfolio(np.full(n, 0.01), np.full(n, np.sqrt(0.2)), np.ones(n),
                              sector=["A"] * (n // 2) + ["B"] * (n // 2))
    res = simulate(pf, one_factor_scenario(), n_sims=100_000, seed=21, **MODES[mode])
    for measure in ("es", "ec", "var"):
        c = res.contributions(by="sector", measure=measure, level=0.999).set_index("segment")
        half = c.attrs["portfolio_value"] / 2
        for seg in ("A", "B"):
            assert abs(c.loc[seg, "value"] - half) <= k_se() * c.loc[seg, "se"], (measure, seg, c.loc[seg].to_dict(),
                                                                               half)


def _atom_level(pmf: np.ndarray, near: float) -> tuple[float, float]:
    """A level in the middle of the loss atom at the ``near`` quantile, and a band a quarter of the atom wide,
    so that the VaR band holds exactly the simulations with L = VaR."""
    cdf = np.cumsum(pmf)
    i = int(np.searchsorted(cdf, near))
    lo, hi = cdf[i - 1], cdf[i]
    return float((lo + hi) / 2), float((hi - lo) / 4)


MIN_EVENTS = 10  # the normal approximation behind "K standard errors" needs events to estimate an error from


def _check_against(res, ref, sector, level, band, measures=("es", "var")):
    """Every segment seen in at least MIN_EVENTS tail simulations within K_SE errors of its exact
    contribution; at least five of the seven segments must qualify, so the check cannot go vacuous."""
    groups = sorted(set(sector))
    code = np.array([groups.index(s) for s in sector])
    bad = []
    for measure in measures:
        exact = np.bincount(code, weights=ref[f"{measure}_contrib"])
        c = res.contributions(by="sector", measure=measure, level=level, band=band).set_index("segment")
        seen = c["tail_sims"] >= MIN_EVENTS
        assert seen.sum() >= 5, c
        for g, name in enumerate(groups):
            est, se = c.loc[name, "value"], c.loc[name, "se"]
            if seen[name] and not abs(est - exact[g]) <= k_se() * se:
                bad.append((measure, name, est, exact[g], se))
    assert not bad, f"contribution outside {K_SE} standard errors of the exact value: {bad}"


PD7 = np.array([0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08] * 4)
UNITS7 = np.array([1, 2, 3, 5, 8, 4, 6] * 4)
SECTOR7 = [f"pd{p:g}" for p in PD7]


@pytest.mark.parametrize("mode", list(MODES))
def test_independent_obligors_exact_es_contribution(mode):
    beta = np.zeros(PD7.size)
    level0 = 0.999
    ref0 = analytic.one_factor_contributions(PD7, beta, UNITS7, level0)
    level, band = _atom_level(ref0["pmf"], level0)
    ref = analytic.one_factor_contributions(PD7, beta, UNITS7, level)
    res = simulate(one_factor_portfolio(PD7, beta, UNITS7, sector=SECTOR7), one_factor_scenario(), n_sims=200_000,
                   seed=8, **MODES[mode])
    _check_against(res, ref, SECTOR7, level, band)


@pytest.mark.parametrize("mode", list(MODES))
def test_one_factor_heterogeneous_contributions_exact(mode):
    beta = np.array([0.2, 0.35, 0.5, 0.6] * 7)
    ref0 = analytic.one_factor_contributions(PD7, beta, UNITS7, 0.999)
    level, band = _atom_level(ref0["pmf"], 0.999)
    ref = analytic.one_factor_contributions(PD7, beta, UNITS7, level)
    res = simulate(one_factor_portfolio(PD7, beta, UNITS7, sector=SECTOR7), one_factor_scenario(), n_sims=200_000,
                   seed=9, **MODES[mode])
    _check_against(res, ref, SECTOR7, level, band)


@pytest.mark.parametrize("mode", list(MODES))
def test_replayed_contributions_equal_the_estimator_on_kept_per_cover_losses(sample_portfolio, mode):
    """The production path (tail replay, sparse records, two-pass kernel) against the estimator's formulas
    applied to every simulation's per-cover losses, which this run keeps (n_sims x covers)."""
    from riskmodel.analysis.estimators import _se_of_mean

    res = simulate(sample_portfolio, n_sims=6000, seed=14, **MODES[mode],
                   cover_segment=lambda live: np.arange(len(live)), n_segments=len(sample_portfolio.covers))
    n_cov = len(res.model.covers)
    x = res.segment_losses[:, :n_cov]
    L = res.total_loss
    w = np.ones(res.n_sims) if res.weights is None else res.weights
    level, n = 0.99, res.n_sims
    s = res.sample
    q = s.quantile_at(level)
    lo, hi = s.quantile_at(level - (1 - level) / 2), s.quantile_at(level + (1 - level) / 2)
    band = w * ((L >= lo) & (L <= hi))
    r = (band @ x) / (band @ L)
    v = q * r
    beyond = L > q
    es = (w * beyond) @ x / (n * (1 - level)) + (1 - (w * beyond).sum() / n / (1 - level)) * v
    y = (w * beyond)[:, None] * (x - v[None, :]) / (1 - level)
    es_se = np.array([_se_of_mean(y[:, k], res.strata) for k in range(n_cov)])
    yv = band[:, None] * (x - r[None, :] * L[:, None])
    r_se = np.array([_se_of_mean(yv[:, k], res.strata) for k in range(n_cov)]) * n / (band @ L)
    v_se = np.hypot(q * r_se, r * res.var(level).se)
    ids = res.model.covers["cover_id"].to_numpy()
    got_es = res.contributions("cover", "es", level).set_index("segment").loc[ids]
    got_var = res.contributions("cover", "var", level).set_index("segment").loc[ids]
    scale = res.es(level).value
    np.testing.assert_allclose(got_var["value"], v, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(got_es["value"], es, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(got_es["se"], es_se, rtol=1e-7, atol=1e-12 * scale)
    np.testing.assert_allclose(got_var["se"], v_se, rtol=1e-7, atol=1e-12 * scale)
    np.testing.assert_array_equal(got_var["tail_sims"], ((band > 0)[:, None] & (x > 0)).sum(axis=0))
    np.testing.assert_array_equal(got_es["tail_sims"], ((L >= q)[:, None] & (x > 0)).sum(axis=0))


def test_contributions_do_not_depend_on_chunks_or_threads(sample_portfolio):
    runs = [simulate(sample_portfolio, n_sims=6000, seed=2, method="importance", chunk_size=cs, n_threads=t)
            for cs, t in ((50_000, None), (777, 1), (1500, 2))]
    tables = [r.contributions("exporter", "es", 0.99) for r in runs]
    for t in tables[1:]:
        assert t.equals(tables[0])


def test_broken_replay_is_caught(sample_portfolio):
    res = simulate(sample_portfolio, n_sims=3000, seed=2, method="plain")
    real = res._replay
    res._replay = lambda sims, col: real(sims + 1, col)  # the wrong simulations
    with pytest.raises(RuntimeError, match="did not reproduce"):
        res.contributions("country", "es", 0.99)


def test_tail_is_replayed_once_for_lower_levels(sample_portfolio):
    res = simulate(sample_portfolio, n_sims=5000, seed=2, method="plain")
    res.contributions("country", "es", 0.99)
    first = res.tail(np.inf)  # the kept tail: any threshold above its own is served from it
    res.contributions("product", "es", 0.999)  # a higher level needs less of the tail: no replay
    assert res.tail(np.inf) is first
    res.contributions("product", "es", 0.95)
    assert res.tail(np.inf).threshold < first.threshold


@settings(max_examples=25, deadline=None)
@given(by=st.text(min_size=1, max_size=12).filter(lambda s: s not in ("cover", "contract", "exporter", "importer")))
def test_unknown_segment_is_refused_with_the_choices(sample_run, by):
    from riskmodel.model.segments import cover_attributes

    if by in cover_attributes(sample_run.model.covers, sample_run.portfolio).columns:
        return
    with pytest.raises(ValueError, match="cannot segment by .*expected one of .*country"):
        sample_run.contributions(by=by)


@pytest.mark.parametrize("kw, match", [({"measure": "cvar"}, "measure must be one of"),
                                       ({"level": 1.5}, "level must lie in"),
                                       ({"level": 0.99, "band": 0.5}, "band must lie in")])
def test_bad_options_are_refused(sample_run, kw, match):
    with pytest.raises(ValueError, match=match):
        sample_run.contributions(by="country", **kw)


@pytest.mark.parametrize("mode", list(MODES))
def test_el_by_segment_error_is_the_segment_loss_error_not_a_bound(mode):
    """A segment of several covers: EL's error is the standard error of the segment's loss per simulation
    (its covers' covariance included), the same as from a run that kept losses by segment; the sum of the
    covers' errors, used before, was about twice it."""
    from riskmodel.analysis.estimators import LossSample

    beta = np.array([0.2, 0.35, 0.5, 0.6] * 7)
    groups = sorted(set(SECTOR7))
    code = np.array([groups.index(s) for s in SECTOR7])
    pf = one_factor_portfolio(PD7, beta, UNITS7, sector=SECTOR7)
    res = simulate(pf, one_factor_scenario(), n_sims=20_000, seed=5, **MODES[mode])
    c = res.contributions(by="sector", measure="el").set_index("segment").loc[groups]
    kept = simulate(pf, one_factor_scenario(), n_sims=20_000, seed=5, cover_segment=code, n_segments=len(groups),
                    **MODES[mode])
    for g, name in enumerate(groups):
        direct = LossSample(kept.segment_losses[:, g], kept.weights, strata=kept.strata).mean()
        assert c.loc[name, "value"] == pytest.approx(direct.value, rel=1e-9)
        assert c.loc[name, "se"] == pytest.approx(direct.se, rel=1e-9)
    acc = res.collected().acc
    bound = np.bincount(code, weights=np.sqrt(np.maximum(acc[:, 1] / res.n_sims - (acc[:, 0] / res.n_sims) ** 2, 0)
                                              / (res.n_sims - 1)))
    assert (c["se"].to_numpy() < 0.8 * bound).all()


def test_el_of_a_rare_segment_warns_and_the_effective_count_is_reported():
    """EL by segment rests on the simulations where the segment loses; under importance sampling a rare one's
    few carry heavy weights and its interval under-covers: `tail_sims` gives the effective number,
    (sum w x)^2 / sum (w x)^2, and below MIN_EL_EFFECTIVE the row warns; a common segment does not."""
    from riskmodel.analysis.contributions import MIN_EL_EFFECTIVE

    beta = np.array([0.2, 0.35, 0.5, 0.6] * 7)
    groups = sorted(set(SECTOR7))
    code = np.array([groups.index(s) for s in SECTOR7])
    pf = one_factor_portfolio(PD7, beta, UNITS7, sector=SECTOR7)
    res = simulate(pf, one_factor_scenario(), n_sims=4000, seed=900, method="importance", cover_segment=code,
                   n_segments=len(groups))
    c = res.contributions(by="sector", measure="el").set_index("segment").loc[groups]
    y = res.weights[:, None] * res.segment_losses
    effective = np.floor(y.sum(axis=0) ** 2 / (y * y).sum(axis=0) + 1e-9).astype(int)
    assert (c["tail_sims"].to_numpy() == effective).all()
    rare, common = groups[int(np.argmin(effective))], groups[int(np.argmax(effective))]
    assert c.loc[rare, "tail_sims"] < MIN_EL_EFFECTIVE and "effective simulations" in c.loc[rare, "warning"]
    assert c.loc[common, "warning"] == ""


def test_var_contributions_warn_when_their_band_holds_few_simulations():
    """VaR's (and EC's) contributions are a ratio over the simulations in VaR's band; with about 11 there their
    intervals covered 91% (benchmarks/contrib_coverage.py). Below MIN_VAR_BAND every row of both says so; a run
    four times longer holds enough and says nothing."""
    from riskmodel.analysis.contributions import MIN_VAR_BAND

    beta = np.array([0.2, 0.35, 0.5, 0.6] * 7)
    level, band = _atom_level(analytic.one_factor_contributions(PD7, beta, UNITS7, 0.999)["pmf"], 0.999)
    pf = one_factor_portfolio(PD7, beta, UNITS7, sector=SECTOR7)
    for n, few in ((50_000, True), (200_000, False)):
        res = simulate(pf, one_factor_scenario(), n_sims=n, seed=3000, method="plain", levels=[level])
        in_band = int(np.sum((res.total_loss >= res.sample.quantile_at(level - band))
                             & (res.total_loss <= res.sample.quantile_at(level + band))))
        assert (in_band < MIN_VAR_BAND) == few, in_band
        for measure in ("var", "ec"):
            c = res.contributions(by="sector", measure=measure, level=level, band=band)
            seen = c["tail_sims"] >= 10
            assert seen.any()
            said = c.loc[seen, "warning"].str.contains(f"rest on {in_band} simulations in VaR's band")
            assert said.all() if few else not said.any(), c[["segment", "tail_sims", "warning"]]
        es = res.contributions(by="sector", measure="es", level=level, band=band)
        assert not es["warning"].str.contains("VaR's band").any()
