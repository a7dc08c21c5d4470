"""Asked before: earlier inputs from the same place on the same theme, still open then.

Shown right after an input is recorded and on its detail page: a community that
asks the same thing again while nothing changes is the signal the mission must see.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tracker.access import visible_inputs
from tracker.models import Input, InputTheme, User
from tracker.queries._common import InputBrief, brief_columns, briefs, moment, page


@dataclass(frozen=True, slots=True)
class AskedBefore:
    """``count`` includes inputs the reader may not see; ``items`` lists only visible ones."""

    count: int
    items: tuple[InputBrief, ...]


def _earlier_open(
    locality_id: int, theme_codes: list[str], before: datetime, exclude_input_id: int | None
) -> ColumnElement[bool]:
    shares_theme = exists(
        select(InputTheme.input_id).where(
            InputTheme.input_id == Input.id,
            InputTheme.theme_code.in_(theme_codes),  # type: ignore[attr-defined]
        )
    )
    clauses = [
        Input.locality_id == locality_id,
        Input.received_at < before,  # type: ignore[operator]
        or_(Input.closed_at.is_(None), Input.closed_at > before),  # type: ignore[union-attr, operator]
        shares_theme,
    ]
    if exclude_input_id is not None:
        clauses.append(Input.id != exclude_input_id)
    return and_(*clauses)  # type: ignore[arg-type]


def earlier_open_asks(
    *,
    session: Session,
    actor: User,
    locality_id: int,
    theme_codes: Iterable[str],
    before: datetime,
    exclude_input_id: int | None = None,
    limit: int = 20,
) -> AskedBefore:
    """Inputs from ``locality_id`` sharing a theme, received before ``before`` and still
    open at that moment (closed later or not at all), newest first."""
    limit, _ = page(limit)
    before = moment(before, "before")
    themes = sorted({code for code in theme_codes if code})
    if not themes:
        return AskedBefore(count=0, items=())
    where = _earlier_open(locality_id, themes, before, exclude_input_id)
    count = session.exec(select(func.count()).select_from(Input).where(where)).one()[0]  # type: ignore[call-overload]
    stmt = (
        select(*brief_columns())
        .where(where, visible_inputs(actor))
        .order_by(Input.received_at.desc(), Input.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(limit)
    )
    items = briefs(session, stmt, moment(None, "now"))
    return AskedBefore(count=int(count), items=items)
