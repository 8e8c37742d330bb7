"""Deliveries impossible: a country event calls the live advance-payment and performance guarantees of its
country's contracts (``[country_events] call_given_event``), against the book's exact distribution."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskmodel as rm

from conftest import k_se

N_COVERS, AMOUNT, SOLVENT_LGD, P_EVENT, Q = 10, 100.0, 0.5, 0.3, 0.4


def _book(exporter_pd=0.0):
    exporters = pd.DataFrame({"exporter_id": ["E0"], "pd": [exporter_pd]})
    importers = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    covers = pd.DataFrame({"cover_id": [f"C{i}" for i in range(N_COVERS)], "exporter_id": "E0", "importer_id": "I0",
                           "product": "advance_payment", "amount": AMOUNT, "currency": "KRW", "insured_share": 1.0,
                           "start": "2026-01-01", "end": "2029-01-01"})
    return rm.Portfolio.from_frames(exporters, importers, covers)


def _scenario(q=Q, rate=0.0, n_sims=100_000):
    zero = {"bid": 0.0, "advance_payment": 0.0, "performance": 0.0, "warranty": 0.0}
    return rm.scenario_from_dict({
        "simulation": {"n_sims": n_sims, "method": "plain", "seed": 11},
        "country_events": {"probability": {"POL": P_EVENT}, "call_given_event": {**zero, "advance_payment": q},
                           "importer_default_given_event": {"sovereign": 0.0, "state": 0.0, "private": 0.0}},
        "calls": {"rate_without_default": {**zero, "advance_payment": rate}},
        "lgd": {"advance_payment": {"mean": 0.7, "sd": 0.0, "solvent": {"mean": SOLVENT_LGD, "sd": 0.0}}},
    })


@pytest.mark.parametrize("sampling", ["sparse", "dense"])
def test_an_event_calls_each_guarantee_with_its_probability(sampling):
    r = rm.simulate(_book(), _scenario(), sampling=sampling)
    calls = np.round(r.total_loss / (AMOUNT * SOLVENT_LGD)).astype(int)  # guarantees called in each simulation
    assert np.allclose(calls * AMOUNT * SOLVENT_LGD, r.total_loss)
    # exact law: no event, or an event and Binomial(N_COVERS, Q) calls
    exact = P_EVENT * stats.binom.pmf(np.arange(N_COVERS + 1), N_COVERS, Q)
    exact[0] += 1 - P_EVENT
    freq = np.bincount(calls, minlength=N_COVERS + 1) / r.n_sims
    se = np.sqrt(exact * (1 - exact) / r.n_sims)
    assert (np.abs(freq - exact) <= k_se(N_COVERS + 1) * np.maximum(se, 1e-12)).all(), (freq, exact)
    el = P_EVENT * N_COVERS * Q * AMOUNT * SOLVENT_LGD
    assert abs(r.el().value - el) <= k_se() * r.el().se
    assert (r.losses["loss_solvent_calls"] == r.total_loss).all()  # a call on a solvent exporter


def test_no_event_call_without_its_probability_nor_on_an_exporter_already_in_default():
    none = rm.simulate(_book(), _scenario(q=0.0, n_sims=20_000))
    assert none.total_loss.max() == 0.0
    # an exporter in default before the event is no longer called by it (only calls after default remain, off)
    data = _scenario(q=1.0, n_sims=40_000).model_dump(mode="json")
    data["calls"]["given_default"]["advance_payment"] = 0.0
    sc = rm.scenario_from_dict(data)
    solvent = rm.simulate(_book(), sc)
    for sampling in ("dense", "sparse"):
        weak = rm.simulate(_book(exporter_pd=0.6), sc, sampling=sampling)
        assert solvent.el().value - weak.el().value > k_se() * np.hypot(solvent.el().se, weak.el().se)
        assert weak.el().value > 0


def test_dense_and_sparse_agree_when_calls_without_default_race_the_event():
    sc = _scenario(rate=0.8, n_sims=60_000)
    d, s = rm.simulate(_book(), sc, sampling="dense"), rm.simulate(_book(), sc, sampling="sparse")
    for f in (lambda r: r.el(), lambda r: r.prob_exceed(AMOUNT * SOLVENT_LGD * 3.5)):
        a, b = f(d), f(s)
        assert abs(a.value - b.value) <= k_se() * np.hypot(a.se, b.se)
    # each guarantee is called at most once: the event's call and a call without default never both count
    assert d.total_loss.max() <= N_COVERS * AMOUNT * SOLVENT_LGD and s.total_loss.max() <= N_COVERS * AMOUNT * 0.5
    more = rm.simulate(_book(), _scenario(q=0.0, rate=0.8, n_sims=60_000))
    assert s.el().value - more.el().value > k_se() * np.hypot(s.el().se, more.el().se)  # on top of the raised rate
