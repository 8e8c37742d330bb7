"""SHA-256 digests of what riskmodel computes on the bundled sample: the yardstick of a refactor.

    python benchmarks/digests.py [--out benchmarks/results/digests.json]

Four runs (plain on the sparse kernel, plain on the dense reference kernel,
importance sampling, a five-year horizon), 20,000 simulations, seed 1: the
per-simulation losses by component and weights, and the metrics table's
numbers. A change that moves code and nothing else leaves every digest as
it was; compare two commits' outputs with ``diff``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

import riskmodel as rm
from riskmodel.inputs.paths import bundled_sample

RUNS = {
    "plain": {"method": "plain"},
    "dense": {"method": "plain", "sampling": "dense"},
    "importance": {"method": "importance"},
    "five_years": {"method": "plain", "horizon_years": 5.0},
}


def _sha(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def digests(n_sims: int = 20_000, seed: int = 1) -> dict:
    pf = rm.load_portfolio(bundled_sample())
    out = {"riskmodel": rm.__version__, "n_sims": n_sims, "seed": seed, "runs": {}}
    for name, how in RUNS.items():
        horizon = how.get("horizon_years")
        sc = rm.scenario_from_dict({"simulation": {"horizon_years": horizon}}) if horizon else None
        res = rm.simulate(pf, sc, n_sims=n_sims, seed=seed, method=how["method"],
                          sampling=how.get("sampling", "sparse"))
        m = res.metrics()
        out["runs"][name] = {
            "losses": _sha(res.total_loss, res.weights),
            "metrics": _sha(m[["value", "se", "ci_low", "ci_high"]].to_numpy(dtype=float)),
            "ec_0.999": float(res.ec(0.999).value),
        }
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    d = digests()
    text = json.dumps(d, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text + "\n")
