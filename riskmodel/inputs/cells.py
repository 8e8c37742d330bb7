"""Typing a table's cells by their column's declared kind (id, text, code, choice, number, bool, date), with a
problem naming the row, the line, the key and the value of every cell that breaks its column's rule."""
from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from .errors import Problem
from .schema import BETA_PREFIX, TABLES, Column, TableSchema

_BETA_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def date_format_problems(date_format: str | None) -> list[Problem]:
    rule = check_date_format(date_format)
    return [Problem("--date-format", "options", rule, value=date_format)] if rule else []


class Context:
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


def parse_column(raw: pd.DataFrame, col: Column, ctx: Context, date_format: str | None = None) -> pd.Series:
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


def parse_table(raw: pd.DataFrame, schema: TableSchema, src: str, line_offset: int | None,
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
    ctx = Context(src, schema.name, line_offset, keys)
    ctx.schema_names = set(schema.names)
    if len(raw) == 0 and schema.name in TABLES:
        ctx.table_problem(f"has no rows; a portfolio needs at least one {schema.name[:-1]}")
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    for col in schema.columns:
        out[col.name] = parse_column(raw, col, ctx, date_format)
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


def text_column(s: pd.Series) -> pd.Series:
    """A column's values as text, stripped, missing where empty (how ids are read)."""
    return _as_text(s)
