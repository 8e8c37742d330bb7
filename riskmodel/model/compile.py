"""Compile a portfolio and a scenario into the arrays the kernels read, concern by concern: places and
factor loadings (``factors``), default probabilities over time (``terms``), country events' reach
(``events``), live covers and their schedules (``covers``), exchange rates (``fx``), calls (``calls``),
LGDs (``lgd``) and risk transfer (``transfer``)."""
from __future__ import annotations

import numpy as np

from ..inputs.portfolio import Portfolio
from ..inputs.products import CREDIT_PRODUCTS
from ..inputs.scenario import Scenario
from .arrays import CompiledModel, ModelArrays
from .calls import call_arrays, event_call_array
from .covers import contracts, live_covers, obligor_links
from .downturn import downturn_arrays
from .events import event_links
from .factors import check_places, compile_latents
from .fx import exposures, fx_arrays
from .lgd import lgd_arrays
from .terms import compile_terms
from .transfer import compile_transfer

__all__ = ["CompiledModel", "ModelArrays", "compile_model"]


def compile_model(portfolio: Portfolio, scenario: Scenario) -> CompiledModel:
    sc = scenario
    H = sc.simulation.horizon_years
    check_places(portfolio, sc)
    lat = compile_latents(portfolio, sc)
    terms = compile_terms(portfolio, sc, lat)
    imp_event, imp_event_q = event_links(portfolio, sc, lat)
    live = live_covers(portfolio, sc)
    cov = live.covers
    ead = exposures(cov, sc)
    fx = fx_arrays(cov, sc, lat.factors)
    p_call, call_rate, call_mult = call_arrays(cov, sc, lat.n_events)
    cv_exp, cv_imp, cv_event, kinds = obligor_links(portfolio, cov, lat, imp_event)
    lgd_d, lgd_s = lgd_arrays(cov, kinds, sc)
    owner = np.where(cov["product"].isin(CREDIT_PRODUCTS).to_numpy(), cv_imp, cv_exp)
    (dt_c, dt_s, dt_e), dt_warnings = downturn_arrays(cov, kinds, sc, terms.pd_horizon[owner],
                                                      lat.frame["r2"].to_numpy(float)[owner])
    cv_contract = contracts(cov, sc)
    sched = live.schedules
    exp_cap = np.full(len(lat.frame), np.inf)  # contagion: the largest call each exporter absorbs
    if "capacity" in portfolio.exporters.columns:
        cap = portfolio.exporters["capacity"].to_numpy(float)
        exp_cap[:lat.n_exporters] = np.where(np.isnan(cap), np.inf, cap)
    rt = compile_transfer(portfolio, sc, cov, cv_exp, cv_event, len(lat.frame))
    n_e, n_i, n_c = lat.n_exporters, lat.n_importers, lat.n_events
    arrays = ModelArrays(
        n_factors=len(lat.factors.index),
        dof=float(sc.copula.dof) if sc.copula.kind == "student_t" else 0.0,
        horizon=float(H),
        horizon_below=float(np.nextafter(H, 0.0)),
        load_ptr=lat.loadings.ptr, load_idx=lat.loadings.idx, load_val=lat.loadings.val,
        idio=np.sqrt(np.maximum(1.0 - lat.frame["r2"].to_numpy(float), 0.0)),
        thr=terms.threshold, log_surv=terms.log_surv, haz2=terms.haz2, haz3=terms.haz3,
        latent_type=np.array([0] * n_e + [1] * n_i + [2] * n_c, dtype=np.int8),
        imp_event=imp_event, imp_event_q=imp_event_q,
        cv_exp=cv_exp, cv_imp=cv_imp, cv_credit=cov["product"].isin(CREDIT_PRODUCTS).to_numpy(dtype=bool),
        cv_ead=ead, cv_a=live.a, cv_b=live.b,
        cv_p_call=p_call, cv_rate=call_rate, cv_mult=call_mult, cv_event=cv_event,
        cv_ev_call=event_call_array(cov, sc, cv_event),
        cv_lgd_mean=lgd_d[:, 0].copy(), cv_lgd_a=lgd_d[:, 1].copy(), cv_lgd_b=lgd_d[:, 2].copy(),
        cv_dt_c=dt_c, cv_dt_s=dt_s, cv_dt_e=dt_e,
        cv_slgd_mean=lgd_s[:, 0].copy(), cv_slgd_a=lgd_s[:, 1].copy(), cv_slgd_b=lgd_s[:, 2].copy(),
        cv_ccy=fx.cv_ccy, fx_factor=fx.fx_factor, fx_global=fx.fx_global, fx_vol=fx.fx_vol, fx_rho=fx.fx_rho,
        sch_ptr=sched.ptr, sch_t=sched.t, sch_v=sched.v, cv_linear=sched.linear, cv_start0=sched.start,
        cv_contract=cv_contract, n_contracts=int(cv_contract.max() + 1) if len(cv_contract) else 0,
        exp_cap=exp_cap, has_cap=bool(np.isfinite(exp_cap).any()),
        rt_kind=rt.kind, rt_unit=rt.unit, rt_a=rt.a, rt_b=rt.b, rt_n_units=rt.n_units, rt_persp=rt.perspective,
    )
    latents = lat.frame.assign(pd=terms.pd_1y, pd_horizon=terms.pd_horizon)
    warnings = list(terms.warnings) + dt_warnings + rt.warnings
    if live.n_outside:
        warnings.append(f"{live.n_outside} covers are not live during the horizon and carry no risk in this run")
    covers_out = cov.assign(ead=ead, window_start=live.a, window_end=live.b)
    return CompiledModel(arrays, list(lat.factors.index), latents, covers_out, live.n_outside, warnings, sched)
