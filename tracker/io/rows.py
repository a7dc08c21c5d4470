"""One file row → what it will store (a ``RowPlan``), or why it cannot (a ``Rejection``).

Every rule a service applies without needing the database is applied here, with the
same shapes (``InputCreate``, ``ActionCreate``, ``ReportBackCreate``) and the reference
data of ``tracker.io.lookup``, so a row is judged before anything is written and a
dry run says exactly what an import would do. The rules that do need the database
(is it already there? may this user see it?) are the writer's.
"""

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tracker.codes import ActionStatus, LinkKind, LocalityLevel, Sensitivity, TermKind
from tracker.errors import ValidationError
from tracker.io.cells import row_loader, section_readers, uuid5_maker
from tracker.io.columns import Getter
from tracker.io.lookup import PlaceError, Reference, split_path
from tracker.io.mapping import FIELDS, Mapping, Section
from tracker.io.plans import (
    UID_NAMESPACE,
    ActionPlan,
    InputPlan,
    Rejection,
    ReportBackPlan,
    RowError,
    RowPlan,
    given_hash,
)
from tracker.io.readers import RawRow
from tracker.io.shapecheck import validated
from tracker.services._unit import CLOCK_SKEW
from tracker.services.actions import _check_rules
from tracker.shapes import ActionCreate, InputCreate, LocalityCreate, ReportBackCreate
from tracker.sqltypes import utcnow

# The kind of code each field names, as ``Reference.codes`` keys them (plain text).
_CODE_KINDS = {"channel_code": TermKind.CHANNEL.value, "type_code": TermKind.INPUT_TYPE.value,
               "component_code": TermKind.COMPONENT.value, "section_code": TermKind.SECTION.value,
               "kind_code": TermKind.ACTION_KIND.value}
_THEME = TermKind.THEME.value
_PLACE = {"locality_id": "locality"}
_NONE: frozenset[int] = frozenset()
# Fields of [input] that are not InputCreate's (or that it must not see).
_NOT_SHAPED = frozenset({"uid", "locality", "respond_by", "acknowledged_at", "recorded_at",
                         "recorded_by"})
_ACTION_SHAPED = ("kind_code", "title", "description", "component_code", "section_code", "status",
                  "not_possible_reason", "is_public_commitment", "due_date", "outcome")


class RowConverter:
    """Applies a mapping to rows, against the reference data of one run."""

    def __init__(self, mapping: Mapping, getters: dict[str, Getter], ref: Reference, *,
                 strict: bool = False, now: datetime | None = None) -> None:
        self.mapping, self.getters, self.ref, self.strict = mapping, getters, ref, strict
        self.zone = ZoneInfo(mapping.source.timezone)
        self.latest = (now or utcnow()) + CLOCK_SKEW
        self.hashed = sorted(mapping.columns())
        self.parent: int | None = None
        if mapping.source.parent:
            self.parent = ref.find_place(mapping.source.parent)
        self._row: dict[str, str] = {}
        self._load = row_loader(getters, mapping.source.formula_escape)
        # Each field's reader remembers the cell texts it has converted (see tracker.io.cells).
        self._readers = {name: section_readers(section, self.zone)
                         for name, section in mapping.sections.items()}
        self._required = {
            name: [(f, self._where(name, f)) for f in section.fields if FIELDS[name][f].required]
            for name, section in mapping.sections.items()}
        self._when = {name: frozenset(v.casefold() for v in section.when.values)
                      for name, section in mapping.sections.items() if section.when}
        self._uid5 = uuid5_maker(UID_NAMESPACE)
        # The columns whose value makes a section apply (see _applies).
        self._triggers = {
            name: [r.column for f, r in section.fields.items()
                   if r.column and FIELDS[name][f].kind != "bool"]
            for name, section in mapping.sections.items()}

    def convert(self, raw: RawRow) -> RowPlan | Rejection:
        """The row's plan, or its rejection; never raises for anything a cell can hold."""
        if raw.problem:
            return Rejection(raw.line, "", raw.problem, raw.cells)
        pending = self.ref.pending
        before = set(pending) if pending else _NONE
        try:
            plan = self._convert(raw)
        except RowError as exc:
            for key in set(pending) - before:
                self.ref.forget_pending(key)
            return Rejection(raw.line, exc.column, exc.reason, raw.cells)
        if pending:
            plan.new_places = tuple(sorted(set(pending) - before, reverse=True))
        return plan

    # --- reading cells ---------------------------------------------------------------------

    def _applies(self, section: Section) -> bool:
        """A section applies when its `when` matches and, for all but [input], one of its
        columns has a value: a row with an empty "action taken" has no action (a yes/no
        column does not count: "no" in "public commitment?" is not an action)."""
        row = self._row
        if section.when:
            cell = row[section.when.column].strip().casefold()
            if cell not in self._when[section.name]:
                return False
        if section.name == "input":
            return True
        return any(row[c].strip() for c in self._triggers[section.name])

    def _where(self, section: str, field: str) -> str:
        rule = self.mapping.sections[section].fields.get(field)
        return rule.column if rule and rule.column else f"[{section}] {field}"

    def _read(self, section: Section) -> dict[str, Any]:
        row = self._row
        values = {name: read(row) for name, read in self._readers[section.name]}
        for name, where in self._required[section.name]:
            if values[name] is None:
                raise RowError(where, f"{name}: the cell is empty")
        return values

    def _derived_uid(self, key: str, part: str) -> str:
        """``tracker.io.plans.derived_uid`` (the same text), at a third of its cost."""
        return self._uid5(f"{self.mapping.source.name}\x1f{key}\x1f{part}")

    def _shape(self, shape: type, data: dict[str, Any], section: str,
               aliases: dict[str, str] | None = None) -> dict[str, Any]:
        """The shape's fields as validated (what ``model_dump()`` gives), or the RowError
        naming the column of the first field pydantic refuses."""
        try:
            return validated(shape, data)
        except ValidationError as exc:
            field = exc.field or ""
            field = (aliases or {}).get(field, field)
            column = self._where(section, field) if field else ""
            message = exc.errors.get(exc.field or "", str(exc))
            raise RowError(column, f"{field}: {message}" if field else message) from None

    def _not_future(self, value: datetime | None, section: str, field: str) -> None:
        if value is not None and value > self.latest:
            raise RowError(self._where(section, field), f"{field}: this date is in the future")

    def _codes(self, shape: dict[str, Any], section: str, fields: tuple[str, ...]) -> None:
        """Each of ``fields`` that has a value names an active code of its kind."""
        codes = self.ref.codes
        for field in fields:
            value = shape[field]
            if value is not None:
                kind = _CODE_KINDS[field]
                if value not in codes.get(kind, ()):
                    raise RowError(self._where(section, field),
                                   f"unknown {kind.replace('_', ' ')} {value!r}")

    def _key(self, with_input: bool) -> str:
        row = self._row
        column = self.mapping.source.id_column
        if column and with_input:
            key = row[column].strip()
            if not key:
                raise RowError(column, "the id column is empty")
            if len(key) > 200:
                key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
            return key
        parts = "\x1f".join(f"{c}\x1e{row[c].strip()}" for c in self.hashed)
        return "sha256:" + hashlib.sha256(parts.encode("utf-8", "surrogatepass")).hexdigest()

    # --- the sections ----------------------------------------------------------------------

    def _convert(self, raw: RawRow) -> RowPlan:
        cells = raw.cells
        self._row = self._load(cells)
        sections = self.mapping.sections
        with_input = self._applies(sections["input"])
        plan = RowPlan(raw.line, cells, self._key(with_input))
        if "locality" in sections and self._applies(sections["locality"]):
            plan.place = self._locality(self._read(sections["locality"]))
        if with_input:
            plan.input = self._input(self._read(sections["input"]), plan.key)
        if ("report_back" in sections and plan.input is None
                and self._applies(sections["report_back"])):
            raise RowError("", "a report-back needs an input in the same row")
        if "action" in sections and self._applies(sections["action"]):
            plan.action = self._action(self._read(sections["action"]), plan)
        if "report_back" in sections and self._applies(sections["report_back"]):
            plan.report_back = self._report_back(self._read(sections["report_back"]), plan)
        if plan.input is None and plan.action is None and plan.place is None:
            raise RowError("", "the row holds nothing to import (no section applies)")
        return plan

    def _locality(self, v: dict[str, Any]) -> int:
        path = split_path(v.get("path") or "")
        where = self._where("locality", "path")
        if not path:
            raise RowError(where, "the place path is empty")
        found = self.ref.exact_place(path)
        if found is not None:
            return found
        level = v.get("level") or LocalityLevel.LOCALITY.value
        parent = self.ref.exact_place(path[:-1]) if len(path) > 1 else 0
        if parent is None:
            raise RowError(where, f"the parent of {' > '.join(path)!r} is unknown "
                                  "(list a place after the place it sits in)")
        data = {"name": path[-1], "level": level, "parent_id": parent or None,
                "setting": v.get("setting"), "place_type": v.get("place_type"),
                "latitude": v.get("latitude"), "longitude": v.get("longitude")}
        shape = self._shape(LocalityCreate, data, "locality", {"name": "path"})
        level = shape["level"]
        if not self.ref.is_admin:
            raise RowError(where, f"unknown place {' > '.join(path)!r}: only an admin may add places")
        if parent == 0 and level != LocalityLevel.MISSION:
            raise RowError(where, "only a mission has no parent")
        if parent and not self.ref.can_hold(parent, level):
            raise RowError(where, f"a {level} cannot sit under a {self.ref.levels[parent]}")
        return self.ref.plan_place(path, level, parent, setting=shape["setting"],
                                   place_type=shape["place_type"], latitude=shape["latitude"],
                                   longitude=shape["longitude"])

    def _place(self, text: str | None, section: str) -> int | None:
        """The place a cell names; an unknown name is created under [source] parent."""
        if not text:
            return None
        try:
            found = self.ref.find_place(text)
        except PlaceError as exc:
            raise RowError(self._where(section, "locality"), str(exc)) from None
        if found is not None:
            return found
        where = self._where(section, "locality")
        path = split_path(text)
        if self.strict:
            raise RowError(where, f"unknown place {text!r} (--strict: places are not created)")
        if self.parent is None:
            raise RowError(where, f"unknown place {text!r}; set [source] parent to create it")
        if len(path) > 1:
            raise RowError(where, f"unknown place path {text!r}; new places are created from a "
                                  "plain name")
        if not self.ref.is_admin:
            raise RowError(where, f"unknown place {text!r}: only an admin may add places")
        if len(path[0]) > 200:
            raise RowError(where, "a place name is at most 200 characters")
        return self.ref.plan_place(self.ref.paths[self.parent] + path,
                                   LocalityLevel.LOCALITY.value, self.parent)

    def _input(self, v: dict[str, Any], key: str) -> InputPlan:
        place = self._place(v.get("locality"), "input")
        data = {k: x for k, x in v.items() if k not in _NOT_SHAPED and x is not None}
        data["locality_id"] = place
        data.setdefault("theme_codes", [])
        shape = self._shape(InputCreate, data, "input", _PLACE)
        self._codes(shape, "input", ("channel_code", "type_code", "component_code",
                                     "section_code"))
        themes: list[str] = shape["theme_codes"]
        known = self.ref.codes.get(_THEME, ())
        for code in themes:
            if code not in known:
                raise RowError(self._where("input", "theme_codes"), f"unknown theme {code!r}")
        received = shape["received_at"]
        self._not_future(received, "input", "received_at")
        restricted = any(c in self.ref.restricted_themes for c in themes)
        sensitivity = shape["sensitivity"] or (Sensitivity.RESTRICTED if restricted
                                               else Sensitivity.INTERNAL)
        if restricted and sensitivity != Sensitivity.RESTRICTED and not self.ref.is_admin:
            raise RowError(self._where("input", "sensitivity"),
                           "inputs on this theme stay restricted; ask an admin to change it")
        ack = v.get("acknowledged_at")
        self._not_future(ack, "input", "acknowledged_at")
        if ack is not None and ack < received:
            raise RowError(self._where("input", "acknowledged_at"),
                           "acknowledged before the input was received")
        actor = self.ref.actor
        # The shape's own fresh dict becomes the row's values: what model_dump(exclude=...)
        # gave, keys in the same order (update() appends sensitivity again, last but four).
        values = shape
        del values["theme_codes"], values["sensitivity"]
        values.update(
            uid=v.get("uid") or self._derived_uid(key, "input"),
            sensitivity=Sensitivity(sensitivity).value,
            component_code=shape["component_code"] or actor.component_code,
            section_code=shape["section_code"] or actor.section_code,
            respond_by=v.get("respond_by") or self.ref.respond_by(
                shape["type_code"], shape["urgency"], received),
            acknowledged_at=ack, recorded_at=v.get("recorded_at"),
            urgency=shape["urgency"].value, consent_public=shape["consent_public"].value,
            # Who recorded it decides who reads it when restricted: a merge keeps them, but
            # only an admin's import may say someone else recorded a row.
            recorded_by_id=self.ref.users.get(str(v.get("recorded_by") or "").strip())
            if self.ref.is_admin else None,
        )
        return InputPlan(values["uid"], key, values, list(themes), given_hash(v))

    def _action(self, v: dict[str, Any], plan: RowPlan) -> ActionPlan:
        received = plan.input.values["received_at"] if plan.input else None
        created = (v.get("created_at") or received or v.get("started_at") or v.get("closed_at")
                   or self.latest - CLOCK_SKEW)
        data = {k: v[k] for k in _ACTION_SHAPED if v.get(k) is not None}
        data.update(created_at=created, locality_id=self._place(v.get("locality"), "action"))
        shape = self._shape(ActionCreate, data, "action", _PLACE)
        self._codes(shape, "action", ("kind_code", "component_code", "section_code"))
        status = ActionStatus(shape["status"])
        reason = shape["not_possible_reason"]
        try:
            _check_rules(status, reason, shape["is_public_commitment"], shape["due_date"])
        except ValidationError as exc:
            raise RowError(self._where("action", exc.field or "status"), str(exc)) from None
        closed, started = v.get("closed_at"), v.get("started_at")
        if status.is_open and closed is not None:
            raise RowError(self._where("action", "closed_at"),
                           f"the action has a closing date but its status is {status.value!r}")
        if not status.is_open and closed is None:
            closed = created
        if started is None and status in (ActionStatus.IN_PROGRESS, ActionStatus.DONE):
            started = created
        self._not_future(created, "action", "created_at")
        self._not_future(started, "action", "started_at")
        self._not_future(closed, "action", "closed_at")
        if closed is not None and closed < created:
            raise RowError(self._where("action", "closed_at"),
                           f"the action is closed ({closed:%Y-%m-%d %H:%M}) before it was "
                           f"created or the input received ({created:%Y-%m-%d %H:%M})")
        if started is not None and (started < created or (closed and closed < started)):
            raise RowError(self._where("action", "started_at"),
                           "the action starts before it was created or after it closed")
        linked = v.get("linked_at") or created
        self._not_future(linked, "action", "linked_at")
        if received is not None and linked < received:
            linked = received  # as link_action does: a link is never older than its input
        try:
            kind = LinkKind(v.get("link_kind") or LinkKind.ANSWERS).value
        except ValueError:
            raise RowError(self._where("action", "link_kind"),
                           f"unknown link kind {v.get('link_kind')!r}") from None
        values = shape  # its own fresh dict; update() appends created_at after uid, as before
        del values["created_at"]
        values.update(
            uid=v.get("uid") or self._derived_uid(plan.key, "action"),
            status=status.value, created_at=created, started_at=started, closed_at=closed,
            not_possible_reason=(reason.value
                                 if status == ActionStatus.NOT_POSSIBLE and reason else None),
            component_code=shape["component_code"] or self.ref.actor.component_code,
            section_code=shape["section_code"] or self.ref.actor.section_code,
        )
        return ActionPlan(values["uid"], values, kind, linked,
                          given_hash(v, skip=("link_kind", "linked_at")))  # the link's

    def _report_back(self, v: dict[str, Any], plan: RowPlan) -> ReportBackPlan:
        if plan.input is None:
            raise RowError("", "a report-back needs an input in the same row")
        received = plan.input.values["received_at"]
        messages = dict(v.get("messages") or {})
        if v.get("message"):
            messages[v.get("language") or plan.input.values["language"]] = v["message"]
        if not any(text.strip() for text in messages.values()):
            raise RowError(self._where("report_back", "message" if "message" in v else "messages"),
                           "the message is empty: write the message in at least one language")
        for language in messages:
            if not 2 <= len(language.strip()) <= 12:
                raise RowError(self._where("report_back", "language"),
                               f"{language!r} is not a language code")
        data = {"input_ids": [1], "audience": v.get("audience"), "method": v.get("method"),
                "reported_at": v.get("reported_at"), "messages": messages,
                "locality_id": self._place(v.get("locality"), "report_back"),
                "approved_public": bool(v.get("approved_public"))}
        shape = self._shape(ReportBackCreate, data, "report_back",
                            {"messages": "message", **_PLACE})
        reported = shape["reported_at"]
        self._not_future(reported, "report_back", "reported_at")
        if reported < received:
            raise RowError(self._where("report_back", "reported_at"),
                           f"the report-back ({reported:%Y-%m-%d %H:%M}) is dated "
                           f"before the input was received ({received:%Y-%m-%d %H:%M})")
        created = v.get("created_at")
        values = {"uid": v.get("uid") or self._derived_uid(plan.key, "rb"),
                  "audience": shape["audience"].value, "method": shape["method"].value,
                  "reported_at": reported, "locality_id": shape["locality_id"],
                  "approved_public": shape["approved_public"], "created_at": created}
        return ReportBackPlan(values["uid"], values, shape["messages"], given_hash(v))

