"""Marginal capital on common random numbers: against two full runs, exact zeros, refusals, the CLI."""
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import riskmodel as rm
from riskmodel.cli import cli
from riskmodel.inputs.portfolio import extend_portfolio

from conftest import SAMPLE, k_se


def _text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out


def _copy_of_cover(pf, product="performance", i=0, cover_id="COPY1") -> pd.DataFrame:
    row = pf.covers[pf.covers["product"] == product].iloc[[i]].copy()
    row["cover_id"] = cover_id
    row["contract_id"] = None
    return _text(row)


def test_copy_of_a_cover_matches_the_finite_difference_of_two_runs(sample_portfolio):
    new = _copy_of_cover(sample_portfolio, i=3)
    n = 40_000
    w = rm.whatif(sample_portfolio, None, {"covers": new}, n_sims=n, seed=31, method="importance")
    combined, _ = extend_portfolio(sample_portfolio, {"covers": new})
    after = rm.simulate(combined, n_sims=n, seed=32, method="importance")
    before = rm.simulate(sample_portfolio, n_sims=n, seed=33, method="importance")
    t = w.table.set_index(["metric", "level"])
    checked = 0
    for metric, level in (("el", pd.NA), ("es", 0.99), ("es", 0.999)):
        fig = (lambda r: r.el()) if metric == "el" else (lambda r, lv=level: r.es(lv))
        fd = fig(after).value - fig(before).value
        fd_se = np.hypot(fig(after).se, fig(before).se)
        row = t.loc[(metric, level)]
        assert abs(row["change"] - fd) <= k_se() * np.hypot(row["change_se"], fd_se), (metric, level, row, fd, fd_se)
        # "far below", made concrete: common random numbers do better than two runs 25 times longer each
        assert row["change_se"] < fd_se / 5, (metric, level, row["change_se"], fd_se)
        assert row["change_se"] < min(row["before_se"], row["after_se"]) / 5
        checked += 1
    assert checked == 3


def test_change_is_within_errors_of_the_exact_book_figures(sample_portfolio):
    """'before' reads the book's loss out of the combined run: a draw of the book alone."""
    new = _copy_of_cover(sample_portfolio, i=1)
    w = rm.whatif(sample_portfolio, None, {"covers": new}, n_sims=30_000, seed=5, method="plain")
    alone = rm.simulate(sample_portfolio, n_sims=30_000, seed=6, method="plain")
    t = w.table.set_index(["metric", "level"])
    for metric, level, fig in (("el", pd.NA, alone.el()), ("es", 0.99, alone.es(0.99))):
        row = t.loc[(metric, level)]
        assert abs(row["before"] - fig.value) <= k_se() * np.hypot(row["before_se"], fig.se)


def test_a_cover_outside_the_horizon_changes_nothing_exactly(sample_portfolio):
    new = _copy_of_cover(sample_portfolio)
    new["start"], new["end"] = "2031-01-01", "2032-01-01"  # starts after the one-year horizon
    w = rm.whatif(sample_portfolio, None, {"covers": new}, n_sims=4000, seed=2)
    assert (w.table["change"] == 0).all() and (w.table["change_se"] == 0).all()
    assert (w.table["before"] == w.table["after"]).all()
    assert w.new_exposure == 0.0


def test_marginal_and_book_contributions_add_up(sample_portfolio):
    new = _copy_of_cover(sample_portfolio, i=2)
    w = rm.whatif(sample_portfolio, None, {"covers": new}, n_sims=8000, seed=3, method="importance")
    res = w.result
    by_cover = res.contributions("cover", "es", 0.999).set_index("segment")
    assert w.table.set_index(["metric", "level"]).loc[("es", 0.999), "marginal"] == pytest.approx(
        by_cover.loc["COPY1", "value"], rel=1e-9)


def test_new_obligors_come_with_their_tables(sample_portfolio, tmp_path):
    new = _copy_of_cover(sample_portfolio)
    new["exporter_id"] = "ENEW"
    (tmp_path / "covers.csv").write_text(new.to_csv(index=False))
    (tmp_path / "exporters.csv").write_text("exporter_id,rating,sector,size\nENEW,BB,defence,1.0\n")
    w = rm.whatif(sample_portfolio, None, tmp_path, n_sims=4000, seed=2)
    assert w.new_cover_ids == ["COPY1"] and w.table.loc[0, "change"] > 0


def test_joining_a_contract_with_later_covers_is_refused(sample_portfolio):
    cov = sample_portfolio.covers
    k = cov.dropna(subset=["contract_id"]).groupby("contract_id")["start"].nunique()
    contract = k[k > 1].index[0]  # a contract whose covers start at different dates
    first = cov[cov["contract_id"] == contract].sort_values("start").iloc[[0]]
    new = _text(first.assign(cover_id="JOIN1"))
    with pytest.raises(rm.InputError, match=f"joins contract '{contract}'.*chain_contracts") as e:
        rm.whatif(sample_portfolio, None, {"covers": new}, n_sims=2000)
    assert e.value.problems[0].column == "contract_id"
    sc = rm.scenario_from_dict({"lifetime": {"chain_contracts": False}})
    assert len(rm.whatif(sample_portfolio, sc, {"covers": new}, n_sims=2000).table)  # unchained: allowed


def test_cli_whatif_prints_writes_and_reports_bad_files(tmp_path):
    cov = pd.read_csv(SAMPLE / "covers.csv", dtype=str)
    new = cov[cov["product"] == "performance"].head(1).assign(cover_id="NEW1", contract_id="")
    new.to_csv(tmp_path / "new.csv", index=False)
    r = CliRunner().invoke(cli, ["whatif", "--add", str(tmp_path / "new.csv"), "--sims", "3000", "--quiet",
                                 "--out", str(tmp_path / "out"), "--levels", "0.99"])
    assert r.exit_code == 0, r.output
    assert "what-if: 1 new cover(s)" in r.output and "change" in r.output
    t = pd.read_parquet(tmp_path / "out" / "whatif.parquet")
    assert set(t["metric"]) == {"el", "var", "es", "ec"}
    assert json.loads((tmp_path / "out" / "whatif.json").read_text())["n_sims"] == 3000
    bad = new.assign(product="bond", amount="-5")
    bad.to_csv(tmp_path / "bad.csv", index=False)
    r = CliRunner().invoke(cli, ["whatif", "--add", str(tmp_path / "bad.csv"), "--quiet",
                                 "--out", str(tmp_path / "never")])
    assert r.exit_code == 2
    assert "bad.csv" in r.output and "line 2" in r.output and "'product'" in r.output and "'amount'" in r.output
    assert not (tmp_path / "never").exists()


def test_var_change_on_a_lattice_carries_a_warning():
    """Fixed LGDs and unit exposures make every loss an atom: the VaR and EC changes then move by whole atoms
    and their intervals under-cover (benchmarks/whatif_coverage.py), so those rows say so; EL and ES do not,
    and the bundled book's random LGDs give no warning."""
    from conftest import one_factor_frames, one_factor_scenario

    exporters, importers, covers = one_factor_frames(np.full(200, 0.01), np.full(200, 0.45), np.ones(200))
    pf = rm.Portfolio.from_frames(exporters, importers, covers)
    new = {"covers": _text(covers.iloc[[0]].assign(cover_id="NEWC"))}
    t = rm.whatif(pf, one_factor_scenario(), new, levels=[0.999], n_sims=4000, seed=3, method="importance").table
    warned = t.set_index("metric")["warning"] != ""
    assert warned["var"] and warned["ec"] and not warned["el"] and not warned["es"]
    assert "lattice" in t.set_index("metric").loc["var", "warning"]
    sample = rm.load_portfolio(SAMPLE)
    t2 = rm.whatif(sample, None, {"covers": _copy_of_cover(sample)}, n_sims=4000, seed=3, method="importance").table
    assert (t2["warning"] == "").all()
