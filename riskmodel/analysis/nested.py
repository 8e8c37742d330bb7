"""Nested Monte Carlo over uncertain parameters: ``simulate(..., parameter_draws=K)``.

K outer draws ``theta_k`` of the parameters (``analysis.draws``); for each, an inner run of N simulations
on common random numbers (the same seed: simulation i reads the same draws under every theta, so the
figures' differences between draws are parameter effects, not noise). For each figure m (EL, VaR, ES, EC
at each level):

- ``mean``: the average over the draws of the figure, ``(1/K) sum_k m_k``; ``mc_se``: its Monte Carlo error
  given the draws, by sectioning (below);
- ``param_sd``: the parameter uncertainty, the sd of ``m(theta)`` over theta, net of the inner noise. The
  inner runs are cut into B sections of whole rounds of the design; ``m_kb`` is the figure of draw k on
  section b. Under common random numbers a section's noise is partly shared by all draws; what is not
  shared is the interaction of the K x B table, whose mean square ``MS_int`` estimates it, so
  ``param_sd^2 = var_k(m_k) - MS_int / B`` (two-way random-effects analysis of variance; set to 0 when
  negative). ``param_low``/``param_high``: the spread of ``m_k`` over the draws (its ``ci_level`` quantiles);
- ``predictive``: the figure of the predictive distribution, the loss law mixed over the draws, estimated
  from all K N simulations pooled (each draw's weights / K); ``predictive_se`` by sectioning: the B
  sections pooled across draws are independent, so ``se = sd_b(m_b) / sqrt(B)`` and the interval uses
  Student's t with B - 1 degrees of freedom;
- ``param_share``: ``param_sd^2 / (param_sd^2 + inner se^2)``, the share of the figure's uncertainty that
  more simulations would not remove.

Checked against a closed form in ``tests/test_parameter_uncertainty.py``: a one-factor pool whose PD
multiplier is uncertain has an exact loss law for each draw, and so for their mixture.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.errors import InputError, Problem
from ..version import __version__
from .draws import draw_table, scenario_at
from .estimators import LossSample, stats_t_quantile

SECTIONS = 10
FIGURES_SCHEMA = ("metric", "level", "mean", "mc_se", "param_sd", "param_low", "param_high", "predictive",
                  "predictive_se", "predictive_ci_low", "predictive_ci_high", "param_share", "perspective")
PER_DRAW_SCHEMA = ("draw", "metric", "level", "value", "se")


def _figures(s: LossSample, levels) -> list[tuple[str, float, float, float]]:
    """(metric, level, value, se) of a sample."""
    out = [("el", None, *_vs(s.mean()))]
    for a in levels:
        out += [("var", a, *_vs(s.var(a)[0])), ("es", a, *_vs(s.es(a))), ("ec", a, *_vs(s.ec(a)))]
    return out


def _vs(e):
    return e.value, e.se


def _sections(n: int, n_cells: int) -> list[slice]:
    size = (n // SECTIONS // n_cells) * n_cells
    if size < 2 * n_cells:
        raise InputError([Problem("options", "options", f"parameter draws need at least {SECTIONS} sections of "
                                  f"{2 * n_cells} simulations: increase n_sims to {SECTIONS * 2 * n_cells} or more",
                                  "n_sims", value=n)], "options")
    return [slice(b * size, (b + 1) * size) for b in range(SECTIONS)]


def _values(x, w, levels) -> np.ndarray:
    return np.array([f[2] for f in _figures(LossSample(x, w), levels)])


class UncertainResult:
    """Figures with their Monte Carlo error and their parameter uncertainty, apart, and under the predictive
    distribution (see the module's text)."""

    def __init__(self, figures: pd.DataFrame, per_draw: pd.DataFrame, draws: pd.DataFrame, provenance: dict,
                 warnings: list[str], unit: tuple[float, str] = (1.0, "")):
        self.unit = unit  # (divisor, name) of money on screen
        self.figures = figures
        self.per_draw = per_draw
        self.draws = draws
        self.provenance = provenance
        self.warnings = warnings

    def summary(self) -> str:
        p = self.provenance
        f = self.figures.copy()
        div, name = self.unit
        money = [c for c in FIGURES_SCHEMA if c not in ("metric", "level", "param_share", "perspective")]
        f[money] = f[money] / div
        f["level"] = f["level"].astype(object).where(f["level"].notna(), "-")
        head = (f"parameter uncertainty: {p['parameter_draws']} draws x {p['n_sims']:,} simulations (common random "
                f"numbers, seed {p['seed']}), {p['perspective']} losses in {name}\n"
                f"uncertain: {', '.join(p['parameters'])}")
        with pd.option_context("display.width", 160):
            body = f.drop(columns="perspective").to_string(index=False, float_format=lambda v: f"{v:,.3f}",
                                                           na_rep="-")
        return "\n".join([head, body] + [f"warning: {w}" for w in self.warnings])

    def __str__(self) -> str:
        return self.summary()


def nested(portfolio, scenario, parameter_draws: int, simulate, **kw) -> UncertainResult:
    """``parameter_draws`` inner runs of ``simulate(portfolio, scenario_k, **kw)``, combined."""
    sc = scenario.with_overrides(n_sims=kw.pop("n_sims", None), seed=kw.pop("seed", None),
                                 levels=kw.pop("levels", None), method=kw.pop("method", None))
    _check(sc, parameter_draws)
    sim = sc.simulation
    draws = draw_table(sc, parameter_draws, sim.seed)
    inner = _inner_runs(portfolio, sc, draws, simulate, kw)
    figures = _combine(inner, sim.ci_level)
    K = parameter_draws
    warnings = []
    if draws["clipped"].any():
        warnings.append(f"{int(draws['clipped'].sum())} parameter values fell outside their range and were clipped "
                        "to it: the distribution given puts mass where the parameter cannot go")
    if K < 20:
        warnings.append(f"{K} draws: param_sd has a relative sampling error of about {1 / np.sqrt(2 * (K - 1)):.0%} "
                        "from the draws alone; use 20 or more for a figure to report")
    prov = {"riskmodel_version": __version__, "parameter_draws": K, "n_sims": int(sim.n_sims), "seed": int(sim.seed),
            "sections": SECTIONS, "scenario_sha256": sc.content_hash, "parameters": sorted(sc.uncertainty.parameters),
            "perspective": inner["perspective"], "portfolio_sha256": dict(portfolio.file_hashes)}
    per_draw = pd.DataFrame(inner["per_draw"], columns=list(PER_DRAW_SCHEMA))
    per_draw["level"] = pd.array(per_draw["level"].tolist(), dtype="Float64")
    return UncertainResult(figures, per_draw, draws, prov, warnings, inner["unit"])


def _check(sc, parameter_draws: int) -> None:
    if not sc.uncertainty.parameters:
        raise InputError([Problem("scenario", "scenario", "parameter draws need uncertain parameters: give "
                                  "[uncertainty.parameters] in the scenario (or run without parameter_draws)",
                                  "uncertainty.parameters")], "scenario")
    if parameter_draws < 2:
        raise InputError([Problem("options", "options", "parameter_draws must be at least 2 (a spread needs two "
                                  "draws)", "parameter_draws", value=parameter_draws)], "options")


def _inner_runs(portfolio, sc, draws: pd.DataFrame, simulate, kw) -> dict:
    levels = sorted(sc.simulation.levels)
    out = {"per_draw": [], "full": [], "by_sec": [], "xs": [], "ws": [], "sections": None, "levels": levels}
    for k, part in draws.groupby("draw", sort=True):
        r = simulate(portfolio, scenario_at(sc, dict(zip(part["parameter"], part["value"])), int(k)), **kw)
        s = r.sample
        figs = _figures(s, levels)
        out["per_draw"] += [(int(k), m, lv, v, se) for m, lv, v, se in figs]
        out["full"].append([f[2] for f in figs])
        if out["sections"] is None:
            n_cells = int(r.cells.max() + 1) if r.cells is not None else 1
            out["sections"] = _sections(r.n_sims, n_cells)
            out["perspective"] = r.perspective
            out["names"] = [(m, lv) for m, lv, *_ in figs]
            out["unit"] = r.money_unit()
        out["by_sec"].append([_values(s.x[sl], s.w[sl], levels) for sl in out["sections"]])
        out["xs"].append(s.x)
        out["ws"].append(s.w)
    return out


def _combine(inner: dict, ci: float) -> pd.DataFrame:
    full, by_sec = np.array(inner["full"]), np.array(inner["by_sec"])  # K x F, K x B x F
    K, B = by_sec.shape[:2]
    levels, xs, ws = inner["levels"], inner["xs"], inner["ws"]
    resid = by_sec - by_sec.mean(axis=1, keepdims=True) - by_sec.mean(axis=0, keepdims=True) + by_sec.mean((0, 1))
    ms_int = (resid ** 2).sum(axis=(0, 1)) / ((K - 1) * (B - 1))
    param_var = np.maximum(full.var(axis=0, ddof=1) - ms_int / B, 0.0)
    mean_se = by_sec.mean(axis=0).std(axis=0, ddof=1) / np.sqrt(B)
    pooled = _values(np.concatenate(xs), np.concatenate(ws), levels)
    pooled_sec = np.array([_values(np.concatenate([x[sl] for x in xs]), np.concatenate([w[sl] for w in ws]), levels)
                           for sl in inner["sections"]])
    pred_se = pooled_sec.std(axis=0, ddof=1) / np.sqrt(B)
    t = stats_t_quantile(0.5 + ci / 2, B - 1)
    se2 = np.array(inner["per_draw"], dtype=object)[:, 4].astype(float).reshape(K, -1) ** 2
    inner_se2 = se2.mean(axis=0)
    lo_q, hi_q = np.quantile(full, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
    rows = []
    for i, (m, lv) in enumerate(inner["names"]):
        tot = param_var[i] + inner_se2[i]
        rows.append((m, lv, full[:, i].mean(), mean_se[i], np.sqrt(param_var[i]), lo_q[i], hi_q[i], pooled[i],
                     pred_se[i], pooled[i] - t * pred_se[i], pooled[i] + t * pred_se[i],
                     param_var[i] / tot if tot > 0 else 0.0, inner["perspective"]))
    figures = pd.DataFrame(rows, columns=list(FIGURES_SCHEMA))
    figures["level"] = pd.array([None if lv is None or lv != lv else lv for lv in figures["level"]], dtype="Float64")
    return figures
