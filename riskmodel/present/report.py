"""A self-contained HTML report of a run's results directory (``riskmodel run --out DIR``).

``riskmodel report DIR -o report.html`` reads the files a run wrote, draws
the figures (``plots.py``) into the page as PNG data, and adds the tables,
the scenario and the provenance: one file, readable offline, no scripts.
Optional files add sections when present: ``contributions.parquet`` (from
``riskmodel contributions --out DIR``) and the lifetime tables.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.estimators import Estimate, LossSample
from ..analysis.units import money_unit
from ..inputs.errors import InputError, Problem
from ..inputs.scenario import Scenario
from ..version import __version__

REQUIRED = ("metrics.parquet", "losses.parquet", "run.json", "scenario.json")


class StoredResult:
    """The parts of a ``SimulationResult`` the figures and tables need, read back from a results directory."""

    def __init__(self, d: str | Path):
        self.dir = Path(d)
        missing = [f for f in REQUIRED if not (self.dir / f).is_file()]
        if missing:
            raise InputError([Problem(str(self.dir / f), "results", "not found: a results directory is what "
                                      "`riskmodel run --out DIR` writes; run it (again) with this version")
                              for f in missing], "results")
        from ..analysis.outdir import mixed_files

        problems = mixed_files(self.dir, "run")
        if problems:
            raise InputError(problems, "results")
        self.provenance = json.loads((self.dir / "run.json").read_text())
        if "files" not in self.provenance:
            raise InputError([Problem(str(self.dir / "run.json"), "results", "lists no files with their hashes "
                                      "(an older riskmodel wrote it): its files cannot be shown to be one run's; "
                                      "rerun `riskmodel run --out` with this version")], "results")
        self.scenario = Scenario.model_validate_json((self.dir / "scenario.json").read_text())
        self._metrics = pd.read_parquet(self.dir / "metrics.parquet")
        losses = pd.read_parquet(self.dir / "losses.parquet")
        strata = losses["stratum"].to_numpy() if self.provenance.get("method") == "importance" else None
        weighted = self.provenance.get("method") == "importance"
        self.sample = LossSample(losses["loss"].to_numpy(), losses["weight"].to_numpy() if weighted else None,
                                 self.scenario.simulation.ci_level, strata)
        self.n_sims = len(losses)
        self.seed = self.provenance.get("seed")

    def _optional(self, name: str) -> pd.DataFrame | None:
        f = self.dir / name
        if not f.is_file():
            return None
        return pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)

    @property
    def levels(self) -> list[float]:
        return sorted(self._metrics["level"].dropna()[self._metrics["metric"] == "var"].unique().tolist())

    def _estimate(self, metric: str, level=None) -> Estimate:
        m = self._metrics[self._metrics["metric"] == metric]
        if level is not None:
            m = m[(m["level"] - level).abs() < 1e-12]
        if m.empty:
            raise ValueError(f"{metric} at {level} is not in {self.dir / 'metrics.parquet'}")
        r = m.iloc[0]
        return Estimate(float(r["value"]), float(r["se"]), float(r["ci_low"]), float(r["ci_high"]))

    def el(self):
        return self._estimate("el")

    def var(self, level):
        return self._estimate("var", level)

    def es(self, level):
        return self._estimate("es", level)

    def ec(self, level):
        return self._estimate("ec", level)

    def metrics(self) -> pd.DataFrame:
        return self._metrics.copy()

    def cashflows(self) -> pd.DataFrame:
        cf = self._optional("cashflows.parquet")
        if cf is None:
            raise ValueError("no cashflows.parquet in the results directory")
        return cf

    def contributions(self, by=None, measure=None, level=None) -> pd.DataFrame:
        c = self._optional("contributions.parquet")
        if c is None:
            raise ValueError("no contributions.parquet: write one with `riskmodel contributions --out DIR`")
        c.attrs["portfolio_value"] = float(c["value"].sum())
        return c

    def money_unit(self) -> tuple[float, str]:
        """(divisor, name) of the unit money is shown in, as ``SimulationResult.money_unit``."""
        pricing = self._optional("pricing.parquet")
        scale = float(pricing["ead"].sum()) if pricing is not None else float(np.max(self.sample.x))
        return money_unit(scale, self.scenario.reporting.currency)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _marked(df: pd.DataFrame) -> pd.DataFrame:
    """A metrics table with its warnings as a '*' column (the texts are listed once, above the tables); results
    written before 0.5.0 have no warning column."""
    if "warning" not in df.columns:
        return df
    w = df["warning"].astype(object).where(df["warning"].notna(), "").astype(str)  # CSV reads blanks as NaN
    return df.drop(columns=["warning"]).assign(**{"!": np.where(w != "", "*", "")})


def _policy_in_unit(policy: pd.DataFrame, f: float, unit: str, ccy: str) -> pd.DataFrame:
    """The policy table with its money rows (unit the currency, or currency-years) in the report's unit."""
    d = policy.drop(columns=["scenario"]).copy()
    for suffix, name in (("", unit), ("-years", f"{unit}-years")):
        rows = d["unit"] == f"{ccy}{suffix}"
        for c in ("value", "se", "ci_low", "ci_high"):
            d.loc[rows, c] = d.loc[rows, c] / f
        d.loc[rows, "unit"] = name
    return d


def _table(df: pd.DataFrame, scale: float = 1.0, money: tuple[str, ...] = (), unit: str | None = None) -> str:
    """An HTML table: ``money`` columns divided by ``scale``; figures with a standard error rounded to the
    digits it supports (``labels.by_error``); with ``unit``, columns labelled in words."""
    from .labels import by_error, label

    d = df.copy()
    for c in d.columns:
        if str(d[c].dtype) == "Float64":  # nullable: NaN so that na_rep leaves the cell blank
            d[c] = d[c].astype(float)
    for c in money:
        if c in d.columns:
            d[c] = d[c] / scale
    d = by_error(d)
    if unit is not None:
        d = d.rename(columns={c: label(c, unit) for c in d.columns})
    return d.to_html(index=False, float_format=lambda v: f"{v:,.4g}", na_rep="", border=0, classes="t")


CSS = """body{font-family:Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.4}
h1{color:#1f4e79;margin-bottom:0}h2{color:#1f4e79;border-bottom:2px solid #9bb7d4;padding-bottom:.2em;margin-top:2em}
.meta{color:#555}.t{border-collapse:collapse;margin:.5em 0;font-size:.9em}.t th,.t td{padding:.25em .7em;
text-align:right;border-bottom:1px solid #ddd}.t th{background:#eef3f8}img{max-width:100%;border:1px solid #eee}
.warn{color:#b22222}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.8em}figure{margin:1em 0}
figcaption{color:#555;font-size:.9em}"""


def executive_summary(r: StoredResult, capital: float | None, f: float, unit: str) -> pd.DataFrame:
    """The answer first: capital at the agency's level, against ``capital`` (a capital or fund figure) the
    headroom and the probability of exhausting it, EL against premiums, collateral freed per unit of capital;
    each with its error (figures in ``unit``, probabilities and ratios as they are)."""
    sc = r.scenario
    level = sc.lifetime.capital_level if sc.lifetime.capital_level in r.levels else max(r.levels)
    ec, el = r.ec(level), r.el()
    rows = [(f"Economic capital at {level:g} ({unit})", ec.value / f, ec.se / f, ec.ci_low / f, ec.ci_high / f),
            (f"Expected loss ({unit})", el.value / f, el.se / f, el.ci_low / f, el.ci_high / f)]
    if capital is not None:
        p = r.sample.prob_exceed(capital)
        rows += [(f"Capital or fund given ({unit})", capital / f, 0.0, capital / f, capital / f),
                 (f"Headroom: given less economic capital ({unit})", (capital - ec.value) / f, ec.se / f,
                  (capital - ec.ci_high) / f, (capital - ec.ci_low) / f),
                 ("Probability the losses exhaust it in the horizon", p.value, p.se, p.ci_low, p.ci_high)]
    pricing = r._optional("pricing.parquet")
    if pricing is not None and float(pricing["premium"].sum()) > 0:
        prem = float(pricing["premium"].sum())
        rows.append(("Expected loss per unit of premium", el.value / prem, el.se / prem, el.ci_low / prem,
                     el.ci_high / prem))
    policy = r._optional("policy.csv")
    if policy is not None and (policy["figure"] == "freed_per_ec").any():
        q = policy[policy["figure"] == "freed_per_ec"].iloc[0]
        rows.append(("Collateral freed per unit of capital", *(float(q[c]) for c in ("value", "se", "ci_low",
                                                                                       "ci_high"))))
    return pd.DataFrame(rows, columns=["figure", "value", "se", "ci_low", "ci_high"])


def _summary_html(r: StoredResult, capital, f: float, unit: str) -> list[str]:
    t = executive_summary(r, capital, f, unit)
    out = ["<h2>Summary</h2>", _table(t)]
    if capital is not None:
        p = float(t.loc[t["figure"].str.startswith("Probability the losses exhaust"), "value"].iloc[0])
        years = f"once in {1 / p:,.0f} years" if p > 0 else "in none of the simulations"
        out.insert(1, f"<p>Losses exceed the {capital / f:,.1f} {html.escape(unit)} given {years} "
                      f"(probability {p:.2g} in the horizon).</p>")
    return out


def build_report(results_dir: str | Path, capital: float | None = None) -> str:
    """The report of ``results_dir`` as one HTML string; ``capital`` (a capital or fund figure in the
    reporting currency) adds its headroom and the probability of exhausting it to the summary."""
    from . import plots

    r = StoredResult(results_dir)
    f, unit = r.money_unit()
    ccy = r.scenario.reporting.currency
    p = r.provenance
    name = html.escape(r.scenario.name)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>riskmodel report: {name}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>Portfolio risk report: {name}</h1>",
             f"<p class='meta'>{html.escape(r.scenario.description)}<br>{p.get('n_sims', 0):,} simulations, seed "
             f"{p.get('seed')}, {html.escape(str(p.get('method')))}; "
             f"{r.scenario.simulation.horizon_years:g}-year horizon from {r.scenario.simulation.valuation_date}; "
             f"amounts in {unit}; {int(round(r.scenario.simulation.ci_level * 100))}% confidence intervals. "
             f"Report by riskmodel {__version__} on "
             f"{_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC from {html.escape(str(r.dir))}.</p>"]
    warnings = p.get("warnings") or []
    parts += [f"<p class='warn'>warning: {html.escape(w)}</p>" for w in warnings]
    parts += _summary_html(r, capital, f, unit)
    m = _marked(r.metrics())
    parts += ["<h2>Capital</h2>", _table(m.drop(columns=["scenario"]), f, ("value", "se", "ci_low", "ci_high"), unit)]
    if "!" in m.columns and (m["!"] != "").any():
        parts.append("<p class='warn'>* the interval may not cover at its nominal rate: see the warnings above.</p>")
    if r.scenario.simulation.horizon_years == 1.0:
        from ..analysis.exceedance import exceedance_table

        parts += ["<h2>Exceedance</h2>", f"<p>The loss exceeded once in T years (a VaR at 1 - 1/T), in {unit}.</p>",
                  _table(_marked(exceedance_table(r.sample)), f, ("loss", "se", "ci_low", "ci_high"), unit)]
    figs = [("loss_distribution", plots.loss_distribution(r), "The simulated loss distribution (log scale), with EL, "
             "VaR and ES at the highest level and their confidence intervals shaded."),
            ("exceedance", plots.exceedance_curve(r), "Probability that the loss exceeds x, with its confidence band: "
             "read the loss at a return period, or the chance of exhausting a capital budget.")]
    horizon = r.scenario.simulation.horizon_years
    if horizon > 1 and (r.dir / "cashflows.parquet").is_file():
        figs.append(("lifetime", plots.lifetime_claims(r), "Claims by year: expected (with error bars), the 5-95% "
                     "range of simulations and the 99.5% quantile; recoveries arrive after the lag."))
    if (r.dir / "contributions.parquet").is_file():
        c = r.contributions()
        figs.append(("contributions", plots.contributions(r, by=c["by"].iloc[0], measure=c["measure"].iloc[0]),
                     "Who consumes the capital: Euler contributions by segment, summing to the portfolio figure."))
    parts.append("<h2>Figures</h2>")
    for key, fig, caption in figs:
        parts.append(f"<figure id='{key}'><img alt='{key}' src='{_png(fig)}'><figcaption>{html.escape(caption)}"
                     "</figcaption></figure>")
    transfer = r._optional("transfer.csv")
    if transfer is not None:
        cols = ["name", "kind", "retention", "limit", "share", "ceded_el", "ceded_el_se", "p_pays", "premium"]
        parts += ["<h2>Risk transfer</h2>",
                  f"<p>Figures are {html.escape(str(m['perspective'].iloc[0]))} of these layers, applied in order to "
                  f"each simulation's losses; ceded EL and premium in {unit}.</p>",
                  _table(transfer[cols], f, ("retention", "limit", "ceded_el", "ceded_el_se", "premium"))]
    life, policy, pricing = r._optional("lifetime.csv"), r._optional("policy.csv"), r._optional("pricing.parquet")
    if life is not None:
        parts += ["<h2>Lifetime</h2>", _table(_marked(life).drop(columns=["scenario"]), f,
                                              ("value", "se", "ci_low", "ci_high"))]
    if policy is not None:
        parts += ["<h2>What the programme buys</h2>", _table(_policy_in_unit(policy, f, unit, ccy))]
    if pricing is not None:
        cols = ["cover_id", "ead", "premium_pv", "el_pv", "capital", "capital_charge_pv", "premium_rate",
                "risk_adjusted_rate", "risk_adjusted_rate_se", "adequate"]
        top = pricing.sort_values("capital", ascending=False).head(10)[cols]
        money = ("ead", "premium_pv", "el_pv", "capital", "capital_charge_pv")
        parts += ["<h2>Pricing: the ten covers using most capital</h2>",
                  f"<p>Of {len(pricing)} live covers, {int((~pricing['adequate']).sum())} charge less than their "
                  f"risk-adjusted rate (EL plus the cost of their capital) on the point estimates.</p>",
                  _table(top, f, money)]
    parts += ["<h2>Scenario</h2><details><summary>resolved parameters</summary><pre>"
              + html.escape(json.dumps(r.scenario.model_dump(mode="json"), indent=2, default=str)) + "</pre></details>",
              "<h2>Provenance</h2>", provenance_table(p),
              "</body></html>"]
    return "\n".join(parts)


def flatten(d, prefix: str = "") -> list[tuple[str, str]]:
    """Nested provenance as (dotted key, value) rows; lists and empty tables as compact JSON."""
    out = []
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out += flatten(v, key)
        else:
            out.append((key, json.dumps(v, default=str) if isinstance(v, (list, dict)) else str(v)))
    return out


def provenance_table(p: dict) -> str:
    """The provenance as a table people read: one row per fact; a file's path shown by its name (the folder
    a run read from is in the key's group), its SHA-256 beside it."""
    rows = []
    for k, v in flatten(p):
        if v.startswith("/") and len(v) > 1:
            v = Path(v).name or v
        rows.append((k, v))
    return _table(pd.DataFrame(rows, columns=["what", "value"])).replace("<td>", "<td style='text-align:left'>")


def write_report(results_dir: str | Path, out: str | Path, capital: float | None = None) -> Path:
    text = build_report(results_dir, capital)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
