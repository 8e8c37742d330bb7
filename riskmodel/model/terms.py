"""Default probabilities over time: each latent's one-year PD under the scenario's stresses, its hazard
curve beyond the first year, its PD over the horizon and the copula threshold that gives it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.errors import Problem, raise_if
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario
from .combos import by_combination
from .factors import Latents

CURVE_KNOTS = (1.0, 5.0)  # hazards are constant on [0, 1), [1, 5) and from 5 years on


@dataclass
class Terms:
    pd_1y: np.ndarray  # stressed one-year PD of each latent, capped at 1
    pd_horizon: np.ndarray  # PD over the horizon
    log_surv: np.ndarray  # log(1 - pd_1y): minus the first year's hazard
    haz2: np.ndarray  # hazard on [1, 5) years
    haz3: np.ndarray  # hazard from 5 years on
    threshold: np.ndarray  # latent value below which it defaults within the horizon
    warnings: list[str]


def later_hazards(master_scale: pd.DataFrame, grades: pd.Series, rated: np.ndarray,
                  h1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hazard rates on [1, 5) and [5, inf) years for each latent.

    A rated obligor without its own pd follows the master scale's cumulative
    PDs (1, 5 and 10 years), every hazard scaled by the ratio of its stressed
    to its unstressed first-year hazard; any other latent keeps its first-year
    hazard ``h1`` throughout.
    """
    haz2, haz3 = h1.copy(), h1.copy()
    if rated.any():
        ms = master_scale.reindex(grades[rated].to_numpy())
        base1 = -np.log1p(-ms["pd_1y"].to_numpy(float))
        cum5 = -np.log1p(-ms["cum_pd_5y"].to_numpy(float))
        cum10 = -np.log1p(-ms["cum_pd_10y"].to_numpy(float))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(base1 > 0, h1[rated] / base1, 1.0)
        haz2[rated] = scale * (cum5 - base1) / (CURVE_KNOTS[1] - CURVE_KNOTS[0])
        haz3[rated] = scale * (cum10 - cum5) / 5.0
        haz2[rated & np.isinf(h1)] = np.inf
        haz3[rated & np.isinf(h1)] = np.inf
    return haz2.astype(float), haz3.astype(float)


def cumulative_hazard(h1, haz2, haz3, t: float) -> np.ndarray:
    """Integrated hazard to time ``t`` (years) of the piecewise-constant curve."""
    k1, k5 = CURVE_KNOTS
    with np.errstate(invalid="ignore"):
        out = h1 * min(t, k1) + haz2 * float(np.clip(t - k1, 0.0, k5 - k1)) + haz3 * max(t - k5, 0.0)
    return np.where(np.isinf(h1), np.inf, out)


def _threshold(pd_h: np.ndarray, scenario: Scenario) -> np.ndarray:
    from scipy import special  # here, not at import: `riskmodel validate` starts faster
    with np.errstate(divide="ignore"):
        if scenario.copula.kind == "student_t":
            # stdtrit, not scipy.stats (slow to import); it returns +inf at p = 0, so the ends are set here
            inner = special.stdtrit(scenario.copula.dof, np.clip(pd_h, 1e-300, 1.0))
            return np.where(pd_h <= 0.0, -np.inf, np.where(pd_h >= 1.0, np.inf, inner))
        return special.ndtri(pd_h)


def _pd_1y(df: pd.DataFrame, ref, by_category=None) -> np.ndarray:
    """Each obligor's one-year PD: its own ``pd``, else its rating's on the master scale, else (a sovereign
    buyer) its country's OECD category's (``by_category``)."""
    pd1 = df["pd"].to_numpy(dtype=float, na_value=np.nan, copy=True)
    missing = np.isnan(pd1)
    if missing.any():
        pd1[missing] = ref.pd_of_grade(df["rating"][missing]).to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(pd1)
    if missing.any() and by_category is not None:
        cat = df["country"][missing].map(ref.countries["oecd_category"]).to_numpy(int)
        pd1[missing] = np.asarray(by_category, dtype=float)[cat]
    return pd1


def _stressed_pd_1y(portfolio: Portfolio, scenario: Scenario, latents: Latents) -> np.ndarray:
    """One-year PDs of exporters, importers and country events under the scenario's multipliers."""
    ref, exp, imp = portfolio.reference, portfolio.exporters, portfolio.importers
    countries = ref.countries
    region_of = countries["region"]
    mult = scenario.pd_multipliers
    m_exp = mult.exporter * by_combination(lambda s: mult.by_sector.get(s, 1.0), exp["sector"])
    regions_imp = by_combination(lambda c: region_of[c], imp["country"], dtype=object)
    m_imp = (mult.importer
             * by_combination(lambda k: mult.by_kind.get(k, 1.0), imp["kind"])
             * by_combination(lambda r: mult.by_region.get(r, 1.0), regions_imp)
             * by_combination(lambda c: mult.by_country.get(c, 1.0), imp["country"]))
    ev = scenario.country_events
    cat = countries["oecd_category"]
    p_evt = np.array([ev.probability.get(c, ev.probability_by_oecd_category[int(cat[c])])
                      for c in latents.event_countries], dtype=float)
    m_exp = m_exp * exp["exporter_id"].map(lambda i: mult.by_id.get(i, 1.0)).to_numpy(float)
    m_imp = m_imp * imp["importer_id"].map(lambda i: mult.by_id.get(i, 1.0)).to_numpy(float)
    return np.concatenate([_pd_1y(exp, ref) * m_exp,
                           _pd_1y(imp, ref, scenario.sovereigns.pd_by_oecd_category) * m_imp, p_evt])


def shifted(pd1: np.ndarray, scenario: Scenario, latents: Latents) -> np.ndarray:
    """One-year PDs with the factors centred at ``[factors] shift``: ``Phi(Phi^-1(pd) - beta . shift)``, the
    PD of a latent whose factors have that mean (and still their unit variance)."""
    shift = scenario.factors.shift
    if not shift:
        return pd1
    from scipy import special

    problems = [Problem("scenario", "scenario", f"no factor named {name!r} in this model; factors are "
                        f"{sorted(latents.factors.index)}", "factors.shift", value=name)
                for name in shift if name not in latents.factors.index]
    if scenario.copula.kind != "gaussian":
        problems.append(Problem("scenario", "scenario", "a factor shift moves PDs exactly under the Gaussian "
                                "copula only; use copula.kind = 'gaussian'", "factors.shift"))
    raise_if(problems, "scenario")
    mu = np.zeros(len(latents.factors.index))
    for name, v in shift.items():
        mu[latents.factors.index[name]] = v
    ld = latents.loadings
    rows = np.repeat(np.arange(ld.ptr.size - 1), np.diff(ld.ptr))
    move = np.bincount(rows, weights=ld.val * mu[ld.idx], minlength=pd1.size)[: pd1.size]
    with np.errstate(divide="ignore"):
        return np.where((pd1 <= 0) | (pd1 >= 1), pd1, special.ndtr(special.ndtri(pd1) - move))


def compile_terms(portfolio: Portfolio, scenario: Scenario, latents: Latents) -> Terms:
    """Probabilities over one year, then over the horizon, and the thresholds."""
    exp, imp = portfolio.exporters, portfolio.importers
    warnings = []
    pd1 = _stressed_pd_1y(portfolio, scenario, latents)
    if (pd1 > 1).any():
        warnings.append(f"{int((pd1 > 1).sum())} stressed PDs exceeded 1 and were capped at 1")
    pd1 = shifted(np.minimum(pd1, 1.0), scenario, latents)
    with np.errstate(divide="ignore"):
        log_surv = np.log1p(-pd1)
    # hazards beyond the first year: the master scale's curve for obligors given only a rating
    # (scaled by the stress of their first year), constant for a given pd and for country events
    rated = np.concatenate([exp["pd"].isna().to_numpy() & exp["rating"].notna().to_numpy(),
                            imp["pd"].isna().to_numpy() & imp["rating"].notna().to_numpy(),
                            np.zeros(latents.n_events, bool)])
    grades = pd.concat([exp["rating"], imp["rating"]], ignore_index=True).reindex(range(len(pd1)))
    haz2, haz3 = later_hazards(portfolio.reference.master_scale, grades, rated, -log_surv)
    H = scenario.simulation.horizon_years
    pd_h = -np.expm1(-cumulative_hazard(-log_surv, haz2, haz3, H)) if H != 1.0 else pd1
    pd_h = np.where(pd1 >= 1.0, 1.0, pd_h)
    return Terms(pd1, pd_h, log_surv.astype(float), haz2, haz3, _threshold(pd_h, scenario).astype(float), warnings)
