"""Benchmark portfolios, built through the public API.

- ``one_factor``: a one-factor Gaussian copula, defaults only (one
  performance guarantee per exporter, called on default, fixed LGD), PDs and
  exposures spread over ranges; what an analyst would simulate by hand.
- ``credit``: importers with one receivables (credit) cover each, PDs spread
  continuously, ``PD_k = 0.01 (1 + sin(16 pi k / N))``, loading 0.3 on the
  global factor: the shape a new user tried first, and one that defeats
  grouping by equal thresholds (every candidate is thinned).
- ``lkn``: the 1,000-obligor, 10-factor portfolio of Glasserman and Li (2005)
  in the version of Li, Kaplan and Nakayama (2023): obligor k has
  PD 0.01 (1 + sin(16 pi k / N)) and a loss on default uniform on
  [0, 2 ceil(5k / N)^2], loadings from ``lkn2023_loadings_1000x10.txt``
  (doi 10.1287/ijoc.2021.0261, MIT licence, Copyright (c) 2023 Yajuan Li).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import riskmodel as rm

LKN_LOADINGS = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "lkn2023_loadings_1000x10.txt"


def _frames(pd_, loadings: dict[str, np.ndarray], amount):
    n = len(pd_)
    ids = [f"E{i:07d}" for i in range(n)]
    exporters = pd.DataFrame({"exporter_id": ids, "pd": pd_, **{f"beta_{k}": v for k, v in loadings.items()}})
    importers = pd.DataFrame({"importer_id": ["I0"], "country": ["POL"], "kind": ["private"], "pd": [0.0]})
    covers = pd.DataFrame({
        "cover_id": [f"C{i:07d}" for i in range(n)], "exporter_id": ids, "importer_id": "I0",
        "product": "performance", "amount": np.asarray(amount, dtype=float), "currency": "KRW",
        "insured_share": 1.0, "start": "2026-01-01", "end": "2029-01-01",
    })
    return exporters, importers, covers


def defaults_only_scenario(lgd_mean=1.0, lgd_sd=0.0, **simulation):
    data = {
        "name": "defaults-only",
        "country_events": {"enabled": False},
        "calls": {"given_default": {"performance": 1.0},
                  "rate_without_default": {"bid": 0.0, "advance_payment": 0.0, "performance": 0.0, "warranty": 0.0}},
        "lgd": {"performance": {"mean": lgd_mean, "sd": lgd_sd}, "credit": {"mean": lgd_mean, "sd": lgd_sd}},
        "simulation": simulation,
    }
    return rm.scenario_from_dict(data)


def one_factor_arrays(n: int, mean_pd: float = 0.01):
    """PDs spread over a master-scale-like range around ``mean_pd``, correlation 0.2, exposures 1..10."""
    k = np.arange(n)
    pd_ = mean_pd * np.array([0.25, 0.5, 1.0, 1.5, 1.75])[k % 5]
    beta = np.full(n, np.sqrt(0.2))
    ead = 1.0 + (k * 7919 % 10)
    return pd_, beta, ead


def one_factor(n: int, mean_pd: float = 0.01):
    pd_, beta, ead = one_factor_arrays(n, mean_pd)
    return rm.Portfolio.from_frames(*_frames(pd_, {"global": beta}, ead))


def credit_arrays(n: int):
    """PD 0.01 (1 + sin(16 pi k / N)), k = 1..N, loading 0.3, exposures 1..10."""
    k = np.arange(1, n + 1)
    pd_ = 0.01 * (1 + np.sin(16 * np.pi * k / n))
    beta = np.full(n, 0.3)
    ead = 1.0 + (k * 7919 % 10)
    return pd_, beta, ead


def credit(n: int):
    pd_, beta, ead = credit_arrays(n)
    ids = [f"I{i:07d}" for i in range(n)]
    exporters = pd.DataFrame({"exporter_id": ["E0"], "pd": [0.0]})
    importers = pd.DataFrame({"importer_id": ids, "country": "POL", "kind": "private", "pd": pd_,
                              "beta_global": beta})
    covers = pd.DataFrame({
        "cover_id": [f"C{i:07d}" for i in range(n)], "exporter_id": "E0", "importer_id": ids,
        "product": "credit", "amount": np.asarray(ead, dtype=float), "currency": "KRW",
        "insured_share": 1.0, "start": "2026-01-01", "end": "2029-01-01",
    })
    return rm.Portfolio.from_frames(exporters, importers, covers)


SHAPES = {"guarantees": (one_factor_arrays, one_factor), "credit": (credit_arrays, credit)}


def lkn_arrays(loadings_path: Path | None = None):
    B = np.loadtxt(loadings_path or LKN_LOADINGS)
    n = B.shape[0]
    k = np.arange(1, n + 1)
    pd_ = 0.01 * (1 + np.sin(16 * np.pi * k / n))
    cmax = 2 * np.ceil(5 * k / n) ** 2
    return pd_, B, cmax


def lkn(loadings_path: Path | None = None):
    """The LKN portfolio and its scenario (LGD uniform on [0, 1] of an amount 2 ceil(5k/N)^2)."""
    pd_, B, cmax = lkn_arrays(loadings_path)
    frames = _frames(pd_, {f"f{i}": B[:, i] for i in range(B.shape[1])}, cmax)
    return rm.Portfolio.from_frames(*frames), defaults_only_scenario(lgd_mean=0.5, lgd_sd=np.sqrt(1 / 12))


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM), in MiB.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that across ``exec`` from
    the parent, so a child started by a large process would report the
    parent's peak.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
