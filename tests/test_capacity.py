"""Capacity: a root search on common random numbers, monotone in the budget, reproducible, with its error."""
import numpy as np
import pytest

import riskmodel as rm
from riskmodel.analysis.capacity import capacity

from conftest import SAMPLE, k_se


@pytest.fixture(scope="module")
def pf():
    return rm.load_portfolio(SAMPLE)


def test_scaling_the_whole_book_has_the_exact_capacity(pf):
    """With every cover 'new', L(s) = s L: EC scales with s, so the capacity is budget / EC(L)."""
    ec = rm.simulate(pf, n_sims=4000, seed=3, method="plain").ec(0.999).value
    res = capacity(pf, budget=1.7 * ec, new_cover_ids=pf.covers["cover_id"], n_sims=4000, seed=3, method="plain")
    row = res.table.iloc[0]
    assert row.scale == pytest.approx(1.7, rel=1e-12)
    assert 0 < row.scale_se < np.inf and row.scale_ci_low < 1.7 < row.scale_ci_high


def test_capacity_grows_with_the_budget_and_repeats_exactly(pf):
    kw = dict(segment={"product": "warranty"}, n_sims=5000, seed=4)
    runs = [capacity(pf, budget=b, **kw).table.iloc[0] for b in (1.2e11, 1.5e11, 2.0e11)]
    scales = [r.scale for r in runs]
    assert scales[0] < scales[1] < scales[2]
    again = capacity(pf, budget=1.5e11, **kw).table.iloc[0]
    assert again.scale == runs[1].scale and again.scale_se == runs[1].scale_se
    assert runs[1].measure_at_capacity == pytest.approx(1.5e11, rel=1e-9)


def test_exhaustion_probability_at_capacity_equals_the_limit(pf):
    res = capacity(pf, budget=2e11, segment={"product": "performance"}, measure="exhaustion", limit=0.01,
                   n_sims=5000, seed=5, method="plain")
    row = res.table.iloc[0]
    r = rm.simulate(pf, n_sims=5000, seed=5, method="plain",
                    cover_segment=lambda live: (live["product"] == "performance").to_numpy().astype(np.int64),
                    n_segments=2)
    x = r.total_loss + row.scale * r.segment_losses[:, 1]
    assert np.mean(x > 2e11 * (1 + 1e-9)) <= 0.01 <= np.mean(x >= 2e11 * (1 - 1e-6))


def test_bad_capacity_requests_are_input_errors(pf):
    with pytest.raises(rm.InputError, match="not a column of covers"):
        capacity(pf, budget=1e11, segment={"prodct": "warranty"}, n_sims=200)
    with pytest.raises(rm.InputError, match="budget must be > 0"):
        capacity(pf, budget=-1.0, segment={"product": "warranty"}, n_sims=200)
    with pytest.raises(rm.InputError, match="probability limit"):
        capacity(pf, budget=1e11, segment={"product": "warranty"}, measure="exhaustion", n_sims=200)


def test_capacity_cli_adds_new_covers(tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from riskmodel.cli import cli

    new = tmp_path / "new"
    new.mkdir()
    c = pd.read_csv(SAMPLE / "covers.csv").head(3).assign(cover_id=["N1", "N2", "N3"], contract_id="KNEW")
    c.to_csv(new / "covers.csv", index=False)
    r = CliRunner().invoke(cli, ["capacity", "--budget", "2e11", "--add", str(new), "--sims", "3000", "--quiet",
                                 "--json", "--method", "plain"])
    assert r.exit_code == 0, r.output
    assert '"scale"' in r.output
    c.loc[1, "exporter_id"] = "NOBODY"
    c.to_csv(new / "covers.csv", index=False)
    r = CliRunner().invoke(cli, ["capacity", "--budget", "2e11", "--add", str(new), "--sims", "300", "--quiet"])
    assert r.exit_code == 2 and "NOBODY" in r.output and "must be an exporter_id present in exporters" in r.output


def test_new_covers_problems_name_the_new_file_row_and_line(pf, tmp_path):
    import pandas as pd

    from riskmodel.inputs.portfolio import extend_portfolio

    new = tmp_path / "new"
    new.mkdir()
    c = pd.read_csv(SAMPLE / "covers.csv").head(3).assign(cover_id=["N1", "N2", "N3"], contract_id="KNEW")
    c.loc[1, "exporter_id"] = "NOBODY"
    c.loc[2, "cover_id"] = pf.covers["cover_id"].iloc[0]  # clashes with the book
    c.to_csv(new / "covers.csv", index=False)
    with pytest.raises(rm.InputError) as exc:
        extend_portfolio(pf, new)
    probs = exc.value.problems
    fk = [p for p in probs if p.column == "exporter_id" and "present in exporters" in p.rule]
    assert [(p.source, p.row, p.line, p.value) for p in fk] == [(str(new / "covers.csv"), 2, 3, "NOBODY")]
    dup = [p for p in probs if p.column == "cover_id" and "unique" in p.rule]
    assert any(p.row == 3 and p.line == 4 for p in dup)


def test_options_that_do_not_apply_are_refused(pf):
    with pytest.raises(rm.InputError) as exc:
        capacity(pf, budget=1e11, segment={"product": "warranty"}, measure="ec", limit=0.01, level=1.5, n_sims=200)
    rules = sorted(p.rule for p in exc.value.problems)
    assert len(rules) == 2
    assert rules[0].startswith("--limit applies to --measure exhaustion only")
    assert rules[1].startswith("a confidence level must lie in (0, 1)")
    with pytest.raises(rm.InputError, match="sets its level as 1 - limit"):
        capacity(pf, budget=1e11, segment={"product": "warranty"}, measure="exhaustion", limit=0.01, level=0.99,
                 n_sims=200)


def test_capacity_interval_inverts_the_measures_interval(pf):
    """The interval is the scales whose EC interval holds the budget: at its ends the EC's upper and lower
    bounds meet the budget; a run ten times longer lands inside four of its standard errors."""
    from riskmodel.analysis.estimators import LossSample

    kw = dict(budget=2e11, segment={"product": "performance"}, measure="ec", method="importance")
    res = capacity(pf, n_sims=8000, seed=11, **kw)
    row = res.table.iloc[0]
    assert row.scale_ci_low < row.scale < row.scale_ci_high
    r = rm.simulate(pf, n_sims=8000, seed=11, method="importance",
                    cover_segment=lambda live: (live["product"] == "performance").to_numpy().astype(np.int64),
                    n_segments=2)

    def ec(s):
        return LossSample(r.total_loss + s * r.segment_losses[:, 1], r.weights, 0.95, r.strata).ec(0.999)

    assert ec(row.scale_ci_low).ci_high == pytest.approx(2e11, rel=1e-9)
    assert ec(row.scale_ci_high).ci_low == pytest.approx(2e11, rel=1e-9)
    long = capacity(pf, n_sims=80_000, seed=12, **kw).table.iloc[0]
    assert abs(long.scale - row.scale) <= k_se() * row.scale_se
