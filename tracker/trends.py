"""Headline figures with a trend: the filtered period against the one just before it.

Part of the leadership dashboard's breakdowns (re-exported by ``tracker.breakdowns``);
every figure comes from ``tracker.metrics.figures`` so the two can never disagree.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from tracker.errors import ValidationError
from tracker.metrics import Filters, figures

# (name, higher is better) of the headline figures shown with a trend.
KPIS = (("closure_rate", True), ("median_days_to_report_back", False), ("overdue_open", False),
        ("commitments_kept_rate", True), ("repeat_asks", False), ("share_women", True),
        ("share_rural", True))


@dataclass(frozen=True)
class KpiTrend:
    """One headline figure now and in the period before, so a change is visible at a glance."""

    name: str
    current: float | None
    previous: float | None
    delta: float | None  # current - previous; None when either is unknown
    higher_is_better: bool


@dataclass(frozen=True)
class Trends:
    """The headline figures of two periods of equal length, back to back (no previous
    period when the figures cover all time)."""

    current: Filters
    previous: Filters | None
    kpis: tuple[KpiTrend, ...]

    def __getitem__(self, name: str) -> KpiTrend:
        for kpi in self.kpis:
            if kpi.name == name:
                return kpi
        raise KeyError(name)


def previous_period(filters: Filters, today: date, days: int = 30) -> tuple[Filters, Filters]:
    """The filtered period made whole (default: the last ``days`` days) and the one before it."""
    if filters.since is not None:
        until = filters.until or max(today, filters.since)
        since = filters.since
    else:
        until = filters.until or today
        since = until - timedelta(days=days - 1)
    if until < since:
        raise ValidationError("the period ends before it starts", field="until")
    length = until - since + timedelta(days=1)
    current = replace(filters, since=since, until=until)
    return current, replace(filters, since=since - length, until=until - length)


def trend_periods(filters: Filters, now: datetime
                  ) -> tuple[tuple[Filters, datetime], tuple[Filters, datetime] | None]:
    """(filters, as-of) of the period shown and of the one before it (none for all time).

    The previous period is read as of ``now`` minus the period's length, so "overdue" and
    "commitments due" mean the same in both; an input closed since then counts as closed.
    """
    if filters.since is None and filters.until is None:
        return (filters, now), None
    current, previous = previous_period(filters, now.date())
    shift = current.since - previous.since  # type: ignore[operator]
    return (current, now), (previous, now - shift)


def combine(current: tuple[Filters, dict[str, Any]],
            previous: tuple[Filters, dict[str, Any]] | None) -> Trends:
    """Pair the figures of two periods into KPI trends."""
    kpis = []
    for name, higher_is_better in KPIS:
        cur = current[1][name]
        prev = previous[1][name] if previous else None
        delta = None if cur is None or prev is None else cur - prev
        kpis.append(KpiTrend(name, cur, prev, delta, higher_is_better))
    return Trends(current=current[0], previous=previous[0] if previous else None,
                  kpis=tuple(kpis))


def kpis_with_trend(session: Session, filters: Filters, now: datetime) -> Trends:
    """Headline figures for the period and the one before it, with the change between them."""
    shown, before = trend_periods(filters, now)
    current = (shown[0], figures(session, shown[0], now=shown[1]).as_dict())
    previous = (before[0], figures(session, before[0], now=before[1]).as_dict()) if before else None
    return combine(current, previous)
