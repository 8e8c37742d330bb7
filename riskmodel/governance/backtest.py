"""``riskmodel backtest``: what the programme lost each year against what the model predicted for that year.

For each year y of the observed table the model is run on the book as it stood (valuation date y-01-01,
one-year horizon: the covers live in that year), and the observed loss c_y is placed in the predictive
distribution:

- **PIT**: ``u_y = P(L < c_y) + P(L = c_y) / 2`` (the mid-distribution transform: years without losses sit
  on the atom at zero). Under a right model the u's are uniform; ``z_y = Phi^-1(u_y)`` are standard normal,
  and Berkowitz's likelihood-ratio test of mean 0 and variance 1 (chi-square, 2 degrees of freedom) gives a
  p-value.
- **Traffic light** (the Basel backtest's zones, by the binomial count of exceedances): the years whose
  loss exceeds the model's VaR at ``level``, against Binomial(T, 1 - level): green while the count's
  cumulative probability is below 95%, yellow below 99.99%, red beyond.

``segment`` rows compare a segment's losses (``covers[segment_by] == segment``) with the model's losses of
that segment.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from ..analysis.simulation import simulate
from ..inputs.errors import InputError, Problem
from ..inputs.history import read_history
from ..inputs.scenario import Scenario
from ..version import __version__

BACKTEST_SCHEMA = ("year", "segment", "observed", "expected", "q05", "median", "q95", "var", "pit", "exceeds",
                   "covers_live")
ZONES = ((0.95, "green"), (0.9999, "yellow"))


@dataclass
class Backtest:
    table: pd.DataFrame
    level: float
    exceedances: int
    zone: str
    zone_probability: float  # P(X <= observed count) under Binomial(T, 1 - level)
    pit_pvalue: float
    provenance: dict
    unit: tuple[float, str] = (1.0, "")  # (divisor, name) of money on screen

    @property
    def passed(self) -> bool:
        return self.zone != "red" and self.pit_pvalue >= 0.01

    def summary(self) -> str:
        t = self.table.copy()
        div, name = self.unit
        money = ["observed", "expected", "q05", "median", "q95", "var"]
        t[money] = t[money] / div
        with pd.option_context("display.width", 160):
            body = t.to_string(index=False, float_format=lambda v: f"{v:,.3f}")
        T = len(t)
        return "\n".join([
            f"backtest: {T} years, {self.exceedances} above VaR({self.level:g}) (expected {T * (1 - self.level):.2f})"
            f": {self.zone} zone (cumulative probability {self.zone_probability:.4f})",
            f"PIT uniformity (Berkowitz): p = {self.pit_pvalue:.3g}; "
            + ("the model passes" if self.passed else "the model FAILS: its predictions and the losses disagree"),
            f"losses in {name}; pit = P(L < observed) + P(L = observed) / 2", body])

    def __str__(self) -> str:
        return self.summary()


def zone(count: int, years: int, level: float) -> tuple[str, float]:
    """The Basel traffic-light zone of ``count`` exceedances in ``years`` of a VaR at ``level``."""
    cum = float(stats.binom.cdf(count, years, 1.0 - level))
    for bound, name in ZONES:
        if cum < bound:
            return name, cum
    return "red", cum


def berkowitz_pvalue(u: np.ndarray) -> float:
    """P-value of the likelihood-ratio test that ``Phi^-1(u)`` are N(0, 1) against N(mu, s^2)."""
    z = special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    mu, s2 = float(z.mean()), float(z.var())
    if s2 <= 0:
        return 0.0
    lr = float((z ** 2).sum() - ((z - mu) ** 2).sum() / s2 - z.size * np.log(s2))
    return float(stats.chi2.sf(max(lr, 0.0), 2))


def _pit(x: np.ndarray, c: float) -> float:
    return float((x < c).mean() + 0.5 * (x == c).mean())


def backtest(portfolio, scenario: Scenario, claims, n_sims: int = 20_000, seed: int = 1, level: float = 0.95,
             segment_by: str | None = None, **kw) -> Backtest:
    """The backtest of ``claims`` (a path to an observed_claims table) against the model (module text)."""
    obs, sha = read_history(claims, "observed_claims")
    has_seg = obs["segment"].notna().any()
    if has_seg and segment_by is None:
        raise InputError([Problem(str(claims), "observed_claims", "rows name segments: say which covers column "
                                  "they are values of (--segment-by COLUMN)", "segment")], "options")
    if has_seg and segment_by not in portfolio.covers.columns:
        raise InputError([Problem("--segment-by", "options", f"not a covers column; columns are "
                                  f"{sorted(portfolio.covers.columns)}", value=segment_by)], "options")
    segs = sorted(obs["segment"].dropna().unique()) if has_seg else []
    rows, unit = [], (1.0, scenario.reporting.currency)
    for y in sorted(obs["year"].astype(int).unique()):
        sc = scenario.with_overrides(valuation_date=_dt.date(y, 1, 1), horizon_years=1.0)
        extra = {}
        if segs:
            codes = {v: i for i, v in enumerate(segs)}
            extra = {"cover_segment": lambda cov: cov[segment_by].map(codes).fillna(len(segs)).to_numpy(np.int64),
                     "n_segments": len(segs) + 1}
        r = simulate(portfolio, sc, n_sims=n_sims, seed=seed, method="plain", **extra, **kw)
        unit = max(unit, r.money_unit())
        for _, o in obs[obs["year"] == y].iterrows():
            seg = o["segment"] if has_seg else None
            x = r.total_loss if seg is None else r.segment_losses[:, segs.index(seg)]
            q = np.quantile(x, [0.05, 0.5, 0.95, level], method="inverted_cdf")
            c = float(o["claims"])
            rows.append((y, "" if seg is None else str(seg), c, float(x.mean()), *q, _pit(x, c), bool(c > q[3]),
                         len(r.model.covers)))
    table = pd.DataFrame(rows, columns=list(BACKTEST_SCHEMA))
    k = int(table["exceeds"].sum())
    z, cum = zone(k, len(table), level)
    prov = {"riskmodel_version": __version__, "claims": str(claims), "claims_sha256": sha, "n_sims": int(n_sims),
            "seed": int(seed), "level": level, "scenario_sha256": scenario.content_hash,
            "portfolio_sha256": dict(portfolio.file_hashes)}
    return Backtest(table, level, k, z, cum, berkowitz_pvalue(table["pit"].to_numpy(float)), prov, unit)
