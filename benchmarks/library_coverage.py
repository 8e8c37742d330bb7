"""Importance sampling on the scenario library: does it find every route to the tail?

    python benchmarks/library_coverage.py [--seeds 200] [--sims 4000] [--scenarios baseline,...]
                                          [--truth-sims 10000000] [--out benchmarks/results/library_coverage.md]

No closed form exists for the bundled sample book (country events, calls
without default, FX, several factors), so the truth is a long plain run
(``--truth-sims``, fixed seed), kept in ``benchmarks/results/library_truth.json``
with the commit and version it was measured at and reused while the scenario
files, the sample and the version are unchanged. Each scenario of
``scenarios/`` then runs with importance sampling at ``--sims`` over
``--seeds`` seeds exactly as a user runs it, and each figure is compared with
the truth. The truth's own standard error is folded in: a seed covers when
the truth lies inside its interval widened in quadrature by 1.96 truth
standard errors, and z = (estimate - truth) / sqrt(se^2 + se_truth^2).

Issue 14's bar: no seed beyond 5 standard errors, coverage 93-97% and
sd / se 0.9-1.1 wherever the product does not warn (verdicts as in
``calibration.py``).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import riskmodel as rm  # noqa: E402
from calibration import _ratio, progress, verdict, write_study  # noqa: E402
from riskmodel.cli import bundled_sample  # noqa: E402

LEVELS = (0.99, 0.999)
ESTIMATORS = [("el", None)] + [(m, lv) for lv in LEVELS for m in ("var", "es", "ec")]
TRUTH_FILE = HERE / "results" / "library_truth.json"
TRUTH_SEED = 20_261_130


def library() -> dict[str, Path]:
    return {p.stem: p for p in sorted((ROOT / "scenarios").glob("*.toml"))}


def _pick(m: pd.DataFrame, metric: str, level) -> pd.Series:
    sel = (m["metric"] == metric) & (m["level"].isna() if level is None else (m["level"] == level))
    return m[sel].iloc[0]


def _key(metric: str, level) -> str:
    return metric if level is None else f"{metric}@{level}"


def _fingerprint(path: Path, portfolio) -> str:
    h = hashlib.sha256(path.read_bytes())
    h.update((ROOT / "scenarios" / "baseline.toml").read_bytes())
    h.update(portfolio.content_hash.encode())
    return h.hexdigest()


def truths(names: list[str], n_sims: int) -> dict:
    """Long plain runs, one per scenario; cached while inputs, version and run size are unchanged."""
    cache = json.loads(TRUTH_FILE.read_text()) if TRUTH_FILE.exists() else {}
    pf = rm.load_portfolio(bundled_sample())
    lib = library()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    for name in names:
        fp = _fingerprint(lib[name], pf)
        got = cache.get(name)
        if got and got["fingerprint"] == fp and got["n_sims"] == n_sims and got["version"] == rm.__version__:
            continue
        t = time.perf_counter()
        res = rm.simulate(pf, rm.load_scenario(lib[name]), n_sims=n_sims, seed=TRUTH_SEED, method="plain",
                          levels=list(LEVELS))
        m = res.metrics(levels=list(LEVELS))
        cache[name] = {"fingerprint": fp, "n_sims": n_sims, "seed": TRUTH_SEED, "version": rm.__version__,
                       "commit": commit, "date": time.strftime("%Y-%m-%d"),
                       "figures": {_key(k, lv): {"value": float(_pick(m, k, lv).value), "se": float(_pick(m, k, lv).se)}
                                   for k, lv in ESTIMATORS}}
        print(f"truth {name}: {n_sims:,} plain simulations in {time.perf_counter() - t:.0f} s", flush=True)
        TRUTH_FILE.parent.mkdir(parents=True, exist_ok=True)
        TRUTH_FILE.write_text(json.dumps(cache, indent=1))
    return {n: cache[n] for n in names}


def run_scenario(name: str, truth: dict, n_sims: int, seeds: int, method: str, routes: int | None = None,
                 share: float | None = None) -> list[dict]:
    pf = rm.load_portfolio(bundled_sample())
    sc = rm.load_scenario(library()[name])
    if routes is not None or share is not None:  # another design of the event routes, for comparison
        upd = {k: v for k, v in (("event_routes", routes), ("event_share", share)) if v is not None}
        imp = sc.simulation.importance.model_copy(update=upd)
        sc = sc.model_copy(update={"simulation": sc.simulation.model_copy(update={"importance": imp})})
    acc = {e: {"est": [], "se": [], "z": [], "cover": [], "warned": []} for e in ESTIMATORS}
    for s in range(seeds):
        res = rm.simulate(pf, sc, n_sims=n_sims, seed=5_000 + s, method=method, levels=list(LEVELS))
        m = res.metrics(levels=list(LEVELS))
        for k, lv in ESTIMATORS:
            r = _pick(m, k, lv)
            t = truth["figures"][_key(k, lv)]
            tv, ts = t["value"], t["se"]
            lo = r.value - np.hypot(r.value - r.ci_low, 1.96 * ts)
            hi = r.value + np.hypot(r.ci_high - r.value, 1.96 * ts)
            d = acc[(k, lv)]
            d["est"].append(r.value)
            d["se"].append(r.se)
            se = np.hypot(r.se, ts)
            d["z"].append((r.value - tv) / se if se > 0 else (0.0 if r.value == tv else np.inf))
            d["cover"].append(lo <= tv <= hi)
            d["warned"].append(bool(str(r.get("warning", "") or "")))
    out = []
    for (k, lv), d in acc.items():
        est, se, z = np.array(d["est"]), np.array(d["se"]), np.array(d["z"])
        cover, warned = np.array(d["cover"]), np.array(d["warned"])
        ok = ~warned
        out.append({"case": name, "method": method, "n_sims": n_sims, "estimator": _key(k, lv),
                    "truth": truth["figures"][_key(k, lv)]["value"],
                    "truth_se": truth["figures"][_key(k, lv)]["se"],
                    "coverage": float(cover.mean()),
                    "coverage_unwarned": float(cover[ok].mean()) if ok.any() else np.nan,
                    "n_unwarned": int(ok.sum()), "warned": float(warned.mean()),
                    "sd_over_se": _ratio(est, se), "sd_over_se_unwarned": _ratio(est[ok], se[ok]),
                    "max_abs_z": float(np.abs(z).max()), "mean_z": float(z.mean()),
                    "rel_se": float(se.mean() / abs(truth["figures"][_key(k, lv)]["value"])),
                    "beyond_5se": int((np.abs(z) > 5).sum())})
    return out


def report(df: pd.DataFrame, seeds: int, seconds: float, truth: dict) -> str:
    any_t = next(iter(truth.values()))
    lines = [f"riskmodel {rm.__version__}; {time.strftime('%Y-%m-%d')}; {seeds} seeds per row; {seconds:.0f} s; "
             f"truth: {any_t['n_sims']:,} plain simulations per scenario (commit {any_t['commit']})", "",
             "| scenario | method | sims | estimator | truth (bn) | mean se / truth | coverage | unwarned: coverage | "
             "sd/se | mean z | max abs z | seeds beyond 5 se | warned | verdict |",
             "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in df.itertuples():
        se_cov = np.sqrt(max(r.coverage * (1 - r.coverage), 1e-12) / seeds)
        lines.append(f"| {r.case} | {r.method} | {r.n_sims:,} | {r.estimator} | {r.truth / 1e9:,.2f} +- "
                     f"{r.truth_se / 1e9:.2f} | {100 * r.rel_se:.2f}% | {100 * r.coverage:.1f}% +- {100 * se_cov:.1f} | "
                     f"{'' if np.isnan(r.coverage_unwarned) else f'{100 * r.coverage_unwarned:.1f}%'} | "
                     f"{r.sd_over_se:.2f} | {r.mean_z:+.2f} | {r.max_abs_z:.1f} | {r.beyond_5se} | "
                     f"{100 * r.warned:.0f}% | {r.verdict} |")
    return "\n".join(lines) + "\n"


def main(seeds: int, n_sims: int, names: list[str] | None, truth_sims: int, out: Path | None,
         method: str, routes: int | None = None, share: float | None = None) -> pd.DataFrame:
    names = names or list(library())
    t0 = time.perf_counter()
    truth = truths(names, truth_sims)
    rows = []
    for name in names:
        t = time.perf_counter()
        got = run_scenario(name, truth[name], n_sims, seeds, method, routes, share)
        for r in got:
            r["verdict"] = verdict(r, seeds)
        rows += got
        progress(name, time.perf_counter() - t, got, z=True)
    df = pd.DataFrame(rows)
    if out:
        write_study(out, df, report(df, seeds, time.perf_counter() - t0, truth))
    return df


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--sims", type=int, default=4_000)
    ap.add_argument("--truth-sims", type=int, default=10_000_000)
    ap.add_argument("--scenarios", default=None, help="comma-separated names from scenarios/ (default: all)")
    ap.add_argument("--method", default="importance")
    ap.add_argument("--event-routes", type=int, default=None,
                    help="override simulation.importance.event_routes (0: the design without event routes)")
    ap.add_argument("--event-share", type=float, default=None, help="override simulation.importance.event_share")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    main(a.seeds, a.sims, a.scenarios.split(",") if a.scenarios else None, a.truth_sims, a.out, a.method,
         a.event_routes, a.event_share)
