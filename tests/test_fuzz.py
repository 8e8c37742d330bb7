"""Fuzz: generated bad input over the four tables, the scenario keys and the CLI options (fixed seed).

Every case must end in one of two ways: an input error whose problems name
the place (source and table, and row and column or key where there is one)
and the rule, or a run with finite figures. Never another exception. The
outcomes are counted and printed with the test summary (``fuzz ...``).
"""
import math
import time
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import FUZZ
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmodel as rm
from riskmodel.cli import cli
from riskmodel.inputs.sample import sample_frames
from riskmodel.inputs.scenario import BASELINE

def fixed(n: int):
    """Hypothesis with a fixed seed (the same cases in every run and in CI), no example database."""
    return settings(max_examples=n, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))
BASE = sample_frames(10, seed=5)
SIMS = 100  # plain runs: enough to show finite figures, cheap enough for hundreds of cases

VALUES = st.one_of(
    st.none(), st.just(""), st.just(" "), st.text(max_size=8), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**12, 10**12), st.booleans(), st.sampled_from([
        "2026-02-30", "02/04/2026", "20260402", "1e308", "inf", "-inf", "nan", "#DIV/0!", "=A1*2", "1,5",
        "\x00", "C000001", "AAA", "KOR", "USD", "performance", "milestones", "true", "0.5", "-0.1", "1e15",
    ]),
)


def _finite_run(pf, sc=None, **kw) -> None:
    res = rm.simulate(pf, sc, n_sims=SIMS, seed=1, method="plain", **kw)
    m = res.metrics(thresholds=[1e9])
    assert np.isfinite(m[["value", "se", "ci_low", "ci_high"]].to_numpy(dtype=float)).all()
    assert np.isfinite(res.total_loss).all()


def _named(exc: rm.InputError) -> None:
    assert exc.problems
    for p in exc.problems:
        assert p.source and p.table and p.rule, p
        assert p.row is None or p.row >= 1


def _outcome(counts: Counter, case) -> None:
    """Run one case: an input error must name its place and rule, anything else must finish finite."""
    try:
        case()
    except rm.InputError as exc:
        _named(exc)
        counts["input error"] += 1
        return
    counts["finite run"] += 1


def _record(family: str, counts: Counter) -> None:
    FUZZ[family] = dict(counts)


def test_fuzz_portfolio_tables():
    counts = Counter()
    first = BASE["covers"].iloc[0]
    start, end = pd.Timestamp(first["start"]), pd.Timestamp(first["end"])
    inside = [(start + (end - start) * f).strftime("%Y-%m-%d") for f in (0.3, 0.6)]
    schedules = pd.DataFrame({"cover_id": [first["cover_id"]] * 2, "date": inside, "outstanding_share": [0.5, 0.2]})

    @fixed(500)
    @given(st.lists(st.tuples(st.sampled_from(["exporters", "importers", "covers", "schedules"]),
                              st.integers(0, 40), st.integers(0, 40), VALUES), min_size=1, max_size=4),
           st.sampled_from([None, "drop_column", "duplicate_row", "empty", "upper_case_column"]))
    def case(mutations, structural):
        frames = {k: v.copy().astype(object) for k, v in BASE.items()}
        frames["covers"]["schedule"] = pd.Series(["milestones"] + ["bullet"] * (len(BASE["covers"]) - 1),
                                                 dtype=object)
        frames["schedules"] = schedules.copy().astype(object)
        for table, col_i, row_i, value in mutations:
            df = frames[table]
            df.loc[row_i % len(df), df.columns[col_i % len(df.columns)]] = value
        t = mutations[0][0]
        cols = frames[t].columns
        if structural == "drop_column":
            frames[t] = frames[t].drop(columns=cols[mutations[0][1] % len(cols)])
        elif structural == "duplicate_row":
            frames[t] = pd.concat([frames[t], frames[t].iloc[[0]]], ignore_index=True)
        elif structural == "empty":
            frames[t] = frames[t].iloc[0:0]
        elif structural == "upper_case_column":
            frames[t] = frames[t].rename(columns={cols[mutations[0][1] % len(cols)]: str(
                cols[mutations[0][1] % len(cols)]).upper()})
        _outcome(counts, lambda: _finite_run(rm.Portfolio.from_frames(
            frames["exporters"], frames["importers"], frames["covers"], schedules=frames["schedules"])))

    case()
    _record("portfolio tables", counts)
    assert sum(counts.values()) >= 500 and counts["input error"] and counts["finite run"]


def _leaves(d: dict, prefix=()) -> list[tuple]:
    out = []
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out += _leaves(v, (*prefix, k))
        else:
            out.append((*prefix, k))
    return out


KEYS = [k for k in _leaves(BASELINE) if k[0] not in ("name", "description")]
SCENARIO_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12), st.booleans(), st.none(),
    st.text(max_size=6), st.lists(st.floats(-2, 2), max_size=3), st.dictionaries(st.text(max_size=3), st.floats(),
                                                                                max_size=2),
    st.sampled_from([0, 1e-9, 1e308, -1, 0.5, 2, 1000, 1e6, "2026-01-01", "gaussian", "student_t"]),
)


def test_fuzz_scenario_keys():
    counts = Counter()
    pf = rm.Portfolio.from_frames(BASE["exporters"], BASE["importers"], BASE["covers"])

    @fixed(350)
    @given(st.lists(st.tuples(st.sampled_from(KEYS), SCENARIO_VALUES), min_size=1, max_size=3))
    def case(changes):
        data: dict = {}
        for path, value in changes:
            node = data
            for k in path[:-1]:
                node = node.setdefault(k, {})
                if not isinstance(node, dict):
                    break
            else:
                node[path[-1]] = value
        _outcome(counts, lambda: _finite_run(pf, rm.scenario_from_dict(data)))

    case()
    _record("scenario keys", counts)
    assert sum(counts.values()) >= 350 and counts["input error"] and counts["finite run"]


OPTIONS = {
    "--sims": st.sampled_from(["0", "-5", "abc", "1e10", "100", "150", "1.5", ""]),
    "--seed": st.sampled_from(["-1", "x", "0", "18446744073709551616", "7"]),
    "--levels": st.sampled_from(["0.99", "1", "0", "-0.5", "0.99,abc", "nan", "inf", "0.9,0.95", ""]),
    "--thresholds": st.sampled_from(["inf", "-1", "nan", "1e9", "abc", "1e308", "0"]),
    "--horizon": st.sampled_from(["1y", "0y", "1e-9y", "31y", "18m", "abc", "5y", "-1y", "1d"]),
    "--method": st.sampled_from(["plain", "importance", "auto", "fast"]),
    "--date-format": st.sampled_from(["%d/%m/%Y", "%Y", "nonsense", "%Y-%m-%d"]),
    "--threads": st.sampled_from(["0", "1", "2", "many"]),
    "--chunk-size": st.sampled_from(["0", "1", "1000", "-3"]),
    "--bogus": st.just("1"),
}


def test_fuzz_cli_options():
    counts = Counter()

    @fixed(200)
    @given(st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.just(None), min_size=1, max_size=4).flatmap(
        lambda keys: st.fixed_dictionaries({k: OPTIONS[k] for k in keys})))
    def case(options):
        args = ["run", "--quiet", "--json"]
        for k, v in options.items():
            args += [k, v]
        if "--sims" not in options:
            args += ["--sims", "120"]
        if "--method" not in options:
            args += ["--method", "plain"]
        t = time.perf_counter()
        r = CliRunner().invoke(cli, args)
        assert time.perf_counter() - t < 60, args
        assert "Traceback" not in r.output, (args, r.output)
        assert r.exit_code in (0, 2), (args, r.exit_code, r.output, r.exception)
        if r.exit_code == 2:
            assert r.output.strip(), args
            counts["usage or input error"] += 1
            return
        import json

        for rec in json.loads(r.output):
            assert rec["value"] is not None and math.isfinite(rec["value"]) and math.isfinite(rec["se"]), rec
        counts["finite run"] += 1

    case()
    _record("CLI options", counts)
    assert sum(counts.values()) >= 200 and counts["usage or input error"] and counts["finite run"]


@pytest.mark.parametrize("n", [10**10])
def test_a_scenario_asking_for_more_simulations_than_memory_holds_is_refused_up_front(tmp_path, n):
    sc = tmp_path / "big.toml"
    sc.write_text(f"[simulation]\nn_sims = {n}\n")
    t = time.perf_counter()
    r = CliRunner().invoke(cli, ["run", "--scenario", str(sc), "--quiet", "--method", "plain"])
    assert r.exit_code == 2 and "GiB" in r.output and time.perf_counter() - t < 30, r.output
