"""Concentration: shares and Herfindahl indices against direct computation, top names, limits and their errors."""
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

import riskmodel as rm
from riskmodel.cli import cli
from riskmodel.analysis.concentration import concentration_table, load_limits

from conftest import k_se, one_factor_portfolio, one_factor_scenario


@pytest.fixture(scope="module")
def run(sample_portfolio):
    return rm.simulate(sample_portfolio, n_sims=20_000, seed=4, method="importance")


def _exposure_by(run, column: str) -> pd.Series:
    """Exposure by segment, straight from the portfolio tables (not through riskmodel.model.segments)."""
    cov = run.model.covers.assign(ead=run.model.arrays.cv_ead)
    imp = run.portfolio.importers.set_index("importer_id")
    cov["country"] = cov["importer_id"].map(imp["country"])
    cov["region"] = cov["country"].map(run.portfolio.reference.countries["region"])
    cov["exporter"], cov["importer"] = cov["exporter_id"], cov["importer_id"]
    return cov.groupby(column)["ead"].sum()


@pytest.mark.parametrize("dim", ["exporter", "importer", "country", "region"])
def test_exposure_shares_and_herfindahl_match_direct_computation(run, dim):
    c = run.concentration()
    expo = _exposure_by(run, dim)
    share = expo / expo.sum()
    mine = c.shares[c.shares["dimension"] == dim].set_index("segment")
    assert sorted(mine.index) == sorted(map(str, expo.index))
    np.testing.assert_allclose(mine["exposure"].sort_index().to_numpy(), expo.sort_index().to_numpy(float),
                               rtol=1e-12)
    h = c.herfindahl.set_index("dimension").loc[dim]
    assert h["hhi_exposure"] == pytest.approx(float((share ** 2).sum()), rel=1e-12)
    assert h["effective_n_exposure"] == pytest.approx(1 / h["hhi_exposure"])
    assert mine["capital_share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert 1 / len(mine) - 1e-12 <= h["hhi_capital"] <= 1 + 1e-12


def test_top_names_are_the_largest(run):
    c = run.concentration(top=3)
    for dim in ("exporter", "country"):
        d = c.shares[c.shares["dimension"] == dim]
        for by in ("exposure", "capital"):
            t = c.top[(c.top["dimension"] == dim) & (c.top["ranked_by"] == by)]
            assert list(t["rank"]) == [1, 2, 3]
            assert list(t[by]) == sorted(d[by], reverse=True)[:3]


def test_equal_segments_have_equal_capital():
    """Four identical sectors of a homogeneous one-factor pool: capital HHI is 1/4 within its error."""
    n = 80
    pf = one_factor_portfolio(np.full(n, 0.01), np.full(n, np.sqrt(0.2)), np.ones(n),
                              sector=[f"S{i % 4}" for i in range(n)])
    res = rm.simulate(pf, one_factor_scenario(), n_sims=60_000, seed=12, method="importance")
    c = concentration_table(res, dimensions=("sector",))
    h = c.herfindahl.iloc[0]
    assert abs(h["hhi_capital"] - 0.25) <= k_se() * h["hhi_capital_se"], h
    s = c.shares
    assert (abs(s["capital_share"] - 0.25) <= k_se(len(s)) * s["capital_share_se"]).all(), s


def test_limits_are_checked_and_breaches_listed(run, tmp_path):
    expo = _exposure_by(run, "country")
    big, small = expo.idxmax(), expo.idxmin()
    lim = pd.DataFrame({"segment": [f"country={big}", f"country={small}", "region=*", "country=ATA"],
                        "max_exposure": [expo[big] * 0.5, expo[small] * 2, "", "1"],
                        "max_capital_share": ["", "", "0.3", ""]})
    lim.to_csv(tmp_path / "limits.csv", index=False)
    c = run.concentration(limits=tmp_path / "limits.csv")
    t = c.limits
    assert t.loc[t["segment"] == big, "exposure_breach"].item()
    assert not t.loc[t["segment"] == small, "exposure_breach"].item()
    regions = t[t["dimension"] == "region"]
    assert len(regions) == run.concentration().herfindahl.set_index("dimension").loc["region", "n_segments"]
    assert (regions["capital_breach"] == (regions["capital_share"] > 0.3)).all()
    z = (regions["capital_share"] - 0.3) / regions["capital_share_se"]
    np.testing.assert_allclose(regions["capital_breach_z"].astype(float), z)
    none = t[t["segment"] == "ATA"]  # a limit on a country the book does not hold
    assert none["exposure"].item() == 0 and not none["exposure_breach"].item()
    assert set(c.breaches["segment"]) == set(t.loc[t["exposure_breach"] | t["capital_breach"], "segment"])
    assert "breached" in str(c)


def test_bad_limits_are_all_reported_with_row_and_line(tmp_path):
    (tmp_path / "limits.csv").write_text("segment,max_exposure,max_capital_share\n"
                                         "country=SAU,-5,\n"  # negative
                                         "planet=Mars,,0.2\n"  # unknown column
                                         "SAU,1e9,\n"  # no column=
                                         "region=europe,,1.5\n"  # share above 1
                                         "exporter=E1,,\n")  # neither limit
    with pytest.raises(rm.InputError) as e:
        load_limits(tmp_path / "limits.csv")
    got = {(p.row, p.line, p.column) for p in e.value.problems}
    assert got == {(1, 2, "max_exposure"), (2, 3, "segment"), (3, 4, "segment"), (4, 5, "max_capital_share"),
                   (5, 6, "max_exposure")}
    (tmp_path / "cols.csv").write_text("segment,max_exposure,limit\ncountry=SAU,1,\n")
    with pytest.raises(rm.InputError, match="(?s)missing column.*max_capital_share.*unknown column.*limit"):
        load_limits(tmp_path / "cols.csv")


@settings(max_examples=40, deadline=None)
@given(share=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6)))
def test_capital_share_limit_must_be_a_share(share):
    df = pd.DataFrame({"segment": ["country=SAU"], "max_exposure": [""], "max_capital_share": [share]})
    try:
        v = float(str(share).strip())
        ok = 0 < v <= 1
    except ValueError:
        ok = False
    if ok:
        assert load_limits(df)["max_capital_share"].iloc[0] == pytest.approx(float(str(share).strip()))
    else:
        with pytest.raises(rm.InputError, match="max_capital_share|give max_exposure"):
            load_limits(df)


def test_cli_concentration_refuses_bad_limits_before_simulating(tmp_path):
    (tmp_path / "l.csv").write_text("segment,max_exposure,max_capital_share\ncountry=SAU,lots,\n")
    r = CliRunner().invoke(cli, ["concentration", "--limits", str(tmp_path / "l.csv"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "l.csv" in r.output and "row 1 (line 2)" in r.output
    assert not (tmp_path / "o").exists()


def test_cli_contributions_and_concentration_write_tables(tmp_path):
    r = CliRunner().invoke(cli, ["contributions", "--by", "product", "--sims", "4000", "--quiet", "--out",
                                 str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    t = pd.read_parquet(tmp_path / "c" / "contributions.parquet")
    assert set(t["segment"]) <= {"bid", "advance_payment", "performance", "warranty", "credit"}
    assert "Euler contributions to ES" in r.output
    r = CliRunner().invoke(cli, ["contributions", "--by", "planet", "--sims", "2000", "--quiet"])
    assert r.exit_code == 2 and "cannot segment by 'planet'" in r.output
    r = CliRunner().invoke(cli, ["concentration", "--sims", "4000", "--quiet", "--out", str(tmp_path / "k")])
    assert r.exit_code == 0, r.output
    assert {"concentration.parquet", "herfindahl.csv", "top.parquet", "limits.parquet", "concentration.json"} <= {
        p.name for p in (tmp_path / "k").iterdir()}


# ---------------------------------------------------------------- errors of shares and of the Herfindahl index

@pytest.mark.parametrize("method", ["plain", "importance"])
def test_share_and_herfindahl_errors_match_their_influence_functions_on_kept_losses(sample_portfolio, method):
    """The production path (tail replay, sparse records) against the delta method applied directly to every
    simulation's per-cover losses, which this run keeps (n_sims x covers)."""
    from riskmodel.analysis.contributions import capital_shares, var_contributions
    from riskmodel.analysis.estimators import _se_of_mean
    from riskmodel.model.segments import cover_attributes, segment_codes

    res = rm.simulate(sample_portfolio, n_sims=6000, seed=23, method=method,
                      cover_segment=lambda live: np.arange(len(live)), n_segments=len(sample_portfolio.covers))
    level = 0.99
    _, codes, labels = segment_codes(cover_attributes(res.model.covers, res.portfolio), "country")
    n_seg = len(labels)
    share, share_se, hhi, hhi_se = capital_shares(res, codes, n_seg, level)
    n_cov = len(res.model.covers)
    x = np.zeros((res.n_sims, n_seg))
    np.add.at(x.T, codes, res.segment_losses[:, :n_cov].T)  # per-simulation loss by country
    w = np.ones(res.n_sims) if res.weights is None else res.weights
    b = w * (res.total_loss > res.sample.quantile_at(level)) / (1 - level)
    v = var_contributions(res, codes, n_seg, level)[0]
    infl = b[:, None] * (x - v[None, :])  # each country's ES-contribution influence function
    c = res.contributions(by="country", measure="es", level=level)["value"].to_numpy()
    total = c.sum()
    assert share == pytest.approx(c / total, rel=1e-12)
    infl_c = infl.sum(axis=1)
    want_share = [_se_of_mean((infl[:, g] - share[g] * infl_c) / total, res.strata) for g in range(n_seg)]
    want_hhi = _se_of_mean(2 / total * infl @ (share - hhi), res.strata)
    np.testing.assert_allclose(share_se, want_share, rtol=1e-7, atol=1e-12)
    assert hhi_se == pytest.approx(want_hhi, rel=1e-7)
    assert hhi == pytest.approx(float(np.sum(share ** 2)), rel=1e-12) and hhi_se > 0


def test_two_segments_have_tied_share_errors():
    """With two segments s_2 = 1 - s_1: their shares' errors are equal (independent errors would not be)."""
    from riskmodel.analysis.contributions import capital_shares

    pd_ = np.tile([0.01, 0.03], 50)
    pf = one_factor_portfolio(pd_, np.full(100, 0.45), np.tile([1, 3], 50), sector=np.tile(["a", "b"], 50))
    res = rm.simulate(pf, one_factor_scenario(), n_sims=20_000, seed=3, method="importance")
    from riskmodel.model.segments import cover_attributes, segment_codes

    _, codes, labels = segment_codes(cover_attributes(res.model.covers, res.portfolio), "sector")
    share, share_se, _, _ = capital_shares(res, codes, len(labels), 0.999)
    assert len(share) == 2 and share.sum() == pytest.approx(1.0, rel=1e-12)
    assert share_se[0] == pytest.approx(share_se[1], rel=1e-9) and share_se[0] > 0
