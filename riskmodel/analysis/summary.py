"""A result in words: the printed summary (``str(result)``) and the Jupyter view, from its public accessors."""
from __future__ import annotations

from html import escape

import pandas as pd

from ..version import __version__
from .labels import by_error, label


def text(r) -> str:
    """The printed summary: headline, metrics with errors, EL by source, the lifetime view, warnings."""
    f, unit = r.money_unit()
    sim = r.scenario.simulation
    ci = int(round(sim.ci_level * 100))
    lines = [
        f"riskmodel {__version__} | scenario {r.scenario.name!r} | {r.n_sims:,} simulations | "
        f"seed {r.seed} | {r.method_text()} | {sim.horizon_years:g}-year horizon from {sim.valuation_date}",
        f"portfolio: {len(r.portfolio.exporters)} exporters, {len(r.portfolio.importers)} importers, "
        f"{len(r.model.covers)} live covers of {len(r.portfolio.covers)}; insured exposure "
        f"{r.model.total_ead / f:,.1f} {unit}",
        *_transfer_lines(r, f, unit),
        "",
        f"{'metric':<10}{'level':>8}{'value':>14}{'std err':>12}{f'{ci}% CI':>26}   ({unit})",
    ]
    for row in r.metrics().itertuples():
        lv = "" if pd.isna(row.level) else f"{row.level:g}"
        lines.append(f"{row.metric:<10}{lv:>8}{row.value / f:>14,.3f}{row.se / f:>12,.3f}"
                     f"{f'[{row.ci_low / f:,.3f}, {row.ci_high / f:,.3f}]':>26}" + ("  *" if row.warning else ""))
    comp = r.el_by_source() / f
    lines += ["", "expected loss by source: " + ", ".join(
        f"{c.removeprefix('loss_').replace('_', ' ')} {v:,.3f}" for c, v in comp.items())]
    if sim.horizon_years > 1.0:
        lines += _lifetime_lines(r, f, unit)
    for w in r.warnings:
        lines.append(f"warning: {w}")
    if r.metrics()["warning"].str.len().gt(0).any():
        lines.append("* the row's interval may not cover at its nominal rate: see the warnings above")
    return "\n".join(lines)


def _transfer_lines(r, f: float, unit: str) -> list[str]:
    """The perspective and, with risk transfer, each layer's ceded EL and premium and the three ELs."""
    if r.transfer_losses is None:
        return []
    from .transfer import perspective_el

    el = {p: perspective_el(r, p) for p in ("gross", "ceded", "net")}
    whose = {"gross": "gross of risk transfer", "ceded": "the losses ceded to the layers",
             "net": "net of risk transfer"}[r.perspective]
    lines = [f"figures are {whose}; EL gross {el['gross'].value / f:,.3f}, ceded "
             f"{el['ceded'].value / f:,.3f} (se {el['ceded'].se / f:,.3f}), net {el['net'].value / f:,.3f} ({unit})"]
    for row in r.transfer().itertuples():
        lines.append(f"  layer {row.layer} {row.name} ({row.kind}): ceded EL {row.ceded_el / f:,.3f} "
                     f"(se {row.ceded_el_se / f:,.3f}), pays in {row.p_pays:.2%} of years, premium "
                     f"{row.premium / f:,.3f}")
    return lines


def _lifetime_lines(r, f: float, unit: str) -> list[str]:
    lt = r.lifetime().set_index("metric")
    cf = r.cashflows()
    mean = cf[(cf.flow == "claims") & (cf.metric == "mean")].set_index("period")
    top = cf[(cf.flow == "claims") & (cf.metric == "quantile") & (cf.level == 0.995)].set_index("period")
    net = cf[(cf.flow == "net") & (cf.metric == "mean")].set_index("period")
    lines = ["", f"lifetime ({unit}): claims {lt.loc['claims', 'value'] / f:,.3f}, recoveries "
                 f"{lt.loc['recoveries', 'value'] / f:,.3f}, EL {lt.loc['el', 'value'] / f:,.3f}, "
                 f"EL present value {lt.loc['el_pv', 'value'] / f:,.3f} (se {lt.loc['el_pv', 'se'] / f:,.3f}); "
                 f"largest annual claims at 99.5% {lt.loc['max_annual_claims', 'value'] / f:,.3f}",
             f"{'year':<6}{'expected claims':>18}{'std err':>12}{'claims 99.5%':>15}{'net cash out':>15}"]
    for p in mean.index:
        lines.append(f"{p:<6}{mean.loc[p, 'value'] / f:>18,.3f}{mean.loc[p, 'se'] / f:>12,.3f}"
                     f"{top.loc[p, 'value'] / f:>15,.3f}{net.loc[p, 'value'] / f:>15,.3f}")
    pol = r.policy().set_index("figure")
    lines.append(f"collateral freed: {pol.loc['collateral_freed_avg', 'value'] / f:,.1f} {unit} on average; "
                 f"{pol.loc['freed_years_per_el', 'value']:,.1f} years of collateral per unit of EL, "
                 f"{pol.loc['freed_per_ec', 'value']:,.2f} per unit of EC")
    return lines


def html(r) -> str:
    """Jupyter: the headline and the metrics as an HTML table (amounts in the summary's unit)."""
    f, unit = r.money_unit()
    sim = r.scenario.simulation
    m = r.metrics()
    view = m[["metric", "level", "value", "se", "ci_low", "ci_high"]].copy()
    view["level"] = view["level"].astype(object).where(view["level"].notna(), "")
    for c in ("value", "se", "ci_low", "ci_high"):
        view[c] = view[c] / f
    view = by_error(view)  # each figure to the digits its error supports
    view = view.rename(columns={c: label(c, unit) for c in view.columns})
    head = (f"<p><b>riskmodel {__version__}</b> | scenario <b>{escape(r.scenario.name)}</b> | "
            f"{r.n_sims:,} simulations | seed {r.seed} | {escape(r.method_text())} | "
            f"{sim.horizon_years:g}-year horizon from {sim.valuation_date} | "
            f"{int(round(sim.ci_level * 100))}% intervals"
            + (f" | {r.perspective} of risk transfer" if r.transfer_losses is not None else "") + "</p>")
    warn = "".join(f"<p style='color:#b22222'>warning: {escape(w)}</p>" for w in r.warnings)
    return head + view.to_html(index=False, classes="riskmodel") + warn
