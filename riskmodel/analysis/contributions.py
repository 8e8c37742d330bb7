"""Euler risk contributions: who consumes the capital.

For a loss ``L = sum_g L_g`` over segments ``g`` (covers, exporters,
countries, ...) and a positively homogeneous measure, Euler's allocation
gives each segment ``d measure(L + h L_g) / dh`` at 0; for the tail measures
this is each segment's expected loss in the tail event (Tasche 1999):

- **ES** at ``alpha``: ``C_g = E[L_g 1{L > q}] / (1 - alpha) + (1 - P(L > q) / (1 - alpha)) E[L_g | L = q]``
  (the Acerbi-Tasche form, exact when the loss has an atom at the quantile
  ``q``, which lumpy credit books do). Estimated with the run's weights:
  ``mean(w L_g 1{L > q}) / (1 - alpha) + (1 - T_n(q) / (1 - alpha)) v_g``
  with ``v_g`` the VaR contribution below. It sums to the reported ES
  exactly (to rounding). Standard error from the influence function
  ``w (L_g - v_g) 1{L > q} / (1 - alpha)`` (Hong and Liu 2009), within the
  importance sampling's strata.
- **VaR** at ``alpha``: ``E[L_g | L = q]``, which a finite sample cannot see
  unless ``q`` is an atom. We average over a **band** of simulations whose
  loss lies between the quantiles at ``alpha - delta`` and ``alpha + delta``
  (``delta = (1 - alpha) / 2`` unless ``band`` is given), and rescale so the
  contributions sum to VaR: ``v_g = q sum_B w L_g / sum_B w L``. The bias is
  that of replacing ``L = q`` by the band: zero when ``q`` is an atom holding
  the band, else of the order of how ``E[L_g | L = l]`` bends across the band
  (first-order shifts cancel in the rescaling). A narrower band lowers the
  bias and raises the variance; the standard error (ratio estimator, plus
  the quantile's own error through ``q``) says which dominates.
- **EL**: ``E[L_g]``, from the per-cover sums of the run. Its standard error
  for a segment is the sum of its covers' (an upper bound: covers' losses in
  one simulation are not kept, so their covariance is not known).
- **EC** = VaR - EL, contribution ``v_g - E[L_g]``; error from both parts
  (their covariance left out).

The per-segment tail losses come from replaying the tail (``tail.py``):
memory follows the tail's claims, never simulations x covers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.collect import mean_se
from ..inputs.schema import CONTRIBUTIONS_SCHEMA, conform
from ..kernels.contributions import centred_squares_nb, segment_hits_nb
from ..model.segments import cover_attributes, segment_codes

MEASURES = ("es", "var", "ec", "el")


def default_band(level: float) -> float:
    return (1.0 - level) / 2.0


def _se_of_means(ptr, seg, x, b, s, v, h, n_h, n):
    """Standard error of ``mean_i y[i, g]``, ``y[i, g] = b[i] (x[i, g] - v[g] s[i])``, for every segment ``g``:
    the within-stratum two-pass variance, rows not given counting as ``y = 0``."""
    n_seg, n_str = v.shape[0], n_h.shape[0]
    row = np.repeat(np.arange(ptr.shape[0] - 1), np.diff(ptr))
    # float even when the tail is empty (bincount of nothing is int64, weights or not)
    first = np.bincount(h[row] * n_seg + seg, weights=b[row] * x, minlength=n_str * n_seg).astype(float)
    first = first.reshape(n_str, n_seg)
    first -= np.bincount(h, weights=b * s, minlength=n_str).astype(float)[:, None] * v[None, :]
    m = first / n_h[:, None]
    ss = np.zeros((n_str, n_seg))
    centred_squares_nb(ptr, seg, x, b, s, h, v, m, ss)
    others = n_h - np.bincount(h, weights=(b != 0.0).astype(float), minlength=n_str)  # rows where y = 0
    ss += others[:, None] * m * m
    var = (ss * (n_h / np.maximum(n_h - 1, 1))[:, None]).sum(axis=0)
    return np.sqrt(np.maximum(var, 0.0)) / n


class _TailView:
    """The tail as arrays over its rows: losses, weights, design cells, and loss records by segment.

    From the replayed claims (``codes`` gives each cover's segment), or, with
    ``dense`` (simulations x segments, kept by the run), from those.
    """

    def __init__(self, result, threshold: float, codes: np.ndarray | None = None, dense: np.ndarray | None = None):
        self.n = result.n_sims
        self.band_sims: float | None = None  # set by var_contributions: the simulations in VaR's band
        w = np.ones(self.n) if result.weights is None else result.weights
        if dense is not None:
            self.sims = np.flatnonzero(result.total_loss >= threshold)
            r, self.seg = np.nonzero(dense[self.sims])
            self.x = dense[self.sims][r, self.seg]
            self.seg = self.seg.astype(np.int64)
            n_rows = self.sims.size
        else:
            tail = result.tail(threshold)
            keep = result.total_loss[tail.sims] >= threshold  # the cached tail may reach lower
            n_rows = int(keep.sum())
            self.sims = tail.sims[keep]
            rec = keep[tail.row]
            r = (np.cumsum(keep) - 1)[tail.row[rec]]
            self.seg = codes[tail.cover[rec]].astype(np.int64, copy=False)
            self.x = tail.loss[rec]
        self.row = r
        self.ptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n_rows))]).astype(np.int64)
        self.loss = result.total_loss[self.sims]
        self.w = w[self.sims]
        cells = result.cells
        if cells is None:
            self.h = np.zeros(self.sims.size, dtype=np.int64)
            self.n_h = np.array([float(self.n)])
        else:
            self.h = cells[self.sims].astype(np.int64)
            self.n_h = np.bincount(cells).astype(float)

    def sums(self, coef: np.ndarray, n_seg: int) -> np.ndarray:
        """``sum_i coef[i] x[i, g]`` for every segment."""
        return np.bincount(self.seg, weights=coef[self.row] * self.x, minlength=n_seg)

    def hits(self, rows: np.ndarray, n_seg: int) -> np.ndarray:
        """How many of the rows where ``rows`` is true each segment lost something in."""
        return segment_hits_nb(self.ptr, self.seg, self.x, rows, n_seg)


def var_contributions(result, codes, n_seg, level, band=None, dense=None):
    """Value, standard error and tail simulations per segment of the VaR at ``level``, and the tail view.
    ``dense``: the run's per-simulation losses by segment, when it kept them (no replay then)."""
    smp = result.sample
    delta = default_band(level) if band is None else float(band)
    q = smp.quantile_at(level)
    q_lo, q_hi = smp.quantile_at(level - delta), smp.quantile_at(min(level + delta, 1.0))
    t = _TailView(result, q_lo, codes, dense)
    a = t.w * ((t.loss >= q_lo) & (t.loss <= q_hi))
    den = float(np.sum(a * t.loss))
    hits = t.hits(a > 0, n_seg)
    # the simulations the ratio rests on, (sum a)^2 / sum a^2: their count under plain Monte Carlo
    t.band_sims = float(a.sum() ** 2 / np.sum(a * a)) if np.any(a > 0) else 0.0
    if den <= 0.0:  # the band holds no loss: VaR is zero, and so is every contribution
        return np.zeros(n_seg), np.zeros(n_seg), hits, t
    r = t.sums(a, n_seg) / den
    se_mean = _se_of_means(t.ptr, t.seg, t.x, a, t.loss, r, t.h, t.n_h, t.n)
    se_r = se_mean * t.n / den
    se_q = result.sample.var(level)[0].se
    return q * r, np.hypot(q * se_r, r * se_q), hits, t


def es_contributions(result, codes, n_seg, level, band=None, dense=None, var=None):
    """Value, standard error and tail simulations per segment of the ES at ``level``; ``var``: this level's
    ``var_contributions`` when the caller has them already."""
    v, _, _, t = var if var is not None else var_contributions(result, codes, n_seg, level, band, dense)
    q = result.sample.quantile_at(level)
    beyond = t.loss > q
    b = t.w * beyond / (1.0 - level)
    tail_prob = float(np.sum(t.w * beyond)) / t.n
    value = t.sums(b, n_seg) / t.n + (1.0 - tail_prob / (1.0 - level)) * v
    se = _se_of_means(t.ptr, t.seg, t.x, b, np.ones_like(b), v, t.h, t.n_h, t.n)
    return value, se, t.hits(beyond | (t.loss == q), n_seg)


def capital_shares(result, codes, n_seg, level):
    """Each segment's share of ES(``level``), ``s_g = C_g / C``, and the Herfindahl index ``H = sum s_g^2``, each
    with its standard error by the delta method on the segments' joint influence function.

    The shares sum to 1, so their errors are tied: ``IF(s_g) = (IF_g - s_g IF_C) / C`` with ``IF_C`` the
    total's, and ``IF(H) = (2 / C) sum_g (s_g - H) IF_g``. Treating the shares as independent overstated
    H's error about 150-fold at four equal shares. ``IF_g`` is the ES contribution's (see the module).
    Returns (shares, share errors, H, H's error)."""
    v, _, _, t = var_contributions(result, codes, n_seg, level)
    value, se_g, _ = es_contributions(result, codes, n_seg, level, var=(v, None, None, t))
    total = float(value.sum())
    if total <= 0.0:
        z = np.zeros(n_seg)
        return z, z, 0.0, 0.0
    share = value / total
    q = result.sample.quantile_at(level)
    b = t.w * (t.loss > q) / (1.0 - level)
    n_str = t.n_h.shape[0]
    # the total's influence function on each tail row, centred within its stratum over all n_h simulations
    row_loss = np.bincount(t.row, weights=t.x, minlength=t.sims.size)
    y_c = b * (row_loss - v.sum())
    m_c = np.bincount(t.h, weights=y_c, minlength=n_str) / t.n_h
    z_c = y_c - m_c[t.h]
    factor = t.n_h / np.maximum(t.n_h - 1, 1)  # the within-stratum variance's n_h / (n_h - 1)
    var_c = float(np.sum((np.bincount(t.h, weights=z_c * z_c, minlength=n_str)
                          + (t.n_h - np.bincount(t.h, minlength=n_str)) * m_c * m_c) * factor)) / t.n ** 2
    # Cov(IF_g, IF_C): rows without a tail loss have IF_g = 0, so only tail rows count; two-pass (z_c is centred)
    cross = np.bincount(t.h[t.row] * n_seg + t.seg, weights=(b * z_c)[t.row] * t.x,
                        minlength=n_str * n_seg).astype(float).reshape(n_str, n_seg)
    cross -= np.bincount(t.h, weights=b * z_c, minlength=n_str).astype(float)[:, None] * v[None, :]
    cov = (cross * factor[:, None]).sum(axis=0) / t.n ** 2
    share_se = np.sqrt(np.maximum(se_g ** 2 - 2.0 * share * cov + share ** 2 * var_c, 0.0)) / total
    hhi = float(np.sum(share ** 2))
    a = share - hhi
    combined = _se_of_means(t.ptr, np.zeros_like(t.seg), a[t.seg] * t.x, b, np.ones_like(b),
                            np.array([float(a @ v)]), t.h, t.n_h, t.n)[0]
    return share, share_se, hhi, 2.0 * float(combined) / total


MIN_TAIL_HITS = 10  # a segment seen in fewer tail simulations has no reliable error
MIN_EL_EFFECTIVE = 30  # EL of a segment resting on fewer effective simulations: its interval under-covers


MIN_VAR_BAND = 20  # VaR and EC contributions from fewer (effective) simulations in VaR's band: under-cover


def _warning(measure: str, hits: int, value: float, band_sims: float | None = None) -> str:
    if value == 0.0 and hits == 0:
        return ""  # nothing lost, nothing to estimate: the zero is exact for this run
    if measure == "el":
        if hits < MIN_EL_EFFECTIVE:
            return (f"EL of this segment rests on about {hits} effective simulations with a loss: with about 15 its "
                    f"95% interval covered 77% of the exact value (benchmarks/contrib_coverage.py); increase n_sims "
                    f"(or, under importance sampling, raise simulation.importance.defensive)")
        return ""
    if hits < MIN_TAIL_HITS:
        return (f"the segment lost something in only {hits} tail simulations: its standard error is not reliable; "
                f"increase n_sims")
    if band_sims is not None and band_sims < MIN_VAR_BAND:
        return (f"the {measure.upper()} contributions rest on {band_sims:.0f} simulations in VaR's band: with about "
                f"11 their 95% intervals covered 91% of the exact values, with 20 or more 93-94% "
                f"(benchmarks/contrib_coverage.py); increase n_sims, widen the band, or use importance sampling")
    return ""


SEGMENT_BYTES = 256 * 2**20  # each simulation's loss by segment is kept for EL's error up to this size


def el_contributions(result, codes, n_seg, dense: np.ndarray | None = None):
    """EL by segment and its standard error.

    A segment of one cover has its own error from the run's per-cover sums.
    A segment of several covers needs the covariance of their losses, which
    per-cover sums cannot give (their errors' sum is only a bound: twice the
    error on the study's seven-segment book, 100% coverage); the run is then
    replayed once with each simulation's loss kept by segment, up to
    ``SEGMENT_BYTES``, beyond which the bound stands; ``dense``, the run's
    own losses by these segments when it kept them, saves the replay."""
    acc, n = result.collected().acc, result.n_sims
    _, se = mean_se(acc[:, 0], acc[:, 1], n)
    value = np.bincount(codes, weights=acc[:, 0], minlength=n_seg) / n
    se = np.bincount(codes, weights=se, minlength=n_seg)
    # the simulations EL rests on, (sum y)^2 / sum y^2 with y = w x the segment's weighted loss: its count of
    # losing simulations under plain Monte Carlo with equal losses, fewer when a few carry it
    s1 = np.bincount(codes, weights=acc[:, 0], minlength=n_seg)
    s2 = np.bincount(codes, weights=acc[:, 1], minlength=n_seg)
    if np.bincount(codes, minlength=n_seg).max() > 1 and (dense is not None or n * n_seg * 8 <= SEGMENT_BYTES):
        se, s2 = _segment_el_se(result, codes, n_seg, dense)
    effective = np.where(s2 > 0, s1 * s1 / np.where(s2 > 0, s2, 1.0), 0.0)
    return value, se, np.floor(effective + 1e-9).astype(np.int64)


def _segment_el_se(result, codes, n_seg, seg=None) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's EL error and the sum of squares of its weighted loss per simulation."""
    from ..engine.collect import ClaimsCollector
    from .estimators import _se_of_mean

    if seg is None:
        m = result.model
        n = result.n_sims
        col = ClaimsCollector(n, len(m.covers), m.arrays.horizon, result.scenario, cover_segment=codes,
                              n_segments=n_seg, lifetime=False)
        again = result.replay(np.arange(n, dtype=np.int64), col)
        if not np.array_equal(again.sum(axis=1), result.total_loss):
            raise RuntimeError("replaying the run did not reproduce its losses: the simulation is not "
                               "deterministic given (seed, simulation); please report this")
        seg = col.seg_loss
    w = result.weights
    y = seg if w is None else w[:, None] * seg
    return (np.array([_se_of_mean(y[:, g], result.cells) for g in range(n_seg)]),
            np.einsum("ij,ij->j", y, y))


def portfolio_figure(result, measure: str, level: float | None):
    if measure == "el":
        return result.el()
    if measure == "es":
        return result.es(level)
    if measure == "var":
        return result.var(level)
    return result.ec(level)


def contributions_table(result, by: str | None = "cover", measure: str = "es", level: float | None = None,
                        band: float | None = None) -> pd.DataFrame:
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    if measure == "el":
        level = None
    else:
        level = result.scenario.lifetime.capital_level if level is None else float(level)
        if not 0 < level < 1:
            raise ValueError(f"level must lie in (0, 1), got {level}")
    if band is not None and level is not None and not 0 < band <= min(level, 1 - level):
        raise ValueError(f"band must lie in (0, {min(level, 1 - level):g}] for level {level} (the band's levels "
                         f"level - band and level + band stay inside (0, 1)), got {band}")
    attrs = cover_attributes(result.model.covers, result.portfolio)
    col, codes, labels = segment_codes(attrs, by)
    n_seg = len(labels)
    band_sims = None
    if measure == "es":
        value, se, hits = es_contributions(result, codes, n_seg, level, band)
    elif measure == "var":
        value, se, hits, t = var_contributions(result, codes, n_seg, level, band)
        band_sims = t.band_sims
    elif measure == "el":
        value, se, hits = el_contributions(result, codes, n_seg)
    else:
        v, v_se, hits, t = var_contributions(result, codes, n_seg, level, band)
        band_sims = t.band_sims
        el, el_se, _ = el_contributions(result, codes, n_seg)
        value, se = v - el, np.hypot(v_se, el_se)
    total = portfolio_figure(result, measure, level).value
    z = result.sample.z
    df = pd.DataFrame({
        "scenario": result.scenario.name, "perspective": result.perspective, "by": col,
        "segment": labels.to_numpy(dtype=object),
        "measure": measure, "level": pd.array([level] * n_seg, dtype="Float64"), "value": value, "se": se,
        "ci_low": value - z * se, "ci_high": value + z * se,
        "share": value / total if total != 0 else np.zeros(n_seg),
        "tail_sims": hits,
        "n_covers": np.bincount(codes, minlength=n_seg),
        "exposure": np.bincount(codes, weights=result.model.arrays.cv_ead, minlength=n_seg),
        "warning": [_warning(measure, int(h), value[g], band_sims) for g, h in enumerate(hits)],
    })
    out = conform(df, CONTRIBUTIONS_SCHEMA)
    out.attrs["portfolio_value"] = total
    return out
