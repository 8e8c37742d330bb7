"""CLI contracts and the README: its set-up commands match CI, its examples run."""
import json
import re
import shlex

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from riskmodel.cli import cli
from riskmodel.inputs.schema import METRICS, METRICS_SCHEMA

from conftest import K_SE, REPO, SAMPLE, copy_sample

README = (REPO / "README.md").read_text()


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = [ln for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln.startswith("python3 -m venv")]
    bash_blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    assert len(ci_lines) == 1 and ci_lines[0].strip() in [b.strip() for b in bash_blocks]
    assert any(b.strip().endswith("riskmodel run") for b in bash_blocks)  # the other set-up command


def test_readme_python_example_runs():
    for block in re.findall(r"```python\n(.*?)```", README, re.S):
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_readme_console_examples_run(tmp_path, monkeypatch):
    (tmp_path / "riskmodel" / "data").mkdir(parents=True)
    (tmp_path / "riskmodel" / "data" / "sample").symlink_to(SAMPLE)
    (tmp_path / "riskmodel" / "data" / "examples").symlink_to(SAMPLE.parent / "examples")
    (tmp_path / "scenarios").symlink_to(REPO / "scenarios")
    monkeypatch.chdir(tmp_path)
    cmds = [ln[2:] for b in re.findall(r"```console\n(.*?)```", README, re.S) for ln in b.splitlines()
            if ln.startswith("$ riskmodel ")]
    assert len(cmds) >= 4
    for cmd in cmds:
        args = shlex.split(cmd)[1:]
        if args[0] == "run" and "--sims" not in args:
            args += ["--sims", "5000"]
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, f"{cmd}: {res.output}"


def test_run_json_and_out_follow_the_contract(tmp_path):
    out = tmp_path / "res"
    res = CliRunner().invoke(cli, ["run", "--sims", "3000", "--json", "--levels", "0.99,0.999", "--thresholds",
                                   "1e10,5e10", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert all(set(r) == set(METRICS_SCHEMA) for r in recs)
    assert {r["metric"] for r in recs} == set(METRICS)
    assert all(r["level"] is None for r in recs if r["metric"] in ("el", "sd"))
    m = pd.read_parquet(out / "metrics.parquet")
    assert list(m.columns) == list(METRICS_SCHEMA) and len(m) == len(recs)
    assert len(pd.read_parquet(out / "losses.parquet")) == 3000
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == 1 and run["n_sims"] == 3000 and len(run["portfolio_sha256"]) == 64
    assert all(v["sha256"] for v in run["portfolio_files"].values())


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_method_option_reaches_the_run_record(tmp_path, method):
    out = tmp_path / method
    res = CliRunner().invoke(cli, ["run", "--sims", "2000", "--method", method, "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    run = json.loads((out / "run.json").read_text())
    assert run["run"]["method"] == method
    w = pd.read_parquet(out / "losses.parquet")["weight"]
    assert (w == 1.0).all() if method == "plain" else (w != 1.0).any()
    assert ("importance sampling aimed at 0.999" in res.output) == (method == "importance")


def test_unknown_method_is_refused():
    res = CliRunner().invoke(cli, ["run", "--method", "quasi"])
    assert res.exit_code == 2 and "quasi" in res.output


def test_invalid_input_exits_2_and_writes_nothing(tmp_path):
    def edit(cov):
        cov.loc[0, "insured_share"] = "2"
        cov.loc[1, "product"] = "loan"

    bad = copy_sample(tmp_path / "pf", edit)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", "--portfolio", str(bad), "--out", str(out), "--sims", "1000"])
    assert res.exit_code == 2 and not out.exists()
    assert "insured_share" in res.stderr and "product" in res.stderr and "covers.csv" in res.stderr
    assert "Traceback" not in res.output
    res = CliRunner().invoke(cli, ["validate", str(bad)])
    assert res.exit_code == 2 and "2 problems" in res.stderr
    res = CliRunner().invoke(cli, ["run", "--levels", "0.99,1.2", "--sims", "1000"])
    assert res.exit_code == 2 and "levels" in res.stderr


def test_sample_command_writes_a_valid_portfolio(tmp_path):
    res = CliRunner().invoke(cli, ["sample", "--covers", "120", "--out", str(tmp_path / "s"), "--seed", "4"])
    assert res.exit_code == 0
    res = CliRunner().invoke(cli, ["validate", str(tmp_path / "s")])
    assert res.exit_code == 0 and "valid:" in res.output


def test_bundled_sample_is_what_the_generator_writes(tmp_path):
    from riskmodel.inputs.sample import write_sample

    write_sample(tmp_path, 400, 2026)
    for t in ("exporters", "importers", "covers"):
        assert (tmp_path / f"{t}.csv").read_text() == (SAMPLE / f"{t}.csv").read_text()


def test_sample_portfolio_is_concentrated(sample_portfolio):
    from riskmodel.model.compile import compile_model
    import riskmodel as rm

    cov = compile_model(sample_portfolio, rm.load_scenario()).covers
    imp = sample_portfolio.importers.set_index("importer_id")["country"]
    by_country = cov.groupby(cov["importer_id"].map(imp))["ead"].sum().sort_values(ascending=False)
    by_exporter = cov.groupby("exporter_id")["ead"].sum().sort_values(ascending=False)
    # the top names carry at least three times the share an even spread would give them
    for by, k in ((by_country, 3), (by_exporter, 5)):
        assert by.iloc[:k].sum() / by.sum() > 3 * k / len(by)
    assert set(cov["product"]) == {"bid", "advance_payment", "performance", "warranty", "credit"}


def test_first_run_says_it_is_compiling_and_the_next_does_not(tmp_path):
    """With an empty kernel cache the CLI announces the compile; once cached it starts quietly."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-c", "from riskmodel.cli import main; main()", "run", "--sims", "500", "--method", "plain"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    assert "compiling the numerical kernels" in first.stderr
    assert "compiling" not in second.stderr
    assert first.stdout == second.stdout  # and the numbers do not depend on the cache


def test_horizon_option_lengthens_the_run_and_is_validated(tmp_path):
    out1, out5 = tmp_path / "h1", tmp_path / "h5"
    for h, out in (("1y", out1), ("60m", out5)):
        res = CliRunner().invoke(cli, ["run", "--sims", "2000", "--method", "plain", "--horizon", h, "--out", str(out),
                                       "--quiet"])
        assert res.exit_code == 0, res.output
    m1, m5 = (pd.read_parquet(o / "metrics.parquet").set_index("metric") for o in (out1, out5))
    # five years of defaults and calls on covers that stay live: EL grows beyond its error
    se = np.hypot(m1.loc["el", "se"], m5.loc["el", "se"])
    assert m5.loc["el", "value"] - m1.loc["el", "value"] > K_SE * se
    assert "5-year horizon" in CliRunner().invoke(cli, ["run", "--sims", "500", "--horizon", "5y", "--quiet"]).output
    bad = CliRunner().invoke(cli, ["run", "--horizon", "forever"])
    assert bad.exit_code == 2 and "1y, 5y or 18m" in bad.output
    too_long = CliRunner().invoke(cli, ["run", "--horizon", "31y"])
    assert too_long.exit_code == 2 and "horizon_years" in too_long.output
