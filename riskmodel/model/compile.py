"""Compile a portfolio and a scenario into the arrays the kernels read.

Latent variables are ordered exporters, importers, country events. Factor
instances are named ``global``, ``korea``, ``region:<r>``, ``country:<ISO>``,
``sector:<s>``, and any factor named only in the portfolio's ``beta_<f>``
columns (independent standard normals). Exporters sit in Korea (``KOR``).
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .combos import by_combination, positions
from ..inputs.errors import Problem, raise_if
from .loadings import LatentTable, compile_loadings
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import LGDSpec, Scenario
from ..inputs.schema import BETA_PREFIX

HOME_COUNTRY = "KOR"
from ..inputs.schedules import Schedules, build_schedules, years_from

ModelArrays = namedtuple(
    "ModelArrays",
    [
        "n_factors", "dof", "horizon", "horizon_below",
        "load_ptr", "load_idx", "load_val", "idio", "thr", "log_surv", "haz2", "haz3", "latent_type",
        "imp_event", "imp_event_q",
        "cv_exp", "cv_imp", "cv_credit", "cv_ead", "cv_a", "cv_b", "cv_p_call", "cv_rate", "cv_mult", "cv_event",
        "cv_lgd_mean", "cv_lgd_a", "cv_lgd_b", "cv_slgd_mean", "cv_slgd_a", "cv_slgd_b",
        "cv_ccy", "fx_factor", "fx_global", "fx_vol", "fx_rho",
        "sch_ptr", "sch_t", "sch_v", "cv_linear", "cv_start0", "cv_contract", "n_contracts",
    ],
)


@dataclass
class CompiledModel:
    arrays: ModelArrays
    factor_names: list[str]
    latents: pd.DataFrame  # one row per latent: type, id, country, region, pd, pd_horizon, r2
    covers: pd.DataFrame  # the live covers, in kernel order, with ead and window
    n_covers_outside_horizon: int
    warnings: list[str] = field(default_factory=list)
    schedules: Schedules | None = None  # exposure knots of the live covers, in kernel order
    # the sparse kernels' index, by whether claims are dated (built on first use by engine.sparse_index)
    sparse: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def total_ead(self) -> float:
        return float(self.arrays.cv_ead.sum())


def beta_params(spec: LGDSpec, random: bool) -> tuple[float, float, float]:
    """(mean, a, b) of a beta LGD; a = b = 0 means fixed at the mean."""
    m, s = spec.mean, spec.sd
    if not random or s == 0.0 or m in (0.0, 1.0):
        return m, 0.0, 0.0
    k = m * (1 - m) / (s * s) - 1.0
    return m, m * k, (1 - m) * k


class _Factors:
    def __init__(self):
        self.index: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        return self.index.setdefault(name, len(self.index))


def _best_rule(scenario: Scenario, applies_to: str, attrs: dict) -> tuple[str | None, dict]:
    best, best_score, tie = None, -1, []
    for name, rule in scenario.factors.rules.items():
        if not rule.enabled or rule.applies_to != applies_to:
            continue
        sel = {k: v for k, v in rule.match.model_dump().items() if v is not None}
        if any(attrs.get(k) != v for k, v in sel.items()):
            continue
        score = len(sel)
        if score > best_score:
            best, best_score, tie = name, score, []
        elif score == best_score:
            tie.append(name)
    if best is None:
        return None, {}
    if any(scenario.factors.rules[t].loadings != scenario.factors.rules[best].loadings for t in tie):
        return f"ambiguous:{best},{','.join(tie)}", {}
    return best, dict(scenario.factors.rules[best].loadings)


CURVE_KNOTS = (1.0, 5.0)  # hazards are constant on [0, 1), [1, 5) and from 5 years on


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


def _pd_1y(df: pd.DataFrame, ref) -> np.ndarray:
    """Each obligor's one-year PD: its own ``pd``, else its rating's on the master scale."""
    pd1 = df["pd"].to_numpy(dtype=float, na_value=np.nan, copy=True)
    missing = np.isnan(pd1)
    if missing.any():
        pd1[missing] = ref.pd_of_grade(df["rating"][missing]).to_numpy(dtype=float, na_value=np.nan)
    return pd1


def compile_model(portfolio: Portfolio, scenario: Scenario) -> CompiledModel:
    ref = portfolio.reference
    sc = scenario
    problems: list[Problem] = []
    warnings: list[str] = []
    H = sc.simulation.horizon_years
    exp, imp, cov = portfolio.exporters, portfolio.importers, portfolio.covers
    countries = ref.countries

    # scenario keys that must name known countries / regions
    regions = set(countries["region"])
    for key, table in (("pd_multipliers.by_country", sc.pd_multipliers.by_country),
                       ("country_events.probability", sc.country_events.probability)):
        for c in table:
            if c not in countries.index:
                problems.append(Problem("scenario", "scenario", f"'{c}' is not in the country table", key, value=c))
    for r in sc.pd_multipliers.by_region:
        if r not in regions:
            problems.append(Problem("scenario", "scenario", f"unknown region; regions are {sorted(regions)}",
                                    "pd_multipliers.by_region", value=r))
    if HOME_COUNTRY not in countries.index:
        problems.append(Problem(ref.sources["countries"], "countries",
                                f"the country table must contain {HOME_COUNTRY} (the exporters' home)"))
    raise_if(problems, "scenario")
    home_region = countries.loc[HOME_COUNTRY, "region"]

    event_countries = sorted(set(imp["country"])) if sc.country_events.enabled else []
    n_e, n_i, n_c = len(exp), len(imp), len(event_countries)
    region_of = countries["region"]
    beta_cols = lambda df: df[[c for c in df.columns if c.startswith(BETA_PREFIX)]]  # noqa: E731
    tables = [
        LatentTable("exporter", exp["exporter_id"],
                    pd.DataFrame({"sector": exp["sector"], "country": HOME_COUNTRY, "region": home_region}),
                    portfolio.sources.get("exporters", "scenario"), "exporters", beta_cols(exp)),
        LatentTable("importer", imp["importer_id"],
                    pd.DataFrame({"kind": imp["kind"], "country": imp["country"],
                                  "region": by_combination(lambda c: region_of[c], imp["country"], dtype=object)}),
                    portfolio.sources.get("importers", "scenario"), "importers", beta_cols(imp)),
        LatentTable("country_event", pd.Series(event_countries, dtype=object),
                    pd.DataFrame({"country": pd.Series(event_countries, dtype=object),
                                  "region": region_of.reindex(event_countries).to_numpy(object)}),
                    "scenario", "countries", rows=False),
    ]
    rule_cache: dict = {}

    def best_rule(applies_to, attrs):
        key = (applies_to, tuple(sorted(attrs.items())))
        if key not in rule_cache:
            rule_cache[key] = _best_rule(sc, applies_to, attrs)
        return rule_cache[key]

    ld, found = compile_loadings(tables, best_rule)
    problems += found
    raise_if(problems, "model")
    fac = _Factors()
    for name in ld.factor_names:
        fac(name)
    def column(get):
        return pd.Series(np.concatenate([np.asarray(get(t), dtype=object) for t in tables]), dtype=object)

    lat = pd.DataFrame({
        "type": pd.array(np.repeat(np.array([t.applies_to for t in tables], dtype=object),
                                   [len(t.ids) for t in tables]), dtype="str"),
        "id": column(lambda t: t.ids), "country": column(lambda t: t.attrs["country"]),
        "region": column(lambda t: t.attrs["region"]), "rule": pd.array(ld.rule, dtype="str"), "r2": ld.r2})

    # probabilities over one year, then over the horizon
    pd_exp = _pd_1y(exp, ref)
    mult = sc.pd_multipliers
    m_exp = mult.exporter * by_combination(lambda s: mult.by_sector.get(s, 1.0), exp["sector"])
    pd_imp = _pd_1y(imp, ref)
    regions_imp = by_combination(lambda c: region_of[c], imp["country"], dtype=object)
    m_imp = (sc.pd_multipliers.importer
             * by_combination(lambda k: mult.by_kind.get(k, 1.0), imp["kind"])
             * by_combination(lambda r: mult.by_region.get(r, 1.0), regions_imp)
             * by_combination(lambda c: mult.by_country.get(c, 1.0), imp["country"]))
    cat = countries["oecd_category"]
    p_evt = np.array([sc.country_events.probability.get(c, sc.country_events.probability_by_oecd_category[int(cat[c])])
                      for c in event_countries], dtype=float)
    pd1 = np.concatenate([pd_exp * m_exp, pd_imp * m_imp, p_evt])
    if (pd1 > 1).any():
        warnings.append(f"{int((pd1 > 1).sum())} stressed PDs exceeded 1 and were capped at 1")
    pd1 = np.minimum(pd1, 1.0)
    with np.errstate(divide="ignore"):
        log_surv = np.log1p(-pd1)
    # hazards beyond the first year: the master scale's curve for obligors given only a rating
    # (scaled by the stress of their first year), constant for a given pd and for country events
    rated = np.concatenate([exp["pd"].isna().to_numpy() & exp["rating"].notna().to_numpy(),
                            imp["pd"].isna().to_numpy() & imp["rating"].notna().to_numpy(), np.zeros(n_c, bool)])
    grades = pd.concat([exp["rating"], imp["rating"]], ignore_index=True).reindex(range(len(pd1)))
    haz2, haz3 = later_hazards(ref.master_scale, grades, rated, -log_surv)
    pd_h = -np.expm1(-cumulative_hazard(-log_surv, haz2, haz3, H)) if H != 1.0 else pd1
    pd_h = np.where(pd1 >= 1.0, 1.0, pd_h)
    lat["pd"] = pd1
    lat["pd_horizon"] = pd_h

    latent_type = np.array([0] * n_e + [1] * n_i + [2] * n_c, dtype=np.int8)
    r2 = lat["r2"].to_numpy(float)
    idio = np.sqrt(np.maximum(1.0 - r2, 0.0))

    # importer -> its country's event latent
    imp_event = np.full(n_e + n_i + n_c, -1, dtype=np.int64)
    imp_event_q = np.zeros(n_e + n_i + n_c)
    if n_c:
        pos = {c: n_e + n_i + k for k, c in enumerate(event_countries)}
        q = sc.country_events.importer_default_given_event
        imp_event[n_e:n_e + n_i] = by_combination(lambda c: pos[c], imp["country"], dtype=np.int64)
        imp_event_q[n_e:n_e + n_i] = by_combination(lambda k: getattr(q, k), imp["kind"])

    # covers
    val = pd.Timestamp(sc.simulation.valuation_date)
    start_y, end_y = years_from(val, cov["start"]), years_from(val, cov["end"])
    a = np.maximum(start_y, 0.0)
    b = np.minimum(end_y, H)
    live = b > a
    fx = sc.reporting.fx
    for i in np.flatnonzero(~cov["currency"].isin(fx.keys()).to_numpy()):
        problems.append(Problem(portfolio.sources.get("covers", "covers"), "covers",
                                f"no exchange rate for this currency in the scenario's [reporting.fx]; add one "
                                f"(known: {', '.join(sorted(fx))})", "currency", int(i) + 1,
                                key=f"cover_id {cov['cover_id'].iat[i]!r}", value=cov["currency"].iat[i]))
    if len(cov) and not live.any():  # nothing to simulate: say why rather than report zeros as risk figures
        horizon_end = val + pd.DateOffset(days=round(365.25 * H))
        problems.append(Problem(portfolio.sources.get("covers", "covers"), "covers",
                                f"no cover is live in the horizon {val:%Y-%m-%d} to {horizon_end:%Y-%m-%d}: every "
                                f"cover ends by the valuation date or starts after the horizon (the covers run "
                                f"from {cov['start'].min():%Y-%m-%d} to {cov['end'].max():%Y-%m-%d}); set "
                                f"[simulation] valuation_date inside that span or lengthen the horizon", "start, end"))
    raise_if(problems, "model")
    live_cov = cov[live].reset_index(drop=True)
    prod = live_cov["product"]
    is_credit = (prod == "credit").to_numpy(dtype=bool)
    fx_risk = sc.reporting.fx_risk
    fx_rate = {c: v * fx_risk.shock.get(c, 1.0) for c, v in fx.items()}  # deterministic shocks fold in
    ead = (live_cov["amount"] * live_cov["insured_share"]).to_numpy(float) * by_combination(
        lambda c: fx_rate[c], live_cov["currency"])
    # stochastic rates: one factor per risky currency, and the global factor they lean on
    currencies = sorted(c for c, v in fx_risk.volatility.items() if v > 0)
    ccy_pos = {c: i for i, c in enumerate(currencies)}
    cv_ccy = by_combination(lambda c: ccy_pos.get(c, -1), live_cov["currency"], dtype=np.int64)
    fx_factor = np.array([fac(f"fx:{c}") for c in currencies], dtype=np.int64)
    fx_global = fac("global") if currencies and fx_risk.downturn_correlation != 0.0 else -1
    fx_vol = np.array([fx_risk.volatility[c] * np.sqrt(H) for c in currencies], dtype=float)
    calls = sc.calls
    on_demand = live_cov["on_demand"].astype(bool)
    p_call = by_combination(lambda p: getattr(calls.given_default, p) if (p != "credit" and calls.enabled) else 0.0, prod)
    call_rate = by_combination(lambda p, od: 0.0 if (p == "credit" or not calls.enabled) else
                               getattr(calls.rate_without_default if od else calls.rate_without_default_conditional,
                                       p), prod, on_demand) * calls.rate_multiplier
    cv_imp = n_e + positions(live_cov["importer_id"], imp["importer_id"])
    cv_event = imp_event[cv_imp] if n_c else np.full(len(live_cov), -1, dtype=np.int64)
    kinds = imp["kind"].iloc[cv_imp - n_e].reset_index(drop=True)

    def lgds(p, kind):
        spec = getattr(sc.lgd, p)
        if p == "credit":
            return (*beta_params(getattr(spec, kind) or spec, sc.lgd.random), 0.0, 0.0, 0.0)
        return (*beta_params(spec, sc.lgd.random), *beta_params(spec.solvent, sc.lgd.random))

    lgd = by_combination(lgds, prod, kinds, width=6)
    lgd_d, lgd_s = lgd[:, :3], lgd[:, 3:]

    sched = build_schedules(live_cov, portfolio.schedules, val, start_y[live], end_y[live])
    # contracts whose later covers a claim can cancel: two or more live covers, chaining on
    cv_contract = np.full(len(live_cov), -1, dtype=np.int64)
    if sc.lifetime.chain_contracts and live_cov["contract_id"].notna().any():
        cid = live_cov["contract_id"]
        multi = cid.notna() & cid.duplicated(keep=False)
        codes, _ = pd.factorize(cid[multi])
        cv_contract[multi.to_numpy()] = codes
    n_factors = len(fac.index)
    arrays = ModelArrays(
        n_factors=n_factors,
        dof=float(sc.copula.dof) if sc.copula.kind == "student_t" else 0.0,
        horizon=float(H),
        horizon_below=float(np.nextafter(H, 0.0)),
        load_ptr=ld.ptr,
        load_idx=ld.idx,
        load_val=ld.val,
        idio=idio,
        thr=_threshold(pd_h, sc).astype(float),
        log_surv=log_surv.astype(float),
        haz2=haz2, haz3=haz3,
        latent_type=latent_type,
        imp_event=imp_event,
        imp_event_q=imp_event_q,
        cv_exp=positions(live_cov["exporter_id"], exp["exporter_id"]),
        cv_imp=cv_imp,
        cv_credit=is_credit,
        cv_ead=ead,
        cv_a=a[live],
        cv_b=b[live],
        cv_p_call=p_call.astype(float),
        cv_rate=call_rate.astype(float),
        cv_mult=np.full(len(live_cov), float(sc.country_events.call_rate_multiplier) if n_c else 1.0),
        cv_event=cv_event,
        cv_lgd_mean=lgd_d[:, 0].copy(), cv_lgd_a=lgd_d[:, 1].copy(), cv_lgd_b=lgd_d[:, 2].copy(),
        cv_slgd_mean=lgd_s[:, 0].copy(), cv_slgd_a=lgd_s[:, 1].copy(), cv_slgd_b=lgd_s[:, 2].copy(),
        cv_ccy=cv_ccy, fx_factor=fx_factor, fx_global=int(fx_global), fx_vol=fx_vol,
        fx_rho=float(fx_risk.downturn_correlation),
        sch_ptr=sched.ptr, sch_t=sched.t, sch_v=sched.v, cv_linear=sched.linear, cv_start0=sched.start,
        cv_contract=cv_contract, n_contracts=int(cv_contract.max() + 1) if len(cv_contract) else 0,
    )
    covers_out = live_cov.assign(ead=ead, window_start=a[live], window_end=b[live])
    n_out = int((~live).sum())
    if n_out:
        warnings.append(f"{n_out} covers are not live during the horizon and carry no risk in this run")
    return CompiledModel(arrays, list(fac.index), lat, covers_out, n_out, warnings, sched)
