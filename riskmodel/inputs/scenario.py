"""Scenario: the model's parameters, read from TOML and validated.

Every file implicitly extends the built-in baseline (the defaults below, which
``scenarios/baseline.toml`` states in full with sources; a test keeps the two
equal). ``extends = "other.toml"`` inherits from another file first. Merging is
by table: a file overrides only the keys it names; lists and values replace.
Unknown keys are errors, never ignored.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from .errors import InputError, Problem
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

    log multiplier over the horizon H = vol sqrt(H) (-rho Z_global + sqrt(1 - rho^2) Z_ccy)
    - vol^2 H / 2: with rho > 0 the reporting currency weakens, and foreign-currency
    losses grow, in a global downturn.
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


class PDMultipliers(_Strict):
    exporter: float = Field(1.0, ge=0, le=MAX_MULTIPLIER)
    importer: float = Field(1.0, ge=0, le=MAX_MULTIPLIER)
    by_kind: dict[Literal["sovereign", "state", "private"], float] = Field(default_factory=dict)
    by_region: dict[str, float] = Field(default_factory=dict)
    by_country: dict[str, float] = Field(default_factory=dict)
    by_sector: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _nonneg(self):
        for name in ("by_kind", "by_region", "by_country", "by_sector"):
            bad = {k: v for k, v in getattr(self, name).items() if not 0 <= v <= MAX_MULTIPLIER}
            if bad:
                raise ValueError(f"{name}: multipliers must lie in [0, {MAX_MULTIPLIER:g}], got {bad}")
        return self


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


def _per_guarantee(name: str, le: float, doc: str) -> type[_Strict]:
    """A table with one float in [0, ``le``] per guarantee product (``products.TABLE``), each required."""
    fields = {p.name: (float, Field(ge=0, le=le)) for p in GUARANTEES}
    return create_model(name, __base__=_Strict, __doc__=doc, **fields)


GuaranteeProbs = _per_guarantee("GuaranteeProbs", 1.0, "A probability per guarantee product.")
# annual intensities of calls without default (tests force calls with 50)
GuaranteeRates = _per_guarantee("GuaranteeRates", 100.0, "An annual intensity per guarantee product.")


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
        if self.sd > 0 and not self.sd ** 2 < self.mean * (1 - self.mean):
            raise ValueError(f"a beta LGD needs sd^2 < mean (1 - mean) = {self.mean * (1 - self.mean):.4f}; "
                             f"got sd = {self.sd}; lower sd")
        return self


class GuaranteeLGD(LGDSpec):
    solvent: LGDSpec = LGDSpec(mean=0.2, sd=0.15)


class CreditLGD(LGDSpec):
    sovereign: LGDSpec | None = None
    state: LGDSpec | None = None
    private: LGDSpec | None = None


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


class Scenario(_Strict):
    name: str = "baseline"
    description: str = "Built-in baseline: illustrative defaults anchored to public figures"
    simulation: Simulation = Simulation()
    copula: Copula = Copula()
    reporting: Reporting = Reporting()
    factors: Factors = Factors()
    pd_multipliers: PDMultipliers = PDMultipliers()
    country_events: CountryEvents = CountryEvents()
    calls: Calls = Calls()
    lgd: LGD = LGD()
    lifetime: Lifetime = Lifetime()

    _sources: list = PrivateAttr(default_factory=list)

    @property
    def sources(self) -> list[dict]:
        """Files this scenario was resolved from, with their SHA-256 (base first)."""
        return list(self._sources)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def with_overrides(self, **simulation) -> "Scenario":
        """A copy with ``[simulation]`` keys replaced (validated like a file)."""
        data = self.model_dump(mode="json")
        data["simulation"].update({k: v for k, v in simulation.items() if v is not None})
        out = _validate(data, "<overrides>")
        out._sources = self._sources + [{"path": "<overrides>", "sha256": None,
                                         "overrides": {k: v for k, v in simulation.items() if v is not None}}]
        return out


BASELINE: dict = Scenario().model_dump(mode="json")


# ------------------------------------------------------------------ loading


def deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _allowed_keys(loc: tuple) -> list[str]:
    cls: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int) or cls is None:
            return []
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            f = cls.model_fields.get(part)
            if f is None:
                return []
            ann = f.annotation
            args = getattr(ann, "__args__", ())
            if getattr(ann, "__origin__", None) is dict:
                cls = args[1] if len(args) == 2 else None
                continue
            cls = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        else:
            cls = None  # inside a dict: the key is free, the value is cls
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return []


def _problems(exc: ValidationError, source: str) -> list[Problem]:
    out = []
    for e in exc.errors():
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        path = ".".join(str(x) for x in loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            rule = "unknown key" + (f"; did you mean '{near[0]}'?" if near else "") + \
                   (f" (known keys here: {', '.join(allowed)})" if allowed else "")
            out.append(Problem(source, "scenario", rule, path))
        else:
            msg = e["msg"].removeprefix("Value error, ")
            value = e.get("input")
            if isinstance(value, (dict, list)):
                value = None
            out.append(Problem(source, "scenario", msg, path, value=value))
    return out


def _validate(data: dict, source: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(_problems(exc, source), "scenario") from None


def _read_toml(path: Path) -> tuple[dict, str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), "scenario", "file not found")], "scenario") from None
    except OSError as exc:
        raise InputError([Problem(str(path), "scenario", f"cannot be read: {exc.strerror}")], "scenario") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), "scenario", "is not UTF-8 text")], "scenario") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(str(path), "scenario", f"is not valid TOML: {exc}")], "scenario") from None
    except RecursionError:  # arrays or tables nested thousands deep: no scenario needs more than a few
        raise InputError([Problem(str(path), "scenario", "is nested too deeply to read (arrays or tables inside "
                                  "each other thousands of levels deep); a scenario needs a few levels")],
                         "scenario") from None
    return data, hashlib.sha256(raw).hexdigest()


# Stacking stresses: multipliers multiply, event probabilities take the larger, anything else the later.
_MULTIPLY = {("pd_multipliers", "exporter"), ("pd_multipliers", "importer"), ("calls", "rate_multiplier")}
_MAX = {("country_events", "call_rate_multiplier")}  # an absolute factor (baseline 10): the larger one
_MULTIPLY_MAPS = {("pd_multipliers", "by_kind"), ("pd_multipliers", "by_region"), ("pd_multipliers", "by_country"),
                  ("pd_multipliers", "by_sector"), ("reporting", "fx_risk", "shock")}
_MAX_MAPS = {("country_events", "probability")}


def stack(*deltas: dict) -> dict:
    """Compose scenario changes (each relative to the baseline) into one: PD multipliers, the call-rate
    multiplier and FX shocks multiply (each is relative to 1); per-country event probabilities and the
    after-event call factor take the larger; any other key takes the later file's value. So stresses
    stack: SME distress on top of a regional conflict."""
    out: dict = {}
    for d in deltas:
        out = _stack_two(out, d, ())
    return out


def _stack_two(a: dict, b: dict, path: tuple) -> dict:
    out = dict(a)
    for k, v in b.items():
        here = (*path, k)
        if k not in out:
            out[k] = v
        elif here in _MULTIPLY and _is_number(v) and _is_number(out[k]):
            out[k] = out[k] * v
        elif here in _MAX and _is_number(v) and _is_number(out[k]):
            out[k] = max(out[k], v)
        elif (here in _MULTIPLY_MAPS or here in _MAX_MAPS) and isinstance(v, dict) and isinstance(out[k], dict):
            merged = dict(out[k])
            for c, x in v.items():
                if c in merged and _is_number(x) and _is_number(merged[c]):
                    merged[c] = merged[c] * x if here in _MULTIPLY_MAPS else max(merged[c], x)
                else:
                    merged[c] = x
            out[k] = merged
        elif isinstance(v, dict) and isinstance(out[k], dict):
            out[k] = _stack_two(out[k], v, here)
        else:
            out[k] = v
    return out


def changes(delta: dict, base: dict | None = None) -> dict:
    """``delta`` without the keys whose values equal the baseline's: what a file really changes (a file
    extending ``baseline.toml`` carries every baseline value with it)."""
    base = BASELINE if base is None else base
    out = {}
    for k, v in delta.items():
        b = base.get(k) if isinstance(base, dict) else None
        if isinstance(v, dict) and isinstance(b, dict):
            sub = changes(v, b)
            if sub:
                out[k] = sub
        elif k not in base or _normal(v) != _normal(b):
            out[k] = v
    return out


def _normal(v):
    return json.loads(json.dumps(v, default=str))


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict, list[dict]]:
    """The file's changes relative to the baseline (following ``extends``: one file, whose values it
    overrides, or a list of files, stacked), and the files it was read from."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise InputError([Problem(str(path), "scenario", f"'extends' forms a cycle: {cycle}", "extends")], "scenario")
    data, sha = _read_toml(path)
    parent = data.pop("extends", None)
    me = [{"path": str(path), "sha256": sha}]
    if parent is None:
        return data, me
    parents = [parent] if isinstance(parent, str) else parent
    if not isinstance(parents, list) or not parents or not all(isinstance(x, str) for x in parents):
        raise InputError([Problem(str(path), "scenario", "must be a file name or a list of file names (stacked)",
                                  "extends", value=parent)], "scenario")
    deltas, sources = [], []
    for name in parents:
        ppath = path.parent / name
        if not ppath.is_file():
            raise InputError([Problem(str(path), "scenario", f"extends a file that does not exist: {ppath}; "
                                      "every scenario starts from the built-in baseline already: drop 'extends' "
                                      "or put the file there", "extends", value=name)], "scenario")
        else:
            d, src = _resolve(ppath, (*chain, path))
        deltas.append(changes(d))
        sources += src
    return deep_merge(stack(*deltas), data), sources + me


def scenario_delta(path: str | Path) -> tuple[dict, list[dict]]:
    """A scenario file's changes relative to the baseline (for stacking), and its sources."""
    delta, sources = _resolve(Path(path), ())
    return changes(delta), sources


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load a scenario file (following ``extends``); ``None`` gives the built-in baseline."""
    if path is None:
        sc = Scenario()
        sc._sources = [{"path": "builtin:baseline", "sha256": None}]
        return sc
    delta, sources = _resolve(Path(path), ())
    sc = _validate(deep_merge(BASELINE, delta), str(path))
    sc._sources = sources
    return sc


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate a scenario given as a dict (merged over the built-in baseline)."""
    sc = _validate(deep_merge(BASELINE, data), source)
    sc._sources = [{"path": source, "sha256": hashlib.sha256(json.dumps(data, sort_keys=True, default=str)
                                                              .encode()).hexdigest()}]
    return sc
