"""Every plot renders (Agg) and shows what it claims: titles, units, legends, one artist per datum."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import riskmodel as rm  # noqa: E402
from riskmodel.analysis.labels import decimals  # noqa: E402
from riskmodel.present import plots  # noqa: E402
from riskmodel.sweeps.run import run_sweep  # noqa: E402
from riskmodel.sweeps.spec import load_sweep  # noqa: E402

from conftest import REPO  # noqa: E402


@pytest.fixture(scope="module")
def one_year(sample_portfolio):
    return rm.simulate(sample_portfolio, n_sims=6000, seed=4)


@pytest.fixture(scope="module")
def three_years(sample_portfolio):
    return rm.simulate(sample_portfolio, rm.scenario_from_dict({"simulation": {"horizon_years": 3.0}}), n_sims=6000,
                       seed=4)


def _render(fig) -> Figure:
    assert isinstance(fig, Figure)
    fig.canvas.draw()  # Agg: fails on anything that cannot be drawn
    return fig


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_loss_distribution_marks_el_var_es(one_year):
    ax = _render(plots.loss_distribution(one_year, level=0.999)).axes[0]
    assert "Loss distribution" in ax.get_title() and "baseline" in ax.get_title()
    assert "KRW bn" in ax.get_xlabel() and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "simulated loss" and [x.split(" =")[0] for x in labels[1:]] == ["EL", "VaR 0.999", "ES 0.999"]
    lines = {round(ln.get_xdata()[0], 6) for ln in ax.get_lines()}
    f = 1e9
    assert {round(one_year.el().value / f, 6), round(one_year.var(0.999).value / f, 6),
            round(one_year.es(0.999).value / f, 6)} <= lines
    assert len(_bars(ax)) == 80 + 3  # the histogram's bins and the three confidence spans


def test_exceedance_curve_is_monotone_with_its_band(one_year):
    ax = _render(plots.exceedance_curve(one_year)).axes[0]
    assert ax.get_yscale() == "log" and "P(loss > x)" in ax.get_ylabel()
    y = ax.get_lines()[0].get_ydata()
    assert np.all(np.diff(y) <= 0) and np.all((y > 0) & (y <= 1))
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the confidence band
    assert "confidence band" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert len([ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]) == len(one_year.levels)


def test_contributions_one_bar_per_segment_sorted(one_year):
    ax = _render(plots.contributions(one_year, by="region", measure="es", level=0.999)).axes[0]
    table = one_year.contributions("region", "es", 0.999)
    bars = _bars(ax)
    assert len(bars) == len(table)
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths)  # largest on top
    assert np.isclose(sum(widths), table["value"].sum() / 1e9)
    assert "ES 0.999" in ax.get_title() and "region" in ax.get_title() and "KRW bn" in ax.get_xlabel()
    assert len(ax.texts) == len(table)  # each bar labelled with its share


def test_scenario_comparison_two_bars_per_scenario(sample_portfolio, one_year):
    other = rm.simulate(sample_portfolio, rm.load_scenario(REPO / "scenarios" / "sme_distress.toml"), n_sims=6000,
                        seed=4)
    ax = _render(plots.scenario_comparison({"baseline": one_year, "SME distress": other}, level=0.999)).axes[0]
    assert len(_bars(ax)) == 4
    assert [t.get_text() for t in ax.get_xticklabels()] == ["baseline", "SME distress"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["EL", "EC 0.999"]
    heights = [b.get_height() for b in _bars(ax)]
    assert np.isclose(heights[1], other.el().value / 1e9) and np.isclose(heights[3], other.ec(0.999).value / 1e9)


def test_sweep_heatmap_cells_are_the_store(tmp_path):
    lib = REPO / "scenarios"
    (tmp_path / "s.toml").write_text(f'n_sims = 2000\nmethod = "plain"\nlevels = [0.99]\n[[scenarios]]\n'
                                     f'label = "x"\nstack = ["{lib / "sme_distress.toml"}"]\n[grid]\n'
                                     '"pd_multipliers.importer" = [1.0, 2.0, 3.0]\n'
                                     '"calls.rate_multiplier" = [1.0, 2.0]\n')
    run_sweep(load_sweep(tmp_path / "s.toml"), tmp_path / "store")
    fig = _render(plots.sweep_heatmap(tmp_path / "store", "pd_multipliers.importer", "calls.rate_multiplier", "ec"))
    ax = fig.axes[0]
    grid = ax.get_images()[0].get_array()
    assert grid.shape == (2, 3) and len(ax.texts) == 6
    assert ax.get_xlabel() == "pd_multipliers.importer" and ax.get_ylabel() == "calls.rate_multiplier"
    assert "EC 0.99" in fig.axes[1].get_ylabel()  # the colour bar, with units
    with pytest.raises(ValueError, match="not swept"):
        plots.sweep_heatmap(tmp_path / "store", "copula.dof", "calls.rate_multiplier")


def test_lifetime_claims_one_bar_per_year(three_years):
    ax = _render(plots.lifetime_claims(three_years)).axes[0]
    cf = three_years.cashflows()
    n_years = cf["period"].nunique()
    assert len(_bars(ax)) == 2 * n_years  # the 5-95% band and the mean, each year
    means = cf[(cf.flow == "claims") & (cf.metric == "mean")]["value"].to_numpy() / 1e9
    assert np.allclose([b.get_height() for b in _bars(ax)[n_years:]], means)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"expected claims", "5-95% of simulations", "99.5% quantile", "expected recoveries"} == set(labels)


def test_collateral_vs_capital_one_point_per_segment(three_years):
    ax = _render(plots.collateral_vs_capital(three_years, by="exporter")).axes[0]
    n = len(three_years.contributions("exporter", "es"))
    pts = [c for c in ax.collections if c.get_offsets().shape[0] == n]
    assert pts, "one scatter point per exporter"
    assert "capital consumed" in ax.get_xlabel() and "collateral freed" in ax.get_ylabel()
    assert len(ax.texts) == 5  # the five largest consumers named


def test_results_render_as_html_tables_and_text_elsewhere(one_year):
    html = one_year._repr_html_()
    assert html.count("<tr") == len(one_year.metrics()) + 1  # header + one row per metric
    assert "<table" in html and "Value (KRW bn)" in html and "importance sampling" in html
    el = one_year.el()
    d = decimals(el.se / 1e9)  # shown to the error's second significant digit, no finer
    assert f"<td>{el.value / 1e9:,.{d}f}</td>" in html and f"<td>{el.value / 1e9:,.{d + 1}f}</td>" not in html
    assert str(one_year) == one_year.summary() and "<" not in one_year.summary().split("\n")[0]
    conc = one_year.concentration()
    h = conc.herfindahl.iloc[0]
    d = decimals(h["hhi_capital_se"])
    assert "<table" in conc._repr_html_() and "Herfindahl index of capital" in conc._repr_html_()
    assert f"<td>{h['hhi_capital']:,.{d}f}</td>" in conc._repr_html_()
