"""Leadership dashboard: how the mission listens and answers, with trends and breakdowns.

Every figure below goes through the same ``Filters`` chosen at the top, and every read
is cached per filter set (figures are aggregates, the same for every role).
"""

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.components.labels import code_formatter, place_formatter, term_formatter, term_label
from dashboard.context import page_context
from dashboard.resources import cached, get_engine, load_places, load_terms, load_user
from tracker import charts
from tracker.breakdowns import oldest_open
from tracker.codes import LocalityLevel, TermKind
from tracker.db import read_session
from tracker.metrics import Filters
from tracker.overview import LeadershipData, leadership_data

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
label = code_formatter(loc)
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}
RATE, COUNT, DAYS = "rate", "count", "days"  # how a tile's value and change are written


@cached(ttl=120, max_entries=32)
def _data(filters: Filters, as_of: datetime) -> LeadershipData:
    """All figures for one filter set, read in parallel; the same for every role."""
    return leadership_data(get_engine(), filters, as_of)


@cached(ttl=120, max_entries=64)
def _oldest(filters: Filters, as_of: datetime, user_id: int, role: str) -> pd.DataFrame:
    """A list of inputs follows the reader's role: the cache key carries the user and role."""
    with read_session(get_engine()) as session:
        return oldest_open(session, filters, as_of, 15, viewer=load_user(user_id))


def _value(kind: str, value: float) -> str:
    """A tile's figure written for the locale."""
    return {RATE: loc.percent, COUNT: loc.number, DAYS: lambda v: loc.number(v, 1)}[kind](value)


def _change(kind: str, delta: float) -> tuple[str, int]:
    """The change written for the locale (a rate's in percentage points), and its sign
    once rounded as shown: the arrow and colour follow that, not the text's first
    character (which a translation or a locale's minus sign may move)."""
    digits = 0 if kind == COUNT else 1
    value = delta * 100 if kind == RATE else delta
    sign = (round(value, digits) > 0) - (round(value, digits) < 0)
    text = loc.signed(value, digits)
    # TRANSLATORS: a change in percentage points, e.g. "+3.5 pp".
    return (_("{delta} pp", delta=text) if kind == RATE else text), sign


def _days(value: float) -> str:
    """Whole days elapsed, written for the locale."""
    return loc.number(math.floor(value))


st.title(_("Leadership dashboard"))
today = datetime.now(UTC).date()
c1, c2, c3, c4 = st.columns(4)
period = c1.selectbox(_("Period"), list(PERIODS), index=1, key="ld_period",
                      format_func={"30": _("Last 30 days"), "90": _("Last 90 days"),
                                   "365": _("Last 12 months"), "all": _("All time")}.get)
regions = [p.id for p in load_places(LocalityLevel.REGION)]
region = c2.selectbox(_("Region"), [None, *regions], key="ld_region",
                      format_func=lambda i: _("All regions") if i is None else place_formatter()(i))
component = c3.selectbox(_("Component"), [None] + [t.code for t in load_terms(TermKind.COMPONENT)],
                         key="ld_component", format_func=lambda c: _("All components") if c is None
                         else term_formatter(loc, TermKind.COMPONENT)(c))
theme = c4.selectbox(_("Theme"), [None] + [t.code for t in load_terms(TermKind.THEME)],
                     key="ld_theme", format_func=lambda c: _("All themes") if c is None
                     else term_formatter(loc, TermKind.THEME)(c))
days = PERIODS[period]
filters = Filters(since=today - timedelta(days=days - 1) if days else None,
                  until=today if days else None, area_id=region, theme_code=theme,
                  component_code=component)

now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
data = _data(filters, now)
trends = data.trends
TILES = [
    ("closure_rate", _("Loop closed"), RATE),
    ("median_days_to_report_back", _("Median days to report back"), DAYS),
    ("overdue_open", _("Overdue open inputs"), COUNT),
    ("commitments_kept_rate", _("Commitments kept on time"), RATE),
    ("repeat_asks", _("Repeated asks"), COUNT),
    ("share_women", _("Participants who are women"), RATE),
    ("share_rural", _("Inputs from rural or remote places"), RATE),
]


cols = [*st.columns(4), *st.columns(4)[:3]]
for col, (name, title, kind) in zip(cols, TILES, strict=True):
    kpi = trends[name]
    change, sign = _change(kind, kpi.delta) if kpi.delta is not None else (None, 0)
    better = sign > 0 if kpi.higher_is_better else sign < 0
    col.metric(title, _value(kind, kpi.current) if kpi.current is not None else "–",
               delta=change, delta_arrow={1: "up", -1: "down"}.get(sign, "off"),
               delta_color="gray" if not sign else "green" if better else "red",
               help=_("Change against the previous period of the same length."), border=True)

left, right = st.columns(2)
with left:
    st.subheader(_("Inputs received and closed, per week"))
    st.altair_chart(charts.flow_chart(data.weekly_flow, loc), width="stretch")
with right:
    st.subheader(_("Time to report back"))
    st.altair_chart(charts.report_back_chart(data.report_back_distribution, loc), width="stretch")

st.subheader(_("Where the loop closes"))
dims = list(data.closure_by)
for tab, by in zip(st.tabs([charts.dimension_title(loc, d) for d in dims]), dims, strict=True):
    with tab:
        st.altair_chart(charts.closure_chart(data.closure_by[by], loc, by), width="stretch")

left, right = st.columns(2)
with left:
    st.subheader(_("Who is heard"))
    st.altair_chart(charts.inclusion_chart(data.inclusion, loc),
                    width="stretch")
with right:
    st.subheader(_("Localities"))
    st.altair_chart(charts.locality_map_chart(data.locality_map, loc),
                    width="stretch")

st.subheader(_("Bottlenecks: open inputs by section"))
neck = data.bottlenecks
if neck.empty:
    st.caption(_("No open input."))
else:
    st.dataframe(pd.DataFrame([{
        _("Section"): term_label(loc, TermKind.SECTION, row.section),
        _("Open"): loc.number(row.open), _("Overdue"): loc.number(row.overdue),
        _("Oldest (days)"): _days(row.oldest_days),
    } for row in neck.itertuples()]), hide_index=True, width="stretch")
oldest = _oldest(filters, now, ctx.user.id, ctx.user.role)  # type: ignore[arg-type]
if not oldest.empty:
    st.caption(_("Oldest open inputs (no text is shown here)"))
    st.dataframe(pd.DataFrame([{
        "id": row.id, _("Received"): loc.date(row.received_at), _("Locality"): row.locality,
        _("Section"): term_label(loc, TermKind.SECTION, row.section),
        _("Type"): term_label(loc, TermKind.INPUT_TYPE, row.type),
        _("State"): label(row.loop_state), _("Days open"): _days(row.days_open),
    } for row in oldest.itertuples()]), hide_index=True, width="stretch",
        column_config={"id": st.column_config.NumberColumn("#", format="%d")})
