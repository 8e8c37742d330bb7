"""Programme capacity: how much more of a profile of covers fits a capital budget.

Losses are linear in the covers' amounts, and defaults do not depend on
them. So one run of the portfolio with the new covers, keeping each
simulation's loss split into ``base`` and ``new``, gives the loss at any
scale ``s`` of the new covers exactly, on common random numbers:
``L(s) = L_base + s L_new``. The capacity is the root of
``measure(s) = budget``:

- ``measure="ec"``: economic capital EC(level) of ``L(s)`` reaches the budget;
- ``measure="exhaustion"``: the probability that ``L(s)`` exceeds the budget
  reaches ``limit`` (equivalently VaR(1 - limit) reaches the budget).

The first crossing on a grid is bisected to rounding. Its interval inverts
the measure's: the scales whose measure interval holds the budget, from the
scale where the measure's upper bound reaches the budget to the one where
its lower bound does (the measure grows with ``s``, so the true capacity
lies between them whenever the measure's interval at it holds the truth).
Unlike the measure's error over a slope estimated by differences, this
carries the slope's own uncertainty and the curve's bend. The standard error
is the interval's half-width over z.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..inputs.errors import InputError, Problem
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario, load_scenario
from .estimators import LossSample

CAPACITY_COLUMNS = {
    "measure": "ec (capital reaches the budget) or exhaustion (P(loss > budget) reaches limit)",
    "level": "confidence level of the measure",
    "budget": "capital budget (reporting currency)",
    "new_exposure": "insured exposure of the new covers at scale 1 (reporting currency)",
    "scale": "multiple of the new covers that fits",
    "scale_se": "its standard error",
    "scale_ci_low": "confidence interval",
    "scale_ci_high": "",
    "capacity": "scale x new_exposure: exposure that fits",
    "capacity_se": "its standard error",
    "measure_base": "the measure without the new covers",
    "measure_base_se": "its standard error",
    "measure_at_capacity": "the measure at the capacity",
    "measure_at_capacity_se": "its standard error",
}


@dataclass
class Capacity:
    table: pd.DataFrame
    curve: pd.DataFrame  # the measure on the search grid: scale, value, se
    provenance: dict = field(default_factory=dict)  # the simulation's (inputs' hashes, seed, version)

    def _repr_html_(self) -> str:
        import html

        table = self.table.to_html(index=False, float_format=lambda v: f"{v:,.4g}")
        return f"<pre>{html.escape(str(self))}</pre>" + table

    def __str__(self) -> str:
        from .units import money, money_unit

        r = self.table.iloc[0]
        f, unit = money_unit(max(r.budget, r.capacity), self.provenance.get("reporting_currency", ""))
        return (f"capacity ({r.measure} at {r.level:g}, budget {money(r.budget, f)}; amounts in {unit}): "
                f"{r.scale:.4g} x the new covers = {money(r.capacity, f)} of insured exposure (se "
                f"{money(r.capacity_se, f)}; {r.scale_ci_low:.4g} to {r.scale_ci_high:.4g} x)\nmeasure without "
                f"them {money(r.measure_base, f)} (se {money(r.measure_base_se, f)}); at capacity "
                f"{money(r.measure_at_capacity, f)} (se {money(r.measure_at_capacity_se, f)})")


def _segment_mask(portfolio: Portfolio, segment: dict[str, str]) -> np.ndarray:
    cov = portfolio.covers
    problems = [Problem("--segment", "options", f"not a column of covers (columns: {', '.join(cov.columns)})", k)
                for k in segment if k not in cov.columns]
    if problems:
        raise InputError(problems, "options")
    mask = np.ones(len(cov), dtype=bool)
    for k, v in segment.items():
        mask &= cov[k].astype(str).to_numpy() == str(v)
    if not mask.any():
        raise InputError([Problem("--segment", "options", "no cover matches this segment",
                                  ", ".join(segment), value=str(segment))], "options")
    return mask


def capacity(portfolio: Portfolio, scenario: Scenario | None = None, *, budget: float,
             new_cover_ids=None, segment: dict[str, str] | None = None, measure: str = "ec",
             level: float | None = None, limit: float | None = None, n_sims: int | None = None,
             seed: int | None = None, method: str | None = None, max_scale: float = 1e6, grid: int = 64,
             n_threads: int | None = None, progress: bool = False) -> Capacity:
    """Capacity for more of the covers ``new_cover_ids`` (already in ``portfolio``) or of a ``segment``
    (``{"product": "performance"}``): with ``new_cover_ids`` the base excludes them (scale 1 = as given);
    with ``segment`` the base is the whole portfolio and scale ``s`` adds ``s`` times the segment."""
    from .simulation import simulate

    scenario = scenario if scenario is not None else load_scenario()
    _check_options(budget, new_cover_ids, segment, measure, level, limit)
    level = (1.0 - limit) if measure == "exhaustion" else (level or scenario.lifetime.capital_level)
    levels = sorted(set(scenario.simulation.levels) | {level})
    sc = scenario.with_overrides(levels=levels)
    if segment is not None:
        in_new = _segment_mask(portfolio, segment)
    else:
        in_new = portfolio.covers["cover_id"].isin(set(new_cover_ids)).to_numpy()
    result = simulate(portfolio, sc, n_sims=n_sims, seed=seed, method=method, n_threads=n_threads,
                      progress=progress, n_segments=2,
                      cover_segment=lambda live: _live_mask(live, portfolio, in_new).astype(np.int64))
    seg = result.segment_losses
    l_new = seg[:, 1]
    l_base = result.total_loss if segment is not None else seg[:, 0]
    new_ead = float(result.model.covers["ead"][_live_mask(result.model.covers, portfolio, in_new)].sum())
    if not (l_new > 0).any():
        raise InputError([Problem("capacity", "options", "the new covers lose nothing in any simulation: their "
                                  "capacity is unbounded; check that they are live in the horizon", None)], "options")
    search = _ScaleSearch(l_base, l_new, result, sc.simulation.ci_level, measure, level, budget, grid, max_scale)
    base = search.at(0.0)
    hi = search.first_scale_above()
    grid_s = np.linspace(0.0, hi, grid + 1)
    curve = pd.DataFrame([{"scale": float(x), "value": e.value, "se": e.se}
                          for x, e in ((x, search.at(float(x))) for x in grid_s)])
    s_star = search.crossing(lambda e: e.value, hi)
    # an interval whose lower end never reaches the budget stops at max_scale
    s_lo, s_hi = search.crossing(lambda e: e.ci_high, hi), min(search.crossing(lambda e: e.ci_low, hi), max_scale)
    at = search.at(s_star)
    se = (s_hi - s_lo) / (2.0 * result.sample.z)
    table = pd.DataFrame([{
        "measure": measure, "level": level, "budget": float(budget), "new_exposure": new_ead,
        "scale": s_star, "scale_se": se, "scale_ci_low": s_lo, "scale_ci_high": s_hi,
        "capacity": s_star * new_ead, "capacity_se": se * new_ead, "measure_base": base.value,
        "measure_base_se": base.se,
        "measure_at_capacity": at.value, "measure_at_capacity_se": at.se,
    }])
    return Capacity(table, curve, result.provenance)


def _check_options(budget, new_cover_ids, segment, measure, level, limit) -> None:
    if measure not in ("ec", "exhaustion"):
        raise ValueError(f"measure must be 'ec' or 'exhaustion', got {measure!r}")
    if (new_cover_ids is None) == (segment is None):
        raise ValueError("give new_cover_ids or segment (one of them)")
    problems = []
    if not budget > 0:
        problems.append(Problem("--budget", "options", "the capital budget must be > 0", value=budget))
    if measure == "exhaustion" and not (limit is not None and 0 < limit < 1):
        problems.append(Problem("--limit", "options", "measure exhaustion needs a probability limit in (0, 1), "
                                "e.g. 0.001", value=limit))
    if measure == "exhaustion" and level is not None:
        problems.append(Problem("--level", "options", "measure exhaustion sets its level as 1 - limit; drop --level",
                                value=level))
    if measure == "ec" and limit is not None:
        problems.append(Problem("--limit", "options", "--limit applies to --measure exhaustion only; drop it or "
                                "add --measure exhaustion", value=limit))
    if level is not None and not 0 < level < 1:
        problems.append(Problem("--level", "options", "a confidence level must lie in (0, 1), e.g. 0.999",
                                value=level))
    if problems:
        raise InputError(problems, "options")


class _ScaleSearch:
    """The measure of ``base + s x new`` for scales ``s``, each computed once (the searches share their grids),
    and the first scale at which a part of it (the value, or an end of its interval) reaches the budget."""

    def __init__(self, l_base, l_new, result, ci, measure, level, budget, grid, max_scale):
        self.l_base, self.l_new, self.result, self.ci = l_base, l_new, result, ci
        self.measure, self.level, self.budget, self.grid, self.max_scale = measure, level, budget, grid, max_scale
        self.seen: dict[float, object] = {}

    def at(self, s: float):
        if s not in self.seen:
            smp = LossSample(self.l_base + s * self.l_new, self.result.weights, self.ci, self.result.cells)
            self.seen[s] = smp.ec(self.level) if self.measure == "ec" else smp.var(self.level)[0]
        return self.seen[s]

    def first_scale_above(self) -> float:
        """A power of two at which the measure reaches the budget."""
        hi = 1.0
        while self.at(hi).value < self.budget:
            hi *= 2.0
            if hi > self.max_scale:
                raise InputError([Problem("capacity", "options", f"the measure stays below the budget up to "
                                          f"{self.max_scale:g} times the new covers; raise the budget's scale or "
                                          "max_scale", None)], "options")
        return hi

    def crossing(self, part, hi: float) -> float:
        """The first scale at which ``part(measure at s)`` reaches the budget, bisected to rounding."""
        budget = self.budget
        if part(self.at(0.0)) >= budget:
            return 0.0
        top = hi
        while part(self.at(top)) < budget:
            top *= 2.0
            if top > self.max_scale:
                return float("inf")  # the lower bound never reaches the budget: no upper end in range
        g = np.linspace(0.0, top, self.grid + 1)
        j = int(np.argmax([part(self.at(float(x))) >= budget for x in g]))
        lo_s, hi_s = float(g[j - 1]), float(g[j])
        while hi_s - lo_s > 1e-13 * hi_s:  # to rounding of the scale, far below its error
            mid = 0.5 * (lo_s + hi_s)
            if part(self.at(mid)) >= budget:
                hi_s = mid
            else:
                lo_s = mid
        return hi_s


def _live_mask(live_covers: pd.DataFrame, portfolio: Portfolio, in_new: np.ndarray) -> np.ndarray:
    new_ids = set(portfolio.covers["cover_id"][in_new])
    return live_covers["cover_id"].isin(new_ids).to_numpy()

