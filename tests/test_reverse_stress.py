"""The reverse stress test against exact conditional laws, and the factor shift it writes against a closed form.

In a one-factor pool of N obligors (LGD 1, one unit each), given the factor z the loss is
Binomial(N, p(z)), so ``E[Z | L > C]``, ``P(D_j | L > C)`` and ``P(L > C)`` are one-dimensional integrals.
A factor shift s makes the pool a one-factor pool with PD ``Phi(Phi^-1(pd) - beta s)``: its exact law.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import special, stats

import riskmodel as rm
from riskmodel.analysis import analytic
from riskmodel.analysis.estimators import LossSample
from riskmodel.governance.reverse import reverse_stress
from riskmodel.inputs.errors import InputError
from riskmodel.model.compile import compile_model

from conftest import CI_K, K_SE, k_se, one_factor_portfolio, one_factor_scenario

N, PD, BETA, C = 30, 0.02, np.sqrt(0.2), 4.0


def _exact_tail():
    z = np.linspace(-10, 10, 20001)
    phi = stats.norm.pdf(z) * (z[1] - z[0])
    p = special.ndtr((special.ndtri(PD) - BETA * z) / np.sqrt(1 - BETA ** 2))
    sf = stats.binom.sf(C, N, p)  # P(L > C | z)
    tail = float((phi * sf).sum())
    return {"p": tail, "z": float((phi * z * sf).sum()) / tail,
            "d0": float((phi * p * stats.binom.sf(C - 1, N - 1, p)).sum()) / tail}


@pytest.fixture(scope="module")
def stress():
    pf = one_factor_portfolio(np.full(N, PD), np.full(N, BETA), np.ones(N))
    return pf, reverse_stress(pf, one_factor_scenario(), C, n_sims=60_000, seed=3, stress_sims=20_000)


def test_tail_means_match_the_exact_conditional_law(stress):
    _, rs = stress
    ex = _exact_tail()
    k = k_se(3)
    p, se = rs.p_exceed
    assert abs(p - ex["p"]) <= k * se, (p, ex["p"])
    g = rs.configuration[(rs.configuration["kind"] == "factor") & (rs.configuration["name"] == "global")].iloc[0]
    assert abs(g["given_tail"] - ex["z"]) <= K_SE * g["se"], (g["given_tail"], ex["z"])
    o = rs.names[rs.names["id"] == "O0000"].iloc[0]
    assert abs(o["p_given_tail"] - ex["d0"]) <= K_SE * o["se"], (o["p_given_tail"], ex["d0"])
    assert g["dominating_point"] < 0 and g["given_tail"] < g["dominating_point"] + 1.0


def test_the_written_scenario_loads_and_reaches_the_capital_as_reported(stress, tmp_path):
    pf, rs = stress
    assert "[factors]" in rs.scenario_text and "shift" in rs.scenario_text
    f = tmp_path / "stress.toml"
    f.write_text(rs.scenario_text)
    sc = rm.load_scenario(f)
    assert sc.factors.shift["global"] == pytest.approx(
        rs.configuration.query("name == 'global'")["given_tail"].iloc[0], abs=1e-4)
    base = one_factor_scenario().model_dump(mode="json")
    base["factors"]["shift"] = sc.factors.shift
    base["pd_multipliers"]["by_id"] = sc.pd_multipliers.by_id
    r = rm.simulate(pf, rm.scenario_from_dict(base), n_sims=20_000, seed=5, method="plain")
    mine = r.prob_exceed(np.nextafter(C, -np.inf))
    sp, sse = rs.stress_p
    assert abs(mine.value - sp) <= K_SE * np.hypot(mine.se, sse)
    assert sp > rs.p_exceed[0] * 10  # the stress is where the tail is


def test_a_factor_shift_is_a_one_factor_pool_with_shifted_pds():
    pf = one_factor_portfolio(np.full(N, PD), np.full(N, BETA), np.ones(N))
    shift = -1.5
    sc = one_factor_scenario(factors={"shift": {"global": shift}})
    pd_new = special.ndtr(special.ndtri(PD) - BETA * shift)
    m = compile_model(pf, sc)
    assert m.latents["pd"].to_numpy()[:N] == pytest.approx(np.full(N, pd_new), rel=1e-12)
    r = rm.simulate(pf, sc, n_sims=100_000, seed=8, method="plain")
    ref = analytic.pmf_metrics(analytic.one_factor_loss_pmf(np.full(N, pd_new), np.full(N, BETA),
                                                            [analytic.fixed_severity(1)] * N), 1.0, [0.99])
    s = LossSample(r.total_loss, None, CI_K)
    k = k_se(2)
    assert abs(s.mean().value - ref["el"]) <= k * s.mean().se
    assert abs(s.es(0.99).value - ref[("es", 0.99)]) <= k * s.es(0.99).se


def test_shift_and_named_stresses_are_validated(sample_portfolio):
    for data, fragment in (({"factors": {"shift": {"nowhere": -1.0}}}, "no factor named 'nowhere'"),
                           ({"factors": {"shift": {"global": -1.0}}, "copula": {"kind": "student_t"}},
                            "Gaussian copula only"),
                           ({"pd_multipliers": {"by_id": {"NOBODY": 2.0}}}, "no exporter or importer has this id")):
        with pytest.raises(InputError, match=fragment):
            compile_model(sample_portfolio, rm.scenario_from_dict(data))


def test_the_command_writes_its_tables_and_refuses_a_bad_capital(tmp_path):
    base = [sys.executable, "-m", "riskmodel.cli", "reverse-stress", "--sims", "4000"]
    bad = subprocess.run(base + ["--capital", "-5"], capture_output=True, text=True)
    assert bad.returncode == 2 and "must be a loss above 0" in bad.stderr
    far = subprocess.run(base + ["--capital", "1e18"], capture_output=True, text=True)
    assert far.returncode == 2 and "beyond what the model reaches" in far.stderr
    out = tmp_path / "rs"
    ok = subprocess.run(base + ["--capital", "1e11", "--out", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert {p.name for p in out.iterdir()} == {"reverse_stress.csv", "reverse_stress_names.csv",
                                              "reverse_stress.toml", "reverse_stress.json"}
    assert "most likely configuration" in ok.stdout
    rm.load_scenario(out / "reverse_stress.toml")
