"""Pieces every read model shares: paging, the short text of an input, a locality's subtree."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.codes import LocalityLevel, LoopState
from tracker.errors import NotFoundError, ValidationError
from tracker.loop import loop_state_expr
from tracker.models import Input, InputTheme, Locality
from tracker.sqltypes import utcnow

# No screen needs more rows at once; a larger page is cut here rather than loading a table.
MAX_PAGE = 500
SUMMARY_CHARS = 120


@dataclass(frozen=True, slots=True)
class InputBrief:
    """One line about an input the reader may see: enough to recognise it in a list."""

    id: int
    received_at: datetime
    locality_id: int
    locality_name: str
    type_code: str
    summary: str
    loop_state: LoopState
    urgency: str = ""
    respond_by: datetime | None = None
    theme_codes: tuple[str, ...] = ()
    overdue: bool = False  # open and past its service level at the time of the read


def page(limit: int, offset: int = 0) -> tuple[int, int]:
    """Check paging arguments; a page is capped at ``MAX_PAGE`` rows."""
    if limit < 0:
        raise ValidationError("limit cannot be negative", field="limit")
    if offset < 0:
        raise ValidationError("offset cannot be negative", field="offset")
    return min(limit, MAX_PAGE), offset


def moment(value: datetime | None, field: str) -> datetime:
    """An aware instant (default: now); a naive one would compare against UTC by accident."""
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        raise ValidationError("must include a time zone", field=field)
    return value


def summary_expr() -> ColumnElement[str]:
    """The summary, or the start of the community's words when no one wrote one."""
    return func.coalesce(
        func.nullif(Input.summary, ""), func.substr(Input.original_text, 1, SUMMARY_CHARS)
    )


def brief_columns() -> tuple[ColumnElement, ...]:
    """Columns of ``InputBrief``, in order, for a ``select`` over ``input``."""
    place = select(Locality.name).where(Locality.id == Input.locality_id).scalar_subquery()
    return (
        Input.id, Input.received_at, Input.locality_id, place.label("locality_name"),  # type: ignore[return-value]
        Input.type_code, summary_expr().label("summary"), loop_state_expr().label("loop_state"),
        Input.urgency, Input.respond_by, Input.closed_at,
    )


def briefs(session: Session, stmt: Select, now: datetime) -> tuple[InputBrief, ...]:
    """The rows of ``stmt`` (over ``brief_columns``) with their themes, and overdue at ``now``."""
    rows = list(session.exec(stmt))  # type: ignore[call-overload]
    themes = themes_by_input(session, [row[0] for row in rows])
    return tuple(InputBrief(
        row[0], row[1], row[2], row[3] or "", row[4], row[5] or "", LoopState(row[6]),
        urgency=row[7], respond_by=row[8], theme_codes=themes.get(row[0], ()),
        overdue=row[9] is None and row[8] is not None and row[8] < now) for row in rows)


def themes_by_input(session: Session, input_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Theme codes of a page of inputs in one query (never one query per row)."""
    ids = sorted(set(input_ids))
    found: dict[int, list[str]] = defaultdict(list)
    if ids:
        stmt = (
            select(InputTheme.input_id, InputTheme.theme_code)
            .where(InputTheme.input_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(InputTheme.input_id, InputTheme.theme_code)
        )
        for input_id, code in session.exec(stmt):  # type: ignore[call-overload]
            found[input_id].append(code)
    return {i: tuple(found[i]) for i in ids}


def get_locality(session: Session, locality_id: int) -> Locality:
    locality = session.get(Locality, locality_id)
    if locality is None:
        raise NotFoundError(f"no locality #{locality_id}")
    return locality


def subtree_ids(locality: Locality) -> Select:
    """Ids of ``locality`` and every place under it, with indexed comparisons only.

    A region's places carry its id in ``region_id``; a territory's places are its
    children. Under a mission sit regions (and, where a mission has no regions,
    territories and localities directly), so two levels of children cover it.
    """
    loc = Locality
    level = LocalityLevel(locality.level)
    if level == LocalityLevel.REGION:
        return select(loc.id).where(loc.region_id == locality.id)
    if level == LocalityLevel.MISSION:
        children = select(loc.id).where(loc.parent_id == locality.id)
        return select(loc.id).where(or_(
            loc.id == locality.id,
            loc.parent_id == locality.id,
            loc.region_id.in_(children),  # type: ignore[union-attr]
            loc.parent_id.in_(children),  # type: ignore[union-attr]
        ))
    return select(loc.id).where(or_(loc.id == locality.id, loc.parent_id == locality.id))
