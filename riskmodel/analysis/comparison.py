"""``riskmodel.compare(a, b)``: two results folders (or results) compared, as a results object.

The estimators and the books in between are in ``changes.py``; this module
runs the steps and holds the answer: ``table`` (each figure's change with its
error), ``steps`` (the waterfall: each step's figure and its change against
the step before), ``summary()``, ``str()`` and the Jupyter view.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from . import changes as cmp
from .labels import in_words
from .stored import StoredResult


def _run_of(x):
    return x if hasattr(x, "sample") and hasattr(x, "provenance") else StoredResult(x)


class Comparison:
    """The change from run ``a`` (earlier, or the base) to run ``b`` (later, or the stress)."""

    def __init__(self, a, b, levels=None, attribution: bool = True, n_threads: int | None = None,
                 progress: bool = False):
        self.a, self.b = _run_of(a), _run_of(b)
        self.level = self._capital_level()
        self.levels = sorted(set(levels) if levels else set(self.a.levels) & set(self.b.levels)) or [self.level]
        self.paired = cmp.pairs(self.a.sample, self.b.sample, self.a.seed, self.b.seed)
        self.attribution = attribution
        self._threads, self._progress = n_threads, progress
        self.why_no_steps = ""

    def _capital_level(self) -> float:
        cap = self.b.scenario.lifetime.capital_level
        common = set(self.a.levels) & set(self.b.levels)
        return cap if cap in common else max(common) if common else cap

    @cached_property
    def table(self) -> pd.DataFrame:
        """Each figure's change ``b - a``, with its standard error and interval, and how the error was had."""
        df = cmp.changes(self.a.sample, self.b.sample, self.levels, self.paired)
        df.insert(0, "a_scenario", self.a.scenario.name)
        df.insert(1, "b_scenario", self.b.scenario.name)
        return df

    @cached_property
    def steps(self) -> pd.DataFrame:
        """The waterfall: from ``a`` through the runs in between to ``b`` (``changes.py``), each step's EL, VaR,
        ES and EC at the capital level and its change against the step before, with its error. Empty when
        the books cannot be read again (``why_no_steps`` says why) or ``attribution=False``."""
        if not self.attribution:
            self.why_no_steps = "not asked for"
            return pd.DataFrame()
        pa, why_a = cmp.portfolio_of(self.a)
        pb, why_b = cmp.portfolio_of(self.b)
        if pa is None or pb is None:
            self.why_no_steps = why_a or why_b
            return pd.DataFrame()
        return self._waterfall(pa, pb)

    def _simulate(self, pf, sc):
        from .simulation import simulate

        b = self.b
        return simulate(pf, sc, n_sims=b.n_sims, seed=b.seed, levels=self.levels, method=b.provenance["method"],
                        n_threads=self._threads, progress=self._progress)

    def _waterfall(self, pa, pb) -> pd.DataFrame:
        sa, sb = self.a.scenario, self.b.scenario
        at_a_date = sb.with_overrides(valuation_date=sa.simulation.valuation_date)
        runs = [("before", self.a.sample, "", 0)]
        if not self.paired:
            runs.append(("random numbers", self._simulate(pa, sa).sample, "the earlier run on the later seed", 0))
        runs.append(("parameters", self._simulate(pa, at_a_date).sample, "the later scenario", 0))
        if sa.simulation.valuation_date != sb.simulation.valuation_date:
            runs.append(("valuation date", self._simulate(pa, sb).sample,
                         f"{sa.simulation.valuation_date} to {sb.simulation.valuation_date}", 0))
        for step, book, n in cmp.books_between(pa, pb):
            if step == "covers added":
                last = runs[-1][1]
                same = n == 0 and np.array_equal(last.x, self.b.sample.x) and np.array_equal(last.w, self.b.sample.w)
                if not same:  # else the step before is the later run, bit for bit
                    runs.append((step, self.b.sample, f"{n} covers", n))
            elif n:
                runs.append((step, self._simulate(book, sb).sample, f"{n} covers", n))
        rows = []
        for i, (step, s, detail, n) in enumerate(runs):
            for m in cmp.METRICS:
                lv = None if m == "el" else self.level
                if i == 0:
                    e = cmp.estimate(s, m, lv)
                    row = {"metric": m, "level": lv, "b": e.value, "b_se": e.se, "change": 0.0, "change_se": 0.0,
                           "ci_low": 0.0, "ci_high": 0.0, "errors": "", "warning": s.warning(m, lv)}
                else:
                    prev = runs[i - 1][1]
                    paired = step != "random numbers" and cmp.pairs(prev, s, 0, 0)
                    row = cmp.change(prev, s, m, lv, paired)
                rows.append({"step": i, "name": step, "detail": detail, "covers": n, **row})
        df = pd.DataFrame(rows).rename(columns={"b": "value", "b_se": "se"}).drop(columns=["a", "a_se"],
                                                                                    errors="ignore")
        df["level"] = pd.array(df["level"].tolist(), dtype="Float64")
        return df

    # ---------------------------------------------------------------- views

    def summary(self) -> str:
        f, unit = self.b.money_unit()
        t = self.table
        how = ("common random numbers (same seed and simulations)" if self.paired else
               "independent runs: errors in quadrature")
        lines = [f"change from {self.a.scenario.name!r} ({self.where(self.a)}) to {self.b.scenario.name!r} "
                 f"({self.where(self.b)}), {unit}; errors by {how}", "",
                 f"{'metric':<8}{'level':>7}{'before':>12}{'after':>12}{'change':>12}{'std err':>10}"]
        for r in t.itertuples():
            lv = "" if pd.isna(r.level) else f"{r.level:g}"
            lines.append(f"{r.metric:<8}{lv:>7}{r.a / f:>12,.3f}{r.b / f:>12,.3f}{r.change / f:>+12,.3f}"
                         f"{r.change_se / f:>10,.3f}" + ("  *" if r.warning else ""))
        for w in dict.fromkeys(w for w in t["warning"] if w):
            lines.append(f"* {w}")
        st = self.steps
        if len(st):
            lines += ["", f"where the change of EC at {self.level:g} came from ({unit}):"]
            for r in st[st["metric"] == "ec"].itertuples():
                lines.append(f"  {r.name:<16}{r.value / f:>12,.3f}{r.change / f:>+12,.3f} (se {r.change_se / f:,.3f})"
                             + (f"  {r.detail}" if r.detail else ""))
        elif self.why_no_steps:
            lines += ["", f"the change is not split into its sources: {self.why_no_steps}"]
        return "\n".join(lines)

    @staticmethod
    def where(r) -> str:
        """A run in a few words: its valuation date, seed and simulations."""
        sim = r.scenario.simulation
        return f"{sim.valuation_date}, seed {r.seed}, {r.n_sims:,} simulations"

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        f, unit = self.b.money_unit()
        d = self.table.drop(columns=["a_scenario", "b_scenario"]).copy()
        for c in ("a", "a_se", "b", "b_se", "change", "change_se", "ci_low", "ci_high"):
            d[c] = d[c] / f
        return in_words(d, unit).to_html(index=False)

    def to_dir(self, out: str | Path, force: bool = False) -> list[str]:
        """Write compare.csv, compare_steps.csv and compare.json (the provenance of both runs) into ``out``."""
        from .outdir import write_outputs

        steps = self.steps
        prov = {"a": {k: self.a.provenance.get(k) for k in ("run_id", "scenario", "seed", "n_sims", "method",
                                                             "portfolio_sha256", "scenario_sha256")},
                "b": {k: self.b.provenance.get(k) for k in ("run_id", "scenario", "seed", "n_sims", "method",
                                                             "portfolio_sha256", "scenario_sha256")},
                "errors": cmp.PAIRED if self.paired else cmp.QUADRATURE, "why_no_steps": self.why_no_steps}
        return write_outputs(out, "compare", {"compare.csv": lambda p: self.table.to_csv(p, index=False),
                                              "compare_steps.csv": lambda p: steps.to_csv(p, index=False)},
                             prov, force)


def compare(a, b, levels=None, attribution: bool = True, n_threads: int | None = None,
            progress: bool = False) -> Comparison:
    """Compare run ``a`` (a results folder of ``riskmodel run --out``, or a ``SimulationResult``) with run ``b``:
    the change of EL, VaR, ES and EC with its error, and (``attribution``) the change split into parameters,
    valuation date and covers removed, amended and added. See ``changes.py``."""
    return Comparison(a, b, levels, attribution, n_threads, progress)
