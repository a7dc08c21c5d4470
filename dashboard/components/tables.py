"""Shaping small query results into frames for ``st.dataframe``: labels, not codes."""

from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components.labels import code_formatter, term_label
from tracker.i18n import Localizer


def queue_frame(loc: Localizer, items: Iterable[Any]) -> pd.DataFrame:
    """Rows of the follow-up queue (or any InputBrief-like list) for display."""
    state = code_formatter(loc)
    _ = loc.gettext
    rows = [
        {
            "id": item.id,
            _("Received"): loc.date(item.received_at),
            _("Locality"): getattr(item, "locality_name", ""),
            _("Type"): term_label(loc, "input_type", item.type_code),
            _("Themes"): ", ".join(term_label(loc, "theme", t)
                                   for t in getattr(item, "theme_codes", ())),
            _("Urgency"): state(getattr(item, "urgency", "")),
            _("State"): state(item.loop_state),
            _("Respond by"): loc.date(getattr(item, "respond_by", None)),
            _("Overdue"): "⚠️" if getattr(item, "overdue", False) else "",
            _("Summary"): item.summary,
        }
        for item in items
    ]
    return pd.DataFrame(rows)


def selectable_table(frame: pd.DataFrame, key: str) -> int | None:
    """Show a table whose row click returns that row's ``id``."""
    if frame.empty:
        return None
    event = st.dataframe(frame, key=key, hide_index=True, on_select="rerun",
                         selection_mode="single-row", width="stretch",
                         column_config={"id": st.column_config.NumberColumn("#", format="%d")})
    rows = event.selection.rows if event is not None else []
    return int(frame.iloc[rows[0]]["id"]) if rows else None
