"""Concentration of the book: exposure and capital shares, Herfindahl indices, top names, limits.

Capital consumption is each segment's Euler contribution to expected
shortfall at ``[lifetime] capital_level`` (``contributions.py``): tail
shares that add up to one, stable where VaR contributions are noisy.
Exposure is the insured exposure of the live covers (reporting currency).

The Herfindahl index ``H = sum_g s_g^2`` of the shares (``1 / H`` is the
effective number of names). For capital shares its standard error is the
delta method's, ``2 sqrt(sum_g s_g^2 se_g^2)``, which leaves out the
covariance of the shares (they sum to one, so it is negative: conservative).

Limits come as a table ``segment, max_exposure, max_capital_share``; a
segment is ``column=value`` (``country=SAU``, ``exporter=E00012``,
``region=middle_east``) or ``column=*`` (every value of that column).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..inputs.errors import InputError, Problem
from ..inputs.schema import CONCENTRATION_SCHEMA, CONTRIBUTIONS_SCHEMA, HERFINDAHL_SCHEMA, LIMITS_SCHEMA, conform
from ..model.segments import ALIASES, cover_attributes, resolve, segment_codes
from .contributions import capital_shares
from .labels import MONEY, by_error, kind, label

DIMENSIONS = ("exporter", "importer", "country", "region")


@dataclass
class Concentration:
    shares: pd.DataFrame  # every segment of every dimension: exposure and capital, shares, errors
    herfindahl: pd.DataFrame  # per dimension: exposure and capital Herfindahl, effective numbers
    top: pd.DataFrame  # the top names by exposure and by capital, per dimension
    limits: pd.DataFrame  # limit checks (empty without a limits table)
    unit: tuple[float, str] = (1.0, "")  # scale and name of the amounts in summary()

    @property
    def breaches(self) -> pd.DataFrame:
        return self.limits[self.limits["exposure_breach"] | self.limits["capital_breach"]]

    def summary(self) -> str:
        unit_scale, unit = self.unit
        lines = ["concentration (capital = Euler contribution to ES at the capital level)", "",
                 f"{'dimension':<10}{'segments':>9}{'HHI exposure':>14}{'eff. n':>8}{'HHI capital':>13}"
                 f"{'std err':>9}{'eff. n':>8}"]
        for r in self.herfindahl.itertuples():
            lines.append(f"{r.dimension:<10}{r.n_segments:>9}{r.hhi_exposure:>14.4f}{r.effective_n_exposure:>8.1f}"
                         f"{r.hhi_capital:>13.4f}{r.hhi_capital_se:>9.4f}{r.effective_n_capital:>8.1f}")
        for dim in self.top["dimension"].unique():
            t = self.top[self.top["dimension"] == dim]
            for rank_by in ("exposure", "capital"):
                s = t[t["ranked_by"] == rank_by]
                plural = {"country": "countries"}.get(dim, f"{dim}s")
                lines += ["", f"top {plural} by {rank_by}: " + ", ".join(
                    f"{r.segment} {100 * getattr(r, f'{rank_by}_share'):.1f}%" for r in s.itertuples())]
        if len(self.limits):
            b = self.breaches
            lines += ["", f"limits: {len(self.limits)} checked, {len(b)} breached"]
            for r in b.itertuples():
                what = []
                if r.exposure_breach:
                    what.append(f"exposure {r.exposure / unit_scale:,.1f} {unit} > {r.max_exposure / unit_scale:,.1f}")
                if r.capital_breach:
                    what.append(f"capital share {100 * r.capital_share:.1f}% (se {100 * r.capital_share_se:.1f}) > "
                                f"{100 * r.max_capital_share:.1f}%")
                lines.append(f"  {r.dimension}={r.segment}: " + "; ".join(what))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        def table(df):  # labels in words, money in the unit, figures to the digits their errors support
            d = df.drop(columns=["scenario"], errors="ignore").copy()
            for c in d.columns:
                if kind(c) == MONEY:
                    d[c] = d[c] / self.unit[0]
            d = by_error(d).rename(columns={c: label(c, self.unit[1]) for c in d.columns})
            return d.to_html(index=False, float_format=lambda v: f"{v:,.4g}")

        out = "<p><b>Concentration</b> (capital = Euler contribution to ES at the capital level)</p>"
        out += table(self.herfindahl)
        if len(self.limits):
            out += f"<p>limits: {len(self.limits)} checked, {len(self.breaches)} breached</p>"
            out += table(self.breaches)
        return out


def concentration_table(result, limits=None, top: int = 10, level: float | None = None,
                        dimensions=DIMENSIONS) -> Concentration:
    level = result.scenario.lifetime.capital_level if level is None else float(level)
    lim = None if limits is None else (limits if isinstance(limits, pd.DataFrame) and "_parsed" in limits.attrs
                                       else load_limits(limits))
    attrs = cover_attributes(result.model.covers, result.portfolio)
    dims = list(dict.fromkeys([*dimensions, *([] if lim is None else lim["dimension"].unique())]))
    frames, hhi = [], []
    total_exp = float(result.model.arrays.cv_ead.sum())
    for dim in dims:
        c = result.contributions(by=dim, measure="es", level=level)
        _, codes, labels = segment_codes(attrs, dim)
        share, share_se, h_cap, h_cap_se = capital_shares(result, codes, len(labels), level)
        d = pd.DataFrame({"dimension": dim, "segment": c["segment"], "exposure": c["exposure"],
                          "exposure_share": c["exposure"] / total_exp if total_exp > 0 else 0.0,
                          "capital": c["value"], "capital_se": c["se"], "capital_share": c["share"],
                          "capital_share_se": share_se})
        frames.append(d)
        h_exp = float((d["exposure_share"] ** 2).sum())
        hhi.append({"dimension": dim, "n_segments": len(d), "hhi_exposure": h_exp,
                    "effective_n_exposure": 1 / h_exp if h_exp > 0 else 0.0, "hhi_capital": h_cap,
                    "hhi_capital_se": h_cap_se, "effective_n_capital": 1 / h_cap if h_cap > 0 else 0.0})
    shares = conform(pd.concat(frames, ignore_index=True).assign(scenario=result.scenario.name,
                                                              perspective=result.perspective, level=level),
                     CONCENTRATION_SCHEMA)
    tops = []
    for dim in dimensions:
        d = shares[shares["dimension"] == dim]
        for rank_by in ("exposure", "capital"):
            t = d.sort_values([rank_by, "segment"], ascending=[False, True]).head(top).copy()
            t.insert(3, "ranked_by", rank_by)
            t.insert(4, "rank", np.arange(1, len(t) + 1))
            tops.append(t)
    top_df = pd.concat(tops, ignore_index=True)
    limits_df = _check(shares, lim, attrs) if lim is not None else _check(shares, _empty_limits(), attrs)
    return Concentration(shares, conform(pd.DataFrame(hhi).assign(scenario=result.scenario.name,
                                                                      perspective=result.perspective),
                                         HERFINDAHL_SCHEMA), top_df, limits_df, result.money_unit())


def run_tables(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who consumes the capital, as ``run --out`` writes it: the Euler contributions to ES at the capital level
    by exporter, importer, country and region (``capital_by_segment.parquet``, the contributions table's
    columns) and the Herfindahl indices (``capital_concentration.csv``); one tail replay serves both."""
    level = result.scenario.lifetime.capital_level
    hhi = concentration_table(result, top=0, level=level).herfindahl
    by_segment = pd.concat([result.contributions(by=d, measure="es", level=level) for d in DIMENSIONS],
                           ignore_index=True)
    return conform(by_segment, CONTRIBUTIONS_SCHEMA), hhi


def _empty_limits() -> pd.DataFrame:
    return pd.DataFrame({"dimension": pd.Series(dtype=object), "value": pd.Series(dtype=object),
                         "max_exposure": pd.Series(dtype=float), "max_capital_share": pd.Series(dtype=float),
                         "row": pd.Series(dtype=np.int64)})


def _check(shares: pd.DataFrame, lim: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in lim.itertuples():
        d = shares[shares["dimension"] == r.dimension]
        hit = d if r.value == "*" else d[d["segment"] == r.value]
        if hit.empty:  # a limit on a name the book does not hold: nothing used
            hit = pd.DataFrame({"segment": [r.value], "exposure": [0.0], "exposure_share": [0.0],
                                "capital_share": [0.0], "capital_share_se": [0.0]})
        for h in hit.itertuples():
            rows.append({"limit_row": r.row, "dimension": r.dimension, "segment": h.segment, "exposure": h.exposure,
                         "max_exposure": r.max_exposure, "capital_share": h.capital_share,
                         "capital_share_se": h.capital_share_se, "max_capital_share": r.max_capital_share})
    df = pd.DataFrame(rows, columns=["limit_row", "dimension", "segment", "exposure", "max_exposure",
                                     "capital_share", "capital_share_se", "max_capital_share"])
    num = ["exposure", "max_exposure", "capital_share", "capital_share_se", "max_capital_share"]
    df[num] = df[num].astype(float)
    with np.errstate(invalid="ignore"):
        df["exposure_breach"] = (df["exposure"] > df["max_exposure"]).fillna(False).astype(bool)
        df["capital_breach"] = (df["capital_share"] > df["max_capital_share"]).fillna(False).astype(bool)
    # how sure: the capital share's distance above (or below) its limit in standard errors
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = ((df["capital_share"] - df["max_capital_share"]) / df["capital_share_se"]).to_numpy()
    df["capital_breach_z"] = pd.array(np.where(np.isfinite(gap), gap, np.nan), dtype="Float64")
    df["max_exposure"] = pd.array(df["max_exposure"], dtype="Float64")
    df["max_capital_share"] = pd.array(df["max_capital_share"], dtype="Float64")
    return conform(df, LIMITS_SCHEMA)


LIMIT_COLUMNS = ("segment", "max_exposure", "max_capital_share")


def load_limits(source) -> pd.DataFrame:
    """A limits table (path to CSV/Parquet, or a DataFrame) checked row by row; every problem at once."""
    if isinstance(source, pd.DataFrame):
        raw, src, offset = source.astype(object), "<limits DataFrame>", 0
    else:
        p = Path(source)
        src = str(p)
        if not p.is_file():
            raise InputError([Problem(src, "limits", "file not found; give a CSV with columns segment, "
                                                     "max_exposure, max_capital_share")], "limits")
        try:
            raw = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype=str, keep_default_na=False)
        except Exception as exc:
            raise InputError([Problem(src, "limits", f"cannot be read: {exc}")], "limits") from None
        offset = 1 if p.suffix != ".parquet" else 0
    problems = []
    missing = [c for c in LIMIT_COLUMNS if c not in raw.columns]
    unknown = [c for c in raw.columns if c not in LIMIT_COLUMNS]
    if missing:
        problems.append(Problem(src, "limits", f"missing column(s) {missing}; expected {list(LIMIT_COLUMNS)}"))
    if unknown:
        problems.append(Problem(src, "limits", f"unknown column(s) {unknown}; expected {list(LIMIT_COLUMNS)}"))
    if problems:
        raise InputError(problems, "limits")
    allowed = sorted(set(ALIASES) | {"country", "region", "product", "sector", "kind", "currency"})
    out = []

    def num(v):
        t = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
        if t == "":
            return None, True
        try:
            return float(t), True
        except ValueError:
            return None, False

    for i, r in enumerate(raw.itertuples(index=False)):
        row, line = i + 1, (i + 1 + offset) if offset else None
        seg = str(r.segment).strip() if r.segment is not None else ""
        if "=" not in seg or not seg.split("=", 1)[1].strip():
            problems.append(Problem(src, "limits", "segment must read column=value (e.g. country=SAU) or "
                                    "column=* for every value", "segment", row, line, value=seg))
            dim = val = None
        else:
            dim, val = (x.strip() for x in seg.split("=", 1))
            if dim not in allowed and resolve(dim) not in allowed:
                problems.append(Problem(src, "limits", f"unknown segment column {dim!r}; expected one of "
                                        f"{', '.join(allowed)}", "segment", row, line, value=seg))
        me, ok = num(r.max_exposure)
        if not ok or (me is not None and not me >= 0):
            problems.append(Problem(src, "limits", "max_exposure must be an amount >= 0 (reporting currency), "
                                    "or blank", "max_exposure", row, line, value=r.max_exposure))
        mc, ok2 = num(r.max_capital_share)
        if not ok2 or (mc is not None and not 0 < mc <= 1):
            problems.append(Problem(src, "limits", "max_capital_share must be a share in (0, 1], or blank",
                                    "max_capital_share", row, line, value=r.max_capital_share))
        if ok and ok2 and me is None and mc is None:
            problems.append(Problem(src, "limits", "give max_exposure, max_capital_share or both",
                                    "max_exposure", row, line))
        out.append({"dimension": dim, "value": val, "max_exposure": me, "max_capital_share": mc, "row": row})
    if problems:
        raise InputError(problems, "limits")
    df = pd.DataFrame(out) if out else _empty_limits()
    df["max_exposure"] = df["max_exposure"].astype(float)
    df["max_capital_share"] = df["max_capital_share"].astype(float)
    df.attrs["_parsed"] = True
    return df
