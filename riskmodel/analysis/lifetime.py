"""Lifetime tables from a run: cash flows by period, pricing adequacy, policy figures.

Pandas only; every number comes from the run's claim records
(``collect.ClaimsCollector``) or from the covers' schedules, with its Monte
Carlo error where it has one:

- ``cashflow_table``: expected claims, recoveries and net cash flow by period
  or year, with percentile bands (weighted quantiles, Woodruff intervals);
- ``lifetime_metrics``: lifetime claims, recoveries, EL and its present value,
  and the maximum annual claims at a high quantile;
- ``pricing_table``: per cover or segment, lifetime EL against premium income,
  the loss ratio, break-even and risk-adjusted premium rates;
- ``collateral_table`` and ``policy_table``: SME collateral the cover frees,
  by year and segment, and per unit of EL and of economic capital.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..engine.collect import discount, mean_se
from ..inputs.products import GUARANTEE_PRODUCTS
from ..inputs.schedules import DAYS_PER_YEAR
from ..inputs.schema import CASHFLOWS_SCHEMA, COLLATERAL_SCHEMA, METRICS_SCHEMA, POLICY_SCHEMA, PRICING_COLUMNS, conform
from .estimators import Estimate, LossSample


class SimulationResult(Protocol):
    """What the lifetime tables read of a run (``results.SimulationResult`` provides it; named here rather
    than imported, so that results -> lifetime is the only direction)."""
    n_sims: int
    model: Any
    scenario: Any
    portfolio: Any
    weights: Any
    cells: Any

BANDS = (0.05, 0.5, 0.95, 0.995)
FLOWS = ("claims", "recoveries", "net")


def _sample(r: "SimulationResult", x: np.ndarray) -> LossSample:
    return LossSample(x, r.weights, r.scenario.simulation.ci_level, r.cells)


def _date(r: "SimulationResult", t: np.ndarray) -> pd.Series:
    val = pd.Timestamp(r.scenario.simulation.valuation_date)
    return pd.Series(val + pd.to_timedelta(np.round(np.asarray(t) * DAYS_PER_YEAR), unit="D"))


class PeriodFlows:
    """Per-simulation claims, recoveries and net by period (``freq="step"``) or year, one period's row at a time:
    the collector keeps them period by period (possibly in a temporary file), so nothing here holds more than a
    few rows of ``n_sims``."""

    def __init__(self, r: "SimulationResult", freq: str):
        c = r.collected()
        self._claim, self._recov = c.claim_cf, c.recovery_cf  # (periods, simulations)
        n_steps = self._claim.shape[0]
        if freq == "year":
            self._per = max(1, int(round(1.0 / c.period)))
        elif freq == "step":
            self._per = 1
        else:
            raise ValueError(f"freq must be 'year' or 'step', got {freq!r}")
        self.n_periods = -(-n_steps // self._per)
        self.edges = np.arange(self.n_periods + 1) * (self._per * c.period)

    def _sum(self, m: np.ndarray, p: int) -> np.ndarray:
        out = np.array(m[p * self._per], dtype=float)
        for q in range(p * self._per + 1, min((p + 1) * self._per, m.shape[0])):
            out += m[q]  # period by period, in time order
        return out

    def row(self, flow: str, p: int) -> np.ndarray:
        if flow == "claims":
            return self._sum(self._claim, p)
        if flow == "recoveries":
            return self._sum(self._recov, p)
        if flow == "net":
            return self._sum(self._claim, p) - self._sum(self._recov, p)
        raise ValueError(f"flow must be one of {FLOWS}, got {flow!r}")


def cashflow_table(r: "SimulationResult", freq: str = "year", bands=BANDS) -> pd.DataFrame:
    flows = PeriodFlows(r, freq)
    edges = flows.edges
    rows = []
    for p in range(flows.n_periods):
        for flow in FLOWS:
            s = _sample(r, flows.row(flow, p))
            stats = [("mean", None, s.mean())]
            if flow != "net":  # net flows can be negative; bands of claims and recoveries are the budget view
                stats += [("quantile", lv, s.var(lv)[0]) for lv in bands]
            for metric, lv, e in stats:
                rows.append({"period": p + 1, "t_start": edges[p], "t_end": edges[p + 1], "flow": flow,
                             "metric": metric, "level": lv, "value": e.value, "se": e.se, "ci_low": e.ci_low,
                             "ci_high": e.ci_high})
    df = pd.DataFrame(rows)
    df.insert(0, "scenario", r.scenario.name)
    df.insert(1, "perspective", r.perspective)
    df.insert(3, "start", _date(r, df["t_start"]).to_numpy())
    df.insert(4, "end", _date(r, df["t_end"]).to_numpy())
    df["level"] = pd.array(df["level"].tolist(), dtype="Float64")
    return conform(df, CASHFLOWS_SCHEMA)


def lifetime_metrics(r: "SimulationResult", max_level: float = 0.995) -> pd.DataFrame:
    c = r.collected()
    years = PeriodFlows(r, "year")
    recoveries = np.zeros(r.n_sims)
    max_claims = np.zeros(r.n_sims)
    for y in range(years.n_periods):
        recoveries += years.row("recoveries", y)
        np.maximum(max_claims, years.row("claims", y), out=max_claims)
    peak = _sample(r, max_claims)
    rows = [("claims", None, _sample(r, c.claims).mean(), ""),
            ("recoveries", None, _sample(r, recoveries).mean(), ""),
            ("el", None, r.el(), ""),
            ("el_pv", None, _sample(r, c.pv).mean(), ""),
            ("max_annual_claims", max_level, peak.var(max_level)[0], peak.warning("var", max_level))]
    df = pd.DataFrame([{"scenario": r.scenario.name, "perspective": r.perspective, "metric": m, "level": lv,
                        "value": e.value, "se": e.se,
                        "ci_low": e.ci_low, "ci_high": e.ci_high, "warning": w} for m, lv, e, w in rows])
    df["level"] = pd.array(df["level"].tolist(), dtype="Float64")
    return conform(df, METRICS_SCHEMA)


# ---------------------------------------------------------------- per cover


ALLOCATIONS = ("euler", "covariance")


def _euler_capital(r: "SimulationResult", by: str, keys: pd.Series, el: np.ndarray, el_se: np.ndarray):
    """EC at the capital level allocated in proportion to Euler ES contributions less EL, for the segments
    ``keys`` of ``by`` (their EL and its error given): (capital, se) in the order of ``keys``.

    ``ES_g - EL_g`` sums to ``ES - EL``; scaled by ``EC / (ES - EL)`` the rows
    sum to EC = VaR - EL, the programme's capital, while keeping the stable
    tail (ES) shape: VaR's own contributions rest on a thin band of
    simulations. Errors are the contributions' scaled alike (the portfolio
    figures' own errors scale every row together).
    """
    from .contributions import contributions_table

    level = r.scenario.lifetime.capital_level
    c = contributions_table(r, by, "es", level).set_index("segment")
    total = c.attrs["portfolio_value"] - r.el().value
    scale = r.ec(level).value / total if total > 0 else 0.0
    labels = keys.astype(object).where(keys.notna(), "(none)").astype(str)
    es_g, es_se = c["value"].reindex(labels).to_numpy(), c["se"].reindex(labels).to_numpy()
    return (es_g - el) * scale, np.hypot(es_se, el_se) * abs(scale)


def cover_figures(r: "SimulationResult", allocation: str = "euler") -> pd.DataFrame:
    """Per live cover: exposure-years, premiums, EL and its PV, allocated capital; each with its error.

    Standard errors per cover are those of iid sampling of ``w x``: exact for
    plain Monte Carlo and conservative under importance sampling's stratified
    design (the between-stratum variance is left in). Capital is EC at the
    capital level allocated by Euler ES contributions (``allocation="euler"``,
    see ``_euler_capital``) or by covariance with the total loss.
    """
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}")
    c, m, sc = r.collected(), r.model, r.scenario
    n = r.n_sims
    acc = c.acc
    H = m.arrays.horizon
    sched = m.schedules
    ead = m.arrays.cv_ead
    lt = sc.lifetime
    years = sched.integrals(0.0, H)
    years_pv = sched.integrals(0.0, H, lambda t: discount(t, sc), splits=[t for t, _ in lt.discount_rates])

    el, el_se = mean_se(acc[:, 0], acc[:, 1], n)
    pv, pv_se = mean_se(acc[:, 2], acc[:, 3], n)
    exl, exl_se = mean_se(acc[:, 4], acc[:, 5], n)
    ec = r.ec(lt.capital_level).value
    cov = exl - el * r.el().value  # Cov(x_k, L): sums over covers to Var(L)
    total_cov = cov.sum()
    scale = ec / total_cov if total_cov > 0 else 0.0
    rate = m.covers["premium_rate"].fillna(0.0).to_numpy(float)
    out = m.covers.copy()
    out["ead"] = ead
    out["exposure_years"] = ead * years
    out["exposure_years_pv"] = ead * years_pv
    out["premium"] = rate * ead * years
    out["premium_pv"] = rate * ead * years_pv
    out["el"], out["el_se"] = el, el_se
    out["el_pv"], out["el_pv_se"] = pv, pv_se
    if allocation == "covariance":
        out["capital"], out["capital_se"] = cov * scale, exl_se * abs(scale)
    else:
        out["capital"], out["capital_se"] = _euler_capital(r, "cover", m.covers["cover_id"], el, el_se)
    out["capital_years_pv"] = out["capital"] * years_pv  # capital held in step with the outstanding
    out["capital_years_pv_se"] = out["capital_se"] * years_pv
    return out


def pricing_table(r: "SimulationResult", by: str | list[str] | None = None,
                  allocation: str = "euler") -> pd.DataFrame:
    """Lifetime EL against premium income per cover (``by=None``) or per segment of covers.

    For a segment, EL and capital add up exactly. EL's standard error is the
    sum of the covers' (an upper bound: it assumes perfect correlation); with
    Euler allocation and one ``by`` column, capital's is the segment's own
    (its ES contribution's), and the capital charge's follows it in
    proportion.
    """
    f = cover_figures(r, allocation)
    coc = r.scenario.lifetime.cost_of_capital
    keys = ["cover_id"] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [k for k in keys if k not in f.columns]
    if missing:
        raise ValueError(f"cannot group by {missing}: not a column of covers (columns: {', '.join(f.columns)})")
    add = ["ead", "exposure_years", "exposure_years_pv", "premium", "premium_pv", "el", "el_se", "el_pv",
           "el_pv_se", "capital", "capital_se", "capital_years_pv", "capital_years_pv_se"]
    g = f.groupby(keys, sort=True, dropna=False)[add].sum()
    g.insert(0, "n_covers", f.groupby(keys, sort=True, dropna=False).size())
    g = g.reset_index()
    if allocation == "euler" and by is not None and len(keys) == 1:
        # a segment's own capital error (its ES contribution's), not the sum of its covers'
        _, se = _euler_capital(r, keys[0], g[keys[0]], g["el"].to_numpy(), g["el_se"].to_numpy())
        with np.errstate(divide="ignore", invalid="ignore"):
            years = np.where(g["capital"] != 0, g["capital_years_pv"] / g["capital"], 0.0)
        g["capital_se"], g["capital_years_pv_se"] = se, se * np.abs(years)
    ey = g["exposure_years_pv"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["premium_rate"] = np.where(ey > 0, g["premium_pv"] / ey, 0.0)
        g["break_even_rate"] = np.where(ey > 0, g["el_pv"] / ey, 0.0)
        g["break_even_rate_se"] = np.where(ey > 0, g["el_pv_se"] / ey, 0.0)
        charge = coc * g["capital_years_pv"]
        g["capital_charge_pv"] = charge
        g["capital_charge_pv_se"] = coc * g["capital_years_pv_se"]
        g["risk_adjusted_rate"] = np.where(ey > 0, (g["el_pv"] + charge) / ey, 0.0)
        g["risk_adjusted_rate_se"] = np.where(ey > 0, np.hypot(g["el_pv_se"], coc * g["capital_years_pv_se"]) / ey,
                                              0.0)
        prem = g["premium_pv"].to_numpy(float)
        lr = np.where(prem > 0, g["el_pv"] / np.where(prem > 0, prem, 1.0), np.nan)
        lr_se = np.where(prem > 0, g["el_pv_se"] / np.where(prem > 0, prem, 1.0), np.nan)
    g["loss_ratio"] = pd.array(lr, dtype="Float64")  # null where the cover earns no premium
    g["loss_ratio_se"] = pd.array(lr_se, dtype="Float64")
    g["adequate"] = g["premium_rate"] >= g["risk_adjusted_rate"]
    g.insert(0, "scenario", r.scenario.name)
    g.insert(1, "perspective", r.perspective)
    cols = ["scenario", "perspective", *keys, *PRICING_COLUMNS]
    out = g[cols].copy()
    for k in keys:
        out[k] = out[k].astype(object)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- policy


def collateral_table(r: "SimulationResult", by: str | list[str] | None = None) -> pd.DataFrame:
    """SME collateral freed by year: the time average over each year of
    ``amount x (collateral_without - collateral_with) x outstanding share``, reporting currency.

    Guarantees only, on their schedules (no Monte Carlo: a scheduled figure).
    Covers without both collateral columns free nothing and are counted apart.
    """
    m, sc = r.model, r.scenario
    cov = m.covers
    H = m.arrays.horizon
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [k for k in keys if k not in cov.columns]
    if missing:
        raise ValueError(f"cannot group by {missing}: not a column of covers")
    fx = sc.reporting.fx
    shock = sc.reporting.fx_risk.shock
    per = (cov["collateral_without"] - cov["collateral_with"]).fillna(0.0).to_numpy(float)
    amount = (cov["amount"] * cov["currency"].map(lambda c: fx[c] * shock.get(c, 1.0))).to_numpy(float)
    guarantee = cov["product"].isin(GUARANTEE_PRODUCTS).to_numpy()
    n_years = int(np.ceil(H - 1e-9))
    rows = []
    for y in range(n_years):
        lo, hi = float(y), min(float(y + 1), H)
        share = m.schedules.integrals(lo, hi) / (hi - lo)
        freed = amount * per * share * guarantee
        d = cov[keys].copy() if keys else pd.DataFrame(index=cov.index)
        d["year"] = y + 1
        d["collateral_freed"] = freed
        d["outstanding"] = amount * share * guarantee
        rows.append(d)
    df = pd.concat(rows, ignore_index=True)
    g = df.groupby(["year", *keys], sort=True, dropna=False)[["outstanding", "collateral_freed"]].sum().reset_index()
    g.insert(0, "scenario", sc.name)
    g["start"] = _date(r, g["year"].to_numpy() - 1.0).to_numpy()
    g["end"] = _date(r, np.minimum(g["year"].to_numpy(float), H)).to_numpy()
    for k in keys:
        g[k] = g[k].astype(object)
    return g[["scenario", "year", "start", "end", *keys, "outstanding", "collateral_freed"]].astype(
        {c: t for c, t in COLLATERAL_SCHEMA.items() if c in g.columns})


def policy_table(r: "SimulationResult") -> pd.DataFrame:
    """What the programme buys: collateral freed, per unit of expected loss and of economic capital."""
    m, sc = r.model, r.scenario
    H = m.arrays.horizon
    level = sc.lifetime.capital_level
    col = collateral_table(r)
    widths = np.minimum(col["year"].to_numpy(float), H) - (col["year"].to_numpy(float) - 1.0)
    freed_years = float(np.sum(col["collateral_freed"].to_numpy() * widths))  # won-years
    freed_avg = freed_years / H
    el, ec = r.el(), r.ec(level)
    z = r.sample.z

    def ratio(num: float, e: Estimate) -> Estimate:
        if e.value <= 0:
            return Estimate(0.0, 0.0, 0.0, 0.0)
        v = num / e.value
        se = v * e.se / e.value  # delta method: the numerator is scheduled, without Monte Carlo error
        lo = num / e.ci_high if e.ci_high > 0 else v
        hi = num / e.ci_low if e.ci_low > 0 else v + z * se
        return Estimate(v, se, lo, hi)

    exact = lambda v: Estimate(v, 0.0, v, v)  # noqa: E731
    rows = [
        ("collateral_freed_avg", None, exact(freed_avg), sc.reporting.currency),
        ("collateral_freed_years", None, exact(freed_years), f"{sc.reporting.currency}-years"),
        ("el", None, el, sc.reporting.currency),
        ("ec", level, ec, sc.reporting.currency),
        ("freed_years_per_el", None, ratio(freed_years, el), "years of collateral per unit of EL"),
        ("freed_per_ec", level, ratio(freed_avg, ec), "collateral per unit of capital"),
    ]
    df = pd.DataFrame([{"scenario": sc.name, "perspective": r.perspective, "figure": f, "level": lv,
                        "value": e.value, "se": e.se,
                        "ci_low": e.ci_low, "ci_high": e.ci_high, "unit": u} for f, lv, e, u in rows])
    df["level"] = pd.array(df["level"].tolist(), dtype="Float64")
    return conform(df, POLICY_SCHEMA)
