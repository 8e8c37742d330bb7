"""The exceedance-probability table: the loss exceeded once in T years, for the return periods risk
committees read (10 to 1,000 years), each a VaR at ``1 - 1/T`` with its error and warning."""
from __future__ import annotations

import pandas as pd

from .estimators import LossSample

RETURN_PERIODS = (10, 50, 100, 200, 250, 500, 1000)
EXCEEDANCE_SCHEMA = ("return_period", "probability", "loss", "se", "ci_low", "ci_high", "warning")


def exceedance_table(sample: LossSample, periods=RETURN_PERIODS) -> pd.DataFrame:
    """One row per return period T of a one-year loss sample: the loss exceeded with probability 1/T."""
    rows = []
    for T in periods:
        level = 1.0 - 1.0 / T
        e, _ = sample.var(level)
        rows.append((float(T), 1.0 / T, e.value, e.se, e.ci_low, e.ci_high, sample.warning("var", level)))
    return pd.DataFrame(rows, columns=list(EXCEEDANCE_SCHEMA))
