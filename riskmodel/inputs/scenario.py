"""Scenario: the model's parameters, read from TOML and validated.

Every file implicitly extends the built-in baseline (the defaults of ``parameters``, which
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
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, model_validator

from .errors import InputError, Problem
from .parameters import (
    LGD,
    Calls,
    Copula,
    CountryEvents,
    Factors,
    Lifetime,
    PDMultipliers,
    Reporting,
    Simulation,
    Sovereigns,
    _Strict,
)
from .transfer import Layer
from .uncertainty import Uncertainty, parameter_rule


class Scenario(_Strict):
    name: str = "baseline"
    description: str = "Built-in baseline: illustrative defaults anchored to public figures"
    simulation: Simulation = Simulation()
    copula: Copula = Copula()
    reporting: Reporting = Reporting()
    factors: Factors = Factors()
    pd_multipliers: PDMultipliers = PDMultipliers()
    country_events: CountryEvents = CountryEvents()
    sovereigns: Sovereigns = Sovereigns()
    calls: Calls = Calls()
    lgd: LGD = LGD()
    lifetime: Lifetime = Lifetime()
    risk_transfer: list[Layer] = Field(default_factory=list, description="layers applied in order to each "
                                       "simulation's losses (``inputs.transfer``)")
    uncertainty: Uncertainty = Uncertainty()

    _sources: list = PrivateAttr(default_factory=list)

    @property
    def sources(self) -> list[dict]:
        """Files this scenario was resolved from, with their SHA-256 (base first)."""
        return list(self._sources)

    @model_validator(mode="after")
    def _perspective(self):
        if self.reporting.perspective == "ceded" and not self.risk_transfer:
            raise ValueError("reporting.perspective = 'ceded' needs [[risk_transfer]] layers: nothing is ceded "
                             "without them; add a layer or report 'gross'")
        return self

    @model_validator(mode="after")
    def _uncertain_parameters(self):
        bad = [f"{k}: {rule}" for k in self.uncertainty.parameters
               if (rule := parameter_rule(k, set(self.factors.rules))) is not None]
        if bad:
            raise ValueError("uncertainty.parameters: " + "; ".join(bad))
        return self

    @property
    def perspective(self) -> str:
        """Whose losses the run reports: ``reporting.perspective``, else net when layers transfer risk, else
        gross."""
        if self.reporting.perspective is not None:
            return self.reporting.perspective
        return "net" if self.risk_transfer else "gross"

    def with_perspective(self, perspective: str | None) -> "Scenario":
        """A copy reporting from ``perspective`` (``"gross"``, ``"ceded"`` or ``"net"``; None: unchanged)."""
        if perspective is None:
            return self
        data = self.model_dump(mode="json")
        data["reporting"]["perspective"] = perspective
        out = _validate(data, "<overrides>")
        out._sources = self._sources + [{"path": "<overrides>", "sha256": None,
                                         "overrides": {"perspective": perspective}}]
        return out

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
        if isinstance(part, int) and isinstance(cls, type) and issubclass(cls, BaseModel):
            continue  # an item of a list of tables ([[risk_transfer]]): its keys are the item's
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


def validation_problems(exc: ValidationError, source: str) -> list[Problem]:
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
        raise InputError(validation_problems(exc, source), "scenario") from None


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
