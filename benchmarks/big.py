"""The full model at scale: 1,000,000 covers x 100,000 simulations, end to end, with peak memory.

    python benchmarks/big.py [--covers 1000000] [--sims 100000] [--method plain]

The portfolio is the synthetic generator's (``riskmodel sample``: concentrated
in a few countries and exporters, every product, calls, country events, beta
LGDs), written once as Parquet under benchmarks/.cache. The run itself goes
in a fresh process so that its peak resident memory is its own: load and
validate, compile, simulate, estimate the metrics.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"


def make_portfolio(covers: int, seed: int = 2026) -> Path:
    from riskmodel.inputs.sample import write_sample

    d = CACHE / f"sample_{covers}"
    if not (d / "covers.parquet").exists():
        t = time.perf_counter()
        write_sample(d, covers, seed, "parquet")
        print(f"generated {covers:,} covers in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return d


def run(path: str, sims: int, method: str) -> dict:
    import numba

    import riskmodel as rm
    from cases import peak_mib

    stages = {}
    t = time.perf_counter()
    pf = rm.load_portfolio(path)
    stages["load_validate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    res = rm.simulate(pf, n_sims=sims, seed=1, method=method)
    stages["compile_simulate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    m = res.metrics()
    stages["metrics_s"] = time.perf_counter() - t
    stages["kernel_s"] = res.elapsed
    ec = m[(m.metric == "ec") & (m.level == 0.999)].iloc[0]
    return {"covers": len(pf.covers), "live_covers": len(res.model.covers), "latents": len(res.model.latents),
            "sims": sims, "method": res.method, "threads": numba.get_num_threads(), **stages,
            "total_s": sum(v for k, v in stages.items() if k != "kernel_s"),
            "peak_mib": peak_mib(),
            "ec_999": float(ec.value), "ec_999_rel_se": float(ec.se / ec.value)}


def main(covers: int, sims: int, method: str) -> dict:
    d = make_portfolio(covers)
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import big; "
            f"print(json.dumps(big.run({str(d)!r}, {sims}, {method!r})))")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["process_wall_s"] = wall
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--covers", type=int, default=1_000_000)
    ap.add_argument("--sims", type=int, default=100_000)
    ap.add_argument("--method", choices=["plain", "importance", "auto"], default="plain")
    a = ap.parse_args()
    print(json.dumps(main(a.covers, a.sims, a.method), indent=2))
