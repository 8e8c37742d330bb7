"""Coverage of the lifetime exceedance table's intervals (aggregate and occurrence, once in T years).

No closed form gives the claims paid in a year of the bundled book over a 3-year horizon, so a reference
run of ``--reference`` simulations (importance sampling) stands for the truth; its own error is reported
beside it (at 100 times the simulations of each seed's run, about a tenth of theirs). For each seed, a run
of ``--sims`` simulations gives each amount with its interval; the share of seeds whose interval holds the
reference is reported, and how many of them carried a warning.

    python benchmarks/exceedance_coverage.py --seeds 100 --out benchmarks/results/exceedance_coverage.md
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import riskmodel as rm
from riskmodel.analysis.exceedance import lifetime_exceedance


def main(seeds: int, sims: int, reference: int, out: str | None, methods=("plain", "importance")) -> str:
    pf = rm.load_portfolio(Path(rm.__file__).parent / "data" / "sample")
    sc = rm.load_scenario().with_overrides(horizon_years=3.0)
    ref = lifetime_exceedance(rm.simulate(pf, sc, n_sims=reference, seed=999_999, lifetime=True,
                                          method="importance")).set_index(["kind", "return_period"])
    lines = [f"Lifetime exceedance, riskmodel {rm.__version__}: 95% intervals over {seeds} seeds of {sims:,} "
             f"simulations against a reference of {reference:,} (binomial se "
             f"{np.sqrt(0.95 * 0.05 / seeds):.3f})", "",
             "| method | kind | T (years) | reference (KRW bn) | its se | coverage | warned |",
             "|---|---|---|---|---|---|---|"]
    for method in methods:
        hits, warned = {}, {}
        for s in range(seeds):
            t = lifetime_exceedance(rm.simulate(pf, sc, n_sims=sims, seed=7000 + s, lifetime=True,
                                                method=method)).set_index(["kind", "return_period"])
            for key, r in t.iterrows():
                truth = ref.loc[key, "amount"]
                hits[key] = hits.get(key, 0) + bool(r["ci_low"] <= truth <= r["ci_high"])
                warned[key] = warned.get(key, 0) + bool(r["warning"])
        for key in hits:
            lines.append(f"| {method} | {key[0]} | {key[1]:g} | {ref.loc[key, 'amount'] / 1e9:,.2f} | "
                         f"{ref.loc[key, 'se'] / 1e9:,.2f} | {hits[key] / seeds:.3f} | {warned[key]} |")
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).write_text(text)
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--sims", type=int, default=5000)
    ap.add_argument("--reference", type=int, default=500_000)
    ap.add_argument("--methods", default="plain,importance")
    ap.add_argument("--out")
    a = ap.parse_args()
    print(main(a.seeds, a.sims, a.reference, a.out, tuple(a.methods.split(","))))
