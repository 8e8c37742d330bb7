"""The backtest: losses drawn from the model itself pass, the same losses scaled up fail; the zones are
Basel's; the PIT test rejects what it should; bad tables are refused."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskmodel as rm
from riskmodel.governance.backtest import backtest, berkowitz_pvalue, zone
from riskmodel.inputs.errors import InputError

from conftest import one_factor_frames, one_factor_scenario, own_rate

N, PD, BETA = 40, 0.03, np.sqrt(0.15)
YEARS = range(2001, 2025)


@pytest.fixture(scope="module")
def book():
    e, i, c = one_factor_frames(np.full(N, PD), np.full(N, BETA), np.ones(N))
    c["start"], c["end"] = "2000-01-01", "2030-01-01"
    return rm.Portfolio.from_frames(e, i, c)


def _own_losses(book, scale=1.0):
    """One loss per year drawn from the model itself (its own seed per year: independent of the backtest's)."""
    rows = []
    for y in YEARS:
        sc = one_factor_scenario().with_overrides(valuation_date=pd.Timestamp(y, 1, 1).date())
        rows.append((y, scale * float(rm.simulate(book, sc, n_sims=100, seed=5000 + y, method="plain").total_loss[0])))
    return pd.DataFrame(rows, columns=["year", "claims"])


def test_the_model_passes_on_its_own_losses_and_fails_them_scaled(book, tmp_path):
    own = _own_losses(book)
    f = tmp_path / "claims.csv"
    own.to_csv(f, index=False)
    bt = backtest(book, one_factor_scenario(), f, n_sims=20_000, seed=1, level=0.9)
    own_rate(1e-4 + 1e-4, "backtest of the model on its own losses")  # PIT p-value below 1e-4, or red
    assert bt.pit_pvalue >= 1e-4 and bt.zone != "red", bt.summary()
    assert len(bt.table) == len(YEARS) and (bt.table["covers_live"] == N).all()
    assert ((bt.table["pit"] > 0) & (bt.table["pit"] < 1)).all()
    own["claims"] *= 3.0
    own.to_csv(f, index=False)
    bad = backtest(book, one_factor_scenario(), f, n_sims=20_000, seed=1, level=0.9)
    assert bad.zone == "red" and bad.pit_pvalue < 1e-3 and not bad.passed, bad.summary()


def test_the_zones_are_basels():
    # 250 days at 99%: 4 exceptions green, 5-9 yellow, 10 red (Basel Committee, 1996)
    assert [zone(k, 250, 0.99)[0] for k in (0, 4, 5, 9, 10)] == ["green", "green", "yellow", "yellow", "red"]


def test_the_pit_test_rejects_a_wrong_spread_and_keeps_a_right_one():
    rng = np.random.Generator(np.random.Philox(key=3))
    p_ok = berkowitz_pvalue(rng.random(200))
    p_narrow = berkowitz_pvalue(stats.norm.cdf(rng.standard_normal(200) * 1.6))
    own_rate(1e-4, "Berkowitz test on uniform PIT values")
    assert p_ok >= 1e-4 and p_narrow < 1e-6


def test_bad_claims_are_refused_and_the_command_writes_its_plot(book, tmp_path):
    f = tmp_path / "claims.csv"
    f.write_text("year,claims\n2020,-1\n2021,abc\n2021,5\n")
    with pytest.raises(InputError) as e:
        backtest(book, one_factor_scenario(), f, n_sims=200)
    text = str(e.value)
    assert "must be a number in [0, inf]" in text and "must be a finite number" in text
    g = tmp_path / "seg.csv"
    g.write_text("year,claims,segment\n2020,1,performance\n")
    with pytest.raises(InputError, match="--segment-by"):
        backtest(book, one_factor_scenario(), g, n_sims=200)
    out = tmp_path / "bt"
    example = rm.__file__.rsplit("/", 1)[0] + "/data/examples/observed_claims_illustrative.csv"
    run = subprocess.run([sys.executable, "-m", "riskmodel.cli", "backtest", example, "--sims", "2000", "--out",
                          str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert {p.name for p in out.iterdir()} == {"backtest.csv", "backtest.png", "backtest.json"}
    assert (out / "backtest.png").read_bytes()[:4] == b"\x89PNG" and "zone" in run.stdout


def test_segments_are_backtested_against_their_own_losses(tmp_path):
    e, i, c = one_factor_frames(np.full(N, PD), np.full(N, BETA), np.ones(N))
    c["start"], c["end"] = "2000-01-01", "2030-01-01"
    c["desk"] = ["north" if k % 4 else "south" for k in range(N)]  # 30 covers and 10
    book = rm.Portfolio.from_frames(e, i, c)
    f = tmp_path / "seg.csv"
    pd.DataFrame({"year": [2020, 2020, 2021, 2021], "claims": [1.0, 0.0, 2.0, 1.0],
                  "segment": ["north", "south", "north", "south"]}).to_csv(f, index=False)
    bt = backtest(book, one_factor_scenario(), f, n_sims=20_000, seed=2, segment_by="desk")
    t = bt.table.set_index(["year", "segment"])
    whole = backtest(book, one_factor_scenario(), _whole(tmp_path), n_sims=20_000, seed=2).table.set_index("year")
    for y in (2020, 2021):  # the segments' expected losses add up to the book's, on the same draws
        assert t.loc[(y, "north"), "expected"] + t.loc[(y, "south"), "expected"] == pytest.approx(
            whole.loc[y, "expected"], rel=1e-12)
    assert (t["expected"] > 0).all() and t.loc[(2020, "north"), "expected"] > t.loc[(2020, "south"), "expected"]
    with pytest.raises(InputError, match="not a covers column"):
        backtest(book, one_factor_scenario(), f, n_sims=200, segment_by="nothing")


def _whole(tmp_path):
    g = tmp_path / "whole.csv"
    pd.DataFrame({"year": [2020, 2021], "claims": [1.0, 3.0]}).to_csv(g, index=False)
    return g
