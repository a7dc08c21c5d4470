"""Create, update and public shapes: what callers hand to services and get back.

Validation that needs no database lives here (types, ranges, required text); rules
that need the database (a code exists, a locality is known) live in the services.
Every message a form can show is a msgid: pydantic's own are replaced by plain ones in
``parse``, and those the services raise are listed at the end of this module.
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import pydantic
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from tracker.codes import (
    ActionStatus,
    Audience,
    ConsentPublic,
    LocalityLevel,
    LoopState,
    NotPossibleReason,
    ReportMethod,
    Role,
    Sensitivity,
    Setting,
    Urgency,
)
from tracker.errors import ValidationError
from tracker.i18n import N_, Text, known_message

_PHONE = re.compile(r"(?:\+?\d[\d\s().-]{6,}\d)")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]+$")
_SOURCE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")
# A phone number as a source code: nine digits or more, in one run ("0812345678") or with
# only separators between ("243-812-345-678"). A dated serial ("AN-2026-0117") is not one.
_PHONE_CODE = re.compile(r"\d{9}|^[\d_-]*(?:\d[_-]*){9}$")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(N_("must include a time zone"))
    return value


def _no_phone(value: str | None) -> str | None:
    if value and _PHONE.search(value):
        raise ValueError(N_("looks like a phone number; describe the group, never a contact"))
    return value


class InputCreate(SQLModel):
    received_at: datetime
    channel_code: str
    locality_id: int
    type_code: str
    theme_codes: list[str] = Field(min_length=1)
    urgency: Urgency = Urgency.MEDIUM
    sensitivity: Sensitivity | None = None  # None: derived from the themes
    language: str = Field(min_length=2, max_length=12)
    original_text: str = Field(min_length=1)
    translation: str | None = None
    summary: str | None = Field(default=None, max_length=500)
    component_code: str | None = None
    section_code: str | None = None
    source_group: str | None = Field(default=None, max_length=200)
    source_code: str | None = None
    source_women: bool = False
    source_youth: bool = False
    source_displaced: bool = False
    source_minority: bool = False
    girls: int | None = Field(default=None, ge=0)
    young_women: int | None = Field(default=None, ge=0)
    women: int | None = Field(default=None, ge=0)
    boys: int | None = Field(default=None, ge=0)
    young_men: int | None = Field(default=None, ge=0)
    men: int | None = Field(default=None, ge=0)
    consent_contact: bool = False
    consent_public: ConsentPublic = ConsentPublic.AGGREGATE

    _received_aware = field_validator("received_at")(_aware)
    _group_no_phone = field_validator("source_group")(_no_phone)

    @field_validator("original_text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(N_("the community's words are required"))
        return value.strip()

    @field_validator("source_code")
    @classmethod
    def _pseudonymous(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _SOURCE_CODE.match(value):
            raise ValueError(N_("a source code is 2-40 letters, digits, '-' or '_' (never a name)"))
        if _PHONE_CODE.search(value):  # kept in clear, and in the trail for good: never a number
            raise ValueError(N_("looks like a phone number: a source code is a pseudonym, "
                                "never a contact"))
        return value

    @field_validator("theme_codes")
    @classmethod
    def _unique_themes(cls, value: list[str]) -> list[str]:
        themes = list(dict.fromkeys(v for v in value if v))
        if not themes:  # [""] (an empty cell) is no theme: the input must not go in without
            raise ValueError(N_("choose at least one"))
        return themes


class InputUpdate(SQLModel):
    """Fields an officer may correct after recording; each edit needs a reason."""

    received_at: datetime | None = None
    channel_code: str | None = None
    locality_id: int | None = None
    type_code: str | None = None
    theme_codes: list[str] | None = None
    urgency: Urgency | None = None
    sensitivity: Sensitivity | None = None
    language: str | None = None
    original_text: str | None = None
    translation: str | None = None
    summary: str | None = None
    source_group: str | None = None
    consent_contact: bool | None = None
    consent_public: ConsentPublic | None = None

    _received_aware = field_validator("received_at")(_aware)
    _group_no_phone = field_validator("source_group")(_no_phone)


class InputPublic(SQLModel):
    id: int
    uid: str
    received_at: datetime
    channel_code: str
    locality_id: int
    type_code: str
    theme_codes: list[str]
    urgency: str
    sensitivity: str
    language: str
    original_text: str | None  # None when the reader may not see it
    translation: str | None
    summary: str | None
    source_group: str | None
    recorded_by_id: int
    respond_by: datetime
    acknowledged_at: datetime | None
    first_action_at: datetime | None
    first_report_back_at: datetime | None
    closed_at: datetime | None
    loop_state: LoopState


class ActionCreate(SQLModel):
    kind_code: str
    title: str = Field(min_length=1, max_length=300)
    description: str | None = None
    component_code: str | None = None
    section_code: str | None = None
    locality_id: int | None = None
    status: ActionStatus = ActionStatus.PLANNED
    not_possible_reason: NotPossibleReason | None = None
    is_public_commitment: bool = False
    due_date: date | None = None
    outcome: str | None = None
    # When the mission took the action, for one logged after the fact; default: now.
    created_at: datetime | None = None

    _created_aware = field_validator("created_at")(_aware)


class ActionPublic(SQLModel):
    id: int
    uid: str
    kind_code: str
    title: str
    component_code: str | None
    section_code: str | None
    status: str
    not_possible_reason: str | None
    is_public_commitment: bool
    due_date: date | None
    created_at: datetime
    closed_at: datetime | None
    outcome: str | None
    input_ids: list[int]


class ReportBackCreate(SQLModel):
    input_ids: list[int] = Field(min_length=1)
    audience: Audience
    method: ReportMethod
    reported_at: datetime
    messages: dict[str, str]  # language code -> message; at least one (checked below)
    locality_id: int | None = None
    approved_public: bool = False

    _reported_aware = field_validator("reported_at")(_aware)

    @field_validator("messages")
    @classmethod
    def _messages_not_blank(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {lang.strip(): text.strip() for lang, text in value.items() if text.strip()}
        if not cleaned:
            raise ValueError(N_("write the message in at least one language"))
        return cleaned


class ReportBackPublic(SQLModel):
    id: int
    uid: str
    audience: str
    method: str
    reported_at: datetime
    approved_public: bool
    messages: dict[str, str]
    input_ids: list[int]


class LocalityCreate(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    level: LocalityLevel
    parent_id: int | None = None
    place_type: str | None = None
    setting: Setting | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class UserCreate(SQLModel):
    username: str = Field(min_length=2, max_length=80)
    # The column's length, checked here so SQLite and PostgreSQL refuse the same names.
    display_name: str = Field(default="", max_length=200)
    role: Role
    component_code: str | None = None
    section_code: str | None = None

    @field_validator("username")
    @classmethod
    def _plain_username(cls, value: str) -> str:
        if not _USERNAME.match(value):
            raise ValueError(N_("use letters, digits, '.', '_', '-' or '@' only"))
        return value


Shape = TypeVar("Shape", bound=SQLModel)


def parse(shape: type[Shape], data: Shape | dict[str, Any]) -> Shape:
    """Validate ``data`` into ``shape``; pydantic errors become one ``ValidationError``
    whose ``errors`` name every failing field, each with a plain message."""
    if isinstance(data, shape):
        data = data.model_dump()
    try:
        return shape.model_validate(data)
    except pydantic.ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            errors.setdefault(field, plain_message(err["type"], err.get("ctx") or {},
                                                   str(err["msg"])))
        first = next(iter(errors.items()))
        raise ValidationError(
            f"{first[0]}: {first[1]}" if first[0] else first[1], errors=errors
        ) from None


_REQUIRED = N_("this field is required")
_SIMPLE = {
    "missing": _REQUIRED,
    "int_parsing": N_("enter a whole number"), "int_type": N_("enter a whole number"),
    "int_from_float": N_("enter a whole number"),
    "float_parsing": N_("enter a number"), "float_type": N_("enter a number"),
    "bool_parsing": N_("answer yes or no"), "bool_type": N_("answer yes or no"),
    "string_type": N_("enter text"),
    "date_parsing": N_("enter a valid date"), "date_type": N_("enter a valid date"),
    "date_from_datetime_parsing": N_("enter a valid date"),
    "date_from_datetime_inexact": N_("enter a valid date"),
    "datetime_parsing": N_("enter a valid date"), "datetime_type": N_("enter a valid date"),
    "datetime_from_date_parsing": N_("enter a valid date"),
    "timezone_aware": N_("must include a time zone"),
}
_BOUNDS = {
    "greater_than_equal": ("ge", N_("must be greater than or equal to {n}")),
    "less_than_equal": ("le", N_("must be less than or equal to {n}")),
    "greater_than": ("gt", N_("must be greater than {n}")),
    "less_than": ("lt", N_("must be less than {n}")),
}


def plain_message(kind: str, ctx: dict[str, Any], msg: str) -> str:
    """Our message for a pydantic error type (its own is library English a translator
    never sees); our validators' messages are msgids already. A type with no message
    of ours keeps pydantic's (none of them can come from the app's forms)."""
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind in _SIMPLE:
        return Text(_SIMPLE[kind])
    if kind in _BOUNDS:
        key, message = _BOUNDS[kind]
        return Text(message, n=ctx[key])
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return Text(_REQUIRED)
        return Text.ngettext("too short: at least {n} character",
                             "too short: at least {n} characters", ctx["min_length"])
    if kind == "string_too_long":
        return Text.ngettext("too long: at most {n} character",
                             "too long: at most {n} characters", ctx["max_length"])
    if kind == "too_short":
        if ctx.get("min_length") == 1:
            return Text(N_("choose at least one"))
        return Text(N_("choose at least {n}"), n=ctx["min_length"])
    if kind == "too_long":
        return Text(N_("too many: at most {n}"), n=ctx["max_length"])
    return msg


# Messages the services raise that a user can meet on the dashboard's forms. The
# services keep plain English (the CLI and the logs read it); marking it here makes it
# a msgid, so ``Localizer.gettext`` translates it where a form shows it. Keep each text
# exactly as raised (a test checks that every one is still raised somewhere).
SERVICE_MESSAGES = (
    N_("a public commitment needs a due date"),
    N_("say why the action is not possible"),
    N_("the action already has this status"),
    N_("an action cannot close before it was created"),
    N_("this date is in the future"),
    N_("inputs on this theme stay restricted; ask an admin to change it"),
    N_("contact details cannot be stored: no encryption key is configured "
       "(set HEARBACK_CONTACT_KEY, or contact_key in the app's secrets)"),
    N_("the contact encryption key is not valid: make one with `hearback contacts new-key`"),
    N_("this contact was encrypted with another key"),
    N_("only restricted inputs are shared one by one"),
    N_("no such active user"),
    N_("only a mission has no parent"),
    N_("a term needs a code and a label"),
    N_("a code is at most 60 characters long"),
    N_("a label is at most 200 characters long"),
    N_("the mission would be left with no active admin: make another account admin first"),
)

# Those raised with a value in them: the text as raised, with ``{name}`` where the value
# goes (``{n}``: a number). Most are their own msgid; the others say how they are shown.
_SHOWN_AS: dict[str, Callable[..., Text]] = {
    "a password needs at least {n} characters": lambda n: Text.ngettext(
        "a password needs at least {n} character", "a password needs at least {n} characters", n),
    "at most {n} characters": lambda n: Text.ngettext(
        "at most {n} character", "at most {n} characters", n),
    # The levels are codes: the message says it without them.
    "a {level} cannot sit under a {parent}": lambda **_: Text(
        N_("a place of this level cannot sit under the place chosen: choose one higher up")),
}
SERVICE_TEMPLATES = (
    N_("the user name {name} is taken"),
    N_("{name} already exists there"),
    N_("the report-back is dated before input #{id} was received"),
    N_("unknown section {code}"), N_("unknown component {code}"), N_("unknown theme {code}"),
    N_("unknown channel {code}"), N_("unknown input type {code}"),
    N_("unknown action kind {code}"),
    *_SHOWN_AS,
)
for _template in SERVICE_TEMPLATES:
    known_message(_template, _SHOWN_AS.get(_template))
