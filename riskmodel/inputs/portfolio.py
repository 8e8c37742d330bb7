"""Portfolio: the three input tables, read, typed and validated.

``load_portfolio(path)`` reads a directory holding ``exporters``, ``importers``
and ``covers`` (and, optionally, ``schedules``) as CSV or Parquet files, or an
``.xlsx`` workbook with sheets of those names. ``Portfolio.from_frames`` takes DataFrames. Either way every
problem in every table is collected and raised together as
:class:`~riskmodel.inputs.errors.InputError`; a returned portfolio is valid.

Reading files (``readers``), typing cells by their column's kind (``cells``)
and rules across rows and tables (``rules``) have modules of their own; this
one assembles them into a :class:`Portfolio`, and writes and extends one.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .cells import Context, date_format_problems, parse_table, text_column
from .errors import Problem, raise_if
from .paths import file_sha256
from .readers import read_table_file, read_workbook
from .reference import ReferenceData, load_reference
from .rules import contract_rules, rating_rules, schedule_rules
from .schema import ALL_TABLES, OPTIONAL_TABLES, SCHEDULES, TABLES, empty_input


@dataclass
class Portfolio:
    """A validated portfolio. Build it with :func:`load_portfolio` or :meth:`from_frames`."""

    exporters: pd.DataFrame
    importers: pd.DataFrame
    covers: pd.DataFrame
    reference: ReferenceData
    sources: dict[str, str] = field(default_factory=dict)
    file_hashes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    schedules: pd.DataFrame = field(default_factory=lambda: empty_input(SCHEDULES))
    date_format: str | None = None  # the declared form of text dates besides ISO 8601 (None: ISO only)

    @classmethod
    def from_frames(cls, exporters: pd.DataFrame, importers: pd.DataFrame, covers: pd.DataFrame,
                    reference: ReferenceData | None = None, schedules: pd.DataFrame | None = None,
                    date_format: str | None = None) -> "Portfolio":
        raws = {"exporters": (exporters, "<DataFrame>", None),
                "importers": (importers, "<DataFrame>", None),
                "covers": (covers, "<DataFrame>", None)}
        if schedules is not None:
            raws["schedules"] = (schedules, "<DataFrame>", None)
        raise_if(date_format_problems(date_format), "portfolio")
        return _build(raws, reference or load_reference(), {}, date_format)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the validated tables: equal for equal content in any file format."""
        h = hashlib.sha256()
        names = ["exporters", "importers", "covers"] + (["schedules"] if len(self.schedules) else [])
        for name in names:
            df = getattr(self, name)
            h.update(name.encode())
            h.update(df.to_csv(index=False).encode())
        return h.hexdigest()

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"table": ["exporters", "importers", "covers", "schedules"],
             "rows": [len(self.exporters), len(self.importers), len(self.covers), len(self.schedules)]}
        )

    def __repr__(self) -> str:
        return (f"Portfolio({len(self.exporters)} exporters, {len(self.importers)} importers, "
                f"{len(self.covers)} covers)")


def load_portfolio(path: str | Path, reference: ReferenceData | None = None,
                   date_format: str | None = None) -> Portfolio:
    """Read and validate a portfolio from a directory of CSV/Parquet files or an .xlsx workbook.

    Dates in text are ISO 8601 (``YYYY-MM-DD``); ``date_format`` (strftime codes, e.g. ``"%d/%m/%Y"``)
    declares another form. Real date cells (Excel, Parquet) need neither."""
    p = Path(path)
    reference = reference or load_reference()
    raws, problems, hashes = {}, date_format_problems(date_format), {}
    if p.is_dir():
        for table in TABLES:
            found = [p / f"{table}{ext}" for ext in (".csv", ".parquet") if (p / f"{table}{ext}").is_file()]
            if not found:
                problems.append(Problem(str(p / f"{table}.csv"), table,
                                        f"file not found: the directory must hold {table}.csv or {table}.parquet"))
                continue
            if len(found) > 1:
                problems.append(Problem(str(p), table, f"both {found[0].name} and {found[1].name} exist; keep one"))
                continue
            f = found[0]
            raws_f = read_table_file(f, table, hashes, problems)
            if raws_f is not None:
                raws[table] = raws_f
        for table in OPTIONAL_TABLES:
            found = [p / f"{table}{ext}" for ext in (".csv", ".parquet") if (p / f"{table}{ext}").is_file()]
            if len(found) > 1:
                problems.append(Problem(str(p), table, f"both {found[0].name} and {found[1].name} exist; keep one"))
            elif found:
                raws_f = read_table_file(found[0], table, hashes, problems)
                if raws_f is not None:
                    raws[table] = raws_f
    elif p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm"):
        hashes = {t: file_sha256(p) for t in TABLES}
        sheets, fmt_problems = read_workbook(p)
        problems += fmt_problems
        for table, df in sheets.items():
            raws[table] = (df, f"{p}:{table}", 1)
    elif p.exists():
        problems.append(Problem(str(p), "portfolio",
                                "expected a directory of CSV/Parquet files or an .xlsx workbook"))
    else:
        problems.append(Problem(str(p), "portfolio", "no such file or directory"))
    raise_if(problems, "portfolio")
    return _build(raws, reference, hashes, date_format)


# Each parser has a vectorised path for the common case (what the CSV reader gives: every value a string;
# numeric and datetime columns from Parquet or Excel) and a cell-by-cell reference for everything else.
# tests/test_validation.py holds each fast path to its reference on generated columns.


def _build(raws: dict, reference: ReferenceData, file_hashes: dict, date_format: str | None = None) -> Portfolio:
    problems: list[Problem] = []
    warnings: list[str] = []
    typed: dict[str, pd.DataFrame] = {}
    ctxs: dict[str, Context] = {}
    for name, schema in ALL_TABLES.items():
        if name not in raws:
            continue
        raw, src, offset = raws[name]
        if not isinstance(raw, pd.DataFrame):
            problems.append(Problem(src, name, f"expected a pandas DataFrame, got {type(raw).__name__}"))
            continue
        df, pr = parse_table(raw.copy(), schema, src, offset, warnings, date_format)
        problems += pr
        typed[name] = df
        keys = df[schema.key] if schema.key in df.columns else None
        ctxs[name] = Context(src, name, offset, keys)
    # a missing id column would fail every rule across tables on every row (400 problems for one missing
    # exporter_id): report the tables' own problems alone
    ids = {(t, c.name) for t, sch in ALL_TABLES.items() for c in sch.columns if c.kind == "id"}
    if any(p.rule.startswith("required column is missing") and (p.table, p.column) in ids for p in problems):
        raise_if(problems, "portfolio")

    if "exporters" in typed:
        rating_rules(typed["exporters"], ctxs["exporters"], reference)
    if "importers" in typed:
        imp, ctx = typed["importers"], ctxs["importers"]
        rating_rules(imp, ctx, reference)
        known = imp["country"].notna().to_numpy() & imp["country"].fillna("").str.fullmatch(r"[A-Z]{3}").to_numpy(dtype=bool)
        bad = known & ~imp["country"].isin(reference.countries.index).to_numpy()
        ctx.add(np.flatnonzero(bad), "country",
                "country is not in the country table; add it there (with its region) or correct the code",
                imp["country"])
    if "covers" in typed:
        cov, ctx = typed["covers"], ctxs["covers"]
        for fk, table in (("exporter_id", "exporters"), ("importer_id", "importers")):
            if table in typed:
                ids = set(typed[table][TABLES[table].key].dropna())
                bad = cov[fk].notna().to_numpy() & ~cov[fk].isin(ids).to_numpy()
                ctx.add(np.flatnonzero(bad), fk, f"must be an {fk} present in {table}", cov[fk])
        both = cov["start"].notna() & cov["end"].notna()
        bad = both & (cov["end"] <= cov["start"])
        ctx.add(np.flatnonzero(bad.to_numpy()), "end", "end must be after start",
                cov["end"].dt.strftime("%Y-%m-%d"))
        both = cov["collateral_with"].notna() & cov["collateral_without"].notna()
        bad = both & (cov["collateral_with"] > cov["collateral_without"])
        ctx.add(np.flatnonzero(bad.to_numpy()), "collateral_with",
                "collateral_with must not exceed collateral_without (the cover frees collateral)",
                cov["collateral_with"])
        contract_rules(cov, ctx)
        schedule_rules(cov, ctx, typed.get("schedules"), ctxs.get("schedules"))
    for c in ctxs.values():
        problems += c.problems
    raise_if(problems, "portfolio")
    sources = {name: raws[name][1] for name in raws}
    schedules = typed.get("schedules")
    if schedules is None:
        schedules = empty_input(SCHEDULES)
    return Portfolio(typed["exporters"], typed["importers"], typed["covers"], reference, sources,
                     file_hashes, warnings, schedules, date_format)


def write_portfolio(portfolio: Portfolio, out: str | Path, fmt: str = "csv") -> Path:
    """Write the three tables to a directory (``csv`` or ``parquet``)."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    for name in ALL_TABLES:
        df = getattr(portfolio, name).copy()
        if name in OPTIONAL_TABLES and not len(df):
            continue
        for c in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[c]):
                df[c] = df[c].dt.strftime("%Y-%m-%d")
        if fmt == "csv":
            df.to_csv(d / f"{name}.csv", index=False)
        else:
            df.to_parquet(d / f"{name}.parquet", index=False)
    return d


def extend_portfolio(base: Portfolio, path) -> tuple[Portfolio, list[str]]:
    """``base`` plus new covers: a directory (``covers``, and ``exporters`` / ``importers`` for new obligors,
    ``schedules`` for their milestones; CSV or Parquet), a single covers file, or a dict of DataFrames by
    table name. Returns the combined portfolio and the new cover ids. Every problem, in the new tables or
    between them and the base, is raised together."""
    problems: list[Problem] = []
    hashes: dict[str, str] = {}
    new: dict[str, tuple] = {}
    if isinstance(path, dict):
        unknown = [t for t in path if t not in ALL_TABLES]
        if unknown or "covers" not in path:
            raise_if([Problem("<DataFrame>", "new covers", f"expected a dict of tables {sorted(ALL_TABLES)} "
                              f"with at least covers; got {sorted(path)}")], "new covers")
        new = {t: (df, f"<new {t} DataFrame>", None) for t, df in path.items()}
    else:
        p = Path(path)
        if p.is_file() and p.suffix in (".csv", ".parquet"):
            files = {"covers": p}
        elif p.is_dir():
            files = {}
            for table in ALL_TABLES:
                found = [p / f"{table}{ext}" for ext in (".csv", ".parquet") if (p / f"{table}{ext}").is_file()]
                if found:
                    files[table] = found[0]
                elif table == "covers":
                    problems.append(Problem(str(p / "covers.csv"), table, "file not found: the new covers go in "
                                                                           "covers.csv or covers.parquet"))
        else:
            raise_if([Problem(str(p), "portfolio", "expected a covers file (.csv or .parquet) or a directory "
                                                   "holding covers.csv (and optionally exporters.csv, "
                                                   "importers.csv, schedules.csv)")], "new covers")
        for table, f in files.items():
            raw = read_table_file(f, table, hashes, problems)
            if raw is not None:
                new[table] = raw
    raise_if(problems, "new covers")
    # each new table on its own first: its own rows and lines
    warnings: list[str] = []
    for table, (df, src, offset) in new.items():
        _, pr = parse_table(df.copy(), ALL_TABLES[table], src, offset, warnings, base.date_format)
        problems += [x for x in pr if "has no rows" not in x.rule]
    raise_if(problems, "new covers")
    # then combined with the base: references, uniqueness and contracts across both. The new rows come
    # first, so a problem's row and line are those of the new file (the base alone is valid).
    raws = {}
    for table in ALL_TABLES:
        old = getattr(base, table)
        if table in new:
            df, src, offset = new[table]
            raws[table] = (pd.concat([df.astype(object), old.astype(object)], ignore_index=True), src, offset)
        elif table in TABLES or len(old):
            raws[table] = (old, base.sources.get(table, table), None)
    out = _build(raws, base.reference, {**base.file_hashes, **{f"new_{k}": v for k, v in hashes.items()}},
                 base.date_format)
    # provenance: the book's files stay under their names, the new ones under new_<table>
    out.sources = {**base.sources, **{f"new_{t}": src for t, (_, src, _) in new.items()}}
    ids = [str(x) for x in text_column(new["covers"][0]["cover_id"]).dropna()] if "cover_id" in new["covers"][0] else []
    return out, ids

