"""``[uncertainty.parameters]``: the distributions of uncertain parameters, for nested Monte Carlo.

Each entry names a scenario parameter by its dotted key and gives a distribution::

    [uncertainty.parameters]
    "pd_multipliers.exporter" = { distribution = "lognormal", mean = 1.0, sd = 0.25 }
    "factors.rules.exporters.r2" = { distribution = "beta", mean = 0.125, sd = 0.04 }
    "calls.rate_without_default.performance" = { distribution = "gamma", mean = 0.005, sd = 0.002 }
    "lgd.performance.mean" = { distribution = "uniform", low = 0.6, high = 0.8 }

Uncertain parameters: PD multipliers (``pd_multipliers.exporter``, ``.importer``, ``.by_kind.<k>``,
``.by_region.<r>``, ``.by_country.<c>``, ``.by_sector.<s>``), the systematic share R^2 of a loading rule
(``factors.rules.<rule>.r2``: the rule's loadings keep their proportions), call rates and probabilities
(``calls.rate_multiplier``, ``calls.rate_without_default[_conditional].<product>``,
``calls.given_default.<product>``) and LGD means (``lgd.<product>.mean``). A plain run ignores the table;
``simulate(..., parameter_draws=K)`` samples it.
"""
from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from .parameters import _Strict
from .products import GUARANTEES, PRODUCTS

DISTRIBUTIONS = ("uniform", "normal", "lognormal", "beta", "gamma")
_GUARANTEE_NAMES = tuple(p.name for p in GUARANTEES)


class Distribution(_Strict):
    distribution: Literal["uniform", "normal", "lognormal", "beta", "gamma"]
    mean: float | None = Field(None, description="mean (normal, lognormal, beta, gamma)")
    sd: float | None = Field(None, gt=0, description="standard deviation (normal, lognormal, beta, gamma)")
    low: float | None = Field(None, description="lower end (uniform)")
    high: float | None = Field(None, description="upper end (uniform)")

    @model_validator(mode="after")
    def _shape(self):
        if self.distribution == "uniform":
            if self.low is None or self.high is None or self.mean is not None or self.sd is not None:
                raise ValueError("a uniform distribution takes low and high (only)")
            if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
                raise ValueError(f"uniform needs finite low < high, got low {self.low}, high {self.high}")
            return self
        if self.mean is None or self.sd is None or self.low is not None or self.high is not None:
            raise ValueError(f"a {self.distribution} distribution takes mean and sd (only)")
        if not (math.isfinite(self.mean) and math.isfinite(self.sd)):
            raise ValueError("mean and sd must be finite")
        if self.distribution in ("lognormal", "gamma") and self.mean <= 0:
            raise ValueError(f"a {self.distribution} distribution needs mean > 0, got {self.mean}")
        if self.distribution == "beta":
            if not 0 < self.mean < 1:
                raise ValueError(f"a beta distribution needs 0 < mean < 1, got {self.mean}")
            if self.sd ** 2 >= self.mean * (1 - self.mean):
                raise ValueError(f"a beta with mean {self.mean} needs sd < {math.sqrt(self.mean * (1 - self.mean)):.4g}"
                                 f", got {self.sd}")
        return self


class Uncertainty(_Strict):
    parameters: dict[str, Distribution] = Field(default_factory=dict, description="dotted scenario key -> its "
                                                "distribution (``inputs.uncertainty``)")


def parameter_rule(path: str, rules: set[str]) -> str | None:
    """None when ``path`` names an uncertain parameter, else what is wrong with it."""
    parts = path.split(".")
    ok = False
    if parts[0] == "pd_multipliers":
        ok = parts[1:] in (["exporter"], ["importer"]) or (
            len(parts) == 3 and parts[1] in ("by_kind", "by_region", "by_country", "by_sector", "by_id") and parts[2] != "")
    elif parts[0] == "factors":
        if len(parts) == 4 and parts[1] == "rules" and parts[3] == "r2":
            if parts[2] not in rules:
                return f"no loading rule named {parts[2]!r}; rules are {sorted(rules)}"
            ok = True
    elif parts[0] == "calls":
        ok = parts[1:] == ["rate_multiplier"] or (
            len(parts) == 3 and parts[1] in ("rate_without_default", "rate_without_default_conditional",
                                             "given_default") and parts[2] in _GUARANTEE_NAMES)
    elif parts[0] == "lgd":
        ok = len(parts) == 3 and parts[1] in PRODUCTS and parts[2] == "mean"
    if ok:
        return None
    return ("not an uncertain parameter; give pd_multipliers.(exporter|importer|by_<x>.<value>), "
            "factors.rules.<rule>.r2, calls.(rate_multiplier|rate_without_default[_conditional].<product>|"
            "given_default.<product>) or lgd.<product>.mean")


def bounds(path: str) -> tuple[float, float]:
    """The values a parameter can take (draws outside are clipped to them, and counted)."""
    if path.startswith("factors.") or path.startswith("calls.given_default") or path.startswith("lgd."):
        return (0.0, 0.999) if path.startswith("factors.") else (0.0, 1.0)
    return 0.0, math.inf
