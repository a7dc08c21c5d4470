"""Time the importer: ``python benchmarks/bench_import.py --rows 20000``.

Imports N rows of a field office's spreadsheet log (dates over years, as a log is kept)
twice, each time into an empty database (a temporary SQLite file, or with ``--db URL`` a
new schema on that PostgreSQL server, dropped afterwards): rows holding only inputs, and
rows that also carry an action and a report-back (the example log's mix).

Issue 5 asks for an import at least half as fast as a bare ``executemany`` of the same
rows, so the baseline is exactly what each import wrote: its rows in the record tables
(``import_run``, ``input``, ``input_theme``, ``import_key``, ``action``, ``action_input``,
``report_back``, ``report_back_input``, ``report_back_message``, ``audit_event``), read
back as the driver returns them and inserted by the driver's ``executemany`` into a
second database prepared alike (same places and users, same ids), indexes, constraints
and triggers in place. The summary tables the import also refreshes (``rollup_cell``,
``rollup_action_place``) are left out: they are derived from those rows, not imported, so
leaving them out makes the baseline faster and the target no easier (a line for context
adds them: how long the driver takes to insert them too). Two cruder
baselines stay for context: the CSV cells as text into a bare table (no index, no check:
the floor any importer stands on) and converted rows into the ``input`` table alone.
Rates are rows of the CSV per second throughout, so the shares compare like with like.
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
from dataclasses import dataclass
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
VARIANTS = (("inputs only", False), ("with actions and report-backs", True))
# The tables an import writes its records to, parents before children (foreign keys).
RECORD_TABLES = ("import_run", "input", "input_theme", "import_key", "action", "action_input",
                 "report_back", "report_back_input", "report_back_message", "audit_event")
# Link tables have no id of their own; nothing but an import writes them here.
LINK_TABLES = frozenset({"input_theme", "action_input", "report_back_input"})
SUMMARY_TABLES = ("rollup_cell", "rollup_action_place")
CHUNK = 20_000  # rows per executemany
Written = dict[str, tuple[list[str], list[Any]]]  # table -> (columns, rows)


@dataclass(frozen=True)
class ImportTiming:
    """One import and its same-rows baseline, which only mean something side by side."""

    seconds: float  # the importer's
    same_rows: float  # the driver's executemany of the rows it wrote
    written: Written
    summary_rows: int = 0  # rows of the summary tables the import left (not in the baseline)
    with_summary: float = 0.0  # the executemany of the same rows and of those summary rows


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
    """The cells, as text, into a table with no index: one executemany per ``CHUNK`` rows."""
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
        for start in range(1, len(rows), CHUNK):
            cur.executemany(f"INSERT INTO bench_bare VALUES ({marks})", rows[start:start + CHUNK])
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
        for start in range(0, n, CHUNK):
            conn.execute(insert(table), rows[start:start + CHUNK])
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


@contextmanager
def _driver_cursor(engine: Engine) -> Iterator[tuple[Any, Any]]:
    """The driver's own connection and cursor, so no SQLAlchemy type processing touches a
    value. PostgreSQL's JSON comes back as its stored text: psycopg would otherwise parse
    it into dicts it cannot insert again without a wrapper (one more conversion)."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            from psycopg.types.string import TextLoader

            for json_type in ("json", "jsonb"):
                cur.adapters.register_loader(json_type, TextLoader)
        yield raw, cur
    finally:
        raw.close()


def _marks(engine: Engine) -> dict[str, int]:
    """Each record table's highest id (link tables: their row count, which must be 0).
    Rows above it are the import's; preparing a database writes some audit events."""
    with engine.connect() as conn:
        marks = {t: conn.exec_driver_sql(
            f'SELECT {"count(*)" if t in LINK_TABLES else "coalesce(max(id), 0)"} FROM "{t}"'
        ).scalar_one() for t in RECORD_TABLES}
    assert not any(marks[t] for t in LINK_TABLES), marks
    return marks


def _written(engine: Engine, marks: dict[str, int],
             tables: tuple[str, ...] = RECORD_TABLES) -> Written:
    """Every row the import wrote to ``tables``, as stored (all rows of a table not in
    ``marks``: the summary tables are empty before an import)."""
    out: Written = {}
    with _driver_cursor(engine) as (_raw, cur):
        for table in tables:
            where = "" if table not in marks or table in LINK_TABLES else f" WHERE id > {marks[table]}"
            cur.execute(f'SELECT * FROM "{table}"{where}')
            out[table] = ([d[0] for d in cur.description], cur.fetchall())
    return out


def _insert_sql(engine: Engine, table: str, columns: list[str]) -> str:
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join([mark] * len(columns))})'


def _same_rows(engine: Engine, written: Written) -> float:
    """The rows an import wrote, inserted again in one transaction: one executemany per
    table per ``CHUNK`` rows, parents first, every index, constraint and trigger in place."""
    statements = [(_insert_sql(engine, t, cols), rows) for t, (cols, rows) in written.items()]
    with _driver_cursor(engine) as (raw, cur):
        started = time.perf_counter()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN")  # the driver connection is in autocommit mode
        for sql, rows in statements:
            for start in range(0, len(rows), CHUNK):
                cur.executemany(sql, rows[start:start + CHUNK])
        raw.commit()
        return time.perf_counter() - started


def import_and_same_rows(url: str | None, n: int, batch: int, *,
                         with_follow_up: bool) -> ImportTiming:
    """The importer into one empty database, then the rows it wrote into a second one:
    the baseline is the very rows, so no guess about what an import has to store."""
    data = _csv(log_rows(n, with_follow_up=with_follow_up))
    with fresh(url) as engine:
        marks = _marks(engine)
        seconds, summary = _import(engine, data, batch)
        written = _written(engine, marks)
        summaries = _written(engine, {}, SUMMARY_TABLES)
    assert summary["imported"] == n, summary
    with fresh(url) as engine:
        assert _marks(engine) == marks, "the second database is not prepared like the first"
        same = _same_rows(engine, written)
    with fresh(url) as engine:  # for context only: the summary rows are derived, not imported
        with_summary = _same_rows(engine, written | summaries)
    return ImportTiming(seconds, same, written, sum(len(rows) for _c, rows in summaries.values()),
                        with_summary)


def _line(label: str, seconds: float, n: int, note: str = "") -> None:
    print(f"{label:<56}{seconds:8.2f} s {n / seconds:12,.0f} rows/s{note}")


def _extent(written: Written) -> str:
    tables = [t for t, (_cols, rows) in written.items() if rows]
    return f"   ({sum(len(written[t][1]) for t in tables):,} rows in {len(tables)} tables)"


def run(url: str | None, n: int, batch: int) -> None:
    """Each measurement in a database of its own, so none profits from another's rows."""
    print(f"backend: {'sqlite' if url is None else 'postgresql'}; {n:,} rows; "
          f"batches of {batch:,}; rows/s are rows of the CSV per second")
    timings = {label: import_and_same_rows(url, n, batch, with_follow_up=follow)
               for label, follow in VARIANTS}
    for label, t in timings.items():
        _line(f"import, {label}", t.seconds, n,
              f"   (also keeps {t.summary_rows:,} summary rows current, not in the baseline)")
    for label, t in timings.items():
        _line(f"baseline: same rows, {label}", t.same_rows, n, _extent(t.written))
    for label, t in timings.items():
        _line(f"baseline: + summary rows, {label}", t.with_summary, n,
              f"   (+{t.summary_rows:,} summary rows)")
    with fresh(url) as engine:
        bare = _bare(engine, log_rows(n, with_follow_up=True))
    _line("baseline: bare executemany, text cells, no index", bare, n)
    with fresh(url) as engine:
        table = _input_table(engine, n)
    _line("baseline: executemany into input (converted rows)", table, n)
    for label, t in timings.items():
        print(f"import, {label}: {t.same_rows / t.seconds:.1%} of the executemany of the same "
              f"rows (target ≥50%); {t.with_summary / t.seconds:.1%} with the summary rows; "
              f"{bare / t.seconds:.1%} of the bare text cells, "
              f"{table / t.seconds:.1%} of the input-table executemany")


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
