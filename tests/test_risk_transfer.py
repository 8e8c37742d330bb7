"""Risk transfer: each layer against what it must cede, simulation by simulation, and its validation.

Gross and net runs share their draws (same seed): the gross losses of a
simulation, by segment where the layer pools by segment, give exactly what a
layer cedes (rounding aside); the one-cover book gives the ceded EL in closed
form.
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import riskmodel as rm
from riskmodel.inputs.errors import InputError
from riskmodel.inputs.scenario import load_scenario
from riskmodel.model.segments import cover_attributes, segment_codes

from conftest import k_se, one_factor_portfolio, one_factor_scenario

RTOL = 1e-12  # the layers' arithmetic against numpy's: rounding only
N = 4000


def _with_layers(base, layers, **simulation):
    data = base.model_dump(mode="json")
    data["risk_transfer"] = layers
    data["simulation"].update(simulation)
    return rm.scenario_from_dict(data)


def _pair(pf, sc, **kw):
    """The gross and net runs of ``sc`` on common draws."""
    return rm.simulate(pf, sc, perspective="gross", **kw), rm.simulate(pf, sc, **kw)


def _segment_losses(pf, sc, by):
    """Each simulation's gross loss by segment ``by`` of the covers (n x segments)."""
    def codes(covers):
        return segment_codes(cover_attributes(covers, pf), by)[1]
    n_seg = int(codes(rm.simulate(pf, sc, n_sims=100, perspective="gross").model.covers).max()) + 1
    r = rm.simulate(pf, sc, perspective="gross", cover_segment=codes, n_segments=n_seg)
    return r.segment_losses


def _layer(x, retention, limit):
    return np.clip(x - retention, 0.0, limit)


def test_a_40_percent_quota_share_keeps_exactly_60_percent_of_every_loss(sample_portfolio, baseline):
    sc = _with_layers(baseline, [{"kind": "quota_share", "share": 0.4}], n_sims=N)
    gross, net = _pair(sample_portfolio, sc)
    ceded = rm.simulate(sample_portfolio, sc, perspective="ceded")
    assert net.perspective == "net" and gross.total_loss.max() > 0
    np.testing.assert_allclose(net.total_loss, 0.6 * gross.total_loss, rtol=RTOL)
    np.testing.assert_allclose(ceded.total_loss, 0.4 * gross.total_loss, rtol=RTOL)
    mg, mn = gross.metrics(), net.metrics()
    assert list(mn["perspective"].unique()) == ["net"] and list(mg["perspective"].unique()) == ["gross"]
    np.testing.assert_allclose(mn[["value", "se", "ci_low", "ci_high"]], 0.6 * mg[["value", "se", "ci_low", "ci_high"]],
                               rtol=1e-9)
    # the net run's own record of the gross and ceded losses
    np.testing.assert_allclose(net.transfer_losses[:, 0], gross.total_loss, rtol=RTOL)
    allp = net.metrics(perspective="all").set_index(["perspective", "metric", "level"])["value"]
    np.testing.assert_allclose(allp.loc["gross"], mg.set_index(["metric", "level"])["value"], rtol=1e-9)
    np.testing.assert_allclose(allp.loc["ceded"], 0.4 * mg.set_index(["metric", "level"])["value"], rtol=1e-9)
    cg, cn = gross.contributions(by="country"), net.contributions(by="country")
    np.testing.assert_allclose(cn["value"], 0.6 * cg["value"], rtol=1e-9, atol=1e-3)
    t = net.transfer()
    assert t["ceded_el"].iloc[0] == pytest.approx(0.4 * gross.el().value, rel=1e-9)


def test_a_per_risk_layer_on_one_cover_matches_its_closed_form():
    pd_, amount, mean, sd, ret, lim = 0.05, 100.0, 0.6, 0.2, 30.0, 40.0
    pf = one_factor_portfolio([pd_], [0.3], [amount])
    sc = one_factor_scenario(lgd_mean=mean, lgd_sd=sd,
                             risk_transfer=[{"kind": "per_risk", "unit": "cover", "retention": ret, "limit": lim}],
                             simulation={"n_sims": 200_000, "method": "plain", "seed": 5})
    gross, net = _pair(pf, sc)
    ceded = net.transfer_losses[:, 1]
    np.testing.assert_allclose(ceded, _layer(gross.total_loss, ret, lim), rtol=RTOL)
    np.testing.assert_allclose(net.total_loss, gross.total_loss - ceded, rtol=RTOL, atol=1e-9)
    k = mean * (1 - mean) / sd**2 - 1
    beta = stats.beta(mean * k, (1 - mean) * k)
    exact = pd_ * integrate.quad(lambda x: _layer(amount * x, ret, lim) * beta.pdf(x), 0, 1, limit=200)[0]
    row = net.transfer().iloc[0]
    assert abs(row["ceded_el"] - exact) <= k_se() * row["ceded_el_se"]


def test_an_aggregate_layer_takes_its_slice_of_the_gross_distribution(sample_portfolio, baseline):
    probe = rm.simulate(sample_portfolio, baseline, n_sims=N)
    att, lim = float(probe.var(0.99).value) * 0.5, float(probe.var(0.99).value)
    sc = _with_layers(baseline, [{"kind": "aggregate", "attachment": att, "limit": lim, "name": "state"}], n_sims=N)
    gross, net = _pair(sample_portfolio, sc)
    g = gross.total_loss
    assert (g > att + lim).any() and (g < att).any()  # the sample reaches past the layer and stays below it
    np.testing.assert_allclose(net.transfer_losses[:, 1], _layer(g, att, lim), rtol=RTOL)
    np.testing.assert_allclose(net.total_loss, np.minimum(g, att) + np.maximum(g - att - lim, 0.0), rtol=1e-9)


def test_layers_apply_in_order_each_to_what_the_ones_before_left(sample_portfolio, baseline):
    att, lim = 5e9, 2e10
    sc = _with_layers(baseline, [{"kind": "quota_share", "share": 0.4},
                                 {"kind": "aggregate", "attachment": att, "limit": lim}], n_sims=N)
    gross, net = _pair(sample_portfolio, sc)
    np.testing.assert_allclose(net.transfer_losses[:, 2], _layer(0.6 * gross.total_loss, att, lim), rtol=1e-9,
                               atol=1e-3)


@pytest.mark.parametrize("layer, by", [
    ({"kind": "per_risk", "unit": "exporter", "retention": 2e9, "limit": 5e9}, "exporter"),
    ({"kind": "per_risk", "unit": "contract", "retention": 1e9, "limit": 3e9}, "contract"),
])
def test_a_per_risk_layer_pools_the_losses_of_each_risk(sample_portfolio, baseline, layer, by):
    sc = _with_layers(baseline, [layer], n_sims=N)
    seg = _segment_losses(sample_portfolio, sc, by)
    net = rm.simulate(sample_portfolio, sc)
    expected = _layer(seg, layer["retention"], layer["limit"]).sum(axis=1)
    assert expected.max() > 0
    np.testing.assert_allclose(net.transfer_losses[:, 1], expected, rtol=1e-9, atol=1e-3)


def test_a_per_event_layer_pools_each_country_events_claims(sample_portfolio, baseline):
    countries = sorted(sample_portfolio.importers["country"].unique())
    data = baseline.model_dump(mode="json")
    data["country_events"]["probability"] = {c: 1.0 for c in countries}  # every event strikes at once
    sc = _with_layers(rm.scenario_from_dict(data), [{"kind": "per_event", "retention": 1e9, "limit": 4e9}],
                      n_sims=N, method="plain")
    seg = _segment_losses(sample_portfolio, sc, "country")
    net = rm.simulate(sample_portfolio, sc)
    expected = _layer(seg, 1e9, 4e9).sum(axis=1)
    # pooling by country is not pooling the programme: several events' layers pay more than one would
    assert (expected > 0).mean() > 0.05 and (expected > _layer(seg.sum(axis=1), 1e9, 4e9)).any()
    np.testing.assert_allclose(net.transfer_losses[:, 1], expected, rtol=1e-9, atol=1e-3)
    no_events = _with_layers(baseline, [{"kind": "per_event", "retention": 0.0, "limit": 1e15}], n_sims=N,
                             method="plain", seed=3)
    data = no_events.model_dump(mode="json")
    data["country_events"]["enabled"] = False
    assert rm.simulate(sample_portfolio, rm.scenario_from_dict(data)).transfer_losses[:, 1].max() == 0.0


def test_a_quota_share_on_a_segment_cedes_only_that_segment(sample_portfolio, baseline):
    sc = _with_layers(baseline, [{"kind": "quota_share", "share": 0.5, "segment": {"product": "performance"}}],
                      n_sims=N)
    seg = _segment_losses(sample_portfolio, sc, "product")
    products = sorted(cover_attributes(rm.simulate(sample_portfolio, sc, n_sims=100).model.covers,
                                       sample_portfolio)["product"].unique())
    net = rm.simulate(sample_portfolio, sc)
    perf = seg[:, products.index("performance")]
    assert perf.max() > 0 and (seg.sum(axis=1) > perf).any()  # the segment loses, and so do others
    np.testing.assert_allclose(net.transfer_losses[:, 1], 0.5 * perf, rtol=1e-9,
                               atol=1e-3)


def test_an_aggregate_layer_over_a_lifetime_stops_each_years_losses():
    n = 30
    pf = one_factor_portfolio([0.08] * n, [0.5] * n, [10.0] * n)
    att, lim = 15.0, 20.0
    sc = one_factor_scenario(risk_transfer=[{"kind": "aggregate", "attachment": att, "limit": lim}],
                             simulation={"n_sims": 3000, "method": "plain", "horizon_years": 2.0},
                             lifetime={"step": "year", "recovery_lag_years": 0.0})
    gross, net = _pair(pf, sc, lifetime=True)
    by_year = gross.collected().claim_cf  # LGD 1: each year's claims are its losses
    assert by_year.shape[0] >= 2 and (by_year[1] > 0).any()
    np.testing.assert_allclose(net.transfer_losses[:, 1], _layer(by_year, att, lim).sum(axis=0), rtol=1e-9,
                               atol=1e-9)


def test_risk_transfer_is_reproducible_whatever_the_chunks_and_threads(sample_portfolio, baseline):
    sc = _with_layers(baseline, [{"kind": "quota_share", "share": 0.3},
                                 {"kind": "per_risk", "unit": "exporter", "retention": 1e9, "limit": 5e9},
                                 {"kind": "aggregate", "attachment": 1e10, "limit": 5e10}], n_sims=2000)
    a = rm.simulate(sample_portfolio, sc, chunk_size=2000, n_threads=1)
    b = rm.simulate(sample_portfolio, sc, chunk_size=333, n_threads=2)
    assert np.array_equal(a.total_loss, b.total_loss) and np.array_equal(a.transfer_losses, b.transfer_losses)


def test_the_results_folder_holds_the_layers_and_never_an_earlier_runs(sample_portfolio, baseline, tmp_path):
    sc = _with_layers(baseline, [{"kind": "quota_share", "share": 0.2, "premium_rate": 1.25}], n_sims=500)
    rm.simulate(sample_portfolio, sc).to_dir(tmp_path)
    t = pd.read_csv(tmp_path / "transfer.csv")
    assert t.loc[0, "premium"] == pytest.approx(1.25 * t.loc[0, "ceded_el"])
    assert pd.read_csv(tmp_path / "metrics.csv")["perspective"].eq("net").all()
    rm.simulate(sample_portfolio, baseline, n_sims=500).to_dir(tmp_path)
    assert not (tmp_path / "transfer.csv").exists()


def _scenario_file(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, words", [
    ('[[risk_transfer]]\nkind = "per_risk"\nretention = 1.0\nlimit = 2.0\n', ["risk_transfer.0", "needs unit"]),
    ('[[risk_transfer]]\nkind = "quota_share"\nshare = 0.4\nretention = 1.0\n', ["takes share, not retention"]),
    ('[[risk_transfer]]\nkind = "quota_share"\nshare = 1.4\n', ["risk_transfer.0.share", "less than or equal"]),
    ('[[risk_transfer]]\nkind = "stop_loss"\n', ["risk_transfer.0.kind"]),
    ('[[risk_transfer]]\nkind = "quota_share"\nshare = 0.4\nshaer = 1\n', ["unknown key", "did you mean 'share'"]),
    ('[reporting]\nperspective = "ceded"\n', ["needs [[risk_transfer]] layers"]),
])
def test_a_bad_layer_is_refused_naming_the_key_and_rule(tmp_path, text, words):
    with pytest.raises(InputError) as e:
        load_scenario(_scenario_file(tmp_path, text))
    for w in words:
        assert w in str(e.value)


def test_a_segment_naming_no_attribute_is_refused_before_anything_runs(sample_portfolio, baseline):
    sc = _with_layers(baseline, [{"kind": "quota_share", "share": 0.4, "segment": {"colour": "red"}}], n_sims=200)
    with pytest.raises(InputError) as e:
        rm.simulate(sample_portfolio, sc)
    assert "risk_transfer[0].segment.colour" in str(e.value) and "product" in str(e.value)


_numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**12))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["quota_share", "per_risk", "per_event", "aggregate", "xl"]), share=_numbers,
       retention=_numbers, attachment=_numbers, limit=_numbers,
       unit=st.sampled_from([None, "cover", "contract", "exporter", "firm"]),
       basis=st.sampled_from(["rate_on_line", "ceded_el", "flat"]), rate=_numbers)
def test_any_layer_either_validates_or_is_refused_with_an_input_error(kind, share, retention, attachment, limit, unit,
                                                                      basis, rate):
    layer = {"kind": kind, "share": share, "retention": retention, "attachment": attachment, "limit": limit,
             "unit": unit, "premium_basis": basis, "premium_rate": rate}
    layer = {k: v for k, v in layer.items() if v is not None}
    try:
        sc = rm.scenario_from_dict({"risk_transfer": [layer]})
    except InputError as e:
        assert "risk_transfer" in str(e)
        return
    x = sc.risk_transfer[0]
    assert x.kind == kind and x.premium_rate >= 0 and (x.limit is None or x.limit > 0)
    assert sc.perspective == "net"


def test_the_report_shows_the_layers(sample_portfolio, baseline, tmp_path):
    from riskmodel.present.report import build_report

    sc = _with_layers(baseline, [{"kind": "aggregate", "attachment": 5e10, "limit": 1e11, "name": "state backstop"}],
                      n_sims=500)
    rm.simulate(sample_portfolio, sc, lifetime=True).to_dir(tmp_path / "run")
    page = build_report(tmp_path / "run")
    assert "<h2>Risk transfer</h2>" in page and "state backstop" in page and "net of these layers" in page


def test_an_es_on_a_capped_tail_says_its_error_understates():
    from riskmodel.analysis.estimators import LossSample

    x = np.random.default_rng(5).lognormal(0.0, 1.0, 200_000)
    capped = LossSample(np.minimum(x, np.quantile(x, 0.98)))  # a stop-loss holds the top 2%
    assert "sits on an atom" in capped.warning("es", 0.99) and "a cap" in capped.warning("es", 0.99)
    assert LossSample(x).warning("es", 0.99) == ""
    assert capped.warning("es", 0.9) == ""  # below the cap the tail is the distribution's own
