"""A self-contained HTML report of a run's results directory (``riskmodel run --out DIR``).

``riskmodel report DIR -o report.html`` reads the files a run wrote, draws
the figures (``plots.py``) into the page as PNG data, and adds the tables,
the scenario and the provenance: one file, readable offline, no scripts.
The run's own files give every section; ``contributions.parquet`` (from
``riskmodel contributions --out DIR`` with the run's options) adds a figure.
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

from ..version import __version__
from ..analysis.stored import StoredResult, flatten


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


def _table(df: pd.DataFrame, unit: str, scale: float = 1.0, money: tuple[str, ...] = (),
           names: dict[str, str] | None = None) -> str:
    """An HTML table for people (``labels.in_words``): ``money`` columns divided by ``scale``, figures to the
    digits their errors support, labels in words; ``names`` relabels columns for this table."""
    from ..analysis.labels import in_words

    d = df.copy()
    for c in d.columns:
        if str(d[c].dtype) == "Float64":  # nullable: NaN so that na_rep leaves the cell blank
            d[c] = d[c].astype(float)
    for c in money:
        if c in d.columns:
            d[c] = d[c] / scale
    d = in_words(d, unit)
    if names:
        d = d.rename(columns={in_words(pd.DataFrame(columns=[c]), unit).columns[0]: v for c, v in names.items()})
    return d.to_html(index=False, float_format=lambda v: f"{v:,.4g}", na_rep="", border=0, classes="t")


# a table whose rows carry their own units: no unit in the headers
MIXED = {"value": "Value", "se": "Standard error", "ci_low": "Interval low", "ci_high": "Interval high"}

CSS = """body{font-family:Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.4}
h1{color:#1f4e79;margin-bottom:0}h2{color:#1f4e79;border-bottom:2px solid #9bb7d4;padding-bottom:.2em;margin-top:2em}
.meta{color:#555}.t{border-collapse:collapse;margin:.5em 0;font-size:.9em}.t th,.t td{padding:.25em .7em;
text-align:right;border-bottom:1px solid #ddd}.t th{background:#eef3f8}img{max-width:100%;border:1px solid #eee}
.warn{color:#b22222}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.8em}figure{margin:1em 0}
figcaption{color:#555;font-size:.9em}.t td:first-child,.t th:first-child{text-align:left}"""


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
    pricing = r.table("pricing.parquet")
    if pricing is not None and float(pricing["premium"].sum()) > 0:
        prem = float(pricing["premium"].sum())
        rows.append(("Expected loss per unit of premium", el.value / prem, el.se / prem, el.ci_low / prem,
                     el.ci_high / prem))
    policy = r.table("policy.csv")
    if policy is not None and (policy["figure"] == "freed_per_ec").any():
        q = policy[policy["figure"] == "freed_per_ec"].iloc[0]
        rows.append(("Collateral freed per unit of capital", *(float(q[c]) for c in ("value", "se", "ci_low",
                                                                                       "ci_high"))))
    return pd.DataFrame(rows, columns=["figure", "value", "se", "ci_low", "ci_high"])


def _summary_html(r: StoredResult, capital, f: float, unit: str) -> list[str]:
    t = executive_summary(r, capital, f, unit)
    out = ["<h2>Summary</h2>", _table(t, unit, names=MIXED)]
    if capital is not None:
        p = float(t.loc[t["figure"].str.startswith("Probability the losses exhaust"), "value"].iloc[0])
        years = f"once in {1 / p:,.0f} years" if p > 0 else "in none of the simulations"
        out.insert(1, f"<p>Losses exceed the {capital / f:,.1f} {html.escape(unit)} given {years} "
                      f"(probability {p:.2g} in the horizon).</p>")
    return out


def build_report(results_dir: str | Path, capital: float | None = None, against: str | Path | None = None) -> str:
    """The report of ``results_dir`` as one HTML string; ``capital`` (a capital or fund figure in the
    reporting currency) adds its headroom and the probability of exhausting it to the summary; ``against``
    (a base results folder) adds the change against it (``riskmodel.compare``)."""
    r = StoredResult(results_dir)
    f, unit = r.money_unit()
    p = r.provenance
    name = html.escape(r.scenario.name)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>riskmodel report: {name}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>Portfolio risk report: {name}</h1>",
             f"<p class='meta'>{html.escape(r.scenario.description)}<br>{p.get('n_sims', 0):,} simulations, seed "
             f"{p.get('seed')}, {html.escape(str(p.get('method')))}; "
             f"{r.scenario.simulation.horizon_years:g}-year horizon from {r.scenario.simulation.valuation_date}; "
             f"figures {html.escape(r.scenario.perspective)} of risk transfer; amounts in {unit}; "
             f"{int(round(r.scenario.simulation.ci_level * 100))}% confidence intervals. "
             f"Report by riskmodel {__version__} on "
             f"{_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC from {html.escape(str(r.dir))}.</p>"]
    warnings = p.get("warnings") or []
    parts += [f"<p class='warn'>warning: {html.escape(w)}</p>" for w in warnings]
    notes_at = len(parts)  # files beside the run that were left out, found while reading them
    parts += _summary_html(r, capital, f, unit)
    m = _marked(r.metrics())
    parts += ["<h2>Capital</h2>", _table(m.drop(columns=["scenario", "perspective"]), unit, f,
                                         ("value", "se", "ci_low", "ci_high"))]
    if "!" in m.columns and (m["!"] != "").any():
        parts.append("<p class='warn'>* the interval may not cover at its nominal rate: see the warnings above.</p>")
    ex = r.exceedance()
    if ex is not None:
        life = r.scenario.simulation.horizon_years != 1.0
        text = ("Counting each year of the horizon as a year of the programme's life: the claims paid in a year "
                "(aggregate), and the largest claims on one exporter's covers in a year (occurrence), exceeded "
                f"once in T years on average, in {unit}." if life else
                f"The loss exceeded once in T years (a VaR at 1 - 1/T), in {unit}.")
        parts += ["<h2>Exceedance</h2>", f"<p>{text}</p>",
                  _table(_marked(ex), unit, f, ("amount", "se", "ci_low", "ci_high"))]
    if against is not None:
        parts += _change_html(against, r, f, unit)
    parts += _consumers_html(r, f, unit)
    parts += _figures_html(r)
    parts += _book_html(r, f, unit, m)
    parts += ["<h2>Scenario</h2><details><summary>resolved parameters</summary><pre>"
              + html.escape(json.dumps(r.scenario.model_dump(mode="json"), indent=2, default=str)) + "</pre></details>",
              "<h2>Provenance</h2>", provenance_table(p),
              "</body></html>"]
    parts[notes_at:notes_at] = [f"<p class='warn'>note: {html.escape(n)}</p>" for n in dict.fromkeys(r.notes)]
    return "\n".join(parts)


def _figures_html(r: StoredResult) -> list[str]:
    """The figures, as PNG data in the page."""
    from . import plots

    ci = f"{int(round(r.scenario.simulation.ci_level * 100))}%"
    figs = [("loss_distribution", plots.loss_distribution(r), "The simulated loss distribution (log scale), with EL, "
             "VaR and ES at the highest level and their confidence intervals shaded."),
            ("exceedance", plots.exceedance_curve(r), "Probability that the loss exceeds x, with its confidence band: "
             "read the loss at a return period, or the chance of exhausting a capital budget.")]
    horizon = r.scenario.simulation.horizon_years
    if horizon > 1 and (r.dir / "cashflows.parquet").is_file():
        figs.append(("lifetime", plots.lifetime_claims(r), "Claims by year: expected (with error bars), the 5-95% "
                     "range of simulations and the 99.5% quantile; recoveries arrive after the lag."))
    if r.table("capital_by_segment.parquet") is not None:
        for by in ("country", "exporter"):
            figs.append((f"contributions_{by}", plots.contributions(r, by=by, measure="es"),
                         f"Who consumes the capital, by {by}: Euler contributions to ES at the capital level (the "
                         f"largest 15), summing to the portfolio's ES; bars show the {ci} confidence interval."))
    extra = r.verb_table("contributions", "contributions.parquet")
    if extra is not None and len(extra):
        by, measure = str(extra["by"].iloc[0]), str(extra["measure"].iloc[0])
        figs.append(("contributions", plots.contributions(r, by=by, measure=measure),
                     f"Euler contributions to {measure.upper()} by {by} (from `riskmodel contributions`), summing "
                     "to the portfolio figure."))
    parts = ["<h2>Figures</h2>"]
    for key, fig, caption in figs:
        parts.append(f"<figure id='{key}'><img alt='{key}' src='{_png(fig)}'><figcaption>{html.escape(caption)}"
                     "</figcaption></figure>")
    return parts


def _book_html(r: StoredResult, f: float, unit: str, m: pd.DataFrame) -> list[str]:
    """Risk transfer, the lifetime tables, what the programme buys and pricing, when the run wrote them."""
    ccy = r.scenario.reporting.currency
    parts: list[str] = []
    transfer = r.table("transfer.csv")
    if transfer is not None:
        cols = ["name", "kind", "retention", "limit", "share", "ceded_el", "ceded_el_se", "p_pays", "premium"]
        parts += ["<h2>Risk transfer</h2>",
                  f"<p>Figures are {html.escape(str(m['perspective'].iloc[0]))} of these layers, applied in order to "
                  f"each simulation's losses; ceded EL and premium in {unit}.</p>",
                  _table(transfer[cols], unit, f, ("retention", "limit", "ceded_el", "ceded_el_se", "premium"))]
    life, policy, pricing = r.table("lifetime.csv"), r.table("policy.csv"), r.table("pricing.parquet")
    if life is not None:
        parts += ["<h2>Lifetime</h2>", _table(_marked(life).drop(columns=["scenario", "perspective"]), unit, f,
                                              ("value", "se", "ci_low", "ci_high"))]
    if policy is not None:
        pol = _policy_in_unit(policy, f, unit, ccy).drop(columns=["perspective"])
        parts += ["<h2>What the programme buys</h2>", _table(pol, unit, names=MIXED)]
    if pricing is not None:
        cols = ["cover_id", "ead", "el_pv", "capital", "premium_rate", "risk_adjusted_rate", "risk_adjusted_rate_se",
                "adequate"]
        top = pricing.sort_values("capital", ascending=False).head(10)[cols]
        money = ("ead", "el_pv", "capital")
        parts += ["<h2>Pricing: the ten covers using most capital</h2>",
                  f"<p>Of {len(pricing)} live covers, {int((~pricing['adequate']).sum())} charge less than their "
                  f"risk-adjusted rate (EL plus the cost of their capital) on the point estimates.</p>",
                  _table(top, unit, f, money)]
    return parts


def _consumers_html(r: StoredResult, f: float, unit: str) -> list[str]:
    """Who consumes the capital: the largest countries and exporters by their Euler contribution to ES at the
    capital level, and the concentration indices (the run's ``capital_by_segment.parquet`` and
    ``capital_concentration.csv``)."""
    if r.table("capital_by_segment.parquet") is None:
        return ["<h2>Who consumes the capital</h2><p>This results folder has no contributions: a run of riskmodel "
                "0.11.0 or later writes them (rerun `riskmodel run --out`).</p>"]
    out = ["<h2>Who consumes the capital</h2>"]
    cols = ["segment", "exposure", "value", "se", "ci_low", "ci_high", "share", "n_covers"]
    for by in ("country", "exporter"):
        c = r.contributions(by=by, measure="es")
        level = float(c["level"].iloc[0])
        top = _marked(c.sort_values("value", ascending=False).head(10)[cols + ["warning"]])
        out += [f"<h3>By {by}: the ten largest of {len(c)}</h3>",
                f"<p>Euler contributions to ES at {level:g} ({unit}); all {len(c)} sum to the portfolio's ES, "
                f"{c.attrs['portfolio_value'] / f:,.1f} {unit}.</p>",
                _table(top, unit, f, ("exposure", "value", "se", "ci_low", "ci_high"),
                       names={"value": f"Contribution ({unit})"})]
    h = r.herfindahl()
    if h is not None:
        out += ["<h3>Concentration</h3>", "<p>Herfindahl indices of exposure and of capital (sum of squared "
                "shares) and the effective number of names they imply (one over the index).</p>",
                _table(h.drop(columns=["scenario", "perspective"], errors="ignore"), unit)]
    return out


def provenance_table(p: dict) -> str:
    """The provenance as a table people read: one row per fact; a file's path shown by its name (the folder
    a run read from is in the key's group), its SHA-256 beside it."""
    rows = []
    for k, v in flatten(p):
        if v.startswith("/") and len(v) > 1:
            v = Path(v).name or v
        rows.append((k, v))
    t = pd.DataFrame(rows, columns=["What", "Value"]).to_html(index=False, border=0, classes="t")
    return t.replace("<td>", "<td style='text-align:left'>")


def write_report(results_dir: str | Path, out: str | Path, capital: float | None = None,
                 against: str | Path | None = None) -> Path:
    text = build_report(results_dir, capital, against)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def _change_html(against, r: StoredResult, f: float, unit: str) -> list[str]:
    """The change against a base run: each figure's change with its error, and the waterfall of where the
    change of EC came from."""
    from ..analysis.comparison import compare
    from . import plots

    c = compare(StoredResult(against), r)
    t = _marked(c.table.drop(columns=["a_scenario", "b_scenario", "errors"]))
    how = ("the runs share their seed and size, so the errors are of the paired change (common random numbers)"
           if c.paired else "the runs do not share seed and size, so the errors combine both runs' in quadrature")
    out = ["<h2>Change against the base</h2>",
           f"<p>From {html.escape(c.a.scenario.name)} (valued {html.escape(c.where(c.a))}) to this run, in {unit}; "
           f"{how}.</p>",
           _table(t, unit, f, ("a", "a_se", "b", "b_se", "change", "change_se", "ci_low", "ci_high"))]
    out += [f"<p class='warn'>* {html.escape(w)}</p>" for w in dict.fromkeys(w for w in c.table["warning"] if w)]
    st = c.steps
    if len(st):
        ec = _marked(st[st["metric"] == "ec"].drop(columns=["metric", "level", "step", "errors"]))
        out += [f"<p>Where the change of EC at {c.level:g} came from: each step reruns the book on this run's "
                "seed, so it pairs with the step before; the steps add up to the change.</p>",
                _table(ec, unit, f, ("value", "se", "change", "change_se", "ci_low", "ci_high")),
                f"<figure id='waterfall'><img alt='waterfall' src='{_png(plots.waterfall(c))}'><figcaption>The change "
                f"of EC at {c.level:g}, step by step, with {int(round(r.scenario.simulation.ci_level * 100))}% "
                "error bars.</figcaption></figure>"]
    else:
        out.append(f"<p class='warn'>The change is not split into its sources: {html.escape(c.why_no_steps)}.</p>")
    return out

