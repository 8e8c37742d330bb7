"""Risk transfer in the result: each layer's ceded loss and price, and the loss of every perspective.

The kernels return, beside each simulation's losses in the run's perspective,
its gross total and what each layer ceded (``Run.transfer``), so one run
gives the gross, ceded and net totals (net = gross - ceded) and with them
every metric of each perspective; figures that need claims by cover
(contributions, pricing, cash flows) are the run's perspective's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.schema import TRANSFER_SCHEMA, conform
from ..inputs.transfer import PERSPECTIVES
from .estimators import LossSample


def perspective_loss(result, perspective: str) -> np.ndarray:
    """Each simulation's total loss from ``perspective``; the run's own perspective is its loss as recorded."""
    if perspective not in PERSPECTIVES:
        raise ValueError(f"perspective must be one of {', '.join(PERSPECTIVES)}, got {perspective!r}")
    if perspective == result.perspective:
        return result.total_loss
    t = result.transfer_losses
    if t is None:
        if perspective == "ceded":
            raise ValueError("this run has no [[risk_transfer]] layers: nothing is ceded; ask for 'gross' or 'net'")
        return result.total_loss  # no layers: gross and net are the same losses
    gross = t[:, 0]
    if perspective == "gross":
        return gross
    ceded = t[:, 1:].sum(axis=1)
    return ceded if perspective == "ceded" else np.maximum(gross - ceded, 0.0)


def perspective_el(result, perspective: str):
    """Expected loss (an ``Estimate``) from ``perspective``: the mean alone, not the whole metrics table."""
    sc = result.scenario
    return LossSample(perspective_loss(result, perspective), result.weights, sc.simulation.ci_level, result.cells,
                      result.run_info.get("weight_bound")).mean()


def layers_table(result) -> pd.DataFrame:
    """One row per layer: its terms, ceded expected loss, the probability it pays, its premium, with errors."""
    sc = result.scenario
    t = result.transfer_losses
    rows = []
    for i, layer in enumerate(sc.risk_transfer):
        s = LossSample(t[:, 1 + i], result.weights, sc.simulation.ci_level, result.cells,
                       result.run_info.get("weight_bound"))
        el = s.mean()
        hit = s.prob_exceed(0.0)
        priced_on_el = layer.premium_basis == "ceded_el"
        rows.append({"scenario": sc.name, "layer": i, "name": layer.label, "kind": layer.kind,
                     "retention": _num(layer.retention if layer.attachment is None else layer.attachment),
                     "limit": _num(layer.limit), "share": _num(layer.share),
                     "ceded_el": el.value, "ceded_el_se": el.se, "ci_low": el.ci_low, "ci_high": el.ci_high,
                     "p_pays": hit.value, "p_pays_se": hit.se,
                     "premium": layer.premium(el.value),
                     "premium_se": layer.premium_rate * el.se if priced_on_el else 0.0})
    df = pd.DataFrame(rows, columns=list(TRANSFER_SCHEMA))
    for c in ("retention", "limit", "share"):
        df[c] = pd.array(df[c].tolist(), dtype="Float64")
    return conform(df, TRANSFER_SCHEMA)


def _num(x):
    return None if x is None else float(x)
