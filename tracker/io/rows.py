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
from tracker.io import values as V
from tracker.io.columns import Getter
from tracker.io.lookup import PlaceError, Reference, split_path
from tracker.io.mapping import FIELDS, FieldRule, Mapping, Section
from tracker.io.plans import (
    ActionPlan,
    InputPlan,
    Rejection,
    ReportBackPlan,
    RowError,
    RowPlan,
    derived_uid,
    unescape_formula,
)
from tracker.io.readers import RawRow
from tracker.services._unit import CLOCK_SKEW
from tracker.services.actions import _check_rules
from tracker.shapes import ActionCreate, InputCreate, LocalityCreate, ReportBackCreate, parse
from tracker.sqltypes import utcnow

_CODE_KINDS = {"channel_code": TermKind.CHANNEL, "type_code": TermKind.INPUT_TYPE,
               "component_code": TermKind.COMPONENT, "section_code": TermKind.SECTION,
               "kind_code": TermKind.ACTION_KIND}
_PLACE = {"locality_id": "locality"}


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
        self._folded = {id(rule): {k.casefold(): v for k, v in rule.map.items()}
                        for section in mapping.sections.values()
                        for rule in section.fields.values()}
        # The columns whose value makes a section apply (see _applies).
        self._triggers = {
            name: [r.column for f, r in section.fields.items()
                   if r.column and FIELDS[name][f].kind != "bool"]
            for name, section in mapping.sections.items()}

    def convert(self, raw: RawRow) -> RowPlan | Rejection:
        """The row's plan, or its rejection; never raises for anything a cell can hold."""
        if raw.problem:
            return Rejection(raw.line, "", raw.problem, raw.cells)
        before = set(self.ref.pending)
        try:
            plan = self._convert(raw)
        except RowError as exc:
            for key in set(self.ref.pending) - before:
                self.ref.forget_pending(key)
            return Rejection(raw.line, exc.column, exc.reason, raw.cells)
        plan.new_places = tuple(sorted(set(self.ref.pending) - before, reverse=True))
        return plan

    # --- reading cells ---------------------------------------------------------------------

    def _load(self, cells: list[str]) -> None:
        """Read every column the mapping uses once, as text."""
        escape = self.mapping.source.formula_escape
        row = {}
        for column, get in self.getters.items():
            text = get(cells)
            if "\x00" in text:
                raise RowError(column, "the cell holds a NUL character")
            row[column] = unescape_formula(text) if escape else text
        self._row = row

    def _cell(self, column: str, cells: list[str]) -> str:
        return self._row[column]

    def _applies(self, section: Section, cells: list[str]) -> bool:
        """A section applies when its `when` matches and, for all but [input], one of its
        columns has a value: a row with an empty "action taken" has no action (a yes/no
        column does not count: "no" in "public commitment?" is not an action)."""
        if section.when:
            cell = self._cell(section.when.column, cells).strip().casefold()
            if cell not in {v.casefold() for v in section.when.values}:
                return False
        if section.name == "input":
            return True
        row = self._row
        return any(row[c].strip() for c in self._triggers[section.name])

    def _where(self, section: str, field: str) -> str:
        rule = self.mapping.sections[section].fields.get(field)
        return rule.column if rule and rule.column else f"[{section}] {field}"

    def _read(self, section: Section, cells: list[str]) -> dict[str, Any]:
        specs = FIELDS[section.name]
        values = {name: self._field(section.name, name, specs[name].kind, rule, cells)
                  for name, rule in section.fields.items()}
        for name, value in values.items():
            if value is None and specs[name].required:
                raise RowError(self._where(section.name, name), f"{name}: the cell is empty")
        return values

    def _field(self, section: str, name: str, kind: str, rule: FieldRule,
               cells: list[str]) -> Any:
        where = rule.column or f"[{section}] {name}"
        if rule.column is None:
            text = rule.value or ""
        else:
            raw = self._cell(rule.column, cells)
            text = raw.strip()
            if not text:
                text = rule.default or ""
            elif kind == "text" and not (rule.map or rule.other is not None):
                text = raw  # free text is kept as written, spaces and all
            elif kind == "codes":
                items = [self._mapped(rule, item, where) for item in V.split_list(text, rule.split)]
                text = ";".join(i for i in items if i)
            elif rule.map or rule.other is not None:
                text = self._mapped(rule, text, where)
        if not text.strip():
            return None
        try:
            return V.typed(kind, text, rule.format, self.zone)
        except V.CellError as exc:
            raise RowError(where, str(exc)) from None

    def _mapped(self, rule: FieldRule, text: str, where: str) -> str:
        if text in rule.map:
            return rule.map[text]
        folded = self._folded[id(rule)].get(text.casefold())
        if folded is not None:
            return folded
        if rule.other is not None:
            return rule.other
        if not rule.map:
            return text
        raise RowError(where, f"{text!r} is not in the map (add it, or set `other`)")

    def _shape(self, shape: type, data: dict[str, Any], section: str,
               aliases: dict[str, str] | None = None) -> Any:
        try:
            return parse(shape, data)
        except ValidationError as exc:
            field = exc.field or ""
            field = (aliases or {}).get(field, field)
            column = self._where(section, field) if field else ""
            message = exc.errors.get(exc.field or "", str(exc))
            raise RowError(column, f"{field}: {message}" if field else message) from None

    def _not_future(self, value: datetime | None, section: str, field: str) -> None:
        if value is not None and value > self.latest:
            raise RowError(self._where(section, field), f"{field}: this date is in the future")

    def _code(self, value: str | None, field: str, section: str) -> None:
        kind = _CODE_KINDS.get(field)
        if value is not None and kind is not None and not self.ref.has_code(kind, value):
            raise RowError(self._where(section, field),
                           f"unknown {kind.replace('_', ' ')} {value!r}")

    def _key(self, cells: list[str], with_input: bool) -> str:
        column = self.mapping.source.id_column
        if column and with_input:
            key = self._cell(column, cells).strip()
            if not key:
                raise RowError(column, "the id column is empty")
            if len(key) > 200:
                key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
            return key
        parts = "\x1f".join(f"{c}\x1e{self._cell(c, cells).strip()}" for c in self.hashed)
        return "sha256:" + hashlib.sha256(parts.encode("utf-8", "surrogatepass")).hexdigest()

    # --- the sections ----------------------------------------------------------------------

    def _convert(self, raw: RawRow) -> RowPlan:
        cells = raw.cells
        self._load(cells)
        sections = self.mapping.sections
        with_input = self._applies(sections["input"], cells)
        plan = RowPlan(raw.line, cells, self._key(cells, with_input))
        if "locality" in sections and self._applies(sections["locality"], cells):
            plan.place = self._locality(self._read(sections["locality"], cells))
        if with_input:
            plan.input = self._input(self._read(sections["input"], cells), plan.key)
        if ("report_back" in sections and plan.input is None
                and self._applies(sections["report_back"], cells)):
            raise RowError("", "a report-back needs an input in the same row")
        if "action" in sections and self._applies(sections["action"], cells):
            plan.action = self._action(self._read(sections["action"], cells), plan)
        if "report_back" in sections and self._applies(sections["report_back"], cells):
            plan.report_back = self._report_back(self._read(sections["report_back"], cells), plan)
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
        if not self.ref.is_admin:
            raise RowError(where, f"unknown place {' > '.join(path)!r}: only an admin may add places")
        if parent == 0 and shape.level != LocalityLevel.MISSION:
            raise RowError(where, "only a mission has no parent")
        if parent and not self.ref.can_hold(parent, shape.level):
            raise RowError(where, f"a {shape.level} cannot sit under a {self.ref.levels[parent]}")
        return self.ref.plan_place(path, shape.level, parent, setting=shape.setting,
                                   place_type=shape.place_type, latitude=shape.latitude,
                                   longitude=shape.longitude)

    def _place(self, text: str | None, section: str) -> int | None:
        """The place a cell names; an unknown name is created under [source] parent."""
        if not text:
            return None
        where = self._where(section, "locality")
        try:
            found = self.ref.find_place(text)
        except PlaceError as exc:
            raise RowError(where, str(exc)) from None
        if found is not None:
            return found
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
        data = {k: v[k] for k in v if k not in ("uid", "locality", "respond_by",
                                                "acknowledged_at", "recorded_at")
                and v[k] is not None}
        data["locality_id"] = place
        data.setdefault("theme_codes", [])
        shape: InputCreate = self._shape(InputCreate, data, "input", _PLACE)
        for field in ("channel_code", "type_code", "component_code", "section_code"):
            self._code(getattr(shape, field), field, "input")
        for code in shape.theme_codes:
            if not self.ref.has_code(TermKind.THEME, code):
                raise RowError(self._where("input", "theme_codes"), f"unknown theme {code!r}")
        received = shape.received_at
        self._not_future(received, "input", "received_at")
        restricted = any(c in self.ref.restricted_themes for c in shape.theme_codes)
        sensitivity = shape.sensitivity or (Sensitivity.RESTRICTED if restricted
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
        values = shape.model_dump(exclude={"theme_codes", "sensitivity"})
        values.update(
            uid=v.get("uid") or derived_uid(self.mapping.source.name, key, "input"),
            sensitivity=Sensitivity(sensitivity).value,
            component_code=shape.component_code or actor.component_code,
            section_code=shape.section_code or actor.section_code,
            respond_by=v.get("respond_by") or self.ref.respond_by(
                shape.type_code, shape.urgency, received),
            acknowledged_at=ack, recorded_at=v.get("recorded_at"),
            urgency=shape.urgency.value, consent_public=shape.consent_public.value,
        )
        return InputPlan(values["uid"], key, values, list(shape.theme_codes))

    def _action(self, v: dict[str, Any], plan: RowPlan) -> ActionPlan:
        received = plan.input.values["received_at"] if plan.input else None
        created = (v.get("created_at") or received or v.get("started_at") or v.get("closed_at")
                   or self.latest - CLOCK_SKEW)
        data = {k: v[k] for k in ("kind_code", "title", "description", "component_code",
                                  "section_code", "status", "not_possible_reason",
                                  "is_public_commitment", "due_date", "outcome")
                if v.get(k) is not None}
        data.update(created_at=created, locality_id=self._place(v.get("locality"), "action"))
        shape: ActionCreate = self._shape(ActionCreate, data, "action", _PLACE)
        for field in ("kind_code", "component_code", "section_code"):
            self._code(getattr(shape, field), field, "action")
        status = ActionStatus(shape.status)
        try:
            _check_rules(status, shape.not_possible_reason, shape.is_public_commitment,
                         shape.due_date)
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
        for name, value in (("created_at", created), ("started_at", started),
                            ("closed_at", closed)):
            self._not_future(value, "action", name)
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
        values = shape.model_dump(exclude={"created_at"})
        values.update(
            uid=v.get("uid") or derived_uid(self.mapping.source.name, plan.key, "action"),
            status=status.value, created_at=created, started_at=started, closed_at=closed,
            not_possible_reason=(shape.not_possible_reason.value
                                 if status == ActionStatus.NOT_POSSIBLE
                                 and shape.not_possible_reason else None),
            component_code=shape.component_code or self.ref.actor.component_code,
            section_code=shape.section_code or self.ref.actor.section_code,
        )
        return ActionPlan(values["uid"], values, kind, linked)

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
        shape: ReportBackCreate = self._shape(ReportBackCreate, data, "report_back",
                                              {"messages": "message", **_PLACE})
        self._not_future(shape.reported_at, "report_back", "reported_at")
        if shape.reported_at < received:
            raise RowError(self._where("report_back", "reported_at"),
                           f"the report-back ({shape.reported_at:%Y-%m-%d %H:%M}) is dated "
                           f"before the input was received ({received:%Y-%m-%d %H:%M})")
        created = v.get("created_at")
        values = {"uid": v.get("uid") or derived_uid(self.mapping.source.name, plan.key, "rb"),
                  "audience": shape.audience.value, "method": shape.method.value,
                  "reported_at": shape.reported_at, "locality_id": shape.locality_id,
                  "approved_public": shape.approved_public, "created_at": created}
        return ReportBackPlan(values["uid"], values, shape.messages)

