"""The true EC(99.9%) of the LKN portfolio (see cases.py), from a long plain Monte Carlo run.

Plain Monte Carlo needs no design choices that could bias it; its only error
is sampling error, reported as a confidence interval. A long
importance-sampling run is computed beside it as a cross-check (the two must
agree within their errors). The result goes to results/lkn_truth.json, which
benchmarks/suite.py reads.

    python benchmarks/lkn_truth.py --plain-sims 40000000 --is-sims 2000000
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402

import riskmodel as rm  # noqa: E402
from riskmodel.engine.chunks import run_chunks  # noqa: E402
from riskmodel.analysis.estimators import LossSample  # noqa: E402
from riskmodel.model.compile import compile_model  # noqa: E402

LEVEL = 0.999


def _record(est):
    return {"value": est.value, "se": est.se, "ci_low": est.ci_low, "ci_high": est.ci_high}


def main(plain_sims: int, is_sims: int, seed: int, piece: int, out: Path) -> dict:
    pf, sc = cases.lkn()
    model = compile_model(pf, sc)
    t0 = time.perf_counter()
    total = np.empty(plain_sims)
    for s in range(0, plain_sims, piece):
        n = min(piece, plain_sims - s)
        loss, _ = run_chunks(model, seed, n, first_sim=s)
        total[s:s + n] = loss.sum(axis=1)
        print(f"plain: {s + n:,} / {plain_sims:,} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    t_plain = time.perf_counter() - t0
    sample = LossSample(total)
    plain = {"sims": plain_sims, "seed": seed, "seconds": t_plain, "ec": _record(sample.ec(LEVEL)),
             "var": _record(sample.var(LEVEL)[0]), "el": _record(sample.mean())}
    del total, sample
    t0 = time.perf_counter()
    res = rm.simulate(pf, sc, n_sims=is_sims, seed=seed + 1, levels=[LEVEL], method="importance")
    imp = {"sims": is_sims, "seed": seed + 1, "seconds": time.perf_counter() - t0, "ec": _record(res.ec(LEVEL)),
           "var": _record(res.var(LEVEL)), "el": _record(res.el())}
    pe, ie = plain["ec"], imp["ec"]
    out_d = {"level": LEVEL, "plain": plain, "importance": imp, "true_ec": pe["value"], "true_ec_se": pe["se"],
             "agree_within_4_se": abs(pe["value"] - ie["value"]) <= 4 * float(np.hypot(pe["se"], ie["se"])),
             "version": rm.__version__}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(out_d, indent=2))
    return out_d


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plain-sims", type=int, default=40_000_000)
    ap.add_argument("--is-sims", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=20231)
    ap.add_argument("--piece", type=int, default=5_000_000)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "lkn_truth.json")
    a = ap.parse_args()
    print(json.dumps(main(a.plain_sims, a.is_sims, a.seed, a.piece, a.out), indent=2))
