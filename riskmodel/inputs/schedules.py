"""Exposure schedules: each cover's outstanding, as a share of its amount, over time.

Times are years from the valuation date (days / 365.25, as everywhere). A
schedule is a list of knots ``(t, share)`` read one of two ways:

- *step* (bullet, milestones): from each knot the share holds until the next;
- *linear*: straight lines between knots (a linear step-down has two knots,
  ``(start, 1)`` and ``(end, 0)``).

Outside ``[start, end)`` the outstanding is zero. The kernels evaluate the
same knots (``kernels.cashflows.exposure_share_nb``); the integrals here feed
premiums, collateral and the exact checks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25  # years = days / 365.25 everywhere

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


@dataclass(frozen=True)
class Schedules:
    """Knots of every cover in CSR form: cover ``k`` owns ``t[ptr[k]:ptr[k+1]]``."""

    ptr: np.ndarray
    t: np.ndarray
    v: np.ndarray
    linear: np.ndarray  # bool per cover
    start: np.ndarray  # years, not clipped to the valuation date
    end: np.ndarray

    def share(self, k: int, t) -> np.ndarray:
        """Outstanding share of cover ``k`` at times ``t`` (years)."""
        t = np.asarray(t, dtype=float)
        kt, kv = self.t[self.ptr[k]:self.ptr[k + 1]], self.v[self.ptr[k]:self.ptr[k + 1]]
        if self.linear[k]:
            out = np.interp(t, kt, kv)
        else:
            out = kv[np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 1)]
        return np.where((t >= self.start[k]) & (t < self.end[k]), out, 0.0)

    def integrals(self, lo: float, hi: float, weight=None, splits=()) -> np.ndarray:
        """``int_lo^hi share_k(t) weight(t) dt`` for every cover ``k`` at once.

        Each cover's window is cut at its knots and at ``splits`` (e.g. where ``weight`` has kinks);
        on each piece the share is constant or linear, and 8-point Gauss-Legendre is exact for it times
        a polynomial of degree <= 14, and exact to rounding for a smooth ``weight``.
        """
        n = len(self.start)
        if hi <= lo or n == 0:
            return np.zeros(n)
        owner = np.repeat(np.arange(n), np.diff(self.ptr))
        extra = np.asarray(splits, dtype=float)
        cover = np.concatenate([owner, np.arange(n), np.arange(n), np.repeat(np.arange(n), extra.size)])
        x = np.concatenate([self.t, self.start, self.end, np.tile(extra, n)])
        a, b = np.maximum(self.start, lo), np.minimum(self.end, hi)
        x = np.clip(x, a[cover], b[cover])
        order = np.lexsort((x, cover))
        cover, x = cover[order], x[order]
        piece = (cover[1:] == cover[:-1]) & (x[1:] > x[:-1])
        k, x0, x1 = cover[:-1][piece], x[:-1][piece], x[1:][piece]
        half, mid = 0.5 * (x1 - x0), 0.5 * (x1 + x0)
        nodes = mid[:, None] + half[:, None] * _GL_X[None, :]
        # the knot each piece starts from (pieces never straddle a knot)
        first, last = self.ptr[k], self.ptr[k + 1] - 1
        at = first.copy()
        for _ in range(int(np.diff(self.ptr).max()) - 1 if n else 0):  # knots per cover are few
            step = (at < last) & (self.t[np.minimum(at + 1, len(self.t) - 1)] <= mid)
            at += step
        v0 = self.v[at]
        y = np.repeat(v0[:, None], _GL_X.size, axis=1)
        lin = self.linear[k] & (at < last) & (self.t[at] <= mid)
        if lin.any():
            nxt = np.minimum(at + 1, len(self.t) - 1)
            slope = (self.v[nxt] - self.v[at]) / np.where(lin, self.t[nxt] - self.t[at], 1.0)
            y = np.where(lin[:, None], v0[:, None] + slope[:, None] * (nodes - self.t[at][:, None]), y)
        if weight is not None:
            y = y * weight(nodes)
        return np.bincount(k, weights=half * (y @ _GL_W), minlength=n)


def years_from(valuation: pd.Timestamp, dates: pd.Series) -> np.ndarray:
    """Whole days from the valuation date (floored, as ``Timedelta.days``) over 365.25; NaN where no date."""
    d = pd.to_datetime(dates).to_numpy()
    days = (d - np.datetime64(pd.Timestamp(valuation))) // np.timedelta64(1, "D")
    out = days.astype(float) / DAYS_PER_YEAR
    out[np.isnat(d)] = np.nan
    return out


def build_schedules(covers: pd.DataFrame, schedules: pd.DataFrame, valuation: pd.Timestamp,
                    start: np.ndarray | None = None, end: np.ndarray | None = None) -> Schedules:
    """Knots for the covers in the order given (validated tables: every milestone cover has rows).

    Bullet: ``(start, 1)``. Linear: ``(start, 1), (end, 0)``. Milestones: the
    cover's rows in date order, after ``(start, 1)`` when the first one is
    later than the start (the full amount until then).
    """
    n = len(covers)
    start = years_from(valuation, covers["start"]) if start is None else start  # the covers' dates in years
    end = years_from(valuation, covers["end"]) if end is None else end
    kind = covers["schedule"].to_numpy() if "schedule" in covers.columns else np.full(n, "bullet")
    linear = np.asarray(kind == "linear", dtype=bool)
    milestones = np.asarray(kind == "milestones", dtype=bool)
    k_parts = [np.arange(n), np.flatnonzero(linear)]  # every cover's first knot, a linear cover's second
    seq_parts = [np.zeros(n, np.int64), np.ones(int(linear.sum()), np.int64)]
    t_parts, v_parts = [start, end[linear]], [np.ones(n), np.zeros(int(linear.sum()))]
    lead = ~milestones  # whether the first knot (start, 1) is kept
    if milestones.any() and len(schedules):
        s = schedules.assign(t=years_from(valuation, schedules["date"]))
        amount = covers.drop_duplicates("cover_id").set_index("cover_id")["amount"]
        share = s["outstanding_share"].fillna(s["outstanding"] / s["cover_id"].map(amount))
        k = pd.Index(covers["cover_id"]).get_indexer(s["cover_id"])
        keep = k >= 0
        keep[keep] = milestones[k[keep]]
        k, t, v = k[keep], s["t"].to_numpy(float)[keep], share.to_numpy(float)[keep]
        order = np.lexsort((t, k))
        k, t, v = k[order], t[order], v[order]
        rank = np.arange(k.size) - np.searchsorted(k, k, side="left")
        first_t = np.full(n, np.inf)
        np.minimum.at(first_t, k, t)
        lead |= milestones & (first_t > start)
        k_parts.append(k)
        seq_parts.append(1 + rank)
        t_parts.append(t)
        v_parts.append(v)
    k_all = np.concatenate(k_parts)
    seq = np.concatenate(seq_parts)
    t_all, v_all = np.concatenate(t_parts), np.concatenate(v_parts)
    use = np.ones(k_all.size, dtype=bool)
    use[:n] = lead
    k_all, seq, t_all, v_all = k_all[use], seq[use], t_all[use], v_all[use]
    order = np.lexsort((seq, k_all))
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(k_all, minlength=n), out=ptr[1:])
    return Schedules(ptr, t_all[order].astype(float), v_all[order].astype(float), linear, start, end)
