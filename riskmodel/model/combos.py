"""Distinct combinations of column values, for work done once per combination instead of once per row.

Each column is factorized on its own (fast on pandas' string and numeric
columns, where hashing Python objects row by row is not), and the codes
combine into one integer per row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def combinations(*cols) -> tuple[np.ndarray, list[tuple]]:
    """(code of each row, the distinct combinations in order of first appearance); a missing value is None."""
    n = len(cols[0]) if cols else 0
    key = np.zeros(n, dtype=np.int64)
    levels = []
    for c in cols:
        k, u = pd.factorize(c, sort=False)  # -1 where missing
        levels.append(list(u))
        key = key * (len(u) + 1) + (k + 1)
    codes, first = pd.factorize(key, sort=False)
    out = []
    for v in first.tolist():
        values = []
        for u in reversed(levels):
            v, digit = divmod(v, len(u) + 1)
            values.append(None if digit == 0 else _plain(u[digit - 1]))
        out.append(tuple(reversed(values)))
    return codes.astype(np.int64), out


def by_combination(fn, *cols, width: int | None = None, dtype=float) -> np.ndarray:
    """``fn(*row)`` for every row of the columns, computed once per distinct combination of their values."""
    codes, uniq = combinations(*cols)
    if not uniq:
        return np.zeros((len(codes),) if width is None else (len(codes), width), dtype=dtype)
    return np.array([fn(*u) for u in uniq], dtype=dtype)[codes]


def _plain(x):
    """A Python scalar (``fn`` and rule matching compare with ``==`` and dict lookups)."""
    return x.item() if isinstance(x, np.generic) else x


def positions(keys, ids) -> np.ndarray:
    """The index of each key among ``ids`` (unique), -1 where it is absent: one factorization of both
    columns together, instead of a hash lookup of every key in an index of Python strings."""
    ids, keys = pd.Series(ids).reset_index(drop=True), pd.Series(keys).reset_index(drop=True)
    codes, _ = pd.factorize(pd.concat([ids, keys], ignore_index=True), sort=False)
    n = len(ids)
    lookup = np.full(int(codes.max()) + 2 if codes.size else 1, -1, dtype=np.int64)
    lookup[codes[:n]] = np.arange(n)
    return lookup[codes[n:]]  # a missing key's code -1 reads the last entry, -1
