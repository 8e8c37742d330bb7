"""The agency's history, the tables its model is calibrated and backtested on: declared once, read and
validated like the portfolio's (every problem at once, naming file, row, column and rule).

- ``default_rates``: one row per year of a segment's defaults out of its obligors (or its rate alone);
- ``cumulative_defaults``: cumulative default rates by grade and years since the cohort formed;
- ``claims_history``: calls on solvent exporters, counts over exposure-years, by product;
- ``recoveries``: realised LGDs (or claim and recovery) by product;
- ``observed_claims``: what the programme paid each year, for the backtest.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .cells import parse_table
from .errors import InputError, Problem
from .products import GUARANTEES, PRODUCTS
from .readers import read_table_file
from .schema import Column, TableSchema

_YEAR = Column("year", "number", low=1800, high=2200, doc="calendar year")

DEFAULT_RATES = TableSchema(
    "default_rates", key="year", doc="A segment's yearly defaults: `defaults` of `obligors` at the year's start, "
    "or the `rate` alone (then the large-pool likelihood is used).",
    columns=(_YEAR,
             Column("defaults", "number", required=False, low=0.0, doc="obligors that defaulted in the year"),
             Column("obligors", "number", required=False, low=0.0, low_open=True,
                    doc="obligors at the start of the year"),
             Column("rate", "number", required=False, low=0.0, high=1.0,
                    doc="the year's default rate as a share (0.0446, not 4.46); ignored when counts are given")))

CUMULATIVE_DEFAULTS = TableSchema(
    "cumulative_defaults", key="grade", unique_key=False,
    doc="Cumulative default rates of rating cohorts: `cumulative_pd` of a `grade` within `year` years.",
    columns=(Column("grade", "text"),
             Column("year", "number", low=0.0, low_open=True, high=30.0, doc="years since the cohort formed"),
             Column("cumulative_pd", "number", low=0.0, high=1.0, high_open=True),
             Column("cohort", "number", required=False, low=0.0, low_open=True,
                    doc="obligors in the cohort (gives the intervals)")))

CLAIMS_HISTORY = TableSchema(
    "claims_history", key="product", unique_key=False,
    doc="Calls on solvent exporters: `calls` over `exposure_years` of live guarantees, by product.",
    columns=(Column("product", "choice", choices=tuple(p.name for p in GUARANTEES)),
             Column("exposure_years", "number", low=0.0, low_open=True,
                    doc="guarantee-years at risk (each guarantee's years live while its exporter was solvent)"),
             Column("calls", "number", low=0.0, doc="calls on solvent exporters (a count)"),
             Column("on_demand", "bool", required=False, default=True,
                    doc="on-demand (true) or conditional (false) guarantees")))

RECOVERIES = TableSchema(
    "recoveries", key="product", unique_key=False,
    doc="Realised losses given default, one row per settled claim: `lgd`, or `claim` and `recovery`.",
    columns=(Column("product", "choice", choices=PRODUCTS),
             Column("lgd", "number", required=False, low=0.0, high=1.0),
             Column("claim", "number", required=False, low=0.0, low_open=True),
             Column("recovery", "number", required=False, low=0.0)))

OBSERVED_CLAIMS = TableSchema(
    "observed_claims", key="year", unique_key=False,
    doc="What the programme lost each year, in the reporting currency; `segment` optional (a covers value).",
    columns=(_YEAR,
             Column("claims", "number", low=0.0, doc="the year's losses (claims paid less recoveries)"),
             Column("segment", "text", required=False)))

HISTORY = {t.name: t for t in (DEFAULT_RATES, CUMULATIVE_DEFAULTS, CLAIMS_HISTORY, RECOVERIES, OBSERVED_CLAIMS)}


def read_history(path: str | Path, table: str) -> tuple[pd.DataFrame, str]:
    """The table ``table`` of HISTORY read from a CSV or Parquet file, validated; with the file's SHA-256.

    Raises InputError listing every problem (nothing is estimated from a table that has one)."""
    schema = HISTORY[table]
    p = Path(path)
    src = str(p)
    problems: list[Problem] = []
    if not p.is_file() or p.suffix.lower() not in (".csv", ".parquet"):
        raise InputError([Problem(src, table, "must be an existing .csv or .parquet file")], table)
    hashes: dict = {}
    got = read_table_file(p, table, hashes, problems)
    if got is None:
        raise InputError(problems, table)
    raw, _, offset = got
    warnings: list[str] = []
    df, found = parse_table(raw, schema, src, offset, warnings)
    problems += found
    if len(df) == 0:
        problems.append(Problem(src, table, "has no rows"))
    if len(df):
        problems += _table_rules(df, schema, src, offset)
    if problems:
        raise InputError(problems, table)
    return df, hashes[table]


def _row_problem(src, table, rows, column, rule, df, offset) -> list[Problem]:
    def value(r):
        v = None if column not in df else df[column].iloc[r]
        return v.item() if isinstance(v, np.generic) else v

    return [Problem(src, table, rule, column, row=int(r) + 1, line=None if offset is None else int(r) + 1 + offset,
                    value=value(r)) for r in rows]


def _table_rules(df: pd.DataFrame, schema: TableSchema, src: str, offset) -> list[Problem]:
    """The rules that span columns or rows."""
    t = schema.name
    out: list[Problem] = []
    whole = [c for c in ("year", "defaults", "obligors", "calls") if c in df]
    for c in whole:
        v = df[c].to_numpy(float)
        out += _row_problem(src, t, np.flatnonzero(~np.isnan(v) & (v != np.round(v))), c,
                            "must be a whole number", df, offset)
    if t == "default_rates":
        d, n, r = (df[c].to_numpy(float) for c in ("defaults", "obligors", "rate"))
        counts = ~np.isnan(d) & ~np.isnan(n)
        out += _row_problem(src, t, np.flatnonzero(np.isnan(d) != np.isnan(n)), "defaults, obligors",
                            "give both defaults and obligors, or neither (then rate)", df, offset)
        out += _row_problem(src, t, np.flatnonzero(np.isnan(d) & np.isnan(n) & np.isnan(r)), "rate",
                            "each year needs defaults and obligors, or a rate", df, offset)
        out += _row_problem(src, t, np.flatnonzero(counts & (d > n)), "defaults",
                            "defaults cannot exceed obligors", df, offset)
        if counts.any() and not counts.all():
            out.append(Problem(src, t, "give counts (defaults, obligors) on every row or on none: the likelihoods "
                               "of counts and of rates do not mix"))
    elif t == "cumulative_defaults":
        for g, part in df.groupby("grade", sort=False):
            part = part.sort_values("year")
            if part["year"].duplicated().any():
                out.append(Problem(src, t, f"grade {g!r} gives a year twice", "year"))
            elif (np.diff(part["cumulative_pd"].to_numpy(float)) < 0).any():
                out.append(Problem(src, t, f"grade {g!r}: cumulative default rates must not fall with the years "
                                   "(a cumulative rate only grows)", "cumulative_pd"))
            if part["year"].max() < 10 or part["year"].min() > 1:
                out.append(Problem(src, t, f"grade {g!r} must span years 1 to 10 (the model's curve reads the "
                                   "cumulative rates at 1, 5 and 10 years; nothing is extrapolated)", "year"))
    elif t == "recoveries":
        lgd, c, rec = (df[k].to_numpy(float) for k in ("lgd", "claim", "recovery"))
        neither = np.isnan(lgd) & (np.isnan(c) | np.isnan(rec))
        out += _row_problem(src, t, np.flatnonzero(neither), "lgd", "each row needs lgd, or claim and recovery",
                            df, offset)
        out += _row_problem(src, t, np.flatnonzero(np.isnan(lgd) & (rec > c)), "recovery",
                            "a recovery cannot exceed its claim", df, offset)
    elif t == "observed_claims":
        key = ["year", "segment"] if df["segment"].notna().any() else ["year"]
        out += _row_problem(src, t, np.flatnonzero(df.duplicated(key, keep=False).to_numpy()), "year",
                            "each year (and segment) appears once", df, offset)
    return out
