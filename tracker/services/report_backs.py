"""Report-backs: telling people what came of what they said."""

from typing import Any

from sqlmodel import Session, select

from tracker.access import require_writer
from tracker.audit import record_event, snapshot
from tracker.errors import ValidationError
from tracker.loop import refresh_loop_facts
from tracker.models import ReportBack, ReportBackInput, ReportBackMessage, User
from tracker.services._unit import get_input, not_in_future, require_locality, unit_of_work
from tracker.services.inputs import mark_acknowledged
from tracker.shapes import ReportBackCreate, ReportBackPublic, parse


def to_public(session: Session, report: ReportBack) -> ReportBackPublic:
    messages = {
        m.language: m.text
        for m in session.exec(
            select(ReportBackMessage).where(ReportBackMessage.report_back_id == report.id)
        )
    }
    input_ids = list(
        session.exec(
            select(ReportBackInput.input_id).where(ReportBackInput.report_back_id == report.id)
        )
    )
    return ReportBackPublic.model_validate(
        report.model_dump() | {"messages": messages, "input_ids": input_ids}
    )


def record_report_back(
    *, session: Session, actor: User, data: ReportBackCreate | dict[str, Any]
) -> ReportBackPublic:
    """Record that people were told, for one or more inputs, with each language version."""
    require_writer(actor)
    data = parse(ReportBackCreate, data)
    with unit_of_work(session):
        not_in_future(data.reported_at, "reported_at")
        require_locality(session, data.locality_id, "locality_id")
        items = [get_input(session, actor, i) for i in dict.fromkeys(data.input_ids)]
        for item in items:
            if data.reported_at < item.received_at:
                raise ValidationError(
                    f"the report-back is dated before input #{item.id} was received",
                    field="reported_at",
                )
        report = ReportBack(**data.model_dump(exclude={"input_ids", "messages"}),
                            recorded_by_id=actor.id)  # type: ignore[arg-type]
        session.add(report)
        session.flush()
        for language, text in data.messages.items():
            session.add(ReportBackMessage(report_back_id=report.id, language=language, text=text))  # type: ignore[arg-type]
        for item in items:
            session.add(ReportBackInput(report_back_id=report.id, input_id=item.id))  # type: ignore[arg-type]
            mark_acknowledged(session, actor, item, data.reported_at)
            record_event(session, actor=actor, verb="report_back", entity="input",
                         entity_id=item.id, entity_uid=item.uid,
                         after={"report_back_id": report.id})
        record_event(session, actor=actor, verb="create", entity="report_back",
                     entity_id=report.id, entity_uid=report.uid,
                     after=snapshot(report) | {"messages": data.messages,
                                               "input_ids": [i.id for i in items]})
        session.flush()
        refresh_loop_facts(session, [i.id for i in items])  # type: ignore[misc]
        public = to_public(session, report)
    return public
