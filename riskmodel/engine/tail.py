"""The tail of a run, cover by cover: replayed, not stored.

Risk contributions need each tail simulation's loss split by cover. Keeping
that for every simulation would cost simulations x covers; keeping it for
the tail alone needs the tail, which is known only once the run is over.
Draws are keyed by (seed, simulation, stream, item), so a simulation can be
run again on its own and gives the same claims, bit for bit: after the run
we replay only the simulations whose loss reaches a threshold, and keep
their claims as sparse (simulation, cover, loss) records. Memory follows the
tail's claims; the replay costs the tail's share of the run. The replayed
totals are checked against the run's, so a broken replay cannot pass
silently.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..inputs.scenario import Scenario
from .collect import ClaimsCollector


class TailRecords(ClaimsCollector):
    """A collector that keeps the raw (simulation row, cover, loss) records of the simulations it is given."""

    def __init__(self, n_covers: int, horizon: float, scenario: Scenario):
        super().__init__(0, n_covers, horizon, scenario, lifetime=False)
        self._rows: list[np.ndarray] = []
        self._cov: list[np.ndarray] = []
        self._loss: list[np.ndarray] = []

    @property
    def keeps(self) -> bool:
        return True

    def reduce(self, s: int, e: int, rec: tuple, weight: np.ndarray, total_loss: np.ndarray) -> None:
        self._at(s, e, rec)

    def _at(self, s: int, e: int, rec: tuple) -> np.ndarray:
        """Keep the range's (row, cover, loss) records; the records' positions in the flat arrays."""
        rec_start, rec_n, rec_cov, _, _, rec_loss = rec[:6]
        n = rec_n.astype(np.int64)
        total = int(n.sum())
        first = np.cumsum(n) - n  # position of each simulation's first record in the output
        at = np.repeat(rec_start - first, n) + np.arange(total)
        self._rows.append(np.repeat(np.arange(s, e, dtype=np.int64), n))
        self._cov.append(rec_cov[at].astype(np.int32))
        self._loss.append(rec_loss[at].copy())
        return at

    def records(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._rows:
            return np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0)
        return np.concatenate(self._rows), np.concatenate(self._cov), np.concatenate(self._loss)


class DatedRecords(TailRecords):
    """TailRecords that also keep each claim's date (years from the valuation date) and the amount paid."""

    def __init__(self, n_covers: int, horizon: float, scenario: Scenario):
        super().__init__(n_covers, horizon, scenario)
        self._t: list[np.ndarray] = []
        self._paid: list[np.ndarray] = []

    @property
    def dated(self) -> bool:
        return True

    def reduce(self, s: int, e: int, rec: tuple, weight: np.ndarray, total_loss: np.ndarray) -> None:
        at = self._at(s, e, rec)
        self._t.append(rec[3][at].copy())
        self._paid.append(rec[4][at].copy())

    def dated_records(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(row, cover, date, amount paid) of every claim kept."""
        row, cover, _ = self.records()
        if not self._t:
            return row, cover, np.empty(0), np.empty(0)
        return row, cover, np.concatenate(self._t), np.concatenate(self._paid)


def replay_claims(result, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The dated claims of the simulations ``sims`` of ``result``, replayed: (index into ``sims``, cover,
    date, amount paid) per claim; the replayed losses are checked against the run's."""
    m = result.model
    col = DatedRecords(len(m.covers), m.arrays.horizon, result.scenario)
    _replay_into(result, np.asarray(sims, dtype=np.int64), col)
    return col.dated_records()


def _replay_into(result, sims: np.ndarray, col: ClaimsCollector) -> None:
    """Replay ``sims`` into ``col``, checking the replayed losses against the run's."""
    if sims.size:
        again = result.replay(sims, col)
        _check_replay(again.sum(axis=1), result.total_loss[sims])


@dataclass(frozen=True)
class Tail:
    """Claims of the simulations whose loss is at least ``threshold``.

    ``sims`` are their indices (ascending); record ``r`` says that simulation
    ``sims[row[r]]`` lost ``loss[r]`` on live cover ``cover[r]``.
    """
    threshold: float
    sims: np.ndarray
    row: np.ndarray
    cover: np.ndarray
    loss: np.ndarray


def replay_lifetime(result) -> ClaimsCollector:
    """Every simulation of ``result`` run again, its dated claims collected for the lifetime view."""
    m = result.model
    n = result.n_sims
    col = ClaimsCollector(n, len(m.covers), m.arrays.horizon, result.scenario, lifetime=True)
    again = result.replay(np.arange(n, dtype=np.int64), col)
    _check_replay(again.sum(axis=1), result.total_loss)
    return col


def _check_replay(again: np.ndarray, loss: np.ndarray) -> None:
    if not np.array_equal(again, loss):
        raise RuntimeError("replaying the run did not reproduce its losses: the simulation is not "
                           "deterministic given (seed, simulation); please report this")


def replay_tail(result, threshold: float) -> Tail:
    """Replay the simulations of ``result`` whose total loss is at least ``threshold`` and keep their claims."""
    total = result.total_loss
    sims = np.flatnonzero(total >= threshold).astype(np.int64)
    m = result.model
    col = TailRecords(len(m.covers), m.arrays.horizon, result.scenario)
    _replay_into(result, sims, col)
    row, cover, loss = col.records()
    return Tail(float(threshold), sims, row, cover, loss)
