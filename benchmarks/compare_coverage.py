"""Coverage of the intervals of a change between two runs (``riskmodel.compare``), against the exact change.

A one-factor pool of 300 obligors (PDs 0.2-4%, R^2 0.2, 1-10 units, LGD 1) and the same pool less its
first 20 obligors have exact loss laws (``analytic.one_factor_loss_pmf``), so the exact changes of EL, and
of VaR, ES and EC at 99%, are known. For each seed both books run on that seed (common random numbers, the
paired error) and, as a yardstick, the later book on another seed (independent runs, errors in quadrature);
the share of seeds whose interval holds the exact change is reported, with the ratio of the changes' spread
over the seeds to their mean reported error (1 when the error is honest).

A second table does the same on the bundled book (the sample, and the sample less five covers, 20,000
simulations), where no exact answer exists: only the spread-to-error ratio.

    python benchmarks/compare_coverage.py --seeds 200 --out benchmarks/results/compare_coverage.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import riskmodel as rm  # noqa: E402
from conftest import one_factor_portfolio, one_factor_scenario  # noqa: E402
from riskmodel.analysis import analytic  # noqa: E402

LEVEL = 0.99
K = np.arange(300)
PD = np.array([0.002, 0.005, 0.01, 0.02, 0.04])[K % 5]
UNITS = 1 + (K * 7) % 10
KEEP = K >= 20
FIGURES = [("el", None), ("var", LEVEL), ("es", LEVEL), ("ec", LEVEL)]


def _exact(keep):
    pmf = analytic.one_factor_loss_pmf(PD[keep], np.full(keep.sum(), 0.45),
                                       [analytic.fixed_severity(u) for u in UNITS[keep]])
    t = analytic.pmf_metrics(pmf, levels=[LEVEL])
    return {"el": t["el"], "var": t[("var", LEVEL)], "es": t[("es", LEVEL)], "ec": t[("ec", LEVEL)]}


def _rows(c) -> dict:
    t = c.table
    return {m: t[(t["metric"] == m) & ((t["level"] == lv) if lv else t["level"].isna())].iloc[0] for m, lv in FIGURES}


def exact_coverage(seeds: int, sims: int, method: str) -> list[str]:
    a_book = one_factor_portfolio(PD, np.full(300, 0.45), UNITS)
    b_book = one_factor_portfolio(PD[KEEP], np.full(KEEP.sum(), 0.45), UNITS[KEEP])
    ta, tb = _exact(np.ones(300, bool)), _exact(KEEP)
    sc = one_factor_scenario()
    got = {how: {m: [] for m, _ in FIGURES} for how in ("paired", "quadrature")}
    for s in range(seeds):
        ra = rm.simulate(a_book, sc, n_sims=sims, seed=5000 + s, levels=[LEVEL], method=method)
        for how, seed_b in (("paired", 5000 + s), ("quadrature", 90_000 + s)):
            rb = rm.simulate(b_book, sc, n_sims=sims, seed=seed_b, levels=[LEVEL], method=method)
            for m, r in _rows(rm.compare(ra, rb, attribution=False)).items():
                got[how][m].append((r["change"], r["change_se"], r["ci_low"], r["ci_high"]))
    lines = []
    for how, figs in got.items():
        for m, v in figs.items():
            v = np.array(v)
            exact = tb[m] - ta[m]
            cover = float(np.mean((v[:, 2] <= exact) & (exact <= v[:, 3])))
            ratio = float(v[:, 0].std(ddof=1) / np.sqrt(np.mean(v[:, 1] ** 2)))
            lines.append(f"| {method} | {how} | {m} | {cover:.3f} | {ratio:.2f} | {np.mean(v[:, 1]):.3f} |")
    return lines


def sample_spread(seeds: int, sims: int, method: str) -> list[str]:
    pa = rm.load_portfolio(Path(rm.__file__).parent / "data" / "sample")
    pb = rm.Portfolio(**{**pa.__dict__, "covers": pa.covers.iloc[5:].reset_index(drop=True)})
    sc = rm.load_scenario()
    vals = []
    for s in range(seeds):
        ra = rm.simulate(pa, sc, n_sims=sims, seed=300 + s, levels=[LEVEL, 0.999], method=method)
        rb = rm.simulate(pb, sc, n_sims=sims, seed=300 + s, levels=[LEVEL, 0.999], method=method)
        t = rm.compare(ra, rb, attribution=False).table
        vals.append(t[["change", "change_se"]].to_numpy())
        names = [m if m == "el" else f"{m} {lv:g}" for m, lv in zip(t["metric"], t["level"])]
    v = np.array(vals)
    return [f"| {method} | {n} | {v[:, j, 0].std(ddof=1) / np.sqrt(np.mean(v[:, j, 1] ** 2)):.2f} |"
            for j, n in enumerate(names)]


def main(seeds: int, out: str | None) -> str:
    se = np.sqrt(0.95 * 0.05 / seeds)
    chi = np.sqrt(1 / (2 * (seeds - 1)))
    lines = [f"Run comparison, riskmodel {rm.__version__}: 95% intervals of the change over {seeds} seeds "
             f"(binomial se {se:.3f}; the spread-to-error ratio has se about {chi:.2f})", "",
             "| method | errors | figure | coverage | spread / error | mean error (units) |", "|---|---|---|---|---|---|"]
    for method in ("plain", "importance"):
        lines += exact_coverage(seeds, 4000, method)
    n2 = max(seeds // 5, 10)
    lines += ["", f"The bundled book less five covers, {n2} seeds of 20,000 simulations, common random numbers "
              f"(ratio se about {np.sqrt(1 / (2 * (n2 - 1))):.2f}):", "", "| method | figure | spread / error |",
              "|---|---|---|"]
    for method in ("plain", "importance"):
        lines += sample_spread(n2, 20_000, method)
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).write_text(text)
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--out")
    a = ap.parse_args()
    print(main(a.seeds, a.out))
