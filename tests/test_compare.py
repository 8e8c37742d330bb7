"""Run comparison: the change between two runs against the exact change, its error (common random numbers or
quadrature), the split into steps that add up, refusals, the command and the report's section."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmodel as rm
from riskmodel import analytic
from riskmodel.analysis.changes import PAIRED, QUADRATURE
from riskmodel.cli import cli
from conftest import copy_sample, k_se, one_factor_portfolio, one_factor_scenario

LEVEL = 0.99
K = np.arange(300)
PD = np.array([0.002, 0.005, 0.01, 0.02, 0.04])[K % 5]
UNITS = 1 + (K * 7) % 10
KEEP = K >= 20  # the later book: twenty obligors fewer


def _exact(keep):
    pmf = analytic.one_factor_loss_pmf(PD[keep], np.full(keep.sum(), 0.45),
                                       [analytic.fixed_severity(u) for u in UNITS[keep]])
    t = analytic.pmf_metrics(pmf, levels=[LEVEL])
    return {"el": t["el"], "var": t[("var", LEVEL)], "es": t[("es", LEVEL)], "ec": t[("ec", LEVEL)]}


@pytest.fixture(scope="module")
def books():
    a = one_factor_portfolio(PD, np.full(300, 0.45), UNITS)
    b = one_factor_portfolio(PD[KEEP], np.full(KEEP.sum(), 0.45), UNITS[KEEP])
    return a, b


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_the_change_lies_within_k_errors_of_the_exact_change(books, method):
    truth_a, truth_b = _exact(np.ones(300, bool)), _exact(KEEP)
    sc = one_factor_scenario()
    ra = rm.simulate(books[0], sc, n_sims=20_000, seed=11, levels=[LEVEL], method=method)
    rb = rm.simulate(books[1], sc, n_sims=20_000, seed=11, levels=[LEVEL], method=method)
    c = rm.compare(ra, rb, attribution=False)
    assert c.paired
    t = c.table.set_index("metric")
    k = k_se(4)
    for m in ("el", "var", "es", "ec"):
        exact = truth_b[m] - truth_a[m]
        row = t.loc[m]
        assert row["errors"] == PAIRED
        assert abs(row["change"] - exact) <= k * row["change_se"] + 1e-9, (m, row["change"], exact, row["change_se"])
    assert "lattice" in t.loc["var", "warning"] and "lattice" in t.loc["ec", "warning"]  # fixed severities tie
    assert "lattice" not in t.loc["es", "warning"]
    # pairing is what makes a small change measurable: EL's paired error is far below the two runs' own
    assert t.loc["el", "change_se"] < 0.5 * math.hypot(t.loc["el", "a_se"], t.loc["el", "b_se"])


def test_runs_that_do_not_pair_combine_their_errors_in_quadrature(books):
    sc = one_factor_scenario()
    ra = rm.simulate(books[0], sc, n_sims=4000, seed=1, levels=[LEVEL], method="plain")
    rb = rm.simulate(books[1], sc, n_sims=4000, seed=2, levels=[LEVEL], method="plain")
    c = rm.compare(ra, rb, attribution=False)
    assert not c.paired and (c.table["errors"] == QUADRATURE).all()
    for r in c.table.itertuples():
        assert r.change_se == pytest.approx(math.hypot(r.a_se, r.b_se), rel=1e-12)
        assert r.change == pytest.approx(r.b - r.a, rel=1e-12, abs=1e-9)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp")

    def edit(cov):
        cov = cov.iloc[5:].copy()  # five covers removed
        cov.loc[cov.index[:3], "amount"] = (cov.loc[cov.index[:3], "amount"].astype(float) * 1.5).astype(str)
        new = cov.iloc[:2].copy()  # two added
        new["cover_id"] = ["CNEW1", "CNEW2"]
        return pd.concat([cov, new], ignore_index=True)

    book_b = copy_sample(root / "book_b", edit)
    a, b = root / "a", root / "b"
    for args in (["run", "--sims", "4000", "--seed", "5", "--out", str(a), "--quiet"],
                 ["run", "--portfolio", str(book_b), "--sims", "4000", "--seed", "5", "--horizon", "1y",
                  "--out", str(b), "--quiet"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
    return a, b, book_b


def test_a_run_compared_with_itself_changes_by_exactly_nothing(two_runs):
    a, _, _ = two_runs
    c = rm.compare(a, a)
    assert c.paired and (c.table["change"] == 0).all() and (c.table["change_se"] == 0).all()
    assert (c.steps["change"] == 0).all()


def test_the_steps_add_up_to_the_change_and_name_what_changed(two_runs):
    a, b, _ = two_runs
    c = rm.compare(a, b)
    st = c.steps
    assert list(dict.fromkeys(st["name"])) == ["before", "parameters", "covers removed", "covers amended",
                                               "covers added"]
    covers = st.drop_duplicates("name").set_index("name")["covers"]
    assert covers["covers removed"] == 5 and covers["covers amended"] == 3 and covers["covers added"] == 2
    t = c.table.set_index(["metric", "level"])
    for m in ("el", "var", "es", "ec"):
        s = st[st["metric"] == m]
        lv = pd.NA if m == "el" else c.level
        total = t.loc[(m, lv), "change"] if m != "el" else t.xs("el", level=0)["change"].iloc[0]
        assert s["change"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)  # the waterfall telescopes
        assert s["value"].iloc[-1] == pytest.approx(s["value"].iloc[0] + total, rel=1e-12)
        assert (s["change_se"].iloc[1:] >= 0).all()
    assert st[st["name"] == "parameters"]["change"].abs().max() == 0  # the same scenario: the same numbers


def test_a_book_changed_since_its_run_is_not_split_and_says_why(two_runs, tmp_path):
    import shutil

    a, b, book_b = two_runs
    moved = tmp_path / "b"
    shutil.copytree(b, moved)
    cov = book_b / "covers.csv"
    text = cov.read_text()
    cov.write_text(text + "\n")
    try:
        c = rm.compare(a, moved)
        assert c.steps.empty and "has changed since the run" in c.why_no_steps and "covers.csv" in c.why_no_steps
        assert len(c.table) and "not split into its sources" in str(c)
    finally:
        cov.write_text(text)


def test_the_command_writes_its_tables_and_the_report_shows_the_change(two_runs, tmp_path):
    a, b, _ = two_runs
    out = tmp_path / "cmp"
    r = CliRunner().invoke(cli, ["compare", str(a), str(b), "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert "common random numbers" in r.output and "covers removed" in r.output
    assert {p.name for p in out.iterdir()} == {"compare.csv", "compare_steps.csv", "compare.json"}
    assert json.loads((out / "compare.json").read_text())["errors"] == PAIRED
    r = CliRunner().invoke(cli, ["compare", str(a), str(b), "--json", "--no-steps"])
    d = json.loads(r.output)
    assert len(d["changes"]) == 1 + 3 * 3 and d["steps"] == []
    html = tmp_path / "r.html"
    r = CliRunner().invoke(cli, ["report", str(b), "-o", str(html), "--against", str(a)])
    assert r.exit_code == 0, r.output
    text = html.read_text()
    assert "<h2>Change against the base" in text and "id='waterfall'" in text and "Change, standard error" in text


@pytest.mark.parametrize("args,fragment", [
    (["compare", "{a}", "{a}", "--levels", "1.5"], "a confidence level lies in (0, 1)"),
    (["compare", "{a}", "{missing}"], "not found"),
])
def test_bad_comparisons_are_refused_before_any_work(two_runs, tmp_path, args, fragment):
    a, _, _ = two_runs
    args = [x.format(a=a, missing=tmp_path / "nothing") for x in args]
    r = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and fragment in r.output and not (tmp_path / "o").exists()


@settings(max_examples=40, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(levels=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6)),
                       min_size=1, max_size=3))
def test_any_levels_option_is_run_or_refused_with_a_usage_error(two_runs, levels):
    a, _, _ = two_runs
    r = CliRunner().invoke(cli, ["compare", str(a), str(a), "--no-steps", "--json",
                                 "--levels", ",".join(str(x) for x in levels)])
    assert r.exit_code in (0, 2), r.output  # never a traceback
    if r.exit_code == 0:
        assert all(np.isfinite(v["change"]) for v in json.loads(r.output)["changes"])
    else:
        assert "--levels" in r.output
