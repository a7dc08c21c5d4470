"""A realistic, deterministic demo mission (fictional places, no real people) for an empty database.

Same seed and ``as_of`` give the same rows, uids included. Speed is what shapes the
code: one million inputs must load in minutes on a laptop, so rows are drawn as
numpy columns (never one ORM object per row), timestamps are pre-formatted as the
strings the database stores, and rows go in through the driver in batches
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) inside one transaction, so a
failure leaves nothing behind. The loop facts on ``Input`` are computed here with
exactly the rules of ``tracker.loop`` (``facts_drift`` finds nothing to correct).
The rows are drawn by ``tracker.demo_gen`` from the weights and places in
``tracker.demo_weights`` and the phrases in ``tracker.demo_text``; this module loads them.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select, text
from sqlmodel import Session

from tracker import demo_gen as gen
from tracker import demo_text as T
from tracker import demo_weights as W
from tracker.audit import seal
from tracker.codes import NotPossibleReason
from tracker.demo_accounts import demo_password_hash
from tracker.demo_weights import lookup
from tracker.errors import HearbackError, ValidationError
from tracker.models import (
    Action,
    ActionInput,
    AuditEvent,
    Input,
    InputTheme,
    Locality,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
    ServiceLevel,
    User,
)
from tracker.repeats import refresh_repeat_flags
from tracker.rollups import build as rollups
from tracker.seed import INPUT_TYPES, SECTIONS, THEMES, seed_defaults
from tracker.services import ensure_system_user
from tracker.sqltypes import utcnow

MIN_INPUTS = 1
_BATCH = 20_000
_REBUILD_ABOVE = 50_000  # rows from which rebuilding indexes beats updating them
_ID_TABLES = (Locality, User, Input, Action, ReportBack, ReportBackMessage)
_TABLES = {m.__tablename__: m.__table__ for m in (
    Locality, User, Input, InputTheme, Action, ActionInput, ReportBack, ReportBackMessage,
    ReportBackInput)}


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote (localities counts every node, mission to village)."""

    localities: int
    users: int
    inputs: int
    actions: int
    report_backs: int
    elapsed: float  # seconds
    seed: int
    as_of: datetime


def generate_demo(
    engine: Engine, *, inputs: int = 2000, seed: int = 1, as_of: datetime | None = None
) -> DemoSummary:
    """Fill an empty, migrated database with a demo mission; refuse one that holds inputs."""
    started = time.perf_counter()
    if inputs < MIN_INPUTS:
        raise ValidationError(f"the demo needs at least {MIN_INPUTS} inputs", field="inputs")
    if as_of is None:
        as_of = utcnow().replace(minute=0, second=0, microsecond=0)
    elif as_of.tzinfo is None:
        raise ValidationError("as_of must carry a time zone", field="as_of")
    as_of = as_of.astimezone(UTC).replace(microsecond=0)
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise HearbackError(f"the demo loads SQLite or PostgreSQL, not {engine.dialect.name}")
    with engine.connect() as conn:
        _refuse_non_empty(conn)
    with Session(engine) as session:
        seed_defaults(session)
        system_id = ensure_system_user(session).id  # the demo's audit event is the system's
        sl = ServiceLevel.__table__.c
        levels = {(t, u): h for t, u, h in
                  session.execute(select(sl.type_code, sl.urgency, sl.hours))}
    drawn = gen.build(inputs=inputs, seed=seed, as_of=int(as_of.timestamp()), levels=levels)
    with engine.connect() as conn, _bulk_mode(conn), conn.begin():
        _refuse_non_empty(conn)  # again, under the write lock
        offsets = {m.__tablename__: conn.scalar(select(func.max(m.id))) or 0 for m in _ID_TABLES}
        counts = _load(conn, columns(drawn), offsets)
        refresh_repeat_flags(conn)  # type: ignore[arg-type]  # one window pass over everything
        rollups.rebuild(conn)  # the dashboards' summary tables, in the same transaction
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
        event = {
            "uid": drawn.uids["audit_event"][0].decode(), "at": utcnow(), "user_id": system_id,
            "verb": "demo_generated", "entity": "database", "entity_id": None,
            "entity_uid": None, "before": None,
            "after": {"seed": seed, "as_of": as_of.isoformat(), **counts},
            "reason": "demo data set for a fictional mission (tracker.demo)",
        }
        conn.execute(AuditEvent.__table__.insert().values(**seal(conn, [event])[0]))
    return DemoSummary(
        localities=counts["locality"], users=counts["app_user"], inputs=counts["input"],
        actions=counts["action"], report_backs=counts["report_back"],
        elapsed=time.perf_counter() - started, seed=seed, as_of=as_of,
    )


def _refuse_non_empty(conn: Connection) -> None:
    """Demo rows must never mix with a mission's real records."""
    if conn.scalar(select(Input.__table__.c.id).limit(1)) is not None:
        raise HearbackError(
            "this database already holds inputs; the demo only fills an empty database "
            "(point DATABASE_URL at a new file or schema)"
        )
    taken = conn.scalars(select(User.__table__.c.username).where(
        User.__table__.c.username.in_(W.USERNAMES))).all()
    if taken:
        raise HearbackError(f"demo usernames already exist: {', '.join(sorted(taken))}")


@contextmanager
def _bulk_mode(conn: Connection) -> Iterator[None]:
    """On SQLite, skip fsync and widen the page cache for the one load transaction.

    ``synchronous=OFF`` only drops the flushes at commit: in WAL mode an application
    crash cannot corrupt the file, and a power cut during the load loses a demo that
    can be generated again. The connection's previous settings (``FULL``, the default
    cache) are restored before it goes back to the pool.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    sync = raw.execute("PRAGMA synchronous").fetchone()[0]
    cache = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute("PRAGMA synchronous = OFF")
    raw.execute("PRAGMA cache_size = -262144")  # 256 MiB: index pages stay in memory
    try:
        yield
    finally:
        raw.execute(f"PRAGMA synchronous = {int(sync)}")
        raw.execute(f"PRAGMA cache_size = {int(cache)}")


def _reset_sequences(conn: Connection) -> None:
    """Explicit ids bypass PostgreSQL's sequences; move them past the rows just written."""
    for model in _ID_TABLES:
        name = model.__tablename__
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)"
        ))


def _load(conn: Connection, tables: dict[str, tuple[int, dict[str, Any]]],
          offsets: dict[str, int]) -> dict[str, int]:
    """Write every table in foreign-key order; return the rows written per table."""
    pg = conn.dialect.name == "postgresql"
    raw = conn.connection.driver_connection
    quote = conn.dialect.identifier_preparer.quote
    for name, (n, cols) in tables.items():
        names = [c.name for c in _TABLES[name].columns]
        if set(names) != set(cols):
            raise HearbackError(f"demo columns out of step with table {name}: "
                                f"{sorted(set(names) ^ set(cols))}")
        specs = [_shift(cols[c], offsets) for c in names]
        head = f"{quote(name)} ({', '.join(quote(c) for c in names)})"
        with _indexes_rebuilt(conn, name, n):
            for start in range(0, n, _BATCH):
                end = min(n, start + _BATCH)
                rows = zip(*(_values(spec, start, end, pg) for spec in specs), strict=True)
                if pg:
                    with raw.cursor() as cur, cur.copy(f"COPY {head} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    raw.executemany(
                        f"INSERT INTO {head} VALUES ({', '.join('?' * len(names))})", rows)
    return {name: n for name, (n, _) in tables.items()}


@contextmanager
def _indexes_rebuilt(conn: Connection, table: str, rows: int) -> Iterator[None]:
    """For a big load, drop the table's secondary indexes and rebuild them from their own DDL.

    Building an index once from sorted rows is several times faster than updating ten
    B-trees per row; the DDL is read back from the catalogue, so the indexes come back
    exactly as the migrations made them, in the same transaction.
    """
    if rows < _REBUILD_ABOVE:
        yield
        return
    if conn.dialect.name == "sqlite":
        found = conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
            "AND sql IS NOT NULL"), {"t": table}).all()
    else:  # indexes that back no constraint (primary keys and UNIQUE constraints stay)
        found = conn.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = :t "
            "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
            "::regclass)"), {"t": table}).all()
    quote = conn.dialect.identifier_preparer.quote
    for name, _ in found:
        conn.execute(text(f"DROP INDEX {quote(name)}"))
    yield
    for _, ddl in found:
        conn.execute(text(ddl))


def _shift(spec: tuple[Any, ...], offsets: dict[str, int]) -> tuple[str, Any]:
    """A ("ref", table, rows) column becomes ids past the rows the table already held."""
    if spec[0] != "ref":
        return spec[0], spec[1]
    rows = spec[2]
    return "opt", np.where(rows < 0, -1, rows + offsets.get(spec[1], 0) + 1)


def _values(col: tuple[str, Any], a: int, b: int, pg: bool) -> list[Any]:
    """One column's values for rows a..b, as the driver takes them (negative means NULL)."""
    kind, data = col
    if kind == "const":
        return [data] * (b - a)
    if kind == "py":
        return data[a:b]
    if kind == "lookup":
        index, table = data
        return table[index[a:b]].tolist()
    if kind == "uid":
        return data[a:b].astype("U36").tolist()
    part = data[a:b]
    if kind == "int":
        return part.tolist()
    if kind == "opt":
        out = part.tolist()
        for i in np.flatnonzero(part < 0).tolist():
            out[i] = None
        return out
    if kind == "date":
        out = np.datetime_as_string(part.astype("datetime64[D]")).tolist()
    elif kind == "ts":
        out = _timestamps(part, pg)
    else:
        raise HearbackError(f"unknown demo column kind {kind}")
    for i in np.flatnonzero(part < 0).tolist():
        out[i] = None
    return out


def _timestamps(seconds: np.ndarray, pg: bool) -> list[str]:
    """Epoch seconds as the text each engine stores for ``UTCDateTime`` (SQLite compares text)."""
    days, rest = np.divmod(seconds, gen.DAY)
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    months = month.astype(np.int64)
    hour, rest = np.divmod(rest, 3600)
    fields = ((0, months // 12 + 1970, 4), (5, months % 12 + 1, 2),
              (8, (day - month).astype(np.int64) + 1, 2), (11, hour, 2),
              (14, rest // 60, 2), (17, rest % 60, 2))
    template = b"0000-00-00 00:00:00" + (b"+00" if pg else b".000000")
    out = np.empty((len(seconds), len(template)), np.uint8)
    out[:] = np.frombuffer(template, np.uint8)
    for at, value, width in fields:
        for j in range(width):
            out[:, at + width - 1 - j] += (value // 10**j % 10).astype(np.uint8)
    return out.view(f"S{len(template)}").ravel().astype(f"U{len(template)}").tolist()


def _ref(table: str, rows: np.ndarray) -> tuple[str, str, np.ndarray]:
    return ("ref", table, np.asarray(rows, np.int64))


def _codes(index: np.ndarray, codes: list[str | None]) -> tuple[str, Any]:
    return ("lookup", (index, lookup(codes)))


def columns(d: gen.Drawn) -> dict[str, tuple[int, dict[str, Any]]]:
    """Every table's columns, in foreign-key order, from the drawn arrays."""
    inp, act, rb, geo = d.inputs, d.actions, d.report_backs, d.geo
    names, n_places = geo["names"], len(geo["names"])
    since = d.start - 30 * gen.DAY  # places and accounts predate the first input
    place_cols = list(zip(*d.places, strict=True))
    user_cols = list(zip(*W.USERS, strict=True))
    n, na, nr = inp["t"].size, act["kind"].size, rb["t"].size
    texts = gen.text_table(names)
    theme_rows = np.r_[np.arange(n), np.flatnonzero(inp["th2"] >= 0)]
    theme_codes = np.r_[inp["th"], inp["th2"][inp["th2"] >= 0]]
    by_input = np.argsort(theme_rows, kind="stable")  # primary theme first
    people = {c: ("opt", inp["people"][:, k]) for k, c in enumerate(
        ("girls", "young_women", "women", "boys", "young_men", "men"))}
    flags = {c: ("int", inp["flags"][:, k]) for k, c in enumerate(
        ("source_women", "source_youth", "source_displaced", "source_minority"))}
    reasons = [r.value for r in NotPossibleReason]
    return {
        "locality": (len(d.places), {
            "id": _ref("locality", np.arange(len(d.places))), "uid": ("uid", d.uids["locality"]),
            "name": ("py", place_cols[0]), "level": ("py", place_cols[1]),
            "parent_id": _ref("locality", np.array(place_cols[2])),
            "region_id": _ref("locality", np.array(place_cols[3])),
            "place_type": ("py", place_cols[4]), "setting": ("py", place_cols[5]),
            "latitude": ("py", place_cols[6]), "longitude": ("py", place_cols[7]),
            "created_at": ("ts", np.full(len(d.places), since))}),
        "app_user": (len(W.USERS), {
            "id": _ref("app_user", np.arange(len(W.USERS))), "uid": ("uid", d.uids["app_user"]),
            "username": ("py", user_cols[0]), "display_name": ("py", user_cols[1]),
            "role": ("py", user_cols[2]), "component_code": ("py", user_cols[3]),
            "section_code": ("py", user_cols[4]), "active": ("const", True),
            "password_hash": ("const", demo_password_hash()), "failed_signins": ("const", 0),
            "locked_until": ("const", None),
            "created_at": ("ts", np.full(len(W.USERS), since))}),
        "input": (n, {
            "id": _ref("input", np.arange(n)), "uid": ("uid", d.uids["input"]),
            "received_at": ("ts", inp["t"]), "recorded_at": ("ts", inp["recorded"]),
            "channel_code": _codes(inp["ch"], W.CH),
            "locality_id": _ref("locality", geo["node"][inp["loc"]]),
            "type_code": _codes(inp["ty"], W.TY), "urgency": _codes(inp["urg"], W.UR),
            "sensitivity": _codes(inp["sens"], ["public", "internal", "confidential",
                                                "restricted"]),
            "language": _codes(inp["lang"], W.LANGS),
            "original_text": ("lookup", (inp["text"], texts)),
            "translation": ("lookup", (inp["translation"], texts)),
            "summary": _codes(inp["summary"], [f"{tl}: {hl}, {p}" for _, tl in INPUT_TYPES
                                               for _, hl, _ in THEMES for p in names]),
            "recorded_by_id": _ref("app_user", inp["rec"]),
            "component_code": _codes(inp["rec"], list(user_cols[3])),
            "section_code": _codes(inp["rec"], list(user_cols[4])),
            "source_group": _codes(inp["grp"], W.G),
            "source_code": _codes(inp["source"], [f"CAN-{i + 1:03d}" for i in range(n_places * 5)]),
            **flags, **people,
            "consent_contact": ("int", inp["contact"]),
            "consent_public": _codes(inp["consent_public"], ["none", "aggregate", "quote"]),
            "respond_by": ("ts", inp["respond_by"]), "acknowledged_at": ("ts", inp["ack"]),
            "acknowledged_by_id": _ref("app_user", np.where(inp["ack"] >= 0, inp["rec"], -1)),
            "actions_total": ("int", inp["actions_total"]),
            "actions_open": ("int", inp["actions_open"]),
            "first_action_at": ("ts", inp["first_action"]),
            "last_action_closed_at": ("ts", inp["last_closed"]),
            "first_report_back_at": ("ts", inp["first_rb"]), "closed_at": ("ts", inp["closed"]),
            # Set by tracker.repeats once every input and theme is loaded.
            "repeats_open_ask": ("int", np.zeros_like(inp["contact"])),
            "updated_at": ("ts", inp["updated"])}),
        "input_theme": (theme_rows.size, {
            "input_id": _ref("input", theme_rows[by_input]),
            "theme_code": _codes(theme_codes[by_input], W.TH)}),
        "action": (na, {
            "id": _ref("action", np.arange(na)), "uid": ("uid", d.uids["action"]),
            "kind_code": _codes(act["kind"], W.KI),
            "title": _codes(act["title"], [t.format(place=p) if t else None for k in W.KI
                                           for t in (T.ACTION_TITLES[k] + [None] * 4)[:4]
                                           for p in names]),
            "description": ("const", None),
            "component_code": _codes(act["sec"], [c for _, _, c in SECTIONS]),
            "section_code": _codes(act["sec"], W.SECTION_CODES),
            "locality_id": _ref("locality", geo["node"][act["loc"]]),
            "status": _codes(act["status"], ["planned", "in_progress", "done", "not_possible"]),
            "not_possible_reason": _codes(act["reason"], reasons),
            "is_public_commitment": ("int", act["commit"]), "due_date": ("date", act["due"]),
            "created_at": ("ts", act["created"]), "created_by_id": _ref("app_user", act["creator"]),
            "started_at": ("ts", act["started"]), "closed_at": ("ts", act["closed"]),
            "outcome": _codes(act["outcome"], [T.OUTCOME_DONE[k] for k in W.KI]
                              + [T.OUTCOME_NOT_POSSIBLE[r] for r in reasons]),
            "updated_at": ("ts", act["updated"])}),
        "action_input": (d.pairs["inp"].size, {
            "action_id": _ref("action", d.pairs["act"]), "input_id": _ref("input", d.pairs["inp"]),
            "kind": _codes(d.pairs["link"], ["answers", "informed_by", "referred"]),
            "linked_at": ("ts", d.pairs["linked"]),
            "linked_by_id": _ref("app_user", act["creator"][d.pairs["act"]])}),
        "report_back": (nr, {
            "id": _ref("report_back", np.arange(nr)), "uid": ("uid", d.uids["report_back"]),
            "audience": _codes(rb["audience"], W.AUDIENCES),
            "method": _codes(rb["method"], W.METHODS), "reported_at": ("ts", rb["t"]),
            "locality_id": _ref("locality", geo["node"][rb["loc"]]),
            "recorded_by_id": _ref("app_user", rb["rec"]),
            "approved_public": ("int", rb["public"]), "created_at": ("ts", rb["created"])}),
        "report_back_message": (d.messages["rb"].size, {
            "id": _ref("report_back_message", np.arange(d.messages["rb"].size)),
            "report_back_id": _ref("report_back", d.messages["rb"]),
            "language": _codes(d.messages["lang"], W.LANGS),
            "text": _codes(d.messages["text"], [
                (msgs.get(key) or msgs["done"]).format(place=p) for key in W.MSG_KEYS
                for msgs in (T.MESSAGES[lg] for lg in W.LANGS) for p in names])}),
        "report_back_input": (d.links["rb"].size, {
            "report_back_id": _ref("report_back", d.links["rb"]),
            "input_id": _ref("input", d.links["inp"])}),
    }
