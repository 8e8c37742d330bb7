"""One run: validate the run's size, compile the model, choose the design, run the chunks, time them.

``run`` returns arrays and records (``Run``); ``analysis.simulation.simulate``
wraps them in a result. Memory is bounded by the chunk for everything but a
few numbers per simulation (its losses, counts and weights, which the tail
estimators need); ``memory.check_fits`` refuses a run whose per-simulation
arrays would not fit before anything is compiled.
"""
from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np

from ..inputs.errors import InputError, Problem
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario, load_scenario
from ..kernels.one_year import N_COMPONENTS
from ..model.compile import CompiledModel, compile_model
from .chunks import DEFAULT_CHUNK, cell_corrected, is_design, run_chunks, run_chunks_is, threads, weight_bound
from .collect import SPILL_BYTES, ClaimsCollector, n_periods
from .memory import check_fits, per_simulation

AUTO_IMPORTANCE_LEVEL = 0.99  # method = "auto" samples by importance when a level reaches this


def resolve_method(scenario: Scenario) -> str:
    sim = scenario.simulation
    if sim.method == "auto":
        return "importance" if max(sim.levels) >= AUTO_IMPORTANCE_LEVEL else "plain"
    return sim.method


@dataclass(frozen=True)
class Run:
    """What a run computed: per-simulation arrays, what it collected of the claims, and how to replay it.

    ``loss`` (n x 3 by component, in the scenario's perspective), ``transfer``
    (with risk transfer, n x (1 + layers): the gross total and each layer's
    ceded total; else None), ``count`` (n x 4), and under importance
    sampling ``weight`` (the stratified estimator's weights) and ``cells``
    (each simulation's design cell); ``replay(sims, collector)`` runs the
    simulations ``sims`` again (the same draws), their claims into
    ``collector``, and returns their losses by component.
    """
    loss: np.ndarray
    transfer: np.ndarray | None
    count: np.ndarray
    weight: np.ndarray | None
    cells: np.ndarray | None
    scenario: Scenario
    portfolio: Portfolio
    model: CompiledModel
    elapsed: float
    run_info: dict
    claims: ClaimsCollector
    replay: Callable[[np.ndarray, ClaimsCollector], np.ndarray]


def run(portfolio: Portfolio, scenario: Scenario | None = None, *, n_sims: int | None = None,
        seed: int | None = None, levels: list[float] | None = None, method: str | None = None,
        chunk_size: int | None = None, n_threads: int | None = None, progress: bool = False,
        sampling: str = "sparse", cover_segment=None, n_segments: int = 0, lifetime: bool | None = None,
        perspective: str | None = None) -> Run:
    """The run ``analysis.simulation.simulate`` describes (same arguments), as arrays and records."""
    scenario = scenario if scenario is not None else load_scenario()
    scenario = scenario.with_overrides(n_sims=n_sims, seed=seed, levels=levels, method=method)
    scenario = scenario.with_perspective(perspective)
    sim = scenario.simulation
    how = resolve_method(scenario)
    _check_design(how, sampling, sim)
    lifetime = sim.horizon_years > 1.0 if lifetime is None else bool(lifetime)
    check_fits(sim.n_sims, per_simulation(how == "importance", lifetime, n_segments,
                                          n_periods(scenario, sim.horizon_years), SPILL_BYTES, sim.n_sims))
    model = compile_model(portfolio, scenario)
    run_info = {"method": how, "sampling": sampling, "chunk_size": int(chunk_size or DEFAULT_CHUNK),
                "threads": int(n_threads or numba.get_num_threads())}
    weight = cells = params = None
    if callable(cover_segment):
        cover_segment = cover_segment(model.covers)
    run_info["lifetime_collected"] = lifetime
    collector = ClaimsCollector(sim.n_sims, len(model.covers), model.arrays.horizon, scenario,
                                cover_segment, n_segments, lifetime=lifetime)
    t0 = time.perf_counter()
    if how == "importance":
        params, record = is_design(model, scenario)
        run_info["importance"] = record
        with threads(n_threads), _progress(progress, sim.n_sims) as tick:
            loss, count, weight, cells = run_chunks_is(model, params, sim.seed, sim.n_sims, chunk_size, tick,
                                                       collector=collector)
        weight = cell_corrected(weight, cells, params.n_cells)
        run_info["weight_bound"] = weight_bound(params, cells)
    else:
        with threads(n_threads), _progress(progress, sim.n_sims) as tick:
            loss, count = run_chunks(model, sim.seed, sim.n_sims, chunk_size, tick, sampling, collector=collector)
    elapsed = time.perf_counter() - t0
    loss, transfer = split_losses(loss)

    def replay(sims: np.ndarray, col: ClaimsCollector, state=None) -> np.ndarray:
        """Losses by component of the simulations ``sims`` run again, their claims into ``col`` (and their
        factors and defaults into ``state``, a pair of arrays, when given)."""
        with threads(n_threads):
            if params is not None:
                again = run_chunks_is(model, params, sim.seed, 0, chunk_size, collector=col, sims=sims,
                                      state=state)[0]
            else:
                again = run_chunks(model, sim.seed, 0, chunk_size, sampling=sampling, collector=col, sims=sims,
                                   state=state)[0]
        return split_losses(again)[0]

    return Run(loss=loss, transfer=transfer, count=count, weight=weight, cells=cells, scenario=scenario,
               portfolio=portfolio, model=model, elapsed=elapsed, run_info=run_info, claims=collector, replay=replay)


def split_losses(loss: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The kernels' loss columns as (components in the perspective, gross and ceded totals or None)."""
    if loss.shape[1] == N_COMPONENTS:
        return loss, None
    return np.ascontiguousarray(loss[:, :N_COMPONENTS]), np.ascontiguousarray(loss[:, N_COMPONENTS:])


def _check_design(how: str, sampling: str, sim) -> None:
    if how == "importance" and sampling != "sparse":
        raise ValueError("importance sampling runs on the sparse kernel only; use sampling='sparse'")
    if how == "importance" and sim.n_sims < 2 * sim.importance.strata:
        raise InputError([Problem("scenario", "simulation", f"importance sampling with {sim.importance.strata} "
                                  f"strata needs at least {2 * sim.importance.strata} simulations (two per stratum) "
                                  f"for its standard errors; increase n_sims or lower simulation.importance.strata",
                                  "n_sims", value=sim.n_sims)], "scenario")


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
