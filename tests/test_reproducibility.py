"""Same inputs + seed + n_sims = same numbers, bit for bit, whatever threads or chunks.

Each property is checked on all three kernels: sparse (the default), dense
(the reference) and importance sampling (which also returns weights).
"""
import hashlib
import json
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

import riskmodel as rm
from riskmodel.engine.chunks import run_chunks, run_chunks_is, sparse_index
from riskmodel.model.importance import design
from riskmodel.model.compile import compile_model

from conftest import REPO, SAMPLE

FULL = {  # every component on: t copula, beta LGDs, events, both kinds of calls
    "copula": {"kind": "student_t", "dof": 5.0},
    "country_events": {"probability": {"IRQ": 0.3, "EGY": 0.2}},
}


KERNELS = ("sparse", "dense", "importance")


@pytest.fixture(scope="module")
def model(sample_portfolio):
    return compile_model(sample_portfolio, rm.scenario_from_dict(FULL))


def run(model, kernel, seed, n_sims, chunk_size=None):
    """(loss, count) with, for importance sampling, the weights appended as a last loss column."""
    if kernel == "importance":
        params, _ = design(model, sparse_index(model), 0.999, 0.1, 8, routes=6, route_share=0.25)
        assert params.ev_lat.size > 0  # the event routes' components are exercised too
        loss, count, weight, _ = run_chunks_is(model, params, seed, n_sims, chunk_size)
        # the raw kernel weight (before the engine's cell-count correction) is what must repeat
        return np.column_stack([loss, weight]), count
    return run_chunks(model, seed, n_sims, chunk_size, sampling=kernel)


def _digest(loss, count):
    return hashlib.sha256(loss.tobytes() + count.tobytes()).hexdigest()


@pytest.mark.parametrize("kernel", KERNELS)
def test_chunk_size_does_not_change_results(model, kernel):
    ref = run(model, kernel, seed=5, n_sims=3000, chunk_size=3000)
    for chunk in (1, 7, 1000, 2999):
        loss, count = run(model, kernel, seed=5, n_sims=3000, chunk_size=chunk)
        assert np.array_equal(loss, ref[0]) and np.array_equal(count, ref[1])


@pytest.mark.parametrize("kernel", KERNELS)
def test_thread_count_does_not_change_results(model, kernel):
    old = numba.get_num_threads()
    try:
        out = []
        for t in range(1, numba.config.NUMBA_NUM_THREADS + 1):
            numba.set_num_threads(t)
            out.append(_digest(*run(model, kernel, seed=5, n_sims=5000)))
    finally:
        numba.set_num_threads(old)
    assert len(set(out)) == 1


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_shorter_run_is_a_prefix_of_a_longer_one(model, kernel):
    short = run(model, kernel, seed=2, n_sims=500)
    long = run(model, kernel, seed=2, n_sims=2000, chunk_size=300)
    assert np.array_equal(long[0][:500], short[0]) and np.array_equal(long[1][:500], short[1])
    other = run(model, kernel, seed=3, n_sims=500)
    assert not np.array_equal(other[0], short[0])


_SCRIPT = """
import hashlib, json, sys
import riskmodel as rm
sys.path.insert(0, sys.argv[6])
from test_reproducibility import run
from riskmodel.model.compile import compile_model
pf = rm.load_portfolio(sys.argv[1])
m = compile_model(pf, rm.scenario_from_dict(json.loads(sys.argv[2])))
loss, count = run(m, sys.argv[5], seed=5, n_sims=int(sys.argv[3]), chunk_size=int(sys.argv[4]))
print(json.dumps({"loss": loss.tolist(), "count": count.tolist()}))
"""


def _subprocess(env_extra, n, chunk, kernel):
    env = {**os.environ, **env_extra}
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(SAMPLE), json.dumps(FULL), str(n), str(chunk), kernel,
                          str(REPO / "tests")],
                         capture_output=True, text=True, env=env, cwd=REPO, check=True)
    d = json.loads(out.stdout)
    return np.array(d["loss"]), np.array(d["count"], dtype=np.int32)


@pytest.mark.parametrize("kernel", KERNELS)
def test_single_threaded_process_gives_the_same_bits(model, kernel):
    loss, count = _subprocess({"NUMBA_NUM_THREADS": "1"}, 2000, 333, kernel)
    ref = run(model, kernel, seed=5, n_sims=2000)
    assert np.array_equal(loss, ref[0]) and np.array_equal(count, ref[1])


@pytest.mark.parametrize("kernel", KERNELS)
def test_plain_python_twin_matches_the_compiled_kernels(model, kernel):
    """NUMBA_DISABLE_JIT runs every kernel as plain Python (coverage of the kernels' logic)."""
    loss, count = _subprocess({"NUMBA_DISABLE_JIT": "1"}, 150, 40, kernel)
    ref_loss, ref_count = run(model, kernel, seed=5, n_sims=150)
    assert np.array_equal(count, ref_count)
    # libm and LLVM may differ in the last bit of log/exp; losses agree to rounding
    assert np.allclose(loss, ref_loss, rtol=1e-12, atol=0)
    assert (ref_count[:, 3] > 0).any() and (ref_loss > 0).any()  # the sample exercises calls and losses


@pytest.mark.parametrize("method", ["plain", "importance"])
def test_simulate_is_repeatable_end_to_end(sample_portfolio, method):
    a = rm.simulate(sample_portfolio, n_sims=2000, seed=9, chunk_size=700, method=method)
    b = rm.simulate(sample_portfolio, n_sims=2000, seed=9, chunk_size=2000, n_threads=1, method=method)
    assert a.metrics().equals(b.metrics())
    assert a.losses.equals(b.losses)


def test_kernel_cache_is_keyed_by_all_kernel_sources():
    """A change in any kernel file must not leave a stale compiled callee in numba's cache."""
    import riskmodel.kernels as k
    from riskmodel.kernels.distributions import gamma_nb
    from riskmodel.kernels.chunk import simulate_chunk_nb

    assert k.CACHE_DIR.endswith(k.KERNEL_SOURCE_HASH)
    for fn in (gamma_nb, simulate_chunk_nb):
        assert fn._cache._cache_path.startswith(k.CACHE_DIR)


def test_kernel_cache_key_changes_when_a_kernel_changes_or_a_module_moves(tmp_path):
    """numba's cache index pickles the kernels' argument types by module path: after a module moves, an old
    index cannot be read (it raised AttributeError on the first run after the move), so a move is a new key."""
    import shutil
    from pathlib import Path

    import riskmodel.kernels as k

    pkg = tmp_path / "riskmodel"
    shutil.copytree(Path(k.__file__).parents[1], pkg, ignore=shutil.ignore_patterns("__pycache__", "data"))
    kernels = pkg / "kernels"
    base = k._kernel_source_hash(kernels)
    assert base == k.KERNEL_SOURCE_HASH  # the copy hashes as the installed package does
    (pkg / "model" / "compile.py").rename(pkg / "model" / "compiled.py")
    moved = k._kernel_source_hash(kernels)
    assert moved != base
    (kernels / "claims.py").write_text((kernels / "claims.py").read_text() + "\n# changed\n")
    assert k._kernel_source_hash(kernels) not in (base, moved)
