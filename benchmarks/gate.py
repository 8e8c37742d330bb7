"""The performance gate: speed ratios against baselines measured in the same process, run by CI.

    python benchmarks/gate.py [--json]

Each figure is how many times faster riskmodel is than a baseline timed in
the same run on the same machine, so a slower or busier machine moves both
sides:

- ``simulate_vs_numpy``: ``simulate()`` end to end (compile, grouping,
  kernel, collection, result, metrics table) against a hand-written NumPy
  Monte Carlo of the same one-factor book, 10,000 obligors, equal
  simulations; ``kernel_vs_numpy``: the kernel alone on the compiled model,
  the figure a slower kernel halves exactly (end to end, a kernel twice as
  slow costs 1.7-1.9x, since compiling and estimating do not slow down);
- ``is_precision_vs_numpy``: time to a 1% relative 95% half-width on
  EC(99.9%), importance sampling against plain NumPy (each time scaled by
  (half-width / 1%)^2; seeds fixed, so only the timings vary);
- ``cli_*_vs_python``: a warm ``riskmodel --help``, ``riskmodel validate``
  and ``riskmodel run`` (bundled sample, 100,000 simulations, importance
  sampling) against a bare ``python -c "import numpy"``.

The gate fails (exit 1) when a figure falls below half of its target, so a
2x regression fails CI and machine noise does not. A target is the figure
recorded in benchmarks/README.md for this version (each at or above the
target its issue set): raise it when a change makes riskmodel faster, and
lower it only with a reason written there. Timings are the best of several
runs, the sides interleaved (riskmodel first in each round). About a minute on the project machine.
"""
from __future__ import annotations

import os

# NumPy's BLAS threads gain the baseline nothing here (its time is the same on one), but they spin after
# each call and take cores from whatever runs next: measured, simulate() ran 0.14 s instead of 0.10 s
# right after the baseline. So the baseline runs on one core, as the tables say.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Targets: the figures recorded in benchmarks/README.md ("Performance gate") for this version, each the best of
# three gate runs on the project machine (2 cores); ordinary runs land within 15% below them.
TARGETS = {
    "simulate_vs_numpy": 55.0,
    "kernel_vs_numpy": 85.0,
    # 18,000x until EC's interval learnt to add EL's error on a lattice (issue 14): same speed, a wider honest
    # interval on this lattice book, so fewer simulations' worth of precision per second (10,800-12,700x)
    "is_precision_vs_numpy": 12700.0,
    "cli_help_vs_python": 1.3,
    "cli_validate_vs_python": 0.13,
    # 0.036 until 0.6.0 (issue 14): the honest intervals cost the warm run about 0.25 s of 2.5 (sectioning
    # VaR and ES under importance sampling, the event-route design), 0.0285-0.0294x
    "cli_run_vs_python": 0.030,
}
N_OBLIGORS, N_SIMS, SEED = 10_000, 20_000, 7


def _best(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _interleaved(fns: dict, repeat: int) -> dict:
    """Best time of each function over ``repeat`` rounds, running them in turn in every round."""
    best = {k: float("inf") for k in fns}
    out = {}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = time.perf_counter()
            out[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return {k: (best[k], out[k]) for k in fns}


def library_figures() -> dict:
    import cases
    from suite import end_to_end, numpy_one_factor

    import riskmodel as rm
    from riskmodel.engine.chunks import run_chunks
    from riskmodel.analysis.estimators import LossSample
    from riskmodel.model.compile import compile_model

    pd_, beta, ead = cases.one_factor_arrays(N_OBLIGORS)
    pf, sc = cases.one_factor(N_OBLIGORS), cases.defaults_only_scenario()
    end_to_end(pf, sc, 200)  # compile or load the kernels
    model = compile_model(pf, sc)
    rm.simulate(pf, sc, n_sims=400, seed=1, levels=[0.999], method="importance")
    # riskmodel first in each round: right after the 4-second NumPy run, whatever runs next is slowed
    # (simulate() measured 0.12 s instead of 0.08 s there), which a user never meets
    runs = _interleaved({
        "simulate": lambda: end_to_end(pf, sc, N_SIMS, SEED),
        "kernel": lambda: run_chunks(model, SEED, N_SIMS),
        "importance": lambda: rm.simulate(pf, sc, n_sims=N_SIMS, seed=SEED, levels=[0.999], method="importance"),
        "numpy": lambda: numpy_one_factor(pd_, beta, ead, N_SIMS, SEED),
    }, repeat=3)
    t_np, losses = runs["numpy"]
    t_sim, res = runs["simulate"]
    t_kernel = runs["kernel"][0]
    t_is, res_is = runs["importance"]
    el_np, el_rm = LossSample(losses).mean(), res.el()
    if abs(el_np.value - el_rm.value) > 4 * (el_np.se ** 2 + el_rm.se ** 2) ** 0.5:
        raise SystemExit("gate: riskmodel and NumPy estimate different expected losses; the comparison is void")

    def to_one_percent(seconds: float, ec) -> float:
        half = (ec.ci_high - ec.ci_low) / 2 / ec.value
        return seconds * (half / 0.01) ** 2

    return {
        "simulate_vs_numpy": t_np / t_sim,
        "kernel_vs_numpy": t_np / t_kernel,
        "is_precision_vs_numpy": to_one_percent(t_np, LossSample(losses).ec(0.999))
        / to_one_percent(t_is, res_is.ec(0.999)),
        "_seconds": {"numpy": t_np, "simulate": t_sim, "kernel": t_kernel, "importance": t_is},
    }


def cli_figures() -> dict:
    from riskmodel.cli import bundled_sample

    exe = Path(sys.executable).parent / "riskmodel"
    cmd = {
        "python": [sys.executable, "-c", "import numpy"],
        "help": [str(exe), "--help"],
        "validate": [str(exe), "validate", str(bundled_sample())],
        "run": [str(exe), "run", "--quiet"],
    }

    def proc(args):
        return lambda: subprocess.run(args, check=True, capture_output=True)

    proc(cmd["run"])()  # warm: the kernels' cache
    runs = _interleaved({k: proc(v) for k, v in cmd.items()}, repeat=5)
    base = runs["python"][0]
    return {"cli_help_vs_python": base / runs["help"][0], "cli_validate_vs_python": base / runs["validate"][0],
            "cli_run_vs_python": base / runs["run"][0],
            "_seconds": {k: v[0] for k, v in runs.items()}}


def main(as_json: bool = False) -> int:
    t0 = time.perf_counter()
    lib, cli = library_figures(), cli_figures()
    figures = {k: v for d in (lib, cli) for k, v in d.items() if not k.startswith("_")}
    seconds = {**lib["_seconds"], **{f"cli {k}": v for k, v in cli["_seconds"].items()}}
    failed = [k for k, v in figures.items() if v < TARGETS[k] / 2]
    if as_json:
        print(json.dumps({"figures": figures, "targets": TARGETS, "seconds": seconds, "failed": failed}, indent=2))
    else:
        print(f"{'figure':<26}{'measured':>12}{'target':>10}{'fails below':>13}")
        for k, v in figures.items():
            mark = "  FAIL" if k in failed else ""
            print(f"{k:<26}{v:>11.3g}x{TARGETS[k]:>9.3g}x{TARGETS[k] / 2:>12.3g}x{mark}")
        print("seconds (best): " + ", ".join(f"{k} {v:.3f}" for k, v in seconds.items()))
        print(f"gate took {time.perf_counter() - t0:.0f} s")
    if failed:
        print(f"performance gate FAILED: {', '.join(failed)} below half of the target "
              "(benchmarks/gate.py; see benchmarks/README.md)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    sys.exit(main(ap.parse_args().json))
