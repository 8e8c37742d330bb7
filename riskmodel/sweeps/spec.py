"""Sweep specifications: a base scenario, stacked scenarios and a grid of parameters, resolved to points.

A sweep file (TOML)::

    name = "programme-stress"
    portfolio = "../riskmodel/data/sample"   # default: the bundled sample (paths are relative to this file)
    date_format = "%d/%m/%Y"                # the portfolio's dates when not YYYY-MM-DD (never guessed)
    base = "baseline.toml"                  # default: the built-in baseline
    seed = 2026
    n_sims = 20000                          # per point
    levels = [0.99, 0.999]
    metrics = ["el", "var", "es", "ec"]     # rows kept in the store
    method = "auto"                         # plain | importance | auto
    split_sims = 50000                      # a point above this runs as pieces on several workers

    [[scenarios]]                           # each stacked over the base (riskmodel.scenario.stack)
    label = "conflict + SME distress"
    stack = ["regional_conflict.toml", "sme_distress.toml"]

    [grid]                                  # every combination, over the base and each scenario
    "pd_multipliers.exporter" = [1.0, 1.5, 2.0]
    "calls.rate_multiplier" = [1.0, 3.0]

The points are the base and each scenario, each at every grid combination
(a grid value sets its key outright). A point's id is a hash of what
determines its numbers: the resolved scenario (without its seed and name),
the portfolio's content and the riskmodel version. Its seed is derived from
the sweep's seed and that id, so a point's numbers do not depend on which
other points the sweep holds, on their order, or on where it runs.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..inputs.errors import InputError, Problem
from ..inputs.portfolio import Portfolio, load_portfolio
from ..inputs.scenario import BASELINE, Scenario, deep_merge, scenario_delta, stack, validation_problems
from ..version import __version__

METRIC_NAMES = ("el", "sd", "var", "es", "ec")


class _StackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    stack: list[str] = Field(min_length=1)


MAX_POINTS = 10_000  # a sweep larger than this is a typing error (1,000 x 1,000 took 80 s and 4 GB to expand)


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "sweep"
    description: str = ""
    portfolio: str | None = None
    date_format: str | None = Field(None, description="the form of the portfolio's text dates when not YYYY-MM-DD")
    base: str | None = None
    seed: int = Field(1, ge=0, lt=2**63)
    n_sims: int = Field(20_000, ge=100, le=10**9)
    levels: list[float] = Field(default_factory=lambda: [0.99, 0.995, 0.999])
    metrics: list[Literal["el", "sd", "var", "es", "ec"]] = Field(default_factory=lambda: list(METRIC_NAMES))
    method: Literal["plain", "importance", "auto"] = "auto"
    split_sims: int = Field(50_000, ge=100, description="a point with more simulations runs as pieces of this size")
    scenarios: list[_StackSpec] = Field(default_factory=list)
    grid: dict[str, list] = Field(default_factory=dict)

    @field_validator("levels")
    @classmethod
    def _levels(cls, v):
        if not v or not all(0 < x < 1 for x in v):
            raise ValueError(f"levels must be probabilities in (0, 1), at least one; got {v}")
        return sorted(set(v))

    @field_validator("grid")
    @classmethod
    def _grid(cls, v):
        bad = [k for k, vals in v.items() if not vals or len({json.dumps(x) for x in vals}) != len(vals)]
        if bad:
            raise ValueError(f"each grid key needs a list of distinct values; fix {bad}")
        return v


@dataclass(frozen=True)
class Point:
    id: str
    label: str
    stack: tuple[str, ...]
    params: dict
    seed: int
    scenario: Scenario = field(repr=False, compare=False)


@dataclass
class Sweep:
    spec: SweepSpec
    source: str
    spec_sha256: str
    portfolio: Portfolio = field(repr=False)
    portfolio_sha256: str
    points: list[Point]

    @property
    def param_names(self) -> list[str]:
        return list(self.spec.grid)


def derive_seed(sweep_seed: int, point_id: str) -> int:
    """A point's seed: 63 bits of SHA-256 over the sweep's seed and the point's id."""
    digest = hashlib.sha256(f"{int(sweep_seed)}:{point_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def point_id(scenario: Scenario, portfolio_sha256: str) -> str:
    data = scenario.model_dump(mode="json")
    data.pop("name", None)
    data.pop("description", None)
    data["simulation"].pop("seed", None)
    key = json.dumps({"scenario": data, "portfolio": portfolio_sha256, "riskmodel": __version__}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _set(d: dict, dotted: str, value) -> dict:
    out = json.loads(json.dumps(d))
    node = out
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise KeyError(dotted)
    node[parts[-1]] = value
    return out


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file and everything it names; every problem is raised at once."""
    path = Path(path)
    src = str(path)
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(src, "sweep", "file not found")], "sweep") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(src, "sweep", f"is not valid TOML: {exc}")], "sweep") from None
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(src, "sweep", e["msg"].removeprefix("Value error, "),
                                  ".".join(str(x) for x in e["loc"]),
                                  value=e.get("input") if not isinstance(e.get("input"), (dict, list)) else None)
                          for e in exc.errors()], "sweep") from None
    return resolve(spec, path.parent, src, hashlib.sha256(raw).hexdigest())


def resolve(spec: SweepSpec, here: Path, source: str = "<sweep>", spec_sha256: str = "") -> Sweep:
    from ..inputs.paths import bundled_sample

    problems: list[Problem] = []
    portfolio = load_portfolio(here / spec.portfolio if spec.portfolio else bundled_sample(),
                               date_format=spec.date_format)
    pf_sha = portfolio.content_hash

    def delta_of(name: str, key: str) -> dict:
        p = here / name
        if not p.is_file():
            problems.append(Problem(source, "sweep", f"scenario file not found: {p} (paths are relative to the "
                                    "sweep file; without 'base' the built-in baseline is the base)", key,
                                    value=name))
            return {}
        return scenario_delta(p)[0]

    base = delta_of(spec.base, "base") if spec.base else {}
    stacks = [("base", (), base)]
    for i, s in enumerate(spec.scenarios):
        stacks.append((s.label, tuple(s.stack), stack(base, *(delta_of(f, f"scenarios.{i}.stack") for f in s.stack))))
    labels = [s[0] for s in stacks]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        problems.append(Problem(source, "sweep", f"scenario labels must be unique ('base' is the base); repeated: "
                                                 f"{dup}", "scenarios"))
    if problems:
        raise InputError(problems, "sweep")
    names = list(spec.grid)
    count = len(stacks) * math.prod(len(spec.grid[k]) for k in names)  # before expanding anything
    if count > MAX_POINTS:
        sizes = " x ".join([f"{len(stacks)} scenarios"] + [f"{len(spec.grid[k])} {k}" for k in names])
        raise InputError([Problem(source, "sweep", f"the grid gives {count:,} points ({sizes}), more than the "
                                  f"{MAX_POINTS:,} a sweep may hold: thin the grid or split the sweep", "grid")],
                         "sweep")
    empty = [k for k in names if not spec.grid[k]]
    if empty:
        raise InputError([Problem(source, "sweep", "a grid key needs at least one value", f"grid.{k}")
                          for k in empty], "sweep")
    combos = list(itertools.product(*(spec.grid[k] for k in names))) or [()]
    points, seen = [], {}
    sim = {"n_sims": spec.n_sims, "levels": spec.levels, "method": spec.method}
    for label, files, delta in stacks:
        for combo in combos:
            params = dict(zip(names, combo))
            d = deep_merge(delta, {"simulation": sim})
            try:
                for k, v in params.items():
                    d = _set(d, k, v)
            except KeyError as exc:
                problems.append(Problem(source, "sweep", "a grid key must be a dotted path to a scenario value, "
                                        "e.g. pd_multipliers.exporter", f"grid.{exc.args[0]}"))
                continue
            tag = f"point {label!r}" + (f" {params}" if params else "")
            try:
                sc = Scenario.model_validate(deep_merge(BASELINE, d))
            except ValidationError as exc:
                problems += [Problem(source, "sweep", f"{tag}: {p.rule}", p.column, value=p.value)
                             for p in validation_problems(exc, source)]
                continue
            if sc.simulation.method != "plain" and spec.n_sims < 2 * sc.simulation.importance.strata:
                problems.append(Problem(source, "sweep", f"{tag}: importance sampling needs at least "
                                        f"{2 * sc.simulation.importance.strata} simulations; raise n_sims or use "
                                        "method = 'plain'", "n_sims", value=spec.n_sims))
                continue
            pid = point_id(sc, pf_sha)
            if pid in seen:  # two routes to the same scenario: one point
                continue
            seen[pid] = True
            seed = derive_seed(spec.seed, pid)
            name = label if not params else f"{label} | " + ", ".join(f"{k}={v}" for k, v in params.items())
            sc = sc.with_overrides(seed=seed)
            sc = Scenario.model_validate({**sc.model_dump(mode="json"), "name": name})
            points.append(Point(pid, label, files, params, seed, sc))
    # problems repeat across points for a bad key: report each once
    unique = list(dict.fromkeys(problems))
    if unique:
        raise InputError(unique, "sweep")
    return Sweep(spec, source, spec_sha256, portfolio, pf_sha, points)
