"""riskmodel benchmark suite: one command; every figure a ratio against a baseline measured in the same run.

    python benchmarks/suite.py [--quick] [--out benchmarks/results/suite.md]

Sections (each prints a markdown table; all go to ``--out``):

1. plain Monte Carlo vs a hand-written vectorised NumPy Monte Carlo of the
   same one-factor Gaussian copula, at equal simulations, 1,000 to 1,000,000
   obligors, on two books (guarantees; receivables with continuous PDs): the
   kernel alone and ``simulate()`` end to end;
2. time to a 1% relative 95% confidence half-width on EC(99.9%): NumPy plain
   vs riskmodel with importance sampling (each run once, its half-width
   measured, the time scaled by (half-width / target)^2, the 1/sqrt(n) law);
3. scaling: seconds per 10,000 simulations and peak memory as obligors grow
   from 1,000 to 1,000,000 and as the average PD grows (one process per point,
   so each peak is its own);
4. the full model (calls, country events, beta LGDs) on the bundled sample:
   sparse kernel and importance sampling vs the dense reference kernel;
5. CLI cold start (empty kernel cache) and warm start;
6. the Glasserman-Li / LKN 10-factor portfolio: EC(99.9%) with 2,000
   simulations over 200 seeds, RMSE and interval coverage against the long
   plain run of ``lkn_truth.py`` (results/lkn_truth.json);
7. the lifetime view (cash flows, pricing, capacity) against the one-year kernel;
8. who consumes the capital on a 10,000-cover book: ``riskmodel whatif``
   against ``riskmodel run``, the tail replay of contributions against the
   run, and common random numbers against two independent runs;
9. a 100-point sweep: serial, a local process pool and a dask LocalCluster
   (points per minute), and whether their stores are identical.

Speed is never asserted in tests; correctness of each fast path is.
"""
from __future__ import annotations

import os

# NumPy's BLAS threads gain the baseline nothing here (its time is the same on one), but they spin after
# each call and take cores from whatever runs next: measured, simulate() ran 0.14 s instead of 0.10 s
# right after the baseline. So the baseline runs on one core, as the tables say.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402
from cases import peak_mib  # noqa: E402

import riskmodel as rm  # noqa: E402
from riskmodel.cli import bundled_sample  # noqa: E402
from riskmodel.engine.chunks import run_chunks, sparse_index  # noqa: E402
from riskmodel.analysis.estimators import LossSample  # noqa: E402
from riskmodel.model.compile import compile_model  # noqa: E402

EC_LEVEL = 0.999


def best_of(fn, repeat=3):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def numpy_one_factor(pd_, beta, ead, n_sims, seed, max_cells=20_000_000):
    """The hand-written baseline: a vectorised NumPy Monte Carlo of the one-factor Gaussian copula.

    Loss = sum of EAD over obligors whose latent ``beta Z + sqrt(1 - beta^2) eps``
    falls below ``Phi^-1(pd)``; simulations in batches that fit in memory.
    """
    from scipy.special import ndtri

    rng = np.random.default_rng(seed)
    thr = ndtri(pd_)
    idio = np.sqrt(1 - beta**2)
    out = np.empty(n_sims)
    batch = max(1, max_cells // len(pd_))
    for s in range(0, n_sims, batch):
        m = min(batch, n_sims - s)
        z = rng.standard_normal((m, 1))
        x = beta * z + idio * rng.standard_normal((m, len(pd_)))
        out[s:s + m] = (x < thr) @ ead
    return out


def table(head: list[str], rows: list[list], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(head) - 1)
    sep = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- 1. plain vs NumPy

NUMPY_SIZES = {1_000: 100_000, 10_000: 20_000, 100_000: 4_000, 1_000_000: 400}  # NumPy takes 2-10 s at each


def end_to_end(pf, sc, sims: int, seed: int = 1):
    """What a user calls: simulate() (compile, grouping, kernel, collection, result) and the metrics table."""
    res = rm.simulate(pf, sc, n_sims=sims, seed=seed, method="plain")
    res.metrics()
    return res


def compare_numpy(shape: str, n: int, sims: int, repeat: int = 3) -> dict:
    """riskmodel's kernel alone and simulate() end to end against the NumPy baseline, equal simulations."""
    arrays, build = cases.SHAPES[shape]
    pd_, beta, ead = arrays(n)
    pf, sc = build(n), cases.defaults_only_scenario()
    model = compile_model(pf, sc)
    run_chunks(model, 1, 200)  # warm
    end_to_end(pf, sc, 200)
    # the sides in turn, riskmodel first, each round: the machine's speed drifts, and it must drift for both
    best = {"kernel": np.inf, "simulate": np.inf, "numpy": np.inf}
    out = {}
    fns = {"kernel": lambda: run_chunks(model, 1, sims), "simulate": lambda: end_to_end(pf, sc, sims),
           "numpy": lambda: numpy_one_factor(pd_, beta, ead, sims, 1)}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = time.perf_counter()
            out[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t)
    t_k, t_e, t_np = best["kernel"], best["simulate"], best["numpy"]
    out_k, res, out_np = out["kernel"], out["simulate"], out["numpy"]
    el_k, el_e, el_np = LossSample(out_k[0].sum(1)).mean(), res.el(), LossSample(out_np).mean()
    same = all(abs(a.value - el_np.value) <= 4 * np.hypot(a.se, el_np.se) for a in (el_k, el_e))
    return {"shape": shape, "n": n, "sims": sims, "numpy_s": t_np, "kernel_s": t_k, "simulate_s": t_e,
            "defaults_per_sim": float(out_k[1][:, :2].sum(1).mean()), "same_el": bool(same)}


def section_plain_vs_numpy(quick: bool) -> str:
    parts = []
    for shape, what in (("guarantees", "one performance guarantee per exporter, PDs 0.25%-1.75% (mean 1%), "
                                       "correlation 0.2, exposures 1-10, defaults only (`cases.one_factor`)"),
                        ("credit", "one receivables cover per importer, PD 0.01 (1 + sin(16 pi k / N)), loading 0.3, "
                                   "exposures 1-10 (`cases.credit`)")):
        rows = []
        for n, sims in NUMPY_SIZES.items():
            if quick and n > 100_000:
                continue
            d = compare_numpy(shape, n, sims // (4 if quick else 1))
            rows.append([f"{n:,}", f"{d['sims']:,}", f"{d['defaults_per_sim']:,.1f}", f"{d['sims'] / d['numpy_s']:,.0f}",
                         f"{d['sims'] / d['kernel_s']:,.0f}", f"{d['numpy_s'] / d['kernel_s']:,.0f}x",
                         f"{d['sims'] / d['simulate_s']:,.0f}", f"**{d['numpy_s'] / d['simulate_s']:,.0f}x**",
                         "yes" if d["same_el"] else "NO"])
        parts.append(f"Book: {what}.\n\n" + table(
            ["obligors", "simulations", "defaults/sim", "NumPy sims/s", "kernel sims/s", "kernel vs NumPy",
             "simulate() sims/s", "simulate() vs NumPy", "same EL (4 se)"], rows))
    return ("### 1. Plain Monte Carlo vs hand-written NumPy, one-factor Gaussian, equal simulations\n\n"
            "NumPy: a vectorised Monte Carlo of the same model (a normal per obligor per simulation), one core. "
            "riskmodel: the kernel alone on a compiled model, and `simulate()` end to end as a user calls it "
            "(compiling the model, grouping, the kernel, collection, the result and its metrics table). "
            "Each side's best of three rounds after warm-up, the sides in turn in every round.\n\n"
            + "\n\n".join(parts))


# ---------------------------------------------------------------- 2. time to 1% on EC(99.9%)

def section_time_to_precision(quick: bool) -> str:
    n = 10_000
    target = 0.01
    pd_, beta, ead = cases.one_factor_arrays(n)
    pf = cases.one_factor(n)
    sc = cases.defaults_only_scenario()
    np_sims = 20_000 if quick else 100_000
    t_np, x = best_of(lambda: numpy_one_factor(pd_, beta, ead, np_sims, 7), repeat=1)
    ec_np = LossSample(x).ec(EC_LEVEL)
    rm.simulate(pf, sc, n_sims=400, seed=1, levels=[EC_LEVEL], method="importance")  # warm
    is_sims = 10_000 if quick else 20_000
    t_is, res = best_of(lambda: rm.simulate(pf, sc, n_sims=is_sims, seed=7, levels=[EC_LEVEL],
                                            method="importance"), repeat=1)
    ec_is = res.ec(EC_LEVEL)
    rows = []
    proj = {}
    for name, ec, t, sims in (("NumPy, plain", ec_np, t_np, np_sims), ("riskmodel, importance", ec_is, t_is, is_sims)):
        hw = (ec.ci_high - ec.ci_low) / 2 / ec.value
        proj[name] = t * (hw / target) ** 2
        rows.append([name, f"{sims:,}", f"{t:.1f}", f"{ec.value:,.1f} [{ec.ci_low:,.1f}, {ec.ci_high:,.1f}]",
                     f"{100 * hw:.2f}%", f"{proj[name]:,.1f}"])
    ratio = proj["NumPy, plain"] / proj["riskmodel, importance"]
    return ("### 2. Time to a 1% relative 95% half-width on EC(99.9%), 10,000 obligors\n\n"
            "Each side runs once; its time is scaled to the 1% half-width by (half-width / 1%)^2. "
            "riskmodel's time includes designing the importance sampling.\n\n"
            + table(["method", "simulations", "seconds", "EC(99.9%) [95% CI]", "half-width", "s to 1%"], rows)
            + f"\n\nRatio (NumPy / riskmodel time to 1%): **{ratio:,.0f}x**")


# ---------------------------------------------------------------- 3. scaling

def scaling_point(n: int, mean_pd: float, sims: int) -> dict:
    from riskmodel.engine.collect import ClaimsCollector

    t0 = time.perf_counter()
    pf, sc = cases.one_factor(n, mean_pd), cases.defaults_only_scenario()
    model = compile_model(pf, sc)
    sparse_index(model, dated=False)
    setup = time.perf_counter() - t0

    def lifetime():
        col = ClaimsCollector(sims, len(model.covers), model.arrays.horizon, sc, lifetime=True)
        return run_chunks(model, 1, sims, collector=col)

    run_chunks(model, 1, 100)  # warm
    t, out = best_of(lambda: run_chunks(model, 1, sims), repeat=3)
    t_life, _ = best_of(lifetime, repeat=3)
    return {"n": n, "pd": mean_pd, "sims": sims, "sec_per_10k": t / sims * 10_000,
            "lifetime_sec_per_10k": t_life / sims * 10_000, "setup_s": setup, "peak_mib": peak_mib(),
            "defaults_per_sim": float(out[1][:, 0].mean())}


def section_scaling(quick: bool) -> str:
    points = [(1_000, 0.01, 100_000), (10_000, 0.01, 50_000), (100_000, 0.01, 10_000), (1_000_000, 0.01, 2_000),
              (100_000, 0.005, 10_000), (100_000, 0.02, 10_000), (100_000, 0.05, 5_000)]
    if quick:
        points = [(1_000, 0.01, 20_000), (10_000, 0.01, 10_000), (100_000, 0.01, 2_000), (100_000, 0.05, 1_000)]
    rows = []
    for n, p, sims in points:
        code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import suite; "
                f"print(json.dumps(suite.scaling_point({n}, {p}, {sims})))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        d = json.loads(out.stdout.strip().splitlines()[-1])
        per_default = lambda sec: sec / max(d["defaults_per_sim"], 1e-9) * 1e6 / 10_000  # noqa: E731
        rows.append([f"{n:,}", f"{100 * p:g}%", f"{d['defaults_per_sim']:,.1f}", f"{d['sec_per_10k']:.3f}",
                     f"{per_default(d['sec_per_10k']):.3f}", f"{d['lifetime_sec_per_10k']:.3f}",
                     f"{per_default(d['lifetime_sec_per_10k']):.3f}", f"{d['setup_s']:.1f}", f"{d['peak_mib']:,.0f}"])
    return ("### 3. Scaling: plain Monte Carlo, one-factor portfolio, seconds per 10,000 simulations\n\n"
            "One process per point (its own peak resident memory). *Metrics*: what a run for the loss "
            "distribution does (default times only where a loss reads them, no claim records kept). "
            "*Lifetime*: everything the lifetime view needs as well (every default dated, claim records kept "
            "and reduced to cash flows, present values and per-cover sums). Setup = building the portfolio, "
            "validating and compiling it. Two threads.\n\n"
            + table(["obligors", "mean PD", "defaults/sim", "metrics: s per 10k sims", "us per default",
                     "lifetime: s per 10k sims", "us per default", "setup s", "peak MiB"], rows))


# ---------------------------------------------------------------- 4. full model

def section_full_model(quick: bool) -> str:
    sims = 20_000 if quick else 100_000
    pf = rm.load_portfolio(bundled_sample())
    sc = rm.load_scenario()
    model = compile_model(pf, sc)
    run_chunks(model, 1, 500, sampling="dense")
    run_chunks(model, 1, 500)
    t_dense, _ = best_of(lambda: run_chunks(model, 1, sims, sampling="dense"))
    t_sparse, _ = best_of(lambda: run_chunks(model, 1, sims))
    rm.simulate(pf, sc, n_sims=500, method="importance")
    t_is, r_is = best_of(lambda: rm.simulate(pf, sc, n_sims=sims, seed=1, method="importance"))
    t_pl, r_pl = best_of(lambda: rm.simulate(pf, sc, n_sims=sims, seed=1, method="plain"))
    se_ratio = r_pl.ec(EC_LEVEL).se / r_is.ec(EC_LEVEL).se
    rows = [["dense kernel (reference), plain", f"{sims / t_dense:,.0f}", "1.00x", ""],
            ["sparse kernel, plain", f"{sims / t_sparse:,.0f}", f"{t_dense / t_sparse:.2f}x", ""],
            ["simulate(), plain, end to end", f"{sims / t_pl:,.0f}", f"{t_dense / t_pl:.2f}x",
             f"{r_pl.ec(EC_LEVEL).se:,.3g}"],
            ["simulate(), importance, end to end", f"{sims / t_is:,.0f}", f"{t_dense / t_is:.2f}x",
             f"{r_is.ec(EC_LEVEL).se:,.3g}"]]
    return (f"### 4. Full model on the bundled sample ({len(model.covers)} live covers, {len(model.latents)} "
            f"latents), {sims:,} simulations\n\n"
            + table(["kernel", "sims/s", "vs dense", "se of EC(99.9%)"], rows)
            + f"\n\nAt equal simulations importance sampling cuts the standard error of EC(99.9%) "
              f"{se_ratio:.1f}x, i.e. the same precision with {se_ratio ** 2:.0f}x fewer simulations.")


# ---------------------------------------------------------------- 5. CLI start

def _cli(env) -> float:
    code = "from riskmodel.cli import main; main()"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, "run", "--quiet"], check=True, env=env, capture_output=True)
    return time.perf_counter() - t


def section_cli(quick: bool) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        cold = _cli(env)
        warm = min(_cli(env) for _ in range(2 if quick else 3))
    default = {**os.environ}
    default.pop("NUMBA_CACHE_DIR", None)
    _cli(default)
    return ("### 5. `riskmodel run` on the bundled sample (100,000 simulations), end to end\n\n"
            + table(["start", "seconds"], [["cold (empty kernel cache: compiles)", f"{cold:.1f}"],
                                          ["warm (cached kernels)", f"{warm:.1f}"]])
            + f"\n\nCold / warm: {cold / warm:.1f}x.")


# ---------------------------------------------------------------- 6. LKN precision

def section_lkn(quick: bool) -> str:
    truth_file = HERE / "results" / "lkn_truth.json"
    if not truth_file.exists():
        return "### 6. LKN portfolio\n\nresults/lkn_truth.json is missing: run benchmarks/lkn_truth.py first."
    truth = json.loads(truth_file.read_text())
    true_ec = truth["true_ec"]
    pf, sc = cases.lkn()
    n_seeds = 40 if quick else 200
    rows = []
    for method in ("importance", "plain"):
        ecs, cover, ses = [], 0, []
        t0 = time.perf_counter()
        for s in range(n_seeds):
            r = rm.simulate(pf, sc, n_sims=2000, seed=10_000 + s, levels=[EC_LEVEL], method=method)
            e = r.ec(EC_LEVEL)
            ecs.append(e.value)
            ses.append(e.se)
            cover += e.ci_low <= true_ec <= e.ci_high
        sec = (time.perf_counter() - t0) / n_seeds
        ecs = np.array(ecs)
        rmse = float(np.sqrt(np.mean((ecs - true_ec) ** 2)) / true_ec)
        rows.append([method, f"{n_seeds}", f"{100 * rmse:.2f}%", f"{100 * (ecs.mean() / true_ec - 1):+.2f}%",
                     f"{100 * ecs.std() / true_ec:.2f}%", f"{np.mean(ses) / ecs.std():.2f}",
                     f"{100 * cover / n_seeds:.1f}%", f"{sec:.2f}"])
    p, i = truth["plain"], truth["importance"]
    return ("### 6. Glasserman-Li portfolio with LKN (2023) loadings: EC(99.9%) from 2,000 simulations\n\n"
            f"True EC(99.9%) = {true_ec:,.1f} (95% CI {p['ec']['ci_low']:,.1f} to {p['ec']['ci_high']:,.1f}) from "
            f"{p['sims']:,} plain simulations; cross-check: importance sampling with {i['sims']:,} simulations "
            f"gives {i['ec']['value']:,.1f} (95% CI {i['ec']['ci_low']:,.1f} to {i['ec']['ci_high']:,.1f}).\n\n"
            + table(["method", "seeds", "RMSE", "bias", "sd", "mean se / sd", "95% CI covers truth", "s per run"],
                    rows))


# ---------------------------------------------------------------- 7. lifetime view

def section_lifetime(quick: bool) -> str:
    from riskmodel.analysis.capacity import capacity
    from riskmodel.engine.collect import ClaimsCollector

    sims = 20_000 if quick else 100_000
    pf = rm.load_portfolio(bundled_sample())
    rows = []
    base = None
    for h in (1.0, 5.0):
        sc = rm.scenario_from_dict({"simulation": {"horizon_years": h}})
        model = compile_model(pf, sc)
        run_chunks(model, 1, 500)
        t_drop, _ = best_of(lambda: run_chunks(model, 1, sims))

        def collected():
            col = ClaimsCollector(sims, len(model.covers), h, sc)
            run_chunks(model, 1, sims, collector=col)

        t_col, _ = best_of(collected)
        base = base or t_drop
        rows.append([f"{h:g}-year horizon, kernel (claims dropped)", f"{t_drop:.2f}", f"{t_drop / base:.2f}x"])
        rows.append([f"{h:g}-year horizon, kernel + cash flows and per-cover sums", f"{t_col:.2f}",
                     f"{t_col / base:.2f}x"])
    sc5 = rm.scenario_from_dict({"simulation": {"horizon_years": 5.0}})
    res = rm.simulate(pf, sc5, n_sims=sims, seed=1, method="plain")
    t_tab, _ = best_of(lambda: (res.__dict__.pop("_metric_cache", None), setattr(res, "_metric_cache", {}),
                                res.cashflows(), res.lifetime(), res.pricing(), res.pricing(by="product"),
                                res.policy()), repeat=1)
    t_cap, _ = best_of(lambda: capacity(pf, sc5, budget=4e11, segment={"product": "performance"}, n_sims=sims,
                                        seed=1, method="plain"), repeat=1)
    t_sim, _ = best_of(lambda: rm.simulate(pf, sc5, n_sims=sims, seed=1, method="plain"), repeat=1)
    rows.append(["5-year lifetime tables (cash flows, lifetime, pricing x2, policy)", f"{t_tab:.2f}",
                 f"{t_tab / base:.2f}x"])
    rows.append(["5-year simulate(), plain, end to end", f"{t_sim:.2f}", f"{t_sim / base:.2f}x"])
    rows.append(["5-year capacity search (one run + root search)", f"{t_cap:.2f}", f"{t_cap / base:.2f}x"])
    return (f"### 7. Lifetime view on the bundled sample, {sims:,} plain simulations\n\n"
            + table(["step", "seconds", "vs 1-year kernel"], rows)
            + f"\n\nThe capacity search costs {t_cap / t_sim:.2f}x one simulation run: every point of the search "
              f"reuses the same simulations.")


# ---------------------------------------------------------------- 8. who consumes the capital

def _cli_time(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from riskmodel.cli import main; main()", *args, "--quiet"], check=True,
                   capture_output=True)
    return time.perf_counter() - t


def section_contributions(quick: bool) -> str:
    """What-if on a 10,000-cover book through the CLI, against a plain run of the same book; the tail
    replay of contributions against the run; common random numbers against two independent runs."""
    from riskmodel.inputs.portfolio import extend_portfolio
    from riskmodel.inputs.sample import write_sample

    sims = 20_000
    with tempfile.TemporaryDirectory() as tmp:
        book = write_sample(Path(tmp) / "book", 10_000, 2026)
        pf = rm.load_portfolio(book)
        cov = pf.covers
        cand = cov[cov["product"] == "performance"].iloc[[0]].assign(cover_id="CAND1", contract_id=None,
                                                                     amount=3e10, currency="KRW")
        for c in ("start", "end"):
            cand[c] = cand[c].dt.strftime("%Y-%m-%d")
        cand.to_csv(Path(tmp) / "cand.csv", index=False)
        common = ["--portfolio", str(book), "--sims", str(sims), "--seed", "1"]
        _cli_time(["run", *common])  # warm the kernels' cache
        t_run = min(_cli_time(["run", *common]) for _ in range(2))
        t_whatif = min(_cli_time(["whatif", "--add", str(Path(tmp) / "cand.csv"), *common]) for _ in range(2))
        t_sim, res = best_of(lambda: rm.simulate(pf, n_sims=sims, seed=1), repeat=1)

        def fresh_contributions(by):
            res._metric_cache.clear()
            res.__dict__.pop("_tail_cache", None)
            return res.contributions(by=by, measure="es", level=0.999)

        t_exp, _ = best_of(lambda: fresh_contributions("exporter"), repeat=1)
        t_cov, _ = best_of(lambda: fresh_contributions("cover"), repeat=1)
        t_conc, _ = best_of(lambda: (res._metric_cache.clear(), res.__dict__.pop("_tail_cache", None),
                                     res.concentration()), repeat=1)
        w = rm.whatif(pf, None, Path(tmp) / "cand.csv", n_sims=sims, seed=1)
        combined, _ = extend_portfolio(pf, Path(tmp) / "cand.csv")
        after = rm.simulate(combined, n_sims=sims, seed=2)
        row = w.table.set_index(["metric", "level"]).loc[("es", 0.999)]
        fd_se = float(np.hypot(after.es(0.999).se, res.es(0.999).se))
    rows = [["`riskmodel run` (baseline)", f"{t_run:.1f}", "1.00x"],
            ["`riskmodel whatif --add cand.csv`", f"{t_whatif:.1f}", f"{t_whatif / t_run:.2f}x"]]
    rows2 = [["simulate() (baseline)", f"{t_sim:.2f}", "1.00x"],
             ["contributions(by='exporter', 'es', 0.999), tail replayed", f"{t_exp:.2f}", f"{t_exp / t_sim:.2f}x"],
             ["contributions(by='cover', 'es', 0.999), tail replayed", f"{t_cov:.2f}", f"{t_cov / t_sim:.2f}x"],
             ["concentration() (4 dimensions, one replay)", f"{t_conc:.2f}", f"{t_conc / t_sim:.2f}x"]]
    n_live = len(res.model.covers)
    return (f"### 8. Who consumes the capital: a 10,000-cover synthetic book ({n_live:,} covers live), "
            f"{sims:,} simulations, importance sampling\n\n"
            + table(["command, end to end (process start included)", "seconds", "vs run"], rows) + "\n\n"
            + table(["step, in Python", "seconds", "vs simulate()"], rows2)
            + f"\n\nA 30 bn won performance bond: ES(99.9%) changes by {row['change']:,.0f} with standard error "
              f"{row['change_se']:,.0f} on common random numbers; the difference of two independent runs of "
              f"the same size has standard error {fd_se:,.0f}, {fd_se / row['change_se']:.0f}x larger: common "
              f"random numbers save {(fd_se / row['change_se']) ** 2:,.0f}x the simulations.")


# ---------------------------------------------------------------- 9. sweeps

def section_sweep(quick: bool) -> str:
    """A 100-point sweep (10 x 10 grid) on the bundled sample: serial, a local pool and a dask LocalCluster."""
    from riskmodel.sweeps.run import run_sweep
    from riskmodel.sweeps.spec import load_sweep
    from riskmodel.sweeps.store import Store

    sims = 2_000 if quick else 10_000
    rows, tables = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "sweep.toml"
        spec.write_text(f'name = "bench"\nseed = 5\nn_sims = {sims}\nlevels = [0.99, 0.999]\nmethod = "plain"\n'
                        "[grid]\n"
                        '"pd_multipliers.exporter" = [1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8]\n'
                        '"calls.rate_multiplier" = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]\n')
        sweep = load_sweep(spec)
        assert len(sweep.points) == 100
        base = None
        for kind, workers in (("local", 1), ("local", 2), ("dask", 2)):
            out = Path(tmp) / f"{kind}{workers}"
            res = run_sweep(load_sweep(spec), out, kind, workers)
            ppm = res["ran"] / res["seconds"] * 60
            base = base or ppm
            rows.append([f"{kind}, {workers} worker(s)", f"{res['seconds']:.1f}", f"{ppm:.0f}", f"{ppm / base:.2f}x"])
            t = Store(out).read().sort_values(["point", "metric", "level"]).reset_index(drop=True)
            tables[(kind, workers)] = t[["point", "metric", "level", "value", "se"]]
    first = next(iter(tables.values()))
    same = all(t.equals(first) for t in tables.values())
    return (f"### 9. A 100-point sweep (10 x 10 grid: exporter PD multiplier x call-rate multiplier) on the bundled "
            f"sample, {sims:,} plain simulations a point\n\n"
            + table(["executor", "seconds", "points/min", "vs serial"], rows)
            + f"\n\nStores identical across executors: {'yes' if same else 'NO'}. The dask time includes starting "
              f"the LocalCluster and each worker's loading of the cached kernels.")


# ---------------------------------------------------------------- 10. risk transfer

def section_transfer(quick: bool) -> str:
    """What the layers of scenarios/risk_sharing.toml cost beside the same run without them (same draws)."""
    sims = 20_000 if quick else 100_000
    pf = rm.load_portfolio(bundled_sample())
    base = rm.load_scenario()
    sharing = rm.load_scenario(HERE.parent / "scenarios" / "risk_sharing.toml")
    rows = []
    for method in ("plain", "importance"):
        for sc in (base, sharing):
            rm.simulate(pf, sc, n_sims=500, method=method)  # compile outside the timing
        times = {"baseline": [], "risk_sharing": []}
        for _ in range(3):  # alternate, so drifts of the machine fall on both
            for name, sc in (("baseline", base), ("risk_sharing", sharing)):
                t = time.perf_counter()
                rm.simulate(pf, sc, n_sims=sims, seed=1, method=method).metrics(perspective="all")
                times[name].append(time.perf_counter() - t)
        tb, ts = min(times["baseline"]), min(times["risk_sharing"])
        rows.append([method, f"{tb:.2f}", f"{ts:.2f}", f"{ts / tb:.2f}x"])
    return (f"### 10. Risk transfer: `simulate()` + metrics of every perspective on the bundled sample, "
            f"{sims:,} simulations\n\n"
            + table(["method", "baseline s", "risk_sharing.toml s (3 layers)", "ratio"], rows)
            + "\n\nBest of three alternating runs each. The layers read each simulation's claims back once more "
              "per layer (records are written for every simulation when layers exist).")


SECTIONS = {"numpy": section_plain_vs_numpy, "precision": section_time_to_precision, "scaling": section_scaling,
            "full": section_full_model, "cli": section_cli, "lkn": section_lkn,
            "lifetime": section_lifetime, "contributions": section_contributions, "sweep": section_sweep,
            "transfer": section_transfer}


def main(quick: bool, only: list[str] | None, out: Path | None) -> str:
    head = (f"Machine: {platform.machine()}, {os.cpu_count()} cores, numba threads {numba.get_num_threads()}; "
            f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
            f"riskmodel {rm.__version__}; {time.strftime('%Y-%m-%d')}{' (quick)' if quick else ''}")
    parts = [head]
    for name, fn in SECTIONS.items():
        if only and name not in only:
            continue
        t = time.perf_counter()
        text = fn(quick)
        print(text + f"\n\n(section took {time.perf_counter() - t:.0f} s)\n", flush=True)
        parts.append(text)
    doc = "\n\n".join(parts) + "\n"
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(doc)
    return doc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer simulations and seeds (a smoke run)")
    ap.add_argument("--only", nargs="*", choices=list(SECTIONS), help="run only these sections")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    main(a.quick, a.only, a.out)
