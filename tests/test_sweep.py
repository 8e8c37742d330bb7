"""Sweeps: points equal simulate(), ids and seeds are stable, numbers do not depend on the executor, the workers
or the split, a killed sweep resumes with every point exactly once, bad specs are refused whole."""
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

import riskmodel as rm
from riskmodel.cli import cli
from riskmodel.sweeps.run import run_sweep
from riskmodel.sweeps.spec import derive_seed, load_sweep
from riskmodel.sweeps.store import PART, Store, report

from conftest import REPO

VALUE_COLS = ["point", "metric", "level", "value", "se", "ci_low", "ci_high"]


def _spec(tmp_path, n_sims=3000, split=1000, grid='"calls.rate_multiplier" = [1.0, 2.0]', method="auto",
          name="spec.toml", extra=""):
    lib = REPO / "scenarios"
    text = f"""name = "t"
seed = 11
n_sims = {n_sims}
levels = [0.99, 0.999]
method = "{method}"
split_sims = {split}
{extra}
[[scenarios]]
label = "conflict"
stack = ["{lib / 'regional_conflict.toml'}"]

[[scenarios]]
label = "distress + calls"
stack = ["{lib / 'sme_distress.toml'}", "{lib / 'unfair_calls.toml'}"]

[grid]
{grid}
"""
    p = tmp_path / name
    p.write_text(text)
    return p


def _table(store) -> pd.DataFrame:
    return Store(store).read().sort_values(["point", "metric", "level"]).reset_index(drop=True)


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_every_point_is_simulate_with_its_seed(tmp_path, method):
    sweep = load_sweep(_spec(tmp_path, method=method))
    assert len(sweep.points) == 6
    run_sweep(sweep, tmp_path / "store")
    got = Store(tmp_path / "store").read()
    for p in sweep.points[:3]:
        ref = rm.simulate(sweep.portfolio, p.scenario).metrics()
        mine = got[got["point"] == p.id].reset_index(drop=True)
        assert p.seed == derive_seed(11, p.id) and p.scenario.simulation.seed == p.seed
        pd.testing.assert_frame_equal(mine[["metric", "level", "value", "se", "ci_low", "ci_high"]],
                                      ref[["metric", "level", "value", "se", "ci_low", "ci_high"]])
        assert set(mine["method"]) == {method}


def test_ids_and_seeds_depend_only_on_what_sets_the_numbers(tmp_path):
    a = load_sweep(_spec(tmp_path))
    b = load_sweep(_spec(tmp_path, grid='"calls.rate_multiplier" = [2.0, 1.0, 5.0]', name="b.toml"))
    ids_a = {(p.label, p.params["calls.rate_multiplier"]): (p.id, p.seed) for p in a.points}
    ids_b = {(p.label, p.params["calls.rate_multiplier"]): (p.id, p.seed) for p in b.points}
    for k, v in ids_a.items():
        assert ids_b[k] == v  # another order, another point added: the same id and seed
    assert len({v[0] for v in ids_b.values()}) == len(ids_b)
    c = load_sweep(_spec(tmp_path, n_sims=4000, name="c.toml"))
    assert not {p.id for p in c.points} & {p.id for p in a.points}  # more simulations: other numbers


def test_workers_split_and_executor_do_not_change_the_numbers(tmp_path):
    run_sweep(load_sweep(_spec(tmp_path, split=3000)), tmp_path / "serial")
    run_sweep(load_sweep(_spec(tmp_path, split=700, name="s2.toml")), tmp_path / "pool", "local", workers=2)
    ref = _table(tmp_path / "serial")
    pd.testing.assert_frame_equal(_table(tmp_path / "pool")[VALUE_COLS], ref[VALUE_COLS])


def test_dask_local_cluster_gives_the_local_numbers(tmp_path):
    pytest.importorskip("distributed")
    run_sweep(load_sweep(_spec(tmp_path, split=1000)), tmp_path / "local")
    run_sweep(load_sweep(_spec(tmp_path, split=1000)), tmp_path / "dask", "dask", workers=2)
    pd.testing.assert_frame_equal(_table(tmp_path / "dask")[VALUE_COLS], _table(tmp_path / "local")[VALUE_COLS])


def test_a_sweep_killed_mid_run_resumes_with_each_point_once(tmp_path):
    grid = '"calls.rate_multiplier" = [1.0, 1.5, 2.0, 2.5, 3.0]\n"pd_multipliers.importer" = [1.0, 1.2]'
    spec = _spec(tmp_path, n_sims=2000, split=500, grid=grid, method="plain")
    n_points = len(load_sweep(spec).points)
    store = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-m", "riskmodel.cli", "sweep", str(spec), "--out", str(store),
                             "--quiet"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline:
        done = list((store / "metrics").glob(f"point=*/{PART}")) if (store / "metrics").exists() else []
        if len(done) >= 3 or proc.poll() is not None:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_with = len(list((store / "metrics").glob(f"point=*/{PART}")))
    assert 0 < killed_with < n_points, "the kill must land mid-sweep for this test to mean anything"
    res = run_sweep(load_sweep(spec), store)
    assert res["skipped"] == killed_with and res["ran"] == n_points - killed_with
    run_sweep(load_sweep(spec), tmp_path / "whole")
    parts = list((store / "metrics").glob("point=*/*"))
    assert len(parts) == n_points and all(p.name == PART for p in parts)  # each point once, no leftovers
    pd.testing.assert_frame_equal(_table(store)[VALUE_COLS], _table(tmp_path / "whole")[VALUE_COLS])


def test_bad_specs_are_refused_with_every_problem(tmp_path):
    (tmp_path / "bad.toml").write_text('name = "x"\nn_sims = 10\nmystery = 1\n[[scenarios]]\nlabel = "a"\n'
                                       'stack = ["nowhere.toml"]\n[grid]\n"pd_multipliers.exporter" = [-1.0]\n')
    with pytest.raises(rm.InputError) as e:
        load_sweep(tmp_path / "bad.toml")
    text = str(e.value)
    assert "bad.toml" in text and "mystery" in text and "n_sims" in text
    (tmp_path / "bad2.toml").write_text('[[scenarios]]\nlabel = "a"\nstack = ["nowhere.toml"]\n'
                                        '[grid]\n"pd_multipliers.exporter" = [-1.0]\n"calls.no_such" = [1]\n')
    with pytest.raises(rm.InputError) as e:
        load_sweep(tmp_path / "bad2.toml")
    assert "scenario file not found" in str(e.value)
    (tmp_path / "bad3.toml").write_text('[grid]\n"pd_multipliers.exporter" = [-1.0]\n"calls.no_such" = [1]\n')
    with pytest.raises(rm.InputError) as e:
        load_sweep(tmp_path / "bad3.toml")
    rules = " ".join(p.rule for p in e.value.problems)
    assert "unknown key" in rules and "greater than or equal to 0" in rules


def test_report_ranks_points_against_the_base(tmp_path):
    spec = _spec(tmp_path, method="plain")
    run_sweep(load_sweep(spec), tmp_path / "store")
    t = report(Store(tmp_path / "store"), "ec", 0.999)
    assert list(t["rank"]) == list(range(1, 7)) and t["value"].is_monotonic_decreasing
    base = t[t["label"] == "base"]
    assert (base["change"] == 0).all() and (base["change_se"] == 0).all()
    r = CliRunner().invoke(cli, ["sweep-report", str(tmp_path / "store"), "--metric", "es"])
    assert r.exit_code == 0 and "ES at 0.999" in r.output
    r = CliRunner().invoke(cli, ["sweep-report", str(tmp_path / "store"), "--level", "0.5"])
    assert r.exit_code == 2 and "no level 0.5" in r.output
    r = CliRunner().invoke(cli, ["sweep-report", str(tmp_path)])
    assert r.exit_code == 2 and "manifest.json not found" in r.output


def test_report_ratio_error_is_the_delta_method(tmp_path):
    import numpy as np

    run_sweep(load_sweep(_spec(tmp_path, method="plain")), tmp_path / "store")
    t = report(Store(tmp_path / "store"), "es", 0.999)
    r = t["ratio"].astype(float)
    want = r * np.hypot(t["se"] / t["value"], t["base_se"] / t["base_value"])
    want[t["label"] == "base"] = 0.0
    np.testing.assert_allclose(t["ratio_se"].astype(float), want, rtol=1e-12)
    assert (t.loc[t["label"] != "base", "ratio_se"] > 0).all()
