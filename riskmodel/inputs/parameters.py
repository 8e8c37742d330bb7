"""The scenario's parameters, table by table: each a strict pydantic model (unknown keys and non-finite
numbers refused) whose defaults are the built-in baseline, with the public figures they rest on."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from .products import GUARANTEES, TABLE, Product

FACTOR_KINDS = ("global", "korea", "region", "country", "sector")


class _Strict(BaseModel):
    # inf and nan are no figures: a multiplier or rate of inf reached the kernels as NaN
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MAX_MULTIPLIER = 1000.0  # a stress multiplier beyond this is a typing error (x1000 turns 0.1% into certainty)


class Importance(_Strict):
    level: float | None = Field(None, gt=0, lt=1, description="quantile the importance sampling aims at; "
                                "default the highest of the levels")
    defensive: float = Field(0.1, ge=0, lt=1, description="share of simulations drawn from the model itself "
                             "(a defensive mixture: bounds the weights, keeps EL precise)")
    twisted: float = Field(0.5, ge=0, le=1, description="share of the other simulations whose defaults are "
                           "also twisted (the rest only shift the factors)")
    strata: int = Field(40, ge=2, le=100_000, description="design cells: strata of the shift direction "
                        "(the defensive share of them included)")
    event_routes: int = Field(6, ge=0, le=64, description="country events given a component of their own that "
                              "forces them (the most severe of those that can carry the tail; 0: none)")
    event_share: float = Field(0.25, ge=0, lt=1, description="share of the non-defensive cells for the event "
                               "components (at least one each)")


class Simulation(_Strict):
    horizon_years: float = Field(1.0, ge=1 / 365, le=30, description="loss horizon in years, a day to 30: 1 "
                                 "for the capital "
                                 "horizon; longer horizons count every loss until then, default times following "
                                 "the PD term structure")
    n_sims: int = Field(100_000, ge=100, le=10**10)
    seed: int = Field(1, ge=0, lt=2**63)
    levels: list[float] = Field(default_factory=lambda: [0.99, 0.995, 0.999])
    valuation_date: date = date(2026, 12, 31)
    ci_level: float = Field(0.95, gt=0, lt=1, description="confidence level of the reported intervals")
    method: Literal["plain", "importance", "auto"] = Field(
        "auto", description="plain Monte Carlo, importance sampling, or auto: importance sampling when the "
                            "highest level is 0.99 or more")
    importance: Importance = Importance()

    @field_validator("levels")
    @classmethod
    def _levels(cls, v):
        if not v:
            raise ValueError("give at least one confidence level")
        bad = [x for x in v if not 0 < x < 1]
        if bad:
            raise ValueError(f"confidence levels must lie in (0, 1), got {bad}")
        return sorted(set(v))


class Copula(_Strict):
    kind: Literal["gaussian", "student_t"] = "gaussian"
    dof: float = Field(6.0, gt=2, le=1000, description="degrees of freedom of the Student-t copula, > 2: the "
                       "t copula's factors then have a finite variance, which the loadings' R^2 reading assumes")


_FX = {  # illustrative: round figures near 2025 market rates; replace with the valuation date's
    "KRW": 1.0, "USD": 1400.0, "EUR": 1600.0, "GBP": 1850.0, "JPY": 9.5, "PLN": 375.0,
    "SAR": 373.0, "AED": 381.0, "AUD": 910.0, "CAD": 1000.0, "NOK": 130.0, "IDR": 0.085,
    "MYR": 320.0, "INR": 16.5, "PHP": 24.5, "TRY": 35.0,
}


class FXRisk(_Strict):
    """Exchange rates as a risk factor: each foreign rate times a lognormal multiplier of mean 1.

    log multiplier of a claim t years after valuation = vol sqrt(t) (-rho Z_global +
    sqrt(1 - rho^2) Z_ccy) - vol^2 t / 2 (the rate at the claim's date): with rho > 0 the
    reporting currency weakens, and foreign-currency losses grow, in a global downturn.
    """
    volatility: dict[str, float] = Field(default_factory=dict, description="annual log-volatility of each "
                                         "currency's rate against the reporting currency, e.g. {USD = 0.10}")
    downturn_correlation: float = Field(0.0, ge=-1, le=1, description="correlation of the reporting currency's "
                                        "depreciation with a fall of the global factor")
    shock: dict[str, float] = Field(default_factory=dict, description="deterministic multipliers of the rates, "
                                    "e.g. {USD = 1.2} for a 20% weaker reporting currency against USD")

    @model_validator(mode="after")
    def _check(self):
        bad = [k for k, v in self.volatility.items() if not 0 <= v <= 2]
        bad += [k for k, v in self.shock.items() if not 0 < v <= 100]
        if bad:
            raise ValueError(f"volatilities must lie in [0, 2] and shocks in (0, 100]; fix {sorted(set(bad))}")
        return self


MAX_FX = 1e6  # reporting-currency units per unit of a currency: beyond it, a typing error


class Reporting(_Strict):
    currency: str = "KRW"
    fx: dict[str, float] = Field(default_factory=lambda: dict(_FX),
                                 description="units of the reporting currency per unit of each currency")
    fx_risk: FXRisk = FXRisk()
    perspective: Literal["gross", "ceded", "net"] | None = Field(
        None, description="losses reported: before risk transfer (gross), what the layers take (ceded) or what "
                          "the agency keeps (net); default net when [[risk_transfer]] layers exist, else gross")

    @field_validator("fx")
    @classmethod
    def _rates(cls, fx):
        bad = [k for k, v in fx.items() if not (len(k) == 3 and k.isalpha() and k.isupper()) or not 0 < v <= MAX_FX]
        if bad:
            raise ValueError(f"fx keys must be ISO 4217 codes with rates in (0, {MAX_FX:g}] (units of the reporting "
                             f"currency per unit); fix {bad}")
        return fx

    @model_validator(mode="after")
    def _fx(self):
        if self.fx.get(self.currency) != 1.0:
            raise ValueError(f"fx[{self.currency!r}] must be 1.0: the reporting currency converts to itself")
        risky = set(self.fx_risk.volatility) | set(self.fx_risk.shock)
        unknown = sorted(risky - set(self.fx))
        if unknown:
            raise ValueError(f"fx_risk names currencies without a rate in fx: {unknown}")
        if self.currency in risky:
            raise ValueError(f"the reporting currency {self.currency} has no exchange-rate risk against itself")
        return self


class Lifetime(_Strict):
    """Cash flows, discounting and pricing over the horizon (``[lifetime]``)."""
    step: Literal["month", "quarter", "year"] = Field("quarter", description="period of the cash-flow tables")
    recovery_lag_years: float = Field(2.0, ge=0, le=30, description="years from a claim to the recovery on it")
    discount_rates: list[tuple[float, float]] = Field(
        default_factory=lambda: [(1.0, 0.027), (5.0, 0.029), (10.0, 0.031)],
        description="[tenor in years, annually compounded zero rate] of the reporting currency; linear in "
                    "tenor between them, flat outside; a file gives the whole curve")
    chain_contracts: bool = Field(True, description="a claim on a cover ends its contract: the contract's covers "
                                  "that start after the claim never run")
    cost_of_capital: float = Field(0.06, ge=0, le=1, description="annual cost of the capital allocated to a cover, "
                                   "charged in the risk-adjusted premium")
    capital_level: float = Field(0.999, gt=0, lt=1, description="confidence level of the economic capital that "
                                 "pricing allocates and capacity tests")

    @field_validator("discount_rates")
    @classmethod
    def _rates(cls, v):
        if not v:
            raise ValueError("give at least one [tenor, rate]")
        bad = [t for t, r in v if not (0 < t <= 100 and -0.5 < r < 1)]
        if bad:
            raise ValueError(f"tenors must lie in (0, 100] years and rates in (-0.5, 1); fix tenors {bad}")
        if len({t for t, _ in v}) < len(v):
            raise ValueError("each tenor appears once")
        return sorted(v)


class RuleMatch(_Strict):
    kind: Literal["sovereign", "state", "private"] | None = None
    region: str | None = None
    country: str | None = None
    sector: str | None = None


class LoadingRule(_Strict):
    applies_to: Literal["exporter", "importer", "country_event"]
    enabled: bool = True
    match: RuleMatch = RuleMatch()
    loadings: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self):
        unknown = [k for k in self.loadings if k not in FACTOR_KINDS]
        if unknown:
            raise ValueError(f"unknown factor(s) {unknown}; loadings name factors among {list(FACTOR_KINDS)}")
        ss = sum(v * v for v in self.loadings.values())
        if not ss < 1:
            raise ValueError(f"sum of squared loadings must be < 1, got {ss:.4f}; scale them down")
        if self.applies_to == "exporter" and (self.match.kind or self.match.region or self.match.country):
            raise ValueError("exporter rules can match on sector only")
        if self.applies_to != "exporter" and self.match.sector:
            raise ValueError("only exporter rules can match on sector")
        return self


def _rules():
    # Judgements (CALIBRATION.md, "Correlation"): exporters' R^2 = 0.125, the low end of
    # Basel's SME-adjusted 8-20% and above the 1-3% measured for French and German SMEs,
    # since defence SMEs share one customer type and one policy cycle. Sovereign buyers
    # share strong common factors (Longstaff et al., 2007): R^2 = 0.31.
    return {
        "exporters": {"applies_to": "exporter", "loadings": {"global": 0.15, "korea": 0.20, "sector": 0.25}},
        "sovereign_buyers": {"applies_to": "importer", "match": {"kind": "sovereign"},
                             "loadings": {"global": 0.25, "region": 0.30, "country": 0.40}},
        "state_buyers": {"applies_to": "importer", "match": {"kind": "state"},
                         "loadings": {"global": 0.25, "region": 0.30, "country": 0.35}},
        "private_buyers": {"applies_to": "importer", "match": {"kind": "private"},
                           "loadings": {"global": 0.20, "region": 0.20, "country": 0.30}},
        "country_events": {"applies_to": "country_event",
                           "loadings": {"global": 0.20, "region": 0.35, "country": 0.55}},
    }


class Factors(_Strict):
    rules: dict[str, LoadingRule] = Field(default_factory=lambda: {k: LoadingRule(**v) for k, v in _rules().items()})
    shift: dict[str, float] = Field(default_factory=dict, description="a conditional stress: the mean of each "
                                    "named factor instance (global, korea, region:<r>, country:<ISO>, sector:<s>) "
                                    "in standard deviations, e.g. {global = -2.5}; each latent's one-year PD "
                                    "becomes Phi(Phi^-1(pd) - sum_k beta_k shift_k) (Gaussian copula)")


class PDMultipliers(_Strict):
    exporter: float = Field(1.0, ge=0, le=MAX_MULTIPLIER)
    importer: float = Field(1.0, ge=0, le=MAX_MULTIPLIER)
    by_kind: dict[Literal["sovereign", "state", "private"], float] = Field(default_factory=dict)
    by_region: dict[str, float] = Field(default_factory=dict)
    by_country: dict[str, float] = Field(default_factory=dict)
    by_sector: dict[str, float] = Field(default_factory=dict)
    by_id: dict[str, float] = Field(default_factory=dict, description="an exporter's or importer's own "
                                    "multiplier, by its id (a named-default stress)")

    @model_validator(mode="after")
    def _nonneg(self):
        for name in ("by_kind", "by_region", "by_country", "by_sector", "by_id"):
            bad = {k: v for k, v in getattr(self, name).items() if not 0 <= v <= MAX_MULTIPLIER}
            if bad:
                raise ValueError(f"{name}: multipliers must lie in [0, {MAX_MULTIPLIER:g}], got {bad}")
        return self


def _per_guarantee(name: str, le: float, doc: str) -> type[_Strict]:
    """A table with one float in [0, ``le``] per guarantee product (``products.TABLE``), each required."""
    fields = {p.name: (float, Field(ge=0, le=le)) for p in GUARANTEES}
    return create_model(name, __base__=_Strict, __doc__=doc, **fields)


GuaranteeProbs = _per_guarantee("GuaranteeProbs", 1.0, "A probability per guarantee product.")


# annual intensities of calls without default (tests force calls with 50)
GuaranteeRates = _per_guarantee("GuaranteeRates", 100.0, "An annual intensity per guarantee product.")


class ByKind(_Strict):
    sovereign: float = Field(ge=0, le=1)
    state: float = Field(ge=0, le=1)
    private: float = Field(ge=0, le=1)


class CountryEvents(_Strict):
    enabled: bool = True
    # Judgement anchored to EKN's minimum premium for sovereign buyers (7-277 bp for OECD
    # categories 1-7, CALIBRATION.md): annual event probability = that premium rate; 2 bp for
    # high-income OECD (category 0). Prices are not probabilities: this is a plausible order.
    probability_by_oecd_category: list[float] = Field(
        default_factory=lambda: [0.0002, 0.0007, 0.0028, 0.0058, 0.0126, 0.0176, 0.0220, 0.0277])
    probability: dict[str, float] = Field(default_factory=dict, description="per-country override; 1 = certain")
    # Judgement: a transfer moratorium or war stops most sovereign payments.
    importer_default_given_event: ByKind = ByKind(sovereign=0.6, state=0.5, private=0.3)
    call_rate_multiplier: float = Field(10.0, ge=0, le=MAX_MULTIPLIER,
                                        description="factor on calls without default after an event")
    # deliveries impossible: the event calls a live guarantee of the country's contracts at once, if its exporter
    # is solvent and no call came first (defaults and their reasons: ``products.TABLE``)
    call_given_event: GuaranteeProbs = Field(
        default_factory=lambda: GuaranteeProbs(**{p.name: p.call_given_event for p in GUARANTEES}),
        description="probability a country event calls each live guarantee of its country, per product")

    @field_validator("probability_by_oecd_category")
    @classmethod
    def _cats(cls, v):
        if len(v) != 8 or not all(0 <= x <= 1 for x in v):
            raise ValueError(f"expected 8 probabilities in [0, 1] for OECD categories 0-7, got {v}")
        return v

    @field_validator("probability")
    @classmethod
    def _probs(cls, v):
        bad = {k: x for k, x in v.items() if not 0 <= x <= 1}
        if bad:
            raise ValueError(f"event probabilities must lie in [0, 1], got {bad}")
        return v


class Sovereigns(_Strict):
    # Judgement: OECD categories read as rating bands (0 ~ AA, 1 ~ A, 2 ~ A/BBB, 3 ~ BBB, 4 ~ BBB/BB,
    # 5 ~ BB, 6 ~ B, 7 ~ CCC), each band's one-year PD from the master scale (S&P, CreditMetrics examples),
    # the in-between ones geometric means. Categories price country risk, not sovereign default: a rough guide.
    pd_by_oecd_category: list[float] = Field(
        default_factory=lambda: [0.0001, 0.0006, 0.00104, 0.0018, 0.00437, 0.0106, 0.052, 0.1979],
        description="one-year PD of a sovereign buyer given neither pd nor rating, by its country's category")

    @field_validator("pd_by_oecd_category")
    @classmethod
    def _pds(cls, v):
        if len(v) != 8 or not all(0 <= x < 1 for x in v):
            raise ValueError(f"expected 8 PDs in [0, 1) for OECD categories 0-7, got {v}")
        return v


class Calls(_Strict):
    enabled: bool = True
    # defaults and their sources: ``products.TABLE``
    given_default: GuaranteeProbs = GuaranteeProbs(**{p.name: p.call_given_default for p in GUARANTEES})
    rate_without_default: GuaranteeRates = GuaranteeRates(**{p.name: p.rate_on_demand for p in GUARANTEES})
    rate_without_default_conditional: GuaranteeRates = GuaranteeRates(
        **{p.name: p.rate_conditional for p in GUARANTEES})
    rate_multiplier: float = Field(1.0, ge=0, le=MAX_MULTIPLIER, description="factor on every rate of calls "
                                   "without default "
                                   "(a stress: a wave of unfair calls); stacked stresses multiply")


class LGDSpec(_Strict):
    mean: float = Field(ge=0, le=1)
    sd: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _beta(self):
        if self.sd > 0 and not self.sd < (self.mean * (1 - self.mean)) ** 0.5:  # sd ** 2 overflows at 1e154
            raise ValueError(f"a beta LGD needs sd^2 < mean (1 - mean) = {self.mean * (1 - self.mean):.4f}; "
                             f"got sd = {self.sd}; lower sd")
        return self


class _Downturn(LGDSpec):
    downturn: float = Field(0.0, ge=0, lt=1, description="downturn link: correlation of the LGD's latent with "
                            "the defaulting obligor's systematic factor (0: independent beta LGD; > 0: a "
                            "probit-normal LGD with this sd whose mean given default stays `mean`; "
                            "``model.downturn``)")

    @model_validator(mode="after")
    def _link(self):
        if self.downturn > 0 and not (self.sd > 0 and 0 < self.mean < 1):
            raise ValueError(f"a downturn LGD needs sd > 0 and 0 < mean < 1 (it must vary to move with the "
                             f"cycle); got mean = {self.mean}, sd = {self.sd}; give an sd or set downturn = 0")
        return self


class GuaranteeLGD(_Downturn):
    solvent: LGDSpec = LGDSpec(mean=0.2, sd=0.15)


class CreditLGD(_Downturn):
    sovereign: LGDSpec | None = None
    state: LGDSpec | None = None
    private: LGDSpec | None = None

    @model_validator(mode="after")
    def _kinds_link(self):
        fixed = [k for k in ("sovereign", "state", "private") if getattr(self, k) is not None
                 and not (getattr(self, k).sd > 0 and 0 < getattr(self, k).mean < 1)]
        if self.downturn > 0 and fixed:
            raise ValueError(f"a downturn LGD needs sd > 0 and 0 < mean < 1 for every buyer kind; fix {fixed} or "
                             f"set downturn = 0")
        return self


def _lgd_field(p: Product):
    mean, sd = p.lgd
    if p.kind == "credit":
        return CreditLGD, CreditLGD(mean=mean, sd=sd)
    solvent = LGDSpec(mean=p.solvent_lgd[0], sd=p.solvent_lgd[1])
    return GuaranteeLGD, GuaranteeLGD(mean=mean, sd=sd, solvent=solvent)


# one table per product (defaults and their sources: ``products.TABLE``)
LGD = create_model("LGD", __base__=_Strict, __doc__="The LGD of each product.",
                   random=(bool, Field(True, description="false: every LGD is fixed at its mean")),
                   **{p.name: _lgd_field(p) for p in TABLE})
