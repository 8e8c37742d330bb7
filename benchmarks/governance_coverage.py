"""Coverage of the intervals of parameter uncertainty and of the reverse stress test, against exact answers.

A one-factor pool of 30 obligors (PD 0.02, R^2 0.2, one unit each, LGD 1) has exact loss laws:

- parameter uncertainty: the PD multiplier ~ uniform(0.5, 1.5), K draws; for the drawn multipliers the
  predictive law is the exact mixture, so the predictive EL and ES(99%) and the mean of EL over the draws
  are known for each seed; their intervals (sectioning, Student's t with 9 degrees of freedom) are checked;
- reverse stress at C = 4 units: P(L > C), E[Z | L > C] and P(obligor 0 defaults | L > C) are integrals
  over the factor; their normal intervals (delta-method errors) are checked.

    python benchmarks/governance_coverage.py --seeds 100 --out benchmarks/results/governance_coverage.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import special, stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import riskmodel as rm  # noqa: E402
from conftest import one_factor_portfolio, one_factor_scenario  # noqa: E402
from riskmodel.analysis import analytic  # noqa: E402
from riskmodel.analysis.estimators import stats_t_quantile  # noqa: E402
from riskmodel.analysis.nested import SECTIONS  # noqa: E402
from riskmodel.governance.reverse import reverse_stress  # noqa: E402

N, PD, BETA, C, LEVEL = 30, 0.02, np.sqrt(0.2), 4.0, 0.95
UNC = {"parameters": {"pd_multipliers.exporter": {"distribution": "uniform", "low": 0.5, "high": 1.5}}}


def _exact_tail():
    z = np.linspace(-10, 10, 20001)
    phi = stats.norm.pdf(z) * (z[1] - z[0])
    p = special.ndtr((special.ndtri(PD) - BETA * z) / np.sqrt(1 - BETA ** 2))
    sf = stats.binom.sf(C, N, p)
    tail = float((phi * sf).sum())
    return {"p": tail, "z": float((phi * z * sf).sum()) / tail,
            "d0": float((phi * p * stats.binom.sf(C - 1, N - 1, p)).sum()) / tail}


def nested_coverage(pf, seeds: int, draws: int, sims: int) -> dict:
    t = stats_t_quantile(0.5 + LEVEL / 2, SECTIONS - 1)
    hits = {"predictive el": 0, "predictive es(0.99)": 0, "mean of el over draws": 0}
    sc = one_factor_scenario(uncertainty=UNC)
    for seed in range(seeds):
        u = rm.simulate(pf, sc, n_sims=sims, seed=1000 + seed, method="plain", levels=[0.99], parameter_draws=draws)
        pmfs = [analytic.one_factor_loss_pmf(np.full(N, PD * m), np.full(N, BETA), [analytic.fixed_severity(1)] * N)
                for m in u.draws["value"]]
        mix = analytic.pmf_metrics(np.mean(pmfs, axis=0), 1.0, [0.99])
        el_mean = float(np.mean([analytic.pmf_metrics(p, 1.0)["el"] for p in pmfs]))
        f = u.figures
        el = f[f["metric"] == "el"].iloc[0]
        es = f[(f["metric"] == "es") & (f["level"] == 0.99)].iloc[0]
        hits["predictive el"] += abs(el["predictive"] - mix["el"]) <= t * el["predictive_se"]
        hits["predictive es(0.99)"] += abs(es["predictive"] - mix[("es", 0.99)]) <= t * es["predictive_se"]
        hits["mean of el over draws"] += abs(el["mean"] - el_mean) <= t * el["mc_se"]
    return hits


def reverse_coverage(pf, seeds: int, sims: int) -> dict:
    ex = _exact_tail()
    z = float(special.ndtri(0.5 + LEVEL / 2))
    hits = {"P(L > C)": 0, "E[Z | L > C]": 0, "P(D_0 | L > C)": 0}
    for seed in range(seeds):
        rs = reverse_stress(pf, one_factor_scenario(), C, n_sims=sims, seed=2000 + 7 * seed, stress_sims=2000)
        p, se = rs.p_exceed
        g = rs.configuration.query("name == 'global'").iloc[0]
        o = rs.names[rs.names["id"] == "O0000"].iloc[0]
        hits["P(L > C)"] += abs(p - ex["p"]) <= z * se
        hits["E[Z | L > C]"] += abs(g["given_tail"] - ex["z"]) <= z * g["se"]
        hits["P(D_0 | L > C)"] += abs(o["p_given_tail"] - ex["d0"]) <= z * o["se"]
    return hits


def main(seeds: int, out: str | None) -> str:
    pf = one_factor_portfolio(np.full(N, PD), np.full(N, BETA), np.ones(N))
    se = np.sqrt(LEVEL * (1 - LEVEL) / seeds)
    lines = [f"Coverage of {LEVEL:.0%} intervals over {seeds} seeds (binomial se {se:.3f}); riskmodel "
             f"{rm.__version__}", "", "| figure | covered |", "|---|---|"]
    for name, h in {**nested_coverage(pf, seeds, 6, 10_000), **reverse_coverage(pf, seeds, 20_000)}.items():
        lines.append(f"| {name} | {h / seeds:.3f} |")
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).write_text(text)
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--out")
    a = ap.parse_args()
    print(main(a.seeds, a.out))
