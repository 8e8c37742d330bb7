"""Results directories: a verb's files land together or not at all, and say which run wrote them.

Each verb writes into a hidden temporary directory inside ``--out``, then
moves its files into place, its provenance file last. The provenance file
(``run.json`` for ``run``, ``<verb>.json`` for the verbs that add to a run's
directory) carries the run's id and the SHA-256 of every file the run wrote,
so a reader can refuse a directory whose files came from different runs (a
rerun killed half-way, or another verb's files over a run's). A verb never
replaces another verb's provenance.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from ..inputs.errors import InputError, Problem
from ..inputs.paths import file_sha256 as sha256

# what each verb writes; any other file in --out is the user's, and --out then needs --force
VERB_FILES = {
    "run": ("metrics.parquet", "metrics.csv", "losses.parquet", "lifetime.csv", "cashflows.parquet",
            "pricing.parquet", "collateral.parquet", "policy.csv", "capital_by_segment.parquet",
            "capital_concentration.csv", "exceedance.csv", "transfer.csv", "scenario.json", "run.json"),
    "contributions": ("contributions.parquet", "contributions.json"),
    "whatif": ("whatif.parquet", "whatif.csv", "whatif.json"),
    "concentration": ("concentration.parquet", "herfindahl.csv", "top.parquet", "limits.parquet",
                      "concentration.json"),
    "capacity": ("capacity.csv", "capacity_curve.csv", "capacity.json"),
    "report": ("report.html",),
    "uncertainty": ("uncertainty.csv", "parameter_draws.csv", "per_draw.csv", "uncertainty.json"),
    "reverse_stress": ("reverse_stress.csv", "reverse_stress_names.csv", "reverse_stress.toml", "reverse_stress.json"),
    "backtest": ("backtest.csv", "backtest.png", "backtest.json"),
    "compare": ("compare.csv", "compare_steps.csv", "compare.json"),
}
PROVENANCE = {"run": "run.json", "contributions": "contributions.json", "whatif": "whatif.json",
              "concentration": "concentration.json", "capacity": "capacity.json", "uncertainty": "uncertainty.json",
              "reverse_stress": "reverse_stress.json", "backtest": "backtest.json",
              "compare": "compare.json"}
KNOWN = {name for names in VERB_FILES.values() for name in names}
STAGING_PREFIX = ".riskmodel-staging-"


def write_whole(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write one file whole: ``write`` fills a sibling ``.part`` file, which then replaces ``path`` (a reader
    never sees half a file, a failed write leaves the old one)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".part")
    try:
        write(tmp)
        tmp.replace(p)
    finally:
        tmp.unlink(missing_ok=True)
    return p


def check_target(out: str | Path, force: bool = False, known=KNOWN, what: str = "riskmodel's results") -> None:
    """Refuse ``--out`` when it is a file, or a directory holding files riskmodel did not write (unless forced)."""
    d = Path(out)
    if d.exists() and not d.is_dir():
        raise InputError([Problem("--out", "options", "is a file, not a directory: choose a directory",
                                  value=str(d))], "options")
    if force or not d.is_dir():
        return
    foreign = sorted(p.name for p in d.iterdir() if p.name not in known and not p.name.startswith(STAGING_PREFIX))
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise InputError([Problem("--out", "options", f"holds files that are not {what} ({shown}): choose an "
                                  f"empty directory, or add --force to write beside them", value=str(d))], "options")


def write_outputs(out: str | Path, verb: str, writers: dict[str, Callable[[Path], None]], provenance: dict,
                  force: bool = False) -> list[str]:
    """Write each file with its writer (``writers[name](path)``) and the verb's provenance file, all or none.

    The files are staged in a temporary directory inside ``out`` and moved into place once all are written;
    the provenance file, written last, lists them with their SHA-256 under the run's id."""
    d = Path(out)
    check_target(d, force)
    created = not d.exists()
    d.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=d))
    try:
        for name, write in writers.items():
            write(stage / name)
        files = {name: sha256(stage / name) for name in writers}
        prov_name = PROVENANCE[verb]
        record = {**provenance, "verb": verb, "run_id": uuid.uuid4().hex, "files": files}
        (stage / prov_name).write_text(json.dumps(record, indent=2, default=str, allow_nan=False) + "\n")
        # the old provenance goes first: a kill while moving leaves no file claiming a mixed directory
        (d / prov_name).unlink(missing_ok=True)
        for name in set(VERB_FILES.get(verb, ())) - set(writers) - {prov_name}:
            (d / name).unlink(missing_ok=True)  # an earlier run's file this run does not write (transfer.csv)
        for name in writers:
            os.replace(stage / name, d / name)
        os.replace(stage / prov_name, d / prov_name)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not any(d.iterdir()):
            d.rmdir()
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return [*writers, prov_name]


def mixed_files(d: Path, verb: str = "run") -> list[Problem]:
    """Problems when the files a provenance file lists are missing or differ from what its run wrote."""
    prov = d / PROVENANCE[verb]
    try:
        record = json.loads(prov.read_text())
    except (OSError, ValueError) as exc:
        return [Problem(str(prov), "results", f"cannot be read as JSON ({exc}): rerun `riskmodel {verb} --out`")]
    problems = []
    for name, digest in (record.get("files") or {}).items():
        f = d / name
        if not f.is_file():
            problems.append(Problem(str(f), "results", f"is missing: {prov.name} (run {record.get('run_id')}) "
                                    f"lists it; rerun `riskmodel {verb} --out`"))
        elif sha256(f) != digest:
            problems.append(Problem(str(f), "results", f"was not written by the run {prov.name} records (run "
                                    f"{record.get('run_id')}): the directory mixes two runs; rerun "
                                    f"`riskmodel {verb} --out` into it or into an empty directory"))
    return problems
