"""Collect the kernels' claim records chunk by chunk into cash flows and per-cover sums.

The kernels write the claims of a range of simulations into flat record
arrays, each block of the range into its own region. A block that runs out
of room says so, and the range is run again with fewer simulations (a
simulation's draws depend only on its index, so the rerun is identical).
The arrays hold ``RECORD_BUDGET`` claims: memory stays bounded whatever the
tail brings.

A collector says what it reads, and the kernels do only that work:
``dated`` (claims need their dates: cash flows, present values; otherwise
default times are computed only where a loss depends on them) and ``keeps``
(records are read after each range; otherwise each block reuses room for
one simulation's claims, which stays in cache).
"""
from __future__ import annotations

import math
import tempfile

import numba
import numpy as np

from ..inputs.scenario import Scenario
from ..kernels.cashflows import N_ACC, reduce_records_nb, segment_losses_nb

RECORD_BUDGET = 2_000_000  # claims held at once (about 66 MB)
SPILL_BYTES = 256 * 2**20  # per-simulation cash flows larger than this live in a temporary file
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


def n_periods(scenario: Scenario, horizon: float) -> int:
    """Periods of the cash-flow tables: the horizon plus the recovery lag, in steps of ``[lifetime] step``."""
    lt = scenario.lifetime
    return max(1, math.ceil((horizon + float(lt.recovery_lag_years)) / PERIOD_YEARS[lt.step] - 1e-9))


def flow_matrix(n_periods: int, n_sims: int) -> np.ndarray:
    """Zeros for each simulation's flows by period, one row per period (a period's row is what its statistics
    read). Past ``SPILL_BYTES`` the matrix lives in a temporary file that the operating system pages in and out,
    so a long monthly horizon does not hold simulations x periods in memory; the file goes when the array does."""
    if n_periods * n_sims * 8 <= SPILL_BYTES:
        return np.zeros((n_periods, n_sims))
    return np.memmap(tempfile.TemporaryFile(prefix="riskmodel-flows-"), dtype=np.float64, mode="w+",
                     shape=(n_periods, n_sims))


def mean_se(s1: np.ndarray, s2: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and iid standard errors from per-cover sums ``s1 = sum w x`` and ``s2 = sum (w x)^2`` over ``n``
    simulations (per-cover losses are rare events: no cancellation to fear in ``s2 / n - mu^2``)."""
    mu = s1 / n
    var = np.maximum(s2 / n - mu * mu, 0.0) * n / max(n - 1, 1)
    return mu, np.sqrt(var / n)


ROOM_PER_SIMULATION = 1 << 16  # claims one simulation may push in a block that keeps no records, at first


class ClaimsCollector:
    """What a run keeps of its claims: with ``lifetime``, cash flows by period, present values, claims paid
    and per-cover sums (dated claims); with ``n_segments``, each simulation's loss by segment of covers
    (``cover_segment``); with neither, nothing (the kernels then keep no records)."""

    def __init__(self, n_sims: int, n_covers: int, horizon: float, scenario: Scenario,
                 cover_segment: np.ndarray | None = None, n_segments: int = 0, lifetime: bool = True):
        lt = scenario.lifetime
        self.period = PERIOD_YEARS[lt.step]
        self.lag = float(lt.recovery_lag_years)
        self.n_periods = n_periods(scenario, horizon)
        self.curve_t, self.curve_r = curve_arrays(scenario)
        self.lifetime = bool(lifetime)
        self.n_segments = int(n_segments)
        self.budget = RECORD_BUDGET
        # a simulation claims at most once per live cover, so that much room per block never overflows
        self.room = max(1, min(n_covers, ROOM_PER_SIMULATION))
        self.sub = 1024 if self.keeps else 1 << 62  # a first range, a probe; then sized from the claims seen
        n = n_sims if self.lifetime else 0
        self.claim_cf = flow_matrix(self.n_periods, n)  # (periods, simulations)
        self.recovery_cf = flow_matrix(self.n_periods, n)
        self.pv = np.zeros(n)
        self.claims = np.zeros(n)
        self.cover_segment = (np.zeros(max(n_covers, 1), dtype=np.int64) if cover_segment is None
                              else np.asarray(cover_segment, dtype=np.int64))
        self.seg_loss = np.zeros((n_sims if self.n_segments else 0, self.n_segments))
        self.acc = np.zeros((n_covers if self.lifetime else 0, N_ACC))
        self.reruns = 0
        self._flat = None

    @property
    def dated(self) -> bool:
        """The claims' dates are read: every obligor with a cover gets its default time."""
        return self.lifetime

    @property
    def keeps(self) -> bool:
        """The records of a range are read once the kernel has written them."""
        return self.lifetime or self.n_segments > 0

    def buffers(self, n: int, n_blocks: int) -> tuple:
        """Record arrays for ``n`` simulations; the flat ones are allocated once and reused (the kernel
        writes every simulation's start and count and reads back only the records it wrote)."""
        size = self.budget if self.keeps else max(n_blocks, 1) * self.room
        if self._flat is None or self._flat[0].shape[0] != size:
            self._flat = (np.empty(size, dtype=np.int64), np.empty(size), np.empty(size), np.empty(size),
                          np.empty(size, dtype=np.int8))
            self._pv = np.empty(size if self.lifetime else 0)  # each record's present value, while reducing
        return (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), *self._flat,
                np.zeros(max(n_blocks, 1), dtype=np.uint8))

    def sub_size(self) -> int:
        return self.sub

    def fits(self, rec: tuple) -> bool:
        """True when every block had room; else shrink the range (or, for one simulation, grow the room)."""
        if not rec[-1].any():
            return True
        if not self.keeps:
            self.room *= 2
        elif self.sub > 1:
            self.sub = max(1, self.sub // 2)
        else:
            self.budget *= 2
        self.reruns += 1
        return False

    def adapt(self, n: int, rec: tuple) -> None:
        """Size the next range from the claims per simulation just seen: room for twice as many (blocks
        differ), so that a rerun, which wastes the work done before a block ran out of room, stays rare."""
        if not self.keeps:
            return
        per = float(rec[1][:n].sum()) / max(n, 1)
        if per > 0:
            self.sub = max(1, min(int(self.budget / (2.0 * per)), self.budget // 16))

    def reduce(self, s: int, e: int, rec: tuple, weight: np.ndarray, total_loss: np.ndarray) -> None:
        if not self.keeps:
            return
        rec_start, rec_n, rec_cov, rec_t, rec_claim, rec_loss, _, _ = rec
        if not self.lifetime:
            segment_losses_nb(rec_start, rec_n, rec_cov, rec_loss, self.cover_segment, self.seg_loss[s:e])
            return
        reduce_records_nb(rec_start, rec_n, rec_cov, rec_t, rec_claim, rec_loss, self._pv, weight, total_loss,
                          self.period, self.lag, self.curve_t, self.curve_r, self.cover_segment,
                          self.claim_cf[:, s:e], self.recovery_cf[:, s:e], self.pv[s:e], self.claims[s:e],
                          self.seg_loss[s:e], self.acc,
                          numba.get_num_threads())
