"""The covers the run simulates: their windows inside the horizon, the obligors they hang on, their
exposure schedules and the contracts whose later covers a claim cancels."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.errors import Problem, raise_if
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario
from ..inputs.schedules import Schedules, build_schedules, years_from
from .combos import positions
from .factors import Latents
from .fx import missing_rates


@dataclass
class LiveCovers:
    covers: pd.DataFrame  # the live covers, in kernel order
    a: np.ndarray  # window start in years from valuation (>= 0)
    b: np.ndarray  # window end (<= horizon)
    n_outside: int  # covers not live in the horizon
    schedules: Schedules


def live_covers(portfolio: Portfolio, scenario: Scenario) -> LiveCovers:
    """The covers live in the horizon, with their windows and schedules; refuses a run with none, or with a
    currency the scenario has no rate for."""
    cov = portfolio.covers
    H = scenario.simulation.horizon_years
    val = pd.Timestamp(scenario.simulation.valuation_date)
    start_y, end_y = years_from(val, cov["start"]), years_from(val, cov["end"])
    a = np.maximum(start_y, 0.0)
    b = np.minimum(end_y, H)
    live = b > a
    problems = missing_rates(portfolio, scenario)
    if len(cov) and not live.any():  # nothing to simulate: say why rather than report zeros as risk figures
        horizon_end = val + pd.DateOffset(days=round(365.25 * H))
        problems.append(Problem(portfolio.sources.get("covers", "covers"), "covers",
                                f"no cover is live in the horizon {val:%Y-%m-%d} to {horizon_end:%Y-%m-%d}: every "
                                f"cover ends by the valuation date or starts after the horizon (the covers run "
                                f"from {cov['start'].min():%Y-%m-%d} to {cov['end'].max():%Y-%m-%d}); set "
                                f"[simulation] valuation_date inside that span or lengthen the horizon", "start, end"))
    raise_if(problems, "model")
    live_cov = cov[live].reset_index(drop=True)
    sched = build_schedules(live_cov, portfolio.schedules, val, start_y[live], end_y[live])
    return LiveCovers(live_cov, a[live], b[live], int((~live).sum()), sched)


def obligor_links(portfolio: Portfolio, covers: pd.DataFrame, latents: Latents,
                  imp_event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Series]:
    """(cv_exp, cv_imp, cv_event, importer kinds): each cover's exporter, importer and country-event latents
    (-1 for no event) and its importer's kind."""
    imp = portfolio.importers
    n_e = latents.n_exporters
    cv_imp = n_e + positions(covers["importer_id"], imp["importer_id"])
    cv_event = imp_event[cv_imp] if latents.n_events else np.full(len(covers), -1, dtype=np.int64)
    kinds = imp["kind"].iloc[cv_imp - n_e].reset_index(drop=True)
    return positions(covers["exporter_id"], portfolio.exporters["exporter_id"]), cv_imp, cv_event, kinds


def contracts(covers: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Each cover's contract index, -1 for none: contracts with two or more live covers, when claims chain."""
    cv_contract = np.full(len(covers), -1, dtype=np.int64)
    if scenario.lifetime.chain_contracts and covers["contract_id"].notna().any():
        cid = covers["contract_id"]
        multi = cid.notna() & cid.duplicated(keep=False)
        codes, _ = pd.factorize(cid[multi])
        cv_contract[multi.to_numpy()] = codes
    return cv_contract
