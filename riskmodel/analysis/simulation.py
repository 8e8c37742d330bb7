"""``simulate``: a run of the engine, wrapped in a result (the function the API, what-if and capacity call)."""
from __future__ import annotations

from ..engine.run import run
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario, load_scenario
from .results import SimulationResult


def simulate(portfolio: Portfolio, scenario: Scenario | None = None, *, n_sims: int | None = None,
             seed: int | None = None, levels: list[float] | None = None, method: str | None = None,
             chunk_size: int | None = None, n_threads: int | None = None, progress: bool = False,
             sampling: str = "sparse", cover_segment=None,
             n_segments: int = 0, lifetime: bool | None = None,
             perspective: str | None = None, parameter_draws: int | None = None):
    """Simulate the portfolio's loss distribution over the scenario's horizon (one year by default).

    ``n_sims``, ``seed``, ``levels`` and ``method`` (``"plain"``,
    ``"importance"`` or ``"auto"``) override the scenario's ``[simulation]``
    values. ``chunk_size`` and ``n_threads`` change only speed and memory.
    ``sampling="dense"`` runs plain Monte Carlo on the reference kernel that
    draws every obligor in every simulation (for validation; slower).
    ``cover_segment`` (one integer in ``[0, n_segments)`` per live cover, in
    ``result.model.covers`` order, or a function of that table giving them)
    keeps each simulation's loss by segment (``result.segment_losses``).
    ``lifetime`` collects the lifetime view during the run (dated claims: cash
    flows, present values, per-cover sums); by default it does when the
    horizon is longer than a year. Without it the run does less work, and the
    first lifetime figure asked of the result replays the run once to collect
    it (the same numbers: draws are keyed by simulation).
    ``perspective`` (``"gross"``, ``"ceded"`` or ``"net"``) overrides the
    scenario's ``[reporting] perspective``: with ``[[risk_transfer]]`` layers,
    every figure of the result (metrics, contributions, pricing, cash flows)
    is then the losses before the layers, what they take, or what the agency
    keeps (the default); ``result.transfer()`` shows all three and each layer.
    ``parameter_draws=K`` (with ``[uncertainty.parameters]`` in the scenario) runs K draws of the uncertain
    parameters, each on the same random numbers, and returns an ``analysis.nested.UncertainResult``: each
    figure with its Monte Carlo error and its parameter uncertainty apart, and under the predictive
    distribution.
    """
    if parameter_draws is not None:
        from .nested import nested  # the nested run calls this function once per draw

        return nested(portfolio, scenario if scenario is not None else load_scenario(), parameter_draws, simulate,
                      n_sims=n_sims, seed=seed, levels=levels, method=method, chunk_size=chunk_size,
                      n_threads=n_threads, sampling=sampling, perspective=perspective)
    r = run(portfolio, scenario, n_sims=n_sims, seed=seed, levels=levels, method=method, chunk_size=chunk_size,
            n_threads=n_threads, progress=progress, sampling=sampling, cover_segment=cover_segment,
            n_segments=n_segments, lifetime=lifetime, perspective=perspective)
    return SimulationResult(loss=r.loss, transfer=r.transfer, count=r.count, weight=r.weight, cells=r.cells,
                            scenario=r.scenario, portfolio=r.portfolio, model=r.model, elapsed=r.elapsed,
                            run_info=r.run_info, claims=r.claims, replay=r.replay)
