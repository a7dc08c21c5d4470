"""Altair charts for the leadership dashboard, drawn from the small frames of ``tracker.breakdowns``.

Every title, legend entry and label a person reads goes through the viewer's
``Localizer``; numbers and dates are formatted by Vega-Lite's own format strings, with
month names and separators of the viewer's locale (from Babel's CLDR data, set as the
chart's ``config.locale``, so each builder returns a top-level chart). For a
right-to-left locale the value axis sits on the right and time and bars run from the
right. Nothing is kept between calls: each builder makes a fresh chart from its arguments.
"""

from typing import Any

import altair as alt
import pandas as pd
from babel import Locale, UnknownLocaleError

from tracker.breakdowns import bucket_label
from tracker.i18n import Localizer

NO_DATA_COLOUR = "#bdbdbd"


def _rtl(loc: Localizer) -> bool:
    return loc.direction == "rtl"


def _value_axis(loc: Localizer, **kw: Any) -> alt.Axis:
    """The axis people read values from: on the right for a right-to-left reader."""
    return alt.Axis(orient="right" if _rtl(loc) else "left", **kw)


def vega_locale(loc: Localizer) -> dict[str, Any]:
    """Month and day names and number separators of the viewer's locale, for Vega-Lite."""
    try:
        babel = Locale.parse(loc.locale)
    except (UnknownLocaleError, ValueError):
        babel = Locale.parse("en")
    symbols = babel.number_symbols.get(babel.default_numbering_system) or babel.number_symbols["latn"]
    months, days = babel.months["format"], babel.days["format"]
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # CLDR counts weekdays from Monday, d3 from Sunday
    return {
        "number": {"decimal": symbols["decimal"], "thousands": symbols["group"], "grouping": [3],
                   "currency": ["", ""], "percent": symbols.get("percentSign", "%")},
        "time": {
            "dateTime": "%Y-%m-%d %H:%M", "date": "%Y-%m-%d", "time": "%H:%M",
            "periods": [babel.periods.get("am", "AM"), babel.periods.get("pm", "PM")],
            "days": [days["wide"][i] for i in sunday_first],
            "shortDays": [days["abbreviated"][i] for i in sunday_first],
            "months": [months["wide"][i] for i in range(1, 13)],
            "shortMonths": [months["abbreviated"][i] for i in range(1, 13)],
        },
    }


def _finish(chart: alt.Chart, loc: Localizer) -> alt.Chart:
    return chart.configure(locale=vega_locale(loc))


def dimension_title(loc: Localizer, by: str) -> str:
    """The translated name of a ``closure_by`` dimension, for an axis title."""
    titles = {
        "region": loc.gettext("Region"), "territory": loc.gettext("Territory"),
        "locality": loc.gettext("Locality"), "theme": loc.gettext("Theme"),
        "channel": loc.gettext("Channel"), "component": loc.gettext("Component"),
        "type": loc.gettext("Type of input"), "language": loc.gettext("Language"),
    }
    return titles.get(by, by)


def language_name(code: str, loc: Localizer) -> str:
    """A language's name in the viewer's language ("arabe" for a French reader)."""
    try:
        return Locale.parse(code).get_display_name(loc.locale) or code
    except (UnknownLocaleError, ValueError):
        return code


def _group_labels(frame: pd.DataFrame, by: str, loc: Localizer) -> list[str]:
    """What each group of a ``closure_by`` frame is called, unique so no two bars merge."""
    labels: list[str] = []
    for key, label in zip(frame["key"], frame["label"], strict=True):
        if key is None or (isinstance(key, float) and pd.isna(key)):
            text = loc.gettext("Not recorded")
        elif by == "language":
            text = language_name(str(key), loc)
        elif label is None or (isinstance(label, float) and pd.isna(label)):
            text = str(key)
        else:
            text = str(label) if by in ("region", "territory", "locality") else loc.gettext(str(label))
        labels.append(f"{text} ({key})" if text in labels else text)
    return labels


def flow_chart(frame: pd.DataFrame, loc: Localizer) -> alt.Chart:
    """Inputs received against inputs closed each week (``breakdowns.weekly_flow``)."""
    received, closed = loc.gettext("Inputs received"), loc.gettext("Inputs closed")
    data = frame.melt(id_vars="week", value_vars=["received", "closed"], var_name="series",
                      value_name="inputs")
    data["series"] = data["series"].map({"received": received, "closed": closed})
    week = loc.gettext("Week starting")
    chart = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("week:T", title=week, axis=alt.Axis(format="%d %b"), scale=alt.Scale(reverse=_rtl(loc))),
        y=alt.Y("inputs:Q", title=loc.gettext("Inputs per week"),
                axis=_value_axis(loc, format="d", tickMinStep=1)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=[received, closed]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("week:T", title=week, format="%d %b %Y"),
                 alt.Tooltip("series:N", title=loc.gettext("Flow")),
                 alt.Tooltip("inputs:Q", title=loc.gettext("Inputs"), format="d")],
    )
    return _finish(chart, loc)


def report_back_chart(frame: pd.DataFrame, loc: Localizer) -> alt.Chart:
    """How long people waited to hear back (``breakdowns.report_back_distribution``)."""
    labels = [bucket_label(int(lo), None if pd.isna(hi) else int(hi), loc)
              for lo, hi in zip(frame["low_days"], frame["high_days"], strict=True)]
    data = frame[["bucket", "inputs"]].assign(label=labels)
    title = loc.gettext("Days to first report-back")
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("label:N", title=title, sort=labels, axis=alt.Axis(labelAngle=0),
                scale=alt.Scale(reverse=_rtl(loc))),
        y=alt.Y("inputs:Q", title=loc.gettext("Inputs reported back to"),
                axis=_value_axis(loc, format="d", tickMinStep=1)),
        tooltip=[alt.Tooltip("label:N", title=title),
                 alt.Tooltip("inputs:Q", title=loc.gettext("Inputs"), format="d")],
    )
    return _finish(chart, loc)


def closure_chart(frame: pd.DataFrame, loc: Localizer, by: str) -> alt.Chart:
    """Horizontal bars of the closure rate per group (``breakdowns.closure_by``), most inputs on top."""
    labels = _group_labels(frame, by, loc)
    data = frame[["inputs", "closed", "closure_rate", "overdue_open"]].assign(group=labels)
    group, rate = dimension_title(loc, by), loc.gettext("Loop closure rate")
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("group:N", title=group, sort=labels, axis=_value_axis(loc, labelLimit=240)),
        x=alt.X("closure_rate:Q", title=rate, axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1], reverse=_rtl(loc))),
        tooltip=[alt.Tooltip("group:N", title=group),
                 alt.Tooltip("inputs:Q", title=loc.gettext("Inputs received"), format="d"),
                 alt.Tooltip("closed:Q", title=loc.gettext("Inputs closed"), format="d"),
                 alt.Tooltip("closure_rate:Q", title=rate, format=".0%"),
                 alt.Tooltip("overdue_open:Q", title=loc.gettext("Overdue"), format="d")],
    ).properties(height=alt.Step(22))
    return _finish(chart, loc)


def inclusion_chart(frame: pd.DataFrame, loc: Localizer) -> alt.Chart:
    """Month by month, who is heard (``breakdowns.inclusion_over_time``), as percentages."""
    names = {
        "share_women": loc.gettext("Women among participants"),
        "share_youth": loc.gettext("Youth among participants"),
        "share_rural": loc.gettext("Inputs from rural or remote places"),
        "share_displaced": loc.gettext("Inputs from displaced people"),
    }
    data = frame.melt(id_vars="month", value_vars=list(names), var_name="measure", value_name="share")
    data["measure"] = data["measure"].map(names)
    month, share = loc.gettext("Month"), loc.gettext("Share")
    chart = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("month:T", title=month, axis=alt.Axis(format="%b %Y"), scale=alt.Scale(reverse=_rtl(loc))),
        y=alt.Y("share:Q", title=share, axis=_value_axis(loc, format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None, scale=alt.Scale(domain=list(names.values())),
                        legend=alt.Legend(orient="top", columns=2)),
        tooltip=[alt.Tooltip("month:T", title=month, format="%B %Y"),
                 alt.Tooltip("measure:N", title=loc.gettext("Measure")),
                 alt.Tooltip("share:Q", title=share, format=".0%")],
    )
    return _finish(chart, loc)


def _extent(values: pd.Series) -> list[float] | None:
    """The data's range with a margin, so the outermost places are not cut in half."""
    if values.dropna().empty:
        return None
    low, high = float(values.min()), float(values.max())
    margin = max((high - low) * 0.05, 0.05)
    return [low - margin, high + margin]


def locality_map_chart(frame: pd.DataFrame, loc: Localizer) -> alt.Chart:
    """Places by longitude and latitude, sized by inputs, coloured by closure (``breakdowns.locality_map``).

    A plain scatter scaled to the data's extent: no tiles or shapes to fetch offline.
    Places with no input in scope are grey.
    """
    settings = {"urban": loc.gettext("Urban"), "rural": loc.gettext("Rural"), "remote": loc.gettext("Remote")}
    data = frame[["name", "region", "latitude", "longitude", "inputs", "closed", "closure_rate"]].assign(
        setting=[settings.get(s, loc.gettext("Not recorded")) for s in frame["setting"]])
    rate, inputs = loc.gettext("Loop closure rate"), loc.gettext("Inputs received")
    lon, lat = _extent(frame["longitude"]), _extent(frame["latitude"])
    chart = alt.Chart(data).mark_circle(opacity=0.8, stroke="#333333", strokeWidth=0.5).encode(
        x=alt.X("longitude:Q", title=loc.gettext("Longitude"),
                scale=alt.Scale(domain=lon, zero=False, nice=False) if lon else alt.Scale(zero=False)),
        y=alt.Y("latitude:Q", title=loc.gettext("Latitude"), axis=_value_axis(loc),
                scale=alt.Scale(domain=lat, zero=False, nice=False) if lat else alt.Scale(zero=False)),
        size=alt.Size("inputs:Q", title=inputs, scale=alt.Scale(range=[30, 1200])),
        color=alt.when(alt.datum.inputs == 0).then(alt.value(NO_DATA_COLOUR)).otherwise(
            alt.Color("closure_rate:Q", title=rate, scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen"),
                      legend=alt.Legend(format="%"))),
        tooltip=[alt.Tooltip("name:N", title=loc.gettext("Place")),
                 alt.Tooltip("region:N", title=loc.gettext("Region")),
                 alt.Tooltip("setting:N", title=loc.gettext("Setting")),
                 alt.Tooltip("inputs:Q", title=inputs, format="d"),
                 alt.Tooltip("closed:Q", title=loc.gettext("Inputs closed"), format="d"),
                 alt.Tooltip("closure_rate:Q", title=rate, format=".0%")],
    )
    return _finish(chart, loc)
