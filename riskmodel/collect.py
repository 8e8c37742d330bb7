"""Collect the kernels' claim records chunk by chunk into cash flows and per-cover sums.

The kernels write the claims of a range of simulations into flat record
arrays, each block of the range into its own region. A block that runs out
of room says so, and the range is run again with fewer simulations (a
simulation's draws depend only on its index, so the rerun is identical).
The arrays hold ``RECORD_BUDGET`` claims: memory stays bounded whatever the
tail brings.
"""
from __future__ import annotations

import math

import numpy as np

from .kernels.cashflows import N_ACC, reduce_records_nb
from .scenario import Scenario

RECORD_BUDGET = 2_000_000  # claims held at once (about 66 MB)
PERIOD_YEARS = {"month": 1.0 / 12.0, "quarter": 0.25, "year": 1.0}


def curve_arrays(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    rates = scenario.lifetime.discount_rates
    return np.array([t for t, _ in rates], dtype=float), np.array([r for _, r in rates], dtype=float)


def discount(t, scenario: Scenario) -> np.ndarray:
    """Discount factors at times ``t`` (years) on the scenario's curve (same formula as the kernels)."""
    ct, cr = curve_arrays(scenario)
    t = np.asarray(t, dtype=float)
    r = np.interp(t, ct, cr)
    return np.where(t <= 0, 1.0, np.exp(-t * np.log1p(r)))


def mean_se(s1: np.ndarray, s2: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and iid standard errors from per-cover sums ``s1 = sum w x`` and ``s2 = sum (w x)^2`` over ``n``
    simulations (per-cover losses are rare events: no cancellation to fear in ``s2 / n - mu^2``)."""
    mu = s1 / n
    var = np.maximum(s2 / n - mu * mu, 0.0) * n / max(n - 1, 1)
    return mu, np.sqrt(var / n)


class ClaimsCollector:
    """Cash flows by period, present values and per-cover sums of one run."""

    def __init__(self, n_sims: int, n_covers: int, horizon: float, scenario: Scenario,
                 cover_segment: np.ndarray | None = None, n_segments: int = 0, reduce: bool = True):
        lt = scenario.lifetime
        self.period = PERIOD_YEARS[lt.step]
        self.lag = float(lt.recovery_lag_years)
        self.n_periods = max(1, math.ceil((horizon + self.lag) / self.period - 1e-9))
        self.curve_t, self.curve_r = curve_arrays(scenario)
        self.reduce_on = reduce
        self.budget = RECORD_BUDGET
        self.sub = 1024  # simulations in the first range, a probe; then sized from the claims seen (adapt)
        n = n_sims if reduce else 0
        self.claim_cf = np.zeros((n, self.n_periods))
        self.recovery_cf = np.zeros((n, self.n_periods))
        self.pv = np.zeros(n)
        self.claims = np.zeros(n)
        self.cover_segment = (np.zeros(max(n_covers, 1), dtype=np.int64) if cover_segment is None
                              else np.asarray(cover_segment, dtype=np.int64))
        self.seg_loss = np.zeros((n, n_segments if reduce else 0))
        self.acc = np.zeros((n_covers if reduce else 0, N_ACC))
        self.reruns = 0
        self._flat = None

    def buffers(self, n: int, n_blocks: int) -> tuple:
        """Record arrays for ``n`` simulations; the flat ones are allocated once and reused (the kernel
        writes every simulation's start and count and reads back only the records it wrote)."""
        if self._flat is None or self._flat[0].shape[0] != self.budget:
            b = self.budget
            self._flat = (np.empty(b, dtype=np.int64), np.empty(b), np.empty(b), np.empty(b),
                          np.empty(b, dtype=np.int8))
        return (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), *self._flat,
                np.zeros(max(n_blocks, 1), dtype=np.uint8))

    def sub_size(self) -> int:
        return self.sub

    def fits(self, rec: tuple) -> bool:
        """True when every block had room; else shrink the range (or, for one simulation, grow the room)."""
        if not rec[-1].any():
            return True
        if self.sub > 1:
            self.sub = max(1, self.sub // 2)
        else:
            self.budget *= 2
        self.reruns += 1
        return False

    def adapt(self, n: int, rec: tuple) -> None:
        """Size the next range from the claims per simulation just seen: room for twice as many (blocks
        differ), so that a rerun, which wastes the work done before a block ran out of room, stays rare."""
        per = float(rec[1][:n].sum()) / max(n, 1)
        if per > 0:
            self.sub = max(1, min(int(self.budget / (2.0 * per)), self.budget // 16))

    def reduce(self, s: int, e: int, rec: tuple, weight: np.ndarray, total_loss: np.ndarray) -> None:
        if not self.reduce_on:
            return
        rec_start, rec_n, rec_cov, rec_t, rec_claim, rec_loss, _, _ = rec
        reduce_records_nb(rec_start, rec_n, rec_cov, rec_t, rec_claim, rec_loss, weight, total_loss, self.period, self.lag,
                          self.curve_t, self.curve_r, self.cover_segment, self.claim_cf[s:e],
                          self.recovery_cf[s:e], self.pv[s:e], self.claims[s:e], self.seg_loss[s:e], self.acc)
