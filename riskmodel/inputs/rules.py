"""Rules across rows and tables: a rating or a pd, known countries, ids present in their tables, dates in
order, collateral that the cover frees, contracts and milestone schedules that hold together."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import Context
from .reference import ReferenceData


def rating_rules(df: pd.DataFrame, ctx: Context, ref: ReferenceData):
    grades = list(ref.master_scale.index)
    has_rating = df["rating"].notna().to_numpy()
    bad = has_rating & ~df["rating"].isin(grades).to_numpy()
    ctx.add(np.flatnonzero(bad), "rating", f"must be a grade of the master scale ({', '.join(grades)})",
            df["rating"])
    neither = ~has_rating & df["pd"].isna().to_numpy()
    if "kind" in df.columns:  # a sovereign buyer may give neither: its country's category gives its PD
        neither &= (df["kind"] != "sovereign").to_numpy()
    ctx.add(np.flatnonzero(neither), "rating, pd", "give a rating or a pd (a pd overrides the rating; a "
            "sovereign buyer given neither takes [sovereigns] pd_by_oecd_category of its country)")


def contract_rules(cov: pd.DataFrame, ctx: Context):
    """Covers of one contract share its exporter and its buyer."""
    has = cov["contract_id"].notna()
    if not has.any():
        return
    for col in ("exporter_id", "importer_id"):
        first = cov[has].groupby("contract_id")[col].transform("first")
        bad = np.zeros(len(cov), dtype=bool)
        bad[has.to_numpy()] = (cov.loc[has, col] != first).to_numpy()
        for i in np.flatnonzero(bad):
            k = cov["contract_id"].iat[i]
            ctx.add([i], col, f"covers of contract {k!r} must share one {col}; the contract's first cover has "
                              f"{first.loc[i]!r}", cov[col])


def schedule_rules(cov: pd.DataFrame, cctx: Context, sch: pd.DataFrame | None, sctx: Context | None):
    """Milestone rows belong to milestone covers, lie inside the cover, and give one outstanding each."""
    is_ms = (cov["schedule"] == "milestones").to_numpy()
    if sch is None:
        cctx.add(np.flatnonzero(is_ms), "schedule", "schedule is milestones but there is no schedules table; "
                 "add schedules.csv with cover_id, date and outstanding (or outstanding_share)")
        return
    both = sch["outstanding"].notna() & sch["outstanding_share"].notna()
    neither = sch["outstanding"].isna() & sch["outstanding_share"].isna()
    sctx.add(np.flatnonzero(both.to_numpy()), "outstanding, outstanding_share",
             "give outstanding (an amount) or outstanding_share (a share of the amount), not both")
    sctx.add(np.flatnonzero(neither.to_numpy()), "outstanding, outstanding_share",
             "give outstanding (an amount) or outstanding_share (a share of the amount)")
    by_id = cov.drop_duplicates("cover_id").set_index("cover_id")
    known = sch["cover_id"].isin(by_id.index).to_numpy()
    sctx.add(np.flatnonzero(sch["cover_id"].notna().to_numpy() & ~known), "cover_id",
             "must be a cover_id present in covers", sch["cover_id"])
    if known.any():  # the rows of known covers, against their cover
        cid = sch["cover_id"].where(known)
        kind = cid.map(by_id["schedule"])
        wrong = known & (kind != "milestones").to_numpy()
        sctx.add(np.flatnonzero(wrong), "cover_id", "this cover's schedule is not milestones; set schedule = "
                 "milestones in covers or remove its rows", sch["cover_id"])
        # the cover's own problems (a bad date or amount) are reported with covers: check only what is known
        start = pd.to_datetime(cid.map(by_id["start"]), errors="coerce")
        end = pd.to_datetime(cid.map(by_id["end"]), errors="coerce")
        dated = sch["date"].notna().to_numpy() & start.notna().to_numpy() & end.notna().to_numpy()
        outside = known & dated & ~((sch["date"] >= start) & (sch["date"] < end)).to_numpy()
        for i in np.flatnonzero(outside):
            sctx.add([i], "date", f"a milestone must lie in [start, end) of its cover "
                     f"({start.iat[i]:%Y-%m-%d} to {end.iat[i]:%Y-%m-%d})", sch["date"].dt.strftime("%Y-%m-%d"))
        over = known & (sch["outstanding"] > pd.to_numeric(cid.map(by_id["amount"]), errors="coerce")).to_numpy()
        sctx.add(np.flatnonzero(over), "outstanding", "outstanding must not exceed the cover's amount",
                 sch["outstanding"])
    dup = sch["cover_id"].notna() & sch["date"].notna() & sch.duplicated(["cover_id", "date"], keep=False)
    sctx.add(np.flatnonzero(dup.to_numpy()), "date", "one row per cover and date; this date appears twice",
             sch["date"].dt.strftime("%Y-%m-%d"))
    without = is_ms & ~cov["cover_id"].isin(sch["cover_id"]).to_numpy()
    cctx.add(np.flatnonzero(without), "schedule", "schedule is milestones but schedules has no row for this "
             "cover; add its milestones or set schedule = bullet or linear")
