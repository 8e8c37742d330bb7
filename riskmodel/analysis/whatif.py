"""Marginal capital of candidate covers, on common random numbers.

One run of the book with the candidates keeps each simulation's loss split
into the book's and the candidates'. "Before" is the book's loss, "after"
the sum, both from the same simulations, so the difference carries only
the noise of what the candidates change: its standard error comes from the
difference of the two estimators' influence functions, simulation by
simulation (within importance sampling's strata), and is far below either
level's. Defaults do not depend on the covers, so the book's losses in this
run are draws of the book alone, as in a run without the candidates; the one
exception, a candidate joining a contract of the book whose claims would end
the book's later covers, is refused while contracts are chained.

The marginal (Euler) contribution of the candidates in the "after" book is
reported too: the derivative of the measure along the candidates, which a
small deal's finite change approaches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.errors import InputError, Problem
from ..inputs.portfolio import Portfolio, extend_portfolio
from ..inputs.scenario import Scenario, load_scenario
from ..inputs.schema import WHATIF_SCHEMA, conform
from .estimators import LossSample, _se_of_mean


@dataclass
class WhatIf:
    """Measures before and after adding the candidates, the change with its error, and the provenance."""
    table: pd.DataFrame
    new_cover_ids: list[str]
    new_exposure: float
    result: object  # the SimulationResult of the combined run

    def summary(self) -> str:
        f, unit = self.result.money_unit()
        lines = [f"what-if: {len(self.new_cover_ids)} new cover(s), insured exposure {self.new_exposure / f:,.3f} "
                 f"{unit}; {self.result.n_sims:,} simulations, seed {self.result.seed}, common random numbers",
                 "",
                 f"{'metric':<8}{'level':>7}{'before':>12}{'after':>12}{'change':>12}{'std err':>10}"
                 f"{'change 95% CI':>24}{'marginal':>11}   ({unit})"]
        for r in self.table.itertuples():
            lv = "" if pd.isna(r.level) else f"{r.level:g}"
            lines.append(f"{r.metric:<8}{lv:>7}{r.before / f:>12,.3f}{r.after / f:>12,.3f}{r.change / f:>12,.3f}"
                         f"{r.change_se / f:>10,.3f}{f'[{r.change_ci_low / f:,.3f}, {r.change_ci_high / f:,.3f}]':>24}"
                         f"{r.marginal / f:>11,.3f}")
        lines += ["", "before/after errors: " + ", ".join(
            f"{r.metric}{'' if pd.isna(r.level) else f' {r.level:g}'} {r.before_se / f:,.3f}/{r.after_se / f:,.3f}"
            for r in self.table.itertuples())]
        warned = list(dict.fromkeys(r.warning for r in self.table.itertuples() if r.warning))
        lines += [f"warning: {w}" for w in warned]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        head = html.escape(self.summary().splitlines()[0])
        return f"<p>{head}</p>" + self.table.to_html(index=False, float_format=lambda v: f"{v:,.4g}")


def _chained_into_book(combined: Portfolio, new_ids: list[str]) -> list[Problem]:
    """New covers whose claims could end a later cover of the book (same contract, the book's cover starts
    after the new one): with them the book's losses would not be the book's alone."""
    cov = combined.covers
    is_new = cov["cover_id"].isin(set(new_ids)).to_numpy()
    book = cov[~is_new & cov["contract_id"].notna().to_numpy()]
    last_start = book.groupby("contract_id")["start"].max()
    src = combined.sources.get("new_covers", "new covers")
    csv = str(src).endswith(".csv")
    out = []
    for i in np.flatnonzero(is_new & cov["contract_id"].isin(last_start.index).to_numpy()):
        k = cov["contract_id"].iat[i]
        if last_start[k] > cov["start"].iat[i]:
            out.append(Problem(str(src), "covers", f"joins contract {k!r} of the book, whose covers starting later "
                               "its claims would stop: the book before and after could not share simulations; give "
                               "it its own contract_id, or run with [lifetime] chain_contracts = false",
                               "contract_id", int(i) + 1, int(i) + 2 if csv else None, value=k))
    return out


def whatif(portfolio: Portfolio, scenario: Scenario | None = None, new_covers=None, *, levels=None,
           n_sims: int | None = None, seed: int | None = None, method: str | None = None,
           n_threads: int | None = None, progress: bool = False) -> WhatIf:
    """EL, VaR, ES and EC of ``portfolio`` before and after adding ``new_covers``.

    ``new_covers``: a path (a covers file, or a directory with covers and, for
    new obligors, exporters / importers / schedules) or a dict of DataFrames
    by table name (``{"covers": df, "exporters": df2}``). ``levels`` default to
    the scenario's levels and its ``[lifetime] capital_level``.
    """
    scenario = scenario if scenario is not None else load_scenario()
    if new_covers is None:
        raise ValueError("give new_covers: a covers file, a directory of tables, or a dict of DataFrames")
    combined, new_ids = extend_portfolio(portfolio, new_covers)
    if scenario.lifetime.chain_contracts:
        problems = _chained_into_book(combined, new_ids)
        if problems:
            raise InputError(problems, "new covers")
    levels = sorted(set(levels if levels is not None else scenario.simulation.levels)
                    | ({scenario.lifetime.capital_level} if levels is None else set()))
    bad = [lv for lv in levels if not 0 < lv < 1]
    if bad:
        raise InputError([Problem("--levels", "options", "confidence levels must lie in (0, 1)", value=b)
                          for b in bad], "options")
    from .simulation import simulate

    sc = scenario.with_overrides(levels=levels)
    new_set = set(new_ids)
    result = simulate(combined, sc, n_sims=n_sims, seed=seed, method=method, n_threads=n_threads,
                      progress=progress, n_segments=2,
                      cover_segment=lambda live: live["cover_id"].isin(new_set).to_numpy().astype(np.int64))
    live_new = result.model.covers["cover_id"].isin(new_set).to_numpy()
    new_exposure = float(result.model.arrays.cv_ead[live_new].sum())
    table = _table(result, live_new, levels)
    return WhatIf(table, new_ids, new_exposure, result)


def _table(result, live_new: np.ndarray, levels: list[float]) -> pd.DataFrame:
    seg = result.segment_losses
    after_x = result.total_loss
    before_x = after_x - seg[:, 1]  # not seg[:, 0], summed in another order: no change must read as exactly 0
    w = np.ones(result.n_sims) if result.weights is None else result.weights
    cells = result.cells
    ci = result.scenario.simulation.ci_level
    before = LossSample(before_x, result.weights, ci, cells)
    after = result.sample
    z = after.z
    se = lambda v: _se_of_mean(v, cells)  # noqa: E731
    marg = _marginal(result, live_new)
    rows = []

    def add(metric, level, b, a, infl, warning=""):
        change = a.value - b.value
        s = se(infl)
        rows.append({"metric": metric, "level": level, "before": b.value, "before_se": b.se, "after": a.value,
                     "after_se": a.se, "change": change, "change_se": s, "change_ci_low": change - z * s,
                     "change_ci_high": change + z * s, "marginal": marg[(metric, level)][0],
                     "marginal_se": marg[(metric, level)][1], "warning": warning})

    add("el", None, before.mean(), after.mean(), w * (after_x - before_x))
    for lv in levels:
        (vb, slope_b), (va, slope_a) = before.var(lv), after.var(lv)
        ivar = slope_a * w * (after_x > va.value) - slope_b * w * (before_x > vb.value)
        lattice = _lattice_warning(before_x, vb.value, after_x, va.value, lv)
        add("var", lv, vb, va, ivar, lattice.format(metric="VaR"))
        add("ec", lv, before.ec(lv), after.ec(lv), ivar - w * (after_x - before_x), lattice.format(metric="EC"))
        ies = w * (np.maximum(after_x - va.value, 0.0) - np.maximum(before_x - vb.value, 0.0)) / (1 - lv)
        add("es", lv, before.es(lv), after.es(lv), ies)
    df = pd.DataFrame(rows)
    df.insert(0, "scenario", result.scenario.name)
    df.insert(1, "perspective", result.perspective)
    df["level"] = pd.array(df["level"].tolist(), dtype="Float64")
    return conform(df, WHATIF_SCHEMA)


def _lattice_warning(before_x, q_before, after_x, q_after, level) -> str:
    """The change of VaR (and EC) when the quantiles sit on a lattice: simulations tie in the tail, as on books
    with fixed LGDs. The change then moves by whole atoms and its error, from a density, does not describe it: its
    95% interval covered 79-87% of the exact change in ``benchmarks/whatif_coverage.py``."""
    def lattice(x, q):  # ties among the losses at or beyond the quantile: continuous LGDs never tie there
        tail = x[x >= q]
        return tail.size > np.unique(tail).size

    if not (lattice(before_x, q_before) or lattice(after_x, q_after)):
        return ""
    return ("the {metric} change at " + f"{level:g}" + " compares quantiles on atoms of a lattice loss "
            "distribution (simulations tie there): it moves by whole atoms and its interval covered only 79-87% of "
            "the exact change in the calibration study; read the ES change, or use random (beta) LGDs")


def _marginal(result, live_new: np.ndarray) -> dict:
    """Euler contribution of the candidates (measure, level) -> (value, se), in the book after."""
    from .contributions import el_contributions, es_contributions, var_contributions

    codes = live_new.astype(np.int64)
    dense = result.segment_losses  # book and candidates, every simulation: no replay needed
    out = {}
    el, el_se, _ = el_contributions(result, codes, 2, dense=dense)
    out[("el", None)] = (float(el[1]), float(el_se[1]))
    for lv in result.levels:
        var = var_contributions(result, codes, 2, lv, dense=dense)
        v, v_se = var[0], var[1]
        e, e_se, _ = es_contributions(result, codes, 2, lv, dense=dense, var=var)
        out[("var", lv)] = (float(v[1]), float(v_se[1]))
        out[("es", lv)] = (float(e[1]), float(e_se[1]))
        out[("ec", lv)] = (float(v[1] - el[1]), float(np.hypot(v_se[1], el_se[1])))
    return out
