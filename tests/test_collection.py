"""What a run collects costs only that run: a lean run, the lifetime collection, and the replay between them.

A run without the lifetime view computes default times only where a loss
reads them and keeps no claim records; asking its result for a lifetime
figure replays every simulation once. Both must give the numbers of a run
that collected everything, bit for bit.
"""
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE, day, one_factor_scenario

import riskmodel as rm
from riskmodel.engine import run_chunks, sparse_index
from riskmodel.grouping import timed_latents
from riskmodel.model import compile_model


@pytest.fixture(scope="module")
def pf():
    return rm.load_portfolio(SAMPLE)


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_lean_run_replays_to_the_lifetime_numbers_of_a_collecting_run(pf, method):
    lean = rm.simulate(pf, n_sims=3000, seed=21, method=method, lifetime=False)
    full = rm.simulate(pf, n_sims=3000, seed=21, method=method, lifetime=True)
    assert lean.run_info["lifetime_collected"] is False and full.run_info["lifetime_collected"] is True
    assert np.array_equal(lean.total_loss, full.total_loss)
    assert lean.weights is None if method == "plain" else np.array_equal(lean.weights, full.weights)
    a, b = lean.collected(), full.collected()
    assert a is not full.collected() and a is lean.collected()  # replayed once, then kept
    for name in ("claim_cf", "recovery_cf", "pv", "claims", "acc"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.acc[:, 0].sum() > 0
    pd.testing.assert_frame_equal(lean.pricing(by="product"), full.pricing(by="product"))


def test_lifetime_is_collected_by_default_beyond_one_year_only(pf):
    one = rm.simulate(pf, n_sims=500, seed=1, method="plain")
    five = rm.simulate(pf, rm.scenario_from_dict({"simulation": {"horizon_years": 5.0}}), n_sims=500, seed=1,
                       method="plain")
    assert one.run_info["lifetime_collected"] is False
    assert five.run_info["lifetime_collected"] is True


def test_a_broken_replay_is_caught(pf, monkeypatch):
    res = rm.simulate(pf, n_sims=500, seed=3, method="plain", lifetime=False)
    real = res.replay
    monkeypatch.setattr(res, "replay", lambda sims, col: real(sims, col) * 1.001)
    with pytest.raises(RuntimeError, match="did not reproduce"):
        res.collected()


def _partial_book():
    """Four exporters, one guarantee each: live all year, from mid-year, stepping down, and in a contract."""
    exp = pd.DataFrame({"exporter_id": ["E0", "E1", "E2", "E3"], "pd": [0.05, 0.05, 0.05, 0.05]})
    imp = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    cov = pd.DataFrame({"cover_id": ["A", "B", "C", "D"], "exporter_id": ["E0", "E1", "E2", "E3"],
                        "importer_id": "I0", "product": "performance", "amount": 100.0, "currency": "KRW",
                        "insured_share": 1.0, "start": [day(0.0), day(0.5), day(0.0), day(0.0)],
                        "end": day(3.0), "schedule": ["bullet", "bullet", "linear", "bullet"],
                        "contract_id": [None, None, None, "K"]})
    return rm.Portfolio.from_frames(exp, imp, cov)


def test_undated_runs_time_only_the_latents_a_loss_reads():
    sc = one_factor_scenario(country_events={"enabled": False})
    m = compile_model(_partial_book(), sc).arrays
    undated, dated = timed_latents(m, dated=False), timed_latents(m, dated=True)
    # E0's bullet cover, live all year, needs no time; E1 (starts mid-year) and E2 (linear) do; the
    # contract here has one live cover, so nothing can cancel and D needs no time either
    assert undated[:4].tolist() == [0, 1, 1, 0]
    assert dated[:4].tolist() == [1, 1, 1, 1]
    assert (undated <= dated).all()


@pytest.mark.parametrize("sampling", ["sparse"])
def test_undated_and_dated_kernels_give_the_same_losses(sampling):
    from riskmodel.collect import ClaimsCollector

    sc = one_factor_scenario(country_events={"enabled": False})
    model = compile_model(_partial_book(), sc)
    lean = run_chunks(model, 4, 20_000, sampling=sampling)
    col = ClaimsCollector(20_000, len(model.covers), model.arrays.horizon, sc, lifetime=True)
    dated = run_chunks(model, 4, 20_000, sampling=sampling, collector=col)
    assert sparse_index(model, False).lat_timed.sum() < sparse_index(model, True).lat_timed.sum()
    assert np.array_equal(lean[0], dated[0]) and np.array_equal(lean[1], dated[1])
    assert (lean[0].sum(axis=1) > 0).mean() > 0.05  # the book defaults: the comparison has content
