"""A results directory read back: the parts of a ``SimulationResult`` the report, the figures and the workbook
need, from the files ``riskmodel run --out DIR`` wrote (and those of the verbs that write beside them)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..inputs.errors import InputError, Problem
from ..inputs.scenario import Scenario
from ..model.segments import resolve
from .estimators import Estimate, LossSample
from .outdir import PROVENANCE, mixed_files
from .units import money_unit

REQUIRED = ("metrics.parquet", "losses.parquet", "run.json", "scenario.json")


class StoredResult:
    """The parts of a ``SimulationResult`` the figures and tables need, read back from a results directory."""

    def __init__(self, d: str | Path):
        self.dir = Path(d)
        missing = [f for f in REQUIRED if not (self.dir / f).is_file()]
        if missing:
            raise InputError([Problem(str(self.dir / f), "results", "not found: a results directory is what "
                                      "`riskmodel run --out DIR` writes; run it (again) with this version")
                              for f in missing], "results")
        problems = mixed_files(self.dir, "run")
        if problems:
            raise InputError(problems, "results")
        self.provenance = json.loads((self.dir / "run.json").read_text())
        if "files" not in self.provenance:
            raise InputError([Problem(str(self.dir / "run.json"), "results", "lists no files with their hashes "
                                      "(an older riskmodel wrote it): its files cannot be shown to be one run's; "
                                      "rerun `riskmodel run --out` with this version")], "results")
        self.scenario = Scenario.model_validate_json((self.dir / "scenario.json").read_text())
        self._metrics = pd.read_parquet(self.dir / "metrics.parquet")
        losses = pd.read_parquet(self.dir / "losses.parquet")
        strata = losses["stratum"].to_numpy() if self.provenance.get("method") == "importance" else None
        weighted = self.provenance.get("method") == "importance"
        self.sample = LossSample(losses["loss"].to_numpy(), losses["weight"].to_numpy() if weighted else None,
                                 self.scenario.simulation.ci_level, strata)
        self.n_sims = len(losses)
        self.seed = self.provenance.get("seed")
        self.notes: list[str] = []  # files beside the run left out, and why
        self._tables: dict = {}
        self._verb_tables: dict = {}

    def table(self, name: str) -> pd.DataFrame | None:
        """A file of the run's (``pricing.parquet``, ``policy.csv``, ...), or None when the run wrote none."""
        if name not in self._tables:
            f = self.dir / name
            ok = f.is_file() and name in self.provenance["files"]
            self._tables[name] = (pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)) if ok else None
        t = self._tables[name]
        return None if t is None else t.copy()

    def verb_table(self, verb: str, name: str) -> pd.DataFrame | None:
        """A file another verb wrote beside the run (``riskmodel contributions --out`` into its folder), or None
        when there is none. Refused unless its provenance file vouches for it and names the same run: the
        same inputs, seed, simulations and method; a refusal is kept in ``notes`` for the report to show."""
        if (verb, name) not in self._verb_tables:  # read, hashed and checked once
            self._verb_tables[(verb, name)] = self._verb_table(verb, name)
        t = self._verb_tables[(verb, name)]
        return None if t is None else t.copy()

    def _verb_table(self, verb: str, name: str) -> pd.DataFrame | None:
        prov = self.dir / PROVENANCE[verb]
        if not (self.dir / name).is_file() or not prov.is_file():
            return None
        problems = mixed_files(self.dir, verb)
        if problems:
            self.notes.append(f"{name} is left out: {problems[0].rule}")
            return None
        record = json.loads(prov.read_text())
        keys = ("scenario_sha256", "portfolio_sha256", "seed", "n_sims", "method", "perspective")
        differ = [k for k in keys if record.get(k) != self.provenance.get(k)]
        if differ:
            self.notes.append(f"{name} is left out: `riskmodel {verb}` wrote it from another run than run.json's "
                              f"({', '.join(differ)} differ); rerun `riskmodel {verb} --out` with the run's options")
            return None
        return pd.read_parquet(self.dir / name) if name.endswith(".parquet") else pd.read_csv(self.dir / name)

    @property
    def levels(self) -> list[float]:
        return sorted(self._metrics["level"].dropna()[self._metrics["metric"] == "var"].unique().tolist())

    def _estimate(self, metric: str, level=None) -> Estimate:
        m = self._metrics[self._metrics["metric"] == metric]
        if level is not None:
            m = m[(m["level"] - level).abs() < 1e-12]
        if m.empty:
            raise ValueError(f"{metric} at {level} is not in {self.dir / 'metrics.parquet'}")
        r = m.iloc[0]
        return Estimate(float(r["value"]), float(r["se"]), float(r["ci_low"]), float(r["ci_high"]))

    def el(self):
        return self._estimate("el")

    def var(self, level):
        return self._estimate("var", level)

    def es(self, level):
        return self._estimate("es", level)

    def ec(self, level):
        return self._estimate("ec", level)

    def metrics(self) -> pd.DataFrame:
        return self._metrics.copy()

    def cashflows(self) -> pd.DataFrame:
        cf = self.table("cashflows.parquet")
        if cf is None:
            raise ValueError("no cashflows.parquet in the results directory")
        return cf

    def contributions(self, by: str = "country", measure: str = "es", level: float | None = None) -> pd.DataFrame:
        """Euler contributions of ``measure`` by ``by``: from ``contributions.parquet`` (``riskmodel
        contributions --out`` into the folder) when it holds them, else from the run's
        ``capital_by_segment.parquet`` (ES at the capital level by exporter, importer, country and region)."""
        col = resolve(by)
        for c in (self.verb_table("contributions", "contributions.parquet"), self.table("capital_by_segment.parquet")):
            if c is None:
                continue
            c = c[(c["by"] == col) & (c["measure"] == measure)]
            if level is not None:
                c = c[(c["level"].astype(float) - level).abs() < 1e-12]
            if len(c):
                c = c.reset_index(drop=True)
                c.attrs["portfolio_value"] = float(c["value"].sum())
                return c
        raise ValueError(f"no contributions to {measure} by {col} in {self.dir}: write them with `riskmodel "
                         f"contributions --by {by} --measure {measure} --out DIR` (with the run's options)")

    def exceedance(self) -> pd.DataFrame | None:
        """The exceedance table (``exceedance.csv``; a one-year run of 0.10.0, without one, from its losses)."""
        t = self.table("exceedance.csv")
        if t is not None:
            w = t["warning"].astype(object)
            return t.assign(warning=w.where(w.notna(), "").astype(str))  # CSV reads a blank as NaN
        if self.scenario.simulation.horizon_years == 1.0:
            from .exceedance import exceedance_table

            return exceedance_table(self.sample)
        return None

    def herfindahl(self) -> pd.DataFrame | None:
        """The run's concentration indices by dimension (``capital_concentration.csv``), None before 0.11.0."""
        return self.table("capital_concentration.csv")

    def money_unit(self) -> tuple[float, str]:
        """(divisor, name) of the unit money is shown in, as ``SimulationResult.money_unit``."""
        pricing = self.table("pricing.parquet")
        scale = float(pricing["ead"].sum()) if pricing is not None else float(np.max(self.sample.x))
        return money_unit(scale, self.scenario.reporting.currency)


def flatten(d, prefix: str = "") -> list[tuple[str, str]]:
    """Nested provenance as (dotted key, value) rows; lists and empty tables as compact JSON."""
    out = []
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out += flatten(v, key)
        else:
            out.append((key, json.dumps(v, default=str) if isinstance(v, (list, dict)) else str(v)))
    return out
