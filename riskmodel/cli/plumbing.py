"""What every verb shares: reading its options (horizons, lists of numbers, segments), loading its inputs,
running its simulation, writing its files all or none, and turning a user's mistake into exit code 2."""
from __future__ import annotations

import json
import sys

import click

from ..inputs.errors import InputError, Problem
from ..inputs.paths import bundled_sample


def check_target(out, force: bool = False) -> None:
    """``riskmodel.outdir.check_target``, imported when a verb writes (``--help`` stays light)."""
    from ..analysis.outdir import check_target as check

    check(out, force)


EXIT_INPUT = 2


def parse_horizon(text: str | None) -> float | None:
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


def parse_floats(text: str | None, what: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers for {what}, got {text!r}") from None


def load_inputs(portfolio, scenario, master_scale, countries, horizon, date_format=None, perspective=None):
    """The portfolio (default: the bundled sample) and the scenario, with the horizon and perspective overrides."""
    from ..inputs.portfolio import load_portfolio
    from ..inputs.reference import load_reference
    from ..inputs.scenario import load_scenario

    pf = load_portfolio(portfolio or bundled_sample(), load_reference(master_scale, countries), date_format)
    sc = load_scenario(scenario)
    if horizon is not None:
        sc = sc.with_overrides(horizon_years=horizon)
    return pf, sc.with_perspective(perspective)


def simulated(portfolio, scenario, master_scale, countries, horizon, sims, seed, method, threads, quiet,
               levels=None, date_format=None, perspective=None):
    from ..analysis.simulation import simulate

    pf, sc = load_inputs(portfolio, scenario, master_scale, countries, horizon, date_format, perspective)
    if levels:
        sc = sc.with_overrides(levels=sorted(set(sc.simulation.levels) | set(levels)))
    return simulate(pf, sc, n_sims=sims, seed=seed, method=method, n_threads=threads,
                    progress=not quiet and sys.stderr.isatty())


def write_tables(out, verb: str, tables: dict, provenance: dict, force: bool = False) -> list[str]:
    """Write each table (name.parquet, or name.csv) and the verb's provenance file into ``out``, all or none."""
    from ..analysis.outdir import write_outputs

    def writer(name, df):
        return (lambda f: df.to_csv(f, index=False)) if name.endswith(".csv") else \
            (lambda f: df.to_parquet(f, index=False))

    return write_outputs(out, verb, {name: writer(name, df) for name, df in tables.items()}, provenance, force)


def json_records(df) -> str:
    recs = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return json.dumps(recs, allow_nan=False, default=str)


def parse_segment(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise click.BadParameter(f"expected COLUMN=VALUE[,COLUMN=VALUE], got {text!r}")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def threshold_problem(t):
    return Problem("--thresholds", "options", "thresholds are losses in the reporting currency, finite and >= 0",
                   value=t)


def guard(fn, **kw):
    try:
        code = fn(**kw)
    except InputError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_INPUT)
    sys.exit(code)
