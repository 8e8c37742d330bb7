"""Cut simulations into chunks and run a kernel on them: the numbers depend only on (model, seed, simulation).

Any split of a run into ranges of simulations (chunk size, threads, blocks
per chunk, machines) merges into the same numbers as the whole run. What a
run collects of its claims (``collect.ClaimsCollector``) decides what the
kernels compute.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Iterator

import numba
import numpy as np

from ..inputs.scenario import Scenario
from ..kernels.chunk import simulate_chunk_nb
from ..kernels.one_year import N_COMPONENTS, N_COUNTS
from ..kernels.philox import seed_to_key
from ..model.arrays import CompiledModel
from ..model.grouping import build_sparse, timed_latents
from ..model.importance import ISParams, design
from .collect import ClaimsCollector

DEFAULT_CHUNK = 50_000
NO_WEIGHTS = np.empty(0)  # plain runs have no likelihood ratios: the driver never writes here
NO_STATE = (np.empty((0, 0)), np.empty((0, 0), dtype=np.uint8))  # runs that keep no factors or defaults


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


def kernels_cached(method: str = "plain", sampling: str = "sparse") -> bool:
    """True when numba's on-disk cache holds the kernel a run will use, so it will not compile it.

    The one chunk driver compiles once per kernel (dense, sparse, importance:
    told apart by which of its index arguments are None), so the cache's
    index is asked for that signature.
    """
    try:
        index = simulate_chunk_nb._cache._cache_file._load_index()
    except (AttributeError, OSError, EOFError, ValueError):  # numba internals moved: claim no compile we cannot see
        return True
    want = {"importance": ("g", "ip"), "dense": ()}.get(method if method == "importance" else sampling, ("g",))
    for key in index:
        sig = key[0]
        given = tuple(name for name, t in (("g", sig[1]), ("ip", sig[2])) if str(t) != "none")
        if given == want:
            return True
    return False


SAMPLINGS = ("sparse", "dense")


def run_chunks(model: CompiledModel, seed: int, n_sims: int, chunk_size: int | None = None,
               progress=None, sampling: str = "sparse", first_sim: int = 0,
               collector: ClaimsCollector | None = None, sims: np.ndarray | None = None, state=None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Losses by component (n x ``loss_width``: 3 without risk transfer) and event counts (n x 4) for
    simulations first_sim .. first_sim + n - 1
    (or for the simulations ``sims``, any subset of indices: the tail replayed for contributions).

    Any split of a run into ranges of simulations, computed anywhere, merges
    into the same numbers as the whole run.

    ``sampling="sparse"`` (the default) samples defaults group by group at a
    cost that follows the defaults; ``"dense"`` draws every latent in every
    simulation and is kept as the reference the sparse path is tested against.
    ``collector`` receives the claims (cash flows, per-cover sums); without one
    they are dropped. ``state``, a pair of arrays (n x factors, n x latents uint8), receives each
    simulation's factors and defaults.
    """
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    collector = collector or _dropping(model)
    keep = collector.keeps
    sparse = sparse_index(model, collector.dated) if sampling == "sparse" else None
    k0, k1 = seed_to_key(seed)
    index = _index(first_sim, n_sims, sims)
    n_sims = index.shape[0]
    loss = np.zeros((n_sims, loss_width(model)))
    count = np.zeros((n_sims, N_COUNTS), dtype=np.int32)

    def kernel(s, e, n_blocks, rec):
        z, d = _state_rows(state, s, e)
        simulate_chunk_nb(model.arrays, sparse, None, k0, k1, index[s:e], n_blocks, loss[s:e], count[s:e], NO_WEIGHTS,
                          rec, keep, z, d)

    _in_chunks(n_sims, chunk_size, progress, _with_claims(kernel, collector, loss, lambda i, j: np.ones(j - i)))
    return loss, count


def _state_rows(state, s: int, e: int):
    if state is None:
        return NO_STATE
    z, d = state
    d[s:e] = 0  # a range the sink overflowed runs again: its defaults start afresh
    return z[s:e], d[s:e]


def loss_width(model: CompiledModel) -> int:
    """Columns of the kernels' loss array: the 3 components in the run's perspective, then, with risk transfer,
    the gross total and each layer's ceded total (``kernels.transfer``)."""
    n_layers = model.arrays.rt_kind.shape[0]
    return N_COMPONENTS + (1 + n_layers if n_layers else 0)


def _index(first_sim: int, n_sims: int, sims: np.ndarray | None) -> np.ndarray:
    if sims is None:
        return np.arange(first_sim, first_sim + n_sims, dtype=np.int64)
    return np.ascontiguousarray(sims, dtype=np.int64)


def _dropping(model: CompiledModel) -> ClaimsCollector:
    return ClaimsCollector(0, len(model.covers), model.arrays.horizon, _default_scenario(), lifetime=False)


@functools.lru_cache(maxsize=1)
def _default_scenario() -> Scenario:
    return Scenario()  # a collector that keeps nothing reads none of it; built once (pydantic copies defaults)


def _with_claims(kernel, collector: ClaimsCollector, loss: np.ndarray, weight_of):
    """A chunk runner that gives the kernel room for the claims, reruns a range that overflowed, and
    hands the records to the collector with the weights ``weight_of(i, j)`` of simulations ``i .. j - 1``."""
    def run(s, e, n_blocks):
        i = s
        while i < e:
            j = min(e, i + collector.sub_size())
            rec = collector.buffers(j - i, max(1, min(j - i, n_blocks)))
            kernel(i, j, n_blocks, rec)
            if not collector.fits(rec):
                continue
            collector.reduce(i, j, rec, weight_of(i, j), loss[i:j, :N_COMPONENTS].sum(axis=1))
            collector.adapt(j - i, rec)
            i = j
    return run


def _in_chunks(n_sims: int, chunk_size: int | None, progress, run) -> None:
    """Call ``run(start, end, n_blocks)`` chunk by chunk, reporting progress after each."""
    size = int(chunk_size or DEFAULT_CHUNK)
    if size < 1:
        raise ValueError("chunk_size must be >= 1")
    n_blocks = 4 * numba.get_num_threads()
    for s in range(0, n_sims, size):
        e = min(s + size, n_sims)
        run(s, e, n_blocks)
        if progress is not None:
            progress(e - s)


def sparse_index(model: CompiledModel, dated: bool = True):
    """The model's sparse index, built once per compiled model; ``dated``: every obligor with a cover
    gets its default time (claims carry dates), else only those whose time changes a loss."""
    if dated not in model.sparse:
        base = model.sparse[not dated] if (not dated) in model.sparse else build_sparse(model.arrays)
        model.sparse[dated] = base._replace(lat_timed=timed_latents(model.arrays, dated))
    return model.sparse[dated]


def run_chunks_is(model: CompiledModel, params: ISParams, seed: int, n_sims: int, chunk_size: int | None = None,
                  progress=None, first_sim: int = 0, collector: ClaimsCollector | None = None,
                  sims: np.ndarray | None = None, state=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Importance-sampled losses, counts, likelihood-ratio weights and design cells.

    The weights are the kernel's own (a pure function of seed and simulation);
    ``cell_corrected`` turns them into the stratified estimator's, and the
    collector receives the corrected ones.
    """
    k0, k1 = seed_to_key(seed)
    collector = collector or _dropping(model)
    keep = collector.keeps
    sparse = sparse_index(model, collector.dated)
    index = _index(first_sim, n_sims, sims)
    n_sims = index.shape[0]
    loss = np.zeros((n_sims, loss_width(model)))
    count = np.zeros((n_sims, N_COUNTS), dtype=np.int32)
    weight = np.zeros(n_sims)
    cells = index % params.n_cells
    factor = cell_corrected(np.ones(n_sims), cells, params.n_cells)

    def kernel(s, e, n_blocks, rec):
        z, d = _state_rows(state, s, e)
        simulate_chunk_nb(model.arrays, sparse, params, k0, k1, index[s:e], n_blocks, loss[s:e], count[s:e],
                          weight[s:e], rec, keep, z, d)

    # the collector sees the corrected weights of a range once the kernel has filled it
    _in_chunks(n_sims, chunk_size, progress,
               _with_claims(kernel, collector, loss, lambda i, j: weight[i:j] * factor[i:j]))
    return loss, count, weight, cells


def cell_corrected(weight: np.ndarray, cells: np.ndarray, n_cells: int) -> np.ndarray:
    """Weights times (target share / actual share) of each design cell.

    When ``n_sims`` is not a multiple of the cells, some hold one simulation
    more; this makes the weighted mean exactly the stratified estimator
    ``sum_r mean_r / n_cells``.
    """
    per_cell = np.bincount(cells, minlength=n_cells)
    return weight * ((cells.size / n_cells) / per_cell[cells])


def weight_bound(params: ISParams, cells: np.ndarray) -> float | None:
    """The largest weight the design can give anywhere: 1 / the defensive share (the mixture weight is
    ``1 / (lam0 + ...)``), times the largest cell correction; None without a defensive share."""
    if params.n_plain == 0:
        return None
    per_cell = np.bincount(cells, minlength=params.n_cells)
    per_cell = per_cell[per_cell > 0]
    return float(params.n_cells / params.n_plain * ((cells.size / params.n_cells) / per_cell).max())


def is_design(model: CompiledModel, scenario: Scenario):
    """The importance-sampling design of ``model`` under the scenario's ``[simulation.importance]``."""
    sim = scenario.simulation
    imp = sim.importance
    return design(model, sparse_index(model), imp.level or max(sim.levels), imp.defensive, imp.strata, imp.twisted,
                  imp.event_routes, imp.event_share)
