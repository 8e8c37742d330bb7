"""Segments of the book: one attribute row per live cover, and the codes of a segmentation.

Any column of the covers table segments the book, and so do the obligors'
attributes, joined to each cover: ``exporter`` (its id), ``sector``,
``size``, ``exporter_rating``, ``importer``, ``country``, ``region``,
``kind``, ``importer_rating``. ``cover`` and ``contract`` are short for
``cover_id`` and ``contract_id``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ALIASES = {"cover": "cover_id", "contract": "contract_id", "exporter": "exporter_id", "importer": "importer_id"}


def cover_attributes(covers: pd.DataFrame, portfolio) -> pd.DataFrame:
    """``covers`` (the live covers, in model order) with their exporter's and importer's attributes."""
    exp = portfolio.exporters.set_index("exporter_id")
    imp = portfolio.importers.set_index("importer_id")
    out = covers.reset_index(drop=True).copy()
    for col, name in (("sector", "sector"), ("size", "size"), ("rating", "exporter_rating")):
        if col in exp.columns and name not in out.columns:
            out[name] = out["exporter_id"].map(exp[col]).to_numpy()
    for col, name in (("country", "country"), ("kind", "kind"), ("rating", "importer_rating")):
        if col in imp.columns and name not in out.columns:
            out[name] = out["importer_id"].map(imp[col]).to_numpy()
    out["region"] = portfolio.reference.region_of(out["country"]).to_numpy()
    return out


def resolve(by: str | None) -> str:
    by = "cover" if by is None else by
    return ALIASES.get(by, by)


def segment_codes(attrs: pd.DataFrame, by: str | None) -> tuple[str, np.ndarray, pd.Index]:
    """(column, code of each cover's segment, the segments' labels in code order, sorted)."""
    col = resolve(by)
    if col not in attrs.columns:
        names = sorted(set(attrs.columns) | set(ALIASES))
        raise ValueError(f"cannot segment by {by!r}: expected one of {', '.join(names)}")
    labels = attrs[col].astype(object).where(attrs[col].notna(), "(none)").astype(str)
    codes, uniques = pd.factorize(labels, sort=True)
    return col, codes.astype(np.int64), pd.Index(uniques, name=col)
