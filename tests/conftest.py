"""Shared fixtures (one-factor test portfolios built through the public API) and the suite's error budget.

Statistical checks use a fixed seed, so each outcome is deterministic; what
can be stated is the chance that a *correct* riskmodel would fail somewhere
had the seeds been chosen afresh: the suite's family-wise false-failure rate,
``FAMILY_WISE``. Half of it goes to the checks "within K standard errors of
the truth", of which the suite may make ``K_CHECKS_BUDGET``; K follows from
the two (Bonferroni): each such check fails a correct estimator with
probability ``FAMILY_WISE / 2 / K_CHECKS_BUDGET``. The other half goes to the
tests with rates of their own (coverage counts, goodness-of-fit p-values),
which register them with ``own_rate``. Checks are counted as they run
(``k_se()`` and ``ci_k()`` return K and its confidence level and count one
check each, or ``n``); the session fails when either budget is exceeded, so
adding checks means raising the budget, and with it K.

"Must differ by more than K_SE standard errors" checks test the power of a
comparison; a true effect many standard errors wide fails them only by the
same normal tail, so they use ``K_SE`` without counting.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import riskmodel as rm

FAMILY_WISE = 0.01
K_CHECKS_BUDGET = 600
_PER_K_CHECK = FAMILY_WISE / 2 / K_CHECKS_BUDGET
K_SE = float(stats.norm.isf(_PER_K_CHECK / 2))  # 4.46
CI_K = 1.0 - _PER_K_CHECK  # two-sided confidence level whose normal quantile is K_SE
LEDGER = {"k_checks": 0, "own_rates": []}


def k_se(n: int = 1) -> float:
    """K, counting ``n`` checks "within K standard errors" against the budget."""
    LEDGER["k_checks"] += int(n)
    return K_SE


def ci_k(n: int = 1) -> float:
    """The confidence level matching K, counting ``n`` checks "the truth lies in the interval"."""
    LEDGER["k_checks"] += int(n)
    return CI_K


def own_rate(p: float, what: str, n: int = 1) -> None:
    """Register ``n`` checks that fail a correct riskmodel with probability ``p`` each."""
    LEDGER["own_rates"].append((what, float(p), int(n)))


def family_wise() -> tuple[float, float]:
    """(bound on the rate spent by the checks that ran, the share of it from own-rate checks)."""
    own = sum(p * n for _, p, n in LEDGER["own_rates"])
    return LEDGER["k_checks"] * _PER_K_CHECK + own, own


FUZZ: dict[str, dict[str, int]] = {}  # test_fuzz.py's outcomes by family, printed with the summary


def pytest_terminal_summary(terminalreporter):
    for family, counts in FUZZ.items():
        terminalreporter.write_line(f"fuzz {family}: {sum(counts.values())} cases, "
                                    + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    total, own = family_wise()
    if LEDGER["k_checks"] or own:
        terminalreporter.write_line(
            f"statistical checks: {LEDGER['k_checks']} within K = {K_SE:.2f} standard errors (budget "
            f"{K_CHECKS_BUDGET}), {sum(n for *_, n in LEDGER['own_rates'])} with own rates; family-wise "
            f"false-failure rate <= {total:.4f} (target {FAMILY_WISE})")


def pytest_sessionfinish(session, exitstatus):
    own = family_wise()[1]
    over = []
    if LEDGER["k_checks"] > K_CHECKS_BUDGET:
        over.append(f"{LEDGER['k_checks']} K-checks ran, budget {K_CHECKS_BUDGET}: raise K_CHECKS_BUDGET (and so K)")
    if own > FAMILY_WISE / 2:
        over.append(f"own-rate checks spend {own:.4f}, more than FAMILY_WISE / 2 = {FAMILY_WISE / 2}: tighten "
                    "their thresholds")
    if over:
        print("\nthe suite's error budget is exceeded: " + "; ".join(over))
        session.exitstatus = 1
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
    """The bundled sample as CSV files in ``dest``; ``edit_covers(df)`` may change covers (all text), in place
    or by returning the new table."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in SAMPLE.iterdir():
        (dest / f.name).write_text(f.read_text())
    if edit_covers is not None:
        cov = pd.read_csv(dest / "covers.csv", dtype=str)
        edited = edit_covers(cov)
        cov = cov if edited is None else edited  # changed in place, or a new table returned
        cov.to_csv(dest / "covers.csv", index=False)
    return dest
