"""Reference data: the rating master scale and the country table.

Both ship as illustrative defaults (``riskmodel/data/``; each row names its
source) and can be replaced by the user's own CSV files of the same columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, raise_if

MASTER_SCALE_COLUMNS = ("grade", "pd_1y", "cum_pd_5y", "cum_pd_10y")
COUNTRY_COLUMNS = ("country", "region", "oecd_category")


def _data_path(name: str) -> Path:
    return Path(str(resources.files("riskmodel") / "data" / name))


@dataclass(frozen=True)
class ReferenceData:
    master_scale: pd.DataFrame  # indexed by grade
    countries: pd.DataFrame  # indexed by country (ISO alpha-3)
    sources: dict[str, str]

    def pd_of_grade(self, grades: pd.Series) -> pd.Series:
        return grades.map(self.master_scale["pd_1y"])

    def region_of(self, countries: pd.Series) -> pd.Series:
        return countries.map(self.countries["region"])


def _read_csv(path: Path, table: str, columns: tuple[str, ...]) -> tuple[pd.DataFrame | None, list[Problem]]:
    src = str(path)
    if not path.is_file():
        return None, [Problem(src, table, "file not found; give an existing CSV file")]
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # parser errors carry their own line numbers
        return None, [Problem(src, table, f"cannot be read as CSV: {exc}")]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        return None, [Problem(src, table, f"missing required column(s) {missing}; expected columns {list(columns)}")]
    return df, []


def _numbers(df, src, table, col, low, high, problems, high_open=False):
    vals = pd.to_numeric(df[col].str.strip(), errors="coerce")
    for i in np.flatnonzero(vals.isna() | (vals < low) | ((vals >= high) if high_open else (vals > high))):
        rng = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        problems.append(Problem(src, table, f"must be a number in {rng}", col, int(i) + 1, int(i) + 2,
                                value=df[col].iloc[i]))
    return vals


def load_master_scale(path: str | Path | None = None) -> pd.DataFrame:
    p = Path(path) if path is not None else _data_path("master_scale.csv")
    df, problems = _read_csv(p, "master_scale", MASTER_SCALE_COLUMNS)
    raise_if(problems, "master scale")
    src = str(p)
    out = pd.DataFrame({"grade": df["grade"].str.strip()})
    for col in MASTER_SCALE_COLUMNS[1:]:
        out[col] = _numbers(df, src, "master_scale", col, 0.0, 1.0, problems, high_open=True)
    dup = out["grade"].duplicated(keep="first")
    for i in np.flatnonzero(dup | (out["grade"] == "")):
        problems.append(Problem(src, "master_scale", "grades must be unique and non-empty", "grade", int(i) + 1,
                                int(i) + 2, value=out["grade"].iloc[i]))
    if not problems:
        cum = out[list(MASTER_SCALE_COLUMNS[1:])].to_numpy()
        for i in np.flatnonzero(~(np.diff(cum, axis=1) >= 0).all(axis=1)):
            problems.append(Problem(src, "master_scale", "cumulative PDs must not fall with tenor (1y <= 5y <= 10y)",
                                    None, int(i) + 1, int(i) + 2, key=out["grade"].iloc[i]))
    raise_if(problems, "master scale")
    return out.set_index("grade")


def load_countries(path: str | Path | None = None) -> pd.DataFrame:
    p = Path(path) if path is not None else _data_path("countries.csv")
    df, problems = _read_csv(p, "countries", COUNTRY_COLUMNS)
    raise_if(problems, "country table")
    src = str(p)
    out = pd.DataFrame({"country": df["country"].str.strip(), "region": df["region"].str.strip()})
    cat = _numbers(df, src, "countries", "oecd_category", 0, 7, problems)
    for i in np.flatnonzero(cat.notna() & (cat != cat.round())):
        problems.append(Problem(src, "countries", "must be a whole number 0-7", "oecd_category", int(i) + 1,
                                int(i) + 2, value=df["oecd_category"].iloc[i]))
    for i in np.flatnonzero(~out["country"].str.fullmatch(r"[A-Z]{3}") | out["country"].duplicated()):
        problems.append(Problem(src, "countries", "must be a unique ISO 3166 alpha-3 code (three capitals)",
                                "country", int(i) + 1, int(i) + 2, value=out["country"].iloc[i]))
    for i in np.flatnonzero(out["region"] == ""):
        problems.append(Problem(src, "countries", "must name a region", "region", int(i) + 1, int(i) + 2))
    raise_if(problems, "country table")
    out["oecd_category"] = cat.astype(int)
    if "name" in df.columns:
        out["name"] = df["name"]
    return out.set_index("country")


def load_reference(master_scale: str | Path | None = None, countries: str | Path | None = None) -> ReferenceData:
    ms = load_master_scale(master_scale)
    ct = load_countries(countries)
    return ReferenceData(
        ms,
        ct,
        {
            "master_scale": str(master_scale) if master_scale else "bundled:master_scale.csv",
            "countries": str(countries) if countries else "bundled:countries.csv",
        },
    )
