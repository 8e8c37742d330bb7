"""The exceedance tables: a lifetime run's aggregate and occurrence amounts against a direct computation from
every simulation's dated claims, and the table a run writes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import riskmodel as rm
from riskmodel.analysis.exceedance import RETURN_PERIODS, lifetime_exceedance
from riskmodel.cli import cli
from riskmodel.engine.tail import replay_claims


def _direct(values: np.ndarray, n: int, years: int, T: float) -> float:
    """inf{x >= 0 : #(values > x) / (n years) <= 1/T}, from the definition (equal weights)."""
    cand = np.unique(np.r_[0.0, values])
    for x in cand:
        if np.sum(values > x) / (n * years) <= 1.0 / T + 1e-15:
            return float(x)
    return float(cand[-1])


@pytest.fixture(scope="module")
def life(sample_portfolio, baseline):
    sc = baseline.with_overrides(horizon_years=3.0)
    return rm.simulate(sample_portfolio, sc, n_sims=3000, seed=21, method="plain", lifetime=True)


def test_aggregate_and_occurrence_match_a_direct_computation_from_every_claim(life):
    t = lifetime_exceedance(life).set_index(["kind", "return_period"])
    n, years = life.n_sims, 3
    row, cover, when, paid = replay_claims(life, np.arange(n))  # every simulation, not only those that could
    d = pd.DataFrame({"sim": row, "year": np.floor(when).astype(int), "paid": paid,
                      "exporter": life.model.covers["exporter_id"].to_numpy()[cover]})
    d = d[d["year"] < years]
    annual = d.groupby(["sim", "year"])["paid"].sum()
    cf = life.cashflows()  # the same claims, by year, as the cash-flow table has them
    mean = cf[(cf.flow == "claims") & (cf.metric == "mean")].set_index("period")["value"]
    assert annual.groupby(level="year").sum().to_numpy() / n == pytest.approx(mean.to_numpy()[:years], rel=1e-9)
    single = d.groupby(["sim", "year", "exporter"])["paid"].sum().groupby(level=["sim", "year"]).max()
    for kind, values in (("aggregate", annual.to_numpy()), ("occurrence", single.to_numpy())):
        for T in RETURN_PERIODS:
            assert t.loc[(kind, float(T)), "amount"] == pytest.approx(_direct(values, n, years, T), rel=1e-12), (kind, T)
    occ, agg = t.xs("occurrence"), t.xs("aggregate")
    assert (occ["amount"] <= agg["amount"]).all()  # one exporter's claims never exceed the year's
    assert (t["ci_low"] <= t["amount"]).all() and (t["amount"] <= t["ci_high"]).all() and (t["se"] >= 0).all()


def test_a_lifetime_run_writes_its_exceedance_and_the_report_shows_both_kinds(tmp_path):
    out = tmp_path / "res"
    r = CliRunner().invoke(cli, ["run", "--horizon", "3y", "--sims", "3000", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "exceedance.csv")
    assert list(t["kind"].unique()) == ["aggregate", "occurrence"] and len(t) == 2 * len(RETURN_PERIODS)
    from riskmodel.present.report import build_report

    text = build_report(out)
    section = text[text.index("<h2>Exceedance"):text.index("<h2>Who consumes")]
    assert "<td>Claims paid in a year</td>" in section and "<td>One exporter's claims in a year</td>" in section
