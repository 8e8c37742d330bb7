"""Scenario files: baseline equals the built-in defaults, inheritance, clear errors, components switch off."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskmodel as rm
from riskmodel.inputs.scenario import BASELINE, Scenario

from conftest import K_SE, REPO, k_se


def test_baseline_file_states_the_builtin_defaults():
    assert rm.load_scenario(REPO / "scenarios" / "baseline.toml").model_dump() == Scenario().model_dump()


def test_extends_chain_overrides_only_named_keys(tmp_path):
    (tmp_path / "mid.toml").write_text('name = "mid"\n[calls.given_default]\nbid = 0.5\n')  # on the baseline
    (tmp_path / "top.toml").write_text('extends = "mid.toml"\nname = "top"\n[copula]\nkind = "student_t"\n')
    sc = rm.load_scenario(tmp_path / "top.toml")
    assert sc.name == "top" and sc.calls.given_default.bid == 0.5 and sc.copula.kind == "student_t"
    assert sc.calls.given_default.performance == BASELINE["calls"]["given_default"]["performance"]
    assert [Path(s["path"]).name for s in sc.sources] == ["mid.toml", "top.toml"]


def test_cycles_unknown_keys_and_bad_toml_are_reported(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(rm.InputError, match="cycle"):
        rm.load_scenario(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('[calls.given_default]\nperformence = 0.5\n[simulation]\nn_sims = "many"\n')
    with pytest.raises(rm.InputError) as exc:
        rm.load_scenario(tmp_path / "c.toml")
    text = exc.value.report()
    assert "did you mean 'performance'" in text and "simulation.n_sims" in text and str(tmp_path / "c.toml") in text
    (tmp_path / "d.toml").write_text("[simulation\n")
    with pytest.raises(rm.InputError, match="not valid TOML"):
        rm.load_scenario(tmp_path / "d.toml")
    with pytest.raises(rm.InputError, match="file not found"):
        rm.load_scenario(tmp_path / "missing.toml")


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.integers(), st.text(max_size=5)),
                    lambda c: st.dictionaries(st.sampled_from(["kind", "mean", "sd", "n_sims", "levels", "enabled",
                                                               "performance", "dof", "x"]), c, max_size=3),
                    max_leaves=6),
       st.sampled_from(["simulation", "copula", "calls", "lgd", "country_events", "factors", "reporting", "bogus"]))
def test_random_scenario_tables_validate_or_fail_clearly(value, table):
    try:
        rm.scenario_from_dict({table: value})
    except rm.InputError as exc:
        assert exc.problems and all(p.table == "scenario" for p in exc.problems)


def test_components_switch_off(sample_portfolio):
    off = rm.scenario_from_dict({"calls": {"enabled": False}, "country_events": {"enabled": False}})
    r = rm.simulate(sample_portfolio, off, n_sims=5000, seed=1)
    assert (r.losses["loss_default_calls"] == 0).all() and (r.losses["loss_solvent_calls"] == 0).all()
    assert (r.losses["n_country_events"] == 0).all() and (r.losses["loss_credit"] > 0).any()


def test_stress_raises_expected_loss(sample_portfolio):
    base = rm.simulate(sample_portfolio, n_sims=20_000, seed=3)
    stress = rm.simulate(sample_portfolio, rm.scenario_from_dict({"pd_multipliers": {"exporter": 2.0}}),
                         n_sims=20_000, seed=3)
    diff = stress.total_loss - base.total_loss  # common random numbers: the difference is precise
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() > K_SE * se


def test_student_t_fattens_the_tail_at_equal_pds(sample_portfolio):
    g = rm.simulate(sample_portfolio, n_sims=50_000, seed=2)
    t = rm.simulate(sample_portfolio, rm.scenario_from_dict({"copula": {"kind": "student_t", "dof": 4}}),
                    n_sims=50_000, seed=2)
    assert abs(g.el().value - t.el().value) < k_se() * np.hypot(g.el().se, t.el().se)  # same marginals
    eg, et = g.es(0.999), t.es(0.999)
    assert et.value - eg.value > K_SE * np.hypot(eg.se, et.se)


def test_sampling_method_and_its_design_are_validated():
    with pytest.raises(rm.InputError) as exc:
        rm.scenario_from_dict({"simulation": {"method": "quasi", "importance": {"defensive": 1.0, "strata": 1,
                                                                                "twisted": 2.0, "levle": 0.99}}})
    text = exc.value.report()
    for key in ("simulation.method", "simulation.importance.defensive", "simulation.importance.strata",
                "simulation.importance.twisted", "did you mean 'level'"):
        assert key in text, key
