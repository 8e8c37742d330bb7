"""Calibration: parameters simulated from known values are recovered within their intervals at the stated
rate; fragments load as scenarios; bad history tables are refused whole, naming row, column and rule.

Each coverage check counts how often the interval holds the truth over R data sets drawn from the model
and tests that count against Binomial(R, level) (two-sided; one-sided for intervals that are exact and
conservative by construction: Garwood, Clopper-Pearson), at the rate registered with ``own_rate``.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special, stats

import riskmodel as rm
from riskmodel.governance import calibrate, vasicek
from riskmodel.inputs.errors import InputError

from conftest import REPO, own_rate

EXAMPLES = REPO / "riskmodel" / "data" / "examples"
LEVEL = 0.9
P_FAIL = 5e-5  # chance each coverage check fails a correct interval


def _coverage_ok(hits: int, R: int, conservative: bool = False) -> bool:
    own_rate(P_FAIL, "calibration coverage")
    if conservative:
        return stats.binom.cdf(hits, R, LEVEL) >= P_FAIL
    return stats.binomtest(hits, R, LEVEL).pvalue >= P_FAIL


def _rng(key):
    return np.random.Generator(np.random.Philox(key=key))


def test_correlation_from_counts_is_recovered_at_the_stated_rate():
    rng, R, T, pd_, rho = _rng(11), 120, 25, 0.03, 0.12
    hits_rho = hits_pd = 0
    for _ in range(R):
        d = vasicek.simulate_rates(pd_, rho, 400, T, rng)
        f = vasicek.fit_counts(d, np.full(T, 400.0), LEVEL)
        hits_rho += f.rho_ci[0] <= rho <= f.rho_ci[1]
        hits_pd += f.pd_ci[0] <= pd_ <= f.pd_ci[1]
    assert _coverage_ok(hits_rho, R), hits_rho
    assert _coverage_ok(hits_pd, R), hits_pd


def test_correlation_from_large_pool_rates_has_an_exact_interval():
    rng, R, T, pd_, rho = _rng(12), 400, 20, 0.02, 0.2
    hits = 0
    for _ in range(R):
        f = vasicek.fit_rates(vasicek.simulate_rates(pd_, rho, None, T, rng), LEVEL)
        hits += f.rho_ci[0] <= rho <= f.rho_ci[1]
    assert _coverage_ok(hits, R), hits


def test_the_moments_estimator_inverts_the_models_variance():
    pd_, rho = 0.04, 0.15
    c = special.ndtri(pd_)
    var = float(vasicek.bvn_cdf(c, c, rho)) - pd_ ** 2
    assert vasicek.rho_from_moments(pd_, var) == pytest.approx(rho, abs=1e-8)
    assert vasicek.rho_from_moments(pd_, -1e-6) == 0.0


def test_call_rates_are_recovered_at_the_stated_rate(tmp_path):
    rng, R, lam, expo = _rng(13), 600, 0.004, 2500.0
    k = rng.poisson(lam * expo, size=R)
    a = 1 - LEVEL
    lo = np.where(k > 0, stats.chi2.ppf(a / 2, 2 * k) / (2 * expo), 0.0)
    hi = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / (2 * expo)
    assert _coverage_ok(int(((lo <= lam) & (lam <= hi)).sum()), R, conservative=True)
    # the production function gives those intervals
    f = tmp_path / "claims.csv"
    pd.DataFrame({"product": ["performance"] * 2, "exposure_years": [1000.0, 1500.0], "calls": [int(k[0]), 3]}
                 ).to_csv(f, index=False)
    cal = calibrate.call_rates(f, ci_level=LEVEL)
    row = cal.table.iloc[0]
    n = int(k[0]) + 3
    assert row["estimate"] == pytest.approx(n / 2500.0)
    assert row["ci_high"] == pytest.approx(stats.chi2.ppf(1 - a / 2, 2 * n + 2) / 5000.0)


def test_lgd_mean_is_recovered_at_the_stated_rate(tmp_path):
    rng, R, n, m, s = _rng(14), 300, 40, 0.65, 0.22
    kappa = m * (1 - m) / s ** 2 - 1
    hits_m = hits_s = 0
    for r in range(R):
        v = rng.beta(m * kappa, (1 - m) * kappa, size=n)
        f = tmp_path / "rec.csv"
        pd.DataFrame({"product": "performance", "lgd": v}).to_csv(f, index=False)
        t = calibrate.lgd(f, ci_level=LEVEL).table.set_index("parameter")
        hits_m += t.loc["lgd.performance.mean", "ci_low"] <= m <= t.loc["lgd.performance.mean", "ci_high"]
        hits_s += t.loc["lgd.performance.sd", "ci_low"] <= s <= t.loc["lgd.performance.sd", "ci_high"]
    assert _coverage_ok(hits_m, R), hits_m
    assert _coverage_ok(hits_s, R), hits_s  # Bonett's interval: a percentile bootstrap held 0.85 here


def test_term_structure_reads_the_curve_at_the_models_knots_with_clopper_pearson(tmp_path):
    h = np.array([0.01, 0.02, 0.03])  # hazards on [0, 1), [1, 5), [5, 10)
    years = np.arange(1, 11, dtype=float)
    H = np.where(years <= 1, h[0] * years, np.where(years <= 5, h[0] + h[1] * (years - 1),
                                                   h[0] + 4 * h[1] + h[2] * (years - 5)))
    f = tmp_path / "cum.csv"
    pd.DataFrame({"grade": "B", "year": years, "cumulative_pd": -np.expm1(-H), "cohort": 800}).to_csv(f, index=False)
    cal = calibrate.term_structure(f, ci_level=LEVEL)
    ms = pd.read_csv(pd.io.common.StringIO(cal.text))
    want = -np.expm1(-np.array([h[0], h[0] + 4 * h[1], h[0] + 4 * h[1] + 5 * h[2]]))
    assert ms.loc[0, ["pd_1y", "cum_pd_5y", "cum_pd_10y"]].to_numpy(float) == pytest.approx(want, abs=1e-8)
    # Clopper-Pearson at the knots: conservative coverage of cohorts drawn at those probabilities
    rng, R = _rng(15), 400
    k = rng.binomial(800, want[1], size=R)
    a = 1 - LEVEL
    lo = np.where(k > 0, stats.beta.ppf(a / 2, k, 800 - k + 1), 0.0)
    hi = stats.beta.ppf(1 - a / 2, k + 1, 800 - k)
    assert _coverage_ok(int(((lo <= want[1]) & (want[1] <= hi)).sum()), R, conservative=True)
    # the written table is a master scale riskmodel reads
    p = cal.write(tmp_path / "ms.csv")
    ref = rm.load_reference(p)
    assert ref.pd_of_grade(pd.Series(["B"])).iloc[0] == pytest.approx(want[0])


def test_fragments_load_and_set_what_they_estimate(tmp_path):
    cal = calibrate.correlation(EXAMPLES / "default_rates_sp_speculative_grade.csv", rule="exporters")
    frag = cal.write(tmp_path / "corr.toml")
    assert any("fewer than 25" in n for n in cal.notes) and "fewer than 25" in frag.read_text()  # 15 years: short
    (tmp_path / "use.toml").write_text(f'extends = "{frag.name}"\nname = "calibrated"\n')
    sc = rm.load_scenario(tmp_path / "use.toml")
    r2 = sum(v * v for v in sc.factors.rules["exporters"].loadings.values())
    est = cal.table.iloc[0]
    assert r2 == pytest.approx(est["estimate"], rel=1e-4)
    assert est["ci_low"] < est["estimate"] < est["ci_high"] and "bootstrap-calibrated" in est["method"]
    dist = sc.uncertainty.parameters["factors.rules.exporters.r2"]
    assert dist.distribution == "beta" and dist.mean == pytest.approx(est["estimate"], rel=1e-4)
    for name, fn in (("claims_history_illustrative.csv", calibrate.call_rates),
                     ("recoveries_illustrative.csv", calibrate.lgd)):
        c = fn(EXAMPLES / name)
        p = c.write(tmp_path / f"{name}.toml")
        sc = rm.load_scenario(p)
        for _, row in c.table[~c.table["parameter"].str.endswith(".sd")].iterrows():
            node = sc.model_dump()
            for part in row["parameter"].split("."):
                node = node[part]
            assert node == pytest.approx(row["estimate"], rel=1e-5)
        assert "sha256" in p.read_text() and rm.__version__ in p.read_text()


def test_bad_history_is_refused_whole_naming_rows_and_rules(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("year,defaults,obligors\n1990,5,\n1991,x,100\n1992,200,100\n1993,1.5,100\n")
    with pytest.raises(InputError) as e:
        calibrate.correlation(f)
    text = str(e.value)
    for want in ("row 1 (line 2)", "must be a finite number", "defaults cannot exceed obligors",
                 "must be a whole number", "give counts (defaults, obligors) on every row or on none"):
        assert want in text, text
    g = tmp_path / "cum.csv"
    g.write_text("grade,year,cumulative_pd\nB,1,0.05\nB,5,0.04\n")
    with pytest.raises(InputError, match="must not fall|must span years 1 to 10"):
        calibrate.term_structure(g)


_cells = st.one_of(st.none(), st.integers(-5, 3000), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from(["", "x", "1e3", "-0", "performance", "bid", "true"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["default_rates", "claims_history", "recoveries", "cumulative_defaults"]),
       st.lists(st.lists(_cells, min_size=4, max_size=4), min_size=1, max_size=6))
def test_any_history_table_calibrates_or_is_refused_clearly(tmp_path, table, rows):
    from riskmodel.inputs.history import HISTORY

    cols = HISTORY[table].names[:4]
    f = tmp_path / f"{table}.csv"
    pd.DataFrame(rows, columns=cols).to_csv(f, index=False)
    fn = {"default_rates": calibrate.correlation, "claims_history": calibrate.call_rates,
          "recoveries": calibrate.lgd, "cumulative_defaults": calibrate.term_structure}[table]
    try:
        cal = fn(f)
    except InputError as e:
        assert e.problems and all(p.rule for p in e.problems)
        return
    assert np.isfinite(cal.table["estimate"].to_numpy(float)).all()


def test_the_command_writes_a_fragment_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "lgd.toml"
    cmd = [sys.executable, "-m", "riskmodel.cli", "calibrate", "lgd", str(EXAMPLES / "recoveries_illustrative.csv"),
           "-o", str(out)]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "lgd.performance.mean" in first.stdout and out.is_file()
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 2 and "--force" in again.stderr
