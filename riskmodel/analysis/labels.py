"""Column labels for people, declared once: each table column's name in words and the kind of number it
holds (money in the reporting currency, a share, a probability, a rate, years, a count or text), so that the
workbook, the report and a table's printed form label and scale a column the same way.

``money`` columns are shown in the run's money unit (``KRW bn``), named in the label; the others keep
their values. A column not listed keeps its name and values.
"""
from __future__ import annotations

import pandas as pd

MONEY, MONEY_YEARS, SHARE, PROB, RATE, YEARS, COUNT, TEXT, LEVEL, DATE, INDEX, NUMBER = (
    "money", "money-years", "share", "probability", "rate", "years", "count", "text", "level", "date", "index",
    "number")

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
    "n_segments": ("Segments", COUNT), "hhi_exposure": ("Herfindahl index of exposure", INDEX),
    "effective_n_exposure": ("Effective number by exposure", NUMBER),
    "hhi_capital": ("Herfindahl index of capital", INDEX),
    "hhi_capital_se": ("Herfindahl index of capital, standard error", INDEX),
    "effective_n_capital": ("Effective number by capital", NUMBER),
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
    # risk transfer and the policy figures
    "name": ("Name", TEXT), "kind": ("Kind", TEXT), "retention": ("Retention", MONEY), "limit": ("Limit", MONEY),
    "ceded_el": ("Ceded expected loss", MONEY), "ceded_el_se": ("Ceded expected loss, standard error", MONEY),
    "p_pays": ("Probability it pays", PROB), "figure": ("What", TEXT), "unit": ("Unit", TEXT),
    "cover_id": ("Cover", TEXT),
    # run comparison
    "a": ("Before", MONEY), "a_se": ("Before, standard error", MONEY), "b": ("After", MONEY),
    "b_se": ("After, standard error", MONEY), "change": ("Change", MONEY),
    "change_se": ("Change, standard error", MONEY), "errors": ("Errors from", TEXT), "detail": ("Detail", TEXT),
    "covers": ("Covers changed", COUNT), "step": ("Step", COUNT),
    # exceedance
    "return_period": ("Return period (years)", YEARS), "probability": ("Probability a year", PROB),
    "loss": ("Loss", MONEY), "frequency": ("Times a year", PROB), "amount": ("Amount", MONEY),
}

# the codes in a table's metric or figure column, in words
WORDS = {"el": "Expected loss", "sd": "Standard deviation", "var": "Value at risk", "es": "Expected shortfall",
         "ec": "Economic capital", "p_exceed": "Probability the loss exceeds", "claims": "Claims paid",
         "recoveries": "Recoveries", "el_pv": "Expected loss, present value",
         "max_annual_claims": "Largest annual claims", "collateral_freed_avg": "Collateral freed, on average",
         "collateral_freed_years": "Collateral freed over time",
         "freed_years_per_el": "Collateral-years freed per unit of expected loss",
         "freed_per_ec": "Collateral freed per unit of economic capital",
         "loss": "Loss in the year", "aggregate": "Claims paid in a year",
         "occurrence": "One exporter's claims in a year"}
CODED = ("metric", "figure", "kind")  # the columns holding such codes

NUMBER_FORMATS = {MONEY: "#,##0.000", MONEY_YEARS: "#,##0.000", SHARE: "0.00%", PROB: "0.0000%", RATE: "0.000%",
                  YEARS: "#,##0.0", COUNT: "#,##0", LEVEL: "0.0###", DATE: "yyyy-mm-dd", INDEX: "0.0000",
                  NUMBER: "#,##0.0"}


def label(column: str, unit: str) -> str:
    """A column's label in words; money labels name the unit, e.g. 'Value (KRW bn)'."""
    words, k = LABELS.get(column, (column, None))
    return f"{words} ({unit})" if k == MONEY else f"{words} ({unit}-years)" if k == MONEY_YEARS else words


def kind(column: str) -> str | None:
    return LABELS.get(column, (None, None))[1]


def for_people(df: pd.DataFrame, divisor: float, unit: str) -> pd.DataFrame:
    """``df`` with money columns in the unit and every column labelled in words; ``attrs["error_of"]`` maps
    each labelled figure to the label of its standard error (``error_columns``)."""
    out = df.copy()
    for c in out.columns:
        if kind(c) in (MONEY, MONEY_YEARS):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float) / divisor
        elif str(out[c].dtype) in ("Float64", "Int64"):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    for c in CODED:
        if c in out.columns:
            out[c] = out[c].map(lambda v: WORDS.get(v, v))
    pairs = error_columns(out.columns)
    out = out.rename(columns={c: label(c, unit) for c in out.columns})
    out.attrs["error_of"] = {label(c, unit): label(e, unit) for c, e in pairs.items()}
    return out


ROUNDED = ("value", "loss", "amount", "ci_low", "ci_high")  # shown to the digits of their row's ``se``


def error_columns(columns) -> dict[str, str]:
    """Each figure column and the column of its standard error: ``value``, ``loss`` and the interval's ends
    with ``se``; any ``x`` with ``x_se``; an error with itself."""
    cols = [str(c) for c in columns]
    out = {c: "se" for c in (*ROUNDED, "se") if c in cols and "se" in cols}
    for c in cols:
        if c.endswith("_se") and c[:-3] in cols:
            out[c[:-3]] = out[c] = c
    if "change_se" in cols:  # a comparison's interval is the change's
        out.update({c: "change_se" for c in ("ci_low", "ci_high") if c in cols})
    return out


def decimals(se: float, significant: int = 2) -> int | None:
    """Decimal places that show ``se`` to ``significant`` digits: a figure is shown to the same place, no
    finer than its error supports. None when the error is 0 or unknown (an atom, an exact figure)."""
    import math

    try:
        se = float(se)
    except (TypeError, ValueError):
        return None
    if not (se > 0 and math.isfinite(se)):
        return None
    return int(min(max(significant - 1 - math.floor(math.log10(se)), 0), 10))


def excel_format(k: str | None, se) -> str | None:
    """An Excel number format for a figure of kind ``k`` with error ``se``: as many decimals as the error
    supports (of the percentage for shares, probabilities and rates); None keeps the column's format."""
    pct = k in (SHARE, PROB, RATE)
    try:
        d = decimals(float(se) * (100 if pct else 1))
    except (TypeError, ValueError):  # no error (None, NA, text)
        return None
    if d is None:
        return None
    body = "#,##0" + ("." + "0" * d if d else "")
    return body + "%" if pct else body


def by_error(df: pd.DataFrame, percent=()) -> pd.DataFrame:
    """``df`` (figures already in their unit) with each figure that has an error column (``error_columns``)
    as text rounded to its row's error's second significant digit; without an error, four significant
    digits. Columns in ``percent`` are shown as percentages, to the digits of the error's percentage."""
    out = df.copy()
    for c, e in error_columns(out.columns).items():
        k = 100.0 if c in percent else 1.0
        sign = "%" if c in percent else ""
        d = [decimals(k * float(v)) if pd.notna(v) else None for v in df[e]]
        out[c] = ["" if pd.isna(v) else f"{k * float(v):,.4g}{sign}" if n is None else f"{k * float(v):,.{n}f}{sign}"
                  for v, n in zip(df[c], d)]
    return out


def _percent(p: float) -> str:
    """A percentage without an error: one decimal from 1% up (26.0%, not 26%), two significant digits below."""
    return f"{p:.1f}%" if abs(p) >= 1 else f"{p:.2g}%"


def in_words(df: pd.DataFrame, unit: str, percent_kinds=(SHARE, RATE)) -> pd.DataFrame:
    """A table for a page: codes in words, figures rounded by their errors (``by_error``), shares and rates as
    percentages, yes/no for true/false, columns labelled. Money is expected in ``unit`` already."""
    d = df.copy()
    for c in CODED:
        if c in d.columns:
            d[c] = d[c].map(lambda v: WORDS.get(v, v))
    percent = [c for c in d.columns if kind(c) in percent_kinds]
    paired = error_columns(d.columns)
    d = by_error(d, percent)
    for c in percent:
        if c not in paired:
            d[c] = ["" if pd.isna(v) else _percent(100 * float(v)) for v in d[c]]
    for c in d.columns:
        if d[c].dtype == bool:
            d[c] = d[c].map({True: "yes", False: "no"})
    return d.rename(columns={c: label(c, unit) for c in d.columns})
