"""The result of a simulation: losses, metrics with errors, provenance.

Modelled on arch's ``ARCHModelResult``: DataFrame properties computed once
and cached, ``summary()`` for people, ``__str__`` delegating to it, and
accessors (``conf_int``, ``el``, ``var``, ``es``, ``ec``, ``prob_exceed``)
that return numbers with their Monte Carlo errors.
"""
from __future__ import annotations

import datetime as _dt
import platform
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ..inputs.schema import COUNT_COLUMNS, LOSS_COMPONENTS, LOSSES_SCHEMA, METRICS_SCHEMA, conform
from ..version import __version__
from . import lifetime
from .estimators import Estimate, LossSample
from .summary import html as summary_html
from .summary import text as summary_text
from .transfer import layers_table, perspective_loss
from .units import money_unit


def metrics_table(s: LossSample, scenario: str, levels, thresholds=(), perspective: str = "gross") -> pd.DataFrame:
    """The tidy metrics table (METRICS_SCHEMA) of a loss sample: EL, SD, and VaR, ES, EC at each level, and
    P(L > x) at each threshold; each row carries the estimator's warning ('' when none)."""
    rows = [("el", None, s.mean()), ("sd", None, s.sd())]
    for lv in levels:
        rows += [("var", lv, s.var(lv)[0]), ("es", lv, s.es(lv)), ("ec", lv, s.ec(lv))]
    rows += [("p_exceed", t, s.prob_exceed(t)) for t in thresholds]
    df = pd.DataFrame([{"scenario": scenario, "perspective": perspective, "metric": m, "level": lv,
                        "value": e.value, "se": e.se,
                        "ci_low": e.ci_low, "ci_high": e.ci_high, "warning": s.warning(m, lv)} for m, lv, e in rows])
    df["level"] = pd.array(df["level"].tolist(), dtype="Float64")
    return conform(df, METRICS_SCHEMA)


class SimulationResult:
    """Per-simulation losses and the metrics estimated from them."""

    def __init__(self, loss, count, weight, scenario, portfolio, model, elapsed: float, run_info: dict,
                 cells=None, claims=None, replay=None, transfer=None):
        self._loss = loss
        self.transfer_losses = transfer  # with risk transfer: gross total, then each layer's ceded (n x 1 + L)
        self._replay = replay
        self._claims = claims
        self._count = count
        self._weight = weight
        self._cells = cells
        self.scenario = scenario
        self.portfolio = portfolio
        self.model = model
        self.elapsed = elapsed
        self.run_info = run_info
        self._metric_cache: dict = {}
        self._lifetime = None  # the lifetime collection, when replayed for it

    # ---------------------------------------------------------------- data

    @property
    def n_sims(self) -> int:
        return self._loss.shape[0]

    @property
    def seed(self) -> int:
        return self.scenario.simulation.seed

    @property
    def method(self) -> str:
        """``"plain"`` or ``"importance"``: how the simulations were drawn."""
        return self.run_info.get("method", "plain")

    @property
    def perspective(self) -> str:
        """``"gross"``, ``"ceded"`` or ``"net"``: whose losses the figures are (``Scenario.perspective``)."""
        return self.scenario.perspective

    @property
    def weights(self) -> np.ndarray | None:
        """Likelihood-ratio weight of each simulation (None for plain Monte Carlo)."""
        return self._weight

    @property
    def cells(self) -> np.ndarray | None:
        """Design cell of each simulation under importance sampling, a mixture component's stratum of the shift
        direction (None for plain Monte Carlo): the strata of the stratified estimators."""
        return self._cells

    @property
    def strata(self) -> np.ndarray | None:
        """The design cells under their former name (``cells``)."""
        return self._cells

    @cached_property
    def total_loss(self) -> np.ndarray:
        return self._loss.sum(axis=1)

    @cached_property
    def losses(self) -> pd.DataFrame:
        """One row per simulation: total loss, loss by component, event counts, claims paid, the present value
        of the loss, weight and design cell."""
        return self._losses_rows(0, self.n_sims)

    def _losses_rows(self, lo: int, hi: int) -> pd.DataFrame:
        df = pd.DataFrame({"sim": np.arange(lo, hi, dtype=np.int64), "loss": self.total_loss[lo:hi]})
        for i, c in enumerate(LOSS_COMPONENTS):
            df[c] = self._loss[lo:hi, i]
        for i, c in enumerate(COUNT_COLUMNS):
            df[c] = self._count[lo:hi, i]
        col = self.collected()
        df["claims"] = col.claims[lo:hi]
        df["loss_pv"] = col.pv[lo:hi]
        df["weight"] = 1.0 if self._weight is None else self._weight[lo:hi]
        df["stratum"] = 0 if self._cells is None else self._cells[lo:hi]
        return conform(df, LOSSES_SCHEMA)

    def write_losses(self, path: str | Path, rows_per_group: int = 1_000_000) -> Path:
        """``losses`` as Parquet, written a row group at a time: memory follows the group, not the run."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        writer = None
        try:
            for lo in range(0, max(self.n_sims, 1), rows_per_group):
                table = pa.Table.from_pandas(self._losses_rows(lo, min(lo + rows_per_group, self.n_sims)),
                                             preserve_index=False)
                writer = writer or pq.ParquetWriter(path, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
        return path

    def collected(self):
        """The run's dated claims reduced to cash flows, present values, claims paid and per-cover sums
        (a ``collect.ClaimsCollector``): gathered during the run (``simulate(lifetime=True)``, the default
        beyond a one-year horizon) or, the first time a lifetime figure needs them, by replaying every
        simulation, which gives the same claims (checked against the run's losses)."""
        if self._claims is not None and self._claims.lifetime:
            return self._claims
        if self._lifetime is None:
            from ..engine.tail import replay_lifetime

            self._lifetime = replay_lifetime(self)
        return self._lifetime

    @property
    def segment_losses(self) -> np.ndarray:
        """Each simulation's loss by segment of covers (n_sims x n_segments), when the run was given
        ``cover_segment`` and ``n_segments``."""
        if self._claims is None or self._claims.n_segments == 0:
            raise ValueError("this run kept no losses by segment: pass cover_segment and n_segments to simulate()")
        return self._claims.seg_loss

    @cached_property
    def sample(self) -> LossSample:
        return LossSample(self.total_loss, self._weight, self.scenario.simulation.ci_level, self._cells,
                          self.run_info.get("weight_bound"))

    # ---------------------------------------------------------------- metrics

    @property
    def levels(self) -> list[float]:
        return list(self.scenario.simulation.levels)

    def el(self) -> Estimate:
        return self.sample.mean()

    def sd(self) -> Estimate:
        return self.sample.sd()

    def var(self, level: float) -> Estimate:
        return self.sample.var(level)[0]

    def es(self, level: float) -> Estimate:
        return self.sample.es(level)

    def ec(self, level: float) -> Estimate:
        return self.sample.ec(level)

    def prob_exceed(self, threshold: float) -> Estimate:
        return self.sample.prob_exceed(threshold)

    def metrics(self, levels=None, thresholds=(), perspective: str | None = None) -> pd.DataFrame:
        """Tidy table: scenario, perspective, metric, level, value, se, ci_low, ci_high, warning. ``perspective``
        (default the run's) may be ``"gross"``, ``"ceded"``, ``"net"`` or ``"all"`` (the three stacked)."""
        levels = tuple(sorted(set(levels if levels is not None else self.levels)))
        thresholds = tuple(sorted(set(float(t) for t in thresholds)))
        for lv in levels:
            if not 0 < lv < 1:
                raise ValueError(f"confidence levels must lie in (0, 1), got {lv}")
        if perspective == "all":
            wanted = ("gross", "ceded", "net") if self.transfer_losses is not None else (self.perspective,)
            return pd.concat([self.metrics(levels, thresholds, p) for p in wanted], ignore_index=True)
        p = perspective or self.perspective
        key = (levels, thresholds, p)
        if key not in self._metric_cache:
            s = self.sample if p == self.perspective else LossSample(
                perspective_loss(self, p), self._weight, self.scenario.simulation.ci_level, self._cells,
                self.run_info.get("weight_bound"))
            self._metric_cache[key] = metrics_table(s, self.scenario.name, levels, thresholds, p)
        return self._metric_cache[key].copy()

    def transfer(self) -> pd.DataFrame:
        """Each risk-transfer layer's ceded expected loss, probability of paying and premium, with errors
        (empty without ``[[risk_transfer]]``); ``metrics(perspective="all")`` gives gross, ceded and net."""
        return layers_table(self)

    def conf_int(self, levels=None, thresholds=()) -> pd.DataFrame:
        """Confidence intervals of every metric, indexed by (metric, level)."""
        m = self.metrics(levels, thresholds)
        return m.set_index(["metric", "level"])[["ci_low", "ci_high"]]

    # ---------------------------------------------------------------- lifetime

    def cashflows(self, freq: str = "year", bands=lifetime.BANDS) -> pd.DataFrame:
        """Expected claims, recoveries and net cash flow by year (or ``freq="step"``: by the scenario's
        ``[lifetime] step``), with percentile bands of claims and recoveries; tidy, with errors."""
        key = ("cashflows", freq, tuple(bands))
        if key not in self._metric_cache:
            self._metric_cache[key] = lifetime.cashflow_table(self, freq, bands)
        return self._metric_cache[key].copy()

    def lifetime(self) -> pd.DataFrame:
        """Lifetime claims, recoveries, EL and its present value, maximum annual claims at 99.5%."""
        if "lifetime" not in self._metric_cache:
            self._metric_cache["lifetime"] = lifetime.lifetime_metrics(self)
        return self._metric_cache["lifetime"].copy()

    def pricing(self, by: str | list[str] | None = None, allocation: str = "euler") -> pd.DataFrame:
        """Pricing adequacy per cover, or per segment (``by="product"``, any column of covers). Capital is
        EC at ``[lifetime] capital_level`` allocated by Euler ES contributions (``allocation="euler"``) or
        by covariance with the total loss (``"covariance"``); rows add up to EC either way."""
        return lifetime.pricing_table(self, by, allocation)

    def collateral(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """SME collateral the guarantees free, by year (and by ``by``, e.g. ``"exporter_id"``)."""
        return lifetime.collateral_table(self, by)

    def policy(self) -> pd.DataFrame:
        """Collateral freed, per unit of expected loss and of economic capital."""
        if "policy" not in self._metric_cache:
            self._metric_cache["policy"] = lifetime.policy_table(self)
        return self._metric_cache["policy"].copy()

    # ---------------------------------------------------------------- who consumes the capital

    def contributions(self, by: str | None = "cover", measure: str = "es", level: float | None = None,
                      band: float | None = None) -> pd.DataFrame:
        """Euler contributions of ``measure`` (``"es"``, ``"var"``, ``"ec"`` or ``"el"``) at ``level``
        (default ``[lifetime] capital_level``) by segment (``by``: ``"cover"``, ``"exporter"``,
        ``"country"``, ``"region"``, ``"product"``, ``"sector"``, any column of covers). Rows sum to the
        portfolio figure; each carries its standard error. ``band`` is the VaR band's half-width in
        probability (default ``(1 - level) / 2``); see ``riskmodel.contributions``."""
        from .contributions import contributions_table

        key = ("contributions", by, measure, level, band)
        if key not in self._metric_cache:
            self._metric_cache[key] = contributions_table(self, by, measure, level, band)
        return self._metric_cache[key].copy()

    def concentration(self, limits=None, top: int = 10, level: float | None = None):
        """Exposure and capital shares, Herfindahl indices and top names by exporter, importer, country and
        region; with ``limits`` (a CSV path or DataFrame: segment, max_exposure, max_capital_share), the
        limit checks and breaches. See ``riskmodel.concentration``."""
        from .concentration import concentration_table

        return concentration_table(self, limits, top, level)

    def tail(self, threshold: float):
        """The claims of every simulation losing at least ``threshold`` (a ``tail.Tail``: simulations,
        rows, covers and losses), replayed once and kept; a later call at a higher threshold reuses it."""
        from ..engine.tail import replay_tail

        cached = getattr(self, "_tail_cache", None)
        if cached is None or cached.threshold > threshold:
            self._tail_cache = replay_tail(self, threshold)
        return self._tail_cache

    def replay(self, sims: np.ndarray, collector, state=None) -> np.ndarray:
        """Losses by component of the simulations ``sims`` run again (the same draws), their claims handed to
        ``collector`` (a ``collect.ClaimsCollector``), their factors and defaults into ``state`` if given."""
        if self._replay is None:
            raise ValueError("this result cannot replay its simulations (it was not made by simulate())")
        return self._replay(sims, collector) if state is None else self._replay(sims, collector, state)

    @property
    def warnings(self) -> list[str]:
        """The portfolio's and the model's warnings, then each distinct warning of the metrics table's rows."""
        out = list(self.portfolio.warnings) + list(self.model.warnings)
        for w in self.metrics()["warning"]:
            if w and w not in out:
                out.append(w)
        return out

    # ---------------------------------------------------------------- provenance

    @cached_property
    def provenance(self) -> dict:
        import numba
        import scipy

        p = self.portfolio
        return {
            "riskmodel_version": __version__,
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "scenario": self.scenario.name,
            "scenario_sha256": self.scenario.content_hash,
            "scenario_sources": self.scenario.sources,
            "seed": self.seed,
            "n_sims": self.n_sims,
            "method": self.method,
            "portfolio_sha256": p.content_hash,
            "portfolio_files": {t: {"path": p.sources.get(t), "sha256": p.file_hashes.get(t)}
                                for t in ("exporters", "importers", "covers", "schedules", "new_exporters",
                                          "new_importers", "new_covers", "new_schedules") if t in p.sources},
            "reference": p.reference.sources,
            "n_covers": int(len(p.covers)),
            "n_covers_live": int(len(self.model.covers)),
            "reporting_currency": self.scenario.reporting.currency,
            "perspective": self.perspective,
            "elapsed_seconds": round(self.elapsed, 3),
            "run": self.run_info,
            "warnings": self.warnings,
            "versions": {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
                         "pandas": pd.__version__, "scipy": scipy.__version__},
        }

    # ---------------------------------------------------------------- output

    def to_dir(self, out: str | Path, thresholds=(), force: bool = False) -> Path:
        """Write the metrics, losses, lifetime tables, who consumes the capital (``concentration.run_tables``),
        scenario.json and run.json into ``out``, all or none (``outdir``); ``force`` writes beside others' files."""
        from .concentration import run_tables
        from .exceedance import run_exceedance
        from .outdir import write_outputs

        m = self.metrics(thresholds=thresholds)
        by_segment, hhi = run_tables(self)
        writers = {
            "metrics.parquet": lambda f: m.to_parquet(f, index=False),
            "metrics.csv": lambda f: m.to_csv(f, index=False),
            "losses.parquet": self.write_losses,
            "lifetime.csv": lambda f: self.lifetime().to_csv(f, index=False),
            "cashflows.parquet": lambda f: self.cashflows().to_parquet(f, index=False),
            "pricing.parquet": lambda f: self.pricing().to_parquet(f, index=False),
            "collateral.parquet": lambda f: self.collateral().to_parquet(f, index=False),
            "policy.csv": lambda f: self.policy().to_csv(f, index=False),
            "capital_by_segment.parquet": lambda f: by_segment.to_parquet(f, index=False),
            "capital_concentration.csv": lambda f: hhi.to_csv(f, index=False),
            "exceedance.csv": lambda f: run_exceedance(self).to_csv(f, index=False),
            **({"transfer.csv": lambda f: self.transfer().to_csv(f, index=False)} if self.transfer_losses is not None
               else {}),
            "scenario.json": lambda f: f.write_text(self.scenario.model_dump_json(indent=2) + "\n"),
        }
        write_outputs(out, "run", writers, self.provenance, force=force)
        return Path(out)

    def metrics_records(self, thresholds=()) -> list[dict]:
        m = self.metrics(thresholds=thresholds)
        recs = m.astype({"level": object}).to_dict(orient="records")
        for r in recs:
            r["level"] = None if pd.isna(r["level"]) else float(r["level"])
        return recs

    def money_unit(self) -> tuple[float, str]:
        """(divisor, name) of the unit money is shown in: the reporting currency scaled to the insured exposure
        (``KRW bn`` for the sample); every printed table and figure of this run uses it."""
        return money_unit(self.model.total_ead, self.scenario.reporting.currency)

    def el_by_source(self) -> pd.Series:
        """Expected loss by source (calls after default, calls without default, credit), indexed by the losses
        table's component columns."""
        w = np.ones(self.n_sims) if self._weight is None else self._weight
        return pd.Series((w[:, None] * self._loss).mean(axis=0), index=list(LOSS_COMPONENTS))

    def method_text(self) -> str:
        """How the run sampled, in words."""
        if self.method != "importance":
            return "plain Monte Carlo"
        return f"importance sampling aimed at {self.run_info['importance']['level']:g}"

    def summary(self) -> str:
        return summary_text(self)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<SimulationResult scenario={self.scenario.name!r} n_sims={self.n_sims} seed={self.seed}>"

    def _repr_html_(self) -> str:
        """Jupyter: the headline and the metrics as an HTML table (amounts in the summary's unit)."""
        return summary_html(self)
