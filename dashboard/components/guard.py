"""A page that fails shows one short, translated sentence — never a stack trace or SQL.

Exception messages carry SQL, file paths and record contents; the browser gets none of
it. The full exception goes to the server log under a short reference the user can
quote. Streamlit's own control flow (``st.stop``, ``st.rerun``, ``st.switch_page``)
raises ``BaseException`` subclasses, which pass through untouched.

``HEARBACK_PROPAGATE_ERRORS=1`` lets exceptions through instead (AppTest sets it, so a
broken page still fails the test suite as an exception rather than a polite message).
"""

import logging
import os
import secrets
from collections.abc import Callable

import streamlit as st

from tracker.escaping import md
from tracker.i18n import Localizer

log = logging.getLogger("hearback.dashboard")
ERROR_KEY = "hb-page-error"  # the container's CSS class is st-key-hb-page-error
PROPAGATE = "HEARBACK_PROPAGATE_ERRORS"


def run_guarded(loc: Localizer, run: Callable[[], object]) -> None:
    """Run a page (or a fragment); on an unexpected error, log it and say so briefly."""
    try:
        run()
    except Exception:
        if os.environ.get(PROPAGATE) == "1":
            raise
        reference = secrets.token_hex(4)
        log.exception("page failed; reference %s", reference)
        with st.container(key=ERROR_KEY):
            st.error(md(loc.gettext(
                "Something went wrong on this page. It was recorded with reference {ref}: "
                "try again, or give the reference to your administrator.", ref=reference)),
                icon="⚠️")
