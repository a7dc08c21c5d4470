"""What a batch of rows adds: the inputs, actions, report-backs and links not yet stored.

A row is a duplicate when nothing of it is new: its input was imported before (its
external id in the run's source, or its uid), and its action and report-back (by uid)
are there and already linked to that input. Rows of the same batch, and in a dry run
of the whole file, are compared with each other too, so one action shared by forty
rows is created once and linked forty times.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from tracker.access import can_read, visible_inputs
from tracker.io.bulk import custom_plans, one_of
from tracker.io.plans import RowPlan
from tracker.models import (
    Action,
    ActionInput,
    ImportKey,
    Input,
    ReportBack,
    ReportBackInput,
    User,
)

_in, _ac, _rb = Input.__table__, Action.__table__, ReportBack.__table__
_ai, _rbi = ActionInput.__table__, ReportBackInput.__table__

IMPORTED, DUPLICATE, REJECTED = "imported", "duplicate", "rejected"
_LOW = 0xFFFFFFFF

Ref = tuple[str, int]  # ("id", database id) or ("new", index among this batch's new records)
Pair = tuple[Ref, Ref, RowPlan]  # (action or report-back, input, the row that links them)


@dataclass(frozen=True)
class Outcome:
    status: str  # imported, duplicate or rejected
    reason: str = ""  # why a row was rejected here (a database refusal, a hidden input)


@dataclass
class Known:
    """An input already in the database, as much as the writer needs of it."""

    id: int
    uid: str
    received_at: datetime
    acknowledged_at: datetime | None
    sensitivity: str
    recorded_by_id: int


@dataclass
class Batch:
    """The new records of a batch (the rows that create them) and the new links."""

    outcomes: list[Outcome] = field(default_factory=list)
    inputs: list[RowPlan] = field(default_factory=list)
    actions: list[RowPlan] = field(default_factory=list)
    reports: list[RowPlan] = field(default_factory=list)
    links: list[Pair] = field(default_factory=list)  # action, input
    told: list[Pair] = field(default_factory=list)  # report-back, input
    known: dict[int, Known] = field(default_factory=dict)  # inputs already there, by id
    # (table, id) -> extra columns of actions (status, closed_at) and report-backs
    # (reported_at) already there, for the facts of the new inputs they are linked to.
    state: dict[tuple[str, int], tuple[Any, ...]] = field(default_factory=dict)
    # Actions already there that a row moves forward (a log updated since its last
    # import: "in progress" now "done"), with the first row that does.
    moved: dict[int, RowPlan] = field(default_factory=dict)


class Classifier:
    """Sorts each batch's rows into new and already stored, for one import run."""

    def __init__(self, session: Session, actor: User, source: str, pending: Any,
                 dry_run: bool) -> None:
        self.session, self.actor, self.source = session, actor, source
        self.pending, self.dry_run = pending, dry_run
        self.pg = session.get_bind().dialect.name == "postgresql"
        # A dry run writes nothing, so it remembers what earlier batches would have added.
        self._memory: dict[tuple[str, str], Ref] = {}
        self._seen: set[tuple[str, Ref, Ref]] = set()
        self._virtual = 0
        # Every record a row of the run named, as hash of (part, uid) -> line << 32 | hash
        # of its content: ints, so a file of a million rows holds a hundred bytes a row.
        self._content: dict[int, int] = {}
        # A dry run writes nothing: the actions an earlier batch would have moved.
        self._moved: set[int] = set()

    def _contradiction(self, plan: RowPlan) -> str | None:
        """Why ``plan`` cannot go in when a record it names by id (a log's number, or a
        uid the file gives) was named by an earlier row of the run with other content:
        an id names one record, so the second row would silently become the first's."""
        parts = [(name, item.uid, item.given)
                 for name, item in (("input", plan.input), ("action", plan.action),
                                    ("report-back", plan.report_back)) if item is not None]
        found = []
        for name, uid, digest in parts:
            key = hash((name, uid))
            seen = self._content.get(key)
            if seen is not None and seen & _LOW != digest:
                return (f"the same id as line {seen >> 32} with a different {name}: "
                        f"each {name} needs an id of its own")
            found.append((key, seen, digest))
        for key, seen, digest in found:
            if seen is None:
                self._content[key] = plan.line << 32 | digest
        return None

    def _new(self, made: list[RowPlan], plan: RowPlan) -> Ref:
        if self.dry_run:
            self._virtual += 1
            return ("virtual", self._virtual)
        made.append(plan)
        return ("new", len(made) - 1)

    def _known_inputs(self, plans: list[RowPlan]) -> tuple[dict[str, Known], dict[str, Known]]:
        uids = sorted({p.input.uid for p in plans if p.input})
        keys = sorted({p.input.external_id for p in plans if p.input})
        cols = (_in.c.id, _in.c.uid, _in.c.received_at, _in.c.acknowledged_at,
                _in.c.sensitivity, _in.c.recorded_by_id)
        by_uid: dict[str, Known] = {}
        by_key: dict[str, Known] = {}
        if not uids:
            return by_uid, by_key
        for row in self.session.execute(select(*cols).where(one_of(_in.c.uid, uids, self.pg))):
            by_uid[row.uid] = Known(row.id, row.uid, row.received_at, row.acknowledged_at,
                                     row.sensitivity, row.recorded_by_id)
        k = ImportKey.__table__.c
        ledger = self.session.execute(
            select(k.external_id, *cols).join(_in, _in.c.id == k.input_id)
            .where(k.source == self.source, one_of(k.external_id, keys, self.pg)))
        for row in ledger:
            by_key[row.external_id] = Known(row.id, row.uid, row.received_at,
                                             row.acknowledged_at, row.sensitivity,
                                             row.recorded_by_id)
        return by_uid, by_key

    def _known(self, batch: Batch, table: Any, link: Any, owner: str, uids: set[str],
               *extra: Any) -> tuple[dict[str, int], set[tuple[int, int]], set[int]]:
        """Ids of the records already there (by uid), their links, those the actor may
        not see (linked to inputs, none of which they may read: an action on a conduct
        case names it), and ``extra`` columns of each (kept in ``batch.state``)."""
        if not uids:
            return {}, set(), set()
        ids: dict[str, int] = {}
        for row in self.session.execute(select(table.c.id, table.c.uid, *extra)
                                        .where(one_of(table.c.uid, sorted(uids), self.pg))):
            ids[row[1]] = row[0]
            batch.state[(table.name, row[0])] = tuple(row[2:])
        links: set[tuple[int, int]] = set()
        hidden: set[int] = set()
        if ids:
            owner_col = link.c[owner]
            found = one_of(owner_col, sorted(ids.values()), self.pg)
            links = {(a, i) for a, i in self.session.execute(
                select(owner_col, link.c.input_id).where(found))}
            readable = select(owner_col).join(_in, _in.c.id == link.c.input_id).where(
                found, visible_inputs(self.actor))
            hidden = {a for a, _ in links} - set(self.session.execute(readable).scalars())
        return ids, links, hidden

    # --- one batch -------------------------------------------------------------------------

    def classify(self, plans: list[RowPlan]) -> Batch:
        """What of ``plans`` is new; a row whose input the actor may not read is rejected."""
        batch = Batch()
        with custom_plans(self.session.connection()):
            by_uid, by_key = self._known_inputs(plans)
            actions, action_links, hidden = self._known(
                batch, _ac, _ai, "action_id", {p.action.uid for p in plans if p.action},
                _ac.c.status, _ac.c.closed_at)
            reports, report_links, hidden_reports = self._known(
                batch, _rb, _rbi, "report_back_id",
                {p.report_back.uid for p in plans if p.report_back}, _rb.c.reported_at)
        batch.known = {k.id: k for k in [*by_uid.values(), *by_key.values()]}
        made: dict[tuple[str, str], Ref] = self._memory if self.dry_run else {}
        seen_links: set[tuple[str, Ref, Ref]] = self._seen if self.dry_run else set()
        outcomes = batch.outcomes
        for plan in plans:
            problem = self._contradiction(plan)
            if problem:
                outcomes.append(Outcome(REJECTED, problem))
                continue
            refused = next((part for part, item, known_ids, unseen in (
                ("action", plan.action, actions, hidden),
                ("report-back", plan.report_back, reports, hidden_reports))
                if item is not None and known_ids.get(item.uid) in unseen), None)
            if refused:  # linked to the row's input, it would be listed with it from then on
                outcomes.append(Outcome(REJECTED, f"the row's {refused} is already recorded "
                                        "and you may not see it"))
                continue
            new = any(k in self.pending for k in plan.new_places)
            iref: Ref | None = None
            if plan.input:
                known = by_key.get(plan.input.external_id) or by_uid.get(plan.input.uid)
                if known is not None:
                    if (plan.action or plan.report_back) and not can_read(self.actor, known):  # type: ignore[arg-type]
                        outcomes.append(Outcome(REJECTED, "the row's input is already recorded "
                                                "and you may not see it"))
                        continue
                    iref = ("id", known.id)
                else:
                    iref = made.get(("input", plan.input.uid)) or made.get(
                        ("key", plan.input.external_id))
                    if iref is None:
                        iref = self._new(batch.inputs, plan)
                        made[("input", plan.input.uid)] = made[("key", plan.input.external_id)] = iref
                        new = True
            for part, known_ids, known_links, created, pairs in (
                ("action", actions, action_links, batch.actions, batch.links),
                ("report_back", reports, report_links, batch.reports, batch.told),
            ):
                item = getattr(plan, part)
                if item is None:
                    continue
                oref: Ref | None = made.get((part, item.uid))
                if oref is None and item.uid in known_ids:
                    oref = ("id", known_ids[item.uid])
                    if part == "action" and _moves_forward(batch, oref[1], plan, self._moved):
                        new = True
                if oref is None:
                    oref = made[(part, item.uid)] = self._new(created, plan)
                    new = True
                if iref is None:
                    continue
                if (oref[0] == "id" and iref[0] == "id" and (oref[1], iref[1]) in known_links) \
                        or (part, oref, iref) in seen_links:
                    continue
                seen_links.add((part, oref, iref))
                pairs.append((oref, iref, plan))
                new = True
            outcomes.append(Outcome(IMPORTED if new else DUPLICATE))
        if self.dry_run:
            self._moved.update(batch.moved)
        return batch


# How far along an action is: a re-imported log moves an action forward, never back (a
# status set in the app since the log was written stays).
_STAGE = {"planned": 0, "in_progress": 1, "done": 2, "not_possible": 2}


def _moves_forward(batch: Batch, action_id: int, plan: RowPlan, dry_moved: set[int]) -> bool:
    """Whether ``plan`` takes a stored action further than it is; noted in ``batch.moved``
    (and, for a dry run, which reads the stored status again each batch, in ``dry_moved``)."""
    assert plan.action is not None
    status = batch.state.get(("action", action_id), (None,))[0]
    if status is None or action_id in batch.moved or action_id in dry_moved:
        return False
    if _STAGE[plan.action.values["status"]] <= _STAGE[status]:
        return False
    batch.moved[action_id] = plan
    return True
