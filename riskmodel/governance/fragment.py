"""Scenario fragments: TOML text a calibration writes, checked to load as a scenario before it is written.

A fragment holds the estimates as scenario keys, their intervals as ``[uncertainty.parameters]`` entries
(which ``simulate(..., parameter_draws=K)`` samples) and its provenance in comments: the command, the data
file and its SHA-256, riskmodel's version and the date.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from pathlib import Path

from ..analysis.outdir import write_whole
from ..inputs.scenario import scenario_from_dict
from ..version import __version__

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if not math.isfinite(float(v)):
            raise ValueError(f"a fragment holds finite numbers only, got {v!r}")
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(type(v))


def toml_text(tables: dict[str, dict], comments: list[str]) -> str:
    """``tables``: dotted table name -> its keys (values: numbers, text, inline tables)."""
    lines = [f"# {c}" if c else "#" for c in comments] + [""]
    for name, keys in tables.items():
        keys = {k: v for k, v in keys.items() if v != {}}  # an empty inline table says nothing
        if not keys:
            continue
        lines.append(f"[{name}]")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in keys.items()]
        lines.append("")
    return "\n".join(lines)


def provenance_comments(command: str, source: str, sha256: str, extra: list[str]) -> list[str]:
    return [f"Written by riskmodel {__version__} on {_dt.date.today().isoformat()}: {command}",
            f"data: {source} (sha256 {sha256})", *extra,
            "Use it with extends = \"<this file>\" in a scenario, or stack it on one (sweeps)."]


def nested(tables: dict[str, dict]) -> dict:
    out: dict = {}
    for name, keys in tables.items():
        node = out
        for part in _split(name):
            node = node.setdefault(part, {})
        node.update(keys)
    return out


def _split(name: str) -> list[str]:
    return [p.strip('"') for p in re.findall(r'"[^"]*"|[^.]+', name)]


def check_loads(tables: dict[str, dict], source: str) -> None:
    """Raise InputError (naming the fragment) unless the fragment validates as a scenario."""
    scenario_from_dict(nested(tables), source)


def write_fragment(path: str | Path, text: str) -> Path:
    return write_whole(path, lambda f: f.write_text(text))
