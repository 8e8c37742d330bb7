"""Each latent's factor loadings: the scenario's rules or the portfolio's own ``beta_<factor>`` columns.

Vectorised over latents: rules are resolved once per combination of
attributes, and the loadings of every latent form a padded matrix of
(factor kind, beta), flattened row by row. The order is a contract:
factors are numbered by first appearance scanning the latents in order and
each latent's loadings in order (factor ``k`` draws ``U(sim, FACTOR, k)``),
and each latent's ``sum beta_k z_k`` and ``sum beta_k^2`` add in that order.
Changing it changes every number the simulator produces.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.errors import Problem
from ..inputs.schema import BETA_PREFIX
from .combos import combinations

ATTRIBUTE_KINDS = ("region", "country", "sector")  # one factor instance per value of the attribute


@dataclass
class LatentTable:
    """Latents of one type, in order: their attributes and, where the portfolio gives them, their own loadings."""
    applies_to: str  # which rules apply: exporter | importer | country_event
    ids: pd.Series
    attrs: pd.DataFrame  # columns among sector, kind, country, region (missing values allowed)
    source: str  # file of the table, for problems
    table: str  # exporters | importers | countries
    explicit: pd.DataFrame | None = None  # the beta_<factor> columns, NaN where not given
    rows: bool = True  # problems carry 1-based row numbers


@dataclass
class Loadings:
    ptr: np.ndarray  # CSR row pointers over latents
    idx: np.ndarray  # factor index of each loading
    val: np.ndarray  # beta of each loading
    factor_names: list[str]  # factor instance names, in index order
    r2: np.ndarray  # systematic share of each latent's variance
    rule: np.ndarray  # rule that gave each latent its loadings ("portfolio": its own columns), None if none


class Numbering:
    """Strings numbered in order of first use."""

    def __init__(self):
        self.index: dict[str, int] = {}

    def __call__(self, s: str) -> int:
        return self.index.setdefault(s, len(self.index))

    def names(self) -> list[str]:
        return list(self.index)


def compile_loadings(tables: list[LatentTable], best_rule) -> tuple[Loadings, list[Problem]]:
    """Loadings of the latents of ``tables`` (in that order); ``best_rule(applies_to, attrs)`` gives
    ``(rule name, or None, or 'ambiguous:<names>'; {kind: beta})`` for a combination of attributes."""
    problems: list[Problem] = []
    kinds = Numbering()
    lat_parts, kind_parts, beta_parts, rules, explicit = [], [], [], [], []
    offset = 0
    for t in tables:
        k, b, r, ex, p = _table_matrix(t, best_rule, kinds)
        lat, col = np.nonzero(b != 0.0)  # row-major: latent by latent, each one's loadings in order
        lat_parts.append(lat + offset)
        kind_parts.append(k[lat, col])
        beta_parts.append(b[lat, col])
        rules.append(r)
        explicit.append(ex)
        problems += p
        offset += len(t.ids)
    n_lat = offset
    lat = np.concatenate(lat_parts).astype(np.int64) if tables else np.zeros(0, np.int64)
    kind = np.concatenate(kind_parts).astype(np.int64) if tables else np.zeros(0, np.int64)
    beta = np.concatenate(beta_parts).astype(float) if tables else np.zeros(0)
    explicit_all = np.concatenate(explicit) if tables else np.zeros(0, bool)

    name_id, names, bad = _instances(tables, lat, kind, kinds.names())
    starts = np.cumsum([0] + [len(t.ids) for t in tables])
    for e in np.flatnonzero(bad):
        g = int(lat[e])
        ti = int(np.searchsorted(starts, g, side="right") - 1)
        t, i = tables[ti], g - int(starts[ti])
        own = bool(explicit_all[g])
        problems.append(Problem(t.source if own else "scenario", t.table if own else "scenario",
                                f"factor '{kinds.names()[kind[e]]}' does not apply to {t.applies_to}s", None,
                                i + 1 if t.rows else None, None, f"{t.ids.iat[i]}"))
    ok = ~bad
    lat, beta, name_id = lat[ok], beta[ok], name_id[ok]
    codes, first = pd.factorize(name_id, sort=False)  # factors numbered by first appearance
    ptr = np.zeros(n_lat + 1, dtype=np.int64)
    np.cumsum(np.bincount(lat, minlength=n_lat), out=ptr[1:])
    # sum of squares in each latent's own order (numpy's pairwise sums would reorder it)
    r2 = np.zeros(n_lat)
    pos = np.arange(lat.size) - ptr[lat]
    for c in range(int(pos.max()) + 1 if pos.size else 0):
        at = pos == c
        r2[lat[at]] += beta[at] * beta[at]
    return Loadings(ptr, codes.astype(np.int64), beta, [names[i] for i in first], r2,
                    np.concatenate(rules) if tables else np.zeros(0, object)), problems


def _table_matrix(t: LatentTable, best_rule, kinds: Numbering):
    """(kind codes, betas, rule per latent, explicit rows, problems) of one table: a row's own loadings where
    it gives any, else the best rule for its attributes. Kind code -1 where a row has no loading there."""
    n = len(t.ids)
    problems: list[Problem] = []
    explicit = np.zeros(n, dtype=bool)
    ex_vals = ex_codes = None
    if t.explicit is not None and t.explicit.shape[1]:
        ex_vals = t.explicit.to_numpy(dtype=float, na_value=np.nan)
        ex_codes = np.array([kinds(c[len(BETA_PREFIX):]) for c in t.explicit.columns], dtype=np.int64)
        explicit = ~np.isnan(ex_vals).all(axis=1)
    rule = np.full(n, None, dtype=object)
    rule[explicit] = "portfolio"

    # rules, once per combination of attributes; the rows of each combination by one stable sort
    cols = list(t.attrs.columns)
    combo, uniq = combinations(*(t.attrs[c] for c in cols)) if cols and n else \
        (np.zeros(n, np.int64), [()] if n else [])
    order = np.argsort(combo, kind="stable")
    cptr = np.zeros(len(uniq) + 1, dtype=np.int64)
    np.cumsum(np.bincount(combo, minlength=len(uniq)), out=cptr[1:])
    loads = []
    for c, values in enumerate(uniq):
        name, load = best_rule(t.applies_to, dict(zip(cols, values)))
        rows = order[cptr[c]:cptr[c + 1]]
        rows = rows[~explicit[rows]]
        rule[rows] = name
        if name and name.startswith("ambiguous:"):
            load = {}
            which = name.split(":", 1)[1]
            for i in rows:
                problems.append(Problem("scenario", "scenario",
                                        f"rules {which} match {t.applies_to} {t.ids.iat[i]!r} equally well with "
                                        f"different loadings; make one more specific", "factors.rules"))
        loads.append((rows, [(kinds(k), b) for k, b in load.items()]))

    width = max([len(x) for _, x in loads] + [len(ex_codes) if ex_codes is not None else 0, 0])
    kcode = np.full((n, width), -1, dtype=np.int64)
    betas = np.zeros((n, width))
    for rows, load in loads:
        for j, (k, b) in enumerate(load):
            kcode[rows, j] = k
            betas[rows, j] = b
    if ex_vals is not None and explicit.any():
        kcode[explicit, :len(ex_codes)] = ex_codes
        betas[explicit, :len(ex_codes)] = np.nan_to_num(ex_vals[explicit], nan=0.0)
    return kcode, betas, rule, explicit, problems


def _instances(tables: list[LatentTable], lat: np.ndarray, kind: np.ndarray, kind_names: list[str]):
    """Each loading's factor instance (as a code into the returned names: ``global``, ``region:<r>``, ...)
    and whether it cannot apply: an attribute factor where the latent lacks the attribute, or a sector
    factor of a non-exporter."""
    vocab = Numbering()
    name_id = np.full(lat.shape[0], -1, dtype=np.int64)
    bad = np.zeros(lat.shape[0], dtype=bool)
    starts = np.cumsum([0] + [len(t.ids) for t in tables])
    table_of = np.searchsorted(starts, lat, side="right") - 1  # loadings run latent by latent, table by table
    for k, kname in enumerate(kind_names):
        at = np.flatnonzero(kind == k)
        if not at.size:
            continue
        if kname not in ATTRIBUTE_KINDS:
            name_id[at] = vocab(kname)
            continue
        for ti, t in enumerate(tables):
            here = at[table_of[at] == ti]
            if not here.size:
                continue
            if kname not in t.attrs.columns:
                bad[here] = True
                continue
            vcode, vuniq = pd.factorize(t.attrs[kname], sort=False)  # -1 where missing
            ids = np.array([-1 if u == "" else vocab(f"{kname}:{u}") for u in vuniq] + [-1], dtype=np.int64)
            name_id[here] = ids[vcode[lat[here] - starts[ti]]]
            bad[here] = name_id[here] < 0
            if kname == "sector" and t.applies_to != "exporter":
                bad[here] = True
    return name_id, vocab.names(), bad
