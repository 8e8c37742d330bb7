"""Calibration of the what-if change's error bars against the exact change.

    python benchmarks/whatif_coverage.py [--seeds 200] [--out benchmarks/results/whatif_coverage.md]

The heterogeneous one-factor book of ``calibration.py`` (300 obligors, five
PD classes, exposures 1-10 units) and one candidate guarantee on a new
exporter (PD 2%, loading 0.45, 8 units). Both loss distributions are exact
(``riskmodel.analysis.analytic``), so the change of EL, VaR, ES and EC at 99.9% from
adding the candidate is exact too. ``riskmodel.analysis.whatif`` runs book and
candidate in one simulation (common random numbers) and reports each change
with its error; over ``--seeds`` seeds this records the coverage of its 95%
interval, sd / se and the largest |z|, with the verdicts of
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
from calibration import _ratio, cases, progress, verdict, write_study  # noqa: E402
from riskmodel.analysis import analytic  # noqa: E402

LEVEL = 0.999
SIMS = {"plain": 50_000, "importance": 4_000}
NEW = {"pd": 0.02, "beta": 0.45, "units": 8}


def candidate() -> dict[str, pd.DataFrame]:
    exporters = pd.DataFrame({"exporter_id": ["NEW"], "pd": [NEW["pd"]], "beta_global": [NEW["beta"]]})
    covers = pd.DataFrame({"cover_id": ["CNEW"], "exporter_id": ["NEW"], "importer_id": ["I0"],
                           "product": ["performance"], "amount": [float(NEW["units"])], "currency": ["KRW"],
                           "insured_share": [1.0], "start": ["2026-01-01"], "end": ["2029-01-01"]})
    return {"covers": covers, "exporters": exporters}


def exact_changes(case) -> dict:
    def metrics(pd_, beta, units):
        pmf = analytic.one_factor_loss_pmf(pd_, beta, [analytic.fixed_severity(u) for u in units])
        return analytic.pmf_metrics(pmf, levels=[LEVEL])

    before = metrics(case.pd, case.beta, case.units)
    after = metrics(np.append(case.pd, NEW["pd"]), np.append(case.beta, NEW["beta"]),
                    np.append(case.units, NEW["units"]))
    return {("el", None): after["el"] - before["el"],
            **{(m, LEVEL): after[(m, LEVEL)] - before[(m, LEVEL)] for m in ("var", "es", "ec")}}


def run_mode(mode: str, seeds: int, case, truth: dict) -> list[dict]:
    pf, sc = case.portfolio(), case.scenario()
    acc = {k: {"est": [], "se": [], "cover": [], "warned": []} for k in truth}
    for s in range(seeds):
        w = rm.whatif(pf, sc, candidate(), levels=[LEVEL], n_sims=SIMS[mode], seed=9_000 + s, method=mode)
        t = w.table
        for (metric, lv), exact in truth.items():
            sel = (t["metric"] == metric) & (t["level"].isna() if lv is None else (t["level"] == lv))
            r = t[sel].iloc[0]
            half = 1.96 * r["change_se"]
            acc[(metric, lv)]["est"].append(r["change"])
            acc[(metric, lv)]["se"].append(r["change_se"])
            acc[(metric, lv)]["cover"].append(r["change"] - half <= exact <= r["change"] + half)
            acc[(metric, lv)]["warned"].append(bool(r["warning"]))
    rows = []
    for (metric, lv), d in acc.items():
        est, se, cover, warned = (np.array(d[k]) for k in ("est", "se", "cover", "warned"))
        ok = ~warned
        exact = truth[(metric, lv)]
        z = np.where(se > 0, (est - exact) / np.where(se > 0, se, 1.0), np.where(est == exact, 0.0, np.inf))
        r = {"method": mode, "n_sims": SIMS[mode], "estimator": f"change of {metric}" + (f"@{lv}" if lv else ""),
             "exact": exact, "coverage": float(cover.mean()),
             "coverage_unwarned": float(cover[ok].mean()) if ok.any() else np.nan, "n_unwarned": int(ok.sum()),
             "warned": float(warned.mean()), "sd_over_se": _ratio(est, se), "sd_over_se_unwarned": _ratio(est[ok], se[ok]),
             "max_abs_z": float(np.abs(z).max())}
        r["verdict"] = verdict(r, seeds)
        rows.append(r)
    return rows


def main(seeds: int, out: Path | None) -> pd.DataFrame:
    t0 = time.perf_counter()
    case = cases()["heterogeneous"]
    truth = exact_changes(case)
    rows = []
    for mode in SIMS:
        t = time.perf_counter()
        got = run_mode(mode, seeds, case, truth)
        rows += got
        progress(mode, time.perf_counter() - t, got)
    df = pd.DataFrame(rows)
    if out:
        lines = [f"riskmodel {rm.__version__}; {time.strftime('%Y-%m-%d')}; {seeds} seeds; "
                 f"{time.perf_counter() - t0:.0f} s", "",
                 "| method | sims | estimator | exact | coverage | unwarned: coverage | sd/se | max abs z | warned | "
                 "verdict |", "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for r in df.itertuples():
            unw = "" if np.isnan(r.coverage_unwarned) else f"{100 * r.coverage_unwarned:.1f}%"
            lines.append(f"| {r.method} | {r.n_sims:,} | {r.estimator} | {r.exact:.4g} | {100 * r.coverage:.1f}% | "
                         f"{unw} | {r.sd_over_se:.2f} | {r.max_abs_z:.1f} | {100 * r.warned:.0f}% | {r.verdict} |")
        write_study(out, df, "\n".join(lines) + "\n")
    return df


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    main(a.seeds, a.out)
