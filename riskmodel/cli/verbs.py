"""The verbs as plain functions, ``<verb>_main(**kwargs) -> exit code``: what each command does, callable
without click (the commands in ``commands`` only parse options into these)."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from ..inputs.errors import InputError, Problem
from .plumbing import check_target, json_records, load_inputs, parse_segment, simulated, threshold_problem, write_tables


def run_main(portfolio=None, scenario=None, sims=None, seed=None, levels=None, thresholds=None, out=None,
             json_out=False, threads=None, chunk_size=None, master_scale=None, countries=None, date_format=None,
             quiet=False, method=None, horizon=None, force=False, perspective=None, parameter_draws=None,
             xlsx=None) -> int:
    _check_xlsx(xlsx, out)
    if parameter_draws is not None and xlsx:
        raise InputError([Problem("--xlsx", "options", "a run with --parameter-draws writes uncertainty tables, "
                                  "not a workbook: leave --xlsx out")], "options")
    if parameter_draws is not None:
        from .governance import uncertainty_main

        return uncertainty_main(parameter_draws, portfolio, scenario, sims, seed, levels, out, json_out, threads,
                                chunk_size, master_scale, countries, date_format, quiet, method, horizon, force,
                                perspective)
    from ..analysis.simulation import simulate
    from ..engine.chunks import kernels_cached
    from ..engine.run import resolve_method

    thresholds = thresholds or []
    bad = [t for t in thresholds if not (t >= 0 and math.isfinite(t))]
    if bad:
        raise InputError([threshold_problem(t) for t in bad], "options")
    if out:
        check_target(out, force)  # before any work
    pf, sc = load_inputs(portfolio, scenario, master_scale, countries, horizon, date_format, perspective)
    resolved = sc.with_overrides(n_sims=sims, seed=seed, levels=levels, method=method)  # validate before any work
    if not quiet and not kernels_cached(resolve_method(resolved)):
        click.echo("compiling the numerical kernels (first run after install only, about a minute; "
                   "cached afterwards)...", err=True)
    # --out writes the lifetime tables: collect them in the run rather than replay it
    result = simulate(pf, sc, n_sims=sims, seed=seed, levels=levels, method=method, chunk_size=chunk_size,
                      n_threads=threads, lifetime=True if out else None,
                      progress=not quiet and sys.stderr.isatty())
    if out:
        result.to_dir(out, thresholds=thresholds, force=force)
        if xlsx:
            from ..present.workbook import write_workbook

            write_workbook(out, xlsx)
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
            transfer = "transfer.csv, " if result.transfer_losses is not None else ""
            click.echo(f"\nwrote {Path(out) / 'metrics.parquet'}, metrics.csv, losses.parquet, lifetime.csv, "
                       f"cashflows.parquet, pricing.parquet, collateral.parquet, policy.csv, "
                       f"capital_by_segment.parquet, capital_concentration.csv, exceedance.csv, {transfer}"
                       f"scenario.json, run.json")
    return 0


def capacity_main(budget, portfolio=None, scenario=None, add=None, segment=None, measure="ec", level=None,
                  limit=None, sims=None, seed=None, method=None, horizon=None, json_out=False, out=None,
                  threads=None, master_scale=None, countries=None, date_format=None, quiet=False, force=False,
                  perspective=None) -> int:
    from ..analysis.capacity import capacity
    from ..inputs.portfolio import extend_portfolio

    if out:
        check_target(out, force)
    pf, sc = load_inputs(portfolio, scenario, master_scale, countries, horizon, date_format, perspective)
    seg = parse_segment(segment)
    if (add is None) == (seg is None):
        raise click.UsageError("give --add DIR (new covers) or --segment COLUMN=VALUE (more of a segment), one of them")
    new_ids = None
    if add is not None:
        pf, new_ids = extend_portfolio(pf, add)
    res = capacity(pf, sc, budget=budget, new_cover_ids=new_ids, segment=seg, measure=measure, level=level,
                   limit=limit, n_sims=sims, seed=seed, method=method, n_threads=threads,
                   progress=not quiet and sys.stderr.isatty())
    if out:
        write_tables(out, "capacity", {"capacity.csv": res.table, "capacity_curve.csv": res.curve},
               res.provenance, force)
    if json_out:
        click.echo(json.dumps(res.table.to_dict(orient="records")[0], allow_nan=False))
    else:
        click.echo(str(res))
    return 0


def contributions_main(by="country", measure="es", level=None, band=None, top=None, out=None, json_out=False,
                       portfolio=None, scenario=None, sims=None, seed=None, method=None, horizon=None, threads=None,
                       master_scale=None, countries=None, date_format=None, quiet=False, force=False,
                       perspective=None) -> int:
    from ..analysis.contributions import MEASURES

    if measure not in MEASURES:
        raise click.BadParameter(f"expected one of {', '.join(MEASURES)}, got {measure!r}", param_hint="--measure")
    if out:
        check_target(out, force)
    result = simulated(portfolio, scenario, master_scale, countries, horizon, sims, seed, method, threads, quiet,
                        date_format=date_format, perspective=perspective)
    try:
        table = result.contributions(by=by, measure=measure, level=level, band=band)
    except ValueError as exc:  # an option the data cannot serve: a usage error, not a crash
        raise click.UsageError(str(exc)) from None
    total = table.attrs["portfolio_value"]
    shown = table.sort_values("value", ascending=False)
    if top:
        shown = shown.head(top)
    if out:
        write_tables(out, "contributions", {"contributions.parquet": table}, result.provenance, force)
    if json_out:
        click.echo(json_records(shown))
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
                quiet=False, force=False, perspective=None) -> int:
    from ..analysis.whatif import whatif

    if out:
        check_target(out, force)
    pf, sc = load_inputs(portfolio, scenario, master_scale, countries, horizon, date_format, perspective)
    res = whatif(pf, sc, add, levels=levels, n_sims=sims, seed=seed, method=method, n_threads=threads,
                 progress=not quiet and sys.stderr.isatty())
    if out:
        write_tables(out, "whatif", {"whatif.parquet": res.table, "whatif.csv": res.table}, res.result.provenance, force)
    if json_out:
        click.echo(json_records(res.table))
    else:
        click.echo(str(res))
        if out:
            click.echo(f"\nwrote {Path(out) / 'whatif.parquet'}, whatif.csv, whatif.json")
    return 0


def concentration_main(limits=None, top=10, level=None, out=None, json_out=False, portfolio=None, scenario=None,
                       sims=None, seed=None, method=None, horizon=None, threads=None, master_scale=None,
                       countries=None, date_format=None, quiet=False, force=False, perspective=None) -> int:
    from ..analysis.concentration import load_limits

    lim = load_limits(limits) if limits else None  # before any simulation: a bad table stops here
    if out:
        check_target(out, force)
    result = simulated(portfolio, scenario, master_scale, countries, horizon, sims, seed, method, threads, quiet,
                        date_format=date_format, perspective=perspective)
    c = result.concentration(limits=lim, top=top, level=level)
    if out:
        write_tables(out, "concentration", {"concentration.parquet": c.shares, "herfindahl.csv": c.herfindahl,
                                      "top.parquet": c.top,
                     "limits.parquet": c.limits}, result.provenance, force)
    if json_out:
        click.echo(json.dumps({"herfindahl": json.loads(json_records(c.herfindahl)),
                               "breaches": json.loads(json_records(c.breaches))}, allow_nan=False))
    else:
        click.echo(str(c))
        if out:
            click.echo(f"\nwrote {Path(out) / 'concentration.parquet'}, herfindahl.csv, top.parquet, "
                       f"limits.parquet, concentration.json")
    return 0


def sweep_main(spec, out, executor="local", workers=1, scheduler=None, quiet=False) -> int:
    from ..sweeps.run import run_sweep
    from ..sweeps.spec import load_sweep

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

    from ..sweeps.store import Store, report

    table = report(Store(store), metric, level)
    if out:
        table.to_csv(out, index=False) if str(out).endswith(".csv") else table.to_parquet(out, index=False)
    if json_out:
        click.echo(json_records(table))
        return 0
    from ..analysis.units import money_unit

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


def _check_xlsx(xlsx, out) -> None:
    """``--xlsx`` writes the workbook of a results folder: it needs ``--out`` and an .xlsx name."""
    if xlsx is None:
        return
    problems = []
    if not str(xlsx).lower().endswith(".xlsx"):
        problems.append(Problem("--xlsx", "options", "the workbook is an .xlsx file: name it so", value=str(xlsx)))
    if out is None:
        problems.append(Problem("--xlsx", "options", "the workbook shows a results folder: give --out DIR too"))
    if problems:
        raise InputError(problems, "options")


def report_main(results, out, xlsx=None, capital=None, against=None) -> int:
    from ..present.report import write_report

    _check_xlsx(xlsx, results)
    if capital is not None and not (capital > 0 and math.isfinite(capital)):
        raise InputError([Problem("--capital", "options", "must be a positive amount in the reporting currency",
                                  value=capital)], "options")
    path = write_report(results, out, capital, against)
    if xlsx:
        from ..present.workbook import write_workbook

        click.echo(f"wrote {write_workbook(results, xlsx)}")
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, self-contained: open it in any browser)")
    return 0


def validate_main(path, scenario=None, master_scale=None, countries=None, date_format=None) -> int:
    from ..inputs.portfolio import load_portfolio
    from ..inputs.reference import load_reference
    from ..inputs.scenario import load_scenario
    from ..model.compile import compile_model

    pf = load_portfolio(path, load_reference(master_scale, countries), date_format)
    model = compile_model(pf, load_scenario(scenario))
    click.echo(f"valid: {len(pf.exporters)} exporters, {len(pf.importers)} importers, {len(pf.covers)} covers "
               f"({len(model.covers)} live in the horizon); insured exposure "
               f"{model.total_ead:,.0f} in the reporting currency")
    for w in pf.warnings + model.warnings:
        click.echo(f"warning: {w}")
    return 0


def sample_main(covers, out, seed=2026, fmt="csv", force=False) -> int:
    from ..inputs.sample import write_sample
    from ..inputs.schema import ALL_TABLES

    there = sorted(f"{t}{ext}" for t in ALL_TABLES for ext in (".csv", ".parquet")
                   if (Path(out) / f"{t}{ext}").exists())
    if there and not force:
        raise InputError([Problem("--out", "options", f"already holds portfolio tables ({', '.join(there)}): "
                                  f"choose another directory, or add --force to replace them", value=str(out))],
                         "options")
    d = write_sample(out, covers, seed, fmt)
    click.echo(f"wrote a synthetic portfolio of {covers} covers to {d}")
    return 0


def compare_main(a, b, levels=None, steps=True, out=None, json_out=False, threads=None, quiet=False,
                 force=False) -> int:
    """``riskmodel compare A B``: the change from run A to run B, with errors, and where it came from."""
    from ..analysis.comparison import compare
    from ..analysis.stored import StoredResult

    bad = [lv for lv in levels or [] if not 0 < lv < 1]
    if bad:
        raise InputError([Problem("--levels", "options", "a confidence level lies in (0, 1)", value=lv)
                          for lv in bad], "options")
    if out:
        check_target(out, force)
    ra, rb = StoredResult(a), StoredResult(b)  # both folders checked before any work
    c = compare(ra, rb, levels=levels, attribution=steps, n_threads=threads,
                progress=not quiet and sys.stderr.isatty())
    if out:
        c.to_dir(out, force)
    if json_out:
        click.echo(json.dumps({"changes": json.loads(json_records(c.table)),
                               "steps": json.loads(json_records(c.steps)) if len(c.steps) else []},
                              allow_nan=False))
        return 0
    click.echo(str(c))
    if out:
        click.echo(f"\nwrote {Path(out) / 'compare.csv'}, compare_steps.csv, compare.json")
    return 0
