"""Coverage of the calibration intervals: data drawn from known parameters, how often each interval holds
the truth (with its binomial standard error), and how long a fit takes.

    python benchmarks/calibration_coverage.py --reps 200 --out benchmarks/results/calibration_coverage.md

Counts of fewer than 25 years get bootstrap-calibrated profile intervals (199 series each): about 3.6 s a
fit, so that case dominates the run (about 15 minutes at 200 data sets).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from riskmodel.governance import vasicek


def lgd_lines(reps: int, level: float) -> list[str]:
    """Coverage of the LGD intervals on beta-distributed recoveries: the mean's t interval, the sd's Bonett
    interval (what riskmodel writes) and a percentile bootstrap of the sd (for comparison)."""
    from scipy import stats

    from riskmodel.governance.calibrate import sd_interval

    rng = np.random.Generator(np.random.Philox(key=2027))
    out = ["", f"LGD intervals, {reps} samples each ({level:.0%})", "",
           "| mean, sd, recoveries | mean (t) | sd (Bonett) | sd (percentile bootstrap, 400) |", "|---|---|---|---|"]
    for m, s, n in ((0.7, 0.2, 20), (0.65, 0.22, 40), (0.55, 0.25, 100)):
        k = m * (1 - m) / s ** 2 - 1
        hit = np.zeros(3)
        for _ in range(reps):
            v = rng.beta(m * k, (1 - m) * k, size=n)
            t = stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n)
            hit[0] += abs(v.mean() - m) <= t
            lo, hi = sd_interval(v, level)
            hit[1] += lo <= s <= hi
            boot = rng.choice(v, size=(400, n)).std(axis=1, ddof=1)
            blo, bhi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
            hit[2] += blo <= s <= bhi
        out.append(f"| {m}, {s}, {n} | {hit[0] / reps:.3f} | {hit[1] / reps:.3f} | {hit[2] / reps:.3f} |")
    return out


def main(reps: int, out: str | None, level: float = 0.9, only: str | None = None) -> str:
    rng = np.random.Generator(np.random.Philox(key=2026))
    cases = [("counts, T = 15, n = 500", 15, 500), ("counts, T = 25, n = 400", 25, 400),
             ("counts, T = 40, n = 200", 40, 200), ("large pool, T = 15", 15, None), ("large pool, T = 25", 25, None)]
    pd_, rho = 0.03, 0.12
    lines = [f"Coverage of {level:.0%} intervals, {reps} data sets each, PD {pd_}, R^2 {rho} "
             f"(binomial se of a coverage near {level}: {np.sqrt(level * (1 - level) / reps):.3f})", "",
             "| data | estimator | R^2 covered | PD covered | seconds per fit |", "|---|---|---|---|---|"]
    for name, T, n in (cases if only != "lgd" else []):
        hits = {"ml": [0, 0], "mm": [0, 0]}
        secs = {"ml": 0.0, "mm": 0.0}
        for _ in range(reps):
            d = vasicek.simulate_rates(pd_, rho, n, T, rng)
            t0 = time.perf_counter()
            f = vasicek.fit_counts(d, np.full(T, float(n)), level) if n else vasicek.fit_rates(d, level)
            secs["ml"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            m = vasicek.fit_moments(d / n if n else d, np.full(T, float(n)) if n else None, level, n_boot=200)
            secs["mm"] += time.perf_counter() - t0
            for k, fit in (("ml", f), ("mm", m)):
                hits[k][0] += fit.rho_ci[0] <= rho <= fit.rho_ci[1]
                hits[k][1] += fit.pd_ci[0] <= pd_ <= fit.pd_ci[1]
        for k, label in (("ml", "maximum likelihood" + ((" (profile, bootstrap-calibrated)" if T < 25 else
                                                           " (profile)") if n else " (exact chi-square)")),
                         ("mm", "moments (bootstrap, 200)")):
            lines.append(f"| {name} | {label} | {hits[k][0] / reps:.3f} | {hits[k][1] / reps:.3f} | "
                         f"{secs[k] / reps:.3f} |")
    if only != "correlation":
        lines += lgd_lines(max(reps, 400), level)
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).write_text(text)
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--out")
    ap.add_argument("--only", choices=["correlation", "lgd"])
    a = ap.parse_args()
    print(main(a.reps, a.out, only=a.only))
