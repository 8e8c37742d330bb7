"""Issue 15's cases, each a named regression test: a clear error naming the place and the rule, or a correct
result; never a traceback, never a guess."""
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLE, copy_sample, k_se

import riskmodel as rm
from riskmodel.cli import cli


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _dmy(tmp_path):
    """The sample with its dates written day/month/year (2 April 2026 as 02/04/2026)."""
    def edit(cov):
        for c in ("start", "end"):
            cov[c] = pd.to_datetime(cov[c], format="%Y-%m-%d").dt.strftime("%d/%m/%Y")

    return copy_sample(tmp_path / "dmy", edit)


# ---------------------------------------------------------------- dates


def test_day_month_dates_are_refused_not_misread(tmp_path):
    d = _dmy(tmp_path)
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(d)
    probs = exc.value.problems
    assert {p.column for p in probs} == {"start", "end"}
    first = min(probs, key=lambda p: (p.row, p.column))
    assert first.source == str(d / "covers.csv") and first.row == 1 and first.line == 2
    assert "YYYY-MM-DD" in first.rule and "--date-format" in first.rule and "never guessed" in first.rule


@pytest.mark.parametrize("verb", ["validate", "run"])
def test_validate_and_run_agree_on_day_month_dates(tmp_path, verb):
    d = _dmy(tmp_path)
    args = [verb, d] if verb == "validate" else [verb, "--portfolio", d, "--sims", 200, "--quiet"]
    r = _invoke(*args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "YYYY-MM-DD" in r.output and "covers.csv" in r.output


def test_declared_date_format_reads_day_first(tmp_path):
    d = _dmy(tmp_path)
    pf = rm.load_portfolio(d, date_format="%d/%m/%Y")
    iso = rm.load_portfolio(copy_sample(tmp_path / "iso"))
    pd.testing.assert_frame_equal(pf.covers[["start", "end"]], iso.covers[["start", "end"]])
    assert pf.covers["start"].iloc[0] == pd.Timestamp("2026-04-02")  # 2 April, as written
    r = _invoke("validate", d, "--date-format", "%d/%m/%Y")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("written", ["20260402", "2 April 2026", "Apr 2, 2026", "2026/04/02", "04/02/2026"])
def test_other_date_spellings_are_refused(tmp_path, written):
    def edit(cov):
        cov.loc[3, "start"] = written

    d = copy_sample(tmp_path / "pf", edit)
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(d)
    (p,) = exc.value.problems
    assert (p.column, p.row, p.value) == ("start", 4, written) and "YYYY-MM-DD" in p.rule


def test_iso_date_with_a_time_is_that_day():
    from riskmodel.inputs.sample import sample_frames

    f = sample_frames(5, seed=3)
    cov = f["covers"].copy()
    cov["start"] = cov["start"] + "T00:00:00"
    pf = rm.Portfolio.from_frames(f["exporters"], f["importers"], cov)
    assert (pf.covers["start"] == pd.to_datetime(f["covers"]["start"], format="%Y-%m-%d")).all()


@pytest.mark.parametrize("fmt", ["%d/%m", "%Y", "nonsense"])
def test_a_date_format_without_year_month_and_day_is_an_options_error(tmp_path, fmt):
    r = _invoke("validate", copy_sample(tmp_path / "pf"), "--date-format", fmt)
    assert r.exit_code == 2 and "--date-format" in r.output and "needs a year, a month and a day" in r.output


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("value", ["inf", "1e308", "-inf", "nan"])
def test_an_infinite_or_absurd_amount_is_an_input_error(tmp_path, value):
    def edit(cov):
        cov.loc[2, "amount"] = value

    d = copy_sample(tmp_path / "pf", edit)
    for verb in (["validate", d], ["run", "--portfolio", d, "--sims", 200, "--quiet"]):
        r = _invoke(*verb)
        assert r.exit_code == 2 and "Traceback" not in r.output, r.output
        assert "row 3" in r.output and "amount" in r.output, r.output


@pytest.mark.parametrize("value", [np.inf, 1e308])
def test_parquet_amounts_are_checked_like_csv_ones(tmp_path, value):
    d = copy_sample(tmp_path / "pf")
    cov = pd.read_csv(d / "covers.csv")
    cov.loc[0, "amount"] = value
    cov.to_parquet(d / "covers.parquet")
    (d / "covers.csv").unlink()
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(d)
    (p,) = exc.value.problems
    assert (p.column, p.row) == ("amount", 1) and ("finite" in p.rule or "1e+15" in p.rule)


@pytest.mark.parametrize("value", ["2", "1e15", "inf"])
def test_a_premium_rate_beyond_one_is_an_input_error(tmp_path, value):
    def edit(cov):
        cov.loc[0, "premium_rate"] = value

    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(copy_sample(tmp_path / "pf", edit))
    (p,) = exc.value.problems
    assert p.column == "premium_rate" and p.row == 1


# ---------------------------------------------------------------- scenarios


def _scenario_error(tmp_path, text):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(rm.InputError) as exc:
        rm.load_scenario(f)
    assert all(p.source == str(f) for p in exc.value.problems), exc.value.report()
    return exc.value.report()


@pytest.mark.parametrize("text,words", [
    ("[reporting.fx]\nUSD = inf\n", "reporting.fx"),
    ("[reporting.fx]\nUSD = 1e308\n", "reporting.fx"),
    ("[reporting.fx_risk.shock]\nUSD = inf\n", "fx_risk"),
    ("[pd_multipliers]\nexporter = inf\n", "pd_multipliers.exporter"),
    ("[pd_multipliers.by_region]\nmiddle_east = inf\n", "pd_multipliers"),
    ("[calls]\nrate_multiplier = inf\n", "calls.rate_multiplier"),
    ("[country_events]\ncall_rate_multiplier = nan\n", "country_events.call_rate_multiplier"),
    ("[copula]\nkind = \"student_t\"\ndof = 0.01\n", "copula.dof"),
    ("[copula]\nkind = \"student_t\"\ndof = 2\n", "copula.dof"),
    ("[simulation]\nhorizon_years = 1e-9\n", "simulation.horizon_years"),
])
def test_scenario_keys_are_bounded_as_the_model_needs(tmp_path, text, words):
    assert words in _scenario_error(tmp_path, text)


def test_a_beta_lgd_near_its_bound_draws_finite_lgds():
    """Mean 0.5, sd 0.499: both beta shapes are 0.002 and both gamma draws underflowed to 0 (0/0 in the
    kernel); the sampler now takes such draws in logs. LGDs stay in [0, 1] with the stated mean."""
    from riskmodel.kernels.distributions import beta_nb

    draws = np.array([beta_nb(0.002, 0.002, 11, 22, sim, 3, 0) for sim in range(20_000)])
    assert np.isfinite(draws).all() and ((draws >= 0) & (draws <= 1)).all()
    se = draws.std(ddof=1) / np.sqrt(draws.size)
    assert abs(draws.mean() - 0.5) < k_se() * se
    sc = rm.scenario_from_dict({"lgd": {"performance": {"mean": 0.5, "sd": 0.499}}})
    res = rm.simulate(rm.load_portfolio(SAMPLE), sc, n_sims=2000, seed=1, method="plain")
    m = res.metrics()
    assert np.isfinite(m[["value", "se", "ci_low", "ci_high"]].to_numpy(dtype=float)).all()


def test_extends_a_missing_file_is_an_error_even_when_named_baseline(tmp_path):
    report = _scenario_error(tmp_path, 'extends = "baseline.toml"\nname = "x"\n')
    assert "does not exist" in report and "drop 'extends'" in report


def test_deeply_nested_toml_is_an_input_error(tmp_path):
    report = _scenario_error(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in report or "not valid TOML" in report


# ---------------------------------------------------------------- edge books


@pytest.mark.parametrize("valuation", ["2040-01-01", "1900-01-01"])
def test_a_book_with_no_live_cover_is_refused_before_anything_is_written(tmp_path, valuation):
    sc = tmp_path / "when.toml"
    sc.write_text(f"[simulation]\nvaluation_date = {valuation}\n")
    out = tmp_path / "out"
    r = _invoke("run", "--scenario", sc, "--sims", 500, "--out", out, "--quiet")
    assert r.exit_code == 2 and "no cover is live in the horizon" in r.output and "Traceback" not in r.output
    assert not out.exists()
    v = _invoke("validate", SAMPLE, "--scenario", sc)
    assert v.exit_code == 2 and "no cover is live" in v.output  # validate and run agree


def test_a_book_that_loses_nothing_writes_finite_zeros(tmp_path):
    sc = tmp_path / "calm.toml"
    sc.write_text("[calls]\nenabled = false\n[country_events]\nenabled = false\n"
                  "[pd_multipliers]\nexporter = 0\nimporter = 0\n")
    out = tmp_path / "out"
    r = _invoke("run", "--scenario", sc, "--sims", 500, "--out", out, "--quiet", "--method", "plain")
    assert r.exit_code == 0, r.output
    for f in out.glob("*.parquet"):
        num = pd.read_parquet(f).drop(columns=["level"], errors="ignore").select_dtypes("number")
        assert np.isfinite(num.to_numpy(dtype=float)).all(), f
    m = pd.read_parquet(out / "metrics.parquet")
    assert (m["value"] == 0).all() and (m["ci_high"] == 0).all()
    c = _invoke("contributions", "--scenario", sc, "--sims", 500, "--quiet", "--method", "plain", "--json")
    assert c.exit_code == 0 and "Traceback" not in c.output, c.output
    assert all(rec["value"] == 0 for rec in json.loads(c.output))


# ---------------------------------------------------------------- messages that point at the cause


def _one_problem(d):
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(d)
    return exc.value.problems


@pytest.mark.parametrize("sep,name", [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_otherwise_is_named_as_such(tmp_path, sep, name):
    d = copy_sample(tmp_path / "pf")
    pd.read_csv(d / "covers.csv", dtype=str).to_csv(d / "covers.csv", sep=sep, index=False)
    (p,) = _one_problem(d)
    assert p.table == "covers" and name in p.rule and "comma" in p.rule


def test_a_title_row_above_the_header_is_named_as_such(tmp_path):
    d = copy_sample(tmp_path / "pf")
    (d / "covers.csv").write_text("Covers insured in 2026\n" + (d / "covers.csv").read_text())
    (p,) = _one_problem(d)
    assert "title row" in p.rule and "Covers insured in 2026" in p.rule


@pytest.mark.parametrize("cell,words", [("#DIV/0!", "Excel error value"), ("=B2*C2", "formula, not its value")])
def test_excel_errors_and_formulas_are_named_as_such(tmp_path, cell, words):
    def edit(cov):
        cov.loc[1, "amount"] = cell

    (p,) = _one_problem(copy_sample(tmp_path / "pf", edit))
    assert (p.column, p.row) == ("amount", 2) and words in p.rule


@pytest.mark.parametrize("name,content,words", [
    ("book.xlsx", b"cover_id,amount\nC1,5\n", "not an Excel workbook"),
    ("book.xlsx", b"\x00\x01\x02binary", "not an Excel workbook"),
])
def test_a_file_that_is_not_what_its_extension_says(tmp_path, name, content, words):
    f = tmp_path / name
    f.write_bytes(content)
    (p,) = _one_problem(f)
    assert words in p.rule


def test_a_parquet_named_csv_and_a_csv_named_parquet(tmp_path):
    d = copy_sample(tmp_path / "pf")
    pd.read_csv(d / "covers.csv").to_parquet(d / "covers.csv")
    (p,) = _one_problem(d)
    assert "is named .csv but is a Parquet file" in p.rule
    d2 = copy_sample(tmp_path / "pf2")
    (d2 / "covers.csv").rename(d2 / "covers.parquet")
    (p,) = _one_problem(d2)
    assert "is not a Parquet file" in p.rule


def test_a_missing_key_column_is_reported_once_with_no_wrong_hint(tmp_path):
    d = copy_sample(tmp_path / "pf")
    pd.read_csv(d / "covers.csv", dtype=str).drop(columns=["exporter_id"]).to_csv(d / "covers.csv", index=False)
    probs = _one_problem(d)
    assert len(probs) == 1, "\n".join(map(str, probs))
    (p,) = probs
    assert p.column == "exporter_id" and "required column is missing" in p.rule and "importer_id" not in p.rule


def test_known_columns_in_upper_case_are_read_and_said(tmp_path):
    def edit(cov):
        cov.columns = [{"on_demand": "ON_DEMAND", "premium_rate": "Premium_Rate"}.get(c, c) for c in cov.columns]
        cov.loc[0, "ON_DEMAND"] = "false"

    pf = rm.load_portfolio(copy_sample(tmp_path / "pf", edit))
    assert not pf.covers["on_demand"].iloc[0] and "premium_rate" in pf.covers.columns
    assert any("'ON_DEMAND' as 'on_demand'" in w for w in pf.warnings)


def test_control_characters_in_ids_are_refused(tmp_path):
    def edit(cov):
        cov.loc[0, "cover_id"] = "C0\x00001"

    (p,) = _one_problem(copy_sample(tmp_path / "pf", edit))
    assert p.column == "cover_id" and "control character" in p.rule


# ---------------------------------------------------------------- results directories


def _run_into(d, *extra):
    r = _invoke("run", "--sims", 1000, "--method", "plain", "--quiet", "--out", d, *extra)
    assert r.exit_code == 0, r.output
    return json.loads((d / "run.json").read_text())


def test_verbs_that_add_to_a_run_directory_keep_their_own_provenance(tmp_path):
    d = tmp_path / "res"
    run = _run_into(d, "--seed", 3)
    r = _invoke("concentration", "--sims", 2000, "--seed", 9, "--quiet", "--method", "plain", "--out", d)
    assert r.exit_code == 0, r.output
    r = _invoke("contributions", "--sims", 2000, "--seed", 9, "--quiet", "--method", "plain", "--out", d)
    assert r.exit_code == 0, r.output
    assert json.loads((d / "run.json").read_text()) == run  # untouched
    assert json.loads((d / "concentration.json").read_text())["n_sims"] == 2000
    assert json.loads((d / "contributions.json").read_text())["seed"] == 9
    html = tmp_path / "r.html"
    r = _invoke("report", d, "-o", html)
    assert r.exit_code == 0, r.output
    text = html.read_text()
    assert "1,000 simulations, seed 3" in text and "2,000 simulations" not in text


def test_report_refuses_a_directory_mixing_two_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _run_into(a, "--seed", 1)
    _run_into(b, "--seed", 2)
    (a / "metrics.parquet").write_bytes((b / "metrics.parquet").read_bytes())  # a rerun killed half-way
    r = _invoke("report", a, "-o", tmp_path / "r.html")
    assert r.exit_code == 2 and "metrics.parquet" in r.output and "mixes two runs" in r.output
    assert not (tmp_path / "r.html").exists()


def test_a_run_that_fails_while_writing_leaves_the_directory_as_it_was(tmp_path, monkeypatch):
    d = tmp_path / "res"
    first = _run_into(d, "--seed", 1)
    before = {p.name: p.read_bytes() for p in d.iterdir()}

    def broken(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(rm.SimulationResult, "policy", broken)
    r = _invoke("run", "--sims", 1000, "--method", "plain", "--quiet", "--out", d, "--seed", 2)
    assert r.exit_code != 0
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before  # nothing moved, no staging left
    assert json.loads((d / "run.json").read_text()) == first


def test_out_into_a_directory_of_other_files_needs_force(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("my notes")
    r = _invoke("run", "--sims", 500, "--quiet", "--out", d)
    assert r.exit_code == 2 and "--force" in r.output and "notes.txt" in r.output
    assert sorted(p.name for p in d.iterdir()) == ["notes.txt"]
    _run_into(d, "--force")
    assert (d / "notes.txt").read_text() == "my notes"


def test_sample_over_existing_tables_needs_force(tmp_path):
    d = copy_sample(tmp_path / "pf")
    before = (d / "covers.csv").read_text()
    r = _invoke("sample", "--covers", 20, "--out", d)
    assert r.exit_code == 2 and "--force" in r.output and (d / "covers.csv").read_text() == before
    r = _invoke("sample", "--covers", 20, "--out", d, "--force")
    assert r.exit_code == 0 and (d / "covers.csv").read_text() != before


def test_an_infinite_threshold_is_refused_before_anything_is_written(tmp_path):
    d = tmp_path / "res"
    r = _invoke("run", "--sims", 500, "--quiet", "--thresholds", "inf", "--out", d, "--json")
    assert r.exit_code == 2 and "--thresholds" in r.output and not d.exists()


# ---------------------------------------------------------------- sweeps


def _sweep(tmp_path, grid):
    p = tmp_path / "sweep.toml"
    p.write_text(f'name = "t"\nseed = 1\nn_sims = 1000\nlevels = [0.99]\nmethod = "plain"\n[grid]\n{grid}\n')
    return p


def test_a_huge_grid_is_refused_at_once_before_anything_is_written(tmp_path):
    import time

    values = "[" + ", ".join(str(1 + i / 1000) for i in range(1000)) + "]"
    spec = _sweep(tmp_path, f'"pd_multipliers.exporter" = {values}\n"calls.rate_multiplier" = {values}')
    t = time.perf_counter()
    r = _invoke("sweep", spec, "--out", tmp_path / "store", "--quiet")
    assert time.perf_counter() - t < 20
    assert r.exit_code == 2 and "1,000,000 points" in r.output and "thin the grid" in r.output
    assert not (tmp_path / "store").exists()


def test_a_point_that_crashes_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    from riskmodel.sweeps import run as sweep_run

    real = sweep_run.run_piece

    def flaky(portfolio, sha, scenario_json, first, n):
        if '"rate_multiplier":3.0' in scenario_json.replace(" ", ""):
            raise ZeroDivisionError("a kernel fault")
        return real(portfolio, sha, scenario_json, first, n)

    monkeypatch.setattr(sweep_run, "run_piece", flaky)
    spec = _sweep(tmp_path, '"calls.rate_multiplier" = [1.0, 3.0, 5.0]')
    store = tmp_path / "store"
    r = _invoke("sweep", spec, "--out", store, "--quiet")
    assert r.exit_code == 1 and "1 point(s) failed" in r.output and "ZeroDivisionError: a kernel fault" in r.output
    errors = json.loads((store / "errors.json").read_text())
    assert len(errors) == 1 and "rate_multiplier=3.0" in next(iter(errors.values()))["point"]
    from riskmodel.sweeps.store import Store

    assert Store(store).read()["point"].nunique() == 2  # the others landed
    monkeypatch.setattr(sweep_run, "run_piece", real)
    r = _invoke("sweep", spec, "--out", store, "--quiet")  # a rerun tries the failed point again
    assert r.exit_code == 0, r.output
    assert json.loads((store / "errors.json").read_text()) == {} and Store(store).read()["point"].nunique() == 3


# ---------------------------------------------------------------- one unit on screen


def test_every_printed_table_shows_money_in_the_runs_unit(tmp_path):
    r = _invoke("run", "--sims", 2000, "--quiet", "--method", "plain", "--thresholds", "5e10")
    assert r.exit_code == 0 and "threshold (KRW bn)" in r.output and "50.000" in r.output
    assert "e+10" not in r.output
    r = _invoke("capacity", "--budget", "2e11", "--segment", "product=performance", "--sims", 2000, "--quiet",
                "--method", "plain")
    assert r.exit_code == 0 and "amounts in KRW bn" in r.output and "budget 200.000" in r.output, r.output
    spec = _sweep(tmp_path, '"calls.rate_multiplier" = [1.0, 2.0]')
    assert _invoke("sweep", spec, "--out", tmp_path / "store", "--quiet").exit_code == 0
    r = _invoke("sweep-report", tmp_path / "store", "--metric", "el")
    assert r.exit_code == 0 and "of the reporting currency" in r.output and "e+" not in r.output, r.output


def test_the_reports_policy_section_is_in_the_reports_unit(tmp_path):
    d = tmp_path / "res"
    _run_into(d, "--horizon", "3y")
    html = tmp_path / "r.html"
    assert _invoke("report", d, "-o", html).exit_code == 0
    text = html.read_text()
    section = text.split("<h2>What the programme buys</h2>", 1)[1].split("<h2>", 1)[0]
    assert "KRW bn" in section and "e+" not in section


def test_a_sweep_grid_of_bad_values_is_refused_whole_before_the_store_exists(tmp_path):
    spec = _sweep(tmp_path, '"reporting.fx.USD" = [1400.0, "abc", -1]\n"copula.dof" = [0.5]')
    r = _invoke("sweep", spec, "--out", tmp_path / "store", "--quiet")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "reporting.fx.USD" in r.output and "copula.dof" in r.output and "greater than 2" in r.output
    assert not (tmp_path / "store").exists()
