"""Writes into a big database: ``python benchmarks/bench_writes_at_scale.py --inputs 1000000``.

``bench_import.py`` imports into an empty database, where keeping the summary cells
current costs little; a field office's or a mission's database is not empty. This one
takes the demo database of ``bench_scale.py`` (built on first use, then reused from
``data/bench-scale-N.db``), copies it, and measures in the copy (SQLite):

* an import of a spreadsheet log dated within the demo's last year, into the demo's
  places, so its rows land in cells that already count thousands of inputs;
* recording one input with the service, dated today and back-dated by 90 and 400 days
  (a back-dated input can make later inputs of its place repeats), median of five.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import bench_import as bi
from bench_scale import ensure_database
from sqlalchemy import func, select
from sqlmodel import Session

from tracker.db import make_engine
from tracker.io.importer import import_file
from tracker.io.mapping import load_mapping
from tracker.models import Input, User
from tracker.services import ensure_system_user, record_input
from tracker.settings import PROJECT_ROOT

DATES = ("Date", "Date closed", "Date of feedback")


def recent_log(n: int, last: date) -> bytes:
    """``bench_import``'s log of ``n`` rows, moved to end about a year before ``last``."""
    rows = bi.log_rows(n, with_follow_up=True)
    cols = [rows[0].index(c) for c in DATES]
    span = timedelta(days=n // 8)
    shift = (last - timedelta(days=365) - span) - date(2018, 1, 1)
    for row in rows[1:]:
        for c in cols:
            if row[c]:
                row[c] = (datetime.strptime(row[c], "%d/%m/%Y").date() + shift).strftime("%d/%m/%Y")
    return bi._csv(rows)


def time_import(engine: Any, data: bytes, rows: int) -> str:
    with Session(engine) as session:
        actor = ensure_system_user(session)
        mapping = load_mapping(bi.MAPPING).with_source(name=f"bench-{uuid.uuid4().hex[:8]}")
        started = time.perf_counter()
        result = import_file(session, actor, data, mapping, name="log.csv", batch_size=1000)
        seconds = time.perf_counter() - started
    done = result.as_dict()
    return (f"{done['imported']:,} of {rows:,} rows in {seconds:.1f} s: "
            f"{done['imported'] / seconds:,.0f} rows/s ({done['rejected']} rejected)")


def time_records(engine: Any, days_back: int) -> float:
    """Median seconds of five ``record_input`` calls in the busiest place."""
    with Session(engine) as session:
        admin_id = session.execute(select(User.id).where(User.role == "admin")).scalar()
        place, _ = session.execute(select(Input.locality_id, func.count()).group_by(
            Input.locality_id).order_by(func.count().desc())).first()  # type: ignore[misc]
        last = session.execute(select(func.max(Input.received_at))).scalar_one()
    times = []
    for k in range(5):
        with Session(engine) as session:
            started = time.perf_counter()
            record_input(session=session, actor=session.get(User, admin_id), data={  # type: ignore[arg-type]
                "received_at": last - timedelta(days=days_back, hours=k),
                "channel_code": "town_hall", "locality_id": place, "type_code": "request",
                "theme_codes": ["security"], "language": "fr", "original_text": "Bench."})
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=5000)
    args = parser.parse_args(argv)
    cache = PROJECT_ROOT / "data" / f"bench-scale-{args.inputs}.db"
    ensure_database(f"sqlite:///{cache.resolve()}", None, args.inputs, False)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copy(cache, copy)
        engine = make_engine(f"sqlite:///{copy}")
        with Session(engine) as session:
            last = session.execute(select(func.max(Input.received_at))).scalar_one().date()
        print(f"SQLite, {args.inputs:,} inputs (a copy of {cache.name})")
        print(f"import of a log into the demo's places: "
              f"{time_import(engine, recent_log(args.import_rows, last), args.import_rows)}")
        for days in (0, 90, 400):
            label = "today" if days == 0 else f"back-dated {days} days"
            print(f"record one input, {label:<22}{time_records(engine, days) * 1000:8.0f} ms")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
