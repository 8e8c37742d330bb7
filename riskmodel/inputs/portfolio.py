"""Portfolio: the three input tables, read, typed and validated.

``load_portfolio(path)`` reads a directory holding ``exporters``, ``importers``
and ``covers`` (and, optionally, ``schedules``) as CSV or Parquet files, or an
``.xlsx`` workbook with sheets of those names. ``Portfolio.from_frames`` takes DataFrames. Either way every
problem in every table is collected and raised together as
:class:`~riskmodel.errors.InputError`; a returned portfolio is valid.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, raise_if
from .paths import file_sha256
from .reference import ReferenceData, load_reference
from .schema import ALL_TABLES, BETA_PREFIX, OPTIONAL_TABLES, SCHEDULES, TABLES, Column, TableSchema, empty_input

_BETA_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


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
        raise_if(_format_problems(date_format), "portfolio")
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


# ------------------------------------------------------------------ reading


def load_portfolio(path: str | Path, reference: ReferenceData | None = None,
                   date_format: str | None = None) -> Portfolio:
    """Read and validate a portfolio from a directory of CSV/Parquet files or an .xlsx workbook.

    Dates in text are ISO 8601 (``YYYY-MM-DD``); ``date_format`` (strftime codes, e.g. ``"%d/%m/%Y"``)
    declares another form. Real date cells (Excel, Parquet) need neither."""
    p = Path(path)
    reference = reference or load_reference()
    raws, problems, hashes = {}, _format_problems(date_format), {}
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
            raws_f = _read_one(f, table, hashes, problems)
            if raws_f is not None:
                raws[table] = raws_f
        for table in OPTIONAL_TABLES:
            found = [p / f"{table}{ext}" for ext in (".csv", ".parquet") if (p / f"{table}{ext}").is_file()]
            if len(found) > 1:
                problems.append(Problem(str(p), table, f"both {found[0].name} and {found[1].name} exist; keep one"))
            elif found:
                raws_f = _read_one(found[0], table, hashes, problems)
                if raws_f is not None:
                    raws[table] = raws_f
    elif p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm"):
        hashes = {t: file_sha256(p) for t in TABLES}
        sheets, fmt_problems = _read_xlsx(p)
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


def _format_problems(date_format: str | None) -> list[Problem]:
    rule = check_date_format(date_format)
    return [Problem("--date-format", "options", rule, value=date_format)] if rule else []


def _read_one(f: Path, table: str, hashes: dict, problems: list):
    hashes[table] = file_sha256(f)
    df, fmt_problems = (_read_csv(f, table) if f.suffix == ".csv" else _read_parquet(f, table))
    problems += fmt_problems
    return None if df is None else (df, str(f), 1 if f.suffix == ".csv" else None)


def _title_row(lines: list[str], table: str) -> str | None:
    """The rule broken when the first line is a title and the second the header, else None."""
    known = set(ALL_TABLES[table].names) if table in ALL_TABLES else set()
    if len(lines) < 2 or lines[0].strip().lower() in known:
        return None
    below = {c.strip().lower() for c in lines[1].split(",")}
    if len(below & known) < 2:
        return None
    return (f"the first row holds only {lines[0].strip().strip(',')!r} and the next row names the columns: "
            f"delete the title row above the header")


def _frame_from_rows(rows: pd.DataFrame, src: str, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """First row is the header; report blank or duplicate names."""
    if rows.shape[0] == 0:
        return None, [Problem(src, table, "is empty: expected a header row naming the columns")]
    header = [("" if pd.isna(v) else str(v)).strip() for v in rows.iloc[0]]
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in header[0]:
                return None, [Problem(src, table, f"the header is one column holding {name}: the file is separated "
                                                  f"by {name}, riskmodel reads commas; save it as CSV (comma "
                                                  f"delimited), UTF-8")]
    named = [h for h in header if h]
    if len(named) == 1 and rows.shape[0] > 1:
        title = _title_row([named[0], ",".join("" if pd.isna(v) else str(v) for v in rows.iloc[1])], table)
        if title:
            return None, [Problem(src, table, title)]
    problems = []
    for i, name in enumerate(header):
        if name == "":
            problems.append(Problem(src, table, f"column {i + 1} has no name in the header row; name it or delete it"))
    dups = sorted({h for h in header if h and header.count(h) > 1})
    for d in dups:
        problems.append(Problem(src, table, "column name appears more than once in the header; keep one", d))
    if problems:
        return None, problems
    body = rows.iloc[1:].reset_index(drop=True)
    body.columns = header
    return body, []


def _magic(f: Path, n: int = 8) -> bytes:
    try:
        with open(f, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def _read_csv(f: Path, table: str):
    head = _magic(f, 4096)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PAR1"):
        kind = "an Excel workbook (zip)" if head.startswith(b"PK") else "a Parquet file"
        return None, [Problem(str(f), table, f"is named .csv but is {kind}: save the table as CSV, or give the "
                                             f"file the extension of what it is")]
    try:
        rows = pd.read_csv(f, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        return None, [Problem(str(f), table, "is empty: expected a header row naming the columns")]
    except UnicodeDecodeError as exc:
        return None, [Problem(str(f), table, f"is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8")]
    except (pd.errors.ParserError, ValueError) as exc:
        title = _title_row(head.decode("utf-8-sig", errors="replace").splitlines()[:2], table)
        if title:
            return None, [Problem(str(f), table, title)]
        return None, [Problem(str(f), table, f"cannot be parsed as CSV: {str(exc).strip()}")]
    return _frame_from_rows(rows, str(f), table)


def _read_parquet(f: Path, table: str):
    if _magic(f, 4) != b"PAR1":
        return None, [Problem(str(f), table, "is named .parquet but is not a Parquet file (it does not start with "
                                             "PAR1); if it is CSV, name it .csv")]
    try:
        df = pd.read_parquet(f)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        return None, [Problem(str(f), table, f"cannot be read as Parquet: {type(exc).__name__}: {exc}")]
    dups = df.columns[df.columns.duplicated()].unique()
    if len(dups):
        return None, [Problem(str(f), table, "column name appears more than once; keep one", str(d)) for d in dups]
    df.columns = [str(c).strip() for c in df.columns]
    return df.reset_index(drop=True), []


def _read_xlsx(p: Path):
    if _magic(p, 4) != b"PK\x03\x04":
        return {}, [Problem(str(p), "portfolio", f"is named {p.suffix} but is not an Excel workbook (an .xlsx file "
                                                 f"is a zip archive); if it is CSV, put the tables as CSV files in a "
                                                 f"directory")]
    try:
        book = pd.read_excel(p, sheet_name=None, header=None, dtype=object)
    except Exception as exc:
        return {}, [Problem(str(p), "portfolio", f"cannot be read as an Excel workbook: {type(exc).__name__}: {exc}")]
    sheets, problems = {}, []
    for table in TABLES:
        if table not in book:
            problems.append(Problem(str(p), table, f"sheet '{table}' not found; the workbook has sheets "
                                                   f"{list(book)}; it needs exporters, importers and covers"))
            continue
        df, pr = _frame_from_rows(book[table], f"{p}:{table}", table)
        problems += pr
        if df is not None:
            sheets[table] = df
    for table in OPTIONAL_TABLES:
        if table in book:
            df, pr = _frame_from_rows(book[table], f"{p}:{table}", table)
            problems += pr
            if df is not None:
                sheets[table] = df
    return sheets, problems


# ------------------------------------------------------------------ typing


class _Ctx:
    """Where a table came from, to name rows and lines in problems."""

    def __init__(self, src: str, table: str, line_offset: int | None, keys: pd.Series | None = None):
        self.src, self.table, self.line_offset = src, table, line_offset
        self.keys = keys
        self.schema_names: set[str] = set()
        self.problems: list[Problem] = []

    def add(self, rows, column: str | None, rule: str, values=None):
        for i in np.asarray(rows, dtype=int):
            key = None
            if self.keys is not None:
                k = self.keys.iloc[i]
                key = None if pd.isna(k) else f"{self.keys.name} {k!r}"
            v = None if values is None else _show(values.iloc[i])
            line = None if self.line_offset is None else int(i) + 1 + self.line_offset
            self.problems.append(Problem(self.src, self.table, rule, column, int(i) + 1, line, key, v))

    def table_problem(self, rule: str, column: str | None = None):
        self.problems.append(Problem(self.src, self.table, rule, column))


def _show(v):
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "<missing>"
    return v


# Each parser has a vectorised path for the common case (what the CSV reader gives: every value a string;
# numeric and datetime columns from Parquet or Excel) and a cell-by-cell reference for everything else.
# tests/test_validation.py holds each fast path to its reference on generated columns.

ISO_DATE = r"\d{4}-\d{2}-\d{2}"
EXCEL_ERRORS = r"#(?:DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)"


def _strings(s: pd.Series) -> pd.Series | None:
    """``s`` as a string Series when every present value is a string, else None."""
    if s.dtype == object:
        return s.astype("string") if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty") else None
    return s if pd.api.types.is_string_dtype(s) else None


def _missing(s: pd.Series) -> np.ndarray:
    m = s.isna().to_numpy(dtype=bool, copy=True)
    st = _strings(s)
    if st is not None:
        m |= (st.str.strip() == "").fillna(False).to_numpy(dtype=bool)
    elif s.dtype == object:
        m |= s.map(lambda v: isinstance(v, str) and v.strip() == "").to_numpy(dtype=bool)
    return m


def _as_text(s: pd.Series) -> pd.Series:
    st = _strings(s)
    if st is None:
        return _as_text_cells(s)
    out = st.str.strip().astype(object)
    return out.where(out.notna(), None)


def _as_text_cells(s: pd.Series) -> pd.Series:
    def conv(v):
        if isinstance(v, str):
            return v.strip()
        if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))  # Excel and Parquet give integral ids as floats
        return str(v)

    return s.map(conv).astype(object)


def _as_number(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(np.nan, index=s.index)
    if pd.api.types.is_numeric_dtype(s):
        out = s.astype(float)
        return out.where(np.isfinite(out))  # inf from Parquet or Excel is not a number either
    st = _strings(s)
    if st is None:
        return _as_number_cells(s)
    out = pd.to_numeric(st.str.strip().astype(object), errors="coerce").astype(float)
    return out.where(np.isfinite(out))


def _as_number_cells(s: pd.Series) -> pd.Series:
    obj = s.astype(object).map(lambda v: np.nan if isinstance(v, (bool, np.bool_))
                               else (v.strip() if isinstance(v, str) else v))
    out = pd.to_numeric(obj, errors="coerce").astype(float)
    return out.where(np.isfinite(out))


def _as_bool(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or (s.dtype == object and pd.api.types.infer_dtype(s, skipna=False) == "boolean"):
        return s.astype(bool)
    st = _strings(s)
    if st is None:
        return _as_bool_cells(s)
    words = {**{t: True for t in _TRUE}, **{f: False for f in _FALSE}}
    out = st.str.strip().str.lower().astype(object).map(words).astype(object)
    return out.where(out.notna(), None).infer_objects()  # bool when every value is known, as map gives


def _as_bool_cells(s: pd.Series) -> pd.Series:
    def conv(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)) and v in (0, 1):
            return bool(v)
        if isinstance(v, (float, np.floating)) and v in (0.0, 1.0):
            return bool(v)
        if isinstance(v, str):
            t = v.strip().lower()
            if t in _TRUE:
                return True
            if t in _FALSE:
                return False
        return None

    return s.astype(object).map(conv)


# ISO 8601 dates, optionally with a time of day (dropped: covers run from day to day). Anything else is an
# error unless the user declares the form (``date_format``): "02/04/2026" is 2 April in one office and
# 4 February in another, so it is never guessed.
ISO_DATE_TIME = ISO_DATE + r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
DATE_FORMAT_FIELDS = (("%Y", "%y"), ("%m", "%b", "%B"), ("%d",))


def check_date_format(fmt: str | None) -> str | None:
    """The rule a declared date format breaks, or None: it needs a year, a month and a day."""
    if fmt is None:
        return None
    missing = [alts[0] for alts in DATE_FORMAT_FIELDS if not any(a in fmt for a in alts)]
    if missing:
        return (f"a date format needs a year, a month and a day (strftime codes, e.g. %d/%m/%Y); "
                f"{', '.join(missing)} is missing from {fmt!r}")
    return None


def _date_rule(fmt: str | None) -> str:
    if fmt is None:
        return ("must be a date written YYYY-MM-DD (ISO 8601); dates in another form are never guessed: "
                "declare it, e.g. --date-format %d/%m/%Y (date_format= in Python)")
    return f"must be a date written in the declared form {fmt!r} (or YYYY-MM-DD)"


def _text_dates(v: pd.Series, fmt: str | None) -> pd.Series:
    """Parse stripped strings: ISO 8601, else the declared format, else NaT."""
    iso = v.str.fullmatch(ISO_DATE_TIME).fillna(False).to_numpy(dtype=bool)
    out = pd.to_datetime(v.where(iso).str.slice(0, 10).astype(object), format="%Y-%m-%d", errors="coerce")
    if fmt is not None:
        rest = ~iso & v.notna().to_numpy(dtype=bool)
        if rest.any():
            out = out.astype(object)
            out[rest] = pd.to_datetime(v[rest].astype(object), format=fmt, errors="coerce").astype(object)
            out = pd.to_datetime(out, errors="coerce")
    return out.dt.normalize() if len(out) else pd.to_datetime(out)


def _as_date(s: pd.Series, fmt: str | None = None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.reset_index(drop=True)
        if out.dt.tz is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        return out.dt.normalize()
    st = _strings(s)
    if st is None:
        return _as_date_cells(s, fmt)
    return _text_dates(st.str.strip().reset_index(drop=True), fmt)


def _as_date_cells(s: pd.Series, fmt: str | None = None) -> pd.Series:
    def conv(v):
        if isinstance(v, str):
            got = _text_dates(pd.Series([v.strip()], dtype="string"), fmt).iloc[0]
            return pd.NaT if pd.isna(got) else got
        if isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "isoformat"):
            try:
                ts = pd.Timestamp(v)
            except (ValueError, TypeError, OverflowError):
                return pd.NaT
        else:
            return pd.NaT
        if ts is pd.NaT:
            return pd.NaT
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.normalize()

    out = s.astype(object).map(conv)
    return pd.to_datetime(out, errors="coerce")


def _parse_column(raw: pd.DataFrame, col: Column, ctx: _Ctx, date_format: str | None = None) -> pd.Series:
    n = len(raw)
    if col.name not in raw.columns:
        if col.required:
            strangers = [str(c) for c in raw.columns if str(c) not in ctx.schema_names]  # not another column
            hint = difflib.get_close_matches(col.name, strangers, n=1, cutoff=0.75)
            fix = f"; did you mean '{hint[0]}'? rename it" if hint else "; add the column"
            ctx.table_problem(f"required column is missing{fix}", col.name)
        s = pd.Series([col.default] * n, dtype=object)
        missing = np.ones(n, dtype=bool)
    else:
        s = raw[col.name].reset_index(drop=True)
        missing = _missing(s)
        if col.required:
            ctx.add(np.flatnonzero(missing), col.name, "required value is missing")

    if col.kind in ("id", "text"):
        out = _as_text(s).where(~missing, None)
        control = (out.fillna("").astype("string[pyarrow]")  # vectorised: a Python pass costs 0.25 s per 100k
                   .str.contains(r"[\x00-\x08\x0b-\x1f\x7f]", regex=True).to_numpy(dtype=bool))
        ctx.add(np.flatnonzero(control), col.name, "contains a control character (such as NUL): remove it; ids "
                "and text are printable", s)
        if col.default is not None:
            out = out.where(~missing, col.default)
        return out
    if col.kind == "code3":
        out = _as_text(s).str.upper()
        bad = ~missing & ~out.fillna("").str.fullmatch(r"[A-Z]{3}").to_numpy(dtype=bool)
        what = "ISO 3166 alpha-3 country code" if col.name == "country" else "ISO 4217 currency code"
        ctx.add(np.flatnonzero(bad), col.name, f"must be an {what} of three letters", s)
        return out.where(~missing, None)
    if col.kind == "choice":
        out = _as_text(s).str.lower()
        bad = ~missing & ~out.isin(col.choices).to_numpy(dtype=bool)
        ctx.add(np.flatnonzero(bad), col.name, f"must be one of {', '.join(col.choices)}", s)
        return out.where(~missing, None)
    if col.kind == "number":
        out = _as_number(s)
        bad = ~missing & out.isna().to_numpy()
        excel_error, formula = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        if bad.any():  # name the cause of the bad cells only (a per-cell pass over a million rows costs seconds)
            rows = np.flatnonzero(bad)
            text = pd.Series([v.strip() if isinstance(v, str) else "" for v in s.iloc[rows]], dtype=object)
            excel_error[rows] = text.str.fullmatch(EXCEL_ERRORS).fillna(False).to_numpy(dtype=bool)
            formula[rows] = text.str.startswith("=").to_numpy(dtype=bool) & ~excel_error[rows]
        ctx.add(np.flatnonzero(excel_error), col.name, "is an Excel error value, not a number: fix the formula "
                "that gives it in the workbook", s)
        ctx.add(np.flatnonzero(formula), col.name, "is a formula, not its value: save the values (in Excel, "
                "paste as values) before exporting", s)
        ctx.add(np.flatnonzero(bad & ~excel_error & ~formula), col.name, "must be a finite number", s)
        v = out.to_numpy()
        ok = ~np.isnan(v)
        out_of_range = np.zeros(n, dtype=bool)
        if col.low is not None:
            out_of_range |= ok & ((v <= col.low) if col.low_open else (v < col.low))
        if col.high is not None:
            out_of_range |= ok & ((v >= col.high) if col.high_open else (v > col.high))
        ctx.add(np.flatnonzero(out_of_range), col.name, col.range_rule(), s)
        return out
    if col.kind == "bool":
        out = _as_bool(s)
        bad = ~missing & out.isna().to_numpy()
        ctx.add(np.flatnonzero(bad), col.name, "must be true or false (also accepted: yes/no, 1/0)", s)
        return out.where(~missing, col.default).astype(bool)
    if col.kind == "date":
        out = _as_date(s, date_format)
        bad = ~missing & out.isna().to_numpy()
        ctx.add(np.flatnonzero(bad), col.name, _date_rule(date_format), s)
        return out
    raise AssertionError(col.kind)


def _parse_table(raw: pd.DataFrame, schema: TableSchema, src: str, line_offset: int | None,
                 warnings: list[str], date_format: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    # a known column written in another case (ON_DEMAND, Premium_Rate) is that column: read it, and say so
    present = set(raw.columns)
    renames = {}
    for c in raw.columns:
        lower = c.lower()
        if c != lower and lower not in present and (lower in schema.names or lower.startswith(BETA_PREFIX)):
            renames[c] = lower
    if renames and len(set(renames.values())) == len(renames):
        raw = raw.rename(columns=renames)
        warnings.append(f"{src} [{schema.name}]: column names are lower case; read "
                        + ", ".join(f"'{a}' as '{b}'" for a, b in renames.items()))
    keys = _as_text(raw[schema.key]).rename(schema.key) if schema.key in raw.columns else None
    ctx = _Ctx(src, schema.name, line_offset, keys)
    ctx.schema_names = set(schema.names)
    if len(raw) == 0 and schema.name in TABLES:
        ctx.table_problem(f"has no rows; a portfolio needs at least one {schema.name[:-1]}")
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    for col in schema.columns:
        out[col.name] = _parse_column(raw, col, ctx, date_format)
    # betas
    betas = [c for c in raw.columns if c.startswith(BETA_PREFIX)]
    if betas and not schema.allows_betas:
        ctx.table_problem(f"factor loadings ({', '.join(betas)}) belong in exporters or importers, not {schema.name}")
    elif betas:
        for c in betas:
            name = c[len(BETA_PREFIX):]
            if not _BETA_NAME.fullmatch(name):
                ctx.table_problem("factor loading columns are named beta_<factor>, <factor> in lower case "
                                  "letters, digits and _", c)
                continue
            s = raw[c].reset_index(drop=True)
            miss = _missing(s)
            v = _as_number(s)
            ctx.add(np.flatnonzero(~miss & v.isna().to_numpy()), c, "must be a finite number (or empty)", s)
            ctx.add(np.flatnonzero(v.abs().to_numpy() >= 1), c, "a loading must lie in (-1, 1)", s)
            out[c] = v
        cols = [c for c in betas if c in out.columns]
        if cols:
            ss = (out[cols].fillna(0.0) ** 2).sum(axis=1).to_numpy()
            ctx.add(np.flatnonzero(ss >= 1.0), ", ".join(cols),
                    "the sum of squared loadings must be < 1 (it is the systematic share of variance); "
                    "scale the loadings down")
    # the user's own columns are kept: they can segment results later
    known = set(schema.names)
    for c in raw.columns:
        if c in known or c.startswith(BETA_PREFIX):
            continue
        near = difflib.get_close_matches(c, list(known), n=1, cutoff=0.8)
        if near and near[0] not in raw.columns:
            warnings.append(f"{src} [{schema.name}]: column '{c}' is not a riskmodel column and is kept as data; "
                            f"did you mean '{near[0]}'?")
        out[c] = raw[c].to_numpy()
    # unique key
    if schema.key in raw.columns and schema.unique_key:
        k = out[schema.key]
        dup = k.notna() & k.duplicated(keep=False)
        ctx.add(np.flatnonzero(dup.to_numpy()), schema.key, f"{schema.key} must be unique; this id appears more than once")
    return out, ctx.problems


# ------------------------------------------------------------------ rules across columns and tables


def _rating_rules(df: pd.DataFrame, ctx: _Ctx, ref: ReferenceData):
    grades = list(ref.master_scale.index)
    has_rating = df["rating"].notna().to_numpy()
    bad = has_rating & ~df["rating"].isin(grades).to_numpy()
    ctx.add(np.flatnonzero(bad), "rating", f"must be a grade of the master scale ({', '.join(grades)})",
            df["rating"])
    neither = ~has_rating & df["pd"].isna().to_numpy()
    ctx.add(np.flatnonzero(neither), "rating, pd", "give a rating or a pd (a pd overrides the rating)")


def _build(raws: dict, reference: ReferenceData, file_hashes: dict, date_format: str | None = None) -> Portfolio:
    problems: list[Problem] = []
    warnings: list[str] = []
    typed: dict[str, pd.DataFrame] = {}
    ctxs: dict[str, _Ctx] = {}
    for name, schema in ALL_TABLES.items():
        if name not in raws:
            continue
        raw, src, offset = raws[name]
        if not isinstance(raw, pd.DataFrame):
            problems.append(Problem(src, name, f"expected a pandas DataFrame, got {type(raw).__name__}"))
            continue
        df, pr = _parse_table(raw.copy(), schema, src, offset, warnings, date_format)
        problems += pr
        typed[name] = df
        keys = df[schema.key] if schema.key in df.columns else None
        ctxs[name] = _Ctx(src, name, offset, keys)
    # a missing id column would fail every rule across tables on every row (400 problems for one missing
    # exporter_id): report the tables' own problems alone
    ids = {(t, c.name) for t, sch in ALL_TABLES.items() for c in sch.columns if c.kind == "id"}
    if any(p.rule.startswith("required column is missing") and (p.table, p.column) in ids for p in problems):
        raise_if(problems, "portfolio")

    if "exporters" in typed:
        _rating_rules(typed["exporters"], ctxs["exporters"], reference)
    if "importers" in typed:
        imp, ctx = typed["importers"], ctxs["importers"]
        _rating_rules(imp, ctx, reference)
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
        _contract_rules(cov, ctx)
        _schedule_rules(cov, ctx, typed.get("schedules"), ctxs.get("schedules"))
    for c in ctxs.values():
        problems += c.problems
    raise_if(problems, "portfolio")
    sources = {name: raws[name][1] for name in raws}
    schedules = typed.get("schedules")
    if schedules is None:
        schedules = empty_input(SCHEDULES)
    return Portfolio(typed["exporters"], typed["importers"], typed["covers"], reference, sources,
                     file_hashes, warnings, schedules, date_format)


def _contract_rules(cov: pd.DataFrame, ctx: _Ctx):
    """Covers of one contract share its exporter and its buyer."""
    has = cov["contract_id"].notna()
    if not has.any():
        return
    for col in ("exporter_id", "importer_id"):
        first = cov[has].groupby("contract_id")[col].transform("first")
        bad = np.zeros(len(cov), dtype=bool)
        bad[has.to_numpy()] = (cov.loc[has, col] != first).to_numpy()
        for i in np.flatnonzero(bad):
            k = cov["contract_id"].iat[i]
            ctx.add([i], col, f"covers of contract {k!r} must share one {col}; the contract's first cover has "
                              f"{first.loc[i]!r}", cov[col])


def _schedule_rules(cov: pd.DataFrame, cctx: _Ctx, sch: pd.DataFrame | None, sctx: _Ctx | None):
    """Milestone rows belong to milestone covers, lie inside the cover, and give one outstanding each."""
    is_ms = (cov["schedule"] == "milestones").to_numpy()
    if sch is None:
        cctx.add(np.flatnonzero(is_ms), "schedule", "schedule is milestones but there is no schedules table; "
                 "add schedules.csv with cover_id, date and outstanding (or outstanding_share)")
        return
    both = sch["outstanding"].notna() & sch["outstanding_share"].notna()
    neither = sch["outstanding"].isna() & sch["outstanding_share"].isna()
    sctx.add(np.flatnonzero(both.to_numpy()), "outstanding, outstanding_share",
             "give outstanding (an amount) or outstanding_share (a share of the amount), not both")
    sctx.add(np.flatnonzero(neither.to_numpy()), "outstanding, outstanding_share",
             "give outstanding (an amount) or outstanding_share (a share of the amount)")
    by_id = cov.drop_duplicates("cover_id").set_index("cover_id")
    known = sch["cover_id"].isin(by_id.index).to_numpy()
    sctx.add(np.flatnonzero(sch["cover_id"].notna().to_numpy() & ~known), "cover_id",
             "must be a cover_id present in covers", sch["cover_id"])
    if known.any():  # the rows of known covers, against their cover
        cid = sch["cover_id"].where(known)
        kind = cid.map(by_id["schedule"])
        wrong = known & (kind != "milestones").to_numpy()
        sctx.add(np.flatnonzero(wrong), "cover_id", "this cover's schedule is not milestones; set schedule = "
                 "milestones in covers or remove its rows", sch["cover_id"])
        # the cover's own problems (a bad date or amount) are reported with covers: check only what is known
        start = pd.to_datetime(cid.map(by_id["start"]), errors="coerce")
        end = pd.to_datetime(cid.map(by_id["end"]), errors="coerce")
        dated = sch["date"].notna().to_numpy() & start.notna().to_numpy() & end.notna().to_numpy()
        outside = known & dated & ~((sch["date"] >= start) & (sch["date"] < end)).to_numpy()
        for i in np.flatnonzero(outside):
            sctx.add([i], "date", f"a milestone must lie in [start, end) of its cover "
                     f"({start.iat[i]:%Y-%m-%d} to {end.iat[i]:%Y-%m-%d})", sch["date"].dt.strftime("%Y-%m-%d"))
        over = known & (sch["outstanding"] > pd.to_numeric(cid.map(by_id["amount"]), errors="coerce")).to_numpy()
        sctx.add(np.flatnonzero(over), "outstanding", "outstanding must not exceed the cover's amount",
                 sch["outstanding"])
    dup = sch["cover_id"].notna() & sch["date"].notna() & sch.duplicated(["cover_id", "date"], keep=False)
    sctx.add(np.flatnonzero(dup.to_numpy()), "date", "one row per cover and date; this date appears twice",
             sch["date"].dt.strftime("%Y-%m-%d"))
    without = is_ms & ~cov["cover_id"].isin(sch["cover_id"]).to_numpy()
    cctx.add(np.flatnonzero(without), "schedule", "schedule is milestones but schedules has no row for this "
             "cover; add its milestones or set schedule = bullet or linear")


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
            raw = _read_one(f, table, hashes, problems)
            if raw is not None:
                new[table] = raw
    raise_if(problems, "new covers")
    # each new table on its own first: its own rows and lines
    warnings: list[str] = []
    for table, (df, src, offset) in new.items():
        _, pr = _parse_table(df.copy(), ALL_TABLES[table], src, offset, warnings, base.date_format)
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
    ids = [str(x) for x in _as_text(new["covers"][0]["cover_id"]).dropna()] if "cover_id" in new["covers"][0] else []
    return out, ids

