"""The sparse kernel samples the same model as the dense reference kernel.

The two draw defaults from different streams, so they agree in distribution,
not draw by draw: every comparison is a two-sample test at K_SE standard
errors of the difference. Edge cases of the group sampler (certain defaults,
impossible defaults, no idiosyncratic part) are checked against exact values.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskmodel as rm
from riskmodel.analysis import analytic
from riskmodel.model import grouping
from riskmodel.engine.chunks import run_chunks, sparse_index
from riskmodel.analysis.estimators import LossSample
from riskmodel.model.compile import compile_model

from conftest import K_SE, k_se, one_factor_portfolio, one_factor_scenario

FULL = {  # every component on, events frequent enough to matter
    "country_events": {"probability": {"IRQ": 0.3, "EGY": 0.2, "POL": 0.05}},
    "calls": {"rate_without_default": {"performance": 0.05}},
}
N = 200_000


def _two_sample(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Difference of means and its standard error."""
    return float(a.mean() - b.mean()), float(np.hypot(a.std(ddof=1) / np.sqrt(a.size), b.std(ddof=1) / np.sqrt(b.size)))


@pytest.mark.parametrize("copula", ["gaussian", "student_t"])
def test_sparse_and_dense_agree_on_the_full_model(sample_portfolio, copula):
    sc = rm.scenario_from_dict({**FULL, "copula": {"kind": copula, "dof": 5.0}})
    model = compile_model(sample_portfolio, sc)
    ls, cs = run_chunks(model, 3, N, sampling="sparse")
    ld, cd = run_chunks(model, 4, N, sampling="dense")
    checks = {}
    for i, name in enumerate(("loss_default_calls", "loss_solvent_calls", "loss_credit")):
        checks[name] = _two_sample(ls[:, i], ld[:, i])
    for i, name in enumerate(("exporter_defaults", "importer_defaults", "country_events", "calls")):
        checks[name] = _two_sample(cs[:, i].astype(float), cd[:, i].astype(float))
    total_d = ld.sum(1)
    for q in (0.9, 0.99, 0.999):
        x = np.quantile(total_d, q)
        checks[f"P(L > q{q})"] = _two_sample((ls.sum(1) > x).astype(float), (total_d > x).astype(float))
    bad = {k: v for k, v in checks.items() if abs(v[0]) > k_se() * v[1]}
    assert not bad, f"sparse and dense differ by more than {K_SE} standard errors: {bad}"
    # the comparison has power: every component actually occurs
    assert all(ls[:, i].mean() > 0 for i in range(3)) and (cs[:, 2] > 0).any()


def test_grouping_does_not_change_the_distribution(sample_portfolio, monkeypatch):
    """Coarse groups (many rejected candidates) and fine groups sample the same model."""
    sc = rm.scenario_from_dict(FULL)
    fine = compile_model(sample_portfolio, sc)
    n_fine = sparse_index(fine).grp_ptr.size  # indexed now, before the bands widen
    monkeypatch.setattr(grouping, "PD_BAND_RATIO", 1e6)
    monkeypatch.setattr(grouping, "WINDOW_BAND_RATIO", 1e6)
    coarse = compile_model(sample_portfolio, sc)
    assert sparse_index(coarse).grp_ptr.size < n_fine
    lf, cf = run_chunks(fine, 5, N)
    lc, cc = run_chunks(coarse, 5, N)
    for a, b in ((lf.sum(1), lc.sum(1)), (cf[:, 0], cc[:, 0]), (cf[:, 3], cc[:, 3])):
        d, se = _two_sample(a.astype(float), b.astype(float))
        assert abs(d) <= k_se() * se


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_certain_and_impossible_defaults(method):
    """A stress multiplier of 100 turns PDs (0.02, 0, 0.0005, 0.0001) into (2, capped at 1, 0, 0.05, 0.01).

    So L = 4 (certain) + L2, the exact one-factor loss of the last two obligors; the PD-0 one never defaults.
    """
    pf = one_factor_portfolio(np.array([0.02, 0.0, 0.0005, 0.0001]), np.full(4, 0.5), np.array([4.0, 8.0, 2.0, 1.0]))
    sc = one_factor_scenario(pd_multipliers={"exporter": 100.0})
    res = rm.simulate(pf, sc, n_sims=50_000, seed=12, levels=[0.999], method=method)
    pmf2 = analytic.one_factor_loss_pmf(np.array([0.05, 0.01]), np.full(2, 0.5),
                                        [analytic.fixed_severity(2), analytic.fixed_severity(1)])
    s = LossSample(res.total_loss, res.weights, 0.99994, res.strata)
    assert set(np.unique(res.total_loss)) <= {4.0, 5.0, 6.0, 7.0}
    for t, exact in ((4.5, pmf2[1:].sum()), (6.5, pmf2[3])):
        e = s.prob_exceed(t)
        se = e.se if method == "importance" else np.sqrt(exact * (1 - exact) / s.n)
        assert abs(e.value - exact) <= k_se() * se
    assert (res.losses["n_exporter_defaults"] >= 1).all()
    assert any("capped at 1" in w for w in res.warnings)


def test_geometric_skip_survives_vanishing_probabilities():
    """PDs of 1e-300 must neither overflow the skip count nor default."""
    pf = one_factor_portfolio(np.full(50, 1e-300), np.full(50, 0.5), np.ones(50))
    res = rm.simulate(pf, one_factor_scenario(), n_sims=20_000, seed=1, method="plain")
    assert res.total_loss.max() == 0.0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_unique_rows_numbers_groups_as_numpy_unique_does(n, width, levels, seed):
    """Group numbers key random streams: the fast path must number rows exactly as np.unique(axis=0)."""
    from riskmodel.model.grouping import unique_rows

    rng = np.random.default_rng(seed)
    key = rng.integers(-levels, levels + 1, size=(n, width)).astype(float) / 3.0
    got_u, got_inv = unique_rows(key)
    want_u, want_inv = np.unique(key, axis=0, return_inverse=True)
    assert np.array_equal(got_u, want_u) and np.array_equal(got_inv, want_inv.ravel())
