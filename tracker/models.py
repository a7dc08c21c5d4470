"""The tables. Create/update/public shapes live in ``tracker.shapes``.

Every record carries a ``uid`` (UUID) besides its integer key so that a field
office's database can be merged into the mission's without collisions.

The ``Input`` columns under "loop facts" are a cache of what the links, actions
and report-backs say, rewritten from them by ``tracker.loop.refresh_loop_facts``
in the same transaction as every write that touches them; they are never set by
hand, and the loop state is computed from them, never stored.
"""

import os
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, LargeBinary, MetaData, Text, UniqueConstraint, false, text
from sqlalchemy.orm import configure_mappers
from sqlmodel import Field, SQLModel

from tracker.sqltypes import UTCDateTime, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def new_uid() -> str:
    h = os.urandom(16).hex()  # str(uuid.uuid4()), minus the UUID object: imports make many
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _uid() -> Any:
    return Field(default_factory=new_uid, max_length=36, unique=True, index=True)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


class Term(SQLModel, table=True):
    """A taxonomy entry (channel, input type, theme, component, section, action kind)."""

    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_term_kind_code"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    code: str = Field(max_length=60)
    label: str = Field(max_length=200)
    parent_code: Optional[str] = Field(default=None, max_length=60)
    restricted: bool = False
    sort_order: int = 0
    active: bool = True


class Locality(SQLModel, table=True):
    """A node of mission → region → territory/county → locality."""

    __tablename__ = "locality"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_locality_parent_name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    name: str = Field(max_length=200)
    level: str = Field(max_length=20)
    parent_id: Optional[int] = Field(default=None, foreign_key="locality.id", index=True)
    # Its region (itself for a region): a figure filters by region without walking the tree.
    region_id: Optional[int] = Field(default=None, foreign_key="locality.id", index=True)
    place_type: Optional[str] = Field(default=None, max_length=40)
    setting: Optional[str] = Field(default=None, max_length=10)
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    created_at: datetime = _ts(nullable=False)


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    component_code: Optional[str] = Field(default=None, max_length=60)
    section_code: Optional[str] = Field(default=None, max_length=60)
    active: bool = True
    password_hash: Optional[str] = Field(default=None, max_length=255)
    created_at: datetime = _ts(nullable=False)
    # Consecutive failed sign-ins, and until when the account is locked after too many.
    failed_signins: int = 0
    locked_until: Optional[datetime] = _ts()


class UserSession(SQLModel, table=True):
    """A signed-in browser session, kept server-side so that sign-out and expiry end it.

    Only a hash of the token is stored: a copy of the database cannot be used to sign in.
    """

    __tablename__ = "user_session"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = _ts(nullable=False)
    last_seen_at: datetime = _ts(nullable=False)
    # None while the session lives; then why it ended: signed_out, idle, expired, disabled.
    ended_at: Optional[datetime] = _ts()
    end_reason: Optional[str] = Field(default=None, max_length=20)
    method: str = Field(default="password", max_length=20)


class Input(SQLModel, table=True):
    """One thing a community said."""

    __tablename__ = "input"
    __table_args__ = (
        Index("ix_input_locality_received", "locality_id", "received_at"),
        Index("ix_input_open_due", "closed_at", "respond_by", "locality_id", "received_at",
              "channel_code", "component_code", "section_code"),  # covers tracker.rollups.read.pending
        Index("ix_input_open_age", "closed_at", "received_at"),  # oldest open first
        Index("ix_input_recorder_open", "recorded_by_id", "closed_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    recorded_at: datetime = _ts(nullable=False)
    channel_code: str = Field(max_length=60, index=True)
    locality_id: int = Field(foreign_key="locality.id")
    type_code: str = Field(max_length=60, index=True)
    urgency: str = Field(max_length=10)
    sensitivity: str = Field(max_length=20, index=True)
    language: str = Field(max_length=12)
    original_text: str = Field(sa_type=Text)
    translation: Optional[str] = Field(default=None, sa_type=Text)
    summary: Optional[str] = Field(default=None, max_length=500)
    recorded_by_id: int = Field(foreign_key="app_user.id")
    component_code: Optional[str] = Field(default=None, max_length=60, index=True)
    section_code: Optional[str] = Field(default=None, max_length=60)
    # Group-level description only ("women's group, IDP site"); never a person's name.
    source_group: Optional[str] = Field(default=None, max_length=200)
    # Pseudonymous code of a protected source (e.g. an alert-network focal point).
    source_code: Optional[str] = Field(default=None, max_length=40)
    source_women: bool = False
    source_youth: bool = False
    source_displaced: bool = False
    source_minority: bool = False
    # Participants by gender and age band (under 18, 18-35, over 35).
    girls: Optional[int] = None
    young_women: Optional[int] = None
    women: Optional[int] = None
    boys: Optional[int] = None
    young_men: Optional[int] = None
    men: Optional[int] = None
    consent_contact: bool = False
    consent_public: str = Field(default="aggregate", max_length=12)
    # Service level in force when the input was recorded.
    respond_by: datetime = Field(sa_type=UTCDateTime)
    acknowledged_at: Optional[datetime] = _ts()
    acknowledged_by_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    # Loop facts (see the module docstring).
    actions_total: int = 0
    actions_open: int = 0
    first_action_at: Optional[datetime] = _ts()
    last_action_closed_at: Optional[datetime] = _ts()
    first_report_back_at: Optional[datetime] = _ts()
    closed_at: Optional[datetime] = _ts()
    # Kept by tracker.repeats: an earlier ask of this place on a shared theme was still open.
    repeats_open_ask: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    updated_at: datetime = _ts(nullable=False)


class InputShare(SQLModel, table=True):
    """Who else may read a restricted input (besides admins and the officer who recorded it)."""

    __tablename__ = "input_share"

    input_id: int = Field(foreign_key="input.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    shared_by_id: int = Field(foreign_key="app_user.id")
    shared_at: datetime = _ts(nullable=False)


class SourceContact(SQLModel, table=True):
    """A protected source's contact details, encrypted; erased by ``hearback purge``. Kept
    apart from the input so that erasing it changes no figure and no input row."""

    __tablename__ = "source_contact"

    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    input_id: int = Field(foreign_key="input.id", unique=True)
    ciphertext: str = Field(sa_type=Text)
    recorded_by_id: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, index=True)


class InputTheme(SQLModel, table=True):
    __tablename__ = "input_theme"
    __table_args__ = (Index("ix_input_theme_theme_input", "theme_code", "input_id"),)

    input_id: int = Field(foreign_key="input.id", primary_key=True, ondelete="CASCADE")
    theme_code: str = Field(max_length=60, primary_key=True)


class Action(SQLModel, table=True):
    """What the mission did or committed to do."""

    __tablename__ = "action"
    __table_args__ = (Index("ix_action_commitment_due", "is_public_commitment", "due_date"),
                      Index("ix_action_status_closed", "status", "closed_at", "id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    kind_code: str = Field(max_length=60)
    title: str = Field(max_length=300)
    description: Optional[str] = Field(default=None, sa_type=Text)
    component_code: Optional[str] = Field(default=None, max_length=60)
    section_code: Optional[str] = Field(default=None, max_length=60, index=True)
    locality_id: Optional[int] = Field(default=None, foreign_key="locality.id", index=True)
    status: str = Field(default="planned", max_length=20)
    not_possible_reason: Optional[str] = Field(default=None, max_length=30)
    is_public_commitment: bool = False
    due_date: Optional[date] = None
    created_at: datetime = _ts(nullable=False)
    created_by_id: int = Field(foreign_key="app_user.id")
    started_at: Optional[datetime] = _ts()
    closed_at: Optional[datetime] = _ts()
    outcome: Optional[str] = Field(default=None, sa_type=Text)
    updated_at: datetime = _ts(nullable=False)


class ActionInput(SQLModel, table=True):
    """Many-to-many: one borehole answers forty requests; one input may need a patrol and a referral."""

    __tablename__ = "action_input"
    action_id: int = Field(foreign_key="action.id", primary_key=True)
    input_id: int = Field(foreign_key="input.id", primary_key=True, index=True)
    kind: str = Field(default="answers", max_length=20)
    linked_at: datetime = _ts(nullable=False)
    linked_by_id: int = Field(foreign_key="app_user.id")


class ReportBack(SQLModel, table=True):
    """The loop closing: who was told, how, when."""

    __tablename__ = "report_back"
    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    audience: str = Field(max_length=20)
    method: str = Field(max_length=30)
    reported_at: datetime = Field(sa_type=UTCDateTime, index=True)
    locality_id: Optional[int] = Field(default=None, foreign_key="locality.id", index=True)
    recorded_by_id: int = Field(foreign_key="app_user.id")
    # Only an approved message may ever appear on the public display.
    approved_public: bool = False
    created_at: datetime = _ts(nullable=False)


class ReportBackMessage(SQLModel, table=True):
    __tablename__ = "report_back_message"
    __table_args__ = (UniqueConstraint("report_back_id", "language", name="uq_report_back_message_lang"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    report_back_id: int = Field(foreign_key="report_back.id", index=True, ondelete="CASCADE")
    language: str = Field(max_length=12)
    text: str = Field(sa_type=Text)


class ReportBackInput(SQLModel, table=True):
    __tablename__ = "report_back_input"
    report_back_id: int = Field(foreign_key="report_back.id", primary_key=True)
    input_id: int = Field(foreign_key="input.id", primary_key=True, index=True)


class ServiceLevel(SQLModel, table=True):
    """Hours within which an input of a type and urgency must be closed."""

    __tablename__ = "service_level"
    __table_args__ = (UniqueConstraint("type_code", "urgency", name="uq_service_level_type"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    type_code: str = Field(max_length=60)
    urgency: str = Field(max_length=10)
    hours: int


class AuditEvent(SQLModel, table=True):
    """Append-only history: who, when, what, before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    at: datetime = _ts(nullable=False, index=True)
    user_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    verb: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: Optional[int] = None
    entity_uid: Optional[str] = Field(default=None, max_length=36)
    before: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))
    after: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))
    reason: Optional[str] = Field(default=None, sa_type=Text)
    # Hash chain (tracker.audit): editing or deleting a past event breaks every link after it.
    prev_hash: Optional[str] = Field(default=None, max_length=64)
    hash: Optional[str] = Field(default=None, max_length=64)


class ImportRun(SQLModel, table=True):
    """One run of the importer: which file, by whom, with what outcome (for provenance)."""

    __tablename__ = "import_run"

    id: Optional[int] = Field(default=None, primary_key=True)
    uid: str = _uid()
    source: str = Field(max_length=200)
    file_name: str = Field(max_length=300)
    file_sha256: str = Field(max_length=64)
    user_id: int = Field(foreign_key="app_user.id")
    dry_run: bool = False
    started_at: datetime = _ts(nullable=False)
    # None while running, or for ever when the run was killed (the rows it committed stay).
    finished_at: Optional[datetime] = _ts()
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0


class ImportKey(SQLModel, table=True):
    """The external id of every imported row, written with its input: re-imports skip it."""

    __tablename__ = "import_key"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_import_key_source_external_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=200)
    external_id: str = Field(max_length=200)
    input_id: int = Field(foreign_key="input.id", index=True)
    run_id: int = Field(foreign_key="import_run.id", index=True)


class RollupCell(SQLModel, table=True):
    """Counts of the inputs received at one place on a day (grain "d") or in a month ("m"),
    per value of a dimension: a cache the dashboards read, kept by ``tracker.rollups``."""

    __tablename__ = "rollup_cell"
    # A place's cells by grain (its month cells, or the days a refresh redoes); the public
    # display's month cells by place, on PostgreSQL only (SQLite uses none with bound values).
    __table_args__ = (Index("ix_rollup_cell_place_grain", "locality_id", "grain", "day"),
                      Index("ix_rollup_cell_pub_month", "locality_id", postgresql_where=text(
                          "grain = 'm' AND dim = 'pub_set'")).ddl_if(dialect="postgresql"))
    grain: str = Field(max_length=1, primary_key=True)
    dim: str = Field(max_length=16, primary_key=True)
    day: date = Field(primary_key=True)
    locality_id: int = Field(primary_key=True)
    code: str = Field(max_length=200, primary_key=True)  # "" for none
    inputs: int = 0
    closed: int = 0
    open_inputs: int = 0
    with_report_back: int = 0
    participants: int = 0
    female: int = 0
    youth: int = 0
    src_women: int = 0
    src_youth: int = 0
    src_displaced: int = 0
    src_minority: int = 0
    repeats: int = 0
    oldest_open: Optional[datetime] = _ts()
    counts: Optional[bytes] = Field(default=None, sa_type=LargeBinary)  # a histogram's


class RollupActionPlace(SQLModel, table=True):
    """A place of an input an action answers (``public``: of a public input), by area."""

    __tablename__ = "rollup_action_place"
    __table_args__ = (Index("ix_rollup_action_place_place", "locality_id", "public", "action_id"),)
    action_id: int = Field(primary_key=True)
    locality_id: int = Field(primary_key=True)
    public: bool = Field(primary_key=True)


def _finish() -> None:
    """Tag the columns; configure the mappers now, not in the first page view's query."""
    from tracker.column_tags import tag_columns

    tag_columns(metadata)
    configure_mappers()


_finish()
