"""Shared fixtures: one-factor test portfolios built through the public API.

Statistical checks use a fixed seed and a tolerance of K standard errors of
the estimator. K = 4 makes a false failure of one check about 6e-5 likely
(two-sided normal tail); with a fixed seed each outcome is deterministic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskmodel as rm

K_SE = 4.0
CI_K = 0.99994  # two-sided confidence level whose normal quantile is K_SE
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "riskmodel" / "data" / "sample"
VAL = pd.Timestamp("2026-12-31")  # the baseline scenario's valuation date


def day(y: float) -> str:
    """The ISO date ``y`` years after the valuation date."""
    return (VAL + pd.Timedelta(days=round(y * 365.25))).strftime("%Y-%m-%d")


def one_factor_frames(pd_, beta, units, via: str = "exporter", sector=None):
    """Frames whose only losses come from one obligor type's defaults.

    via='exporter': one performance guarantee per exporter (losses from exporter
    defaults and the calls they trigger); via='importer': one credit cover per
    importer. Each obligor's latent is beta * Z_global + sqrt(1 - beta^2) e.
    ``sector`` (via='exporter'): one label per exporter, to segment the book.
    """
    n = len(pd_)
    ids = [f"O{i:04d}" for i in range(n)]
    if via == "exporter":
        exporters = pd.DataFrame({"exporter_id": ids, "pd": pd_, "beta_global": beta})
        if sector is not None:
            exporters["sector"] = list(sector)
        importers = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
        exp_col, imp_col, product = ids, ["I0"] * n, "performance"
    else:
        exporters = pd.DataFrame({"exporter_id": ["E0"], "pd": [0.0]})
        importers = pd.DataFrame({"importer_id": ids, "country": ["POL"] * n, "kind": ["private"] * n,
                                  "pd": pd_, "beta_global": beta})
        exp_col, imp_col, product = ["E0"] * n, ids, "credit"
    covers = pd.DataFrame({
        "cover_id": [f"C{i:04d}" for i in range(n)], "exporter_id": exp_col, "importer_id": imp_col,
        "product": product, "amount": np.asarray(units, dtype=float), "currency": "KRW", "insured_share": 1.0,
        "start": "2026-01-01", "end": "2029-01-01",
    })
    return exporters, importers, covers


def one_factor_portfolio(pd_, beta, units, via="exporter", sector=None):
    return rm.Portfolio.from_frames(*one_factor_frames(pd_, beta, units, via, sector))


def one_factor_scenario(lgd_mean=1.0, lgd_sd=0.0, copula="gaussian", dof=6.0, **extra):
    data = {
        "name": "one-factor",
        "copula": {"kind": copula, "dof": dof},
        "country_events": {"enabled": False},
        "calls": {"given_default": {"performance": 1.0},
                  "rate_without_default": {"bid": 0.0, "advance_payment": 0.0, "performance": 0.0, "warranty": 0.0}},
        "lgd": {"performance": {"mean": lgd_mean, "sd": lgd_sd}, "credit": {"mean": lgd_mean, "sd": lgd_sd}},
    }
    for k, v in extra.items():
        data[k] = v
    return rm.scenario_from_dict(data)


@pytest.fixture(scope="session")
def sample_portfolio():
    return rm.load_portfolio(SAMPLE)


@pytest.fixture(scope="session")
def baseline():
    return rm.load_scenario()


def copy_sample(dest: Path, edit_covers=None) -> Path:
    """The bundled sample as CSV files in ``dest``; ``edit_covers(df)`` may change covers (all text)."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in SAMPLE.iterdir():
        (dest / f.name).write_text(f.read_text())
    if edit_covers is not None:
        cov = pd.read_csv(dest / "covers.csv", dtype=str)
        edit_covers(cov)
        cov.to_csv(dest / "covers.csv", index=False)
    return dest
