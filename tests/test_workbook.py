"""The Excel workbook of a results folder: every sheet there, read back with openpyxl, values equal to the
run's files in the unit its headers name, no formulas, no error values, no 'nan'."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from riskmodel.analysis.exceedance import RETURN_PERIODS, exceedance_table
from riskmodel.analysis.estimators import LossSample
from riskmodel.cli import cli
from riskmodel.analysis.labels import LABELS, decimals, label


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("wb") / "res"
    for args in (["run", "--sims", "4000", "--seed", "3", "--out", str(d), "--quiet"],
                 ["contributions", "--sims", "4000", "--seed", "3", "--out", str(d), "--quiet"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
    return d


def test_the_workbook_has_every_sheet_with_units_and_values_only(results, tmp_path):
    out = tmp_path / "book.xlsx"
    r = CliRunner().invoke(cli, ["export", str(results), "-o", str(out)])
    assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Metrics", "Exceedance", "Capital by segment", "Concentration",
                             "Contributions", "Pricing", "Cash flows", "Scenario", "Provenance"]
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, str) and (v.startswith("=") or v.startswith("#") or v.lower() == "nan")), \
                    (ws.title, v)
                assert not (isinstance(v, float) and not np.isfinite(v)), (ws.title, v)
    m = pd.read_parquet(results / "metrics.parquet")
    el = float(m.loc[m["metric"] == "el", "value"].iloc[0])
    summary = pd.DataFrame(wb["Summary"].values)
    head = list(summary.iloc[0])
    assert head[1] == "Value (KRW bn)" and summary.iloc[1, 0] == "Expected loss"
    assert summary.iloc[1, 1] == pytest.approx(el / 1e9, rel=1e-12)
    metrics = pd.DataFrame(list(wb["Metrics"].values)[1:], columns=list(wb["Metrics"].values)[0])
    assert len(metrics) == (m["metric"] != "p_exceed").sum()
    # each figure shown to the digits its error supports; the cell keeps the unrounded value
    se = float(m.loc[m["metric"] == "el", "se"].iloc[0]) / 1e9
    d = decimals(se)
    assert wb["Metrics"].cell(row=2, column=4).number_format == "#,##0." + "0" * d
    assert wb["Metrics"].cell(row=2, column=5).number_format == "#,##0." + "0" * d  # the error itself
    assert wb["Metrics"].cell(row=2, column=4).value == pytest.approx(el / 1e9, rel=1e-12)
    conc = pd.DataFrame(list(wb["Concentration"].values)[1:], columns=list(wb["Concentration"].values)[0])
    assert "Herfindahl index of capital" in conc.columns and len(conc) == 4


def test_the_exceedance_table_reads_the_quantiles_at_the_return_periods(results):
    losses = pd.read_parquet(results / "losses.parquet")
    s = LossSample(losses["loss"].to_numpy(), losses["weight"].to_numpy(), 0.95, losses["stratum"].to_numpy())
    t = exceedance_table(s)
    assert list(t["return_period"]) == [float(T) for T in RETURN_PERIODS]
    assert (t["kind"] == "loss").all()
    for T, loss in zip(RETURN_PERIODS, t["amount"]):
        assert loss == s.var(1 - 1 / T)[0].value
    assert (np.diff(t["amount"]) >= 0).all() and (t["ci_low"] <= t["amount"]).all()
    assert (t["amount"] <= t["ci_high"]).all()
    stored = pd.read_csv(results / "exceedance.csv")  # what the run wrote: the same table
    assert np.allclose(stored["amount"], t["amount"], rtol=1e-12)


def test_labels_name_the_unit_of_money_only():
    assert label("value", "KRW bn") == "Value (KRW bn)" and label("share", "KRW bn") == "Share of the total"
    assert label("exposure_years", "KRW bn") == "Exposure over time (KRW bn-years)"
    assert label("unknown_column", "KRW bn") == "unknown_column"
    assert len({w for w, _ in LABELS.values()}) == len(LABELS)  # no two columns share a label


@pytest.mark.parametrize("args,fragment", [
    (["run", "--sims", "1000", "--xlsx", "x.xlsx"], "give --out DIR too"),
    (["run", "--sims", "1000", "--out", "o", "--xlsx", "x.csv"], "an .xlsx file"),
    (["export", ".", "-o", "x.csv"], "an .xlsx file"),
])
def test_workbook_options_are_checked_before_any_work(args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and fragment in r.output and not list(tmp_path.iterdir())


def test_the_report_of_a_one_year_run_shows_the_exceedance_table(results):
    from riskmodel.present.report import build_report

    text = build_report(results)
    section = text[text.index("<h2>Exceedance"):text.index("<h2>Who consumes")]
    assert "Amount (KRW bn)" in section and section.count("<tr") == 1 + len(RETURN_PERIODS)
    assert "Loss in the year" in section


def test_figures_on_screen_carry_the_digits_their_error_supports():
    from riskmodel.analysis.labels import by_error, decimals

    assert [decimals(x) for x in (0.33, 0.092, 4.2, 37.0, 0.0, float("nan"))] == [2, 3, 1, 0, None, None]
    df = pd.DataFrame({"value": [105.4721, 13.63512, 80.0], "se": [0.3312, 0.0921, 0.0],
                       "ci_low": [104.82, 13.4546, 80.0], "ci_high": [106.12, 13.8151, 80.0]})
    out = by_error(df)
    assert list(out["value"]) == ["105.47", "13.635", "80"] and list(out["se"]) == ["0.33", "0.092", "0"]
    assert list(out["ci_low"]) == ["104.82", "13.455", "80"]
    from riskmodel.analysis.labels import in_words

    shown = in_words(pd.DataFrame({"share": [0.2597, 0.0041], "capital": [2.0, 1.0], "capital_se": [0.0123, 0.5],
                                   "metric": ["es", "el"], "adequate": [True, False]}), "KRW bn")
    assert list(shown["Share of the total"]) == ["26.0%", "0.41%"]  # shares as percentages, no error: 1 decimal
    assert list(shown["Capital (KRW bn)"]) == ["2.000", "1.00"]  # each to its own error's digits
    assert list(shown["Figure"]) == ["Expected shortfall", "Expected loss"]
    assert list(shown["Premium covers the risk-adjusted rate"]) == ["yes", "no"]


def test_the_report_leads_with_the_answer_against_a_capital_figure(results):
    from riskmodel.present.report import build_report, executive_summary, StoredResult

    r = StoredResult(results)
    t = executive_summary(r, 8e10, 1e9, "KRW bn").set_index("figure")
    p = r.sample.prob_exceed(8e10)
    assert t.loc["Probability the losses exhaust it in the horizon", "value"] == p.value
    ec = r.ec(0.999)
    head = t.loc["Headroom: given less economic capital (KRW bn)"]
    assert head["value"] == pytest.approx((8e10 - ec.value) / 1e9) and head["se"] == pytest.approx(ec.se / 1e9)
    text = build_report(results, capital=8e10)
    assert text.index("<h2>Summary") < text.index("<h2>Capital") and "once in" in text
    r2 = CliRunner().invoke(cli, ["report", str(results), "-o", "x.html", "--capital", "-1"])
    assert r2.exit_code == 2 and "must be a positive amount" in r2.output
