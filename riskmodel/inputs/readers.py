"""Reading the portfolio's files: CSV, Parquet and Excel workbooks, into raw tables (every cell as read), with
a problem for each file that cannot be read, is not what its name says, or has a title row above its header."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import Problem
from .paths import file_sha256
from .schema import ALL_TABLES, OPTIONAL_TABLES, TABLES


def read_table_file(f: Path, table: str, hashes: dict, problems: list):
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


def read_workbook(p: Path):
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
