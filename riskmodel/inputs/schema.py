"""Table schemas, declared once: portfolio inputs and every output table.

Validation, loading, the sample generator, the docs and the writers all read
these declarations; nothing else lists column names.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .products import PRODUCTS, products_in_words

SCHEDULE_KINDS = ("bullet", "linear", "milestones")
IMPORTER_KINDS = ("sovereign", "state", "private")
BETA_PREFIX = "beta_"


@dataclass(frozen=True)
class Column:
    """One input column: its type, whether it is required, and its own rule."""

    name: str
    kind: str  # id | text | code3 | choice | number | bool | date
    required: bool = True
    default: object = None
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: value must be > low (else >=)
    high_open: bool = False  # True: value must be < high (else <=)
    doc: str = ""

    def range_rule(self) -> str:
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open else "]"
        a = "-inf" if self.low is None else f"{self.low:g}"
        b = "inf" if self.high is None else f"{self.high:g}"
        return f"must be a number in {lo}{a}, {b}{hi}"


MAX_AMOUNT = 1e15  # the largest face amount in any currency: beyond it, a unit or typing error (1e15 won: 1,000 trn)


@dataclass(frozen=True)
class TableSchema:
    name: str
    key: str
    columns: tuple[Column, ...]
    allows_betas: bool = False
    doc: str = ""
    unique_key: bool = True  # False: the key names a row of another table (many rows per key)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


_RATING = Column("rating", "text", required=False, doc="grade of the master scale; `pd` overrides it")
_PD = Column("pd", "number", required=False, low=0.0, high=1.0, high_open=True,
             doc="one-year probability of default; overrides `rating`")

EXPORTERS = TableSchema(
    "exporters",
    key="exporter_id",
    allows_betas=True,
    doc="Korean exporters whose guarantees the agency insures.",
    columns=(
        Column("exporter_id", "id", doc="unique id"),
        _RATING,
        _PD,
        Column("sector", "text", required=False, default="defence",
               doc="sector factor the exporter loads on (default 'defence')"),
        Column("capacity", "number", required=False, low=0.0, high=MAX_AMOUNT,
               doc="the largest call the firm can absorb, in the reporting currency: a call on it while solvent "
                   "that is larger makes it default at the call (blank: no limit)"),
    ),
)

IMPORTERS = TableSchema(
    "importers",
    key="importer_id",
    allows_betas=True,
    doc="Overseas buyers (ministries of defence, state arsenals, private firms).",
    columns=(
        Column("importer_id", "id", doc="unique id"),
        Column("country", "code3", doc="ISO 3166 alpha-3 code present in the country table"),
        Column("kind", "choice", choices=IMPORTER_KINDS, doc="sovereign, state or private"),
        _RATING,
        _PD,
    ),
)

COVERS = TableSchema(
    "covers",
    key="cover_id",
    doc="Insured guarantees and receivables, one row per cover.",
    columns=(
        Column("cover_id", "id", doc="unique id"),
        Column("exporter_id", "id", doc="must exist in exporters"),
        Column("importer_id", "id", doc="must exist in importers"),
        Column("product", "choice", choices=PRODUCTS, doc=products_in_words()),
        Column("amount", "number", low=0.0, low_open=True, high=MAX_AMOUNT,
               doc="face amount in `currency`, > 0 and at most 1e15 (a larger figure is a unit or typing error)"),
        Column("currency", "code3", doc="ISO 4217 code with a rate in the scenario's [reporting.fx]"),
        Column("insured_share", "number", low=0.0, high=1.0, low_open=True, doc="share of the loss the agency bears"),
        Column("start", "date", doc="date the cover starts"),
        Column("end", "date", doc="date the cover ends, after `start`"),
        Column("on_demand", "bool", required=False, default=True,
               doc="on-demand (true) or conditional (false) guarantee; default true"),
        Column("premium_rate", "number", required=False, low=0.0, high=1.0,
               doc="annual premium on the outstanding, a share in [0, 1] (0.008 is 0.8% a year)"),
        Column("collateral_without", "number", required=False, low=0.0, high=1.0,
               doc="collateral the bank would ask without the cover, share of amount"),
        Column("collateral_with", "number", required=False, low=0.0, high=1.0,
               doc="collateral asked with the cover, share of amount"),
        Column("contract_id", "text", required=False,
               doc="groups the covers of one export contract (same exporter and importer); a claim on one "
                   "ends the contract, so its covers that start later never run"),
        Column("schedule", "choice", required=False, default="bullet", choices=SCHEDULE_KINDS,
               doc="how the outstanding runs from `start` to `end`: bullet (the full amount throughout), linear "
                   "(down from the amount at start to zero at end) or milestones (rows in `schedules`); "
                   "default bullet"),
    ),
)

SCHEDULES = TableSchema(
    "schedules",
    key="cover_id",
    unique_key=False,
    doc="Optional: the milestones of covers whose schedule is `milestones`. From each date the outstanding is "
        "the row's value until the next date; before the first date it is the full amount.",
    columns=(
        Column("cover_id", "id", doc="a cover whose schedule is milestones"),
        Column("date", "date", doc="date from which the outstanding applies, in [start, end) of the cover"),
        Column("outstanding", "number", required=False, low=0.0, high=MAX_AMOUNT,
               doc="outstanding from `date`, in the cover's currency (at most its amount)"),
        Column("outstanding_share", "number", required=False, low=0.0, high=1.0,
               doc="outstanding from `date` as a share of the amount; give this or `outstanding`"),
    ),
)

TABLES = {t.name: t for t in (EXPORTERS, IMPORTERS, COVERS)}  # every portfolio has these
OPTIONAL_TABLES = {t.name: t for t in (SCHEDULES,)}
ALL_TABLES = {**TABLES, **OPTIONAL_TABLES}

# ---------------------------------------------------------------- outputs

#: metric name -> what it is; `level` is a confidence level or a threshold.
METRICS = {
    "el": "expected loss",
    "sd": "standard deviation of the loss",
    "var": "value at risk at confidence level `level`",
    "es": "expected shortfall at confidence level `level`",
    "ec": "economic capital = VaR - EL at confidence level `level`",
    "p_exceed": "probability that the loss exceeds the threshold `level`",
}

#: lifetime.csv: the same columns as the metrics (METRICS_SCHEMA), these metrics
LIFETIME_METRICS = {
    "claims": "expected claims paid over the horizon (gross of recoveries)",
    "recoveries": "expected recoveries received, up to the horizon plus the recovery lag",
    "el": "expected net loss over the horizon",
    "el_pv": "expected present value at the valuation date of the net loss (claims less lagged recoveries)",
    "max_annual_claims": "quantile `level` of the largest claims paid in any one year",
}

METRICS_SCHEMA = {
    "scenario": "string",
    "perspective": "string",  # gross, ceded or net of risk transfer (Scenario.perspective)
    "metric": "string",
    "level": "Float64",  # null for el and sd
    "value": "float64",
    "se": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "warning": "string",  # why the interval may not cover at its nominal rate; empty when it can be trusted
}

#: expected cash flows and their percentile bands by period (cashflows.parquet); `metric` is mean or
#: quantile (at `level`); `flow` is claims, recoveries or net (claims less recoveries)
CASHFLOWS_SCHEMA = {
    "scenario": "string",
    "perspective": "string",  # gross, ceded or net of risk transfer (Scenario.perspective)
    "period": "int64",  # 1 = the first period (or year) after the valuation date
    "start": "datetime64[ns]",
    "end": "datetime64[ns]",
    "t_start": "float64",  # years from the valuation date
    "t_end": "float64",
    "flow": "string",
    "metric": "string",
    "level": "Float64",
    "value": "float64",
    "se": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}

#: pricing.parquet: one row per cover (or per segment), after the key columns
PRICING_COLUMNS = {
    "n_covers": "covers in the row",
    "ead": "insured exposure at the valuation date's rates (reporting currency)",
    "exposure_years": "integral of the insured outstanding over the horizon (currency-years)",
    "exposure_years_pv": "the same, discounted at the scenario curve",
    "premium": "premium income: premium_rate x exposure_years",
    "premium_pv": "premium income discounted",
    "el": "expected net loss over the horizon",
    "el_se": "its standard error (for a segment: the sum of its covers', an upper bound)",
    "el_pv": "expected net loss discounted (claims at their time, recoveries after the lag)",
    "el_pv_se": "its standard error",
    "premium_rate": "premium_pv / exposure_years_pv: the rate the row charges",
    "break_even_rate": "el_pv / exposure_years_pv: the rate that pays for the expected loss",
    "break_even_rate_se": "its standard error",
    "capital": "economic capital at lifetime.capital_level allocated in proportion to Euler ES contributions "
               "less EL (or by covariance with the total loss: pricing(allocation='covariance'))",
    "capital_se": "its standard error (the share's; the portfolio EC's own error scales every row alike)",
    "capital_charge_pv": "cost_of_capital x capital held in step with the discounted outstanding",
    "capital_charge_pv_se": "its standard error",
    "risk_adjusted_rate": "(el_pv + capital_charge_pv) / exposure_years_pv",
    "risk_adjusted_rate_se": "its standard error",
    "loss_ratio": "el_pv / premium_pv; null where the row earns no premium",
    "loss_ratio_se": "its standard error",
    "adequate": "premium_rate >= risk_adjusted_rate, on the point estimates (weigh risk_adjusted_rate_se)",
}

#: collateral.parquet: scheduled figures by year (and segment), no Monte Carlo error
COLLATERAL_SCHEMA = {
    "scenario": "string",
    "year": "int64",
    "start": "datetime64[ns]",
    "end": "datetime64[ns]",
    "outstanding": "float64",  # time-average guarantee amount outstanding in the year (reporting currency)
    "collateral_freed": "float64",  # time-average of amount x (collateral_without - collateral_with)
}

#: policy.csv: what the programme buys
POLICY_SCHEMA = {
    "scenario": "string",
    "perspective": "string",  # gross, ceded or net of risk transfer (Scenario.perspective)
    "figure": "string",
    "level": "Float64",
    "value": "float64",
    "se": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "unit": "string",
}

#: contributions.parquet: Euler contributions of a measure by segment; rows sum to the portfolio figure
CONTRIBUTIONS_SCHEMA = {
    "scenario": "string",
    "perspective": "string",  # gross, ceded or net of risk transfer (Scenario.perspective)
    "by": "string",  # the column segmenting the book (cover_id, exporter_id, country, region, product, ...)
    "segment": "string",  # its value
    "measure": "string",  # es, var, ec (= var - el) or el
    "level": "Float64",  # confidence level; null for el
    "value": "float64",  # the segment's contribution (reporting currency)
    "se": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "share": "float64",  # value / portfolio figure
    # simulations of the tail event (es: L >= VaR; var, ec: the band) in which the segment lost something:
    # below about 10 the standard error is unreliable (zero when none); for el, the effective number of
    # simulations with a loss, (sum w x)^2 / sum (w x)^2
    "tail_sims": "int64",
    "n_covers": "int64",
    "exposure": "float64",  # insured exposure of the segment's live covers (reporting currency)
    "warning": "string",  # '' when the interval can be trusted, else why not and what to do
}

#: whatif.parquet: the book's measures before and after adding candidate covers, on common random numbers
WHATIF_SCHEMA = {
    "scenario": "string",
    "perspective": "string",  # gross, ceded or net of risk transfer (Scenario.perspective)
    "metric": "string",  # el, var, es, ec
    "level": "Float64",  # null for el
    "before": "float64",
    "before_se": "float64",
    "after": "float64",
    "after_se": "float64",
    "change": "float64",  # after - before, on the same simulations
    "change_se": "float64",  # its own error: far below before_se and after_se
    "change_ci_low": "float64",
    "change_ci_high": "float64",
    "marginal": "float64",  # Euler contribution of the candidates in the book after (sums with the book's)
    "marginal_se": "float64",
    "warning": "string",  # '' when the change's interval can be trusted, else why not (the calibration study)
}

#: concentration.parquet: exposure and capital (Euler ES contribution at the capital level) by segment
CONCENTRATION_SCHEMA = {
    "scenario": "string",
    "perspective": "string",  # gross, ceded or net of risk transfer (Scenario.perspective)
    "dimension": "string",  # exporter, importer, country, region (or a limit's column)
    "segment": "string",
    "level": "float64",  # the capital level
    "exposure": "float64",
    "exposure_share": "float64",
    "capital": "float64",  # Euler contribution to ES at `level`
    "capital_se": "float64",
    "capital_share": "float64",  # capital / portfolio ES
    "capital_share_se": "float64",
}

#: herfindahl.csv: concentration indices per dimension
HERFINDAHL_SCHEMA = {
    "scenario": "string",
    "perspective": "string",  # gross, ceded or net of risk transfer (Scenario.perspective)
    "dimension": "string",
    "n_segments": "int64",
    "hhi_exposure": "float64",  # sum of squared exposure shares (no Monte Carlo error)
    "effective_n_exposure": "float64",  # 1 / hhi_exposure
    "hhi_capital": "float64",  # sum of squared capital shares
    "hhi_capital_se": "float64",  # delta method, covariance of the shares left out (conservative)
    "effective_n_capital": "float64",
}

#: limits.parquet: one row per limit and segment it applies to
LIMITS_SCHEMA = {
    "limit_row": "int64",  # row of the limits table
    "dimension": "string",
    "segment": "string",
    "exposure": "float64",
    "max_exposure": "Float64",  # null: no exposure limit
    "capital_share": "float64",
    "capital_share_se": "float64",
    "max_capital_share": "Float64",  # null: no capital limit
    "exposure_breach": "bool",
    "capital_breach": "bool",  # on the point estimate; weigh capital_breach_z
    "capital_breach_z": "Float64",  # (capital_share - limit) / se: above 2, a breach beyond Monte Carlo doubt
}

#: per-simulation outputs written to losses.parquet
#: transfer.csv: one row per [[risk_transfer]] layer, in the order the layers apply
TRANSFER_SCHEMA = {
    "scenario": "string",
    "layer": "int64",  # position in [[risk_transfer]], 0 first
    "name": "string",
    "kind": "string",  # quota_share, per_risk, per_event, aggregate
    "retention": "Float64",  # retention or attachment; null for a quota share
    "limit": "Float64",  # null for a quota share
    "share": "Float64",  # quota share only
    "ceded_el": "float64",  # expected loss the layer takes
    "ceded_el_se": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "p_pays": "float64",  # probability the layer pays anything
    "p_pays_se": "float64",
    "premium": "float64",  # premium_rate x limit (rate on line) or x ceded_el
    "premium_se": "float64",  # its Monte Carlo error (0 on a rate on line)
}

LOSSES_SCHEMA = {
    "sim": "int64",
    "loss": "float64",
    "loss_default_calls": "float64",  # guarantees called after the exporter defaulted
    "loss_solvent_calls": "float64",  # guarantees called while the exporter was solvent
    "loss_credit": "float64",  # receivables lost to importer default
    "n_exporter_defaults": "int32",
    "n_importer_defaults": "int32",
    "n_country_events": "int32",
    "n_calls": "int32",
    "claims": "float64",  # claims paid over the horizon, gross of recoveries
    "loss_pv": "float64",  # present value of the net loss (claims less lagged recoveries, discounted)
    "weight": "float64",  # likelihood ratio; 1 for plain Monte Carlo
    "stratum": "int32",  # importance sampling's design cell (standard errors are within cells); 0 for plain
}
LOSS_COMPONENTS = ("loss_default_calls", "loss_solvent_calls", "loss_credit")
COUNT_COLUMNS = ("n_exporter_defaults", "n_importer_defaults", "n_country_events", "n_calls")


def empty_input(table: TableSchema) -> pd.DataFrame:
    """A table with no rows and the typed columns a loaded one has."""
    dtypes = {"number": "float64", "date": "datetime64[ns]", "bool": "bool"}
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes.get(c.kind, object)) for c in table.columns})


def conform(df: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """Order and type the columns of an output table as its schema says."""
    missing = set(schema) - set(df.columns)
    if missing:
        raise AssertionError(f"output table lacks columns {sorted(missing)}")  # a bug, not user input
    out = df[list(schema)].astype(schema)
    for c, t in schema.items():
        if t == "float64" and not np.isfinite(out[c].to_numpy()).all():
            raise AssertionError(f"non-finite value in output column {c!r}")
    return out.reset_index(drop=True)
