"""Import and export: take in field spreadsheets and Kobo/ODK files, give partners clean files.

Every rule (reading, mapping, validation, idempotency, what a role may export) is in
``tracker.io``; this page uploads, shows and downloads.
"""

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.components.labels import place_formatter
from dashboard.context import page_context
from dashboard.resources import after_write, load_places
from tracker.db import read_session, write_session
from tracker.errors import HearbackError
from tracker.escaping import md
from tracker.io.exporter import export_bytes
from tracker.io.importer import import_file, inspect_file, preview_import, rejects_csv
from tracker.io.mapping import parse_mapping
from tracker.io.suggest import suggest_mapping
from tracker.metrics import Filters

ctx = page_context()
loc, _ = ctx.loc, ctx.loc.gettext
RESULT = "ie_result"

st.title(_("Import and export"))
tab_import, tab_export = st.tabs([_("Import"), _("Export")])

with tab_import:
    if not ctx.can_write:
        st.info(_("Your role can read but not import."))
    upload = st.file_uploader(_("File (CSV, Excel, KoboToolbox or ODK export)"),
                              type=["csv", "tsv", "txt", "xlsx"], key="ie_file",
                              disabled=not ctx.can_write)
    if upload is not None and ctx.can_write:
        data = upload.getvalue()
        try:
            summary = inspect_file(data, name=upload.name, rows=5)
        except HearbackError as exc:
            st.error(md(_("This file cannot be read: {reason}", reason=str(exc))))
            st.stop()
        st.caption(md(_("{name}: {format}, columns: {n}", name=summary.name,
                        format=summary.format, n=len(summary.headers))
                      + (f" · {summary.encoding}" if summary.encoding else "")))
        st.dataframe(pd.DataFrame(summary.sample, columns=None).head(5), hide_index=True,
                     width="stretch")
        if st.session_state.get("ie_for") != upload.file_id:
            suggestion = suggest_mapping(summary.headers, summary.sample,
                                         name=upload.name.rsplit(".", 1)[0])
            st.session_state["ie_mapping"] = suggestion.toml
            st.session_state["ie_for"] = upload.file_id
            st.session_state.pop(RESULT, None)
        st.text_area(_("Mapping (TOML): check it, edit it, save it for next time"),
                     key="ie_mapping", height=320)
        st.download_button(_("Save this mapping"), st.session_state["ie_mapping"],
                           file_name="mapping.toml", mime="application/toml",
                           key="ie_save_mapping")
        strict = st.checkbox(_("Reject rows whose place is unknown"), key="ie_strict")
        c1, c2, c3 = st.columns(3)
        preview = c1.button(_("Preview"), key="ie_preview")
        validate = c2.button(_("Validate only"), key="ie_validate")
        run = c3.button(_("Import"), type="primary", key="ie_run")
        try:
            mapping = parse_mapping(st.session_state["ie_mapping"])
            if preview:
                with read_session(ctx.engine) as session:
                    rows = preview_import(session, ctx.user, data, mapping, name=upload.name,
                                          rows=20, strict=strict)
                st.dataframe(pd.DataFrame([{
                    _("Line"): r.line, _("Outcome"): _(r.status), _("Place"): r.place or "",
                    _("Reason"): f"{r.column}: {r.reason}" if r.reason else "",
                    **{f"input.{k}": v for k, v in (r.input or {}).items()},
                } for r in rows]), hide_index=True, width="stretch")
            if validate or run:
                with write_session(ctx.engine) as session:
                    result = import_file(session, ctx.user, data, mapping, name=upload.name,
                                         dry_run=not run, strict=strict)
                if run:
                    after_write()
                st.session_state[RESULT] = result
        except HearbackError as exc:
            st.error(md(exc))
        result = st.session_state.get(RESULT)
        if result is not None:
            k = st.columns(4)
            k[0].metric(_("Rows read"), loc.number(result.rows_read))
            k[1].metric(_("Would be imported") if result.dry_run else _("Imported"),
                        loc.number(result.imported))
            k[2].metric(_("Already there"), loc.number(result.duplicates))
            k[3].metric(_("Rejected"), loc.number(result.rejected))
            if result.rejections:
                st.dataframe(pd.DataFrame([{_("Line"): r.line, _("Column"): r.column,
                                            _("Reason"): r.reason}
                                           for r in result.rejections[:200]]),
                             hide_index=True, width="stretch")
                st.download_button(_("Download the rejected rows"), rejects_csv(result),
                                   file_name="rejects.csv", mime="text/csv",
                                   key="ie_rejects")

with tab_export:
    c1, c2 = st.columns(2)
    what = c1.selectbox(_("What"), ["inputs", "actions", "report-backs", "all"], key="ie_what",
                        format_func={"inputs": _("Inputs"), "actions": _("Actions"),
                                     "report-backs": _("Report-backs"),
                                     "all": _("Everything (re-importable)")}.get)
    fmt = c2.selectbox(_("Format"), ["csv", "xlsx"], key="ie_format")
    c1, c2 = st.columns(2)
    days = c1.selectbox(_("Period"), [None, 30, 90, 365], key="ie_days",
                        format_func=lambda d: _("All time") if d is None
                        else loc.ngettext("Last {n} day", "Last {n} days", d))
    area = c2.selectbox(_("Place"), [None] + [p.id for p in load_places()], key="ie_area",
                        format_func=lambda i: _("Everywhere") if i is None
                        else place_formatter()(i))
    today = datetime.now(UTC).date()
    filters = Filters(since=today - timedelta(days=days - 1) if days else None,
                      until=today if days else None, area_id=area)
    st.caption(_("Only what your role may read is exported; spreadsheet formulas are "
                 "neutralised; dates are ISO 8601 in UTC."))
    if st.button(_("Prepare the export"), key="ie_export"):
        try:
            with read_session(ctx.engine) as session:
                payload = export_bytes(session, ctx.user, what=what, format=fmt,
                                       filters=filters)
            st.download_button(_("Download"), payload, file_name=f"hearback-{what}.{fmt}",
                               key="ie_download")
        except HearbackError as exc:
            st.error(md(exc))
