"""An Excel workbook of a results directory: one formatted sheet per table, units in the headers.

``riskmodel export RESULTS_DIR -o FILE.xlsx`` (and ``--xlsx FILE`` on ``run`` and ``report``). Sheets:
Summary, Metrics, Exceedance (aggregate and occurrence in lifetime runs), Capital by segment and
Concentration (the run's), Contributions and Concentration by segment (when those verbs wrote into the
directory from the same run), Pricing, Cash flows, Scenario and Provenance. Money is in the run's unit
(``KRW bn``), named in each header; values only, no formulas; empty cells where a figure does not apply;
each figure with an error shown to the digits the error supports (the value in the cell is not rounded).
"""
from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.labels import LABELS, NUMBER_FORMATS, excel_format, for_people, kind
from ..analysis.outdir import write_whole
from ..version import __version__
from ..analysis.stored import StoredResult, flatten

# (sheet, verb that wrote the file beside the run or None for the run's own, file)
OPTIONAL = (("Capital by segment", None, "capital_by_segment.parquet"),
            ("Concentration", None, "capital_concentration.csv"),
            ("Contributions", "contributions", "contributions.parquet"),
            ("Concentration by segment", "concentration", "concentration.parquet"),
            ("Pricing", None, "pricing.parquet"), ("Cash flows", None, "cashflows.parquet"))


def _summary(r: StoredResult, div: float, unit: str) -> pd.DataFrame:
    sc = r.scenario
    cap = sc.lifetime.capital_level if sc.lifetime.capital_level in r.levels else max(r.levels)
    rows = [("Expected loss", r.el())] + [(f"{name} at {lv:g}", fn(lv)) for lv in (cap,)
                                           for name, fn in (("Value at risk", r.var), ("Expected shortfall", r.es),
                                                            ("Economic capital", r.ec))]
    df = pd.DataFrame([(n, e.value, e.se, e.ci_low, e.ci_high) for n, e in rows],
                      columns=["metric", "value", "se", "ci_low", "ci_high"])
    return for_people(df, div, unit)


def sheets(results_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The workbook's sheets as tables for people (labels in words, money in the run's unit)."""
    r = StoredResult(results_dir)
    div, unit = r.money_unit()
    out = {"Summary": _summary(r, div, unit)}
    m = r.metrics()
    out["Metrics"] = for_people(m[m["metric"] != "p_exceed"].drop(columns=["scenario"]), div, unit)
    ex = r.exceedance()
    if ex is not None:
        out["Exceedance"] = for_people(ex, div, unit)
    for name, verb, f in OPTIONAL:
        t = r.table(f) if verb is None else r.verb_table(verb, f)  # another run's file is left out
        if t is not None:
            out[name] = for_people(t.drop(columns=["scenario"], errors="ignore"), div, unit)
    out["Scenario"] = pd.DataFrame(flatten(r.scenario.model_dump(mode="json")), columns=["Key", "Value"])
    prov = {k: v for k, v in r.provenance.items()}
    prov["workbook"] = {"riskmodel_version": __version__, "written": _dt.datetime.now().isoformat(timespec="seconds"),
                        "money_unit": unit}
    out["Provenance"] = pd.DataFrame(flatten(prov), columns=["Key", "Value"])
    return out


def _cell(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def write_workbook(results_dir: str | Path, path: str | Path) -> Path:
    """Write the workbook of ``results_dir`` to ``path`` (written whole, then moved into place)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    words_kind = {words: k for words, k in LABELS.values()}
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets(results_dir).items():
        ws = wb.create_sheet(name)
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j, col in enumerate(df.columns, start=1):
            head = ws.cell(row=1, column=j)
            head.font = Font(bold=True, color="FFFFFF")
            head.fill = PatternFill("solid", fgColor="1F4E79")
            head.alignment = Alignment(wrap_text=True, vertical="top")
            k = kind(col) or words_kind.get(str(col).split(" (")[0])
            fmt = NUMBER_FORMATS.get(k)
            err = df[df.attrs["error_of"][col]].tolist() if col in df.attrs.get("error_of", {}) else None
            for i, cell in enumerate(ws.iter_rows(min_row=2, min_col=j, max_col=j)):
                f = (excel_format(k, err[i]) if err is not None else None) or fmt  # the digits its error supports
                if f:
                    cell[0].number_format = f
            width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 60)
        ws.freeze_panes = "A2"
    return write_whole(path, wb.save)
