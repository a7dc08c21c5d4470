"""The naive baseline of ``bench_scale.py``: every input loaded into pandas, then the
leadership figures computed there (what DESIGN.md rules out; here only to measure
against). It mirrors ``tracker.overview.leadership_data`` closely enough to cost the
same kind of work: the same groupings, percentiles and joins, for one filter set.
"""

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from tracker.models import Action, ActionInput, Input, InputTheme, Locality, Term

FEMALE, MALE, YOUTH = ["girls", "young_women", "women"], ["boys", "young_men", "men"], ["young_women",
                                                                                    "young_men"]
TIMES = ["received_at", "respond_by", "acknowledged_at", "first_action_at", "first_report_back_at",
         "closed_at"]


def load(engine: Engine) -> dict[str, pd.DataFrame]:
    """The inputs (every column a figure needs), their themes, places, actions and terms."""
    c = Input.__table__.c
    cols = [c.id, c.locality_id, c.channel_code, c.component_code, c.section_code, c.type_code,
            c.language, c.sensitivity, *(c[n] for n in FEMALE + MALE),
            c.source_women, c.source_youth, c.source_displaced, c.source_minority,
            c.repeats_open_ask, *(c[n] for n in TIMES)]
    with engine.connect() as conn:
        inputs = pd.read_sql(select(*cols), conn)
        themes = pd.read_sql(select(InputTheme.__table__), conn)
        places = pd.read_sql(select(Locality.__table__), conn)
        actions = pd.read_sql(select(Action.__table__.c.id, Action.__table__.c.is_public_commitment,
                                     Action.__table__.c.due_date, Action.__table__.c.status,
                                     Action.__table__.c.closed_at), conn)
        links = pd.read_sql(select(ActionInput.__table__.c.action_id, ActionInput.__table__.c.input_id), conn)
        t = Term.__table__.c
        terms = pd.read_sql(select(t.kind, t.code, t.label), conn)
    for col in TIMES:
        inputs[col] = pd.to_datetime(inputs[col], utc=True, format="ISO8601")
    actions["closed_at"] = pd.to_datetime(actions["closed_at"], utc=True, format="ISO8601")
    actions["due_date"] = pd.to_datetime(actions["due_date"])
    inputs = inputs.merge(places[["id", "region_id", "setting"]].rename(columns={"id": "locality_id"}),
                          on="locality_id", how="left")
    return {"inputs": inputs, "themes": themes, "places": places, "actions": actions,
            "links": links, "terms": terms}


def _hours(df: pd.DataFrame, col: str) -> pd.Series:
    return (df[col] - df["received_at"]).dt.total_seconds() / 3600


def _closure(df: pd.DataFrame, key: str, overdue: pd.Series) -> pd.DataFrame:
    g = df.assign(closed=df["closed_at"].notna(), overdue=overdue).groupby(key, dropna=False)
    out = g.agg(inputs=("id", "size"), closed=("closed", "sum"), overdue_open=("overdue", "sum"))
    out["closure_rate"] = out["closed"] / out["inputs"]
    return out.sort_values("inputs", ascending=False)


def leadership(frames: dict[str, pd.DataFrame], region: int | None, now: datetime) -> dict[str, Any]:
    """The leadership page's figures for all time (and one region), computed in pandas."""
    df = frames["inputs"]
    if region is not None:
        df = df[df["region_id"] == region]
    now_ts = pd.Timestamp(now)
    is_open = df["closed_at"].isna()
    overdue = is_open & (df["respond_by"] < now_ts)
    people = df[FEMALE + MALE].fillna(0).sum(axis=1)
    out: dict[str, Any] = {
        "total": len(df), "closed": int((~is_open).sum()), "overdue": int(overdue.sum()),
        "share_women": df[FEMALE].fillna(0).sum(axis=1).sum() / max(people.sum(), 1),
        "share_youth": df[YOUTH].fillna(0).sum(axis=1).sum() / max(people.sum(), 1),
        "shares": df[["source_women", "source_youth", "source_displaced", "source_minority"]].mean(),
        "rural": df["setting"].isin(["rural", "remote"]).mean(), "repeats": int(df["repeats_open_ask"].sum()),
        "languages": df["language"].value_counts(),
    }
    for col in ("acknowledged_at", "first_action_at", "first_report_back_at"):
        out[col] = _hours(df, col).dropna().quantile([0.5, 0.9])
    linked = frames["links"][frames["links"]["input_id"].isin(df["id"])]["action_id"]
    acts = frames["actions"]
    due = acts[acts["is_public_commitment"].astype(bool) & (acts["due_date"] <= now_ts.tz_localize(None))
               & acts["id"].isin(linked)]
    out["commitments"] = (len(due), int(((due["status"] == "done")
                                         & (due["closed_at"].dt.tz_localize(None).dt.normalize()
                                            <= due["due_date"])).sum()))
    last = df.groupby("locality_id")["received_at"].max()
    out["silent"] = int((last < now_ts - timedelta(days=60)).sum())
    week = df["received_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    closed_week = df["closed_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    out["weekly"] = pd.concat([week.value_counts().rename("received"),
                               closed_week.value_counts().rename("closed")], axis=1).fillna(0)
    out["rb"] = pd.cut(_hours(df, "first_report_back_at").dropna() / 24,
                       [0, 1, 3, 7, 14, 30, 60, 90, float("inf")], right=False).value_counts()
    themed = df.merge(frames["themes"], left_on="id", right_on="input_id")
    out["by"] = {key: _closure(d, key, d["closed_at"].isna() & (d["respond_by"] < now_ts))
                 for key, d in (("region_id", df), ("theme_code", themed), ("channel_code", df),
                                ("component_code", df))}
    month = df["received_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time
    out["inclusion"] = df.assign(month=month, people=people).groupby("month").agg(
        inputs=("id", "size"), participants=("people", "sum"), displaced=("source_displaced", "sum"))
    out["map"] = df.assign(closed=~is_open).groupby("locality_id").agg(
        inputs=("id", "size"), closed=("closed", "sum")).join(frames["places"].set_index("id"), how="right")
    open_df = df[is_open]
    out["bottlenecks"] = open_df.assign(overdue=overdue[is_open]).groupby("section_code", dropna=False).agg(
        open=("id", "size"), overdue=("overdue", "sum"), oldest=("received_at", "min")
    ).sort_values(["overdue", "open"], ascending=False).head(20)
    out["oldest"] = open_df[open_df["sensitivity"] != "restricted"].nsmallest(15, "received_at")
    return out
