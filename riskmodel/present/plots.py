"""Figures for analysts: each function takes a result and returns a matplotlib Figure.

One style for all (``STYLE``): titles name the scenario, axes carry units
(the reporting currency, scaled to bn / m where amounts are large), every
estimate that has a Monte Carlo error shows it (error bars or bands at the
run's confidence level). Functions accept a ``SimulationResult``, or a
``StoredResult`` read back from ``riskmodel run --out`` (``report.py``).

- ``loss_distribution``: the loss distribution with EL, VaR and ES marked;
- ``exceedance_curve``: P(L > x) on a log scale with its confidence band;
- ``contributions``: Euler contributions by segment, sorted, with errors;
- ``scenario_comparison``: EL and EC per scenario, with errors;
- ``sweep_heatmap``: a metric over two swept parameters;
- ``lifetime_claims``: claims by year with percentile bands;
- ``collateral_vs_capital``: collateral freed against capital consumed, by segment.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

STYLE = {
    "figure.figsize": (8.0, 4.8), "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
    "axes.spines.right": False, "axes.titlesize": 12, "axes.labelsize": 10, "legend.fontsize": 9,
    "font.size": 10,
}
COLORS = {"main": "#1f4e79", "el": "#2e8b57", "var": "#d98c1f", "es": "#b22222", "band": "#9bb7d4",
          "second": "#7f7f7f"}


def _figure(title: str) -> tuple[Figure, object]:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=STYLE["figure.figsize"], layout="constrained")
        ax = fig.add_subplot()
    ax.set_title(title)
    ax.grid(True, alpha=STYLE["grid.alpha"])
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _unit(result) -> tuple[float, str]:
    return result.money_unit()


def _z(result) -> float:
    return result.sample.z


def _level(result, level):
    return float(level if level is not None else max(result.levels))


def loss_distribution(result, level: float | None = None, bins: int = 80) -> Figure:
    """Histogram of the simulated loss (weighted under importance sampling), EL, VaR and ES at ``level``."""
    f, unit = _unit(result)
    level = _level(result, level)
    s = result.sample
    x = s.x / f
    fig, ax = _figure(f"Loss distribution: {result.scenario.name}")
    ax.hist(x, bins=bins, weights=s.w / s.n, color=COLORS["main"], alpha=0.75, label="simulated loss")
    marks = [("EL", result.el(), COLORS["el"]), (f"VaR {level:g}", result.var(level), COLORS["var"]),
             (f"ES {level:g}", result.es(level), COLORS["es"])]
    for name, e, c in marks:
        ax.axvline(e.value / f, color=c, lw=2, label=f"{name} = {e.value / f:,.1f} (se {e.se / f:,.2f})")
        ax.axvspan(e.ci_low / f, e.ci_high / f, color=c, alpha=0.15)
    ax.set_yscale("log")
    ax.set_xlabel(f"loss over the horizon ({unit})")
    ax.set_ylabel("probability per bin (log scale)")
    ax.legend(loc="upper right")
    return fig


def exceedance_curve(result, points: int = 200) -> Figure:
    """P(L > x) against x on a log scale, with the pointwise confidence band of the estimate."""
    f, unit = _unit(result)
    s = result.sample
    lo = np.quantile(s.x, 0.5)
    xs = np.unique(np.linspace(lo, s.x.max(), points))
    p = np.array([s.prob_exceed(x) for x in xs], dtype=object)
    val = np.array([e.value for e in p])
    keep = val > 0
    fig, ax = _figure(f"Exceedance probability: {result.scenario.name}")
    ci = int(round(result.scenario.simulation.ci_level * 100))
    floor = val[keep].min() / 10  # a band reaching zero is drawn to a decade below the smallest estimate
    ax.fill_between(xs[keep] / f, [max(e.ci_low, floor) for e in p[keep]], [min(e.ci_high, 1.0) for e in p[keep]],
                    color=COLORS["band"], alpha=0.6, label=f"{ci}% confidence band")
    ax.set_ylim(floor, 1.0)
    ax.plot(xs[keep] / f, val[keep], color=COLORS["main"], lw=2, label="P(loss > x)")
    for lv in result.levels:
        ax.axhline(1 - lv, color=COLORS["second"], ls=":", lw=1)
        ax.annotate(f"{lv:g}", (1.0, 1 - lv), xycoords=("axes fraction", "data"), fontsize=8,
                    color=COLORS["second"], xytext=(2, 0), textcoords="offset points", va="center")
    ax.set_yscale("log")
    ax.set_xlabel(f"loss x ({unit})")
    ax.set_ylabel("P(loss > x), log scale")
    ax.legend(loc="upper right")
    return fig


def contributions(result, by: str = "country", measure: str = "es", level: float | None = None,
                  top: int = 15) -> Figure:
    """Euler contributions of ``measure`` by ``by``, largest first, with error bars (the run's CI level)."""
    f, unit = _unit(result)
    table = result.contributions(by=by, measure=measure, level=level)
    total = table.attrs["portfolio_value"]
    t = table.sort_values("value", ascending=False).head(top).iloc[::-1]
    lv = "" if measure == "el" else f" {t['level'].iloc[0]:g}"
    fig, ax = _figure(f"Contributions to {measure.upper()}{lv} by {table['by'].iloc[0]}: {result.scenario.name}")
    ax.barh(t["segment"].astype(str), t["value"] / f, xerr=_z(result) * t["se"] / f, color=COLORS["main"],
            ecolor=COLORS["es"], capsize=3, label=f"contribution (portfolio {total / f:,.1f} {unit})")
    for y, (v, e, sh) in enumerate(zip(t["value"] / f, _z(result) * t["se"] / f, t["share"])):
        ax.text(v + e, y, f"  {100 * sh:.1f}%", va="center", fontsize=8)  # beyond the error bar
    ax.set_xlabel(f"{measure.upper()} contribution ({unit})")
    ax.set_ylabel(table["by"].iloc[0])
    ax.legend(loc="lower right")
    return fig


def scenario_comparison(results, level: float | None = None) -> Figure:
    """EL and EC at ``level`` for each scenario (a list or dict of results), with error bars."""
    items = list(results.items()) if isinstance(results, dict) else [(r.scenario.name, r) for r in results]
    if not items:
        raise ValueError("give at least one result")
    f, unit = _unit(items[0][1])
    level = _level(items[0][1], level)
    names = [n for n, _ in items]
    el = [r.el() for _, r in items]
    ec = [r.ec(level) for _, r in items]
    z = _z(items[0][1])
    x = np.arange(len(items))
    fig, ax = _figure(f"Scenarios: expected loss and economic capital at {level:g}")
    ax.bar(x - 0.2, [e.value / f for e in el], 0.4, yerr=[z * e.se / f for e in el], color=COLORS["el"],
           capsize=3, label="EL")
    ax.bar(x + 0.2, [e.value / f for e in ec], 0.4, yerr=[z * e.se / f for e in ec], color=COLORS["main"],
           capsize=3, label=f"EC {level:g}")
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylabel(f"{unit}")
    ax.legend()
    return fig


def sweep_heatmap(store, x: str, y: str, metric: str = "ec", level: float | None = None, label: str = "base",
                  unit: tuple[float, str] = (1e9, "KRW bn")) -> Figure:
    """``metric`` at ``level`` over two swept parameters ``x`` and ``y`` (points with ``label``), each cell
    annotated with its value and standard error."""
    from ..sweeps.store import Store

    df = (store if isinstance(store, Store) else Store(store)).read()
    missing = [c for c in (x, y) if c not in df.columns]
    if missing:
        raise ValueError(f"not swept parameters of this store: {missing}")
    if level is None and metric not in ("el", "sd"):
        level = float(df["level"].dropna().max())
    sel = df[(df["metric"] == metric) & (df["label"] == label)]
    sel = sel[sel["level"].isna()] if level is None else sel[(sel["level"] - level).abs() < 1e-12]
    if sel.empty:
        raise ValueError(f"no {metric} points labelled {label!r} in this store")
    f, name = unit
    grid = sel.pivot_table(index=y, columns=x, values="value", aggfunc="first") / f
    err = sel.pivot_table(index=y, columns=x, values="se", aggfunc="first") / f
    lv = "" if level is None else f" {level:g}"
    fig, ax = _figure(f"{metric.upper()}{lv} over {x} and {y} ({label})")
    ax.grid(False)
    im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            v = grid.iat[i, j]
            if v == v:
                ax.text(j, i, f"{v:,.0f}\n± {err.iat[i, j]:,.1f}", ha="center", va="center", color="white",
                        fontsize=8)  # each cell with its standard error
    fig.colorbar(im, ax=ax, label=f"{metric.upper()}{lv} ({name})")
    return fig


def lifetime_claims(result) -> Figure:
    """Expected claims by year with the 5-95% band and the 99.5% quantile; recoveries for reference."""
    f, unit = _unit(result)
    cf = result.cashflows()
    claims = cf[cf["flow"] == "claims"]
    mean = claims[claims["metric"] == "mean"].set_index("period")
    q = claims[claims["metric"] == "quantile"]
    band = {lv: q[(q["level"] - lv).abs() < 1e-12].set_index("period")["value"] for lv in (0.05, 0.95, 0.995)}
    rec = cf[(cf["flow"] == "recoveries") & (cf["metric"] == "mean")].set_index("period")
    years = mean.index.to_numpy()
    fig, ax = _figure(f"Claims by year: {result.scenario.name}")
    lo, hi = band[0.05].reindex(years).to_numpy() / f, band[0.95].reindex(years).to_numpy() / f
    ax.bar(years, hi - lo, 0.8, bottom=lo, color=COLORS["band"], alpha=0.6, label="5-95% of simulations")
    ax.bar(years, mean["value"] / f, 0.4, yerr=_z(result) * mean["se"] / f, color=COLORS["main"], capsize=3,
           label="expected claims")
    ax.plot(years, band[0.995].reindex(years) / f, "v", color=COLORS["es"], label="99.5% quantile")
    ax.plot(rec.index, rec["value"] / f, "o-", color=COLORS["el"], label="expected recoveries")
    ax.set_xticks(years)
    ax.set_xlabel("year after the valuation date")
    ax.set_ylabel(f"claims paid in the year ({unit})")
    ax.legend(loc="upper right")
    return fig


def collateral_vs_capital(result, by: str = "exporter", label_top: int = 5) -> Figure:
    """Per segment: the average SME collateral its guarantees free against the capital it consumes (Euler
    contribution to ES at the capital level), point size by exposure."""
    f, unit = _unit(result)
    col = {"exporter": "exporter_id", "importer": "importer_id"}.get(by, by)
    c = result.contributions(by=by, measure="es").set_index("segment")
    freed = result.collateral(by=col)
    widths = np.minimum(freed["year"].to_numpy(float), result.model.arrays.horizon) - (freed["year"] - 1.0)
    freed = (freed.assign(w=freed["collateral_freed"] * widths).groupby(col)["w"].sum()
             / result.model.arrays.horizon)
    freed.index = freed.index.astype(str)
    d = pd.DataFrame({"capital": c["value"], "se": c["se"], "exposure": c["exposure"]}).join(
        freed.rename("freed"), how="left").fillna({"freed": 0.0})
    fig, ax = _figure(f"Collateral freed vs capital consumed, by {by}: {result.scenario.name}")
    size = 20 + 300 * d["exposure"] / max(d["exposure"].max(), 1.0)
    ax.errorbar(d["capital"] / f, d["freed"] / f, xerr=_z(result) * d["se"] / f, fmt="none", ecolor=COLORS["second"],
                alpha=0.6)
    ax.scatter(d["capital"] / f, d["freed"] / f, s=size, color=COLORS["main"], alpha=0.7,
               label="segment (size: exposure)")
    for name, r in d.sort_values("capital", ascending=False).head(label_top).iterrows():
        ax.annotate(str(name), (r["capital"] / f, r["freed"] / f), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")
    ax.set_xlabel(f"capital consumed: ES contribution at {c['level'].iloc[0]:g} ({unit})")
    ax.set_ylabel(f"collateral freed, average over the horizon ({unit})")
    ax.legend(loc="upper left")
    return fig


def waterfall(comparison, metric: str = "ec") -> Figure:
    """Where the change from run A to run B came from (``riskmodel.compare``): A's figure, each step's change
    as a floating bar with its error bar (the run's CI level), and B's figure."""
    f, unit = comparison.b.money_unit()
    st = comparison.steps
    st = st[st["metric"] == metric].reset_index(drop=True)
    lv = "" if metric == "el" else f" at {comparison.level:g}"
    fig, ax = _figure(f"Change of {metric.upper()}{lv}: {comparison.a.scenario.name} to {comparison.b.scenario.name}")
    z = comparison.b.sample.z
    first, last = st.iloc[0], st.iloc[-1]
    labels = ["before"] + [str(n) for n in st["name"].iloc[1:]] + ["after"]
    ax.bar(0, first["value"] / f, color=COLORS["main"], yerr=z * first["se"] / f, ecolor=COLORS["second"], capsize=3)
    for i, r in enumerate(st.iloc[1:].itertuples(), start=1):
        base = st["value"].iloc[i - 1] / f
        color = COLORS["es"] if r.change > 0 else COLORS["el"]
        ax.bar(i, r.change / f, bottom=base, color=color, yerr=z * r.change_se / f, ecolor=COLORS["second"],
               capsize=3)
        ax.text(i, max(base, base + r.change / f), f"{r.change / f:+,.2f}", ha="center", va="bottom", fontsize=8)
    n = len(st)
    ax.bar(n, last["value"] / f, color=COLORS["main"], yerr=z * last["se"] / f, ecolor=COLORS["second"], capsize=3)
    ax.set_xticks(range(n + 1), labels, rotation=20, ha="right")
    lo = min(st["value"].min(), first["value"]) / f
    hi = st["value"].max() / f
    pad = max(hi - lo, abs(hi) * 0.02, 1e-9)
    ax.set_ylim(lo - 1.5 * pad, hi + 1.0 * pad)  # the changes, not the zero line, fill the axes
    ax.set_ylabel(f"{metric.upper()}{lv} ({unit})")
    return fig
