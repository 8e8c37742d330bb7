"""Command line: a thin layer of click over plain ``*_main(**kwargs)`` functions.

Exit codes: 0 success, 2 invalid input or usage (nothing simulated or written).
Tables go to stdout; progress, notices and errors to stderr.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from .inputs.errors import InputError, Problem
from .inputs.paths import bundled_sample  # noqa: F401 - part of the CLI module's interface (notebooks, benchmarks)


def check_target(out, force: bool = False) -> None:
    """``riskmodel.outdir.check_target``, imported when a verb writes (``--help`` stays light)."""
    from .analysis.outdir import check_target as check

    check(out, force)

EXIT_INPUT = 2




def _horizon(text: str | None) -> float | None:
    """'5y', '18m', '2.5y' or a plain number of years."""
    if text is None:
        return None
    t = text.strip().lower()
    try:
        if t.endswith("y"):
            return float(t[:-1])
        if t.endswith("m"):
            return float(t[:-1]) / 12.0
        return float(t)
    except ValueError:
        raise click.BadParameter(f"expected a horizon like 1y, 5y or 18m, got {text!r}") from None


def _floats(text: str | None, what: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers for {what}, got {text!r}") from None


def _inputs(portfolio, scenario, master_scale, countries, horizon, date_format=None):
    """The portfolio (default: the bundled sample) and the scenario, with the horizon override."""
    from .inputs.portfolio import load_portfolio
    from .inputs.reference import load_reference
    from .inputs.scenario import load_scenario

    pf = load_portfolio(portfolio or bundled_sample(), load_reference(master_scale, countries), date_format)
    sc = load_scenario(scenario)
    if horizon is not None:
        sc = sc.with_overrides(horizon_years=horizon)
    return pf, sc


def run_main(portfolio=None, scenario=None, sims=None, seed=None, levels=None, thresholds=None, out=None,
             json_out=False, threads=None, chunk_size=None, master_scale=None, countries=None, date_format=None,
             quiet=False, method=None, horizon=None, force=False) -> int:
    from .analysis.simulation import simulate
    from .engine.chunks import kernels_cached
    from .engine.run import resolve_method

    thresholds = thresholds or []
    bad = [t for t in thresholds if not (t >= 0 and math.isfinite(t))]
    if bad:
        raise InputError([_threshold_problem(t) for t in bad], "options")
    if out:
        check_target(out, force)  # before any work
    pf, sc = _inputs(portfolio, scenario, master_scale, countries, horizon, date_format)
    resolved = sc.with_overrides(n_sims=sims, seed=seed, levels=levels, method=method)  # validate before any work
    if not quiet and not kernels_cached(resolve_method(resolved)):
        click.echo("compiling the numerical kernels (first run after install only, about half a minute; "
                   "cached afterwards)...", err=True)
    # --out writes the lifetime tables: collect them in the run rather than replay it
    result = simulate(pf, sc, n_sims=sims, seed=seed, levels=levels, method=method, chunk_size=chunk_size,
                      n_threads=threads, lifetime=True if out else None,
                      progress=not quiet and sys.stderr.isatty())
    if out:
        result.to_dir(out, thresholds=thresholds, force=force)
    if json_out:
        click.echo(json.dumps(result.metrics_records(thresholds), allow_nan=False))
    else:
        click.echo(result.summary())
        if thresholds:
            f, unit = result.money_unit()
            m = result.metrics(thresholds=thresholds)
            t = m[m.metric == "p_exceed"][["level", "value", "se", "ci_low", "ci_high"]].copy()
            t.insert(0, f"threshold ({unit})", [f"{x / f:,.3f}" for x in t.pop("level")])
            click.echo("\nprobability that the loss exceeds a threshold:")
            click.echo(t.to_string(index=False))
        if out:
            click.echo(f"\nwrote {Path(out) / 'metrics.parquet'}, metrics.csv, losses.parquet, lifetime.csv, "
                       f"cashflows.parquet, pricing.parquet, collateral.parquet, policy.csv, scenario.json, run.json")
    return 0


def capacity_main(budget, portfolio=None, scenario=None, add=None, segment=None, measure="ec", level=None,
                  limit=None, sims=None, seed=None, method=None, horizon=None, json_out=False, out=None,
                  threads=None, master_scale=None, countries=None, date_format=None, quiet=False, force=False) -> int:
    from .analysis.capacity import capacity
    from .inputs.portfolio import extend_portfolio

    if out:
        check_target(out, force)
    pf, sc = _inputs(portfolio, scenario, master_scale, countries, horizon, date_format)
    seg = _segment(segment)
    if (add is None) == (seg is None):
        raise click.UsageError("give --add DIR (new covers) or --segment COLUMN=VALUE (more of a segment), one of them")
    new_ids = None
    if add is not None:
        pf, new_ids = extend_portfolio(pf, add)
    res = capacity(pf, sc, budget=budget, new_cover_ids=new_ids, segment=seg, measure=measure, level=level,
                   limit=limit, n_sims=sims, seed=seed, method=method, n_threads=threads,
                   progress=not quiet and sys.stderr.isatty())
    if out:
        _write(out, "capacity", {"capacity.csv": res.table, "capacity_curve.csv": res.curve},
               res.provenance, force)
    if json_out:
        click.echo(json.dumps(res.table.to_dict(orient="records")[0], allow_nan=False))
    else:
        click.echo(str(res))
    return 0


def _simulated(portfolio, scenario, master_scale, countries, horizon, sims, seed, method, threads, quiet,
               levels=None, date_format=None):
    from .analysis.simulation import simulate

    pf, sc = _inputs(portfolio, scenario, master_scale, countries, horizon, date_format)
    if levels:
        sc = sc.with_overrides(levels=sorted(set(sc.simulation.levels) | set(levels)))
    return simulate(pf, sc, n_sims=sims, seed=seed, method=method, n_threads=threads,
                    progress=not quiet and sys.stderr.isatty())


def _write(out, verb: str, tables: dict, provenance: dict, force: bool = False) -> list[str]:
    """Write each table (name.parquet, or name.csv) and the verb's provenance file into ``out``, all or none."""
    from .analysis.outdir import write_outputs

    def writer(name, df):
        return (lambda f: df.to_csv(f, index=False)) if name.endswith(".csv") else \
            (lambda f: df.to_parquet(f, index=False))

    return write_outputs(out, verb, {name: writer(name, df) for name, df in tables.items()}, provenance, force)


def _records(df) -> str:
    recs = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return json.dumps(recs, allow_nan=False, default=str)


def contributions_main(by="country", measure="es", level=None, band=None, top=None, out=None, json_out=False,
                       portfolio=None, scenario=None, sims=None, seed=None, method=None, horizon=None, threads=None,
                       master_scale=None, countries=None, date_format=None, quiet=False, force=False) -> int:
    from .analysis.contributions import MEASURES

    if measure not in MEASURES:
        raise click.BadParameter(f"expected one of {', '.join(MEASURES)}, got {measure!r}", param_hint="--measure")
    if out:
        check_target(out, force)
    result = _simulated(portfolio, scenario, master_scale, countries, horizon, sims, seed, method, threads, quiet,
                        date_format=date_format)
    try:
        table = result.contributions(by=by, measure=measure, level=level, band=band)
    except ValueError as exc:  # an option the data cannot serve: a usage error, not a crash
        raise click.UsageError(str(exc)) from None
    total = table.attrs["portfolio_value"]
    shown = table.sort_values("value", ascending=False)
    if top:
        shown = shown.head(top)
    if out:
        _write(out, "contributions", {"contributions.parquet": table}, result.provenance, force)
    if json_out:
        click.echo(_records(shown))
        return 0
    f, unit = result.money_unit()
    lv = "" if measure == "el" else f" at {table['level'].iloc[0]:g}"
    click.echo(f"Euler contributions to {measure.upper()}{lv} by {table['by'].iloc[0]} ({unit}); portfolio "
               f"{total / f:,.3f}; {result.n_sims:,} simulations, seed {result.seed}")
    view = shown[["segment", "value", "se", "ci_low", "ci_high", "share", "tail_sims", "n_covers", "exposure"]].copy()
    for c in ("value", "se", "ci_low", "ci_high", "exposure"):
        view[c] = view[c] / f
    view["share"] = (100 * view["share"]).round(2)
    view["!"] = ["*" if w else "" for w in shown["warning"]]
    click.echo(view.rename(columns={"share": "share %"}).to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    if len(shown) < len(table):
        click.echo(f"... {len(table) - len(shown)} more segments (--top 0 shows all)")
    for w in dict.fromkeys(x for x in shown["warning"] if x):
        click.echo(f"* {w}")
    if out:
        click.echo(f"\nwrote {Path(out) / 'contributions.parquet'}, contributions.json")
    return 0


def whatif_main(add, levels=None, out=None, json_out=False, portfolio=None, scenario=None, sims=None, seed=None,
                method=None, horizon=None, threads=None, master_scale=None, countries=None, date_format=None,
                quiet=False, force=False) -> int:
    from .analysis.whatif import whatif

    if out:
        check_target(out, force)
    pf, sc = _inputs(portfolio, scenario, master_scale, countries, horizon, date_format)
    res = whatif(pf, sc, add, levels=levels, n_sims=sims, seed=seed, method=method, n_threads=threads,
                 progress=not quiet and sys.stderr.isatty())
    if out:
        _write(out, "whatif", {"whatif.parquet": res.table, "whatif.csv": res.table}, res.result.provenance, force)
    if json_out:
        click.echo(_records(res.table))
    else:
        click.echo(str(res))
        if out:
            click.echo(f"\nwrote {Path(out) / 'whatif.parquet'}, whatif.csv, whatif.json")
    return 0


def concentration_main(limits=None, top=10, level=None, out=None, json_out=False, portfolio=None, scenario=None,
                       sims=None, seed=None, method=None, horizon=None, threads=None, master_scale=None,
                       countries=None, date_format=None, quiet=False, force=False) -> int:
    from .analysis.concentration import load_limits

    lim = load_limits(limits) if limits else None  # before any simulation: a bad table stops here
    if out:
        check_target(out, force)
    result = _simulated(portfolio, scenario, master_scale, countries, horizon, sims, seed, method, threads, quiet,
                        date_format=date_format)
    c = result.concentration(limits=lim, top=top, level=level)
    if out:
        _write(out, "concentration", {"concentration.parquet": c.shares, "herfindahl.csv": c.herfindahl,
                                      "top.parquet": c.top,
                     "limits.parquet": c.limits}, result.provenance, force)
    if json_out:
        click.echo(json.dumps({"herfindahl": json.loads(_records(c.herfindahl)),
                               "breaches": json.loads(_records(c.breaches))}, allow_nan=False))
    else:
        click.echo(str(c))
        if out:
            click.echo(f"\nwrote {Path(out) / 'concentration.parquet'}, herfindahl.csv, top.parquet, "
                       f"limits.parquet, concentration.json")
    return 0


def sweep_main(spec, out, executor="local", workers=1, scheduler=None, quiet=False) -> int:
    from .sweeps.run import run_sweep
    from .sweeps.spec import load_sweep

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    sweep = load_sweep(spec)  # every problem of the spec, its files and its points, before any work
    res = run_sweep(sweep, out, executor, workers, scheduler, progress=not quiet and sys.stderr.isatty())
    rate = res["ran"] / res["seconds"] * 60 if res["seconds"] > 0 else 0.0
    click.echo(f"sweep {sweep.spec.name!r}: {res['points']} points, {res['ran']} run, {res['skipped']} already in "
               f"{out}; {res['seconds']:.1f} s ({rate:.1f} points/min, executor {executor}, "
               f"{f'scheduler {scheduler}' if scheduler else f'{workers} worker(s)'})")
    if res["failed"]:
        click.echo(f"{len(res['failed'])} point(s) failed, recorded in {Path(out) / 'errors.json'} (run the sweep "
                   f"again to retry them):", err=True)
        for pid, msg in res["failed"].items():
            click.echo(f"  {pid}: {msg}", err=True)
        return 1
    return 0


def sweep_report_main(store, metric="ec", level=None, out=None, json_out=False) -> int:
    import numpy as np

    from .sweeps.store import Store, report

    table = report(Store(store), metric, level)
    if out:
        table.to_csv(out, index=False) if str(out).endswith(".csv") else table.to_parquet(out, index=False)
    if json_out:
        click.echo(_records(table))
        return 0
    from .analysis.units import money_unit

    lv = "" if table["level"].isna().all() else f" at {table['level'].iloc[0]:g}"
    f, unit = money_unit(float(table["value"].abs().max()) if len(table) else 1.0, "")
    unit = unit or "units"
    click.echo(f"{metric.upper()}{lv} by point, ranked, in {unit} of the reporting currency; change against the "
               f"base point (errors in quadrature: points run on their own seeds)")
    view = table.drop(columns=["metric", "level", "point", "ci_low", "ci_high", "warning"])
    for c in ("value", "se", "base_value", "base_se", "change", "change_se"):
        if c in view.columns:
            view[c] = view[c] / f
    view["!"] = np.where(table["warning"] != "", "*", "")
    click.echo(view.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    flagged = table[table["warning"] != ""]
    for r in flagged.itertuples():
        click.echo(f"* {r.label} {r.point}: {r.warning}")
    return 0


def report_main(results, out) -> int:
    from .present.report import write_report

    path = write_report(results, out)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, self-contained: open it in any browser)")
    return 0


def _segment(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise click.BadParameter(f"expected COLUMN=VALUE[,COLUMN=VALUE], got {text!r}")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _threshold_problem(t):
    return Problem("--thresholds", "options", "thresholds are losses in the reporting currency, finite and >= 0",
                   value=t)


def validate_main(path, scenario=None, master_scale=None, countries=None, date_format=None) -> int:
    from .inputs.portfolio import load_portfolio
    from .inputs.reference import load_reference
    from .inputs.scenario import load_scenario
    from .model.compile import compile_model

    pf = load_portfolio(path, load_reference(master_scale, countries), date_format)
    model = compile_model(pf, load_scenario(scenario))
    click.echo(f"valid: {len(pf.exporters)} exporters, {len(pf.importers)} importers, {len(pf.covers)} covers "
               f"({len(model.covers)} live in the horizon); insured exposure "
               f"{model.total_ead:,.0f} in the reporting currency")
    for w in pf.warnings + model.warnings:
        click.echo(f"warning: {w}")
    return 0


def sample_main(covers, out, seed=2026, fmt="csv", force=False) -> int:
    from .inputs.sample import write_sample
    from .inputs.schema import ALL_TABLES

    there = sorted(f"{t}{ext}" for t in ALL_TABLES for ext in (".csv", ".parquet")
                   if (Path(out) / f"{t}{ext}").exists())
    if there and not force:
        raise InputError([Problem("--out", "options", f"already holds portfolio tables ({', '.join(there)}): "
                                  f"choose another directory, or add --force to replace them", value=str(out))],
                         "options")
    d = write_sample(out, covers, seed, fmt)
    click.echo(f"wrote a synthetic portfolio of {covers} covers to {d}")
    return 0


def _guard(fn, **kw):
    try:
        code = fn(**kw)
    except InputError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_INPUT)
    sys.exit(code)


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
@click.option("--out", type=click.Path(file_okay=False),
              help="write metrics, losses and run.json here")
@click.option("--force", is_flag=True, help="write into --out even though it holds files riskmodel did not write")
@click.option("--json", "json_out", is_flag=True, help="print the metrics as JSON records")
@click.option("--threads", type=click.IntRange(min=1), help="threads (results do not depend on it)")
@click.option("--chunk-size", type=click.IntRange(min=1), help="simulations per chunk (results do not depend on it)")
@_with(_ref_opts)
@click.option("--quiet", is_flag=True, help="no progress or notices on stderr")
def run(levels, thresholds, horizon, **kw):
    """Simulate the loss distribution and print EL, VaR, ES and EC with their errors."""
    _guard(run_main, levels=_floats(levels, "--levels"), thresholds=_floats(thresholds, "--thresholds"),
           horizon=_horizon(horizon), **kw)


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
    _guard(capacity_main, horizon=_horizon(horizon), **kw)




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
    _guard(contributions_main, horizon=_horizon(horizon), **kw)


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
    _guard(whatif_main, horizon=_horizon(horizon), levels=_floats(levels, "--levels"), **kw)


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
    _guard(concentration_main, horizon=_horizon(horizon), **kw)


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
    _guard(sweep_main, **kw)


@cli.command("sweep-report")
@click.argument("store", type=click.Path(file_okay=False))
@click.option("--metric", type=click.Choice(["el", "sd", "var", "es", "ec"]), default="ec", show_default=True)
@click.option("--level", type=float, help="confidence level (default the sweep's highest)")
@click.option("--out", type=click.Path(dir_okay=False), help="write the table (.csv or .parquet)")
@click.option("--json", "json_out", is_flag=True, help="print the table as JSON records")
def sweep_report_cmd(**kw):
    """Compare the points of a sweep: ranked, against the base point, with errors."""
    _guard(sweep_report_main, **kw)


@cli.command("report")
@click.argument("results", type=click.Path(file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="the HTML file to write")
def report_cmd(**kw):
    """A self-contained HTML report (figures, tables, scenario, provenance) of `riskmodel run --out` results."""
    _guard(report_main, **kw)


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--scenario", type=click.Path(dir_okay=False), help="also check against this scenario")
@_with(_ref_opts)
def validate(**kw):
    """Check a portfolio and report every problem found."""
    _guard(validate_main, **kw)


@cli.command()
@click.option("--covers", type=click.IntRange(min=1), required=True, help="number of covers")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="directory to write")
@click.option("--force", is_flag=True, help="replace the tables already in --out")
@click.option("--seed", type=click.IntRange(min=0), default=2026, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
def sample(**kw):
    """Write a realistic synthetic portfolio (concentrated in a few countries and exporters)."""
    _guard(sample_main, **kw)


def main():  # console script entry point
    cli()


if __name__ == "__main__":
    main()
