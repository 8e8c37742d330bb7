"""Calibration of the cash-flow table's error bars: each period's mean and quantiles of claims paid.

    python benchmarks/cashflow_coverage.py [--seeds 200] [--sims 20000] [--truth-sims 2000000]
                                           [--out benchmarks/results/cashflow_coverage.md]

The bundled sample under the baseline over a three-year horizon, yearly
periods; the truth is a long plain run (``--truth-sims``, fixed seed,
reported with its own standard error, folded in as in
``library_coverage.py``). Each method then runs ``--sims`` simulations over
``--seeds`` seeds, and every figure of ``result.cashflows()`` for claims
(mean and the 5%, 50%, 95% and 99.5% quantiles of each year) is compared
with the truth: coverage of the 95% interval pooled over the three years,
sd / se (the median over the years), the largest |z|, and the verdicts of
``calibration.py``.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import riskmodel as rm  # noqa: E402
from calibration import progress, verdict, write_study  # noqa: E402
from riskmodel.cli import bundled_sample  # noqa: E402

SCENARIO = {"simulation": {"horizon_years": 3.0}}
TRUTH_SEED = 20_261_130


def table(n_sims: int, seed: int, method: str) -> pd.DataFrame:
    res = rm.simulate(rm.load_portfolio(bundled_sample()), rm.scenario_from_dict(SCENARIO), n_sims=n_sims,
                      seed=seed, method=method)
    cf = res.cashflows()
    cf = cf[cf["flow"] == "claims"].copy()
    cf["figure"] = np.where(cf["metric"] == "mean", "mean", "q" + cf["level"].astype(str))
    return cf.set_index(["figure", "period"])[["value", "se", "ci_low", "ci_high"]]


def main(seeds: int, sims: int, truth_sims: int, out: Path | None) -> pd.DataFrame:
    t0 = time.perf_counter()
    truth = table(truth_sims, TRUTH_SEED, "plain")
    print(f"truth: {truth_sims:,} plain simulations in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = []
    for method in ("plain", "importance"):
        t = time.perf_counter()
        runs = [table(sims, 7_000 + s, method) for s in range(seeds)]
        for fig in truth.index.get_level_values(0).unique():
            est = np.array([r.loc[fig, "value"].to_numpy() for r in runs])  # (seed, period)
            se = np.array([r.loc[fig, "se"].to_numpy() for r in runs])
            lo = np.array([r.loc[fig, "ci_low"].to_numpy() for r in runs])
            hi = np.array([r.loc[fig, "ci_high"].to_numpy() for r in runs])
            tv, ts = truth.loc[fig, "value"].to_numpy()[None, :], truth.loc[fig, "se"].to_numpy()[None, :]
            live = (tv[0] != 0) | (ts[0] > 0)  # periods after the horizon pay nothing, exactly: left out
            if not live.any():
                rows.append({"method": method, "n_sims": sims, "estimator": f"claims {fig}", "coverage": np.nan,
                             "coverage_unwarned": np.nan, "n_unwarned": 0, "sd_over_se": np.nan,
                             "sd_over_se_unwarned": np.nan, "max_abs_z": np.nan, "truth": "0 (every period)",
                             "verdict": "exact (zero)"})
                continue
            est, se, lo, hi = est[:, live], se[:, live], lo[:, live], hi[:, live]
            tv, ts = tv[:, live], ts[:, live]
            lo_w = est - np.hypot(est - lo, 1.96 * ts)
            hi_w = est + np.hypot(hi - est, 1.96 * ts)
            cover = (lo_w <= tv) & (tv <= hi_w)
            comb = np.hypot(se, ts)
            z = np.where(comb > 0, (est - tv) / np.where(comb > 0, comb, 1.0), np.where(est == tv, 0.0, np.inf))
            ratios = [est[:, p].std(ddof=1) / se[:, p].mean() for p in range(est.shape[1]) if se[:, p].mean() > 0]
            r = {"method": method, "n_sims": sims, "estimator": f"claims {fig}", "coverage": float(cover.mean()),
                 "coverage_unwarned": float(cover.mean()), "n_unwarned": seeds,
                 "sd_over_se": float(np.median(ratios)) if ratios else np.nan,
                 "max_abs_z": float(np.abs(z).max()), "truth": ", ".join(f"{v / 1e9:.1f}" for v in tv[0])}
            r["sd_over_se_unwarned"] = r["sd_over_se"]
            r["verdict"] = verdict(r, seeds)
            rows.append(r)
        progress(method, time.perf_counter() - t, [r for r in rows if r["method"] == method])
    df = pd.DataFrame(rows)
    if out:
        lines = [f"riskmodel {rm.__version__}; {time.strftime('%Y-%m-%d')}; {seeds} seeds; truth {truth_sims:,} "
                 f"plain simulations; {time.perf_counter() - t0:.0f} s", "",
                 "| method | sims | figure (each year) | truth by year (bn) | coverage (pooled) | sd/se (median) | "
                 "max abs z | verdict |", "| --- | ---: | --- | --- | ---: | ---: | ---: | --- |"]
        for r in df.itertuples():
            cov = "" if np.isnan(r.coverage) else f"{100 * r.coverage:.1f}%"
            lines.append(f"| {r.method} | {r.n_sims:,} | {r.estimator} | {r.truth} | {cov} | "
                         f"{r.sd_over_se:.2f} | {r.max_abs_z:.1f} | {r.verdict} |")
        write_study(out, df, "\n".join(lines) + "\n")
    return df


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--sims", type=int, default=20_000)
    ap.add_argument("--truth-sims", type=int, default=2_000_000)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    main(a.seeds, a.sims, a.truth_sims, a.out)
