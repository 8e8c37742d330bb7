"""Draws of uncertain parameters (``[uncertainty.parameters]``) and the scenario each draw gives.

Draw ``k`` reads its own keyed Philox stream (the run's seed, the parameter stream, counter ``k``): one
uniform per parameter, in the order of the parameters' names, turned into the parameter by its
distribution's inverse CDF. So draw ``k`` is the same whatever the number of draws, the executor or the
order the draws run in.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from ..inputs.scenario import Scenario, scenario_from_dict
from ..inputs.uncertainty import Distribution, bounds

PARAMETER_STREAM = 0x50415241  # "PARA": the parameter draws' key, apart from the kernels' streams
DRAWS_SCHEMA = ("draw", "parameter", "value", "clipped")


def uniforms(seed: int, k: int, n: int) -> np.ndarray:
    bits = np.random.Philox(key=(int(seed) << 32) ^ PARAMETER_STREAM, counter=[k, 0, 0, 0])
    return np.random.Generator(bits).random(n)


def quantile(d: Distribution, u: float) -> float:
    """The ``u`` quantile of ``d`` (u in (0, 1))."""
    if d.distribution == "uniform":
        return d.low + u * (d.high - d.low)
    z = float(special.ndtri(u))
    m, s = d.mean, d.sd
    if d.distribution == "normal":
        return m + s * z
    if d.distribution == "lognormal":
        s2 = math.log1p((s / m) ** 2)
        return math.exp(math.log(m) - s2 / 2 + math.sqrt(s2) * z)
    if d.distribution == "beta":
        kappa = m * (1 - m) / s ** 2 - 1
        return float(special.betaincinv(m * kappa, (1 - m) * kappa, u))
    shape = (m / s) ** 2  # gamma
    return float(special.gammaincinv(shape, u)) * s * s / m


def draw_table(scenario: Scenario, n_draws: int, seed: int) -> pd.DataFrame:
    """Every draw's value of every uncertain parameter (clipped to the parameter's range, and flagged)."""
    spec = scenario.uncertainty.parameters
    names = sorted(spec)
    rows = []
    for k in range(n_draws):
        u = uniforms(seed, k, len(names))
        for name, uk in zip(names, u):
            v = quantile(spec[name], float(min(max(uk, 1e-12), 1 - 1e-12)))
            lo, hi = bounds(name)
            rows.append((k, name, float(min(max(v, lo), hi)), bool(v < lo or v > hi)))
    return pd.DataFrame(rows, columns=list(DRAWS_SCHEMA))


def _set(node: dict, parts: list[str], value) -> None:
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def scenario_at(scenario: Scenario, values: dict[str, float], draw: int) -> Scenario:
    """The scenario with the parameters set to ``values``; a rule's R^2 scales its loadings."""
    data = scenario.model_dump(mode="json")
    data["uncertainty"] = {"parameters": {}}
    for path, v in values.items():
        parts = path.split(".")
        if parts[0] == "factors":
            rule = data["factors"]["rules"][parts[2]]
            r2 = sum(x * x for x in rule["loadings"].values())
            f = math.sqrt(v / r2) if r2 > 0 else 0.0
            rule["loadings"] = {k: x * f for k, x in rule["loadings"].items()}
        elif parts[0] == "lgd":
            spec = data["lgd"][parts[1]]
            spec["mean"] = v
            spec["sd"] = min(spec["sd"], 0.999 * math.sqrt(v * (1 - v)))  # a beta with that mean must exist
        else:
            _set(data, parts, v)
    data["name"] = f"{scenario.name} (parameter draw {draw})"
    return scenario_from_dict(data, f"{scenario.name}: parameter draw {draw}")
