"""The scenario library: every file documented, loadable, runnable; stresses order capital sanely; stacking."""
from pathlib import Path

import numpy as np
import pytest

import riskmodel as rm
from riskmodel.inputs.scenario import BASELINE, changes, scenario_delta, stack

from conftest import K_SE, REPO, k_se

LIBRARY = sorted((REPO / "scenarios").glob("*.toml"))
STRESSES = [p for p in LIBRARY if p.name != "baseline.toml"]
SHARING = [p for p in STRESSES if "[[risk_transfer]]" in p.read_text()]  # who bears the losses, not a stress
SIMS = 8000


def test_the_library_has_the_scenarios_the_programme_needs():
    names = {p.stem for p in LIBRARY}
    assert {"baseline", "regional_conflict", "sanctions_buyer", "sovereign_crisis", "sme_distress",
            "krw_fx_shock", "unfair_calls", "severe_combined", "risk_sharing"} <= names


@pytest.mark.parametrize("path", STRESSES, ids=lambda p: p.stem)
def test_every_file_is_documented_and_extends_the_baseline(path):
    text = path.read_text()
    head = text.split("\nextends", 1)[0]
    comment = [ln for ln in head.splitlines() if ln.startswith("#")]
    assert len(comment) >= 8, "a comment block: narrative, sources, what it stresses"
    assert "Narrative" in head and "Sources" in head and "Stresses" in head
    assert "extends" in text
    sc = rm.load_scenario(path)
    assert sc.name == path.stem
    assert changes(scenario_delta(path)[0]) != {}  # it changes something


@pytest.fixture(scope="module")
def runs(sample_portfolio):
    return {p.stem: rm.simulate(sample_portfolio, rm.load_scenario(p), n_sims=SIMS, seed=3) for p in LIBRARY}


def _at_least(a, b):
    """a >= b within K_SE standard errors of the difference (runs share their seed, not their draws)."""
    return a.value >= b.value - k_se() * np.hypot(a.se, b.se)


@pytest.mark.parametrize("name", [p.stem for p in STRESSES if p not in SHARING])
def test_stresses_cost_at_least_the_baseline(runs, name):
    base, r = runs["baseline"], runs[name]
    assert _at_least(r.el(), base.el()), (name, r.el(), base.el())
    for lv in (0.99, 0.999):
        assert _at_least(r.ec(lv), base.ec(lv)), (name, lv, r.ec(lv), base.ec(lv))
        assert _at_least(r.es(lv), base.es(lv)), (name, lv, r.es(lv), base.es(lv))


@pytest.mark.parametrize("path", SHARING, ids=lambda p: p.stem)
def test_risk_sharing_files_change_who_bears_the_losses_not_the_losses(sample_portfolio, runs, path):
    sc = rm.load_scenario(path)
    gross = rm.simulate(sample_portfolio, sc, n_sims=SIMS, seed=3, perspective="gross")
    assert np.array_equal(gross.total_loss, runs["baseline"].total_loss)  # the same book, the same draws
    net = runs[path.stem]
    assert net.perspective == "net" and (net.total_loss <= gross.total_loss * (1 + 1e-12)).all()
    assert net.el().value < gross.el().value and net.ec(0.999).value < gross.ec(0.999).value


def test_stresses_that_raise_defaults_raise_expected_loss_clearly(runs):
    base = runs["baseline"].el()
    for name in ("regional_conflict", "sme_distress", "krw_fx_shock", "unfair_calls", "severe_combined"):
        e = runs[name].el()
        assert e.value - base.value > K_SE * np.hypot(e.se, base.se), name


def test_the_combined_scenario_costs_more_than_each_of_its_parts(runs):
    top = runs["severe_combined"]
    for part in ("regional_conflict", "sme_distress", "krw_fx_shock", "unfair_calls"):
        for lv in (0.99, 0.999):
            assert top.ec(lv).value - runs[part].ec(lv).value > K_SE * np.hypot(top.ec(lv).se, runs[part].ec(lv).se)


def test_stacking_multiplies_multipliers_takes_larger_probabilities_and_later_values():
    a = {"pd_multipliers": {"exporter": 2.0, "by_region": {"europe": 1.5}}, "calls": {"rate_multiplier": 2.0},
         "country_events": {"probability": {"SAU": 0.1}, "call_rate_multiplier": 20.0},
         "lgd": {"credit": {"mean": 0.6}}}
    b = {"pd_multipliers": {"exporter": 1.5, "by_region": {"europe": 2.0, "middle_east": 3.0}},
         "calls": {"rate_multiplier": 3.0}, "country_events": {"probability": {"SAU": 0.05, "IRQ": 0.3},
                                                               "call_rate_multiplier": 15.0},
         "lgd": {"credit": {"mean": 0.7}}}
    s = stack(a, b)
    assert s["pd_multipliers"] == {"exporter": 3.0, "by_region": {"europe": 3.0, "middle_east": 3.0}}
    assert s["calls"]["rate_multiplier"] == 6.0
    assert s["country_events"]["probability"] == {"SAU": 0.1, "IRQ": 0.3}
    assert s["country_events"]["call_rate_multiplier"] == 20.0
    assert s["lgd"]["credit"]["mean"] == 0.7
    assert stack(a) == a and stack() == {}


def test_extends_a_list_stacks_and_the_file_overrides(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.toml").write_text(f'name = "{name}"\n'
                                               f"[pd_multipliers]\nexporter = {2.0 if name == 'a' else 3.0}\n")
    (tmp_path / "ab.toml").write_text('extends = ["a.toml", "b.toml"]\nname = "ab"\n[lgd.credit]\nmean = 0.9\n')
    sc = rm.load_scenario(tmp_path / "ab.toml")
    assert sc.pd_multipliers.exporter == 6.0 and sc.lgd.credit.mean == 0.9 and sc.name == "ab"
    assert [Path(s["path"]).name for s in sc.sources if s["sha256"]] == ["a.toml", "b.toml", "ab.toml"]
    (tmp_path / "bad.toml").write_text("extends = [1, 2]\n")
    with pytest.raises(rm.InputError, match="list of file names"):
        rm.load_scenario(tmp_path / "bad.toml")


def test_changes_drop_what_equals_the_baseline():
    assert changes(BASELINE) == {}
    assert changes({"calls": {"rate_multiplier": 2.0, "enabled": True}}) == {"calls": {"rate_multiplier": 2.0}}
