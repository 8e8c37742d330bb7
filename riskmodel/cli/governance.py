"""The model-governance verbs (calibrate, backtest, reverse-stress) as plain ``*_main(**kwargs)`` functions."""
from __future__ import annotations

import click

from ..inputs.errors import InputError, Problem


def _refuse_overwrite(out, force: bool) -> None:
    from pathlib import Path

    if Path(out).exists() and not force:
        raise InputError([Problem("--out", "options", "already exists: choose another file, or add --force to "
                                  "replace it", value=str(out))], "options")


def calibrate_main(what, data, out, ci_level=0.95, rule="exporters", scenario=None, force=False,
                   json_out=False) -> int:
    from ..governance import calibrate
    from ..inputs.scenario import load_scenario

    _refuse_overwrite(out, force)
    if what == "correlation":
        cal = calibrate.correlation(data, rule=rule, scenario=load_scenario(scenario), ci_level=ci_level)
    else:
        cal = {"call-rates": calibrate.call_rates, "lgd": calibrate.lgd,
               "term-structure": calibrate.term_structure}[what](data, ci_level=ci_level)
    path = cal.write(out)
    if json_out:
        click.echo(cal.table.to_json(orient="records"))
    else:
        click.echo(cal.summary())
    click.echo(f"wrote {path}", err=True)
    return 0


def uncertainty_main(parameter_draws, portfolio=None, scenario=None, sims=None, seed=None, levels=None, out=None,
                     json_out=False, threads=None, chunk_size=None, master_scale=None, countries=None,
                     date_format=None, quiet=False, method=None, horizon=None, force=False, perspective=None) -> int:
    """``riskmodel run --parameter-draws K``: nested Monte Carlo over the scenario's uncertain parameters."""
    from ..analysis.simulation import simulate
    from .plumbing import check_target, json_records, load_inputs, write_tables

    if out:
        check_target(out, force)
    pf, sc = load_inputs(portfolio, scenario, master_scale, countries, horizon, date_format, perspective)
    u = simulate(pf, sc, n_sims=sims, seed=seed, levels=levels, method=method, chunk_size=chunk_size,
                 n_threads=threads, parameter_draws=parameter_draws)
    if out:
        write_tables(out, "uncertainty", {"uncertainty.csv": u.figures, "parameter_draws.csv": u.draws,
                                          "per_draw.csv": u.per_draw}, u.provenance, force)
    click.echo(json_records(u.figures) if json_out else u.summary())
    return 0


def reverse_stress_main(capital, portfolio=None, scenario=None, sims=None, seed=None, out=None, json_out=False,
                        threads=None, master_scale=None, countries=None, date_format=None, quiet=False, method=None,
                        horizon=None, force=False, perspective=None) -> int:
    """``riskmodel reverse-stress --capital C``: the configuration of the world beyond a loss C."""
    from ..governance.reverse import reverse_stress
    from .plumbing import check_target, json_records, load_inputs

    if not capital > 0:
        raise InputError([Problem("--capital", "options", "must be a loss above 0 in the reporting currency",
                                  value=capital)], "options")
    if method not in (None, "importance"):
        raise InputError([Problem("--method", "options", "the reverse stress test aims importance sampling at "
                                  "the capital: leave --method out", value=method)], "options")
    if out:
        check_target(out, force)
    pf, sc = load_inputs(portfolio, scenario, master_scale, countries, horizon, date_format, perspective)
    rs = reverse_stress(pf, sc, capital, n_sims=sims or sc.simulation.n_sims, seed=sc.simulation.seed if seed is None
                        else seed, n_threads=threads)
    if out:
        def toml_writer(f):
            f.write_text(rs.scenario_text)

        from ..analysis.outdir import write_outputs

        def csv(df):
            return lambda f: df.to_csv(f, index=False)

        write_outputs(out, "reverse_stress", {"reverse_stress.csv": csv(rs.configuration),
                                              "reverse_stress_names.csv": csv(rs.names),
                                              "reverse_stress.toml": toml_writer}, rs.provenance, force)
    click.echo(json_records(rs.configuration) if json_out else rs.summary())
    return 0


def backtest_main(claims, portfolio=None, scenario=None, sims=None, seed=None, level=0.95, segment_by=None,
                  out=None, json_out=False, threads=None, master_scale=None, countries=None, date_format=None,
                  quiet=False, method=None, horizon=None, force=False, perspective=None) -> int:
    """``riskmodel backtest CLAIMS``: each year's observed losses in the model's predictive distribution."""
    from ..governance.backtest import backtest
    from .plumbing import check_target, json_records, load_inputs

    if out:
        check_target(out, force)
    pf, sc = load_inputs(portfolio, scenario, master_scale, countries, None, date_format, perspective)
    bt = backtest(pf, sc, claims, n_sims=sims or 20_000, seed=sc.simulation.seed if seed is None else seed,
                  level=level, segment_by=segment_by, n_threads=threads)
    if out:
        from ..analysis.outdir import write_outputs
        from ..present.validation_plots import backtest as figure

        def png(f):
            figure(bt).savefig(f, dpi=120, format="png")

        write_outputs(out, "backtest", {"backtest.csv": lambda f: bt.table.to_csv(f, index=False),
                                        "backtest.png": png},
                      {**bt.provenance, "zone": bt.zone, "pit_pvalue": bt.pit_pvalue, "passed": bt.passed}, force)
    click.echo(json_records(bt.table) if json_out else bt.summary())
    return 0


def export_main(results, out, force=False) -> int:
    """``riskmodel export RESULTS_DIR -o FILE.xlsx``: the results as an Excel workbook."""
    from pathlib import Path

    from ..present.workbook import write_workbook

    if Path(out).suffix.lower() != ".xlsx":
        raise InputError([Problem("-o", "options", "the workbook is an .xlsx file: name it so", value=str(out))],
                         "options")
    _refuse_overwrite(out, force)
    path = write_workbook(results, out)
    click.echo(f"wrote {path}")
    return 0
