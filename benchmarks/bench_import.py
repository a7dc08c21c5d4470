"""Time the importer: ``python benchmarks/bench_import.py --rows 20000``.

Imports N rows of a field office's spreadsheet log (dates over years, as a log is kept)
twice, each time into an empty database (a temporary SQLite file, or with ``--db URL`` a
new schema on that PostgreSQL server, dropped afterwards): rows holding only inputs, and
rows that also carry an action and a report-back (the example log's mix). Against them,
in the same run, the same rows go in with a bare ``executemany``: into a bare table (the
cells as text, no index, no check: the floor any importer stands on) and into the
``input`` table with its indexes (the rows already converted). It prints rows per
second for each and the importer's share of the bare figures (issue 5 asks for half).
"""

import argparse
import csv
import io
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from tracker.db import make_engine, scratch_schema
from tracker.io.importer import import_file
from tracker.io.mapping import load_mapping
from tracker.migrate import upgrade
from tracker.models import Input
from tracker.seed import seed_defaults
from tracker.services import create_locality, ensure_system_user
from tracker.settings import PROJECT_ROOT, normalise_url

MAPPING = PROJECT_ROOT / "data" / "mappings" / "spreadsheet_log.toml"
EXAMPLE = PROJECT_ROOT / "data" / "examples" / "spreadsheet_log.csv"
PLACES = ["Kasolima", "Mbuvi-Centre", "Lwandisi IDP site", "Nyamisoro"]


def log_rows(n: int, *, with_follow_up: bool) -> list[list[str]]:
    """``n`` log rows like the shipped example, one day further every 8 rows."""
    with open(EXAMPLE, encoding="utf-8-sig", newline="") as f:
        head, *body = list(csv.reader(f))
    dated = [head.index(c) for c in ("Date", "Date closed", "Date of feedback")]
    follow = [head.index(c) for c in ("Action taken", "Responsible", "Status", "Date closed",
                                      "Feedback via", "Feedback given", "Date of feedback")]
    start = date(2018, 1, 1)
    rows = [head]
    for i in range(n):
        row = list(body[i % len(body)])
        base = datetime.strptime(row[dated[0]], "%d/%m/%Y").date()
        when = start + timedelta(days=i // 8)
        for c in dated:
            if row[c]:
                shift = datetime.strptime(row[c], "%d/%m/%Y").date() - base
                row[c] = (when + shift).strftime("%d/%m/%Y")
        row[0] = f"{i + 1:07d}"
        row[head.index("Place")] = PLACES[i % len(PLACES)]
        if not with_follow_up:
            for c in follow:
                row[c] = ""
        rows.append(row)
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def _prepare(engine: Engine) -> None:
    upgrade(engine)
    with Session(engine) as session:
        seed_defaults(session)
        admin = ensure_system_user(session)

        def place(name: str, level: str, parent: Any) -> Any:
            return create_locality(session=session, actor=admin, data={
                "name": name, "level": level, "parent_id": parent.id if parent else None})

        mbuvi = place("Mbuvi", "territory", place("Kiravo", "region",
                                                  place("Mission", "mission", None)))
        for name in PLACES:
            place(name, "locality", mbuvi)


def _import(engine: Engine, data: bytes, batch: int) -> tuple[float, dict[str, Any]]:
    with Session(engine) as session:
        actor = ensure_system_user(session)
        mapping = load_mapping(MAPPING).with_source(name=f"bench-{uuid.uuid4().hex[:8]}")
        started = time.perf_counter()
        result = import_file(session, actor, data, mapping, name="log.csv", batch_size=batch)
        return time.perf_counter() - started, result.as_dict()


def _bare(engine: Engine, rows: list[list[str]]) -> float:
    """The cells, as text, into a table with no index: one executemany per 20,000 rows."""
    head = rows[0]
    cols = ", ".join(f"c{i} TEXT" for i in range(len(head)))
    marks = ", ".join(["?" if engine.dialect.name == "sqlite" else "%s"] * len(head))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE bench_bare ({cols})"))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        started = time.perf_counter()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN")  # the driver connection is in autocommit mode
        for start in range(1, len(rows), 20_000):
            cur.executemany(f"INSERT INTO bench_bare VALUES ({marks})", rows[start:start + 20_000])
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def _input_table(engine: Engine, n: int) -> float:
    """Already-converted input rows into the ``input`` table, with its indexes."""
    with Session(engine) as session:
        admin_id = ensure_system_user(session).id
        place = session.execute(text("SELECT max(id) FROM locality")).scalar_one()
    t0 = datetime(2018, 1, 1, tzinfo=UTC)
    rows = [{"uid": str(uuid.uuid4()), "received_at": t0 + timedelta(hours=3 * i),
             "recorded_at": t0, "channel_code": "town_hall", "locality_id": place,
             "type_code": "request", "urgency": "medium", "sensitivity": "internal",
             "language": "fr", "original_text": "Le forage du quartier est en panne.",
             "recorded_by_id": admin_id, "respond_by": t0, "updated_at": t0}
            for i in range(n)]
    table = Input.__table__
    with engine.begin() as conn:
        started = time.perf_counter()
        for start in range(0, n, 20_000):
            conn.execute(insert(table), rows[start:start + 20_000])
        return time.perf_counter() - started


@contextmanager
def fresh(url: str | None) -> Iterator[Engine]:
    """An empty database for one measurement: a temporary SQLite file, or a new schema
    on the PostgreSQL server at ``url`` (dropped afterwards)."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            try:
                _prepare(engine)
                yield engine
            finally:
                engine.dispose()
        return
    with scratch_schema(url, "bench") as engine:
        _prepare(engine)
        yield engine


def run(url: str | None, n: int, batch: int) -> None:
    """Each measurement in a database of its own, so none profits from another's rows."""
    print(f"backend: {'sqlite' if url is None else 'postgresql'}; {n:,} rows; "
          f"batches of {batch:,}")
    results = {}
    for label, follow in (("import, inputs only", False),
                          ("import, with actions and report-backs", True)):
        data = _csv(log_rows(n, with_follow_up=follow))
        with fresh(url) as engine:
            seconds, summary = _import(engine, data, batch)
        assert summary["imported"] == n, summary
        results[label] = n / seconds
        print(f"{label:<44}{seconds:8.2f} s {n / seconds:12,.0f} rows/s")
    with fresh(url) as engine:
        bare = n / _bare(engine, log_rows(n, with_follow_up=True))
    print(f"{'bare executemany, text cells, no index':<44}{n / bare:8.2f} s {bare:12,.0f} rows/s")
    with fresh(url) as engine:
        table = n / _input_table(engine, n)
    print(f"{'executemany into input (converted rows)':<44}{n / table:8.2f} s "
          f"{table:12,.0f} rows/s")
    for label, rate in results.items():
        print(f"{label}: {rate / bare:.1%} of the bare executemany, "
              f"{rate / table:.1%} of the input-table executemany")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--db", help="a PostgreSQL server URL: each measurement runs in a new "
                                     "schema there, dropped afterwards (default: SQLite files)")
    args = parser.parse_args(argv)
    run(normalise_url(args.db) if args.db else None, args.rows, args.batch_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
