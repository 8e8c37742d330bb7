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
from scipy import special

from .errors import Problem, raise_if
from .portfolio import Portfolio
from .scenario import LGDSpec, Scenario
from .schema import BETA_PREFIX

HOME_COUNTRY = "KOR"
from .schedules import DAYS_PER_YEAR, Schedules, build_schedules

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


def _instance(kind: str, region: str | None, country: str | None, sector: str | None) -> str | None:
    if kind in ("global", "korea"):
        return kind
    if kind == "region":
        return f"region:{region}" if region else None
    if kind == "country":
        return f"country:{country}" if country else None
    if kind == "sector":
        return f"sector:{sector}" if sector else None
    return kind  # a factor named only in the portfolio


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
    with np.errstate(divide="ignore"):
        if scenario.copula.kind == "student_t":
            # stdtrit, not scipy.stats (slow to import); it returns +inf at p = 0, so the ends are set here
            inner = special.stdtrit(scenario.copula.dof, np.clip(pd_h, 1e-300, 1.0))
            return np.where(pd_h <= 0.0, -np.inf, np.where(pd_h >= 1.0, np.inf, inner))
        return special.ndtri(pd_h)


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

    fac = _Factors()
    rows_ptr, rows_idx, rows_val = [0], [], []
    latent_rows = []

    rule_cache: dict = {}  # the rule depends only on the attributes: resolve each combination once

    def add_latent(kind, ident, attrs, explicit: dict | None, applies_to, src_table, row_i):
        if explicit:
            loadings, rule = explicit, "portfolio"
        else:
            key = (applies_to, tuple(sorted(attrs.items())))
            if key not in rule_cache:
                rule_cache[key] = _best_rule(sc, applies_to, attrs)
            rule, loadings = rule_cache[key]
            if rule and rule.startswith("ambiguous:"):
                names = rule.split(":", 1)[1]
                problems.append(Problem("scenario", "scenario",
                                        f"rules {names} match {applies_to} {ident!r} equally well with different "
                                        f"loadings; make one more specific", "factors.rules"))
                loadings = {}
        ss = 0.0
        for f, beta in loadings.items():
            if beta == 0.0:
                continue
            name = _instance(f, attrs.get("region"), attrs.get("country"), attrs.get("sector"))
            if name is None or (f == "sector" and applies_to != "exporter"):
                problems.append(Problem(portfolio.sources.get(src_table, "scenario") if explicit else "scenario",
                                        src_table if explicit else "scenario",
                                        f"factor '{f}' does not apply to {applies_to}s", None, row_i, None,
                                        f"{ident}"))
                continue
            rows_idx.append(fac(name))
            rows_val.append(beta)
            ss += beta * beta
        rows_ptr.append(len(rows_idx))
        latent_rows.append({"type": kind, "id": ident, "country": attrs.get("country"),
                            "region": attrs.get("region"), "rule": rule, "r2": ss})
        return ss

    def explicit_betas(df):
        """Per row: the portfolio's own loadings ({factor: beta}), or None where the row gives none."""
        cols = [c for c in df.columns if c.startswith(BETA_PREFIX)]
        if not cols:
            return [None] * len(df)
        vals = df[cols].to_numpy(dtype=float, na_value=np.nan)
        names = [c[len(BETA_PREFIX):] for c in cols]
        given = ~np.isnan(vals).all(axis=1)
        return [dict(zip(names, np.nan_to_num(row, nan=0.0).tolist())) if g else None for row, g in zip(vals, given)]

    # exporters
    for i, (ident, sector, betas) in enumerate(zip(exp["exporter_id"].tolist(), exp["sector"].tolist(),
                                                   explicit_betas(exp))):
        attrs = {"sector": sector, "country": HOME_COUNTRY, "region": home_region}
        add_latent("exporter", ident, attrs, betas, "exporter", "exporters", i + 1)
    # importers
    region_of = countries["region"].to_dict()
    for i, (ident, c, kind, betas) in enumerate(zip(imp["importer_id"].tolist(), imp["country"].tolist(),
                                                    imp["kind"].tolist(), explicit_betas(imp))):
        attrs = {"kind": kind, "country": c, "region": region_of[c]}
        add_latent("importer", ident, attrs, betas, "importer", "importers", i + 1)
    # country events: one per buyer country present
    event_countries = sorted(set(imp["country"])) if sc.country_events.enabled else []
    for c in event_countries:
        attrs = {"country": c, "region": countries.loc[c, "region"]}
        add_latent("country_event", c, attrs, None, "country_event", "countries", None)
    raise_if(problems, "model")

    lat = pd.DataFrame(latent_rows)
    n_e, n_i, n_c = len(exp), len(imp), len(event_countries)

    # probabilities over one year, then over the horizon
    pd_exp = exp["pd"].fillna(ref.pd_of_grade(exp["rating"])).to_numpy(float)
    m_exp = sc.pd_multipliers.exporter * exp["sector"].map(lambda s: sc.pd_multipliers.by_sector.get(s, 1.0)).to_numpy(float)
    pd_imp = imp["pd"].fillna(ref.pd_of_grade(imp["rating"])).to_numpy(float)
    regions_imp = imp["country"].map(countries["region"])
    m_imp = (sc.pd_multipliers.importer
             * imp["kind"].map(lambda k: sc.pd_multipliers.by_kind.get(k, 1.0)).to_numpy(float)
             * regions_imp.map(lambda r: sc.pd_multipliers.by_region.get(r, 1.0)).to_numpy(float)
             * imp["country"].map(lambda c: sc.pd_multipliers.by_country.get(c, 1.0)).to_numpy(float))
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
        imp_event[n_e:n_e + n_i] = imp["country"].map(pos).to_numpy(np.int64)
        imp_event_q[n_e:n_e + n_i] = imp["kind"].map(lambda k: getattr(q, k)).to_numpy(float)

    # covers
    val = pd.Timestamp(sc.simulation.valuation_date)
    a = ((cov["start"] - val).dt.days / DAYS_PER_YEAR).clip(lower=0.0).to_numpy(float)
    b = np.minimum((cov["end"] - val).dt.days / DAYS_PER_YEAR, H)
    b = np.asarray(b, dtype=float)
    live = b > a
    fx = sc.reporting.fx
    for i in np.flatnonzero(~cov["currency"].isin(fx.keys()).to_numpy()):
        problems.append(Problem(portfolio.sources.get("covers", "covers"), "covers",
                                f"no exchange rate for this currency in the scenario's [reporting.fx]; add one "
                                f"(known: {', '.join(sorted(fx))})", "currency", int(i) + 1,
                                key=f"cover_id {cov['cover_id'].iat[i]!r}", value=cov["currency"].iat[i]))
    raise_if(problems, "model")
    live_cov = cov[live].reset_index(drop=True)
    exp_pos = pd.Series(np.arange(n_e), index=exp["exporter_id"])
    imp_pos = pd.Series(np.arange(n_e, n_e + n_i), index=imp["importer_id"])
    prod = live_cov["product"].to_numpy()
    is_credit = prod == "credit"
    fx_risk = sc.reporting.fx_risk
    rate = {c: v * fx_risk.shock.get(c, 1.0) for c, v in fx.items()}  # deterministic shocks fold into the rates
    ead = (live_cov["amount"] * live_cov["insured_share"] * live_cov["currency"].map(rate)).to_numpy(float)
    # stochastic rates: one factor per risky currency, and the global factor they lean on
    currencies = sorted(c for c, v in fx_risk.volatility.items() if v > 0)
    ccy_pos = {c: i for i, c in enumerate(currencies)}
    cv_ccy = live_cov["currency"].map(lambda c: ccy_pos.get(c, -1)).to_numpy(np.int64)
    fx_factor = np.array([fac(f"fx:{c}") for c in currencies], dtype=np.int64)
    fx_global = fac("global") if currencies and fx_risk.downturn_correlation != 0.0 else -1
    fx_vol = np.array([fx_risk.volatility[c] * np.sqrt(H) for c in currencies], dtype=float)
    calls = sc.calls
    p_call = np.array([getattr(calls.given_default, p) if (p != "credit" and calls.enabled) else 0.0 for p in prod])
    on_demand = live_cov["on_demand"].to_numpy(bool)
    rate = np.array([
        0.0 if (p == "credit" or not calls.enabled) else
        getattr(calls.rate_without_default if od else calls.rate_without_default_conditional, p)
        for p, od in zip(prod, on_demand)
    ]) * calls.rate_multiplier
    cv_imp = live_cov["importer_id"].map(imp_pos).to_numpy(np.int64)
    cv_event = imp_event[cv_imp] if n_c else np.full(len(live_cov), -1, dtype=np.int64)
    kinds = imp["kind"].to_numpy()[cv_imp - n_e] if len(live_cov) else np.array([], dtype=object)
    lgd_d, lgd_s = [], []
    for p, kind in zip(prod, kinds):
        spec = getattr(sc.lgd, p)
        if p == "credit":
            lgd_d.append(beta_params(getattr(spec, kind) or spec, sc.lgd.random))
            lgd_s.append((0.0, 0.0, 0.0))
        else:
            lgd_d.append(beta_params(spec, sc.lgd.random))
            lgd_s.append(beta_params(spec.solvent, sc.lgd.random))
    lgd_d = np.array(lgd_d, dtype=float).reshape(-1, 3)
    lgd_s = np.array(lgd_s, dtype=float).reshape(-1, 3)

    sched = build_schedules(live_cov, portfolio.schedules, val)
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
        load_ptr=np.array(rows_ptr, dtype=np.int64),
        load_idx=np.array(rows_idx, dtype=np.int64),
        load_val=np.array(rows_val, dtype=float),
        idio=idio,
        thr=_threshold(pd_h, sc).astype(float),
        log_surv=log_surv.astype(float),
        haz2=haz2, haz3=haz3,
        latent_type=latent_type,
        imp_event=imp_event,
        imp_event_q=imp_event_q,
        cv_exp=live_cov["exporter_id"].map(exp_pos).to_numpy(np.int64),
        cv_imp=cv_imp,
        cv_credit=is_credit,
        cv_ead=ead,
        cv_a=a[live],
        cv_b=b[live],
        cv_p_call=p_call.astype(float),
        cv_rate=rate.astype(float),
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
