"""Figures of the model's validation: the backtest (observed losses in their predictive bands, and the PIT
histogram)."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .plots import COLORS, STYLE


def backtest(bt) -> Figure:
    """Each year's observed loss against the model's 5-95% band, median and VaR; beside it the PIT values."""
    import matplotlib

    t = bt.table
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(10.0, 4.4), layout="constrained")
        ax, hx = fig.subplots(1, 2, width_ratios=[2.2, 1])
    scale = 1e9 if t[["q95", "observed"]].to_numpy().max() >= 1e9 else 1.0
    unit = " (bn)" if scale > 1 else ""
    x = np.arange(len(t))
    ax.fill_between(x, t["q05"] / scale, t["q95"] / scale, color=COLORS["band"], alpha=0.6, label="model 5-95%")
    ax.plot(x, t["median"] / scale, color=COLORS["main"], lw=1, label="model median")
    ax.plot(x, t["var"] / scale, color=COLORS["var"], lw=1, ls="--", label=f"VaR {bt.level:g}")
    hit = t["exceeds"].to_numpy(bool)
    ax.scatter(x[~hit], t["observed"][~hit] / scale, color="black", zorder=3, s=18, label="observed")
    ax.scatter(x[hit], t["observed"][hit] / scale, color=COLORS["es"], zorder=3, s=30, marker="x",
               label="observed above VaR")
    labels = [f"{y}" + (f" {s}" if s else "") for y, s in zip(t["year"], t["segment"])]
    ax.set_xticks(x, labels, rotation=60, fontsize=8)
    ax.set_ylabel(f"loss{unit}")
    ax.set_title(f"Backtest: {bt.exceedances} of {len(t)} above VaR, {bt.zone} zone")
    ax.legend(loc="upper left")
    hx.hist(t["pit"], bins=np.linspace(0, 1, 11), color=COLORS["main"], edgecolor="white")
    hx.axhline(len(t) / 10, color=COLORS["second"], ls="--", lw=1, label="uniform")
    hx.set_xlabel("PIT value")
    hx.set_title(f"PIT (Berkowitz p = {bt.pit_pvalue:.2g})")
    hx.legend()
    for a in (ax, hx):
        a.grid(True, alpha=STYLE["grid.alpha"])
        a.spines[["top", "right"]].set_visible(False)
    return fig
