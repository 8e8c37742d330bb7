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

    def breaks(self, k: int) -> np.ndarray:
        return np.concatenate([[self.start[k], self.end[k]], self.t[self.ptr[k]:self.ptr[k + 1]]])

    def integral(self, k: int, lo: float, hi: float, weight=None, extra_breaks=()) -> float:
        """``int_lo^hi share_k(t) weight(t) dt``: Gauss-Legendre between the schedule's breaks (exact for
        a step or linear share times a polynomial of degree <= 14; to rounding for a smooth ``weight``)."""
        if hi <= lo:
            return 0.0
        b = np.concatenate([self.breaks(k), np.asarray(extra_breaks, dtype=float), [lo, hi]])
        b = np.unique(np.clip(b, lo, hi))
        total = 0.0
        for x0, x1 in zip(b[:-1], b[1:]):
            if x1 <= x0:
                continue
            x = 0.5 * (x1 - x0) * _GL_X + 0.5 * (x1 + x0)
            y = self.share(k, x)
            if weight is not None:
                y = y * weight(x)
            total += 0.5 * (x1 - x0) * float(np.dot(_GL_W, y))
        return total


def years_from(valuation: pd.Timestamp, dates: pd.Series) -> np.ndarray:
    return ((pd.to_datetime(dates) - valuation).dt.days / DAYS_PER_YEAR).to_numpy(float)


def build_schedules(covers: pd.DataFrame, schedules: pd.DataFrame, valuation: pd.Timestamp) -> Schedules:
    """Knots for the covers in the order given (validated tables: every milestone cover has rows)."""
    start = years_from(valuation, covers["start"])
    end = years_from(valuation, covers["end"])
    kind = covers["schedule"].to_numpy() if "schedule" in covers.columns else np.full(len(covers), "bullet")
    rows = {}
    if len(schedules):
        s = schedules.assign(t=years_from(valuation, schedules["date"]))
        amount = covers.drop_duplicates("cover_id").set_index("cover_id")["amount"]
        share = s["outstanding_share"].fillna(s["outstanding"] / s["cover_id"].map(amount))
        s = s.assign(share=share.to_numpy(float)).sort_values(["cover_id", "t"])
        rows = {cid: (g["t"].to_numpy(float), g["share"].to_numpy(float)) for cid, g in s.groupby("cover_id")}
    ptr, ts, vs = [0], [], []
    for k, (cid, kd) in enumerate(zip(covers["cover_id"].tolist(), kind)):
        if kd == "linear":
            t, v = [start[k], end[k]], [1.0, 0.0]
        elif kd == "milestones":
            mt, mv = rows[cid]
            if mt[0] > start[k]:  # the full amount until the first milestone
                t, v = [start[k], *mt], [1.0, *mv]
            else:
                t, v = list(mt), list(mv)
        else:
            t, v = [start[k]], [1.0]
        ts += t
        vs += v
        ptr.append(len(ts))
    return Schedules(np.array(ptr, dtype=np.int64), np.array(ts, dtype=float), np.array(vs, dtype=float),
                     np.asarray(kind == "linear", dtype=bool), start, end)
