"""Two runs compared: how EL, VaR, ES and EC changed, with the change's error, and where the change came from.

**The change's error.** Two runs on the same seed and number of simulations
(and, under importance sampling, the same design cells) draw common random
numbers: simulation ``i`` of one and of the other share their draws, so the
pairs are independent across ``i`` and the change's standard error is that of
the mean of the paired influence functions, ``IF_B,i - IF_A,i``, within the
design's strata. The influence functions are the estimators' own
(``estimators.py``): EL ``w x``; ES ``w (x - q)^+ / (1 - alpha)``; VaR
``s w 1{x > q}`` with ``s`` the run's own quantile slope (Woodruff's interval
over the tail's error, the ``1 / f(q)`` EC uses); EC that of VaR less EL's. A
small change of the book then has a small error, where two independent runs
would give it the errors of both. Runs that do not pair (another seed or
size) combine their errors in quadrature, as independent runs.

**Where it came from** (``attribute``): the runs in between, each on the later
run's seed and size, so every step pairs with the one before:

1. ``random numbers`` (only when the two runs do not pair): the earlier book
   and scenario rerun on the later run's seed, a change of zero but for noise;
2. ``parameters``: the later scenario, at the earlier valuation date, on the
   earlier book;
3. ``valuation date``: the later valuation date (covers run off, expire,
   start);
4. ``covers removed``: the earlier book less the covers the later one lacks;
5. ``covers amended``: the covers in both take the later rows (amount,
   dates, terms), and the exporters and importers the later tables' (ratings);
6. ``covers added``: the later book, which is the later run itself.

The steps add up to the change exactly. Each book is read again from the files
the run records (``run.json``), checked against their SHA-256; when a file is
gone or has changed, the split is not made and the reason is given.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..inputs.errors import InputError
from ..inputs.paths import file_sha256
from .estimators import Estimate, LossSample, se_of_mean, sectioned_half_width

METRICS = ("el", "var", "es", "ec")
PAIRED, QUADRATURE = "common random numbers", "independent runs, in quadrature"
STEPS = ("random numbers", "parameters", "valuation date", "covers removed", "covers amended", "covers added")


def estimate(s: LossSample, metric: str, level: float | None) -> Estimate:
    if metric == "el":
        return s.mean()
    if metric == "var":
        return s.var(level)[0]
    return s.es(level) if metric == "es" else s.ec(level)


def influence(s: LossSample, metric: str, level: float | None) -> np.ndarray:
    """Each simulation's influence on the estimator of ``metric`` (up to a constant, which pairing cancels)."""
    el = s.w * s.x
    if metric == "el":
        return el
    q = s.quantile_at(level)
    if metric == "es":
        return s.w * np.maximum(s.x - q, 0.0) / (1.0 - level)
    slope = s.var(level)[1]
    iv = slope * s.w * (s.x > q)
    return iv if metric == "var" else iv - el


def pairs(a: LossSample, b: LossSample, seed_a, seed_b) -> bool:
    """Whether simulation i of ``a`` and of ``b`` drew the same random numbers (and the same design cell)."""
    if seed_a is None or seed_a != seed_b or a.n != b.n:
        return False
    if (a.strata is None) != (b.strata is None):
        return False
    return a.strata is None or bool(np.array_equal(a.strata, b.strata))


def sectioned_se(a: LossSample, b: LossSample, metric: str, level: float | None, va: float, vb: float) -> float:
    """The paired change's error by sectioning (as ``LossSample``'s own under importance sampling): the runs
    cut alike into ``SECTIONS`` sections along the simulation order, each holding every design cell equally
    often; the spread of the sections' changes around the whole change, scaled by the t quantile to a
    standard error at the run's z. 0 when too short for ``MIN_SECTIONS`` sections."""
    def of(rows: np.ndarray) -> float:
        part = [LossSample(s.x[rows], s.w[rows] if s.weighted else None, s.ci_level) for s in (a, b)]
        return estimate(part[1], metric, level).value - estimate(part[0], metric, level).value

    return sectioned_half_width(a.strata, a.n, of, vb - va, b.ci_level) / b.z


def change(a: LossSample, b: LossSample, metric: str, level: float | None, paired: bool) -> dict:
    """The change ``b - a`` of one figure with its standard error and interval (``b``'s confidence level)."""
    ea, eb = estimate(a, metric, level), estimate(b, metric, level)
    if paired:
        se = se_of_mean(influence(b, metric, level) - influence(a, metric, level), b.strata)
        if b.weighted or a.weighted:  # as each run's own error: the wider of this and sectioning's
            se = max(se, sectioned_se(a, b, metric, level, ea.value, eb.value))
    else:
        se = math.hypot(ea.se, eb.se)
    d = eb.value - ea.value
    return {"metric": metric, "level": level, "a": ea.value, "a_se": ea.se, "b": eb.value, "b_se": eb.se,
            "change": d, "change_se": se, "ci_low": d - b.z * se, "ci_high": d + b.z * se,
            "errors": PAIRED if paired else QUADRATURE, "warning": warning(a, b, metric, level, paired)}


LATTICE = ("a change of VaR between runs whose losses tie at the quantile (a lattice: fixed severities) is a "
           "jump between atoms; its normal interval covered 91-94% at a nominal 95% (benchmarks/compare_coverage.py)")


def warning(a: LossSample, b: LossSample, metric: str, level: float | None, paired: bool) -> str:
    """Why the change's interval may not cover: either run's own warning for the figure, or a lattice."""
    out = [w for w in dict.fromkeys((a.warning(metric, level), b.warning(metric, level))) if w]
    if paired and metric in ("var", "ec") and any(int(np.sum(s.x == s.quantile_at(level))) >= 2 for s in (a, b)):
        out.append(LATTICE)
    return "; ".join(out)


def changes(a: LossSample, b: LossSample, levels, paired: bool) -> pd.DataFrame:
    """The change of EL, and of VaR, ES and EC at each level, as a tidy table."""
    rows = [change(a, b, "el", None, paired)]
    rows += [change(a, b, m, lv, paired) for lv in levels for m in ("var", "es", "ec")]
    df = pd.DataFrame(rows)
    df["level"] = pd.array(df["level"].tolist(), dtype="Float64")
    return df


# ---------------------------------------------------------------- where the change came from


def portfolio_of(run) -> tuple[object | None, str]:
    """The book a stored run read, loaded again from the files its ``run.json`` names, or (None, why not)."""
    from ..inputs.portfolio import load_portfolio
    from ..inputs.reference import load_reference

    if getattr(run, "portfolio", None) is not None:  # a result in memory holds its book
        return run.portfolio, ""
    prov = run.provenance
    files = prov.get("portfolio_files") or {}
    if not files:
        return None, f"{run.dir / 'run.json'} names no portfolio files"
    if any(t.startswith("new_") for t in files):
        return None, f"the run in {run.dir} added covers (--add): compare the books as files instead"
    for t, f in files.items():
        p = Path(str(f.get("path")))
        if not p.is_file():
            return None, f"{p} ({t} of the run in {run.dir}) is not there any more"
        if f.get("sha256") and file_sha256(p) != f["sha256"]:
            return None, f"{p} ({t} of the run in {run.dir}) has changed since the run (SHA-256 differs)"
    paths = {Path(str(f["path"])) for f in files.values()}
    source = paths.pop() if len(paths) == 1 else Path(str(files["covers"]["path"])).parent
    ref = prov.get("reference") or {}
    ms, ct = ref.get("master_scale", ""), ref.get("countries", "")
    try:
        pf = load_portfolio(source, load_reference(None if ms.startswith("bundled:") else ms,
                                                   None if ct.startswith("bundled:") else ct))
    except (InputError, OSError) as exc:
        return None, f"the book of the run in {run.dir} cannot be read again: {str(exc).splitlines()[0]}"
    if pf.content_hash != prov.get("portfolio_sha256"):
        return None, f"the book read from {source} is not the one the run in {run.dir} simulated"
    return pf, ""


def books_between(pa, pb) -> list[tuple[str, object, int]]:
    """(step, book, covers it changes) from ``pa`` to ``pb``: covers removed, then amended, then added."""
    ids_a, ids_b = set(pa.covers["cover_id"]), set(pb.covers["cover_id"])
    removed, added = ids_a - ids_b, ids_b - ids_a
    common = sorted(ids_a & ids_b)

    def rows(pf, ids):
        c = pf.covers.set_index("cover_id").loc[ids]
        return pd.util.hash_pandas_object(c.astype(object).where(c.notna(), None).astype(str), index=True)

    amended = int((rows(pa, common) != rows(pb, common)).sum()) if common else 0

    def only(pf, keep):
        sch = pf.schedules[pf.schedules["cover_id"].isin(keep)] if len(pf.schedules) else pf.schedules
        return dataclasses.replace(pf, covers=pf.covers[pf.covers["cover_id"].isin(keep)].reset_index(drop=True),
                                   schedules=sch.reset_index(drop=True))

    return [("covers removed", only(pa, ids_a - removed), len(removed)),
            ("covers amended", only(pb, ids_b - added), amended),
            ("covers added", pb, len(added))]
