"""Calibration of the allocated figures' error bars: contributions by segment, ES shares and the Herfindahl index.

    python benchmarks/contrib_coverage.py [--seeds 200] [--plain-sims 50000] [--out benchmarks/results/contrib_coverage.md]

The heterogeneous one-factor book of tests/test_contributions.py (28
obligors in 7 PD classes, the segments; exposures 1-8 units, loadings
0.2-0.6), whose exact Euler contributions come from
``riskmodel.analysis.analytic.one_factor_contributions``: VaR's ``E[L_j | L = VaR]``,
ES's Acerbi-Tasche form, EL's ``pd_j u_j`` and EC's ``VaR - EL`` ones, the ES
shares ``C_g / ES`` and their Herfindahl index. The level sits in the middle
of the loss atom nearest 99.9% and VaR's band holds exactly the simulations
at that atom (as the tests do), so every figure has an exact answer.

For each sampling method, over ``--seeds`` seeds, every segment's estimate
is compared with its exact value (segments seen in fewer than 10 tail
simulations are left out, as the product marks them): coverage of the 95%
interval pooled over segments, sd / se (per segment, then the median), the
largest |z|, and the verdict of ``calibration.py``.
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
sys.path.insert(0, str(HERE.parent / "tests"))

import riskmodel as rm  # noqa: E402
from calibration import progress, verdict, write_study  # noqa: E402
from conftest import one_factor_portfolio, one_factor_scenario  # noqa: E402
from riskmodel import simulate  # noqa: E402
from riskmodel.analysis import analytic  # noqa: E402
from riskmodel.analysis.concentration import concentration_table  # noqa: E402
from test_contributions import PD7, SECTOR7, UNITS7, _atom_level  # noqa: E402

SIMS = {"plain": 50_000, "importance": 10_000}
BETA = np.array([0.2, 0.35, 0.5, 0.6] * 7)
MIN_TAIL = 10


def exact() -> tuple[float, float, list[str], dict]:
    level, band = _atom_level(analytic.one_factor_contributions(PD7, BETA, UNITS7, 0.999)["pmf"], 0.999)
    ref = analytic.one_factor_contributions(PD7, BETA, UNITS7, level)
    groups = sorted(set(SECTOR7))
    code = np.array([groups.index(s) for s in SECTOR7])
    el = PD7 * UNITS7
    by = {m: np.bincount(code, weights=v, minlength=len(groups))
          for m, v in (("es", ref["es_contrib"]), ("var", ref["var_contrib"]), ("el", el),
                       ("ec", ref["var_contrib"] - el))}
    share = by["es"] / by["es"].sum()
    by["es_share"] = share
    by["hhi"] = np.array([float((share ** 2).sum())])
    return level, band, groups, by


def run_mode(mode: str, seeds: int, level: float, band: float, groups: list[str], truth: dict) -> list[dict]:
    pf = one_factor_portfolio(PD7, BETA, UNITS7, sector=SECTOR7)
    sc = one_factor_scenario()
    keys = ("es", "var", "ec", "el", "es_share", "hhi")
    est = {k: [] for k in keys}
    se = {k: [] for k in keys}
    seen = {k: [] for k in keys}
    lo = {k: [] for k in keys}
    hi = {k: [] for k in keys}
    warned = {k: [] for k in keys}
    for s in range(seeds):
        res = simulate(pf, sc, n_sims=SIMS[mode], seed=3_000 + s, method=mode, levels=[level])
        for m in ("es", "var", "ec", "el"):
            c = res.contributions(by="sector", measure=m, level=level, band=band).set_index("segment").loc[groups]
            est[m].append(c["value"].to_numpy())
            se[m].append(c["se"].to_numpy())
            lo[m].append(c["ci_low"].to_numpy())
            hi[m].append(c["ci_high"].to_numpy())
            seen[m].append((c["tail_sims"].to_numpy() >= MIN_TAIL) if m != "el" else np.ones(len(groups), bool))
            warned[m].append((c["warning"] != "").to_numpy())
        con = concentration_table(res, dimensions=("sector",), level=level)
        sh = con.shares.set_index("segment").loc[groups]
        z = res.sample.z
        for k, v, e, ok in (("es_share", sh["capital_share"].to_numpy(), sh["capital_share_se"].to_numpy(),
                             seen["es"][-1]),
                            ("hhi", con.herfindahl["hhi_capital"].to_numpy()[:1],
                             con.herfindahl["hhi_capital_se"].to_numpy()[:1], np.ones(1, bool))):
            est[k].append(v)
            se[k].append(e)
            lo[k].append(v - z * e)
            hi[k].append(v + z * e)
            seen[k].append(ok)
            warned[k].append(np.zeros(len(v), bool))
    rows = []
    for k in keys:
        E, S, L, H, OK, W = (np.array(d[k]) for d in (est, se, lo, hi, seen, warned))  # (seed, segment)
        t = truth[k][None, :]
        cover = (L <= t) & (t <= H)
        zs = np.where(S > 0, (E - t) / np.where(S > 0, S, 1.0), np.inf)
        U = OK & ~W  # seen and unwarned
        ratios = [E[U[:, g], g].std(ddof=1) / S[U[:, g], g].mean() for g in range(E.shape[1])
                  if U[:, g].sum() >= 3 and S[U[:, g], g].mean() > 0]
        r = {"case": "seven segments", "method": mode, "n_sims": SIMS[mode], "estimator": f"{k} by segment"
             if k not in ("hhi",) else "herfindahl (ES)", "coverage": float(cover[OK].mean()),
             "coverage_unwarned": float(cover[U].mean()) if U.any() else np.nan, "n_unwarned": int(U.sum()),
             "warned": float(W[OK].mean()), "sd_over_se": float(np.median(ratios)) if ratios else np.nan,
             "max_abs_z": float(np.abs(zs[U]).max()) if U.any() else np.nan}
        r["sd_over_se_unwarned"] = r["sd_over_se"]
        # a segment's coverage over 200 seeds: its verdict band uses the per-segment seed count
        r["verdict"] = verdict({**r, "n_unwarned": seeds if U.any() else 0}, seeds)
        r["segments"] = int(OK.any(axis=0).sum())
        rows.append(r)
    return rows


def main(seeds: int, out: Path | None) -> pd.DataFrame:
    t0 = time.perf_counter()
    level, band, groups, truth = exact()
    rows = []
    for mode in SIMS:
        t = time.perf_counter()
        got = run_mode(mode, seeds, level, band, groups, truth)
        rows += got
        progress(mode, time.perf_counter() - t, got)
    df = pd.DataFrame(rows)
    if out:
        lines = [f"riskmodel {rm.__version__}; {time.strftime('%Y-%m-%d')}; {seeds} seeds; level {level:.6f} (the "
                 f"middle of the loss atom nearest 0.999); {time.perf_counter() - t0:.0f} s", "",
                 "| method | sims | estimator | segments | coverage (pooled) | unwarned: coverage | sd/se (median) | "
                 "max abs z | warned | verdict |", "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for r in df.itertuples():
            lines.append(f"| {r.method} | {r.n_sims:,} | {r.estimator} | {r.segments} | {100 * r.coverage:.1f}% | "
                         f"{100 * r.coverage_unwarned:.1f}% | {r.sd_over_se:.2f} | {r.max_abs_z:.1f} | "
                         f"{100 * r.warned:.1f}% | {r.verdict} |")
        write_study(out, df, "\n".join(lines) + "\n")
    return df


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--plain-sims", type=int, default=SIMS["plain"], help="plain Monte Carlo's run size")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    SIMS["plain"] = a.plain_sims
    main(a.seeds, a.out)
