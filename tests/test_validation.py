"""Bad input gets a clear error naming file, table, row, column and rule: all problems at once."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmodel as rm
from riskmodel.inputs.sample import sample_frames

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
    ("covers", 4, "amount", -5.0, "amount", "(0, 1e+15]"),
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
    from riskmodel.inputs.portfolio import write_portfolio

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


# ---------------------------------------------------------------- schedules and contracts (issue 4)


def _with_schedules(tmp_path, rows, edit=None):
    def mark(cov):
        cov.loc[0, "schedule"] = "milestones"
        cov.loc[1, "schedule"] = "milestones"  # no rows for this one
        cov.loc[2, "schedule"] = "linear"
        if edit:
            edit(cov)

    d = copy_sample(tmp_path / "pf", mark)
    pd.DataFrame(rows).to_csv(d / "schedules.csv", index=False)
    return d


def test_schedule_problems_are_reported_together(tmp_path):
    cov = pd.read_csv(SAMPLE / "covers.csv")
    c0, c2 = cov.loc[0, "cover_id"], cov.loc[2, "cover_id"]
    rows = [
        {"cover_id": c0, "date": "2027-06-30", "outstanding": 1000.0, "outstanding_share": ""},  # fine
        {"cover_id": c0, "date": "2027-06-30", "outstanding": "", "outstanding_share": 0.5},  # same date twice
        {"cover_id": c0, "date": "2040-01-01", "outstanding": "", "outstanding_share": 0.2},  # after the end
        {"cover_id": c0, "date": "2028-01-01", "outstanding": 5.0, "outstanding_share": 0.1},  # both given
        {"cover_id": c0, "date": "2028-02-01", "outstanding": 1e12, "outstanding_share": ""},  # above the amount
        {"cover_id": c2, "date": "2027-03-01", "outstanding": "", "outstanding_share": 0.3},  # linear cover
        {"cover_id": "NOPE", "date": "2027-03-01", "outstanding": "", "outstanding_share": 0.3},
    ]

    def edit(cov):
        cov.loc[5, "exporter_id"] = cov.loc[8, "exporter_id"] if cov.loc[5, "contract_id"] != cov.loc[8, "contract_id"] \
            else cov.loc[40, "exporter_id"]

    d = _with_schedules(tmp_path, rows, edit)
    with pytest.raises(rm.InputError) as exc:
        rm.load_portfolio(d)
    probs = exc.value.problems

    def has(table, column, row, rule):
        return any((p.table, p.column, p.row) == (table, column, row) and p.rule.startswith(rule) for p in probs)

    assert has("schedules", "date", 2, "one row per cover and date")
    assert has("schedules", "date", 3, "a milestone must lie in [start, end)")
    assert has("schedules", "outstanding, outstanding_share", 4, "give outstanding (an amount) or "
               "outstanding_share (a share of the amount), not both")
    assert has("schedules", "outstanding", 5, "outstanding must not exceed the cover's amount")
    assert has("schedules", "cover_id", 6, "this cover's schedule is not milestones")
    assert has("schedules", "cover_id", 7, "must be a cover_id present in covers")
    assert has("covers", "schedule", 2, "schedule is milestones but schedules has no row for this cover")
    assert has("covers", "exporter_id", 6, "covers of contract")
    assert all(str(d / "schedules.csv") in p.source for p in exc.value.problems if p.table == "schedules")


def test_a_valid_milestone_schedule_loads_and_shapes_the_exposure(tmp_path):
    cov = pd.read_csv(SAMPLE / "covers.csv")
    c0, c1 = cov.loc[0, "cover_id"], cov.loc[1, "cover_id"]
    rows = [{"cover_id": c0, "date": "2027-06-30", "outstanding": "", "outstanding_share": 0.5},
            {"cover_id": c1, "date": "2027-03-31", "outstanding": cov.loc[1, "amount"] / 4, "outstanding_share": ""}]
    pf = rm.load_portfolio(_with_schedules(tmp_path, rows))
    assert len(pf.schedules) == 2 and pf.summary().set_index("table").loc["schedules", "rows"] == 2
    from riskmodel.inputs.schedules import build_schedules

    s = build_schedules(pf.covers.head(3), pf.schedules, pd.Timestamp("2026-12-31"))
    t = (pd.Timestamp("2027-06-30") - pd.Timestamp("2026-12-31")).days / 365.25
    assert s.share(0, t - 1e-9) == 1.0 and s.share(0, t) == 0.5
    assert s.share(1, 0.5) == pytest.approx(0.25)
    mid = 0.5 * (s.start[2] + s.end[2])
    assert s.share(2, mid) == pytest.approx(0.5) and s.share(2, s.end[2]) == 0.0


@given(share=st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_outstanding_share_outside_zero_one_is_rejected(share):
    exp = pd.DataFrame({"exporter_id": ["E0"], "pd": [0.01]})
    imp = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.01]})
    cov = pd.DataFrame({"cover_id": ["C0"], "exporter_id": ["E0"], "importer_id": ["I0"], "product": ["performance"],
                        "amount": [100.0], "currency": ["KRW"], "insured_share": [1.0], "start": ["2026-01-01"],
                        "end": ["2030-01-01"], "schedule": ["milestones"]})
    sch = pd.DataFrame({"cover_id": ["C0"], "date": ["2027-01-01"], "outstanding_share": [share]})
    if 0 <= share <= 1:
        rm.Portfolio.from_frames(exp, imp, cov, schedules=sch)
    else:
        with pytest.raises(rm.InputError) as exc:
            rm.Portfolio.from_frames(exp, imp, cov, schedules=sch)
        (p,) = exc.value.problems
        assert (p.table, p.column, p.row) == ("schedules", "outstanding_share", 1) and "[0, 1]" in p.rule


# ---------------------------------------------------------------- fast parsing paths = the cell-by-cell reference

_CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "2026-01-31", " 2027-12-01 ", "2026-02-30", "2026-13-01", "02/04/2026", "20260402",
                     "2 April 2026", "2026-04-02T10:30", "1", "0", "1.5", " 2e3 ", "-7", "1e999", "inf", "nan",
                     "abc", "True", "yes", " N ", "F", "KRW", "usd", "E001", " x "]),
    st.text(alphabet="0123456789-./ aeTZ:", max_size=12),
)


def _same(a: pd.Series, b: pd.Series):
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    x, y = a.reset_index(drop=True).tolist(), b.reset_index(drop=True).tolist()
    assert len(x) == len(y)
    for u, v in zip(x, y):
        assert (u is None and v is None) or (pd.isna(u) and pd.isna(v)) or u == v, (u, v)


@settings(max_examples=150, deadline=None)
@given(st.lists(_CELLS, max_size=25), st.sampled_from(["object", "str"]))
def test_fast_parsers_agree_with_the_cell_by_cell_reference(cells, dtype):
    from riskmodel.inputs import cells as P

    s = pd.Series(cells, dtype=object) if dtype == "object" else pd.Series(cells, dtype=object).astype("str")
    if dtype == "str":
        s = s.where(pd.Series(cells, dtype=object).notna(), None)
    ref = s.astype(object)
    _same(P._as_text(s), P._as_text_cells(ref))
    _same(P._as_number(s), P._as_number_cells(ref))
    _same(P._as_bool(s), P._as_bool_cells(ref))
    _same(P._as_date(s), P._as_date_cells(ref))
    cell_missing = ref.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v))
                           or (isinstance(v, str) and v.strip() == "")).to_numpy(dtype=bool)
    assert np.array_equal(P._missing(s), cell_missing)


@pytest.mark.parametrize("unit", ["ns", "us", "ms", "s"])
@pytest.mark.parametrize("tz", [None, "Asia/Seoul"])
def test_fast_date_parser_keeps_datetime_columns_as_the_reference_does(unit, tz):
    from riskmodel.inputs import cells as P

    s = pd.Series(pd.to_datetime(["2026-01-31 23:30", None, "2027-06-01 00:00"]).tz_localize(tz)).astype(
        f"datetime64[{unit}]" if tz is None else f"datetime64[{unit}, {tz}]")
    _same(P._as_date(s), P._as_date_cells(s))


@pytest.mark.parametrize("values", [[True, False, True], [True, None], [np.bool_(True), 1, 0.0], []])
def test_fast_bool_parser_on_boolean_columns_agrees_with_the_reference(values):
    from riskmodel.inputs import cells as P

    s = pd.Series(values, dtype=object)
    _same(P._as_bool(s), P._as_bool_cells(s))
    if values and all(isinstance(v, bool) for v in values):
        _same(P._as_bool(s.astype(bool)), P._as_bool_cells(s.astype(bool)))
