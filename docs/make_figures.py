"""Redraw the README's figures: python docs/make_figures.py (bundled sample, 50,000 simulations, seed 7)."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import riskmodel as rm  # noqa: E402
from riskmodel import plots  # noqa: E402
from riskmodel.cli import bundled_sample  # noqa: E402

HERE = Path(__file__).resolve().parent / "figures"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    result = rm.simulate(rm.load_portfolio(bundled_sample()), n_sims=50_000, seed=7)
    plots.exceedance_curve(result).savefig(HERE / "exceedance.png", dpi=90)
    plots.contributions(result, by="country", top=10).savefig(HERE / "contributions_country.png", dpi=90)


if __name__ == "__main__":
    main()
