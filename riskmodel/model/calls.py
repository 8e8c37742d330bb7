"""Guarantee calls: the probability of a call after the exporter's default and the annual rate of calls
without default, per cover, from the product table's keys in the scenario's ``[calls]``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.products import GUARANTEE_PRODUCTS
from ..inputs.scenario import Scenario
from .combos import by_combination


def call_arrays(covers: pd.DataFrame, scenario: Scenario, n_events: int) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray]:
    """(cv_p_call, cv_rate, cv_mult): call probability given default, rate of calls without default (on-demand
    or conditional), and the factor a country event puts on that rate. Receivables are never called."""
    calls = scenario.calls
    prod = covers["product"]
    on_demand = covers["on_demand"].astype(bool)
    p_call = by_combination(lambda p: getattr(calls.given_default, p) if (p in GUARANTEE_PRODUCTS and calls.enabled)
                            else 0.0, prod)
    call_rate = by_combination(lambda p, od: 0.0 if (p not in GUARANTEE_PRODUCTS or not calls.enabled) else
                               getattr(calls.rate_without_default if od else calls.rate_without_default_conditional,
                                       p), prod, on_demand) * calls.rate_multiplier
    mult = np.full(len(covers), float(scenario.country_events.call_rate_multiplier) if n_events else 1.0)
    return p_call.astype(float), call_rate.astype(float), mult


def event_call_array(covers: pd.DataFrame, scenario: Scenario, cv_event: np.ndarray) -> np.ndarray:
    """cv_ev_call: the probability that the country event of a cover's buyer, making delivery impossible, calls
    the guarantee at once (``[country_events] call_given_event``); 0 for receivables and covers without events."""
    ce, calls = scenario.country_events, scenario.calls
    q = by_combination(lambda p: getattr(ce.call_given_event, p) if p in GUARANTEE_PRODUCTS else 0.0,
                       covers["product"]).astype(float)
    if not (ce.enabled and calls.enabled):
        q[:] = 0.0
    return np.where(cv_event >= 0, q, 0.0)
