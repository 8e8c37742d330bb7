"""Exchange rates: covers' exposures in the reporting currency, and each risky currency's factor."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.errors import Problem
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario
from .combos import by_combination
from .loadings import Numbering


def missing_rates(portfolio: Portfolio, scenario: Scenario) -> list[Problem]:
    """A problem for each cover whose currency has no rate in the scenario's ``[reporting.fx]``."""
    cov, fx = portfolio.covers, scenario.reporting.fx
    return [Problem(portfolio.sources.get("covers", "covers"), "covers",
                    f"no exchange rate for this currency in the scenario's [reporting.fx]; add one "
                    f"(known: {', '.join(sorted(fx))})", "currency", int(i) + 1,
                    key=f"cover_id {cov['cover_id'].iat[i]!r}", value=cov["currency"].iat[i])
            for i in np.flatnonzero(~cov["currency"].isin(fx.keys()).to_numpy())]


def exposures(covers: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Each cover's insured amount in the reporting currency, deterministic FX shocks folded in."""
    fx_risk = scenario.reporting.fx_risk
    fx_rate = {c: v * fx_risk.shock.get(c, 1.0) for c, v in scenario.reporting.fx.items()}
    return (covers["amount"] * covers["insured_share"]).to_numpy(float) * by_combination(
        lambda c: fx_rate[c], covers["currency"])


@dataclass
class FXArrays:
    cv_ccy: np.ndarray  # each cover's risky currency, -1 for none
    fx_factor: np.ndarray  # each risky currency's factor
    fx_global: int  # the global factor the rates lean on, -1 for none
    fx_vol: np.ndarray  # each risky currency's annual volatility: a claim at t years draws its rate with vol sqrt(t)
    fx_rho: float


def fx_arrays(covers: pd.DataFrame, scenario: Scenario, factors: Numbering) -> FXArrays:
    """Stochastic rates: one factor per risky currency (numbered after the loadings' factors), and the global
    factor they lean on."""
    fx_risk = scenario.reporting.fx_risk
    currencies = sorted(c for c, v in fx_risk.volatility.items() if v > 0)
    ccy_pos = {c: i for i, c in enumerate(currencies)}
    cv_ccy = by_combination(lambda c: ccy_pos.get(c, -1), covers["currency"], dtype=np.int64)
    fx_factor = np.array([factors(f"fx:{c}") for c in currencies], dtype=np.int64)
    fx_global = factors("global") if currencies and fx_risk.downturn_correlation != 0.0 else -1
    fx_vol = np.array([fx_risk.volatility[c] for c in currencies], dtype=float)
    return FXArrays(cv_ccy, fx_factor, int(fx_global), fx_vol, float(fx_risk.downturn_correlation))
