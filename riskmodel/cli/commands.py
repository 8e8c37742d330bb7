"""The commands: click options parsed into the plain ``*_main(**kwargs)`` functions of ``verbs``.

Exit codes: 0 success, 2 invalid input or usage (nothing simulated or written).
Tables go to stdout; progress, notices and errors to stderr.
"""
from __future__ import annotations

import click

from .governance import backtest_main, calibrate_main, export_main, reverse_stress_main
from .plumbing import guard, parse_floats, parse_horizon
from .verbs import (
    capacity_main,
    compare_main,
    concentration_main,
    contributions_main,
    report_main,
    run_main,
    sample_main,
    sweep_main,
    sweep_report_main,
    validate_main,
    whatif_main,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="riskmodel")
def cli():
    """Monte Carlo risk of an export credit agency's guarantee and credit insurance portfolio."""


_ref_opts = [
    click.option("--master-scale", type=click.Path(dir_okay=False), help="your rating master scale (CSV)"),
    click.option("--countries", type=click.Path(dir_okay=False), help="your country table (CSV)"),
    click.option("--date-format", help="the form of dates in the tables when not YYYY-MM-DD, in strftime codes, "
                 "e.g. %d/%m/%Y (never guessed)"),
]


def _with(opts):
    def deco(f):
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


_sim_opts = [
    click.option("--portfolio", type=click.Path(), help="portfolio (default: the bundled sample)"),
    click.option("--scenario", type=click.Path(dir_okay=False), help="scenario TOML (default: built-in baseline)"),
    click.option("--sims", type=click.IntRange(min=1), help="number of simulations"),
    click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="random seed"),
    click.option("--method", type=click.Choice(["plain", "importance", "auto"]), help="sampling method"),
    click.option("--horizon", help="loss horizon, e.g. 1y or 5y"),
    click.option("--perspective", type=click.Choice(["gross", "ceded", "net"]),
                 help="losses before risk transfer, ceded, or kept (default net with [[risk_transfer]] layers)"),
    click.option("--json", "json_out", is_flag=True, help="print the result as JSON"),
    click.option("--threads", type=click.IntRange(min=1), help="threads (results do not depend on it)"),
    *_ref_opts,
    click.option("--quiet", is_flag=True, help="no progress on stderr"),
]


@cli.command()
@click.option("--portfolio", type=click.Path(), help="directory of CSV/Parquet tables or an .xlsx workbook "
              "(default: the bundled sample portfolio)")
@click.option("--scenario", type=click.Path(dir_okay=False), help="scenario TOML (default: built-in baseline)")
@click.option("--sims", type=click.IntRange(min=1), help="number of simulations")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="random seed")
@click.option("--levels", help="confidence levels, e.g. 0.99,0.999")
@click.option("--method", type=click.Choice(["plain", "importance", "auto"]),
              help="plain Monte Carlo, importance sampling, or auto (importance for levels >= 0.99); "
                   "default from the scenario")
@click.option("--horizon", help="loss horizon, e.g. 1y (capital, the default), 5y or 18m; default from the scenario")
@click.option("--thresholds", help="losses X for P(L > X), e.g. 5e10,1e11")
@click.option("--perspective", type=click.Choice(["gross", "ceded", "net"]),
              help="losses before risk transfer, ceded, or kept; default net when the scenario has "
                   "[[risk_transfer]] layers, else gross")
@click.option("--out", type=click.Path(file_okay=False),
              help="write metrics, losses and run.json here")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@click.option("--json", "json_out", is_flag=True, help="print the metrics as JSON records")
@click.option("--threads", type=click.IntRange(min=1), help="threads (results do not depend on it)")
@click.option("--chunk-size", type=click.IntRange(min=1), help="simulations per chunk (results do not depend on it)")
@click.option("--xlsx", type=click.Path(dir_okay=False), help="also write the results as an Excel workbook (needs --out)")
@click.option("--parameter-draws", type=click.IntRange(min=2), help="nested Monte Carlo: this many draws of the "
              "scenario's [uncertainty.parameters], each run on the same random numbers; reports each figure's "
              "Monte Carlo error and parameter uncertainty apart (writes uncertainty.csv with --out)")
@_with(_ref_opts)
@click.option("--quiet", is_flag=True, help="no progress or notices on stderr")
def run(levels, thresholds, horizon, **kw):
    """Simulate the loss distribution and print EL, VaR, ES and EC with their errors."""
    guard(run_main, levels=parse_floats(levels, "--levels"), thresholds=parse_floats(thresholds, "--thresholds"),
           horizon=parse_horizon(horizon), **kw)


@cli.command("capacity")
@click.option("--budget", type=float, required=True, help="capital budget in the reporting currency")
@click.option("--add", type=click.Path(file_okay=False), help="directory with covers.csv of new covers (and "
              "exporters.csv / importers.csv for new obligors): the profile to scale")
@click.option("--segment", help="scale more of a segment of the portfolio instead, e.g. product=performance")
@click.option("--measure", type=click.Choice(["ec", "exhaustion"]), default="ec", show_default=True,
              help="ec: EC reaches the budget; exhaustion: P(loss > budget) reaches --limit")
@click.option("--level", type=float, help="EC confidence level (default [lifetime] capital_level)")
@click.option("--limit", type=float, help="probability limit for --measure exhaustion, e.g. 0.001")
@click.option("--out", type=click.Path(file_okay=False),
              help="write capacity.csv, capacity_curve.csv and capacity.json here")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@_with(_sim_opts)
def capacity_cmd(horizon, **kw):
    """How much more exposure fits a capital budget (root search on common random numbers)."""
    guard(capacity_main, horizon=parse_horizon(horizon), **kw)


@cli.command("contributions")
@click.option("--by", default="country", show_default=True,
              help="segment: cover, contract, exporter, importer, country, region, product, sector, or any column "
                   "of covers")
@click.option("--measure", type=click.Choice(["es", "var", "ec", "el"]), default="es", show_default=True)
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="confidence level (default [lifetime] capital_level)")
@click.option("--band", type=float, help="VaR band half-width in probability (default (1 - level) / 2)")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="print the largest N segments (0: all); files hold all")
@click.option("--out", type=click.Path(file_okay=False),
              help="write contributions.parquet and contributions.json here")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@_with(_sim_opts)
def contributions_cmd(horizon, **kw):
    """Who consumes the capital: Euler contributions by segment, summing to the portfolio figure."""
    guard(contributions_main, horizon=parse_horizon(horizon), **kw)


@cli.command("whatif")
@click.option("--add", required=True, type=click.Path(), help="the candidate covers: a covers CSV/Parquet file, or "
              "a directory with covers.csv (and exporters.csv / importers.csv / schedules.csv for new obligors)")
@click.option("--levels", help="confidence levels, e.g. 0.99,0.999 (default the scenario's and the capital level)")
@click.option("--out", type=click.Path(file_okay=False),
              help="write whatif.parquet, whatif.csv and whatif.json here")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@_with(_sim_opts)
def whatif_cmd(horizon, levels, **kw):
    """Marginal capital of candidate covers: EL, VaR, ES, EC before and after, on common random numbers."""
    guard(whatif_main, horizon=parse_horizon(horizon), levels=parse_floats(levels, "--levels"), **kw)


@cli.command("concentration")
@click.option("--limits", type=click.Path(dir_okay=False), help="limits CSV: segment (column=value or column=*), "
              "max_exposure, max_capital_share")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="top names per dimension")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="capital level (default [lifetime] capital_level)")
@click.option("--out", type=click.Path(file_okay=False), help="write concentration.parquet, herfindahl.csv, "
              "top.parquet, limits.parquet and concentration.json here")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@_with(_sim_opts)
def concentration_cmd(horizon, **kw):
    """Exposure and capital shares, Herfindahl indices, top names and limit breaches."""
    guard(concentration_main, horizon=parse_horizon(horizon), **kw)


@cli.command("sweep")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="the results store (created, or resumed: points already there are skipped)")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: processes on this machine; dask: dask.distributed (a LocalCluster, or --scheduler)")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="worker processes (results do not depend on it)")
@click.option("--scheduler", help="address of a running dask scheduler, e.g. tcp://10.0.0.5:8786")
@click.option("--quiet", is_flag=True, help="no progress on stderr")
def sweep_cmd(**kw):
    """Run a sweep of scenarios and parameters into a resumable Parquet store."""
    guard(sweep_main, **kw)


@cli.command("sweep-report")
@click.argument("store", type=click.Path(file_okay=False))
@click.option("--metric", type=click.Choice(["el", "sd", "var", "es", "ec"]), default="ec", show_default=True)
@click.option("--level", type=float, help="confidence level (default the sweep's highest)")
@click.option("--out", type=click.Path(dir_okay=False), help="write the table (.csv or .parquet)")
@click.option("--json", "json_out", is_flag=True, help="print the table as JSON records")
def sweep_report_cmd(**kw):
    """Compare the points of a sweep: ranked, against the base point, with errors."""
    guard(sweep_report_main, **kw)


@cli.command("compare")
@click.argument("a", type=click.Path(file_okay=False))
@click.argument("b", type=click.Path(file_okay=False))
@click.option("--levels", help="confidence levels, e.g. 0.99,0.999 (default: those both runs report)")
@click.option("--no-steps", "steps", is_flag=True, flag_value=False, default=True,
              help="only the change, not where it came from (which reruns the books in between)")
@click.option("--out", type=click.Path(file_okay=False), help="write compare.csv, compare_steps.csv, compare.json")
@click.option("--json", "json_out", is_flag=True, help="print the changes and steps as JSON")
@click.option("--threads", type=click.IntRange(min=1), help="threads for the reruns (numbers do not change)")
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.option("--force", is_flag=True, help="write into --out beside files riskmodel did not write")
def compare_cmd(levels, **kw):
    """The change from run A (earlier, or the base) to run B (later, or a stress): EL, VaR, ES and EC with
    errors (common random numbers when the runs share seed and size), split into parameters, valuation date
    and covers removed, amended and added."""
    guard(compare_main, levels=parse_floats(levels, "--levels"), **kw)


@cli.command("report")
@click.argument("results", type=click.Path(file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="the HTML file to write")
@click.option("--xlsx", type=click.Path(dir_okay=False), help="also write the results as an Excel workbook")
@click.option("--capital", type=float, help="a capital or fund figure (reporting currency): the summary adds the "
              "headroom and the probability of exhausting it")
@click.option("--against", type=click.Path(file_okay=False), help="a base results folder (last quarter's run, or "
              "the base of a stress): the report adds the change against it")
def report_cmd(**kw):
    """A self-contained HTML report (figures, tables, scenario, provenance) of `riskmodel run --out` results."""
    guard(report_main, **kw)


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--scenario", type=click.Path(dir_okay=False), help="also check against this scenario")
@_with(_ref_opts)
def validate(**kw):
    """Check a portfolio and report every problem found."""
    guard(validate_main, **kw)


@cli.command()
@click.option("--covers", type=click.IntRange(min=1), required=True, help="number of covers")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="directory to write")
@click.option("--force", is_flag=True, help="replace the tables already in --out")
@click.option("--seed", type=click.IntRange(min=0), default=2026, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
def sample(**kw):
    """Write a realistic synthetic portfolio (concentrated in a few countries and exporters)."""
    guard(sample_main, **kw)


@cli.command("reverse-stress")
@click.option("--capital", type=float, required=True, help="the loss (capital or fund) to look beyond, in the "
              "reporting currency")
@click.option("--out", type=click.Path(file_okay=False), help="write reverse_stress.csv, reverse_stress_names.csv "
              "and the stress as reverse_stress.toml")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@_with(_sim_opts)
def reverse_stress_cmd(horizon, **kw):
    """The most likely world in which the programme loses more than --capital: factors, country events and
    defaults given the loss, with errors, and a scenario that reaches it."""
    guard(reverse_stress_main, horizon=parse_horizon(horizon), **kw)


@cli.command("backtest")
@click.argument("claims", type=click.Path(dir_okay=False))
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="VaR level whose exceedances the traffic light counts")
@click.option("--segment-by", help="the covers column whose values the claims table's segment column names")
@click.option("--out", type=click.Path(file_okay=False), help="write backtest.csv, backtest.png and backtest.json")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@_with(_sim_opts)
def backtest_cmd(horizon, **kw):
    """Observed yearly losses (year, claims[, segment]) against the model's prediction for each year's book:
    PIT values, the Basel traffic light and a plot."""
    guard(backtest_main, horizon=parse_horizon(horizon), **kw)


@cli.command("export")
@click.argument("results", type=click.Path(file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="the .xlsx workbook to write")
@click.option("--force", is_flag=True, help="replace --out if it exists")
def export_cmd(**kw):
    """The results of `riskmodel run --out` as an Excel workbook: one formatted sheet per table, units in the
    headers."""
    guard(export_main, **kw)


@cli.group("calibrate")
def calibrate_cmd():
    """Estimate parameters from the agency's history, with intervals; each writes a scenario fragment."""


def _calibration(name: str, doc: str, extra=()):
    @calibrate_cmd.command(name, help=doc)
    @click.argument("data", type=click.Path(dir_okay=False))
    @click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="the file to write")
    @click.option("--ci-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
                  show_default=True, help="confidence level of the intervals")
    @click.option("--force", is_flag=True, help="replace --out if it exists")
    @click.option("--json", "json_out", is_flag=True, help="print the estimates as JSON records")
    @_with(list(extra))
    def cmd(**kw):
        guard(calibrate_main, what=name, **kw)

    return cmd


_calibration("correlation", "Asset correlation R^2 of a loading rule's obligors from a yearly default table "
             "(year, defaults, obligors; or year, rate): maximum likelihood and method of moments.",
             [click.option("--rule", default="exporters", show_default=True, help="the loading rule to scale"),
              click.option("--scenario", type=click.Path(dir_okay=False), help="scenario holding the rule")])
_calibration("call-rates", "Rates of calls on solvent exporters from a claims history (product, "
             "exposure_years, calls[, on_demand]): exact Poisson intervals.")
_calibration("lgd", "LGD mean and sd by product from realised recoveries (product, lgd; or product, claim, "
             "recovery).")
_calibration("term-structure", "Cumulative PDs at 1, 5 and 10 years by grade from a cumulative default table "
             "(grade, year, cumulative_pd[, cohort]), written as a master scale (CSV).")


def main():  # console script entry point
    cli()
