"""The results store of a sweep: one Parquet file per point, written atomically, and a manifest.

Layout of ``STORE/``::

    manifest.json                       the sweep: spec, portfolio hash, its points (id, label, params, seed)
    metrics/point=<id>/part-0.parquet   the point's metrics (tidy) with its id, label, seed and parameters

A point's file is written under a temporary name in its own directory and
renamed into place (atomic on POSIX), so the store never holds half a point:
a sweep killed at any moment (kill -9 included) leaves whole points and,
at worst, a temporary file that the next run removes. Points are named by
the hash of what determines their numbers, so a file that exists is a
finished point of exactly that content, and a resumed sweep skips it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..inputs.errors import InputError, Problem
from ..inputs.schema import METRICS_SCHEMA
from ..version import __version__

#: columns a point adds to the metrics table (then one column per grid parameter)
POINT_COLUMNS = {"point": "string", "label": "string", "stack": "string", "seed": "int64", "n_sims": "int64",
                 "method": "string", "warning": "string"}  # warning: the estimator's, at that level ("" if none)
PART = "part-0.parquet"


class Store:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.metrics_dir = self.root / "metrics"

    # ---------------------------------------------------------------- writing

    def open(self, sweep) -> set[str]:
        """Create the store (or reopen it), write the manifest, clear leftovers; the ids already done."""
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.metrics_dir.glob("point=*/.*.tmp*"):
            tmp.unlink(missing_ok=True)  # a point being written when the last run died
        manifest = {
            "sweep": sweep.spec.name, "description": sweep.spec.description, "source": sweep.source,
            "spec_sha256": sweep.spec_sha256, "spec": sweep.spec.model_dump(mode="json"),
            "portfolio_sha256": sweep.portfolio_sha256, "portfolio_files": sweep.portfolio.sources,
            "riskmodel_version": __version__, "params": sweep.param_names,
            "points": [{"id": p.id, "label": p.label, "stack": list(p.stack), "params": p.params, "seed": p.seed}
                       for p in sweep.points],
        }
        self._atomic_write(self.root / "manifest.json", (json.dumps(manifest, indent=2, default=str) + "\n").encode())
        return self.done()

    def done(self) -> set[str]:
        return {p.parent.name.removeprefix("point=") for p in self.metrics_dir.glob(f"point=*/{PART}")}

    def write_point(self, point_id: str, table: pd.DataFrame) -> None:
        d = self.metrics_dir / f"point={point_id}"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{PART}.tmp{os.getpid()}"
        table.to_parquet(tmp, index=False)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, d / PART)

    def write_error(self, point_id: str, name: str, message: str) -> None:
        """Record a point that failed (``errors.json``: id, name, message); a rerun tries it again."""
        f = self.root / "errors.json"
        errors = json.loads(f.read_text()) if f.is_file() else {}
        errors[point_id] = {"point": name, "error": message}
        self._atomic_write(f, (json.dumps(errors, indent=2) + "\n").encode())

    def clear_errors(self, ids) -> None:
        f = self.root / "errors.json"
        if f.is_file():
            errors = {k: v for k, v in json.loads(f.read_text()).items() if k not in set(ids)}
            self._atomic_write(f, (json.dumps(errors, indent=2) + "\n").encode())

    def errors(self) -> dict:
        f = self.root / "errors.json"
        return json.loads(f.read_text()) if f.is_file() else {}

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    # ---------------------------------------------------------------- reading

    def manifest(self) -> dict:
        f = self.root / "manifest.json"
        if not f.is_file():
            raise InputError([Problem(str(self.root), "store", "not a sweep store: manifest.json not found; give the "
                                                               "--out directory of a `riskmodel sweep`")], "store")
        return json.loads(f.read_text())

    def read(self) -> pd.DataFrame:
        """Every finished point's metrics, in the manifest's order of points."""
        m = self.manifest()
        frames = [pd.read_parquet(self.metrics_dir / f"point={p['id']}" / PART) for p in m["points"]
                  if (self.metrics_dir / f"point={p['id']}" / PART).is_file()]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in {**METRICS_SCHEMA, **POINT_COLUMNS}.items()})
        return pd.concat(frames, ignore_index=True)


def point_table(metrics: pd.DataFrame, point, n_sims: int, method: str, param_names: list[str]) -> pd.DataFrame:
    out = metrics.copy()
    out["point"] = point.id
    out["label"] = point.label
    out["stack"] = "+".join(Path(f).name for f in point.stack)
    out["seed"] = np.int64(point.seed)
    out["n_sims"] = np.int64(n_sims)
    out["method"] = method
    out = out.astype(POINT_COLUMNS)
    for k in param_names:
        v = point.params.get(k)
        out[k] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
    return out


def report(store: Store, metric: str = "ec", level: float | None = None) -> pd.DataFrame:
    """Points ranked by ``metric`` at ``level``, against the base point: value, change and ratio, with errors.

    Points run on their own seeds, so the change's error is the two errors in quadrature.
    """
    m = store.manifest()
    df = store.read()
    if df.empty:
        raise InputError([Problem(str(store.root), "store", "holds no finished point yet; run the sweep")], "store")
    levels = sorted(df["level"].dropna().unique())
    if metric in ("el", "sd"):
        level = None
    elif level is None:
        level = float(max(levels))
    elif not any(abs(level - x) < 1e-12 for x in levels):
        raise InputError([Problem(str(store.root), "store", f"no level {level} in this sweep; it has {levels}",
                                  "--level", value=level)], "store")
    sel = df[(df["metric"] == metric) & (df["level"].isna() if level is None else (df["level"] - level).abs() < 1e-12)]
    if sel.empty:
        raise InputError([Problem(str(store.root), "store", f"metric {metric!r} was not kept by this sweep "
                                                            f"(kept: {sorted(df['metric'].unique())})", "--metric")],
                         "store")
    base = sel[sel["label"] == "base"]
    params = m.get("params", [])
    base_row = base.iloc[0] if len(base) else None
    out = sel[["point", "label", "stack", *params, "value", "se", "ci_low", "ci_high", "warning"]].copy()
    if base_row is not None and len(params):  # the base at the same grid values, else the first base point
        key = out[params].astype(str).agg("|".join, axis=1)
        bkey = base[params].astype(str).agg("|".join, axis=1)
        b_val = dict(zip(bkey, base["value"]))
        b_se = dict(zip(bkey, base["se"]))
        out["base_value"] = key.map(b_val).fillna(base_row["value"]).astype(float)
        out["base_se"] = key.map(b_se).fillna(base_row["se"]).astype(float)
    elif base_row is not None:
        out["base_value"], out["base_se"] = float(base_row["value"]), float(base_row["se"])
    else:
        out["base_value"], out["base_se"] = np.nan, np.nan
    out["change"] = out["value"] - out["base_value"]
    out["change_se"] = np.where(out["label"] == "base", 0.0, np.hypot(out["se"], out["base_se"]))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(out["base_value"] != 0, out["value"] / out["base_value"], np.nan)
        # delta method, the two runs independent; exact zero for the base against itself
        ratio_se = np.where(out["label"] == "base", 0.0, np.abs(ratio) * np.hypot(
            out["se"] / out["value"].where(out["value"] != 0), out["base_se"] / out["base_value"]))
    out["ratio"] = pd.array(ratio, dtype="Float64")  # null where the base is zero
    out["ratio_se"] = pd.array(np.where(np.isfinite(ratio_se), ratio_se, np.nan), dtype="Float64")
    out.insert(0, "metric", metric)
    out.insert(1, "level", level)
    out = out.sort_values(["value", "label"], ascending=[False, True]).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[[c for c in out.columns if c != "warning"] + ["warning"]]
