"""Risk transfer: the layers of ``[[risk_transfer]]`` in a scenario, validated like every other key.

The agency shares risk with banks, buys reinsurance and stands behind a fund
with a state backstop. Each layer takes its share of each simulation's
losses (claims x LGD, in the reporting currency) after the layers before it
(inuring order), and gives the ceded amount back to the claims pro rata:

- ``quota_share``: ``share`` of every loss in its segment;
- ``per_risk``: excess of loss on each ``unit`` (cover, contract or exporter):
  ``min(max(S - retention, 0), limit)`` of the unit's loss ``S``;
- ``per_event``: the same on the losses of each country event: the claims of
  covers in the event's country dated at or after the event;
- ``aggregate``: stop-loss on the programme's losses of each year from
  valuation (``attachment``, ``limit``), e.g. the fund's state backstop.

``segment`` restricts a layer to covers whose attribute (any column of the
covers table, or ``product``, ``exporter``, ``country``, ``region``,
``sector``...) takes one of the given values. ``premium_rate`` prices the
layer: on its limit (``premium_basis = "rate_on_line"``) or on its ceded
expected loss (``"ceded_el"``, e.g. 1.3 for a 30% loading).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KINDS = ("quota_share", "per_risk", "per_event", "aggregate")
PERSPECTIVES = ("gross", "ceded", "net")
_NEEDS = {"quota_share": ("share",), "per_risk": ("retention", "limit"), "per_event": ("retention", "limit"),
          "aggregate": ("attachment", "limit")}
_TERMS = ("share", "retention", "attachment", "limit", "unit")


class Layer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind: Literal["quota_share", "per_risk", "per_event", "aggregate"]
    name: str = ""
    share: float | None = Field(None, gt=0, le=1, description="quota share: the ceded share of each loss")
    retention: float | None = Field(None, ge=0, description="per risk, per event: the loss kept before the layer "
                                    "pays (reporting currency)")
    attachment: float | None = Field(None, ge=0, description="aggregate: the year's loss kept before the layer "
                                     "pays (reporting currency)")
    limit: float | None = Field(None, gt=0, description="excess of loss, aggregate: the most the layer pays per "
                                "unit, event or year (reporting currency)")
    unit: Literal["cover", "contract", "exporter"] | None = Field(None, description="per risk: what one risk is")
    segment: dict[str, str | list[str]] = Field(default_factory=dict, description="covers attribute -> values: "
                                                "the layer covers only these covers' losses")
    premium_rate: float = Field(0.0, ge=0, le=100, description="the layer's price on its basis")
    premium_basis: Literal["rate_on_line", "ceded_el"] = "ceded_el"

    @field_validator("segment")
    @classmethod
    def _segment(cls, v):
        empty = [k for k, x in v.items() if isinstance(x, list) and not x]
        if empty:
            raise ValueError(f"segment values must not be empty lists; fix {empty}")
        return v

    @model_validator(mode="after")
    def _terms(self):
        need = _NEEDS[self.kind] + (("unit",) if self.kind == "per_risk" else ())
        missing = [k for k in need if getattr(self, k) is None]
        extra = [k for k in _TERMS if k not in need and getattr(self, k) is not None]
        if missing:
            raise ValueError(f"a {self.kind} layer needs {', '.join(missing)}")
        if extra:
            raise ValueError(f"a {self.kind} layer takes {', '.join(need)}, not {', '.join(extra)}; remove them")
        if self.premium_basis == "rate_on_line" and self.limit is None:
            raise ValueError("premium_basis = 'rate_on_line' prices the limit: a quota share has none; "
                             "use premium_basis = 'ceded_el'")
        return self

    @property
    def label(self) -> str:
        return self.name or self.kind

    def premium(self, ceded_el: float) -> float:
        """The layer's premium given its ceded expected loss."""
        if self.premium_basis == "rate_on_line":
            return self.premium_rate * float(self.limit)
        return self.premium_rate * ceded_el

    def values(self, column: str) -> list[str]:
        v = self.segment[column]
        return [v] if isinstance(v, str) else list(v)
