"""Index a compiled model for the sparse kernel: latent groups, event segments, cover groups.

Everything here is a permutation or a partition of the model's own arrays,
built with vectorised NumPy (a million covers index in seconds). Grouping
changes the cost of a simulation, never the model: any grouping gives the
same loss distribution; narrower groups waste fewer candidate draws.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .arrays import ModelArrays

SparseArrays = namedtuple(
    "SparseArrays",
    [
        "grp_ptr", "grp_mem", "grp_n_same", "grp_load_ptr", "grp_load_idx", "grp_load_val", "grp_idio",
        "ev_ptr", "seg_ptr", "seg_mem", "seg_q",
        "cg_ptr", "cg_mem", "cg_hazard", "cg_event", "cg_event_mult",
        "lc_ptr", "lc_cov", "evc_ptr", "evc_cov", "lat_timed",
    ],
)

PD_BAND_RATIO = 1.5  # members of a group have horizon PDs within this factor of each other
WINDOW_BAND_RATIO = 2.0  # covers of a call group have live windows within this factor


def _csr(keys: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row pointers and the stable order that sorts ``keys`` (row ids in ``[0, n_rows)``)."""
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_rows), out=ptr[1:])
    return ptr, order.astype(np.int64)


def unique_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``key`` in lexicographic order and each row's index among them, as
    ``np.unique(key, axis=0, return_inverse=True)`` gives them (group numbers key random streams, so the
    order is a contract), by a lexsort instead of sorting a structured view (100x faster)."""
    n = key.shape[0]
    if n == 0:
        return key[:0], np.zeros(0, dtype=np.int64)
    order = np.lexsort(key.T[::-1])
    srt = key[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (srt[1:] != srt[:-1]).any(axis=1)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return srt[new], inverse


def _band(values: np.ndarray, ratio: float) -> np.ndarray:
    """Integer band of each positive value on a log scale with the given width; -1 for zero."""
    out = np.full(values.shape, -1, dtype=np.int64)
    pos = values > 0
    out[pos] = np.floor(np.log(values[pos]) / np.log(ratio)).astype(np.int64)
    return out


def _loading_rows(m: ModelArrays) -> np.ndarray:
    """Each latent's loadings as one padded row (index, value pairs), for grouping identical rows."""
    n = m.thr.shape[0]
    nnz = np.diff(m.load_ptr)
    width = int(nnz.max()) if n and nnz.size else 0
    rows = np.full((n, 2 * width + 1), -1.0)
    rows[:, -1] = m.idio
    if width:
        lat = np.repeat(np.arange(n), nnz)
        pos = np.arange(m.load_idx.size) - np.repeat(m.load_ptr[:-1], nnz)
        rows[lat, 2 * pos] = m.load_idx
        rows[lat, 2 * pos + 1] = m.load_val
    return rows


def build_sparse(m: ModelArrays) -> SparseArrays:
    """The sparse index of ``m``, its latents timed for dated claims (``timed_latents``)."""
    n_lat = m.thr.shape[0]

    # latent groups: same type, loadings, idio and PD band; members by threshold, highest first
    rows = _loading_rows(m)
    pd_band = _band_of_threshold(m)
    key = np.column_stack([m.latent_type.astype(float), pd_band.astype(float), rows])
    _, grp_of = unique_rows(key)
    grp_of = grp_of.ravel().astype(np.int64)
    n_grp = int(grp_of.max()) + 1 if n_lat else 0
    order = np.lexsort((-m.thr, grp_of))
    grp_ptr = np.zeros(n_grp + 1, dtype=np.int64)
    np.cumsum(np.bincount(grp_of, minlength=n_grp), out=grp_ptr[1:])
    first = order[grp_ptr[:-1]]
    # members sorted by threshold, highest first: how many share the group's top threshold
    grp_n_same = np.bincount(grp_of[order][m.thr[order] == m.thr[first][grp_of[order]]], minlength=n_grp)
    nnz = np.diff(m.load_ptr)[first]
    grp_load_ptr = np.zeros(n_grp + 1, dtype=np.int64)
    np.cumsum(nnz, out=grp_load_ptr[1:])
    take = np.concatenate([np.arange(m.load_ptr[j], m.load_ptr[j + 1]) for j in first]) if n_grp else np.zeros(0, int)

    # country events: their importers, in segments of equal hit probability
    imp = np.flatnonzero(m.imp_event >= 0)
    seg_key = np.column_stack([m.imp_event[imp].astype(float), m.imp_event_q[imp]]) if imp.size else np.zeros((0, 2))
    if imp.size:
        uniq, seg_of = unique_rows(seg_key)
        seg_of = seg_of.ravel()
        seg_ptr, seg_order = _csr(seg_of, len(uniq))
        seg_mem = imp[seg_order]
        seg_event = uniq[:, 0].astype(np.int64)
        seg_q = uniq[:, 1].copy()
        ev_ptr = np.zeros(n_lat + 1, dtype=np.int64)
        np.cumsum(np.bincount(seg_event, minlength=n_lat), out=ev_ptr[1:])  # segments are sorted by event
    else:
        seg_ptr, seg_mem, seg_q = np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0)
        ev_ptr = np.zeros(n_lat + 1, dtype=np.int64)

    # calls without default: groups of equal rate and event country, windows within a factor of two
    length = m.cv_b - m.cv_a
    callable_ = (m.cv_rate > 0) & (length > 0) & ~m.cv_credit
    cov = np.flatnonzero(callable_)
    if cov.size:
        ck = np.column_stack([m.cv_rate[cov], m.cv_event[cov].astype(float), m.cv_mult[cov],
                              _band(length[cov], WINDOW_BAND_RATIO).astype(float)])
        uniq, cg_of = unique_rows(ck)
        cg_of = cg_of.ravel()
        corder = np.lexsort((-length[cov], cg_of))
        cg_ptr = np.zeros(len(uniq) + 1, dtype=np.int64)
        np.cumsum(np.bincount(cg_of, minlength=len(uniq)), out=cg_ptr[1:])
        cg_mem = cov[corder]
        cg_hazard = uniq[:, 0] * length[cg_mem[cg_ptr[:-1]]]  # largest window is first
        cg_event = uniq[:, 1].astype(np.int64)
        cg_event_mult = np.maximum(uniq[:, 2], 1.0)
    else:
        cg_ptr, cg_mem = np.zeros(1, np.int64), np.zeros(0, np.int64)
        cg_hazard, cg_event, cg_event_mult = np.zeros(0), np.zeros(0, np.int64), np.zeros(0)

    # latent -> covers it can make lose: an exporter's guarantees, an importer's credit covers
    owner = np.where(m.cv_credit, m.cv_imp, m.cv_exp).astype(np.int64)
    lc_ptr, lc_cov = _csr(owner, n_lat)
    # country event -> the guarantees it may call when deliveries become impossible
    ev_cov = np.flatnonzero(m.cv_ev_call > 0)
    evc_ptr, evc_order = _csr(m.cv_event[ev_cov].astype(np.int64), n_lat)
    evc_cov = ev_cov[evc_order].astype(np.int64)

    return SparseArrays(
        grp_ptr=grp_ptr, grp_mem=order.astype(np.int64), grp_n_same=grp_n_same.astype(np.int64),
        grp_load_ptr=grp_load_ptr, grp_load_idx=m.load_idx[take].astype(np.int64),
        grp_load_val=m.load_val[take].astype(float), grp_idio=m.idio[first].astype(float),
        ev_ptr=ev_ptr, seg_ptr=seg_ptr, seg_mem=seg_mem.astype(np.int64), seg_q=seg_q,
        cg_ptr=cg_ptr, cg_mem=cg_mem.astype(np.int64), cg_hazard=cg_hazard, cg_event=cg_event,
        cg_event_mult=cg_event_mult,
        lc_ptr=lc_ptr, lc_cov=lc_cov, evc_ptr=evc_ptr, evc_cov=evc_cov, lat_timed=timed_latents(m, dated=True),
    )


def timed_latents(m: ModelArrays, dated: bool) -> np.ndarray:
    """1 for each latent whose default (or event) time the kernels compute, 0 where nothing reads it.

    A time is read when a loss depends on it: the obligor's cover is live for
    part of the horizon only, has calls without default or calls when a
    country event makes delivery impossible (both only while the exporter is
    solvent), a risky currency (its rate moves with the claim's date), an exposure that changes over time, or a contract
    whose later covers a claim cancels; an importer a country event can hit;
    every event. With ``dated`` claims (cash flows, present values, or a
    per-event or aggregate risk-transfer layer) every obligor with a cover is
    timed too. Skipping the others changes no loss
    (the shock drawn for a time has a stream of its own), only the work:
    a time costs about two thirds of a default's sampling.
    """
    owner = np.where(m.cv_credit, m.cv_imp, m.cv_exp).astype(np.int64)
    if dated or (m.rt_kind >= 2).any():  # per-event and aggregate layers pool claims by their dates
        reads = np.ones(owner.shape[0], dtype=bool)
    else:
        reads = ((m.cv_a > 0) | (m.cv_b < m.horizon) | (m.cv_rate > 0) | (np.diff(m.sch_ptr) > 1)
                 | (m.cv_contract >= 0) | (m.cv_ev_call > 0) | (m.cv_ccy >= 0))
    timed = np.zeros(m.thr.shape[0], dtype=np.uint8)
    timed[owner[reads]] = 1
    timed[m.imp_event >= 0] = 1
    timed[m.exp_cap < np.inf] = 1  # contagion reads an exporter's default time against its calls
    timed[m.latent_type == 2] = 1
    return timed


def _band_of_threshold(m: ModelArrays) -> np.ndarray:
    """PD band of each latent from its threshold (the horizon PD under the copula's marginal)."""
    from scipy import special

    if m.dof > 0:
        pd_h = special.stdtr(m.dof, m.thr)
    else:
        pd_h = special.ndtr(m.thr)
    band = _band(pd_h, PD_BAND_RATIO)
    band[pd_h >= 1.0] = np.iinfo(np.int64).max // 2  # pd = 1: a group of certain defaults
    return band


SEVERITY_BAND_RATIO = 1.1  # importance sampling twists a class with one severity: members within this factor


def build_classes(m: ModelArrays, g: SparseArrays, sev: np.ndarray) -> dict[str, np.ndarray]:
    """Importance-sampling classes: members of a latent group with one threshold and one severity band.

    Members of a class share their conditional default probability, so the
    twist is solved over classes (weighted by size), not latents. The class
    severity is its members' mean: using it for each member changes only the
    efficiency of the twist, never the estimator's expectation.
    """
    n_grp = g.grp_ptr.shape[0] - 1
    grp_of = np.repeat(np.arange(n_grp), np.diff(g.grp_ptr))
    mem = g.grp_mem
    band = _band(sev[mem], SEVERITY_BAND_RATIO)
    key = np.column_stack([grp_of.astype(float), m.thr[mem], band.astype(float)])
    uniq, cls_of = unique_rows(key)
    cls_of = cls_of.ravel()
    ptr, order = _csr(cls_of, len(uniq))
    members = mem[order]
    counts = np.diff(ptr)
    cls_sev = np.bincount(cls_of, weights=sev[mem], minlength=len(uniq)) / np.maximum(counts, 1)
    return {"cls_ptr": ptr, "cls_mem": members.astype(np.int64), "cls_grp": uniq[:, 0].astype(np.int64),
            "cls_thr": uniq[:, 1].copy(), "cls_sev": cls_sev, "cls_n": counts.astype(float)}
