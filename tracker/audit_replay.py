"""Rebuild the records from the audit trail alone, to prove the trail tells the whole story.

Replaying every event in order gives each input's recorded fields, themes and
acknowledgement, each action, which inputs each action and report-back answers, and
each report-back with its messages. ``current_state`` reads the same picture from the
tables; the two must be equal (derived loop facts are not replayed: they are
recomputed from these, and ``tracker.loop.facts_drift`` checks that separately).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from tracker.audit import _jsonable, events_in_order
from tracker.models import Action, ActionInput, Input, InputTheme, ReportBack, ReportBackInput
from tracker.models import ReportBackMessage as Message

INPUT_FIELDS = (
    "received_at", "channel_code", "locality_id", "type_code", "urgency", "sensitivity",
    "language", "original_text", "translation", "summary", "source_group", "consent_contact",
    "consent_public", "respond_by", "acknowledged_at", "theme_codes",
)
ACTION_FIELDS = ("kind_code", "title", "description", "component_code", "section_code",
                 "locality_id", "status", "not_possible_reason", "is_public_commitment",
                 "due_date", "outcome", "closed_at")
REPORT_FIELDS = ("audience", "method", "reported_at", "locality_id", "approved_public", "messages")


@dataclass
class State:
    inputs: dict[int, dict[str, Any]] = field(default_factory=dict)
    actions: dict[int, dict[str, Any]] = field(default_factory=dict)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (action, input) -> kind
    report_backs: dict[int, dict[str, Any]] = field(default_factory=dict)
    answered: set[tuple[int, int]] = field(default_factory=set)  # (report-back, input)


def _norm(value: Any) -> Any:
    """One spelling per value: timestamps as UTC ISO text, whatever zone they were given in."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, str) and len(value) > 10 and value[4] == "-" and value[10] in "T ":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed.astimezone(UTC).isoformat() if parsed.tzinfo else value
    if isinstance(value, list):
        return sorted(_norm(v) for v in value)
    return _jsonable(value)


def _pick(values: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {k: _norm(values[k]) for k in names if k in values}


def replay(events: Iterable[dict[str, Any]]) -> State:
    state = State()
    for e in events:
        entity, verb, key = e["entity"], e["verb"], e["entity_id"]
        after, before = e["after"] or {}, e["before"] or {}
        if entity == "input":
            if verb == "record":
                state.inputs[key] = _pick(after, INPUT_FIELDS)
                state.inputs[key].setdefault("acknowledged_at", None)
            elif verb in ("edit", "acknowledge"):
                state.inputs[key].update(_pick(after, INPUT_FIELDS))
            elif verb == "link":
                state.links[(after["action_id"], key)] = after["kind"]
            elif verb == "unlink":
                state.links.pop((before["action_id"], key), None)
            elif verb == "report_back":
                state.answered.add((after["report_back_id"], key))
        elif entity == "action" and verb == "create":
            state.actions[key] = _pick(after, ACTION_FIELDS)
        elif entity == "action" and verb in ("status", "edit"):
            state.actions[key].update(_pick(after, ACTION_FIELDS))
        elif entity == "report_back" and verb == "create":
            state.report_backs[key] = _pick(after, REPORT_FIELDS)
    return state


def replay_trail(conn: Connection) -> State:
    return replay(events_in_order(conn))


def current_state(conn: Connection) -> State:
    """The same picture, read from the tables."""
    state = State()
    themes: dict[int, list[str]] = {}
    for input_id, code in conn.execute(select(InputTheme.input_id, InputTheme.theme_code)):
        themes.setdefault(input_id, []).append(code)
    cols = [getattr(Input, name) for name in INPUT_FIELDS if name != "theme_codes"]
    for row in conn.execute(select(Input.id, *cols)).mappings():
        values = dict(row) | {"theme_codes": themes.get(row["id"], [])}
        state.inputs[row["id"]] = _pick(values, INPUT_FIELDS)
    for row in conn.execute(select(Action.id, *(getattr(Action, n) for n in ACTION_FIELDS))).mappings():
        state.actions[row["id"]] = _pick(row, ACTION_FIELDS)
    for a, i, kind in conn.execute(select(ActionInput.action_id, ActionInput.input_id, ActionInput.kind)):
        state.links[(a, i)] = kind
    messages: dict[int, dict[str, str]] = {}
    for rb, lang, text in conn.execute(select(Message.report_back_id, Message.language, Message.text)):
        messages.setdefault(rb, {})[lang] = text
    names = [n for n in REPORT_FIELDS if n != "messages"]
    for row in conn.execute(select(ReportBack.id, *(getattr(ReportBack, n) for n in names))).mappings():
        state.report_backs[row["id"]] = _pick(dict(row) | {"messages": messages.get(row["id"], {})},
                                              REPORT_FIELDS)
    state.answered = {(rb, i) for rb, i in conn.execute(
        select(ReportBackInput.report_back_id, ReportBackInput.input_id))}
    return state
