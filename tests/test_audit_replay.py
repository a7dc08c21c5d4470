"""The audit trail tells the whole story: replaying it rebuilds exactly what the tables hold."""

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.utils.factories import T0, World, build_world
from tracker.audit import verify_chain
from tracker.audit_replay import current_state, replay_trail
from tracker.db import read_session
from tracker.errors import HearbackError
from tracker.loop import facts_drift
from tracker.services import (
    acknowledge_input,
    create_action,
    edit_action,
    edit_input,
    link_action,
    record_input,
    record_report_back,
    set_action_status,
    unlink_action,
)

OPERATIONS = 1000
THEMES = ["basic_services", "security", "health", "land_conflict", "humanitarian", "conduct"]


class RandomOffice:
    """An office doing a day's work at random: every kind of write, some of them refused."""

    def __init__(self, session: Session, world: World, seed: int) -> None:
        self.s, self.w, self.rnd = session, world, random.Random(seed)
        self.inputs: list[int] = []
        self.actions: list[int] = []
        self.links: list[tuple[int, int]] = []
        self.refused = 0

    def _when(self) -> Any:
        return T0 + timedelta(hours=self.rnd.randint(0, 2000))

    def record(self) -> None:
        r = self.rnd
        place = r.choice([self.w.town, self.w.village, self.w.camp])
        item = record_input(session=self.s, actor=r.choice([self.w.officer, self.w.other_officer]),
                            data={"received_at": self._when(), "channel_code": "town_hall",
                                  "locality_id": place.id, "type_code": r.choice(["request", "alert"]),
                                  "urgency": r.choice(["medium", "high"]), "language": "fr",
                                  "theme_codes": r.sample(THEMES, r.randint(1, 2)),
                                  "original_text": f"demande {len(self.inputs)} «{r.random():.6f}»"})
        self.inputs.append(item.id)

    def acknowledge(self) -> None:
        acknowledge_input(session=self.s, actor=self.w.admin, input_id=self.rnd.choice(self.inputs))

    def edit(self) -> None:
        r = self.rnd
        change = r.choice([{"summary": f"résumé {r.random():.4f}"}, {"urgency": r.choice(["medium", "high"])},
                           {"theme_codes": r.sample(THEMES, 1)}, {"received_at": self._when()}])
        edit_input(session=self.s, actor=self.w.admin, input_id=r.choice(self.inputs),
                   changes=change, reason="correction")

    def act(self) -> None:
        r = self.rnd
        ids = r.sample(self.inputs, min(len(self.inputs), r.randint(1, 3)))
        status = r.choice(["planned", "in_progress", "done"])
        action = create_action(session=self.s, actor=self.w.admin, input_ids=ids, data={
            "kind_code": "patrol", "title": f"action {len(self.actions)}", "status": status,
            "component_code": "military", "is_public_commitment": r.random() < 0.3,
            "due_date": (T0 + timedelta(days=r.randint(1, 90))).date()})
        self.actions.append(action.id)
        self.links += [(action.id, i) for i in ids]

    def link(self) -> None:
        action, item = self.rnd.choice(self.actions), self.rnd.choice(self.inputs)
        link_action(session=self.s, actor=self.w.admin, action_id=action, input_ids=[item])
        self.links.append((action, item))

    def unlink(self) -> None:
        action, item = self.rnd.choice(self.links)
        unlink_action(session=self.s, actor=self.w.admin, action_id=action, input_id=item,
                      reason="linked by mistake")

    def status(self) -> None:
        r = self.rnd
        status = r.choice(["in_progress", "done", "not_possible", "planned"])
        set_action_status(session=self.s, actor=self.w.admin, action_id=r.choice(self.actions),
                          status=status, outcome=f"résultat {r.random():.3f}",
                          reason="no_access" if status == "not_possible" else None)

    def retitle(self) -> None:
        edit_action(session=self.s, actor=self.w.admin, action_id=self.rnd.choice(self.actions),
                    changes={"title": f"titre {self.rnd.random():.5f}"}, reason="clearer")

    def report(self) -> None:
        r = self.rnd
        ids = r.sample(self.inputs, min(len(self.inputs), r.randint(1, 2)))
        record_report_back(session=self.s, actor=self.w.admin, data={
            "input_ids": ids, "audience": "community", "method": r.choice(["radio", "town_hall"]),
            "reported_at": T0 + timedelta(hours=2100), "approved_public": r.random() < 0.5,
            "messages": {"fr": f"Nous avons agi {r.random():.4f}", "sw": "Tumechukua hatua"}})

    def run(self, n: int) -> None:
        moves = [self.record] * 4 + [self.acknowledge, self.edit, self.act, self.act, self.link,
                                     self.unlink, self.status, self.status, self.retitle, self.report]
        for step in range(n):
            move = self.record if step < 5 else self.act if step < 8 else self.rnd.choice(moves)
            try:
                move()
            except HearbackError:  # a refused write (a rule, a link that is gone) changes nothing
                self.refused += 1
                self.s.rollback()


@pytest.mark.parametrize("seed", [7])
def test_replaying_the_trail_rebuilds_the_current_state(engine: Engine, session: Session,
                                                        seed: int) -> None:
    world = build_world(session)
    office = RandomOffice(session, world, seed)
    office.run(OPERATIONS)
    session.close()
    assert office.refused < OPERATIONS // 4, "most operations must really happen"
    with read_session(engine) as s:
        conn = s.connection()
        assert verify_chain(conn).ok
        rebuilt, actual = replay_trail(conn), current_state(conn)
    assert len(actual.inputs) > 200 and len(actual.actions) > 100 and actual.report_backs
    assert rebuilt.inputs == actual.inputs
    assert rebuilt.actions == actual.actions
    assert rebuilt.links == actual.links
    assert rebuilt.report_backs == actual.report_backs
    assert rebuilt.answered == actual.answered
    with Session(engine) as s:
        assert facts_drift(s) == []
