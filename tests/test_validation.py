"""Bad input gets a clear error naming file, table, row, column and rule: all problems at once."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmodel as rm
from riskmodel.sample import sample_frames

from conftest import SAMPLE, copy_sample


@pytest.fixture()
def frames():
    return {k: v.copy() for k, v in sample_frames(30, seed=1).items()}


def _problems(frames):
    with pytest.raises(rm.InputError) as exc:
        rm.Portfolio.from_frames(frames["exporters"], frames["importers"], frames["covers"])
    return exc.value.problems


def _find(problems, table, column, text):
    hits = [p for p in problems if p.table == table and p.column == column and text in p.rule]
    assert hits, f"no problem for {table}.{column} containing {text!r} in:\n" + "\n".join(map(str, problems))
    return hits


CASES = [
    # (table, row, column, bad value, column named in the problem, rule text)
    ("covers", 3, "amount", "abc", "amount", "finite number"),
    ("covers", 4, "amount", -5.0, "amount", "(0, inf]"),
    ("covers", 0, "insured_share", 1.5, "insured_share", "(0, 1]"),
    ("covers", 1, "product", "loan", "product", "must be one of"),
    ("covers", 2, "currency", "usd1", "currency", "ISO 4217"),
    ("covers", 5, "start", "2026-13-45", "start", "YYYY-MM-DD"),
    ("covers", 6, "end", "2000-01-01", "end", "after start"),
    ("covers", 7, "exporter_id", "NOPE", "exporter_id", "present in exporters"),
    ("covers", 8, "importer_id", "NOPE", "importer_id", "present in importers"),
    ("covers", 9, "on_demand", "maybe", "on_demand", "true or false"),
    ("exporters", 0, "pd", 1.0, "pd", "[0, 1)"),
    ("exporters", 1, "pd", -0.1, "pd", "[0, 1)"),
    ("exporters", 1, "rating", "ZZZ", "rating", "master scale"),
    ("importers", 0, "country", "XYZ", "country", "not in the country table"),
    ("importers", 1, "kind", "bank", "kind", "sovereign, state, private"),
]


@pytest.mark.parametrize("table,row,col,value,named,text", CASES)
def test_each_rule_names_table_row_column_and_rule(frames, table, row, col, value, named, text):
    df = frames[table]
    df[col] = df[col].astype(object) if col in df.columns else pd.Series([None] * len(df), dtype=object)
    df.loc[row, col] = value
    hits = _find(_problems(frames), table, named, text)
    assert any(p.row == row + 1 for p in hits)
    assert str(hits[0]).startswith("<DataFrame> [" + table + "], row")


def test_duplicate_ids_missing_columns_and_loadings(frames):
    frames["exporters"].loc[1, "exporter_id"] = frames["exporters"].loc[0, "exporter_id"]
    frames["covers"] = frames["covers"].drop(columns=["insured_share"])
    frames["importers"]["beta_global"] = 0.8
    frames["importers"]["beta_country"] = 0.7
    frames["exporters"]["rating"] = frames["exporters"]["rating"].astype(object)
    frames["exporters"].loc[0, "rating"] = None
    p = _problems(frames)
    assert {x.row for x in _find(p, "exporters", "exporter_id", "unique")} == {1, 2}
    _find(p, "covers", "insured_share", "required column is missing")
    _find(p, "importers", "beta_global, beta_country", "sum of squared loadings")
    assert [x.row for x in _find(p, "exporters", "rating, pd", "give a rating or a pd")] == [1]
    assert len({x.table for x in p}) == 3  # every table's problems in one report


def test_csv_problems_name_the_file_and_line(tmp_path):
    def edit(cov):
        cov.loc[4, "amount"] = "12,5x"

    d = copy_sample(tmp_path / "pf", edit)
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(d)
    (prob,) = exc.value.problems
    assert prob.source == str(d / "covers.csv") and prob.row == 5 and prob.line == 6 and prob.column == "amount"
    assert "covers.csv" in exc.value.report() and "line 6" in exc.value.report()


def test_missing_files_and_bad_paths(tmp_path):
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(tmp_path)
    assert {p.table for p in exc.value.problems} == {"exporters", "importers", "covers"}
    with pytest.raises(rm.InputError, match="no such file"):
        rm.load_portfolio(tmp_path / "nope")
    (tmp_path / "covers.csv").write_text("")
    (tmp_path / "exporters.csv").write_text("exporter_id,pd,pd\nE1,0.1,0.2\n")
    (tmp_path / "importers.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(tmp_path)
    report = exc.value.report()
    assert "is empty" in report and "more than once" in report and "UTF-8" in report


def test_parquet_and_xlsx_read_the_same_portfolio(tmp_path, sample_portfolio):
    from riskmodel.portfolio import write_portfolio

    pq = write_portfolio(sample_portfolio, tmp_path / "pq", fmt="parquet")
    assert rm.load_portfolio(pq).content_hash == sample_portfolio.content_hash
    x = tmp_path / "book.xlsx"
    with pd.ExcelWriter(x) as w:
        for t in ("exporters", "importers", "covers"):
            pd.read_csv(SAMPLE / f"{t}.csv").to_excel(w, sheet_name=t, index=False)
    assert rm.load_portfolio(x).content_hash == sample_portfolio.content_hash
    with pd.ExcelWriter(tmp_path / "bad.xlsx") as w:
        pd.read_csv(SAMPLE / "covers.csv").to_excel(w, sheet_name="covers", index=False)
    with pytest.raises(rm.InputError, match="sheet 'exporters' not found"):
        rm.load_portfolio(tmp_path / "bad.xlsx")


def test_unknown_currency_is_reported_when_compiling(frames):
    frames["covers"].loc[2, "currency"] = "XAU"
    pf = rm.Portfolio.from_frames(frames["exporters"], frames["importers"], frames["covers"])
    with pytest.raises(rm.InputError, match="no exchange rate") as exc:
        rm.simulate(pf, n_sims=100)
    assert exc.value.problems[0].row == 3


def test_misspelt_optional_column_is_warned(frames):
    frames["covers"] = frames["covers"].rename(columns={"on_demand": "on_demnd"})
    pf = rm.Portfolio.from_frames(frames["exporters"], frames["importers"], frames["covers"])
    assert any("did you mean 'on_demand'" in w for w in pf.warnings)


# ---------------------------------------------------------------- hypothesis

BAD_VALUES = st.one_of(
    st.none(), st.just(""), st.just("  "), st.text(max_size=6), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**6, 10**6), st.booleans(), st.just("2026-02-30"), st.just("1e400"), st.just(-1.0),
    st.just(1.0), st.just(0.0),
)
BASE = sample_frames(12, seed=4)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["exporters", "importers", "covers"]), st.integers(0, 50),
                          st.integers(0, 30), BAD_VALUES), min_size=1, max_size=4),
       st.sampled_from([None, "drop_column", "duplicate_row", "empty"]))
def test_mutated_portfolios_end_in_input_error_or_a_finite_run(mutations, structural):
    frames = {k: v.copy().astype(object) for k, v in BASE.items()}
    for table, col_i, row_i, value in mutations:
        df = frames[table]
        col = df.columns[col_i % len(df.columns)]
        df.loc[row_i % len(df), col] = value
    t = mutations[0][0]
    if structural == "drop_column":
        frames[t] = frames[t].drop(columns=frames[t].columns[mutations[0][1] % len(frames[t].columns)])
    elif structural == "duplicate_row":
        frames[t] = pd.concat([frames[t], frames[t].iloc[[0]]], ignore_index=True)
    elif structural == "empty":
        frames[t] = frames[t].iloc[0:0]
    try:
        pf = rm.Portfolio.from_frames(frames["exporters"], frames["importers"], frames["covers"])
        res = rm.simulate(pf, n_sims=200, seed=1)
    except rm.InputError as exc:
        assert exc.problems and all(p.table and p.rule for p in exc.problems)
        return
    m = res.metrics(thresholds=[1e9])
    assert np.isfinite(m[["value", "se", "ci_low", "ci_high"]].to_numpy()).all()
    assert np.isfinite(res.losses.drop(columns="sim").to_numpy(dtype=float)).all()
