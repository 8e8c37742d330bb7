"""Losses given default: each cover's LGD law (a beta with the scenario's mean and sd, or fixed at the
mean), after default and, for guarantees, after a call on a solvent exporter."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.parameters import LGDSpec
from ..inputs.products import CREDIT_PRODUCTS
from ..inputs.scenario import Scenario
from .combos import by_combination

MIN_SD = 1e-9  # an LGD sd below a billionth is no dispersion (and sd ** 2 underflows to 0 near 1e-162)


def beta_params(spec: LGDSpec, random: bool) -> tuple[float, float, float]:
    """(mean, a, b) of a beta LGD; a = b = 0 means fixed at the mean (also for an sd below ``MIN_SD``)."""
    m, s = spec.mean, spec.sd
    if not random or s < MIN_SD or m in (0.0, 1.0):
        return m, 0.0, 0.0
    k = m * (1 - m) / (s * s) - 1.0
    return m, m * k, (1 - m) * k


def lgd_arrays(covers: pd.DataFrame, importer_kinds: pd.Series, scenario: Scenario) -> tuple[np.ndarray,
                                                                                             np.ndarray]:
    """(after default, solvent): two (n x 3) arrays of (mean, a, b) per cover. A receivable's LGD may depend
    on its buyer's kind (``[lgd.credit.<kind>]``); it has no solvent LGD."""
    lgd = scenario.lgd

    def laws(p, kind):
        spec = getattr(lgd, p)
        if p in CREDIT_PRODUCTS:
            return (*beta_params(getattr(spec, kind) or spec, lgd.random), 0.0, 0.0, 0.0)
        return (*beta_params(spec, lgd.random), *beta_params(spec.solvent, lgd.random))

    both = by_combination(laws, covers["product"], importer_kinds, width=6)
    return both[:, :3], both[:, 3:]
