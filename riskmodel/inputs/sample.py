"""A realistic synthetic portfolio of insured defence-export contracts.

Shape, not data: exposure is concentrated in a few buyer countries (Poland and
the Gulf carry most, as in Korea's recent defence exports) and in a few
exporters (Pareto-distributed sizes); each export contract carries a chain of
guarantees (advance payment, performance, warranty; sometimes a bid bond) and
sometimes an insured receivable. Ratings of SMEs centre on BB/B, giving an
average PD near the 3.7% accident rate of KODIT-guaranteed SMEs.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .portfolio import Portfolio
from .reference import ReferenceData, load_reference

# buyer country -> share of contracts (judgement from public export news, not data)
COUNTRY_WEIGHTS = {
    "POL": 0.28, "SAU": 0.10, "ARE": 0.09, "IDN": 0.07, "PHL": 0.06, "MYS": 0.05, "IND": 0.04,
    "ROU": 0.04, "EGY": 0.04, "TUR": 0.03, "IRQ": 0.03, "NOR": 0.03, "EST": 0.02, "AUS": 0.02,
    "PER": 0.02, "COL": 0.02, "KAZ": 0.02, "VNM": 0.02, "QAT": 0.02,
}
SOVEREIGN_GRADE_BY_CATEGORY = ["AA", "A", "A", "BBB", "BB", "BB", "B", "CCC"]
GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC"]
EXPORTER_GRADES = {"BBB": 0.15, "BB": 0.45, "B": 0.35, "CCC": 0.05}
# product -> (share of contract value, tenor range in years)
CHAIN = {
    "bid": (0.03, (0.25, 0.75)),
    "advance_payment": (0.20, (1.0, 3.0)),
    "performance": (0.10, (1.5, 4.0)),
    "warranty": (0.05, (1.0, 3.0)),
    "credit": (0.30, (0.5, 2.0)),
}
PREMIUM = {"bid": 0.004, "advance_payment": 0.008, "performance": 0.008, "warranty": 0.006, "credit": 0.012}


def sample_frames(n_covers: int = 400, seed: int = 2026, valuation_date: date = date(2026, 12, 31),
                  reference: ReferenceData | None = None) -> dict[str, pd.DataFrame]:
    if n_covers < 1:
        raise ValueError("n_covers must be >= 1")
    ref = reference or load_reference()
    rng = np.random.default_rng(seed)  # one stream, drawn in this order: exporters, importers, contracts
    val = pd.Timestamp(valuation_date)
    exporters, exp_size = _exporters(rng, max(3, n_covers // 6))
    countries = [c for c in COUNTRY_WEIGHTS if c in ref.countries.index]
    importers = _importers(rng, ref, countries, n_covers)
    rows = _covers(rng, exporters["exporter_id"].tolist(), exp_size, importers, countries, val, n_covers)
    covers = pd.DataFrame(rows)
    used_e = set(covers["exporter_id"])
    used_i = set(covers["importer_id"])
    return {
        "exporters": exporters[exporters["exporter_id"].isin(used_e)].reset_index(drop=True),
        "importers": importers[importers["importer_id"].isin(used_i)].reset_index(drop=True),
        "covers": covers,
    }


def sample_portfolio(n_covers: int = 400, seed: int = 2026, **kw) -> Portfolio:
    f = sample_frames(n_covers, seed, **kw)
    return Portfolio.from_frames(f["exporters"], f["importers"], f["covers"], kw.get("reference"))


def write_sample(out, n_covers: int = 400, seed: int = 2026, fmt: str = "csv", **kw):
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    for name, df in sample_frames(n_covers, seed, **kw).items():
        if fmt == "csv":
            df.to_csv(d / f"{name}.csv", index=False)
        else:
            df.to_parquet(d / f"{name}.parquet", index=False)
    return d


def _exporters(rng, n_exp: int) -> tuple[pd.DataFrame, np.ndarray]:
    exp_size = rng.pareto(1.2, n_exp) + 1.0  # a few large exporters
    exporters = pd.DataFrame({
        "exporter_id": [f"E{i + 1:05d}" for i in range(n_exp)],
        "rating": rng.choice(list(EXPORTER_GRADES), n_exp, p=list(EXPORTER_GRADES.values())),
        "sector": rng.choice(["defence", "defence", "defence", "aerospace"], n_exp),
        "size": np.round(exp_size, 3),
    })
    return exporters, exp_size


def _importers(rng, ref: ReferenceData, countries: list[str], n_covers: int) -> pd.DataFrame:
    """A sovereign buyer per country, and state and private ones, more where the book is concentrated."""
    imp_rows = []
    for c in countries:
        cat = int(ref.countries.loc[c, "oecd_category"])
        g = SOVEREIGN_GRADE_BY_CATEGORY[cat]
        n_c = 1 + int(rng.integers(0, 2 + int(6 * COUNTRY_WEIGHTS[c] * max(1, n_covers / 200))))
        for k in range(n_c):
            kind = ["sovereign", "state", "private"][0 if k == 0 else int(rng.choice(3, p=[0.4, 0.35, 0.25]))]
            grade = g if kind != "private" else GRADES[min(GRADES.index(g) + 1, len(GRADES) - 1)]
            imp_rows.append({"importer_id": f"I{c}{k + 1:03d}", "country": c, "kind": kind, "rating": grade})
    return pd.DataFrame(imp_rows)


def _covers(rng, exp_ids: list[str], exp_size: np.ndarray, importers: pd.DataFrame, countries: list[str],
            val: pd.Timestamp, n_covers: int) -> list[dict]:
    """Contracts, each a chain of guarantees (and sometimes a receivable), until there are ``n_covers``."""
    w = np.array([COUNTRY_WEIGHTS[c] for c in countries])
    w /= w.sum()
    by_country = importers.groupby("country")["importer_id"].apply(list).to_dict()
    rows: list[dict] = []
    contract = 0
    p_exp = exp_size / exp_size.sum()
    while len(rows) < n_covers:
        contract += 1
        e = exp_ids[rng.choice(len(exp_ids), p=p_exp)]
        c = countries[rng.choice(len(countries), p=w)]
        imp = by_country[c][rng.integers(len(by_country[c]))]
        value_usd = float(np.exp(rng.normal(np.log(15e6), 1.0)))
        ccy = rng.choice(["USD", "EUR", "KRW"], p=[0.4, 0.4, 0.2] if c in ("POL", "ROU", "EST", "NOR") else [0.7, 0.05, 0.25])
        products = ["advance_payment", "performance", "warranty"]
        if rng.random() < 0.15:
            products = ["bid"] + products
        if rng.random() < 0.25:
            products.append("credit")
        # an in-force book: contracts signed in the last 18 months, a few in the pipeline
        pipeline = "bid" in products
        signed = val + pd.Timedelta(days=int((rng.uniform(0.0, 0.4) if pipeline else -rng.uniform(0.0, 1.5)) * 365.25))
        _contract(rng, rows, f"K{contract:05d}", e, imp, ccy, value_usd, products, signed, val, n_covers)
    return rows


def _contract(rng, rows: list[dict], contract_id: str, e: str, imp: str, ccy: str, value_usd: float,
              products: list[str], signed: pd.Timestamp, val: pd.Timestamp, n_covers: int) -> None:
    """Append a contract's covers to ``rows``, each product on its own window, until ``n_covers``."""
    perf_end = None
    for p in products:
        share, (lo, hi) = CHAIN[p]
        tenor = rng.uniform(lo, hi)
        if p == "bid":
            start = signed - pd.Timedelta(days=int(rng.uniform(0.3, 0.6) * 365.25))
        elif p == "warranty":
            start = perf_end
        elif p == "credit":
            start = signed + pd.Timedelta(days=int(rng.uniform(0.2, 1.0) * 365.25))
        else:
            start = signed
        end = start + pd.Timedelta(days=max(30, int(tenor * 365.25)))
        if end <= val:  # an in-force book holds no expired covers
            end = val + pd.Timedelta(days=int(rng.uniform(0.1, 1.0) * 365.25))
        if p == "performance":
            perf_end = end
        if p == "warranty" and perf_end is None:
            continue
        amount_usd = value_usd * share * rng.uniform(0.7, 1.3)
        amount = amount_usd * 1400.0 / {"USD": 1400.0, "EUR": 1600.0, "KRW": 1.0}[ccy]
        guarantee = p != "credit"
        rows.append({
            "cover_id": f"C{len(rows) + 1:06d}",
            "exporter_id": e,
            "importer_id": imp,
            "product": p,
            "amount": round(amount, 0 if ccy == "KRW" else 2),
            "currency": ccy,
            "insured_share": float(rng.choice([0.8, 0.9, 0.95, 1.0], p=[0.2, 0.3, 0.2, 0.3])),
            "start": start.strftime("%Y-%m-%d"),
            "end": end.strftime("%Y-%m-%d"),
            "on_demand": bool(rng.random() < 0.85) if guarantee else False,
            "premium_rate": PREMIUM[p],
            "collateral_without": 1.0 if guarantee else 0.0,
            "collateral_with": float(np.round(rng.uniform(0.05, 0.3), 2)) if guarantee else 0.0,
            "contract_id": contract_id,
        })
        if len(rows) >= n_covers:
            break

