"""Run the kernels: compile, cut the simulations into chunks, collect results.

Results depend only on (portfolio, scenario, seed, n_sims): the chunk size,
the number of threads and the number of blocks per chunk change the speed,
never the numbers. Memory is bounded by the chunk for everything but the
per-simulation loss vector, which the tail estimators need.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Iterator

import numba
import numpy as np

from .grouping import build_sparse
from .kernels.one_year import N_COMPONENTS, N_COUNTS, simulate_chunk_nb
from .kernels.sparse import simulate_chunk_sparse_nb
from .kernels.philox import seed_to_key
from .model import CompiledModel, compile_model
from .portfolio import Portfolio
from .results import SimulationResult
from .scenario import Scenario, load_scenario

DEFAULT_CHUNK = 50_000


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[None]:
    """Temporarily run numba's parallel loops on ``n`` threads."""
    if n is None:
        yield
        return
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def kernels_cached() -> bool:
    """True when numba's on-disk cache holds the kernels, so a run will not compile them."""
    try:
        index = simulate_chunk_nb._cache._cache_file._index_path
    except AttributeError:  # numba internals moved: do not claim a compile we cannot see
        return True
    return os.path.exists(index)


SAMPLINGS = ("sparse", "dense")


def run_chunks(model: CompiledModel, seed: int, n_sims: int, chunk_size: int | None = None,
               progress=None, sampling: str = "sparse") -> tuple[np.ndarray, np.ndarray]:
    """Losses by component (n x 3) and event counts (n x 4) for simulations 0..n-1.

    ``sampling="sparse"`` (the default) samples defaults group by group at a
    cost that follows the defaults; ``"dense"`` draws every latent in every
    simulation and is kept as the reference the sparse path is tested against.
    """
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    sparse = build_sparse(model.arrays) if sampling == "sparse" else None
    k0, k1 = seed_to_key(seed)
    chunk = int(chunk_size or DEFAULT_CHUNK)
    if chunk < 1:
        raise ValueError("chunk_size must be >= 1")
    loss = np.zeros((n_sims, N_COMPONENTS))
    count = np.zeros((n_sims, N_COUNTS), dtype=np.int32)
    n_blocks = 4 * numba.get_num_threads()
    for s in range(0, n_sims, chunk):
        e = min(s + chunk, n_sims)
        if sparse is not None:
            simulate_chunk_sparse_nb(model.arrays, sparse, k0, k1, s, n_blocks, loss[s:e], count[s:e])
        else:
            simulate_chunk_nb(model.arrays, k0, k1, s, n_blocks, loss[s:e], count[s:e])
        if progress is not None:
            progress(e - s)
    return loss, count


def simulate(portfolio: Portfolio, scenario: Scenario | None = None, *, n_sims: int | None = None,
             seed: int | None = None, levels: list[float] | None = None, chunk_size: int | None = None,
             n_threads: int | None = None, progress: bool = False) -> SimulationResult:
    """Simulate the portfolio's one-year loss distribution under a scenario.

    ``n_sims``, ``seed`` and ``levels`` override the scenario's ``[simulation]``
    values. ``chunk_size`` and ``n_threads`` change only speed and memory.
    """
    scenario = scenario if scenario is not None else load_scenario()
    scenario = scenario.with_overrides(n_sims=n_sims, seed=seed, levels=levels)
    sim = scenario.simulation
    model = compile_model(portfolio, scenario)
    t0 = time.perf_counter()
    with threads(n_threads), _progress(progress, sim.n_sims) as tick:
        loss, count = run_chunks(model, sim.seed, sim.n_sims, chunk_size, tick)
    elapsed = time.perf_counter() - t0
    return SimulationResult(
        loss=loss, count=count, weight=None, scenario=scenario, portfolio=portfolio, model=model,
        elapsed=elapsed, run_info={"chunk_size": int(chunk_size or DEFAULT_CHUNK),
                                   "threads": int(n_threads or numba.get_num_threads())},
    )


@contextlib.contextmanager
def _progress(enabled: bool, total: int):
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(file=sys.stderr)
    cols = (TextColumn("simulating"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
            TimeRemainingColumn())
    with Progress(*cols, console=console, transient=True) as bar:
        task = bar.add_task("sims", total=total)
        yield lambda k: bar.advance(task, k)
