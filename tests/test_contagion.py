"""Contagion inside an exporter: a call on a solvent exporter above its ``capacity`` makes it default at the
call, and its other live guarantees follow the default branch; checked against a book small enough to enumerate.

One exporter (no factor loading: its default time is exponential, hazard lam = -log(1 - pd)) holds a
performance guarantee A (100, calls without default at rate r) and an advance-payment guarantee B (50, no such
calls). With capacity 80 a call on A breaks the firm: A is paid as a call after default (LGD_D) and B is called
with its probability. Either A's call comes first (q1 = r / (r + lam) (1 - e^-(r + lam))) or the default does
(q2 = lam / (r + lam) (1 - e^-(r + lam))), and the loss takes four values with known probabilities.
"""
import math

import numpy as np
import pandas as pd
import pytest

import riskmodel as rm

from conftest import k_se

PD, RATE, P_A, P_B, LGD_D, LGD_S = 0.1, 0.3, 0.6, 0.9, 0.5, 0.3


def _book(capacity):
    exporters = pd.DataFrame({"exporter_id": ["E0"], "pd": [PD], "beta_global": [0.0], "capacity": [capacity]})
    importers = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    covers = pd.DataFrame({"cover_id": ["A", "B"], "exporter_id": "E0", "importer_id": "I0",
                           "product": ["performance", "advance_payment"], "amount": [100.0, 50.0], "currency": "KRW",
                           "insured_share": 1.0, "start": "2026-01-01", "end": "2029-01-01"})
    return rm.Portfolio.from_frames(exporters, importers, covers)


def _scenario(n_sims=200_000):
    zero = {"bid": 0.0, "advance_payment": 0.0, "performance": 0.0, "warranty": 0.0}
    lgd = {"mean": LGD_D, "sd": 0.0, "solvent": {"mean": LGD_S, "sd": 0.0}}
    return rm.scenario_from_dict({
        "simulation": {"n_sims": n_sims, "method": "plain", "seed": 17},
        "country_events": {"enabled": False},
        "calls": {"given_default": {**zero, "performance": P_A, "advance_payment": P_B},
                  "rate_without_default": {**zero, "performance": RATE}},
        "lgd": {"performance": lgd, "advance_payment": lgd},
    })


def _exact():
    lam = -math.log1p(-PD)
    first = 1 - math.exp(-(RATE + lam))
    q1, q2 = RATE / (RATE + lam) * first, lam / (RATE + lam) * first
    a, b = 100 * LGD_D, 50 * LGD_D
    law = {a + b: q1 * P_B + q2 * P_A * P_B, a: q1 * (1 - P_B) + q2 * P_A * (1 - P_B), b: q2 * (1 - P_A) * P_B}
    law[0.0] = 1 - sum(law.values())
    return law, q1 + q2


@pytest.mark.parametrize("sampling", ["dense", "sparse"])
def test_a_call_above_capacity_breaks_the_firm_as_enumerated(sampling):
    r = rm.simulate(_book(80.0), _scenario(), sampling=sampling)
    law, p_default = _exact()
    values = np.array(sorted(law))
    assert np.isin(r.total_loss, values).all(), np.unique(r.total_loss)  # no solvent-LGD call on A is left
    n = r.n_sims
    for v in values:
        f, p = float(np.mean(r.total_loss == v)), law[v]
        assert abs(f - p) <= k_se() * math.sqrt(p * (1 - p) / n), (v, f, p)
    defaults = float(np.mean(r.losses["n_exporter_defaults"] > 0))  # contagion defaults count as defaults
    assert abs(defaults - p_default) <= k_se() * math.sqrt(p_default * (1 - p_default) / n)
    assert p_default - PD > 10 * math.sqrt(PD * (1 - PD) / n)  # contagion adds defaults the test can see


@pytest.mark.parametrize("sampling", ["dense", "sparse"])
def test_a_call_within_capacity_leaves_the_firm_solvent(sampling):
    r = rm.simulate(_book(120.0), _scenario(n_sims=100_000), sampling=sampling)
    assert (r.total_loss == 100 * LGD_S).mean() > 0.05  # A's calls on the solvent firm, at the solvent LGD
    defaults = float(np.mean(r.losses["n_exporter_defaults"] > 0))
    assert abs(defaults - PD) <= k_se() * math.sqrt(PD * (1 - PD) / r.n_sims)
    blank = rm.simulate(_book(float("nan")), _scenario(n_sims=100_000), sampling=sampling)
    assert np.array_equal(blank.total_loss, rm.simulate(_book(1e15), _scenario(n_sims=100_000),
                                                        sampling=sampling).total_loss)


def test_a_negative_capacity_is_refused():
    with pytest.raises(rm.InputError, match="capacity"):
        _book(-1.0)
