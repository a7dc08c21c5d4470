"""Writing checked rows in batches: one transaction per batch, bulk statements inside it.

A batch writes, in one transaction, its inputs, themes, actions, links, report-backs
and messages, the same audit events the services write (``record``, ``acknowledge``,
``create``, ``link``, ``report_back``), the external id of every new input (so a
re-run skips it), the loop facts of the inputs it links (computed with the row for a
new input, by ``refresh_loop_facts`` for one already stored), the repeated-ask flags
(``tracker.repeats``) and the summary cells (a new input's counts added to its cells by
``tracker.rollups.add``, the cells of inputs already stored recounted). A killed import
therefore leaves whole batches or nothing of a batch. If a batch fails in the database,
it is rolled back and written again one row at a time, so the one bad row is rejected
with the database's reason and the others go in.

New places go through the ``create_locality`` service (each in its own transaction,
before the rows that need them): rare, audited, and harmless if the run stops there.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tracker.audit import canonical, seal
from tracker.db import storage_error
from tracker.errors import (
    DatabaseBusy,
    DatabaseUnreachable,
    DiskFull,
    HearbackError,
    ReadOnlyDatabase,
)
from tracker.io.batch import DUPLICATE, IMPORTED, REJECTED, Batch, Classifier, Outcome
from tracker.io.bulk import insert_rows, next_ids
from tracker.io.facts import new_input_facts
from tracker.io.lookup import Reference
from tracker.io.plans import RowPlan
from tracker.loop import refresh_loop_facts
from tracker.models import (
    Action,
    ActionInput,
    AuditEvent,
    ImportKey,
    ImportRun,
    Input,
    InputTheme,
    Locality,
    ReportBack,
    ReportBackInput,
    ReportBackMessage,
    User,
    new_uid,
)
from tracker.repeats import update_repeat_flags
from tracker.rollups.add import add_inputs
from tracker.rollups.build import refresh_action_places, refresh_cells
from tracker.services import create_locality
from tracker.sqltypes import utcnow

# Failures of the database itself, not of a row: retrying row by row would only reject
# every row with the same reason, so the run stops with the message instead.
STOPS_THE_RUN = (DatabaseBusy, DiskFull, ReadOnlyDatabase, DatabaseUnreachable)
_in, _ac, _rb = Input.__table__, Action.__table__, ReportBack.__table__
_ai, _rbi = ActionInput.__table__, ReportBackInput.__table__


class BatchWriter:
    """Writes batches of row plans for one import run."""

    def __init__(self, session: Session, actor: User, ref: Reference, *, source: str,
                 run_id: int | None, label: str) -> None:
        self.session, self.actor, self.ref, self.source = session, actor, ref, source
        self.run_id, self.label = run_id, label
        self.dry_run = run_id is None
        self.classifier = Classifier(session, actor, source, ref.pending, self.dry_run)
        self._made: dict[int, int] = {}  # pending place key -> id of the place created
        self.places_found = 0  # pending places another import created meanwhile
        self._uids: dict[int, str] = {}  # input id -> uid, for the audit events of links
        self._new_rows: list[dict[str, Any]] = []  # the inputs this batch inserted

    def write(self, plans: list[RowPlan], *, rejected_before: int = 0) -> list[Outcome]:
        """Write ``plans`` in one transaction; if the database refuses, each row alone.

        ``rejected_before`` counts rows rejected before they reached the writer, so that
        the run's counters (kept with the rows) show how far a killed run got."""
        try:
            outcomes = self._write(plans) if plans else []
            if self.dry_run:
                self.session.rollback()
            else:
                self._count(outcomes, rejected_before)
                self.session.commit()
            return outcomes
        except (DBAPIError, HearbackError) as exc:
            self.session.rollback()
            problem = storage_error(exc) if isinstance(exc, DBAPIError) else exc
            if isinstance(problem, STOPS_THE_RUN):  # no row can go in: say so, once
                raise problem from exc
            if len(plans) > 1:
                first = self.write(plans[:1], rejected_before=rejected_before)
                return first + [o for plan in plans[1:] for o in self.write([plan])]
            message = str(problem)
            if not self.dry_run:
                self._count([Outcome(REJECTED)], rejected_before)
                self.session.commit()
            return [Outcome(REJECTED, message)]

    def _count(self, outcomes: list[Outcome], rejected_before: int) -> None:
        assert self.run_id is not None
        c = ImportRun.__table__.c
        self.session.execute(update(ImportRun.__table__).where(c.id == self.run_id).values(
            rows_read=c.rows_read + len(outcomes) + rejected_before,
            imported=c.imported + sum(o.status == IMPORTED for o in outcomes),
            duplicates=c.duplicates + sum(o.status == DUPLICATE for o in outcomes),
            rejected=c.rejected + sum(o.status == REJECTED for o in outcomes) + rejected_before))

    def _write(self, plans: list[RowPlan]) -> list[Outcome]:
        self._new_rows = []  # none left from a batch that failed
        if not self.dry_run:  # a row is not new for needing a place that exists by now
            for key in sorted(self.ref.pending, reverse=True):  # parents first
                self._adopt(key)
        batch = self.classifier.classify(plans)
        if self.dry_run:
            return batch.outcomes
        self._uids = {k.id: k.uid for k in batch.known.values()}
        written = [p for p, o in zip(plans, batch.outcomes, strict=True) if o.status == IMPORTED]
        self._create_places(written)
        now = utcnow()
        ids = {"input": self._insert_inputs(batch.inputs, new_input_facts(batch), now),
               "action": self._insert_actions(batch.actions, now),
               "report_back": self._insert_reports(batch.reports, now)}

        def real(kind: str) -> Any:
            return lambda ref: ref[1] if ref[0] == "id" else ids[kind][ref[1]]

        touched = self._link(batch, real("input"), real("action"), real("report_back"), now)
        touched |= self._move_actions(batch, now)
        self._acknowledge_known(batch, now)
        flagged = self._update_repeats()
        # The new inputs are added to their cells once their own facts and flags are
        # final; every recount (below, and in refresh_loop_facts) comes after, so a cell
        # it redoes from the inputs cannot count a new input twice.
        add_inputs(self.session, ids["input"])
        refresh_action_places(self.session, {real("action")(a) for a, _, _ in batch.links})
        refresh_loop_facts(self.session, touched)  # inputs that were there before the batch
        new = set(ids["input"])
        refresh_cells(self.session, {cell for i, cell in flagged if i not in new})
        return batch.outcomes

    def _update_repeats(self) -> list[tuple[int, tuple[int, date]]]:
        """The new inputs' repeated-ask flags, and those of later inputs of their places
        (what ``record_input`` does for one input), in one statement for the batch; the
        inputs whose flag changed, with their cells."""
        rows, self._new_rows = self._new_rows, []
        if not rows:
            return []
        return update_repeat_flags(self.session, locality_ids={r["locality_id"] for r in rows},
                                   since=min(r["received_at"] for r in rows),
                                   added_from=min(r["id"] for r in rows))

    def _create_places(self, plans: list[RowPlan]) -> None:
        needed = sorted({k for p in plans for k in p.new_places if k in self.ref.pending},
                        reverse=True)
        for key in needed:
            if self._adopt(key):
                continue
            place = self.ref.pending[key]
            parent = place.parent if place.parent >= 0 else self._place_id(place.parent)
            created = create_locality(session=self.session, actor=self.actor, data={
                "name": place.path[-1], "level": place.level, "parent_id": parent or None,
                "setting": place.setting, "place_type": place.place_type,
                "latitude": place.latitude, "longitude": place.longitude})
            self.ref.created(key, created.id)  # type: ignore[arg-type]
            self._made[key] = created.id  # type: ignore[assignment]

    def _adopt(self, key: int) -> bool:
        """Use the place another import created since this one read the places, if any."""
        place = self.ref.pending.get(key)
        parent = None if place is None else (
            place.parent if place.parent >= 0 else self._made.get(place.parent))
        if place is None or not parent:
            return False
        c = Locality.__table__.c
        found = self.session.execute(
            select(c.id).where(c.parent_id == parent, c.name == place.path[-1])).scalar()
        if found is None:
            return False
        self.ref.created(key, found)
        self._made[key] = found
        self.places_found += 1
        return True

    def _place_id(self, value: int | None) -> int | None:
        if value is None or value >= 0:
            return value
        if value in self._made:
            return self._made[value]
        raise HearbackError("a place this row needs could not be created")

    def _event(self, verb: str, entity: str, entity_id: int, entity_uid: str | None,
               plan: RowPlan, now: datetime, after: dict[str, Any],
               before: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"uid": new_uid(), "at": now, "user_id": self.actor.id, "verb": verb,
                "entity": entity, "entity_id": entity_id, "entity_uid": entity_uid,
                "before": before, "after": canonical(after),
                "reason": f"import {self.label} line {plan.line}"}

    def _insert(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` in bulk with ids given to them first; return the ids, in order."""
        ids = next_ids(self.session.connection(), table, len(rows))
        for row, id_ in zip(rows, ids, strict=True):
            row["id"] = id_
        self._bulk(table, rows)
        return ids

    def _bulk(self, table: Any, rows: list[dict[str, Any]]) -> None:
        insert_rows(self.session.connection(), table, rows)

    def _events(self, events: list[dict[str, Any]]) -> None:
        if events:  # chained in the order of the ids they are given
            seal(self.session.connection(), events)
            self._insert(AuditEvent.__table__, events)

    def _insert_inputs(self, plans: list[RowPlan], facts: list[dict[str, Any]],
                       now: datetime) -> list[int]:
        if not plans:
            return []
        rows = []
        for plan, fact in zip(plans, facts, strict=True):
            assert plan.input is not None
            v = dict(plan.input.values)
            v["locality_id"] = self._place_id(v["locality_id"])
            fact = dict(fact)
            first = fact.pop("_first")  # a link or report-back acknowledges, as in the services
            ack = min((x for x in (v["acknowledged_at"], first) if x is not None), default=None)
            if ack is not None:
                ack = max(ack, v["received_at"])
            v.update(fact, acknowledged_at=ack, acknowledged_by_id=self.actor.id if ack else None,
                     recorded_by_id=v["recorded_by_id"] or self.actor.id,
                     recorded_at=v["recorded_at"] or now,
                     updated_at=now)
            rows.append(v)
        ids = self._insert(_in, rows)
        self._new_rows = rows
        themes = [{"input_id": i, "theme_code": c}
                  for i, plan in zip(ids, plans, strict=True)
                  for c in plan.input.theme_codes]  # type: ignore[union-attr]
        self._bulk(InputTheme.__table__, themes)
        self._bulk(ImportKey.__table__, [
            {"source": self.source, "external_id": p.input.external_id, "input_id": i,  # type: ignore[union-attr]
             "run_id": self.run_id} for i, p in zip(ids, plans, strict=True)])
        events = []
        for i, plan, v in zip(ids, plans, rows, strict=True):
            self._uids[i] = v["uid"]
            after = {"id": i, **v, "theme_codes": plan.input.theme_codes}  # type: ignore[union-attr]
            events.append(self._event("record", "input", i, v["uid"], plan, now, after))
            if v["acknowledged_at"] is not None:
                events.append(self._event("acknowledge", "input", i, v["uid"], plan, now,
                                          {"acknowledged_at": v["acknowledged_at"]},
                                          {"acknowledged_at": None}))
        self._events(events)
        return ids

    def _insert_actions(self, plans: list[RowPlan], now: datetime) -> list[int]:
        if not plans:
            return []
        rows = []
        for plan in plans:
            assert plan.action is not None
            v = dict(plan.action.values)
            v.update(locality_id=self._place_id(v["locality_id"]), created_by_id=self.actor.id,
                     updated_at=now)
            rows.append(v)
        ids = self._insert(_ac, rows)
        self._events([self._event("create", "action", i, v["uid"], plan, now, {"id": i, **v})
                      for i, plan, v in zip(ids, plans, rows, strict=True)])
        return ids

    def _insert_reports(self, plans: list[RowPlan], now: datetime) -> list[int]:
        if not plans:
            return []
        rows = []
        for plan in plans:
            assert plan.report_back is not None
            v = dict(plan.report_back.values)
            v.update(locality_id=self._place_id(v["locality_id"]), recorded_by_id=self.actor.id,
                     created_at=v["created_at"] or now)
            rows.append(v)
        ids = self._insert(_rb, rows)
        self._bulk(ReportBackMessage.__table__, [
            {"report_back_id": i, "language": lang, "text": text}
            for i, plan in zip(ids, plans, strict=True)
            for lang, text in plan.report_back.messages.items()])  # type: ignore[union-attr]
        self._events([self._event("create", "report_back", i, v["uid"], plan, now,
                                  {"id": i, **v, "messages": plan.report_back.messages})  # type: ignore[union-attr]
                      for i, plan, v in zip(ids, plans, rows, strict=True)])
        return ids

    def _link(self, batch: Batch, input_id: Any, action_id: Any, report_id: Any,
              now: datetime) -> set[int]:
        touched: set[int] = set()  # inputs that were there before: their facts are refreshed
        rows, events = [], []
        for aref, iref, plan in batch.links:
            assert plan.action is not None
            a, i = action_id(aref), input_id(iref)
            rows.append({"action_id": a, "input_id": i, "kind": plan.action.link_kind,
                         "linked_at": plan.action.linked_at, "linked_by_id": self.actor.id})
            events.append(self._event("link", "input", i, self._uids.get(i), plan, now,
                                      {"action_id": a, "kind": plan.action.link_kind}))
            if iref[0] == "id":
                touched.add(i)
        if rows:
            self._bulk(_ai, rows)
        rows = []
        for rref, iref, plan in batch.told:
            r, i = report_id(rref), input_id(iref)
            rows.append({"report_back_id": r, "input_id": i})
            events.append(self._event("report_back", "input", i, self._uids.get(i), plan, now,
                                      {"report_back_id": r}))
            if iref[0] == "id":
                touched.add(i)
        if rows:
            self._bulk(_rbi, rows)
        self._events(events)
        return touched

    def _move_actions(self, batch: Batch, now: datetime) -> set[int]:
        """Take stored actions forward as the rows say (``set_action_status`` for a batch);
        the inputs they answer, whose loop facts follow."""
        if not batch.moved:
            return set()
        c, fields = _ac.c, ("status", "not_possible_reason", "closed_at", "outcome")
        stored = {r.id: r for r in self.session.execute(
            select(c.id, c.uid, c.started_at, *(c[f] for f in fields))
            .where(c.id.in_(sorted(batch.moved))))}
        events = []
        for action_id, plan in batch.moved.items():
            assert plan.action is not None
            v, old = plan.action.values, stored[action_id]
            after = {"status": v["status"], "not_possible_reason": v["not_possible_reason"],
                     "closed_at": v["closed_at"], "outcome": v.get("outcome") or old.outcome}
            self.session.execute(update(_ac).where(c.id == action_id).values(
                **after, started_at=old.started_at or v["started_at"], updated_at=now))
            events.append(self._event("status", "action", action_id, old.uid, plan, now, after,
                                      canonical({f: getattr(old, f) for f in fields})))
        self._events(events)
        linked = select(_ai.c.input_id).where(_ai.c.action_id.in_(sorted(batch.moved)))
        return set(self.session.execute(linked).scalars())

    def _acknowledge_known(self, batch: Batch, now: datetime) -> None:
        """An input already recorded but never acknowledged is acknowledged by a new link."""
        first: dict[int, tuple[datetime, RowPlan]] = {}
        for _, iref, plan in batch.links + batch.told:
            item = batch.known.get(iref[1]) if iref[0] == "id" else None
            if item is None or item.acknowledged_at is not None:
                continue
            at = plan.action.linked_at if plan.action else plan.report_back.values["reported_at"]  # type: ignore[union-attr]
            at = max(at, item.received_at)
            if item.id not in first or at < first[item.id][0]:
                first[item.id] = (at, plan)
        if not first:
            return
        stmt = (update(_in).where(and_(_in.c.id == bindparam("b_id"),
                                       _in.c.acknowledged_at.is_(None)))
                .values(acknowledged_at=bindparam("b_at"), acknowledged_by_id=self.actor.id,
                        updated_at=now))
        self.session.connection().execute(
            stmt, [{"b_id": i, "b_at": at} for i, (at, _) in first.items()])
        self._events([self._event("acknowledge", "input", i, self._uids.get(i), plan, now,
                                  {"acknowledged_at": at}, {"acknowledged_at": None})
                      for i, (at, plan) in first.items()])
