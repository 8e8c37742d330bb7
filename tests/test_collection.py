"""What a run collects costs only that run: a lean run, the lifetime collection, and the replay between them.

A run without the lifetime view computes default times only where a loss
reads them and keeps no claim records; asking its result for a lifetime
figure replays every simulation once. Both must give the numbers of a run
that collected everything, bit for bit.
"""
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE, day, one_factor_scenario

import riskmodel as rm
from riskmodel.engine.chunks import run_chunks, sparse_index
from riskmodel.model.grouping import timed_latents
from riskmodel.model.compile import compile_model


@pytest.fixture(scope="module")
def pf():
    return rm.load_portfolio(SAMPLE)


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_lean_run_replays_to_the_lifetime_numbers_of_a_collecting_run(pf, method):
    lean = rm.simulate(pf, n_sims=3000, seed=21, method=method, lifetime=False)
    full = rm.simulate(pf, n_sims=3000, seed=21, method=method, lifetime=True)
    assert lean.run_info["lifetime_collected"] is False and full.run_info["lifetime_collected"] is True
    assert np.array_equal(lean.total_loss, full.total_loss)
    assert lean.weights is None if method == "plain" else np.array_equal(lean.weights, full.weights)
    a, b = lean.collected(), full.collected()
    assert a is not full.collected() and a is lean.collected()  # replayed once, then kept
    for name in ("claim_cf", "recovery_cf", "pv", "claims", "acc"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.acc[:, 0].sum() > 0
    pd.testing.assert_frame_equal(lean.pricing(by="product"), full.pricing(by="product"))


def test_lifetime_is_collected_by_default_beyond_one_year_only(pf):
    one = rm.simulate(pf, n_sims=500, seed=1, method="plain")
    five = rm.simulate(pf, rm.scenario_from_dict({"simulation": {"horizon_years": 5.0}}), n_sims=500, seed=1,
                       method="plain")
    assert one.run_info["lifetime_collected"] is False
    assert five.run_info["lifetime_collected"] is True


def test_a_broken_replay_is_caught(pf, monkeypatch):
    res = rm.simulate(pf, n_sims=500, seed=3, method="plain", lifetime=False)
    real = res.replay
    monkeypatch.setattr(res, "replay", lambda sims, col: real(sims, col) * 1.001)
    with pytest.raises(RuntimeError, match="did not reproduce"):
        res.collected()


def _partial_book():
    """Four exporters, one guarantee each: live all year, from mid-year, stepping down, and in a contract."""
    exp = pd.DataFrame({"exporter_id": ["E0", "E1", "E2", "E3"], "pd": [0.05, 0.05, 0.05, 0.05]})
    imp = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    cov = pd.DataFrame({"cover_id": ["A", "B", "C", "D"], "exporter_id": ["E0", "E1", "E2", "E3"],
                        "importer_id": "I0", "product": "performance", "amount": 100.0, "currency": "KRW",
                        "insured_share": 1.0, "start": [day(0.0), day(0.5), day(0.0), day(0.0)],
                        "end": day(3.0), "schedule": ["bullet", "bullet", "linear", "bullet"],
                        "contract_id": [None, None, None, "K"]})
    return rm.Portfolio.from_frames(exp, imp, cov)


def test_undated_runs_time_only_the_latents_a_loss_reads():
    sc = one_factor_scenario(country_events={"enabled": False})
    m = compile_model(_partial_book(), sc).arrays
    undated, dated = timed_latents(m, dated=False), timed_latents(m, dated=True)
    # E0's bullet cover, live all year, needs no time; E1 (starts mid-year) and E2 (linear) do; the
    # contract here has one live cover, so nothing can cancel and D needs no time either
    assert undated[:4].tolist() == [0, 1, 1, 0]
    assert dated[:4].tolist() == [1, 1, 1, 1]
    assert (undated <= dated).all()


@pytest.mark.parametrize("sampling", ["sparse"])
def test_undated_and_dated_kernels_give_the_same_losses(sampling):
    from riskmodel.engine.collect import ClaimsCollector

    sc = one_factor_scenario(country_events={"enabled": False})
    model = compile_model(_partial_book(), sc)
    lean = run_chunks(model, 4, 20_000, sampling=sampling)
    col = ClaimsCollector(20_000, len(model.covers), model.arrays.horizon, sc, lifetime=True)
    dated = run_chunks(model, 4, 20_000, sampling=sampling, collector=col)
    assert sparse_index(model, False).lat_timed.sum() < sparse_index(model, True).lat_timed.sum()
    assert np.array_equal(lean[0], dated[0]) and np.array_equal(lean[1], dated[1])
    assert (lean[0].sum(axis=1) > 0).mean() > 0.05  # the book defaults: the comparison has content


def test_cash_flows_spilled_to_a_file_give_the_same_tables(pf, monkeypatch):
    """Past SPILL_BYTES the per-simulation flows live in a temporary file: same numbers, bounded memory."""
    import riskmodel.engine.collect as collect

    sc = rm.scenario_from_dict({"simulation": {"horizon_years": 3.0}, "lifetime": {"step": "month"}})
    mem = rm.simulate(pf, sc, n_sims=2000, seed=12, method="plain")
    monkeypatch.setattr(collect, "SPILL_BYTES", 1024)
    disk = rm.simulate(pf, sc, n_sims=2000, seed=12, method="plain")
    assert isinstance(disk.collected().claim_cf, np.memmap) and not isinstance(mem.collected().claim_cf, np.memmap)
    pd.testing.assert_frame_equal(disk.cashflows(freq="step"), mem.cashflows(freq="step"))
    pd.testing.assert_frame_equal(disk.lifetime(), mem.lifetime())


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_a_run_that_cannot_fit_in_memory_is_refused_before_it_starts(tmp_path, method):
    """n_sims = 1e10 used to die in numpy's allocator ('Unable to allocate 894 GiB') after compiling."""
    from click.testing import CliRunner

    from riskmodel.cli import cli

    sc = tmp_path / "huge.toml"
    sc.write_text(f'extends = "baseline.toml"\n[simulation]\nn_sims = 10000000000\nmethod = "{method}"\n')
    (tmp_path / "baseline.toml").write_text((SAMPLE.parents[2] / "scenarios" / "baseline.toml").read_text())
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["run", "--scenario", str(sc), "--out", str(out), "--quiet"])
    assert r.exit_code == 2, r.output
    assert "10,000,000,000 simulations need about" in r.output and "GiB" in r.output
    assert "Lower n_sims to at most" in r.output and "n_sims" in r.output
    assert ("use importance sampling" in r.output) == (method == "plain")
    assert not out.exists()


def test_the_memory_need_counts_what_a_run_keeps():
    from riskmodel.engine.memory import PER_SIMULATION, per_simulation

    plain = per_simulation(False, False, 0, 8, 2**28, 1000)
    full = per_simulation(True, True, 3, 8, 2**28, 1000)
    assert sum(plain.values()) == sum(v for k, v in PER_SIMULATION.items() if k not in ("importance", "lifetime"))
    assert full["segments"] == 24 and full["cash flows"] == 2 * 8 * 8 and "importance" in full
    assert "cash flows" not in per_simulation(True, True, 0, 400, 2**20, 10**6)  # spilled to a file


def test_losses_written_a_row_group_at_a_time_read_back_as_the_table(pf, tmp_path):
    res = rm.simulate(pf, n_sims=2500, seed=5, method="importance")
    res.write_losses(tmp_path / "losses.parquet", rows_per_group=1000)
    back = pd.read_parquet(tmp_path / "losses.parquet")
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "losses.parquet").num_row_groups == 3
    pd.testing.assert_frame_equal(back, res.losses)


def test_run_with_out_collects_the_lifetime_view_in_the_run(tmp_path):
    """`riskmodel run --out` writes the lifetime tables: it collects them in the one pass, never replays."""
    import json

    from click.testing import CliRunner

    from riskmodel.cli import cli

    r = CliRunner().invoke(cli, ["run", "--sims", "1000", "--quiet", "--method", "plain", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    run = json.loads((tmp_path / "run.json").read_text())["run"]
    assert run["lifetime_collected"] is True
    bare = CliRunner().invoke(cli, ["run", "--sims", "1000", "--quiet", "--method", "plain", "--json"])
    assert bare.exit_code == 0
