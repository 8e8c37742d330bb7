"""Coverage of the Euler contributions' 95% intervals against the exact one-factor contributions.

    python benchmarks/contrib_coverage.py [--seeds 20] [--sims 50000]

The heterogeneous one-factor book of tests/test_contributions.py (28 obligors
in 7 PD classes, exact contributions from riskmodel.analytic), the level in
the middle of the VaR atom; for each seed and mode, each class's z-score
(estimate - exact) / se, over the classes seen in at least 10 tail
simulations. Prints the mean and sd of z and the share inside +-1.96.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import one_factor_portfolio, one_factor_scenario  # noqa: E402
from test_contributions import PD7, SECTOR7, UNITS7, _atom_level  # noqa: E402

from riskmodel import analytic, simulate  # noqa: E402


def main(seeds: int, sims: int) -> None:
    beta = np.array([0.2, 0.35, 0.5, 0.6] * 7)
    level, band = _atom_level(analytic.one_factor_contributions(PD7, beta, UNITS7, 0.999)["pmf"], 0.999)
    ref = analytic.one_factor_contributions(PD7, beta, UNITS7, level)
    groups = sorted(set(SECTOR7))
    code = np.array([groups.index(s) for s in SECTOR7])
    pf = one_factor_portfolio(PD7, beta, UNITS7, sector=SECTOR7)
    print("| mode | measure | z-scores | mean z | sd z | 95% coverage |\n| --- | --- | ---: | ---: | ---: | ---: |")
    for mode in ("plain", "importance"):
        zs: dict[str, list] = {"es": [], "var": []}
        for seed in range(seeds):
            res = simulate(pf, one_factor_scenario(), n_sims=sims, seed=100 + seed, method=mode)
            for m in zs:
                exact = np.bincount(code, weights=ref[f"{m}_contrib"])
                c = res.contributions(by="sector", measure=m, level=level, band=band).set_index("segment").loc[groups]
                se = c["se"].to_numpy()
                ok = (c["tail_sims"].to_numpy() >= 10) & (se > 0)
                zs[m] += list((c["value"].to_numpy()[ok] - exact[ok]) / se[ok])
        for m, z in zs.items():
            z = np.array(z)
            print(f"| {mode} | {m} | {z.size} | {z.mean():.2f} | {z.std():.2f} | {(abs(z) < 1.96).mean():.1%} |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--sims", type=int, default=50_000)
    a = ap.parse_args()
    main(a.seeds, a.sims)
