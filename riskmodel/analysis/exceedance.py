"""The exceedance-probability table: the amount exceeded once in T years, for the return periods risk
committees read (10 to 1,000 years), each with its error and warning.

- **One-year runs**: the loss exceeded with probability ``1/T`` (a VaR at ``1 - 1/T``).
- **Lifetime runs** (a horizon of several years) count years, as catastrophe models do (OasisLMF's AEP and
  OEP): each simulated year of the horizon is one year of the programme's life, and a return period of
  T years is an exceedance frequency of ``1/T`` a year, ``lambda(x) = mean_i w_i g_i(x)`` with
  ``g_i(x)`` the share of simulation i's whole years in which the amount exceeds x.

  - *aggregate*: the claims paid in a year;
  - *occurrence*: the largest claims on one exporter's covers in a year (the single-name event: the
    exporter's default and the guarantees it brings called, or calls without default).

  ``g_i`` is one number per simulation, so ``lambda``'s error is that of a mean (within the design's
  strata), its years' dependence within a simulation included; the amount's interval inverts it as VaR's
  does (Woodruff): ``[x(lambda + z s), x(lambda - z s)]``. Occurrence needs each claim's exporter, so the
  simulations that could reach the amounts sought (an exporter's claims in a year are at most the year's
  claims) are replayed, dated: first those above the aggregate amount at 10 years, then lower until the
  frequency at the cut is well above 1/10.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .estimators import SECTIONS, LossSample, se_of_mean, sectioned_half_width

RETURN_PERIODS = (10, 50, 100, 200, 250, 500, 1000)
# exceedance.csv: kind (loss: one-year runs; aggregate, occurrence: lifetime runs), T, 1/T, the amount
EXCEEDANCE_SCHEMA = ("kind", "return_period", "frequency", "amount", "se", "ci_low", "ci_high", "warning")
MIN_BEYOND = 10  # fewer simulations beyond an amount: its interval may not cover
IS_AGGREGATE = ("the interval may not cover at its nominal rate: importance sampling aims at the horizon's loss, "
                "not at a year's claims (95% intervals covered 89-91% at 250-500 years on the bundled book, "
                "benchmarks/exceedance_coverage.py); run --method plain for this table")


def exceedance_table(sample: LossSample, periods=RETURN_PERIODS) -> pd.DataFrame:
    """One row per return period T of a one-year loss sample: the loss exceeded with probability 1/T."""
    rows = []
    for T in periods:
        level = 1.0 - 1.0 / T
        e, _ = sample.var(level)
        rows.append(("loss", float(T), 1.0 / T, e.value, e.se, e.ci_low, e.ci_high, sample.warning("var", level)))
    return pd.DataFrame(rows, columns=list(EXCEEDANCE_SCHEMA))


def run_exceedance(result) -> pd.DataFrame:
    """What ``run --out`` writes as exceedance.csv: the loss table of a one-year run, the aggregate and
    occurrence tables of a lifetime run."""
    if result.scenario.simulation.horizon_years == 1.0:
        return exceedance_table(result.sample)
    return lifetime_exceedance(result)


class YearlyAmounts:
    """Amounts per (simulation, year) (``sim``, ``value``; pairs not given lie below every amount asked for),
    the run's weights and strata, and its number of whole years: exceedance frequencies a year."""

    def __init__(self, sim: np.ndarray, value: np.ndarray, w: np.ndarray, strata, n_years: int):
        order = np.argsort(-value, kind="stable")
        self.sim, self.value = sim[order], value[order]
        self.w, self.strata, self.years, self.n = w, strata, n_years, w.shape[0]
        self.weighted = strata is not None  # importance sampling (its design cells)
        cum = np.cumsum(w[self.sim]) / (self.n * n_years)
        # distinct values, descending, and the frequency strictly above each (the groups of ties before it)
        last = np.flatnonzero(np.r_[self.value[1:] != self.value[:-1], True]) if value.size else np.empty(0, int)
        self.u = self.value[last]
        self.lam = np.r_[0.0, cum[last][:-1]] if last.size else np.empty(0)

    def amount(self, freq: float) -> float:
        """inf{x >= 0 : lambda(x) <= freq}: the amount exceeded ``freq`` times a year."""
        k = int(np.searchsorted(self.lam, freq * (1 + 1e-12), side="right"))  # lam rises along u: k >= 1
        if k < self.u.size or self.frequency(0.0) > freq * (1 + 1e-12) or not self.u.size:
            return float(self.u[k - 1]) if self.u.size else 0.0
        return 0.0  # exceeded no more often than freq even just above zero

    def frequency(self, x: float) -> float:
        """lambda(x): how often a year the amount exceeds x."""
        return float(np.sum(self.w[self.sim[self.value > x]])) / (self.n * self.years)

    def se(self, x: float) -> float:
        g = np.zeros(self.n)
        np.add.at(g, self.sim[self.value > x], 1.0 / self.years)
        return se_of_mean(self.w * g, self.strata)

    def beyond(self, x: float) -> int:
        return int(np.unique(self.sim[self.value > x]).size)

    def sectioned_half_width(self, freq: float, x: float, ci_level: float) -> float:
        """The run cut into sections along the simulation order, each holding every design cell equally often
        (plain runs: blocks); the t interval of the sections' amounts around ``x``. Plain runs too: the
        years of a simulation share its factors, and Woodruff's interval alone covered 0.87 at 10 years
        (``benchmarks/exceedance_coverage.py``). 0 with too few sections, or (plain runs) fewer than
        ``MIN_BEYOND`` years beyond the amount expected in a section (its amount would be noise)."""
        if self.strata is None and self.n / min(SECTIONS, self.n) * self.years * freq < MIN_BEYOND:
            return 0.0  # importance sampling puts more of the tail in each section: always there

        def of(rows: np.ndarray) -> float:
            members = np.zeros(self.n, dtype=bool)
            members[rows] = True
            mine = members[self.sim]
            part = YearlyAmounts(self.sim[mine], self.value[mine], np.where(members, self.w, 0.0), None, self.years)
            part.n = rows.size  # the section's own simulations, not the whole run's
            part.lam = part.lam * self.n / part.n
            return part.amount(freq)

        strata = self.strata if self.strata is not None else np.zeros(self.n, dtype=np.int64)  # plain: blocks
        return sectioned_half_width(strata, self.n, of, x, ci_level)


def frequency_rows(ya: YearlyAmounts, kind: str, z: float, ci_level: float, periods=RETURN_PERIODS) -> list[tuple]:
    """One row per return period: the amount exceeded once in T years, its Woodruff interval and error."""
    rows = []
    for T in periods:
        f = 1.0 / T
        x = ya.amount(f)
        s = ya.se(x)
        lo, hi = ya.amount(f + z * s), ya.amount(max(f - z * s, 0.0))
        half = ya.sectioned_half_width(f, x, ci_level)  # the wider, as VaR's under importance sampling
        lo, hi = min(lo, x - half), max(hi, x + half)
        n_beyond = ya.beyond(x)
        warn = (f"only {n_beyond} simulations exceed this amount: its interval may not cover (more simulations)"
                if n_beyond < MIN_BEYOND else IS_AGGREGATE if kind == "aggregate" and ya.weighted and T >= 200
                else "")
        rows.append((kind, float(T), f, x, (hi - lo) / (2 * z), lo, hi, warn))
    return rows


def _annual_claims(result) -> tuple[np.ndarray, int]:
    """Claims paid by whole year of the horizon, (years, simulations)."""
    from .lifetime import PeriodFlows

    flows = PeriodFlows(result, "year")
    whole = [p for p in range(flows.n_periods) if flows.edges[p + 1] <= result.model.arrays.horizon + 1e-9]
    return np.array([flows.row("claims", p) for p in whole]).reshape(len(whole), result.n_sims), len(whole)


def _exporter_years(result, sims: np.ndarray, years: int) -> tuple[np.ndarray, np.ndarray]:
    """(simulation, largest claims on one exporter's covers in a year) for each year of ``sims`` with claims."""
    from ..engine.tail import replay_claims

    row, cover, t, paid = replay_claims(result, sims)
    keep = t < years  # whole years only
    row, cover, t, paid = row[keep], cover[keep], t[keep], paid[keep]
    _, exporter = np.unique(result.model.covers["exporter_id"].to_numpy(dtype=str), return_inverse=True)
    n_exp = int(exporter.max()) + 1 if exporter.size else 1
    year = np.floor(t).astype(np.int64)
    key = (row * years + year) * n_exp + exporter[cover]
    keys, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv, weights=paid)
    sim_year = keys // n_exp
    best = np.full(sims.size * years, -1.0)
    np.maximum.at(best, sim_year, sums)
    has = np.flatnonzero(best >= 0)
    return sims[has // years], best[has]


def lifetime_exceedance(result, periods=RETURN_PERIODS) -> pd.DataFrame:
    """Aggregate and occurrence exceedance of a lifetime run (see the module): one row per kind and T."""
    claims, years = _annual_claims(result)
    if years == 0:
        return pd.DataFrame(columns=list(EXCEEDANCE_SCHEMA))
    s = result.sample
    w, strata, n = s.w, s.strata, result.n_sims
    sims_all = np.repeat(np.arange(n, dtype=np.int64)[None, :], years, axis=0).ravel()
    agg = YearlyAmounts(sims_all, claims.ravel(), w, strata, years)
    rows = frequency_rows(agg, "aggregate", s.z, s.ci_level, periods)
    # occurrence: replay the simulations whose annual claims reach a cut, lower the cut until the exporter
    # years above it are far more frequent than the most frequent return period asks
    top = claims.max(axis=0)
    need = 1.0 / min(periods)
    done = np.zeros(n, dtype=bool)
    pairs_sim, pairs_val = [], []
    for share in (1.0, 2.0, 4.0, 8.0, None):
        cut = 0.0 if share is None else agg.amount(min(share * need, 1.0))
        new = np.flatnonzero((top >= cut) & (top > 0) & ~done)
        done[new] = True
        ps, pv = _exporter_years(result, new, years)
        pairs_sim.append(ps)
        pairs_val.append(pv)
        occ = YearlyAmounts(np.concatenate(pairs_sim), np.concatenate(pairs_val), w, strata, years)
        if cut == 0.0 or occ.frequency(cut) >= 2.0 * need:
            break
    rows += frequency_rows(occ, "occurrence", s.z, s.ci_level, periods)
    return pd.DataFrame(rows, columns=list(EXCEEDANCE_SCHEMA))
