"""Throughput: simulations per second, as ratios against baselines measured in the same run.

1. The full model (calls, country events, beta LGDs) on the bundled sample
   portfolio: riskmodel on all threads vs one thread.
2. A one-factor Gaussian portfolio (defaults only, fixed LGD): riskmodel vs a
   plain vectorised NumPy Monte Carlo of the same model, the kind an analyst
   writes by hand, at equal simulations.

Usage:  python benchmarks/throughput.py [--sims 100000] [--out benchmarks/results/throughput.md]
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import riskmodel as rm  # noqa: E402
from riskmodel.cli import bundled_sample  # noqa: E402
from riskmodel.engine import run_chunks, threads  # noqa: E402
from riskmodel.model import compile_model  # noqa: E402


def best_of(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def numpy_one_factor(pd_, beta, ead, n_sims, seed, chunk=2_000):
    """Hand-written NumPy baseline: same one-factor Gaussian copula, loss = sum of EAD on default."""
    from scipy.special import ndtri

    rng = np.random.default_rng(seed)
    thr = ndtri(pd_)
    idio = np.sqrt(1 - beta**2)
    out = np.empty(n_sims)
    for s in range(0, n_sims, chunk):
        m = min(chunk, n_sims - s)
        z = rng.standard_normal((m, 1))
        x = beta * z + idio * rng.standard_normal((m, len(pd_)))
        out[s:s + m] = (x < thr) @ ead
    return out


def main(sims: int, out: str | None):
    rows = []
    pf = rm.load_portfolio(bundled_sample())
    model = compile_model(pf, rm.load_scenario())
    run_chunks(model, 1, 1000)  # warm-up (compiled and cached)
    n_thr = numba.config.NUMBA_NUM_THREADS
    t_all = best_of(lambda: run_chunks(model, 1, sims))
    with threads(1):
        t_one = best_of(lambda: run_chunks(model, 1, sims))
    rows.append(("full model, sample portfolio (%d live covers, %d latents)" % (len(model.covers),
                 len(model.latents)), f"riskmodel, {n_thr} threads", sims / t_all,
                 "riskmodel, 1 thread", sims / t_one, t_one / t_all))
    e2e = best_of(lambda: rm.simulate(pf, n_sims=sims, seed=1).metrics(), repeat=2)
    rows.append(("end to end: simulate() + metrics(), sample portfolio", f"riskmodel, {n_thr} threads",
                 sims / e2e, "(kernel only, above)", sims / t_all, t_all / e2e))

    for n in (1_000, 10_000):
        k = np.arange(1, n + 1)
        pd_ = 0.01 * (1 + np.sin(16 * np.pi * k / n))
        beta = np.full(n, np.sqrt(0.2))
        ead = np.ceil(5 * k / n) ** 2
        from conftest import one_factor_portfolio, one_factor_scenario

        m1 = compile_model(one_factor_portfolio(pd_, beta, ead), one_factor_scenario())
        ns = max(2_000, sims // (n // 1000) // 5)
        run_chunks(m1, 1, 100)
        t_rm = best_of(lambda: run_chunks(m1, 1, ns))
        t_np = best_of(lambda: numpy_one_factor(pd_, beta, ead, ns, 1))
        rows.append((f"one-factor Gaussian, {n:,} obligors, defaults only", "riskmodel", ns / t_rm,
                     "NumPy vectorised", ns / t_np, t_np / t_rm))

    lines = [f"Machine: {platform.processor() or platform.machine()}, {n_thr} threads available; "
             f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}", "",
             "| case | measured | sims/s | baseline | sims/s | ratio |", "|---|---|---:|---|---:|---:|"]
    for case, a, ra, b, rb, ratio in rows:
        lines.append(f"| {case} | {a} | {ra:,.0f} | {b} | {rb:,.0f} | {ratio:.2f}x |")
    text = "\n".join(lines)
    print(text)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=100_000)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    main(a.sims, a.out)
