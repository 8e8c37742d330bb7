"""What the model compiles to: the kernels' arrays (``ModelArrays``) and their labels (``CompiledModel``)."""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

import pandas as pd

from ..inputs.schedules import Schedules

# latents (exporters, importers, country events, in that order), then covers (cv_*), currencies (fx_*),
# exposure schedules (sch_*), contracts and risk-transfer layers (rt_*, ``transfer``); the kernels read them by
# these names
ModelArrays = namedtuple(
    "ModelArrays",
    [
        "n_factors", "dof", "horizon", "horizon_below",
        "load_ptr", "load_idx", "load_val", "idio", "thr", "log_surv", "haz2", "haz3", "latent_type",
        "imp_event", "imp_event_q",
        "cv_exp", "cv_imp", "cv_credit", "cv_ead", "cv_a", "cv_b", "cv_p_call", "cv_rate", "cv_mult", "cv_event",
        "cv_ev_call", "cv_lgd_mean", "cv_lgd_a", "cv_lgd_b", "cv_dt_c", "cv_dt_s", "cv_dt_e",
        "cv_slgd_mean", "cv_slgd_a", "cv_slgd_b",
        "cv_ccy", "fx_factor", "fx_global", "fx_vol", "fx_rho",
        "sch_ptr", "sch_t", "sch_v", "cv_linear", "cv_start0", "cv_contract", "n_contracts",
        "exp_cap", "has_cap",
        "rt_kind", "rt_unit", "rt_a", "rt_b", "rt_n_units", "rt_persp",
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
