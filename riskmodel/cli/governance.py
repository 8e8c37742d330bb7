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
