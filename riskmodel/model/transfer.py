"""Risk transfer compiled for the kernels: each layer's kind, terms and, per live cover, the unit whose losses
the layer pools (-1 outside the layer's segment); the perspective the run reports.

Units: a quota share pools nothing (unit 0); a per-risk layer pools by cover,
contract (covers without a contract are risks of their own) or exporter; a
per-event layer by the cover's country-event latent (covers of a country
without events are outside it); an aggregate layer by year from valuation,
which the kernel reads off each claim's date (unit 0 here).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.errors import Problem, raise_if
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario
from ..inputs.transfer import KINDS, PERSPECTIVES
from .segments import ALIASES, cover_attributes, resolve

KIND_CODE = {k: i for i, k in enumerate(KINDS)}  # the kernels' codes: 0 quota share .. 3 aggregate
PERSPECTIVE_CODE = {p: i for i, p in enumerate(PERSPECTIVES)}  # 0 gross, 1 ceded, 2 net


@dataclass
class TransferArrays:
    kind: np.ndarray  # (layers,) int8
    unit: np.ndarray  # (layers, covers) int64: the pool of each cover's losses, -1 outside the layer
    a: np.ndarray  # share (quota share), retention or attachment
    b: np.ndarray  # limit (inf for a quota share)
    n_units: int  # room for the pools of any layer
    perspective: int
    warnings: list[str]


def compile_transfer(portfolio: Portfolio, scenario: Scenario, covers: pd.DataFrame, cv_exp: np.ndarray,
                     cv_event: np.ndarray, n_latents: int) -> TransferArrays:
    layers = scenario.risk_transfer
    n_cov = len(covers)
    attrs = cover_attributes(covers, portfolio) if any(x.segment for x in layers) else None
    problems, warnings = [], []
    files = [s["path"] for s in scenario.sources if s.get("sha256")]  # the files the scenario was read from
    source = files[-1] if files else "scenario"
    unit = np.zeros((len(layers), n_cov), dtype=np.int64)
    n_contracts = 0
    for i, layer in enumerate(layers):
        scope = np.ones(n_cov, dtype=bool)
        for col in layer.segment:
            c = resolve(col)
            if c not in attrs.columns:
                known = ", ".join(sorted(set(attrs.columns) | set(ALIASES)))
                problems.append(Problem(source, "scenario", f"a segment names a covers attribute; expected one "
                                        f"of {known}", f"risk_transfer[{i}].segment.{col}"))
                continue
            scope &= attrs[c].astype(str).isin(layer.values(col)).to_numpy()
        if layer.kind == "per_risk":
            unit[i] = _risk_units(layer.unit, covers, cv_exp)
            n_contracts = max(n_contracts, int(unit[i].max()) + 1 if n_cov else 0)
        elif layer.kind == "per_event":
            unit[i] = cv_event
            scope &= cv_event >= 0
        unit[i, ~scope] = -1
        if n_cov and not scope.any():
            warnings.append(f"risk_transfer[{i}] ({layer.label}) covers no live cover: it cedes nothing")
    raise_if(problems, "scenario")
    years = max(1, math.ceil(scenario.simulation.horizon_years - 1e-9))
    return TransferArrays(
        kind=np.array([KIND_CODE[x.kind] for x in layers], dtype=np.int8),
        unit=unit,
        a=np.array([_first(x.share, x.retention, x.attachment) for x in layers], dtype=float),
        b=np.array([np.inf if x.limit is None else x.limit for x in layers], dtype=float),
        n_units=max(n_cov, n_latents, n_contracts, years) + 1,
        perspective=PERSPECTIVE_CODE[scenario.perspective],
        warnings=warnings,
    )


def _risk_units(unit: str, covers: pd.DataFrame, cv_exp: np.ndarray) -> np.ndarray:
    if unit == "exporter":
        return cv_exp.astype(np.int64)
    if unit == "contract" and "contract_id" in covers.columns:
        key = covers["contract_id"].astype(object).where(covers["contract_id"].notna(),
                                                         "\0cover " + covers["cover_id"].astype(str))
        return pd.factorize(key)[0].astype(np.int64)
    return np.arange(len(covers), dtype=np.int64)


def _first(*xs) -> float:
    return float(next(x for x in xs if x is not None))
