"""``riskmodel calibrate``: the model's parameters estimated from the agency's history, with intervals.

Each calibration reads one history table (``inputs.history``) and returns a :class:`Calibration`: a tidy
table of estimates and intervals, and the text to write, a scenario fragment (TOML) with the estimates as
scenario keys, their uncertainty as ``[uncertainty.parameters]`` and the provenance in comments. The PD
term structure lives in the master scale, not the scenario, so that calibration writes a master-scale
table (``--master-scale``) with its intervals and provenance in the ``source`` column.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

from ..inputs.errors import InputError, Problem
from ..inputs.history import read_history
from ..inputs.products import CREDIT_PRODUCTS
from ..inputs.scenario import Scenario, load_scenario
from . import vasicek
from .fragment import check_loads, provenance_comments, toml_text, write_fragment

SHORT_SERIES = 25  # fewer years: the intervals of R^2 undercover (benchmarks/calibration_coverage.py)
ESTIMATES = ("parameter", "method", "estimate", "ci_low", "ci_high", "n", "note")  # the table's columns


@dataclass
class Calibration:
    kind: str
    table: pd.DataFrame
    text: str
    source: str
    sha256: str
    suffix: str = ".toml"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        with pd.option_context("display.width", 140, "display.max_colwidth", 60):
            body = self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")
        return "\n".join([f"calibration: {self.kind} from {self.source}", body, *self.notes])

    def __str__(self) -> str:
        return self.summary()

    def write(self, path: str | Path) -> Path:
        p = Path(path)
        if p.suffix != self.suffix:
            raise InputError([Problem(str(p), "calibration", f"the {self.kind} calibration writes a "
                                      f"{self.suffix} file: name it so")], "output")
        return write_fragment(p, self.text)


def _row(parameter, method, estimate, lo, hi, n, note=""):
    return dict(zip(ESTIMATES, (parameter, method, float(estimate), float(lo), float(hi), int(n), note)))


def _beta_spread(mean: float, lo: float, hi: float, ci_level: float) -> dict:
    """A beta distribution centred on an estimate, its sd read off the interval's width (capped so the beta
    exists)."""
    sd = (hi - lo) / (2 * float(special.ndtri(0.5 + ci_level / 2)))
    sd = min(sd, 0.95 * math.sqrt(mean * (1 - mean)))
    return {"distribution": "beta", "mean": round(mean, 6), "sd": round(max(sd, 1e-9), 6)}


def correlation(path, rule: str = "exporters", scenario: Scenario | None = None,
                ci_level: float = 0.95) -> Calibration:
    """Asset correlation R^2 of the obligors a loading rule covers, from their yearly default rates."""
    sc = scenario or load_scenario()
    df, sha = read_history(path, "default_rates")
    if rule not in sc.factors.rules:
        raise InputError([Problem("scenario", "scenario", f"no loading rule named {rule!r}; rules are "
                                  f"{sorted(sc.factors.rules)}", "factors.rules")], "calibration")
    loadings = sc.factors.rules[rule].loadings
    r2_now = sum(v * v for v in loadings.values())
    if r2_now <= 0:
        raise InputError([Problem("scenario", "scenario", f"rule {rule!r} has no loadings to scale; give it "
                                  "loadings first", f"factors.rules.{rule}.loadings")], "calibration")
    df = df.sort_values("year")
    counts = df["defaults"].notna().all()
    if counts:
        d, n = df["defaults"].to_numpy(float), df["obligors"].to_numpy(float)
        ml, mm = vasicek.fit_counts(d, n, ci_level), vasicek.fit_moments(d / n, n, ci_level)
    else:
        r = df["rate"].to_numpy(float)
        ml, mm = vasicek.fit_rates(r, ci_level), vasicek.fit_moments(r, None, ci_level)
    T = len(df)
    rows = [_row("r2", ml.method, ml.rho, *ml.rho_ci, T, ml.note), _row("r2", mm.method, mm.rho, *mm.rho_ci, T),
            _row("pd", ml.method, ml.pd, *ml.pd_ci, T), _row("pd", mm.method, mm.pd, *mm.pd_ci, T)]
    scale = math.sqrt(ml.rho / r2_now)
    tables = {f"factors.rules.{rule}": {"loadings": {k: round(v * scale, 6) for k, v in loadings.items()}},
              "uncertainty.parameters": {f"factors.rules.{rule}.r2": _beta_spread(ml.rho, *ml.rho_ci, ci_level)}}
    pct = f"{100 * ci_level:g}%"
    comments = provenance_comments(f"riskmodel calibrate correlation {path} --rule {rule}", str(path), sha, [
        f"years {int(df['year'].min())}-{int(df['year'].max())} ({T}), "
        + ("defaults of obligors" if counts else "rates of a large pool"),
        f"R^2 = {ml.rho:.4f}, {pct} interval [{ml.rho_ci[0]:.4f}, {ml.rho_ci[1]:.4f}] ({ml.method})",
        f"method of moments: {mm.rho:.4f} [{mm.rho_ci[0]:.4f}, {mm.rho_ci[1]:.4f}]",
        f"mean default rate {ml.pd:.4%} [{ml.pd_ci[0]:.4%}, {ml.pd_ci[1]:.4%}] (the obligors' PDs stay the "
        "portfolio's)",
        f"rule {rule!r}: its loadings keep their proportions, scaled so their squares sum to R^2 (was "
        f"{r2_now:.4f})"])
    notes = [ml.note] if ml.note else []
    if T < SHORT_SERIES:
        notes.append(f"{T} years: with fewer than {SHORT_SERIES} the intervals are bootstrap-calibrated and may "
                     "still be narrow (a 90% interval of R^2 held the truth 86.5% of the time at 15 years, 83% "
                     "uncalibrated: benchmarks/README.md, 'Model governance')")
        comments.insert(-1, notes[-1])
    check_loads(tables, f"calibrate correlation {path}")
    return Calibration("correlation", pd.DataFrame(rows, columns=list(ESTIMATES)), toml_text(tables, comments),
                       str(path), sha, notes=notes)


def call_rates(path, ci_level: float = 0.95) -> Calibration:
    """Yearly rates of calls on solvent exporters by product: counts over exposure-years, exact (Garwood)
    Poisson intervals; the uncertainty is the Jeffreys posterior, gamma(calls + 1/2, exposure)."""
    df, sha = read_history(path, "claims_history")
    a = 1.0 - ci_level
    rows, tables = [], {}
    unc = {}
    for (product, on_demand), part in df.groupby(["product", "on_demand"], sort=True):
        k, e = float(part["calls"].sum()), float(part["exposure_years"].sum())
        lo = stats.chi2.ppf(a / 2, 2 * k) / (2 * e) if k > 0 else 0.0
        hi = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / (2 * e)
        key = "calls.rate_without_default" + ("" if on_demand else "_conditional")
        rows.append(_row(f"{key}.{product}", "calls / exposure-years, Garwood interval", k / e, lo, hi, int(k),
                         f"{e:g} exposure-years"))
        tables.setdefault(key, {})[product] = round(k / e, 8)
        unc[f"{key}.{product}"] = {"distribution": "gamma", "mean": round((k + 0.5) / e, 8),
                                   "sd": round(math.sqrt(k + 0.5) / e, 8)}
    tables["uncertainty.parameters"] = unc
    comments = provenance_comments(f"riskmodel calibrate call-rates {path}", str(path), sha, [
        f"{r['parameter']}: {r['estimate']:.5f} a year, {100 * ci_level:g}% interval [{r['ci_low']:.5f}, "
        f"{r['ci_high']:.5f}] ({r['n']} calls, {r['note']})" for r in rows])
    check_loads(tables, f"calibrate call-rates {path}")
    return Calibration("call rates", pd.DataFrame(rows, columns=list(ESTIMATES)), toml_text(tables, comments),
                       str(path), sha)


def sd_interval(v: np.ndarray, ci_level: float) -> tuple[float, float]:
    """Bonett's (2006) interval for a standard deviation: the log variance with a kurtosis-adjusted error
    (the chi-square interval assumes normal data; LGDs are not). On beta LGDs with 20-100 recoveries it held
    0.885-0.922 at a nominal 0.90, a percentile bootstrap 0.79-0.89 (``benchmarks/calibration_coverage.py``)."""
    n = v.size
    z = float(special.ndtri(0.5 + ci_level / 2))
    m = stats.trim_mean(v, 1.0 / (2.0 * math.sqrt(n - 4))) if n > 4 else float(v.mean())
    d = v - v.mean()
    s2 = float(v.var(ddof=1))
    if s2 <= 0:
        return 0.0, 0.0
    kurt = n * float(((v - m) ** 4).sum()) / float((d ** 2).sum()) ** 2
    se = n / (n - z) * math.sqrt(max(kurt - (n - 3) / n, 1e-12) / (n - 1))
    return math.sqrt(s2 * math.exp(-z * se)), math.sqrt(s2 * math.exp(z * se))


def lgd(path, ci_level: float = 0.95) -> Calibration:
    """Mean and sd of the LGD by product from realised losses: t interval of the mean, Bonett's interval of
    the sd; the uncertainty of the mean is a beta with the mean's standard error."""
    df, sha = read_history(path, "recoveries")
    x = df["lgd"].to_numpy(float)
    x = np.where(np.isnan(x), 1.0 - df["recovery"].to_numpy(float) / df["claim"].to_numpy(float), x)
    df = df.assign(lgd=x)
    rows, tables, unc, notes = [], {}, {}, []
    problems = []
    for product, part in df.groupby("product", sort=True):
        v = part["lgd"].to_numpy(float)
        if v.size < 5:
            problems.append(Problem(str(path), "recoveries", f"product {product!r} has {v.size} recoveries; "
                                    "a mean and sd with intervals need at least 5", "product"))
            continue
        m, s = float(v.mean()), float(v.std(ddof=1))
        se = s / math.sqrt(v.size)
        t = float(stats.t.ppf(0.5 + ci_level / 2, v.size - 1))
        s_lo, s_hi = sd_interval(v, ci_level)
        cap = 0.99 * math.sqrt(m * (1 - m))
        if s > cap:
            notes.append(f"{product}: the sample sd {s:.3f} is beyond a beta's with mean {m:.3f}; written as "
                         f"{cap:.3f}")
        rows += [_row(f"lgd.{product}.mean", "sample mean, t interval", m, max(m - t * se, 0), min(m + t * se, 1),
                      v.size),
                 _row(f"lgd.{product}.sd", "sample sd, Bonett's interval", s, s_lo, s_hi, v.size)]
        tables[f"lgd.{product}"] = {"mean": round(m, 6), "sd": round(min(s, cap), 6)}
        unc[f"lgd.{product}.mean"] = {"distribution": "beta", "mean": round(m, 6),
                                      "sd": round(max(min(se, 0.95 * math.sqrt(m * (1 - m))), 1e-9), 6)}
    if problems:
        raise InputError(problems, "recoveries")
    tables["uncertainty.parameters"] = unc
    comments = provenance_comments(f"riskmodel calibrate lgd {path}", str(path), sha, [
        f"{r['parameter']}: {r['estimate']:.4f}, {100 * ci_level:g}% interval [{r['ci_low']:.4f}, "
        f"{r['ci_high']:.4f}] (n = {r['n']})" for r in rows] + notes)
    check_loads(tables, f"calibrate lgd {path}")
    credit = [p for p in CREDIT_PRODUCTS if f"lgd.{p}" in tables]
    if credit:
        notes.append("credit LGDs apply to every buyer kind unless the scenario gives [lgd.credit.<kind>]")
    return Calibration("lgd", pd.DataFrame(rows, columns=list(ESTIMATES)), toml_text(tables, comments),
                       str(path), sha, notes=notes)


KNOTS = (1.0, 5.0, 10.0)  # where the model's hazard curve reads the cumulative PDs (model.terms)


def term_structure(path, ci_level: float = 0.95) -> Calibration:
    """Cumulative PDs at 1, 5 and 10 years by grade (log-survival interpolated linearly between the table's
    years: a constant hazard between them); Clopper-Pearson intervals when the cohort size is given."""
    df, sha = read_history(path, "cumulative_defaults")
    a = 1.0 - ci_level
    rows, ms = [], []
    for grade, part in df.groupby("grade", sort=False):
        part = part.sort_values("year")
        t = part["year"].to_numpy(float)
        h = -np.log1p(-part["cumulative_pd"].to_numpy(float))
        cum = -np.expm1(-np.interp(KNOTS, np.concatenate([[0.0], t]), np.concatenate([[0.0], h])))
        n = part["cohort"].to_numpy(float)
        n0 = float(n[0]) if not np.isnan(n).all() else math.nan
        srcs = []
        for knot, c in zip(KNOTS, cum):
            if math.isnan(n0):
                lo = hi = math.nan
            else:
                k = round(c * n0)
                lo = stats.beta.ppf(a / 2, k, n0 - k + 1) if k > 0 else 0.0
                hi = stats.beta.ppf(1 - a / 2, k + 1, n0 - k) if k < n0 else 1.0
                srcs.append(f"{knot:g}y [{lo:.5f}, {hi:.5f}]")
            rows.append(_row(f"{grade}.cum_pd_{knot:g}y", "interpolated on log survival", c, lo, hi,
                             0 if math.isnan(n0) else int(n0)))
        interval = f"; {100 * ci_level:g}% Clopper-Pearson (cohort {n0:g}): " + ", ".join(srcs) if srcs else ""
        ms.append({"grade": grade, "pd_1y": round(cum[0], 8), "cum_pd_5y": round(cum[1], 8),
                   "cum_pd_10y": round(cum[2], 8),
                   "source": f"riskmodel calibrate term-structure {Path(path).name} (sha256 {sha[:12]}){interval}"})
    text = pd.DataFrame(ms).to_csv(index=False)
    return Calibration("term structure", pd.DataFrame(rows, columns=list(ESTIMATES)), text, str(path), sha,
                       suffix=".csv", notes=["write it as a master scale and run with --master-scale FILE"])
