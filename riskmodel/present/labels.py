"""Column labels for people, declared once: each table column's name in words and the kind of number it
holds (money in the reporting currency, a share, a probability, a rate, years, a count or text), so that the
workbook, the report and a table's printed form label and scale a column the same way.

``money`` columns are shown in the run's money unit (``KRW bn``), named in the label; the others keep
their values. A column not listed keeps its name and values.
"""
from __future__ import annotations

import pandas as pd

MONEY, MONEY_YEARS, SHARE, PROB, RATE, YEARS, COUNT, TEXT, LEVEL, DATE = (
    "money", "money-years", "share", "probability", "rate", "years", "count", "text", "level", "date")

LABELS: dict[str, tuple[str, str]] = {
    # every tidy table
    "scenario": ("Scenario", TEXT), "perspective": ("Perspective", TEXT), "metric": ("Figure", TEXT),
    "measure": ("Measure", TEXT), "level": ("Confidence level", LEVEL), "value": ("Value", MONEY),
    "se": ("Standard error", MONEY), "ci_low": ("Interval low", MONEY), "ci_high": ("Interval high", MONEY),
    "warning": ("Warning", TEXT),
    # contributions and concentration
    "by": ("Segmented by", TEXT), "segment": ("Segment", TEXT), "dimension": ("Dimension", TEXT),
    "share": ("Share of the total", SHARE), "tail_sims": ("Tail simulations", COUNT),
    "n_covers": ("Covers", COUNT), "exposure": ("Exposure", MONEY), "exposure_share": ("Share of exposure", SHARE),
    "capital": ("Capital", MONEY), "capital_se": ("Capital, standard error", MONEY),
    "capital_share": ("Share of capital", SHARE), "capital_share_se": ("Share of capital, standard error", SHARE),
    # pricing
    "ead": ("Exposure at default", MONEY), "exposure_years": ("Exposure over time", MONEY_YEARS),
    "exposure_years_pv": ("Exposure over time, present value", MONEY_YEARS), "premium": ("Premium", MONEY),
    "premium_pv": ("Premium, present value", MONEY), "el": ("Expected loss", MONEY),
    "el_se": ("Expected loss, standard error", MONEY), "el_pv": ("Expected loss, present value", MONEY),
    "el_pv_se": ("Expected loss PV, standard error", MONEY), "premium_rate": ("Premium rate (a year)", RATE),
    "break_even_rate": ("Break-even rate (a year)", RATE),
    "break_even_rate_se": ("Break-even rate, standard error", RATE),
    "capital_charge_pv": ("Cost of capital, present value", MONEY),
    "capital_charge_pv_se": ("Cost of capital PV, standard error", MONEY),
    "risk_adjusted_rate": ("Risk-adjusted rate (a year)", RATE),
    "risk_adjusted_rate_se": ("Risk-adjusted rate, standard error", RATE),
    "loss_ratio": ("Loss ratio", SHARE), "loss_ratio_se": ("Loss ratio, standard error", SHARE),
    "adequate": ("Premium covers the risk-adjusted rate", TEXT),
    # cash flows
    "period": ("Period", COUNT), "start": ("From", DATE), "end": ("To", DATE), "t_start": ("From (years)", YEARS),
    "t_end": ("To (years)", YEARS), "flow": ("Flow", TEXT),
    # exceedance
    "return_period": ("Return period (years)", YEARS), "probability": ("Probability a year", PROB),
    "loss": ("Loss", MONEY),
}

NUMBER_FORMATS = {MONEY: "#,##0.000", MONEY_YEARS: "#,##0.000", SHARE: "0.00%", PROB: "0.0000%", RATE: "0.000%", YEARS: "#,##0.0",
                  COUNT: "#,##0", LEVEL: "0.0###", DATE: "yyyy-mm-dd"}


def label(column: str, unit: str) -> str:
    """A column's label in words; money labels name the unit, e.g. 'Value (KRW bn)'."""
    words, k = LABELS.get(column, (column, None))
    return f"{words} ({unit})" if k == MONEY else f"{words} ({unit}-years)" if k == MONEY_YEARS else words


def kind(column: str) -> str | None:
    return LABELS.get(column, (None, None))[1]


def for_people(df: pd.DataFrame, divisor: float, unit: str) -> pd.DataFrame:
    """``df`` with money columns in the unit and every column labelled in words."""
    out = df.copy()
    for c in out.columns:
        if kind(c) in (MONEY, MONEY_YEARS):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float) / divisor
        elif str(out[c].dtype) in ("Float64", "Int64"):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out.rename(columns={c: label(c, unit) for c in out.columns})


ROUNDED = ("value", "loss", "ci_low", "ci_high")  # shown to the digits of their row's standard error


def decimals(se: float, significant: int = 2) -> int | None:
    """Decimal places that show ``se`` to ``significant`` digits: a figure is shown to the same place, no
    finer than its error supports. None when the error is 0 or unknown (an atom, an exact figure)."""
    import math

    if not (se > 0 and math.isfinite(se)):
        return None
    return int(min(max(significant - 1 - math.floor(math.log10(se)), 0), 10))


def by_error(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (with an ``se`` column, already in its unit) with each row's figures and error as text rounded to
    the error's second significant digit; rows without an error keep four significant digits."""
    out = df.copy()
    cols = [c for c in (*ROUNDED, "se") if c in out.columns]
    if "se" not in out.columns or not cols:
        return out
    text = {c: [] for c in cols}
    for _, row in out.iterrows():
        se = row["se"]
        d = decimals(float(se)) if pd.notna(se) else None
        for c in cols:
            v = row[c]
            text[c].append("" if pd.isna(v) else f"{float(v):,.4g}" if d is None else f"{float(v):,.{d}f}")
    for c in cols:
        out[c] = text[c]
    return out
